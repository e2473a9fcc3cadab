"""Replay a DRAM trace file through the cycle-level controller (all in C++; Python only sets it up)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tnpu import _core
from tnpu.dram.config import DramConfig
from tnpu.dram.presets import load_dram_config
from tnpu.sim import Simulator

#: Bytes of one trace request: the peers' transaction size (both DRAMsim3's and Ramulator 1's shipped configs move
#: 64 bytes per request); a burst of fewer bytes makes the request that burst.
TRACE_REQUEST_BYTES = 64


@dataclass(frozen=True, slots=True)
class DramReplayResult:
    """What one trace replay measured.

    ``cycles`` are memory clock cycles from the acceptance of the first request to the last completion (a read
    completes when its data has returned, a write when its WR command issued). Latencies are in memory cycles
    from acceptance by the controller.
    """

    trace: str
    format: str
    dram: str
    requests: int
    reads: int
    writes: int
    bytes: int
    cycles: int
    tck_ps: int
    drain_ns: float
    bandwidth_gbps: float
    peak_bandwidth_gbps: float
    avg_read_latency_cycles: float
    avg_read_latency_ns: float
    p50_read_latency_cycles: float
    p99_read_latency_cycles: float
    max_read_latency_cycles: float
    p50_read_latency_ns: float
    p99_read_latency_ns: float
    max_read_latency_ns: float
    row_hits: int
    row_misses: int
    row_conflicts: int
    cmd_act: int
    cmd_pre: int
    cmd_rd: int
    cmd_wr: int
    cmd_ref: int
    forwarded_reads: int
    #: column commands issued while a request to another bank was waiting (bank-level parallelism in use)
    overlapped_columns: int
    rejections: int
    avg_queue_occupancy: float
    energy_pj: float
    command_energy_pj: float
    background_energy_pj: float
    wakeups: int
    wall_s: float
    requests_per_s: float

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a plain dict (what ``--json`` prints)."""
        return asdict(self)


def replay_dram(
    path: str | Path,
    dram: str | Path | DramConfig = "ddr4-2400",
    *,
    format: str = "auto",
    wrap: bool = False,
    overrides: dict[str, Any] | None = None,
) -> DramReplayResult:
    """Replay a DRAMsim3, Ramulator 1 or Ramulator 2 trace (plain or gzip) and return its statistics.

    Parameters
    ----------
    path
        The trace file.
    dram
        A preset name, a TOML / DRAMsim3 ``.ini`` / Ramulator 1 ``.cfg`` path, or a :class:`DramConfig`.
    format
        ``"auto"`` or one of ``tnpu.registry.names("trace_format")``.
    wrap
        Wrap addresses beyond the capacity (as the peers do) instead of raising TraceFormatError.
    overrides
        DramConfig fields to replace.

    Raises
    ------
    TraceFormatError
        A malformed line (``file:line``), or an address beyond the capacity without ``wrap``.
    ConfigError
        An unknown preset, format or field.
    """
    cfg = dram if isinstance(dram, DramConfig) else load_dram_config(dram)
    if overrides:
        cfg = cfg.replace(**overrides)
    if wrap:
        cfg = cfg.replace(wrap_addresses=True)
    spec = cfg.to_spec()
    sim = Simulator()
    ctrl = _core.DramController(sim, "dram", spec)
    rep = _core.TraceReplayer(
        sim,
        "replay",
        ctrl,
        str(path),
        format=format,
        tck_ps=cfg.tck_ps,
        # A trace line is one request of 64 bytes (the peers' transaction), or of one burst if bursts are smaller.
        # A 64-byte request inside a larger burst is served by that burst, as DRAMsim3 serves it (LPDDR4 BL16).
        size_bytes=min(int(spec.line_bytes), TRACE_REQUEST_BYTES),
        capacity_bytes=int(spec.capacity_bytes),
        wrap=wrap,
        paced=True,  # the controller pulls the requests (no kernel event per offer; the same results)
    )
    t0 = time.perf_counter()
    sim.run()
    wall = time.perf_counter() - t0
    s = sim.stats()
    cycles = int(rep.cycles)
    reads = int(s["tnpu.dram.reads"])
    lat_mean = float(s["tnpu.dram.read_latency.mean"]) if reads else 0.0
    requests = int(s["tnpu.dram.requests"])
    p50 = float(s["tnpu.dram.read_latency.p50"]) if reads else 0.0
    p99 = float(s["tnpu.dram.read_latency.p99"]) if reads else 0.0
    lat_max = float(s["tnpu.dram.read_latency.max"]) if reads else 0.0
    ns_per_cycle = cfg.tck_ps / 1000.0
    return DramReplayResult(
        trace=str(path),
        format=str(_core.detect_trace_format(str(path))) if format == "auto" else format,
        dram=cfg.source,
        requests=requests,
        reads=reads,
        writes=int(s["tnpu.dram.writes"]),
        bytes=int(s["tnpu.dram.bytes"]),
        cycles=cycles,
        tck_ps=cfg.tck_ps,
        drain_ns=cycles * cfg.tck_ps / 1000.0,
        bandwidth_gbps=int(s["tnpu.dram.bytes"]) / (cycles * cfg.tck_ps / 1000.0) if cycles else 0.0,
        peak_bandwidth_gbps=float(spec.peak_bandwidth_gbps),
        avg_read_latency_cycles=lat_mean,
        avg_read_latency_ns=lat_mean * cfg.tck_ps / 1000.0,
        p50_read_latency_cycles=p50,
        p99_read_latency_cycles=p99,
        max_read_latency_cycles=lat_max,
        p50_read_latency_ns=p50 * ns_per_cycle,
        p99_read_latency_ns=p99 * ns_per_cycle,
        max_read_latency_ns=lat_max * ns_per_cycle,
        row_hits=int(s["tnpu.dram.row_hits"]),
        row_misses=int(s["tnpu.dram.row_misses"]),
        row_conflicts=int(s["tnpu.dram.row_conflicts"]),
        cmd_act=int(s["tnpu.dram.cmd_act"]),
        cmd_pre=int(s["tnpu.dram.cmd_pre"]) + int(s["tnpu.dram.cmd_prea"]),
        cmd_rd=int(s["tnpu.dram.cmd_rd"]) + int(s["tnpu.dram.cmd_rda"]),
        cmd_wr=int(s["tnpu.dram.cmd_wr"]) + int(s["tnpu.dram.cmd_wra"]),
        cmd_ref=int(s["tnpu.dram.cmd_ref"]),
        forwarded_reads=int(s["tnpu.dram.forwarded_reads"]),
        overlapped_columns=int(s["tnpu.dram.overlapped_columns"]),
        rejections=int(s["tnpu.dram.rejections"]),
        avg_queue_occupancy=float(s["tnpu.dram.occupancy.mean"]),
        energy_pj=float(ctrl.energy_pj),
        command_energy_pj=float(ctrl.command_energy_pj),
        background_energy_pj=float(ctrl.background_energy_pj),
        wakeups=int(ctrl.wakeups),
        wall_s=wall,
        requests_per_s=requests / wall if wall > 0 else 0.0,
    )


def _dram_target(sim: Simulator, *, dram: str | Path | DramConfig = "ddr4-2400", **overrides: Any) -> Any:
    cfg = dram if isinstance(dram, DramConfig) else load_dram_config(dram)
    if overrides:
        cfg = cfg.replace(**overrides)
    return _core.DramController(sim, "dram", cfg.to_spec())


def register_replay_target() -> None:
    """Register the DRAM controller as replay target ``dram`` of :func:`tnpu.traces.replay_trace`.

    Its parameters are ``dram`` (preset name, file or DramConfig) and any DramConfig field as an override.
    """
    from tnpu import traces

    traces.TARGETS["dram"] = _dram_target
