"""DRAM request traces: read, write, generate and replay them.

Three formats are supported, plain or gzip (gzip is recognised by its magic bytes when reading):

========== ============================== =========================================================
name       line                           origin
========== ============================== =========================================================
dramsim3   ``0xADDR READ|WRITE CYCLE``    DRAMsim3 trace CPU; CYCLE in memory clock cycles
ramulator1 ``0xADDR R|W``                 Ramulator 1 ``--mode=dram``
ramulator2 ``LD|ST 0xADDR``               Ramulator 2 ``LoadStoreTrace``
========== ============================== =========================================================

Parsing is done in C++ over a fixed buffer, so memory use does not grow with the trace and Python never sees one
line at a time: :func:`read_dram_trace` yields chunks as numpy structured arrays of :data:`RECORD_DTYPE`.
``traces/README.md`` gives the exact line syntax, the stamp semantics and the acceptance rules of a replay.

Examples
--------
>>> from tnpu import traces
>>> traces.generate_dram_trace_file("seq.trace", "sequential", 1000, "ramulator2")
1000
>>> traces.detect_format("seq.trace")
'ramulator2'
>>> result = traces.replay_trace("seq.trace", tck_ps=833)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tnpu import _core, registry
from tnpu.errors import ConfigError
from tnpu.sim import Simulator

#: dtype of the records :func:`read_dram_trace` yields: ``command`` (0 read, 1 write), ``address`` (bytes),
#: ``stamp`` (memory clock cycles; 0 in formats without stamps) and ``line`` (1-based line number in the file).
RECORD_DTYPE = np.dtype([("command", "u1"), ("address", "<u8"), ("stamp", "<u8"), ("line", "<u8")])

#: Value of the ``command`` field of a read and of a write.
READ, WRITE = 0, 1

#: Names of the supported trace formats.
FORMATS: tuple[str, ...] = registry.names("trace_format")

#: Names of the generator patterns (see :func:`generate_dram_trace`).
PATTERNS: tuple[str, ...] = ("sequential", "random", "strided", "mixed", "dma_tile")

#: Default number of records per chunk.
CHUNK_RECORDS = 1 << 16

_LINE_BYTES = 64


def gzip_supported() -> bool:
    """Return whether this build of tnpu-sim reads and writes gzip traces (zlib was found when it was built)."""
    return bool(_core.gzip_supported())


def _check_format(fmt: str) -> str:
    registry.check_choice("trace format", fmt, "trace_format")
    return fmt


def detect_format(path: str | os.PathLike[str]) -> str:
    """Return the format name of a trace file, from its first request line.

    Parameters
    ----------
    path
        Plain or gzip trace file.

    Raises
    ------
    TraceFormatError
        The file is unreadable, holds no request line, or its first request line fits no format.
    """
    return str(_core.detect_trace_format(os.fspath(path)))


def scan_dram_trace(
    path: str | os.PathLike[str],
    format: str | None = None,
    *,
    monotonic_stamps: bool = False,
) -> dict[str, Any]:
    """Read a whole trace in C++ (checking every line) and return a summary.

    Returns
    -------
    dict
        ``format``, ``gzip``, ``requests``, ``reads``, ``writes``, ``min_address``, ``max_address`` and, for
        stamped formats, ``first_stamp_cycles``, ``last_stamp_cycles``, ``max_stamp_cycles`` (else ``None``).

    Raises
    ------
    TraceFormatError
        As :func:`read_dram_trace`.
    """
    return dict(
        _core.scan_dram_trace(
            os.fspath(path),
            format="auto" if format is None else _check_format(format),
            monotonic_stamps=monotonic_stamps,
        )
    )


def read_dram_trace(
    path: str | os.PathLike[str],
    format: str | None = None,
    *,
    chunk_records: int = CHUNK_RECORDS,
    monotonic_stamps: bool = False,
) -> Iterator[np.ndarray]:
    """Yield the records of a trace in chunks, as numpy structured arrays of :data:`RECORD_DTYPE`.

    Parameters
    ----------
    path
        Plain or gzip trace file.
    format
        One of :data:`FORMATS`, or ``None`` to detect it from the first request line.
    chunk_records
        Maximum records per chunk; every chunk but the last is full.
    monotonic_stamps
        Treat a decreasing dramsim3 stamp as an error (DRAMsim3 itself accepts it).

    Raises
    ------
    TraceFormatError
        On a malformed line (``path:line: expected ..., got '...'``), an empty or unreadable file.
    ConfigError
        On an unknown format name or a chunk size below 1.
    """
    if not 1 <= chunk_records <= 1 << 28:
        raise ConfigError(f"read_dram_trace.chunk_records: expected 1..{1 << 28}, got {chunk_records}")
    reader = _core.DramTraceReader(
        os.fspath(path),
        format="auto" if format is None else _check_format(format),
        monotonic_stamps=monotonic_stamps,
    )
    while True:
        commands, addresses, stamps, lines = reader.read_chunk(chunk_records)
        if len(commands) == 0:
            return
        out = np.empty(len(commands), dtype=RECORD_DTYPE)
        out["command"] = commands
        out["address"] = addresses
        out["stamp"] = stamps
        out["line"] = lines
        yield out


def write_dram_trace(
    path: str | os.PathLike[str],
    records: np.ndarray | Iterable[np.ndarray],
    format: str,
    *,
    gzip: bool | None = None,
    gzip_level: int = 6,
) -> int:
    """Write records to a trace file and return how many were written.

    Parameters
    ----------
    path
        File to create (overwritten if it exists).
    records
        A structured array with fields ``command`` (0 read, 1 write) and ``address``, and optionally ``stamp``
        (memory cycles, used by the dramsim3 format, 0 if absent); or an iterable of such arrays (chunks).
    format
        One of :data:`FORMATS`.
    gzip
        Compress with gzip; ``None``: when ``path`` ends in ``.gz``.
    gzip_level
        zlib compression level, 1 (fast) to 9 (small).

    Raises
    ------
    ConfigError
        Unknown format, a record without the needed fields or with a command other than 0/1, gzip without zlib.
    TraceFormatError
        The file cannot be created or written.
    """
    target = os.fspath(path)
    use_gzip = target.endswith(".gz") if gzip is None else gzip
    writer = _core.DramTraceWriter(target, _check_format(format), gzip=use_gzip, gzip_level=gzip_level)
    chunks: Iterable[np.ndarray] = [records] if isinstance(records, np.ndarray) else records
    try:
        for chunk in chunks:
            names = chunk.dtype.names or ()
            missing = [f for f in ("command", "address") if f not in names]
            if missing:
                raise ConfigError(
                    f"write_dram_trace.records: expected a structured array with fields command and address, "
                    f"missing {', '.join(missing)}"
                )
            stamps = chunk["stamp"] if "stamp" in names else None
            writer.write(chunk["command"], chunk["address"], stamps)
    finally:
        writer.close()
    return int(writer.records)


# ---------------------------------------------------------------------------------------------------------------
# Generator.


@dataclass(frozen=True, slots=True)
class PatternConfig:
    """Parameters of a generated access pattern (all addresses in bytes).

    Attributes
    ----------
    base_address
        First address of the pattern.
    span_bytes
        Size of the address window: random patterns draw from ``[base, base + span)``, sequential and strided ones
        wrap around inside it.
    stride_bytes
        Step of the ``strided`` pattern.
    write_fraction
        Probability that a request is a write (``None``: 0, or 1/3 for ``mixed``). In ``dma_tile`` the third
        stream writes and this is ignored.
    line_bytes
        Request size and alignment.
    interval_cycles
        Stamp step for stamped formats: request i gets stamp ``i * interval_cycles`` (0: all 0, saturating).
    streams
        ``dma_tile``: number of interleaved streams; the last one writes, the others read.
    stream_offset_bytes
        ``dma_tile``: distance between the stream bases.
    tile_lines
        ``dma_tile``: lines per stream per tile; requests go A0 B0 C0 A1 B1 C1 ... within a tile.
    """

    base_address: int = 0
    span_bytes: int = 1 << 30
    stride_bytes: int = 4096
    write_fraction: float | None = None
    line_bytes: int = _LINE_BYTES
    interval_cycles: int = 0
    streams: int = 3
    stream_offset_bytes: int = 256 << 20
    tile_lines: int = 64

    def validate(self, pattern: str) -> None:
        """Raise ConfigError naming the field if a parameter is out of range for ``pattern``."""
        if pattern not in PATTERNS:
            raise ConfigError(
                f"trace pattern: unknown pattern '{pattern}'; expected one of: {', '.join(PATTERNS)}"
            )
        checks = [
            ("line_bytes", self.line_bytes >= 1, "at least 1"),
            ("span_bytes", self.span_bytes >= self.line_bytes, "at least line_bytes"),
            ("base_address", self.base_address >= 0, ">= 0"),
            ("stride_bytes", self.stride_bytes >= 1, "at least 1"),
            ("interval_cycles", self.interval_cycles >= 0, ">= 0"),
            ("streams", self.streams >= 1, "at least 1"),
            ("stream_offset_bytes", self.stream_offset_bytes >= 0, ">= 0"),
            ("tile_lines", self.tile_lines >= 1, "at least 1"),
        ]
        if self.write_fraction is not None:
            checks.append(("write_fraction", 0.0 <= self.write_fraction <= 1.0, "between 0 and 1"))
        for name, ok, expected in checks:
            if not ok:
                raise ConfigError(f"PatternConfig.{name}: expected {expected}, got {getattr(self, name)!r}")
        top = self.base_address + self.span_bytes
        if pattern == "dma_tile":
            top = self.base_address + (self.streams - 1) * self.stream_offset_bytes + self.span_bytes
        if top > 1 << 64:
            raise ConfigError(f"PatternConfig: the highest address 0x{top:x} does not fit in 64 bits")


def generate_dram_trace(
    pattern: str,
    count: int,
    *,
    seed: int = 1,
    config: PatternConfig | None = None,
    chunk_records: int = CHUNK_RECORDS,
) -> Iterator[np.ndarray]:
    """Yield ``count`` generated requests in chunks of :data:`RECORD_DTYPE` (``line`` is the request index + 1).

    The output depends only on (pattern, count, seed, config), never on ``chunk_records``.

    Parameters
    ----------
    pattern
        ``sequential`` (line after line), ``random`` (uniform, line-aligned), ``strided`` (``stride_bytes`` apart),
        ``mixed`` (random addresses, 1/3 writes unless ``write_fraction`` says otherwise) or ``dma_tile``
        (``streams`` interleaved sequential streams, the last one writing, ``tile_lines`` lines per tile).
    count
        Number of requests (>= 0).
    seed
        Seed of the random generator (numpy PCG64).
    config
        Pattern parameters; defaults of :class:`PatternConfig` if ``None``.
    chunk_records
        Records per chunk.
    """
    cfg = config or PatternConfig()
    cfg.validate(pattern)
    if count < 0:
        raise ConfigError(f"generate_dram_trace.count: expected >= 0, got {count}")
    if chunk_records < 1:
        raise ConfigError(f"generate_dram_trace.chunk_records: must be at least 1 (got {chunk_records})")
    stride = cfg.stride_bytes % cfg.span_bytes
    if pattern == "strided" and count * stride >= 1 << 64:
        raise ConfigError(
            f"generate_dram_trace: count x (stride_bytes mod span_bytes) = {count} x {stride} does not fit in 64 bits"
        )
    rng = np.random.Generator(np.random.PCG64(seed))
    write_fraction = (
        cfg.write_fraction if cfg.write_fraction is not None else (1 / 3 if pattern == "mixed" else 0.0)
    )
    lines_in_span = cfg.span_bytes // cfg.line_bytes
    line = np.uint64(cfg.line_bytes)
    base = np.uint64(cfg.base_address)
    # Random numbers are drawn in fixed blocks so that the output does not depend on chunk_records.
    block = CHUNK_RECORDS
    done = 0
    pending: list[np.ndarray] = []
    pending_n = 0
    while done < count:
        n = min(block, count - done)
        i = np.arange(done, done + n, dtype=np.uint64)
        out = np.empty(n, dtype=RECORD_DTYPE)
        if pattern == "sequential":
            out["address"] = base + (i % np.uint64(lines_in_span)) * line
        elif pattern == "strided":
            out["address"] = base + (i * np.uint64(stride)) % np.uint64(cfg.span_bytes)
        elif pattern in ("random", "mixed"):
            out["address"] = base + rng.integers(0, lines_in_span, size=n, dtype=np.uint64) * line
        else:  # dma_tile
            s = np.uint64(cfg.streams)
            per_tile = np.uint64(cfg.tile_lines) * s
            tile, within = i // per_tile, i % per_tile
            stream, line_in_tile = within % s, within // s
            line_index = (tile * np.uint64(cfg.tile_lines) + line_in_tile) % np.uint64(lines_in_span)
            out["address"] = base + stream * np.uint64(cfg.stream_offset_bytes) + line_index * line
        if pattern == "dma_tile":
            out["command"] = (i % np.uint64(cfg.streams) == np.uint64(cfg.streams - 1)) & (cfg.streams > 1)
        elif write_fraction > 0.0:
            out["command"] = rng.random(n) < write_fraction
        else:
            out["command"] = READ
        out["stamp"] = i * np.uint64(cfg.interval_cycles)
        out["line"] = i + np.uint64(1)
        done += n
        pending.append(out)
        pending_n += n
        while pending_n >= chunk_records or (done == count and pending_n > 0):
            merged = np.concatenate(pending) if len(pending) > 1 else pending[0]
            take = min(chunk_records, len(merged))
            yield merged[:take]
            rest = merged[take:]
            pending = [rest] if len(rest) else []
            pending_n = len(rest)


def generate_dram_trace_file(
    path: str | os.PathLike[str],
    pattern: str,
    count: int,
    format: str,
    *,
    gzip: bool | None = None,
    seed: int = 1,
    config: PatternConfig | None = None,
) -> int:
    """Generate a pattern (see :func:`generate_dram_trace`) into a trace file; return the number of requests.

    ``gzip=None`` compresses when ``path`` ends in ``.gz``. Memory use does not grow with ``count``.
    """
    _check_format(format)
    return write_dram_trace(
        path, generate_dram_trace(pattern, count, seed=seed, config=config), format, gzip=gzip
    )


# ---------------------------------------------------------------------------------------------------------------
# Replay.

#: A target factory: builds a target module in ``sim`` from keyword parameters and returns it.
TargetFactory = Callable[..., Any]


def _fixed_latency_target(
    sim: Simulator, *, latency_ps: int = 50_000, queue_depth: int = 32, issue_interval_ps: int = 0
) -> Any:
    return _core.FixedLatencyMemory(
        sim, "mem", latency_ps=latency_ps, queue_depth=queue_depth, issue_interval_ps=issue_interval_ps
    )


#: Replay targets by name (the DRAM controller registers itself here as ``dram``).
TARGETS: dict[str, TargetFactory] = {"fixed_latency": _fixed_latency_target}


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What a trace replay measured (times in memory clock cycles of ``tck_ps`` unless the name says otherwise)."""

    path: str
    format: str
    target: str
    requests: int
    reads: int
    writes: int
    bytes: int
    rejections: int
    cycles: int  #: from the first issue to the last completion
    tck_ps: int
    first_issue_ps: int
    last_complete_ps: int
    bandwidth_gbps: float
    avg_read_latency_cycles: float
    p50_read_latency_cycles: float
    p99_read_latency_cycles: float
    max_read_latency_cycles: float
    wall_s: float
    stats: dict[str, Any]  #: every statistic of the simulation, flat

    def to_dict(self, *, with_stats: bool = False) -> dict[str, Any]:
        """Return the result as a plain dict (``stats`` included only if asked)."""
        d = asdict(self)
        if not with_stats:
            d.pop("stats")
        return d


def replay_trace(
    path: str | os.PathLike[str],
    *,
    target: str = "fixed_latency",
    format: str | None = None,
    tck_ps: int | None = None,
    size_bytes: int = _LINE_BYTES,
    capacity_bytes: int = 0,
    wrap: bool = False,
    monotonic_stamps: bool = False,
    **target_params: Any,
) -> ReplayResult:
    """Replay a trace file into a target and return what it measured.

    The acceptance rules (stamps, one offer per memory cycle, retries) are those of :class:`tnpu._core.TraceReplayer`
    and ``traces/README.md``. The simulation runs in C++ with the GIL released.

    Parameters
    ----------
    path
        Plain or gzip trace.
    target
        Name in :data:`TARGETS`.
    format
        One of :data:`FORMATS`, or ``None`` to detect it.
    tck_ps
        Memory clock period: stamps count these cycles, and at most one request is offered per cycle. ``None``:
        the target's own ``tck_ps`` (a DRAM controller has one; ``fixed_latency`` has none, so give it).
    size_bytes
        Bytes per request.
    capacity_bytes
        If > 0, an address with ``address + size_bytes > capacity_bytes`` is an error (or wraps with ``wrap``).
    wrap
        Wrap addresses modulo ``capacity_bytes`` instead of failing.
    monotonic_stamps
        Treat a decreasing stamp as an error.
    **target_params
        Keyword parameters of the target factory (``fixed_latency``: ``latency_ps``, ``queue_depth``,
        ``issue_interval_ps``).
    """
    factory = TARGETS.get(target)
    if factory is None:
        raise ConfigError(
            f"replay target: unknown target '{target}'; expected one of: {', '.join(sorted(TARGETS))}"
        )
    sim = Simulator()
    tgt = factory(sim, **target_params)
    if tck_ps is None:
        tck_ps = getattr(tgt, "tck_ps", None)
        if tck_ps is None:
            raise ConfigError(f"replay_trace.tck_ps: target '{target}' has no clock of its own; give tck_ps")
    replayer = _core.TraceReplayer(
        sim,
        "replay",
        tgt,
        os.fspath(path),
        format="auto" if format is None else _check_format(format),
        tck_ps=tck_ps,
        size_bytes=size_bytes,
        capacity_bytes=capacity_bytes,
        wrap=wrap,
        monotonic_stamps=monotonic_stamps,
        paced=True,  # a target that can pull the requests does (the DRAM controller): the same results
    )
    t0 = time.perf_counter()
    sim.run()
    wall = time.perf_counter() - t0
    if not replayer.done:
        raise _core.SimulationError(
            f"replay of {os.fspath(path)}: the simulation ended with {replayer.requests - replayer.completed} "
            "requests outstanding or requests never accepted (the target stopped answering)"
        )
    return ReplayResult(
        path=os.fspath(path),
        format=replayer.format,
        target=target,
        requests=replayer.requests,
        reads=replayer.reads,
        writes=replayer.writes,
        bytes=replayer.bytes,
        rejections=replayer.rejections,
        cycles=replayer.cycles,
        tck_ps=replayer.tck_ps,
        first_issue_ps=replayer.first_issue_ps,
        last_complete_ps=replayer.last_complete_ps,
        bandwidth_gbps=replayer.bandwidth_gbps,
        avg_read_latency_cycles=replayer.avg_read_latency_cycles,
        p50_read_latency_cycles=replayer.read_latency_quantile_cycles(0.5),
        p99_read_latency_cycles=replayer.read_latency_quantile_cycles(0.99),
        max_read_latency_cycles=replayer.max_read_latency_cycles,
        wall_s=wall,
        stats=sim.stats(),
    )


# The DRAM controller's target "dram" (tnpu.dram imports nothing from this module at import time).
from tnpu.dram import register_replay_target

register_replay_target()
