"""One pass of one layer end to end: :func:`simulate_layer`.

The pass (FP, BP or GD) is lowered to a GEMM (``paper.md`` section 6), tiled to fit the global buffer with the
mapping that moves the fewest DRAM bytes, and run in C++ through the DMA engine, the memory model and an engine:
PU-c (the PE array) for conv layers and PU-f (the vector unit) for linear layers unless ``engine`` says otherwise.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tnpu import _core
from tnpu.config import ArchConfig, MemoryConfig
from tnpu.energy import layer_activity  # noqa: F401 - public here too; energy is accounted in tnpu.energy
from tnpu.errors import ConfigError

#: Fields of a layer shape, as the workloads' ``layer_shape()`` dict gives them.
SHAPE_FIELDS: tuple[str, ...] = (
    "n",
    "c",
    "k",
    "h",
    "w",
    "r",
    "s",
    "stride_h",
    "stride_w",
    "pad_h",
    "pad_w",
    "dilation_h",
    "dilation_w",
    "groups",
)
_DEFAULTS = {"n": 1, "h": 1, "w": 1, "r": 1, "s": 1, "stride_h": 1, "stride_w": 1, "pad_h": 0, "pad_w": 0}
_DEFAULTS |= {"dilation_h": 1, "dilation_w": 1, "groups": 1}
_ENGINES = {"pu_c": "pe_array", "pu_f": "vector_unit", "pe_array": "pe_array", "vector_unit": "vector_unit"}
#: The GEMM passes of a layer: every phase of the C++ enum but the weight update (element-wise work).
PHASES: tuple[str, ...] = tuple(p.name for p in _core.Phase if p is not _core.Phase.WU)


@dataclass(frozen=True, slots=True)
class LayerResult:
    """Figures of one simulated layer pass.

    Cycles are durations in datapath clock cycles: ``total_cycles = compute_cycles + stall_cycles``, the stall being
    the engine idle while it waits for memory. ``scalesim_total_cycles`` is ``total_cycles - 1``, SCALE-Sim's
    convention (the index of the last cycle). DRAM bytes count whole 64-byte requests.
    """

    layer: str
    phase: str
    engine: str
    dataflow: str
    memory_model: str
    gemm: tuple[int, int, int]
    groups: int
    operands: tuple[str, str, str]
    total_cycles: int
    compute_cycles: int
    stall_cycles: int
    scalesim_total_cycles: int
    total_ps: int
    macs: int
    pes: int
    utilization: float
    mapping_efficiency: float
    compute_util: float
    dram_bytes_read: int
    dram_bytes_written: int
    dram_requests: int
    dram_bytes_by_operand: dict[str, int] = field(default_factory=dict)
    sram_accesses: dict[str, dict[str, int]] = field(default_factory=dict)
    mapping: dict[str, Any] = field(default_factory=dict)
    tiles: int = 0
    events: int = 0

    @property
    def seconds(self) -> float:
        """Simulated time of the pass in seconds."""
        return self.total_ps * 1e-12

    def as_dict(self) -> dict[str, Any]:
        """Return every field as a plain dict (JSON-ready)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


#: Fields of :attr:`LayerResult.mapping` (attributes of ``tnpu._core.Mapping``).
MAPPING_FIELDS: tuple[str, ...] = (
    "tile_m",
    "tile_k",
    "tile_n",
    "order",
    "tiles_m",
    "tiles_k",
    "tiles_n",
    "a_tile_bytes",
    "b_tile_bytes",
    "c_tile_bytes",
    "buffer_bytes",
    "analytic_dram_bytes",
    "analytic_a_read_bytes",
    "analytic_b_read_bytes",
    "analytic_c_read_bytes",
    "analytic_c_write_bytes",
)
#: Fields a LayerResult takes as they are from ``tnpu._core.PassResult``.
_SAME_FIELDS: tuple[str, ...] = tuple(
    name
    for name in LayerResult.__dataclass_fields__
    if name not in ("dram_bytes_by_operand", "sram_accesses", "mapping")
)
_get_same = operator.attrgetter(*_SAME_FIELDS)
_get_mapping = operator.attrgetter(*MAPPING_FIELDS)


def _layer_result(r: _core.PassResult) -> LayerResult:
    """Convert the bound result of one pass to the public :class:`LayerResult`."""
    fields: dict[str, Any] = dict(zip(_SAME_FIELDS, _get_same(r), strict=True))
    fields["dram_bytes_by_operand"] = {
        "a_read": r.dram_a_read_bytes,
        "b_read": r.dram_b_read_bytes,
        "c_read": r.dram_c_read_bytes,
        "c_write": r.dram_c_write_bytes,
    }
    reads, writes = r.sram_reads, r.sram_writes
    fields["sram_accesses"] = {
        op: {"reads": reads[i], "writes": writes[i]} for i, op in enumerate(_core.SRAM_OPERANDS)
    }
    fields["mapping"] = dict(zip(MAPPING_FIELDS, _get_mapping(r.mapping), strict=True))
    return LayerResult(**fields)


def to_layer_shape(layer: Any) -> _core.LayerShape:
    """Convert a layer to the C++ ``LayerShape``.

    Parameters
    ----------
    layer
        A ``tnpu._core.LayerShape``, a dict with the keys of ``layer_shape()`` (``kind`` plus :data:`SHAPE_FIELDS`;
        missing spatial fields default to 1 and pads to 0), or any object with a ``layer_shape()`` method.
    """
    if isinstance(layer, _core.LayerShape):
        return layer
    if not isinstance(layer, Mapping) and hasattr(layer, "layer_shape"):
        layer = layer.layer_shape()
    if not isinstance(layer, Mapping):
        raise ConfigError(
            f"layer: expected a LayerShape, a layer_shape() dict or an object with layer_shape(), "
            f"got {type(layer).__name__}"
        )
    unknown = sorted(set(layer) - set(SHAPE_FIELDS) - {"kind", "name"})
    if unknown:
        raise ConfigError(
            f"layer: unknown field(s) {', '.join(unknown)} (known: kind, {', '.join(SHAPE_FIELDS)})"
        )
    shape = _core.LayerShape()
    kind = layer.get("kind")
    if kind not in ("conv", "linear"):
        raise ConfigError(f"layer.kind: expected 'conv' or 'linear', got {kind!r}")
    shape.kind = kind
    for name in SHAPE_FIELDS:
        if name in layer:
            value = layer[name]
        elif name in _DEFAULTS:
            value = _DEFAULTS[name]
        else:
            raise ConfigError(f"layer.{name}: missing (a {kind} layer needs c and k)")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
            raise ConfigError(f"layer.{name}: expected a whole number >= 0 (below 2^63), got {value!r}")
        setattr(shape, name, value)
    return shape


def _layer_name(layer: Any, name: str | None) -> str:
    if name is not None:
        return name
    if isinstance(layer, Mapping) and isinstance(layer.get("name"), str):
        return str(layer["name"])
    attr = getattr(layer, "name", None)
    return attr if isinstance(attr, str) else "layer"


def simulate_layer(
    layer: Any,
    phase: str = "FP",
    arch: ArchConfig | None = None,
    *,
    memory: str | MemoryConfig | None = None,
    engine: str | None = None,
    mapping: tuple[int, int, int, str] | None = None,
    name: str | None = None,
    accumulate: bool = False,
) -> LayerResult:
    """Simulate one pass of one layer through DMA, memory and an engine.

    Parameters
    ----------
    layer
        A layer shape: ``tnpu._core.LayerShape``, a ``layer_shape()`` dict, or an object with ``layer_shape()``.
    phase
        ``"FP"`` (forward), ``"BP"`` (input gradient) or ``"GD"`` (weight gradient).
    arch
        The datapath; default :class:`tnpu.config.ArchConfig` (the TNPU setup).
    memory
        A memory model name (``"ideal"``, ``"fixed"``) overriding ``arch.memory.model``, or a MemoryConfig.
    engine
        ``"pu_c"`` (PE array) or ``"pu_f"`` (vector unit); default PU-c for conv and PU-f for linear layers.
    mapping
        ``(tile_m, tile_k, tile_n, order)`` to use instead of the search (order outermost first, e.g. ``"mnk"``).
    name
        Layer name for messages and results (default: the layer's ``name`` if it has one).
    accumulate
        The result is added to what DRAM holds (read-modify-write of every output tile), e.g. a weight gradient
        accumulated over the instances of a batch one sample at a time.

    Returns
    -------
    LayerResult
        Cycles (total, compute, stall), utilisation, DRAM bytes, SRAM accesses per operand and the mapping.

    Raises
    ------
    ConfigError
        For a bad shape, configuration or phase, or when no tile fits the buffer (the message names the layer and
        the buffer).

    Examples
    --------
    >>> import tnpu
    >>> conv = {"kind": "conv", "n": 1, "c": 64, "k": 64, "h": 56, "w": 56, "r": 3, "s": 3, "pad_h": 1, "pad_w": 1}
    >>> r = tnpu.simulate_layer(conv, "FP")
    >>> r.stall_cycles < 0.05 * r.total_cycles
    True
    """
    arch = _with_memory(arch if arch is not None else ArchConfig(), memory)
    if not isinstance(phase, str) or phase.upper() not in PHASES:
        raise ConfigError(f"phase: expected one of {', '.join(PHASES)}, got {phase!r}")
    shape = to_layer_shape(layer)
    if engine is None:
        engine_name = "pe_array" if shape.kind == "conv" else "vector_unit"
    elif engine in _ENGINES:
        engine_name = _ENGINES[engine]
    else:
        raise ConfigError(f"engine: expected pu_c or pu_f, got {engine!r}")
    cfg = arch.to_cpp(engine_name)
    if mapping is not None:
        if len(mapping) != 4:
            raise ConfigError("mapping: expected (tile_m, tile_k, tile_n, order)")
        tm, tk, tn, order = mapping
        for label, value in (("tile_m", tm), ("tile_k", tk), ("tile_n", tn)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"mapping.{label}: expected a whole number >= 1, got {value!r}")
        cfg.tile_m, cfg.tile_k, cfg.tile_n, cfg.order = tm, tk, tn, str(order)
    if not isinstance(accumulate, bool):
        raise ConfigError(f"accumulate: expected True or False, got {accumulate!r}")
    cfg.accumulate = accumulate
    return _layer_result(_core.simulate_pass(shape, phase.upper(), cfg, _layer_name(layer, name)))


#: Element-wise kinds of :func:`simulate_elementwise`.
ELEMENTWISE_KINDS: tuple[str, ...] = ("relu", "relu_backward", "maxpool", "avgpool", "loss", "weight_update")


def simulate_elementwise(
    kind: str,
    elements: int,
    arch: ArchConfig | None = None,
    *,
    window: int = 1,
    memory: str | MemoryConfig | None = None,
    name: str | None = None,
) -> LayerResult:
    """Simulate element-wise work on PU-f (the vector unit) as a pass through DMA and memory.

    Parameters
    ----------
    kind
        ``"relu"``, ``"relu_backward"``, ``"maxpool"``, ``"avgpool"``, ``"loss"`` or ``"weight_update"``.
    elements
        Output elements (for pooling: outputs, each reading ``window`` inputs).
    arch
        The datapath; default the TNPU setup.
    window
        Pooling window size (inputs per output).
    memory
        A memory model name or MemoryConfig overriding ``arch.memory``.
    name
        Name for messages and results.

    Returns
    -------
    LayerResult
        With ``phase == "elementwise"``, ``macs == 0`` and the cycles, DRAM bytes and SRAM accesses of the work.

    Examples
    --------
    >>> import tnpu
    >>> r = simulate_elementwise("weight_update", 1_000_000)  # SGD step over 1 M weights: memory-bound
    >>> r.stall_cycles > r.compute_cycles
    True
    """
    arch = _with_memory(arch if arch is not None else ArchConfig(), memory)
    if kind not in ELEMENTWISE_KINDS:
        raise ConfigError(f"kind: unknown element-wise kind {kind!r} (known: {', '.join(ELEMENTWISE_KINDS)})")
    for label, value in (("elements", elements), ("window", window)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**62:
            raise ConfigError(f"{label}: expected a whole number >= 1, got {value!r}")
    cfg = arch.to_cpp("vector_unit")
    return _layer_result(_core.simulate_elementwise(kind, elements, window, cfg, name or kind))


def _with_memory(arch: ArchConfig, memory: str | MemoryConfig | None) -> ArchConfig:
    if not isinstance(arch, ArchConfig):
        raise ConfigError(f"arch: expected an ArchConfig, got {type(arch).__name__}")
    if isinstance(memory, str):
        return arch.replace(memory=arch.memory.__class__(**{**_fields(arch.memory), "model": memory}))
    if isinstance(memory, MemoryConfig):
        return arch.replace(memory=memory)
    if memory is not None:
        raise ConfigError(f"memory: expected a model name or a MemoryConfig, got {type(memory).__name__}")
    return arch


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}
