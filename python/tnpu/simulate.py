"""Simulate a training batch of a network on an accelerator: the product's main entry point.

The whole training graph crosses into C++ once, runs there (engines, DMA, the shared DRAM controller, the
scheduler, the schedule validator) with the GIL released, and comes back once as arrays (:class:`tnpu.results.Result`).

Examples
--------
>>> import tnpu
>>> r = tnpu.simulate("lenet5", "tnpu", batch=2, overrides={"memory.model": "ideal"})
>>> r.summary()["tasks"] == len(r.tasks)
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tnpu import _core, registry
from tnpu.accelerator import AcceleratorConfig, load_accelerator, stash_window
from tnpu.energy import dram_model_energy_pj, training_energy
from tnpu.errors import ConfigError
from tnpu.layer import to_layer_shape
from tnpu.results import Result, task_table
from tnpu.schedule import (
    SchedulingPolicy,
    bind_policy,
    check_policy,
    load_policy,
    policy_label,
    policy_tasks,
    resolve_scheduler,
)
from tnpu.workloads import TaskArrays, TrainingGraph
from tnpu.workloads.layers import Conv2d, LayerKind, Linear, Network, Phase
from tnpu.workloads.resolve import load_model, load_model_cached, trace_network

_GEMM_KINDS = (int(LayerKind.CONV), int(LayerKind.LINEAR))


def _producer_side(net: Network) -> np.ndarray:
    """Per layer: 0 if the nearest GEMM layer upstream is a conv (element-wise work at the conv side), else 1."""
    idx = {layer.name: i for i, layer in enumerate(net.layers)}
    side = np.ones(len(net.layers), dtype=np.uint8)
    for i, layer in enumerate(net.layers):
        if int(layer.kind) == int(LayerKind.CONV):
            side[i] = 0
        elif int(layer.kind) == int(LayerKind.LINEAR):
            side[i] = 1
        else:
            ins = [idx[x] for x in layer.inputs if x in idx]
            side[i] = side[ins[0]] if ins else 0
    return side


def _graph(
    model: Any, cfg: AcceleratorConfig, input_shape: Any, fixed: Mapping[str, Any]
) -> tuple[TaskArrays, Network | None]:
    """Return the task graph to simulate and its network (None for a compute trace of no zoo network)."""
    resolved = load_model(model, input_shape)
    if isinstance(resolved, TaskArrays):
        for key in ("batch", "instance_samples"):  # a trace holds its tasks: they cannot be re-sized
            held = resolved.meta.get(key)
            if key in fixed and held is not None and int(fixed[key]) != int(held):
                raise ConfigError(
                    f"{key}: the compute trace holds {key} = {held} (its tasks), so {key} = {fixed[key]} cannot"
                    " apply; leave it out, or simulate the network instead"
                )
        return resolved, trace_network(resolved)
    g = TrainingGraph(resolved, batch=cfg.batch, instance_samples=cfg.instance_samples)
    return g.to_arrays(), g.network


def _trace_layers(
    t: np.ndarray, layer_names: Sequence[str]
) -> tuple[np.ndarray, list[_core.AcceleratorLayer], np.ndarray]:
    """Layers of a compute trace without its network: each GEMM task runs as the GEMM of an equivalent linear layer.

    A trace has no layer shapes. Each distinct (layer, phase, M, N, K) of a conv or linear task becomes a layer of
    its own, a linear layer whose pass lowers to that GEMM (as ``tnpu replay compute`` predicts a task); the other
    tasks stream their bytes and vector work. Returns the layer index of every task for C++, the layers, and which
    tasks run as such a GEMM (their MACs are the trace's: the linear GEMM counts every slot, and a conv BP GEMM has
    slots that multiply zeros).
    """
    from tnpu.compute_replay import equivalent_linear

    layers = [_core.AcceleratorLayer(name) for name in layer_names]
    index = t["layer"].astype(np.int64).copy()
    gemm = (
        np.isin(t["layer_kind"], _GEMM_KINDS)
        & (t["phase"] != int(Phase.WU))
        & (t["m"] > 0)
        & (t["n"] > 0)
        & (t["k"] > 0)
    )
    seen: dict[tuple[int, ...], int] = {}
    for i in np.flatnonzero(gemm):
        key = tuple(int(t[f][i]) for f in ("layer", "phase", "layer_kind", "m", "n", "k"))
        if key not in seen:
            layer, phase, kind, m, n, k = key
            shape = equivalent_linear(kind, phase, m, n, k)
            seen[key] = len(layers)
            layers.append(
                _core.AcceleratorLayer(
                    f"{layer_names[layer]}#{Phase(phase).name}", True, to_layer_shape(shape)
                )
            )
        index[i] = seen[key]
    return index, layers, gemm


def _dram_peak_gbps(cfg: AcceleratorConfig) -> float:
    mem = cfg.arch.memory
    if mem.model in ("dram", "sampled", "stream"):
        return float(mem.dram_config().to_spec().peak_bandwidth_gbps)
    return float(mem.bandwidth_gbps)


def resolve_stream(cfg: AcceleratorConfig) -> tuple[AcceleratorConfig, str]:
    """Turn ``memory.model = "stream"`` into the fixed bandwidth model calibrated on its DRAM (cached).

    Returns the configuration to simulate and the memory model's label for results.
    """
    mem = cfg.arch.memory
    if mem.model != "stream":
        return cfg, mem.model
    from tnpu.reproduce import calibrate_stream, memory_overrides

    cal = calibrate_stream(mem.dram)
    label = f"stream ({cal.dram}, {cal.sustained_gbps:.2f} GB/s sustained)"
    return cfg.override({"memory.model": "fixed"}).override(memory_overrides("stream", cal)), label


def simulate(
    model: str | Network | TaskArrays | Any,
    arch: str | AcceleratorConfig = "tnpu",
    *,
    input_shape: str | Sequence[int] | None = None,
    batch: int | None = None,
    scheduler: str | SchedulingPolicy | None = None,
    window: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    memory: Any = None,
) -> Result:
    """Simulate one training batch of ``model`` on ``arch`` and return the :class:`~tnpu.results.Result`.

    Parameters
    ----------
    model
        A model spec (:mod:`tnpu.workloads.resolve`): a zoo network name (``"vgg16"``), an ``.onnx`` file,
        ``"file.py:function"`` (returning a torch ``nn.Module``), a compute trace (``.csv``/``.npz``); or a
        :class:`~tnpu.workloads.Network`, a task graph (:class:`~tnpu.workloads.TaskArrays`) or a torch
        ``nn.Module``. A compute trace holds its batch. When it is the graph of a zoo network (as ``tnpu
        workloads NETWORK --trace`` writes) that network's layer shapes are used; otherwise each conv or linear
        task runs as an equivalent GEMM (as ``tnpu replay compute`` predicts it), without the im2col footprint.
    arch
        A preset name (``"tnpu"``, ``"dadiannao"``, ``"dnpu"``), a TOML file, or an AcceleratorConfig.
    input_shape
        Per-sample input ``(C, H, W)`` (or ``"3,224,224"``) of a model file or module that needs one.
    batch, scheduler, window
        Shortcuts for the overrides of the same name. ``scheduler`` may also be a Python policy: an object with
        ``pick(engine, ready, now_ps)`` (:class:`tnpu.schedule.SchedulingPolicy`, docs/scheduling.md) or
        ``"path/to/file.py:ClassName"``. A policy's window: ``window`` (or the ``window`` override) if given, else
        the policy's own ``window`` attribute, else the preset's; 0 is the stash bound, as for ``reorder``.
    overrides
        Dotted-path settings (see :meth:`tnpu.accelerator.AcceleratorConfig.override`), e.g.
        ``{"memory.dram": "ddr4-3200", "buffer.capacity_bytes": 1 << 20}``.
    progress
        ``progress(tasks_started, tasks)``, called about 200 times during the run (a progress bar); an exception it
        raises stops the simulation and propagates (Ctrl-C does too).
    memory
        A memory model written in Python, the target of every DMA engine instead of the preset's memory: an object
        with ``access(addr, bytes, is_write, now_ps) -> latency_ps`` and optionally ``max_request_bytes``
        (:class:`tnpu.memory.MemoryModel`, docs/scheduling.md). Sets ``memory.model`` to ``"external"``.

    Raises
    ------
    ConfigError
        For a bad setting, workload, or a layer that does not fit the buffer (naming it).
    SimulationError
        If the run gets stuck or the schedule validator finds a violation (a bug).
    """
    cfg = load_accelerator(arch)
    values: dict[str, Any] = dict(overrides or {})
    explicit_window = window is not None or "window" in values
    policy: SchedulingPolicy | None = None
    if scheduler is not None:
        chosen = resolve_scheduler(scheduler)
        if isinstance(chosen, str):
            values["scheduler"] = chosen
        else:
            policy = chosen
    for key, value in (("batch", batch), ("window", window)):
        if value is not None:
            values[key] = value
    if memory is not None:
        values["memory.model"] = "external"
    cfg = cfg.override(values) if values else cfg
    cfg.validate()
    if cfg.arch.memory.model == "external" and memory is None:
        raise ConfigError(
            "memory.model: 'external' is a memory model written in Python: pass the object as "
            "tnpu.simulate(..., memory=obj)"
        )
    policy_window = check_policy(policy) if policy is not None else None
    requested = cfg
    cfg, memory_label = resolve_stream(cfg)
    if memory is not None:
        memory_label = f"python:{type(memory).__name__}"
    arrays, net = _graph(model, cfg, input_shape, values)
    sched = arrays.schedule_arrays()
    ids = arrays.tasks["id"]
    order = np.argsort(ids, kind="stable")
    pos = order[np.searchsorted(ids, sched["id"], sorter=order)]
    t = arrays.tasks[pos]

    layer_names = arrays.layer_names
    kinds = np.zeros(len(layer_names), dtype=np.int64)
    kinds[t["layer"]] = t["layer_kind"]
    samples = int(arrays.meta.get("instance_samples", cfg.instance_samples))
    layers: list[_core.AcceleratorLayer] = []
    task_layer = np.asarray(sched["layer"])
    as_gemm = None  # trace tasks run as equivalent linear GEMMs
    if net is not None:
        for li, name in enumerate(layer_names):
            layer = net.layers[li]
            if int(kinds[li]) in _GEMM_KINDS and isinstance(layer, Conv2d | Linear):
                layers.append(_core.AcceleratorLayer(name, True, to_layer_shape(layer.layer_shape(samples))))
            else:
                layers.append(_core.AcceleratorLayer(name))
    else:  # a compute trace without its network: GEMM tasks as equivalent linear GEMMs
        task_layer, layers, as_gemm = _trace_layers(t, layer_names)

    if net is not None and cfg.elementwise == "producer":
        side = _producer_side(net)
        el = ~np.isin(t["layer_kind"], _GEMM_KINDS) & (t["phase"] != int(Phase.WU))
        sched["task_class"] = np.where(el, side[t["layer"]], sched["task_class"]).astype(np.uint8)

    # The reorder window: what the activation stash in DRAM allows (paper.md 1.4), unless set.
    instances = len(np.unique(t["instance"][t["phase"] != int(Phase.WU)]))
    stash = int(t["stash_bytes"][t["phase"] == int(Phase.FP)].sum()) // max(instances, 1)
    dtype_bytes = int(arrays.meta.get("dtype_bytes", 4))
    if net is not None:
        params = int(net.params)
    else:  # a weight update is one operation per parameter
        batches = max(int(arrays.meta.get("batches", 1)), 1)
        params = int(t["vector_ops"][t["phase"] == int(Phase.WU)].sum()) // batches
    capacity = cfg.arch.memory.dram_config().to_spec().capacity_bytes
    stash_limit = stash_window(stash, params, dtype_bytes, int(capacity), max(instances, 1))
    if policy is not None:
        asked = cfg.window if explicit_window or policy_window is None else policy_window
        win = asked if asked > 0 else stash_limit
    else:
        # A scheduler with a window (registry: it reads scheduler.window) gets the stash bound unless one is set.
        windowed = registry.reads("scheduler", cfg.scheduler, "scheduler.window")
        win = cfg.window if cfg.window > 0 else (stash_limit if windowed else 0)
    slots = max(1, min(win if win > 0 else 1, 16))

    sampling_note = None
    if cfg.arch.memory.model == "sampled":  # a cheap batch is simulated wholly in detail (exact)
        line = cfg.arch.memory.dram_config().to_spec().line_bytes
        lines = int(t["bytes_in"].sum() + t["bytes_out"].sum()) // line  # a lower bound: tiling re-reads more
        if lines < cfg.arch.memory.sampling_min_lines:
            cfg = cfg.override({"memory.sampling_fraction": 1.0})
            sampling_note = f"all detailed (at least {lines:,} lines, under sampling_min_lines)"
    engine_of_class = cfg.engine_of_class()
    machine = cfg.to_cpp(window=int(win), address_slots=int(slots))
    run = None
    if policy is not None:
        extra = {
            "layer_kind": t["layer_kind"],
            **{k: t[k].astype(np.int64) for k in ("macs", "vector_ops", "bytes_in", "bytes_out")},
        }
        table = policy_tasks(
            sched["instance"],
            sched["layer"],
            sched["phase"],
            sched["task_class"],
            engine_of_class=engine_of_class,
            extra=extra,
        )
        run = bind_policy(policy, table, tuple(e.name for e in cfg.engines))
    wall = time.perf_counter()  # as before: converting the graph for C++ counts in the run's wall time
    workload = _core.TrainingWorkload(
        instance=sched["instance"],
        layer=task_layer.astype(np.asarray(sched["layer"]).dtype),
        phase=sched["phase"],
        task_class=sched["task_class"],
        dep_offsets=sched["dep_offsets"],
        dep_ids=sched["dep_ids"],
        vector_ops=t["vector_ops"].astype(np.uint64),
        bytes_in=t["bytes_in"].astype(np.uint64),
        bytes_out=t["bytes_out"].astype(np.uint64),
        layers=layers,
    )
    out = _core.simulate_training(workload, machine, progress=progress, policy=run, memory=memory)
    wall = time.perf_counter() - wall

    tasks = task_table(t, sched["task_class"], out)
    if as_gemm is not None:  # the trace's MACs, not the equivalent GEMM's slots (conv BP: BP MACs = FP MACs)
        tasks["macs"] = np.where(as_gemm, t["macs"], tasks["macs"])
    stats = {name: value for name, _unit, _desc, value in out.stats}
    makespan = int(out.makespan_ps)
    period = cfg.arch.clock.period_ps
    mem_model = cfg.arch.memory.model
    time_ci95 = time_estimate = None
    if mem_model == "sampled":  # the run's own estimate (docs/sampling.md): bias-corrected, +- 1.96 sigma
        centre = makespan - float(stats.get("tnpu.sampled.time_correction", 0.0))
        half = 1.96 * float(stats.get("tnpu.sampled.time_sigma", 0.0))
        time_estimate = centre * 1e-12
        time_ci95 = [max(0.0, (centre - half) * 1e-12), (centre + half) * 1e-12]
    dram_pj = dram_model_energy_pj(mem_model, stats)

    def energy_at(time_ps: int, dram_energy_pj: float | None) -> tuple[dict[str, float], dict[str, Any]]:
        return training_energy(
            tasks,
            engines=[(e.name, e.pes) for e in cfg.engines],
            buffer=cfg.arch.buffer,
            clock_period_ps=period,
            time_ps=time_ps,
            dram_bytes=int(out.dram_bytes_read) + int(out.dram_bytes_written),
            dram_energy_pj=dram_energy_pj,
            table=cfg.energy,
        )

    energy, by_phase = energy_at(makespan, dram_pj)
    energy_estimate = None
    if time_estimate is not None and dram_pj is not None:
        # The energy at the bias-corrected batch time: what grows with time (static power, the DRAM's background
        # and refresh power as measured in this run) over the estimated time; the per-access energy unchanged.
        centre_ps = time_estimate * 1e12
        power_w = float(stats.get("tnpu.sampled.dram_time_power", 0.0))
        est, _ = energy_at(round(centre_ps), dram_pj + power_w * (centre_ps - makespan))
        energy_estimate = {
            "energy_j": est["total_pj"] * 1e-12,
            "energy_paper_j": est["total_paper_pj"] * 1e-12,
            "dram_j": est["dram"] * 1e-12,
            "breakdown_pj": est,
        }

    meta = {
        "model": arrays.meta.get("network", getattr(net, "name", "graph")),
        "arch": cfg.name,
        "scheduler": cfg.scheduler if policy is None else f"python:{policy_label(policy)}",
        "batch": int(arrays.meta.get("batch", cfg.batch)),
        "instance_samples": samples,
        "instances": instances,
        "window_limit": int(out.window_limit),
        "window_used": int(out.window_used),
        "stash_bytes_per_instance": stash,
        "stash_window": int(stash_limit),
        "memory_model": memory_label,
        "dram": str(requested.arch.memory.dram)
        if requested.arch.memory.model in ("dram", "sampled", "stream")
        else None,
        "time_s_ci95": time_ci95,
        "time_s_estimate": time_estimate,
        "energy_estimate": energy_estimate,
        "sampling": sampling_note,
        "dram_peak_gbps": _dram_peak_gbps(requested),
        "clock_period_ps": period,
        "makespan_ps": makespan,
        "events": int(out.events),
        "dram_bytes_read": int(out.dram_bytes_read),
        "dram_bytes_written": int(out.dram_bytes_written),
        "dram_requests": int(out.dram_requests),
        "plans": int(out.plans),
        "wall_s": wall,
        "engines": [e.name for e in cfg.engines],
        "engine_pes": [e.pes for e in cfg.engines],
        "engine_of_class": list(engine_of_class),
        "matrix_pes": _class_pes(cfg, 0),
        "vector_pes": _class_pes(cfg, 1),
        "config": requested.to_dict(),
    }
    if policy is not None:
        meta["config"]["scheduler"] = meta["scheduler"]
    return Result(
        tasks=tasks,
        dep_offsets=np.asarray(sched["dep_offsets"], dtype=np.int64),
        dep_ids=np.asarray(sched["dep_ids"], dtype=np.int64),
        busy_ps=np.array(out.busy_ps, dtype=np.uint64),  # a copy: the Result does not pin the C++ result
        layer_names=tuple(layer_names),
        stats=stats,
        energy=energy,
        energy_by_phase=by_phase,
        meta=meta,
    )


def _class_pes(cfg: AcceleratorConfig, cls: int) -> int:
    """PEs doing the work of a task class: the array for matrix work, the lanes (or the array) for vector work."""
    e = cfg.engines[cfg.engine_of_class()[cls]]
    if cls == 0 and e.array_rows:
        return e.array_rows * e.array_cols
    return e.lanes if e.lanes else e.array_rows * e.array_cols


# ---------------------------------------------------------------------------------------------------------------
# The "accelerator" evaluator of tnpu.sweep: one training batch per point.

#: Summary figures a sweep row gets from the accelerator evaluator.
SWEEP_FIGURES = (
    "time_s",
    "energy_j",
    "energy_paper_j",
    "pu_c_util",
    "pu_f_util",
    "dram_util",
    "dram_gbps",
    "dram_bytes",
    "macs",
    "window_used",
    "window_limit",
    "events",
)


def _point_config(point: Mapping[str, Any]) -> tuple[AcceleratorConfig, SchedulingPolicy | None]:
    params = dict(point["params"])
    preset = params.pop("preset", "tnpu")
    if not isinstance(preset, str):
        raise ConfigError(f"space.preset: expected a preset name or .toml file, got {preset!r}")
    policy = None
    sched = params.get("scheduler")
    if isinstance(sched, str) and ":" in sched and sched.rpartition(":")[0].endswith(".py"):
        # a Python policy travels to the sweep's workers as its file.py:Name and is loaded there
        del params["scheduler"]
        try:
            policy = load_policy(sched)
        except ConfigError as exc:
            raise ConfigError(f"space.{exc}") from None
    try:
        return load_accelerator(preset).override(params), policy
    except ConfigError as exc:
        raise ConfigError(f"space: {exc}") from None


def check_accelerator_point(point: dict[str, Any]) -> None:
    """Validate an accelerator-evaluator point (preset, overrides, model spec) without simulating it."""
    _point_config(point)
    try:
        load_model_cached(point["workload"])
    except ConfigError as exc:
        raise ConfigError(f"workloads: {exc}") from None


def evaluate_accelerator(point: dict[str, Any]) -> dict[str, Any]:
    """Simulate one training batch of the point's model (``workload``, a model spec) on its accelerator.

    ``params``: ``preset`` (default ``tnpu``) and any dotted-path override of
    :meth:`tnpu.accelerator.AcceleratorConfig.override` (``batch``, ``window``, ``memory.bandwidth_gbps``,
    ``engines.pu_c.array_rows``...); ``scheduler`` may also be a Python policy as ``path/to/file.py:Name``. Returns
    the figures of :data:`SWEEP_FIGURES`.
    """
    cfg, policy = _point_config(point)
    s = simulate(load_model_cached(point["workload"]), cfg, scheduler=policy).summary()
    return {k: s[k] for k in SWEEP_FIGURES}
