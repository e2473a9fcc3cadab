"""The ``"layer"`` evaluator of :mod:`tnpu.sweep`: every conv/FC layer of a network through ``simulate_layer``.

A point's parameters set the datapath (``arch.*``, ``memory.*``, ``dram.*``, through the one override parser,
:mod:`tnpu.overrides`), the samples per pass (``batch``) and the passes (``phases``); the evaluator sums cycles,
MACs, DRAM traffic and energy over the passes. :mod:`tnpu.sweep` registers it as ``"layer"``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from tnpu.errors import ConfigError
from tnpu.overrides import Scalar, did_you_mean, replace_path, unknown_name

LAYER_PARAMS = {
    "batch": "samples per layer pass (the n of every layer's GEMM; default 1)",
    "phases": "comma-separated passes per layer: FP, BP, GD (default 'FP,BP,GD'; BP skipped where not needed)",
}


def _arch_parts() -> list[str]:
    from tnpu.config import ArchConfig

    return [f.name for f in dataclasses.fields(ArchConfig) if f.default_factory is not dataclasses.MISSING]


def _arch_scalars() -> list[str]:
    from tnpu.config import ArchConfig

    return [f.name for f in dataclasses.fields(ArchConfig) if f.default_factory is dataclasses.MISSING]


def _known_layer_paths() -> str:
    return (
        f"{', '.join(LAYER_PARAMS)}, arch.<{'|'.join(_arch_parts())}>.<field>, arch.<{'|'.join(_arch_scalars())}>, "
        "memory.<field> (short for arch.memory.<field>), dram.preset, dram.<DRAM field>"
    )


def layer_arch(params: Mapping[str, Scalar]) -> Any:
    """Return the :class:`tnpu.config.ArchConfig` that a layer-evaluator point's parameters describe (validated).

    ``arch.<part>.<field>`` and ``arch.<field>`` set ArchConfig fields (``arch.pu_c.rows``, ``arch.dtype``)
    through the one override parser (:func:`tnpu.overrides.replace_path`); ``memory.<field>`` is short for
    ``arch.memory.<field>``; ``dram.preset`` (a DRAM preset or file) and ``dram.<field>`` (a
    :class:`tnpu.dram.DramConfig` field such as ``tRFC``) set the DRAM, select the cycle-level ``"dram"`` memory
    model unless ``memory.model`` is given too, and make the DMA request size the DRAM's burst (32 B for HBM2)
    unless ``arch.dma.request_bytes`` is given.
    """
    from tnpu.config import ArchConfig
    from tnpu.dram import DramConfig, load_dram_config

    arch = ArchConfig()
    seen: dict[str, str] = {}
    preset: Any = None
    dram_overrides: dict[str, Any] = {}
    for path, value in params.items():
        if path in LAYER_PARAMS:
            continue
        head, _, rest = path.partition(".")
        if head == "memory" and rest:
            head, rest = "arch", f"memory.{rest}"
        if head == "arch" and rest:
            canonical = f"arch.{rest}"
            if canonical in seen:
                raise ConfigError(f"space.{path}: sets the same field as space.{seen[canonical]}")
            seen[canonical] = path
            arch = replace_path(arch, rest, value, prefix="arch", label=f"space.{path}")
        elif head == "dram" and rest:
            if rest == "preset":
                preset = value
            elif rest in DramConfig.model_fields():
                dram_overrides[rest] = value
            else:
                raise unknown_name(
                    f"space.{path}", rest, ["preset", *DramConfig.model_fields()], "DRAM field"
                )
        elif head == "scheduler":
            raise ConfigError(
                f"space.{path}: the 'layer' evaluator simulates layer passes one at a time and has no scheduler; "
                "scheduler parameters belong to the whole-accelerator evaluator"
            )
        else:
            hint = did_you_mean(path, [*LAYER_PARAMS, *(f"arch.{p}" for p in _arch_scalars())])
            raise ConfigError(
                f"space.{path}: unknown parameter of the 'layer' evaluator ({hint}known: {_known_layer_paths()})"
            )
    if preset is not None or dram_overrides:
        base = preset if preset is not None else arch.memory.dram
        if not isinstance(base, str):
            raise ConfigError(f"space.dram.preset: expected a preset name or file, got {base!r}")
        try:
            dram = load_dram_config(base, dram_overrides or None)
        except ConfigError as exc:
            what = "dram.preset" if preset is not None else f"dram.{next(iter(dram_overrides))}"
            raise ConfigError(f"space.{what}: {exc}") from None
        model = arch.memory.model if "arch.memory.model" in seen else "dram"
        arch = arch.replace(memory=dataclasses.replace(arch.memory, dram=dram, model=model))
        if "arch.dma.request_bytes" not in seen:  # the DMA issues one request per DRAM burst
            arch = arch.replace(dma=dataclasses.replace(arch.dma, request_bytes=dram.to_spec().line_bytes))
    arch.validate()
    return arch


def _network(name: str) -> Any:
    """Return the point's network (a model spec: zoo name, .onnx, file.py:function@C,H,W), cached; not a trace."""
    from tnpu.workloads import TaskArrays
    from tnpu.workloads.resolve import load_model_cached

    model = load_model_cached(name)
    if isinstance(model, TaskArrays):
        raise ConfigError(
            f"'{name}' is a compute trace: the 'layer' evaluator needs layer shapes, which a trace does not hold"
            " (the 'accelerator' evaluator runs traces)"
        )
    return model


def _layer_options(params: Mapping[str, Scalar]) -> tuple[int, tuple[str, ...]]:
    batch = params.get("batch", 1)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ConfigError(f"space.batch: expected a whole number >= 1, got {batch!r}")
    text = params.get("phases", "FP,BP,GD")
    if not isinstance(text, str):
        raise ConfigError(f"space.phases: expected a string such as 'FP,BP,GD', got {text!r}")
    from tnpu.layer import PHASES as GEMM_PHASES

    phases = tuple(p.strip().upper() for p in text.split(","))
    bad = [p for p in phases if p not in GEMM_PHASES]
    if bad or len(set(phases)) != len(phases):
        raise ConfigError(
            f"space.phases: expected distinct {', '.join(GEMM_PHASES)} separated by commas, got {text!r}"
        )
    return batch, phases


def check_layer_point(point: dict[str, Any]) -> None:
    """Validate a layer-evaluator point (network name, parameters) without simulating it."""
    try:
        _network(point["workload"])
    except ConfigError as exc:
        raise ConfigError(f"workloads: {exc}") from None
    _layer_options(point["params"])
    try:
        layer_arch(point["params"])
    except ConfigError as exc:
        text = str(exc)
        if text.startswith("space."):
            raise
        params = json.dumps(point["params"], sort_keys=True, separators=(",", ":"), allow_nan=False)
        raise ConfigError(f"space (point {params}): {text}") from None


def evaluate_layers(point: dict[str, Any]) -> dict[str, Scalar]:
    """Run every conv and FC layer of a network through :func:`tnpu.simulate_layer` (the ``"layer"`` evaluator).

    Each layer runs the passes of ``phases`` (default FP, BP and GD; BP is skipped for layers that need none, the
    first) with ``n = batch`` on the point's datapath; conv layers on PU-c, FC layers on PU-f, one pass at a time
    (no overlap between passes or engines: that is the whole-accelerator evaluator's job). Returns sums over the
    passes: ``passes``, ``macs``, ``total_cycles`` (= ``compute_cycles + stall_cycles``), ``pu_c_cycles``,
    ``pu_f_cycles``, ``time_s``, ``pe_utilization`` (MACs / sum of cycles x PEs of the engine used), DRAM bytes
    read/written and requests, and energy (``energy_j``; ``energy_paper_j`` without DRAM) from
    :mod:`tnpu.energy` with the MAC energy of the data type and the DRAM energy per bit of the DRAM standard.
    """
    from tnpu.energy import energy_breakdown, layer_activity, layer_energy_table
    from tnpu.layer import simulate_layer
    from tnpu.workloads import LayerKind

    params = point["params"]
    batch, phases = _layer_options(params)
    arch = layer_arch(params)
    net = _network(point["workload"])
    table = layer_energy_table(arch)
    needs_bp = net.needs_bp()
    sums = dict.fromkeys(
        (
            "passes",
            "macs",
            "total_cycles",
            "compute_cycles",
            "stall_cycles",
            "pu_c_cycles",
            "pu_f_cycles",
            "dram_bytes_read",
            "dram_bytes_written",
            "dram_requests",
        ),
        0,
    )
    total_ps = 0
    pe_cycles = 0
    energy_pj = 0.0
    energy_paper_pj = 0.0
    for layer in net.layers:
        if layer.kind not in (LayerKind.CONV, LayerKind.LINEAR):
            continue
        for phase in phases:
            if phase == "BP" and not needs_bp[layer.name]:
                continue
            r = simulate_layer(layer.layer_shape(batch), phase, arch, name=layer.name)
            sums["passes"] += 1
            sums["macs"] += r.macs
            sums["total_cycles"] += r.total_cycles
            sums["compute_cycles"] += r.compute_cycles
            sums["stall_cycles"] += r.stall_cycles
            sums["pu_c_cycles" if r.engine == "pe_array" else "pu_f_cycles"] += r.total_cycles
            sums["dram_bytes_read"] += r.dram_bytes_read
            sums["dram_bytes_written"] += r.dram_bytes_written
            sums["dram_requests"] += r.dram_requests
            total_ps += r.total_ps
            pe_cycles += r.total_cycles * r.pes
            e = energy_breakdown(layer_activity(r, arch), table)
            energy_pj += e["total_pj"]
            energy_paper_pj += e["total_paper_pj"]
    return {
        **sums,
        "time_s": total_ps * 1e-12,
        "pe_utilization": sums["macs"] / pe_cycles if pe_cycles else 0.0,
        "energy_j": energy_pj * 1e-12,
        "energy_paper_j": energy_paper_pj * 1e-12,
    }
