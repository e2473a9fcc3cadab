"""Configuration of the TNPU datapath: PE array (PU-c), vector unit (PU-f), global buffer, DMA, memory, clock, type.

Every config is a frozen dataclass with unit-suffixed field names and a default from the TNPU setup
(``paper.md`` section 1.4): PU-c 16 x 16 PEs, PU-f 16 lanes, 400 MHz, FP32, 17.1 GB/s. ``validate()`` raises
:class:`tnpu.errors.ConfigError` with the field path (``arch.pu_c.rows``) and what was expected.

Examples
--------
>>> from tnpu.config import ArchConfig, PeArrayConfig
>>> arch = ArchConfig(pu_c=PeArrayConfig(rows=32, cols=32, dataflow="ws"))
>>> arch.validate()
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from tnpu import _core, registry
from tnpu.errors import ConfigError

#: Bytes of one DMA request (one DRAM burst of a x64 channel).
REQUEST_BYTES = 64
#: Longest clock period, request interval or latency accepted (10^12 ps = 1 s): far beyond any real design, and
#: small enough that simulated time (64-bit picoseconds) cannot overflow.
MAX_PERIOD_PS = 10**12


def _check_int(path: str, value: Any, minimum: int = 1, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{path}: expected a whole number, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{path}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{path}: must be at most {maximum}, got {value}")


def _check_number(path: str, value: Any, *, positive: bool = True) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{path}: expected a finite number, got {value!r}")
    if positive and value <= 0:
        raise ConfigError(f"{path}: must be greater than 0, got {value}")


def _check_choice(path: str, value: Any, choices: list[str], what: str) -> None:
    if value not in choices:
        raise ConfigError(f"{path}: unknown {what} {value!r} (known: {', '.join(choices)})")


@dataclass(frozen=True, slots=True)
class PeArrayConfig:
    """A 2-D systolic PE array (PU-c).

    Parameters
    ----------
    rows, cols
        PEs per column and per row (SCALE-Sim's ``ArrayHeight`` x ``ArrayWidth``).
    dataflow
        ``"os"`` (output stationary), ``"ws"`` (weight stationary) or ``"is"`` (input stationary).
    """

    rows: int = 16
    cols: int = 16
    dataflow: str = "os"

    def validate(self, path: str = "pu_c") -> None:
        """Raise ConfigError naming the first bad field."""
        _check_int(f"{path}.rows", self.rows, 1, 65536)
        _check_int(f"{path}.cols", self.cols, 1, 65536)
        registry.check_choice(f"{path}.dataflow", self.dataflow, "dataflow")


@dataclass(frozen=True, slots=True)
class VectorUnitConfig:
    """A row of MAC lanes (PU-f) for matrix-vector, dot and outer products and element-wise work."""

    lanes: int = 16

    def validate(self, path: str = "pu_f") -> None:
        """Raise ConfigError naming the first bad field."""
        _check_int(f"{path}.lanes", self.lanes, 1, 1 << 20)


@dataclass(frozen=True, slots=True)
class BufferConfig:
    """The on-chip global buffer (SRAM).

    ``shared=True`` is one pool for all operands; otherwise each operand gets ``*_fraction`` of the capacity.
    With ``double_buffering`` every tile needs two copies (the next tile loads while this one computes).
    """

    capacity_bytes: int = 512 * 1024
    banks: int = 16
    word_bytes: int = 16
    ports: int = 2
    shared: bool = True
    ifmap_fraction: float = 0.25
    filter_fraction: float = 0.5
    ofmap_fraction: float = 0.25
    double_buffering: bool = True
    name: str = "global_buffer"

    def validate(self, path: str = "buffer") -> None:
        """Raise ConfigError naming the first bad field."""
        _check_int(f"{path}.capacity_bytes", self.capacity_bytes, 1, 1 << 48)
        _check_int(f"{path}.banks", self.banks, 1, 1 << 16)
        _check_int(f"{path}.word_bytes", self.word_bytes, 1, 1 << 16)
        _check_int(f"{path}.ports", self.ports, 1, 64)
        for name in ("shared", "double_buffering"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{path}.{name}: expected true or false, got {getattr(self, name)!r}")
        if not self.shared:
            total = 0.0
            for name in ("ifmap_fraction", "filter_fraction", "ofmap_fraction"):
                value = getattr(self, name)
                _check_number(f"{path}.{name}", value)
                if value > 1:
                    raise ConfigError(f"{path}.{name}: must be at most 1, got {value}")
                total += value
            if total > 1 + 1e-9:
                raise ConfigError(
                    f"{path}: ifmap_fraction + filter_fraction + ofmap_fraction is {total}, at most 1"
                )


@dataclass(frozen=True, slots=True)
class ClockConfig:
    """The datapath clock."""

    frequency_mhz: float = 400.0

    @property
    def period_ps(self) -> int:
        """Clock period in whole picoseconds."""
        return round(1e6 / self.frequency_mhz)

    def validate(self, path: str = "clock") -> None:
        """Raise ConfigError if the frequency is not positive or its period is not a whole number of ps."""
        _check_number(f"{path}.frequency_mhz", self.frequency_mhz)
        exact = 1e6 / self.frequency_mhz
        if exact > MAX_PERIOD_PS:
            raise ConfigError(
                f"{path}.frequency_mhz: {self.frequency_mhz} MHz has a period of {exact} ps, "
                f"at most {MAX_PERIOD_PS} ps (1 Hz) supported"
            )
        if self.period_ps < 1 or abs(exact - self.period_ps) > 1e-6:
            raise ConfigError(
                f"{path}.frequency_mhz: {self.frequency_mhz} MHz has a period of {exact} ps, "
                "expected a whole number of picoseconds"
            )


#: Fields of MemoryConfig each memory model reads (an override of another field is an error).
MEMORY_MODEL_FIELDS: dict[str, frozenset[str]] = {
    "ideal": frozenset(),
    "fixed": frozenset({"bandwidth_gbps", "latency_ps", "queue_depth", "max_request_bytes"}),
    "dram": frozenset({"dram"}),
    "sampled": frozenset(
        {
            "dram",
            "sampling_design",
            "sampling_fraction",
            "sampling_window_ps",
            "sampling_warmup_ps",
            "sampling_min_class_ps",
            "sampling_min_lines",
            "sampling_burst_lines",
            "sampling_paired_fraction",
            "sampling_seed",
            "sampling_strata",
            "sampling_target_rel_se",
        }
    ),
    "stream": frozenset({"dram"}),
    "external": frozenset(),
}


def memory_model_names() -> list[str]:
    """Memory models a preset may name: the registry's (C++, and ``stream``, calibrated in Python)."""
    return list(registry.names("memory_model"))


@dataclass(frozen=True, slots=True)
class MemoryConfig:
    """The off-chip memory seen by the DMA engine.

    ``model`` is one of:

    - ``"ideal"``: no memory time (traffic is still counted);
    - ``"fixed"``: a fixed latency and one 64-byte request start per ``64 / bandwidth_gbps`` ns (the bus bandwidth);
    - ``"dram"``: the cycle-level DRAM controller with ``dram``: a preset name such as ``"ddr4-2133"`` (one x64
      channel, 17.06 GB/s, TNPU's bus), a DRAMsim3 ``.ini``, a Ramulator ``.cfg``, a TOML file or a
      :class:`tnpu.dram.DramConfig`;
    - ``"sampled"``: the same controller in detailed windows and, between them, per-source pipes at the line times
      it measured for the same traffic class (``sampling_*`` fields, docs/sampling.md); every run estimates its
      own error;
    - ``"stream"``: a bandwidth model calibrated on ``dram`` (its sustained sequential bandwidth, latency and
      energy; measured once per process);
    - ``"external"``: a memory model written in Python, given as ``tnpu.simulate(..., memory=obj)``.
    """

    model: str = "fixed"
    bandwidth_gbps: float = 17.1
    latency_ps: int = 100_000
    queue_depth: int = 64
    dram: Any = "ddr4-2133"
    #: "fixed": largest multi-line request (burst) it takes as one, timed line by line (0: single requests)
    max_request_bytes: int = 0
    #: "sampled": "mix" (a class is the exact task of every engine; adaptive, stratified windows) or "periodic"
    #: (a class is each engine's phase and layer kind; SMARTS-like periodic windows); docs/sampling.md
    sampling_design: str = "mix"
    #: "sampled": share of the run (periodic) or of each class's time (mix) measured in detail
    sampling_fraction: float = 0.05
    #: "sampled": measured length of a detailed window, and the unmeasured warm-up before it
    sampling_window_ps: int = 10_000_000
    sampling_warmup_ps: int = 2_000_000
    #: "sampled": measured time of a class before it may run on the fast pipes
    sampling_min_class_ps: int = 10_000_000
    #: "sampled": a batch moving fewer DRAM lines than this (about a second of the cycle-level model) is
    #: simulated wholly in detail: exact, and as fast as sampling it
    sampling_min_lines: int = 4_000_000
    #: "sampled": largest request of a fast pipe, in lines (a DMA engine keeps max_outstanding / this in flight)
    sampling_burst_lines: int = 32
    #: "sampled": share of each task's occurrences (one per training instance) run wholly in detail, drawn at
    #: random with ``sampling_seed``; the others' durations against theirs estimate the fast pipes' bias (0: off)
    sampling_paired_fraction: float = 0.04
    sampling_seed: int = 1
    #: "sampled": the strata of that draw and of the estimate: "signature" (the task keys of identical traffic,
    #: held in different instances and compared within instances) or "key" (each task key alone)
    sampling_strata: str = "signature"
    #: "sampled", design "mix": the stopping rule of the windows: a class's windows thin to a tenth once its line
    #: times are precise enough for the run's sampling standard error to stay within this share of its time
    #: (docs/sampling.md; 0: windows at sampling_fraction always)
    sampling_target_rel_se: float = 0.005

    def dram_config(self) -> Any:
        """Return the :class:`tnpu.dram.DramConfig` that ``dram`` names."""
        from tnpu.dram import DramConfig, load_dram_config

        if isinstance(self.dram, DramConfig):
            return self.dram
        if not isinstance(self.dram, str):
            raise ConfigError(
                f"memory.dram: expected a preset name, a file or a DramConfig, got {self.dram!r}"
            )
        return load_dram_config(self.dram)

    @property
    def issue_interval_ps(self) -> int:
        """Picoseconds between request starts: one 64-byte request at ``bandwidth_gbps`` (GB/s = bytes/ns)."""
        return max(1, round(REQUEST_BYTES * 1000 / self.bandwidth_gbps))

    def validate(self, path: str = "memory") -> None:
        """Raise ConfigError naming the first bad field."""
        registry.check_choice(f"{path}.model", self.model, "memory_model")
        _check_number(f"{path}.bandwidth_gbps", self.bandwidth_gbps)
        if REQUEST_BYTES * 1000 / self.bandwidth_gbps > MAX_PERIOD_PS:
            raise ConfigError(
                f"{path}.bandwidth_gbps: {self.bandwidth_gbps} GB/s is below the smallest supported "
                f"({REQUEST_BYTES * 1000 / MAX_PERIOD_PS} GB/s: one {REQUEST_BYTES}-byte request per second)"
            )
        _check_int(f"{path}.latency_ps", self.latency_ps, 0, MAX_PERIOD_PS)
        _check_int(f"{path}.queue_depth", self.queue_depth, 1, 1 << 20)
        _check_int(f"{path}.max_request_bytes", self.max_request_bytes, 0, 1 << 30)
        if self.max_request_bytes % REQUEST_BYTES:
            raise ConfigError(
                f"{path}.max_request_bytes: must be a multiple of {REQUEST_BYTES}, got {self.max_request_bytes}"
            )
        _check_choice(f"{path}.sampling_design", self.sampling_design, ["mix", "periodic"], "sampling design")
        _check_number(f"{path}.sampling_fraction", self.sampling_fraction)
        if not 0 < self.sampling_fraction <= 1:
            raise ConfigError(f"{path}.sampling_fraction: must be in (0, 1], got {self.sampling_fraction}")
        _check_int(f"{path}.sampling_window_ps", self.sampling_window_ps, 1, 1 << 50)
        _check_int(f"{path}.sampling_warmup_ps", self.sampling_warmup_ps, 0, 1 << 50)
        _check_int(f"{path}.sampling_min_class_ps", self.sampling_min_class_ps, 0, 1 << 50)
        _check_int(f"{path}.sampling_min_lines", self.sampling_min_lines, 0, 1 << 62)
        _check_int(f"{path}.sampling_burst_lines", self.sampling_burst_lines, 1, 4096)
        _check_number(f"{path}.sampling_paired_fraction", self.sampling_paired_fraction, positive=False)
        if not 0 <= self.sampling_paired_fraction <= 1:
            raise ConfigError(
                f"{path}.sampling_paired_fraction: must be in [0, 1], got {self.sampling_paired_fraction}"
            )
        _check_int(f"{path}.sampling_seed", self.sampling_seed, 0, (1 << 63) - 1)
        _check_choice(
            f"{path}.sampling_strata", self.sampling_strata, ["signature", "key"], "sampling strata"
        )
        _check_number(f"{path}.sampling_target_rel_se", self.sampling_target_rel_se, positive=False)
        if not 0 <= self.sampling_target_rel_se <= 1:
            raise ConfigError(
                f"{path}.sampling_target_rel_se: must be in [0, 1], got {self.sampling_target_rel_se}"
            )
        if self.model in ("dram", "sampled", "stream"):
            try:
                self.dram_config().validate()
            except ConfigError as exc:
                raise ConfigError(f"{path}.dram: {exc}") from None


@dataclass(frozen=True, slots=True)
class DmaConfig:
    """The DMA engine: fixed-size requests, at most ``max_outstanding`` in flight.

    ``max_burst_bytes``: largest multi-line request (burst) sent to a target that takes them (the DRAM
    controller); ``request_bytes`` turns bursts off. Timing and statistics are identical either way (docs/dram.md).
    """

    #: bytes per request; 0: the memory's own line (the DRAM's burst: 64 B for DDR3/DDR4, 32 B for HBM2)
    request_bytes: int = 0
    max_outstanding: int = 64
    max_burst_bytes: int = 4096
    #: ask a multi-line target for every line's completion (identical to line-by-line issue); false: a burst
    #: completes as a unit (the "fixed" bandwidth model with max_request_bytes, far fewer events)
    notify_lines: bool = True

    def validate(self, path: str = "dma") -> None:
        """Raise ConfigError naming the first bad field."""
        _check_int(f"{path}.request_bytes", self.request_bytes, 0, 1 << 20)
        _check_int(f"{path}.max_outstanding", self.max_outstanding, 1, 1 << 20)
        _check_int(f"{path}.max_burst_bytes", self.max_burst_bytes, 1, 1 << 30)
        if not isinstance(self.notify_lines, bool):
            raise ConfigError(f"{path}.notify_lines: expected true or false, got {self.notify_lines!r}")


@dataclass(frozen=True, slots=True)
class ArchConfig:
    """The TNPU datapath: PU-c, PU-f, global buffer, DMA, memory, clock and data type.

    Defaults are the TNPU setup: 16 x 16 output-stationary PU-c, 16-lane PU-f, 512 KiB buffer, 400 MHz, FP32,
    17.1 GB/s memory with 100 ns latency.
    """

    pu_c: PeArrayConfig = field(default_factory=PeArrayConfig)
    pu_f: VectorUnitConfig = field(default_factory=VectorUnitConfig)
    buffer: BufferConfig = field(default_factory=BufferConfig)
    dma: DmaConfig = field(default_factory=DmaConfig)
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    clock: ClockConfig = field(default_factory=ClockConfig)
    dtype: str = "fp32"
    #: what the tiling search minimises: ``"traffic"`` (DRAM bytes) or ``"time"`` (estimated pass time).
    mapping_objective: str = "traffic"
    #: ``"traffic"`` considers only mappings whose compute cycles are within this fraction of the fastest one.
    mapping_compute_slack: float = 0.05

    def validate(self, path: str = "arch") -> None:
        """Raise ConfigError naming the first bad field (``arch.pu_c.rows`` and so on)."""
        parts: tuple[tuple[str, type[Any]], ...] = (
            ("pu_c", PeArrayConfig),
            ("pu_f", VectorUnitConfig),
            ("buffer", BufferConfig),
            ("dma", DmaConfig),
            ("memory", MemoryConfig),
            ("clock", ClockConfig),
        )
        for name, kind in parts:
            value: Any = getattr(self, name)
            if not isinstance(value, kind):
                raise ConfigError(f"{path}.{name}: expected a {kind.__name__}, got {type(value).__name__}")
            value.validate(f"{path}.{name}")
        registry.check_choice(f"{path}.dtype", self.dtype, "data_type")
        _check_choice(f"{path}.mapping_objective", self.mapping_objective, ["traffic", "time"], "objective")
        _check_number(f"{path}.mapping_compute_slack", self.mapping_compute_slack, positive=False)
        if self.mapping_compute_slack < 0:
            raise ConfigError(f"{path}.mapping_compute_slack: must be >= 0, got {self.mapping_compute_slack}")

    def replace(self, **changes: Any) -> ArchConfig:
        """Return a copy with some fields replaced (``arch.replace(dtype="fp16")``)."""
        return dataclasses.replace(self, **changes)

    def to_cpp(self, engine: str = "pe_array") -> _core.PassConfig:
        """Validate and convert to the C++ ``PassConfig`` of one layer pass on ``engine``."""
        self.validate()
        cfg = _core.PassConfig()
        cfg.engine = engine
        pa = _core.PeArrayConfig()
        pa.rows, pa.cols, pa.dataflow = self.pu_c.rows, self.pu_c.cols, self.pu_c.dataflow
        cfg.pe_array = pa
        vu = _core.VectorUnitConfig()
        vu.lanes = self.pu_f.lanes
        cfg.vector_unit = vu
        b = _core.SramBufferConfig()
        for name in (
            "name",
            "capacity_bytes",
            "banks",
            "word_bytes",
            "ports",
            "shared",
            "ifmap_fraction",
            "filter_fraction",
            "ofmap_fraction",
            "double_buffering",
        ):
            setattr(b, name, getattr(self.buffer, name))
        cfg.buffer = b
        d = _core.DmaEngineConfig()
        d.request_bytes, d.max_outstanding = self.dma.request_bytes or REQUEST_BYTES, self.dma.max_outstanding
        d.max_burst_bytes = self.dma.max_burst_bytes
        d.notify_lines = self.dma.notify_lines
        cfg.dma = d
        m = _core.MemoryModelConfig()
        m.model = self.memory.model
        m.latency_ps = self.memory.latency_ps
        m.queue_depth = self.memory.queue_depth
        m.issue_interval_ps = self.memory.issue_interval_ps
        m.max_request_bytes = self.memory.max_request_bytes
        if self.memory.model == "stream":
            raise ConfigError(
                "memory.model: 'stream' is calibrated when a batch is simulated (tnpu.simulate); "
                "a single layer pass takes 'ideal', 'fixed', 'dram' or 'sampled'"
            )
        if self.memory.model in ("dram", "sampled"):
            dram = self.memory.dram_config()
            spec = dram.to_spec()
            if self.dma.request_bytes == 0:  # follow the DRAM's burst
                d.request_bytes = spec.line_bytes
                cfg.dma = d
            elif spec.line_bytes != self.dma.request_bytes:
                raise ConfigError(
                    f"arch.dma.request_bytes: {self.dma.request_bytes} must equal the DRAM burst of "
                    f"{self.memory.dram!r} (line_bytes={spec.line_bytes}); 0 follows the DRAM"
                )
            m.dram = spec
            smp = _core.SampledMemoryConfig()
            smp.design = self.memory.sampling_design
            smp.detail_fraction = float(self.memory.sampling_fraction)
            smp.window_ps = self.memory.sampling_window_ps
            smp.warmup_ps = self.memory.sampling_warmup_ps
            smp.min_class_ps = self.memory.sampling_min_class_ps
            smp.burst_lines = self.memory.sampling_burst_lines
            smp.paired_fraction = float(self.memory.sampling_paired_fraction)
            smp.paired_seed = self.memory.sampling_seed
            smp.paired_strata = self.memory.sampling_strata
            smp.target_rel_se = float(self.memory.sampling_target_rel_se)
            m.sampled = smp
        cfg.memory = m
        cfg.clock_period_ps = self.clock.period_ps
        cfg.dtype = self.dtype
        cfg.objective = self.mapping_objective
        cfg.compute_slack = float(self.mapping_compute_slack)
        return cfg


def tnpu_arch() -> ArchConfig:
    """Return the TNPU setup of the paper (``paper.md`` section 1.4): the defaults of :class:`ArchConfig`."""
    return ArchConfig()
