"""Compute-trace replay: predict every recorded task's cycles on a preset and compare with the recording.

A compute trace (:mod:`tnpu.workloads.traces`) holds task records (GEMM shape ``m, n, k``, MACs, vector operations,
bytes, layer kind, dependencies) and, when a run recorded them, ``start_cycle``/``end_cycle``. It holds no layer
shapes, so each task is predicted *in isolation* from its record alone (``docs/compute_replay.md``):

- **GEMM tasks** (conv or linear FP/BP/GD with ``m, n, k > 0``) run as the GEMM of a linear layer chosen so that its
  pass lowers to the same ``(M, K, N)`` as the task (and the same operand roles: a GD task accumulates into dW when
  the preset does), through the same datapath model as :func:`tnpu.simulate`: the tiling search on the engine's
  share of the global buffer, the DMA engine, the preset's memory model, and the engine for the task's class (conv
  on the matrix engine's PE array, everything else on the vector engine's lanes). For conv tasks the im2col
  footprint is not known from the trace (the input tile is stored as a dense ``K x N`` matrix instead of the smaller
  input window it is gathered from), so tiles, traffic and hence cycles may differ from a run that knew the shape.
- **Element-wise tasks** (ReLU, pooling, loss, WU, ...) stream their bytes through the engine's buffer share in
  double-buffered chunks, each computing its share of the vector operations on the lanes: ``ops / lanes`` cycles of
  compute overlapped with ``bytes / bandwidth`` of transfers through the memory model.

All unique task records cross into C++ once and run one after another on the ``inorder`` scheduler (one task at a
time, so none waits for another's memory traffic); each task's predicted cycles is its duration there. Recorded
cycles are read in the preset's clock.

Examples
--------
>>> import tnpu
>>> from tnpu.compute_replay import replay_compute_trace
>>> from tnpu.workloads import TrainingGraph, get_network
>>> arrays = TrainingGraph(get_network("lenet5"), batch=1).to_arrays()
>>> cycles = predict_task_cycles(arrays, "tnpu", overrides={"memory.model": "ideal"})
>>> bool((cycles[arrays.tasks["macs"] > 0] > 0).all())
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tnpu import _core
from tnpu.accelerator import AcceleratorConfig, load_accelerator
from tnpu.errors import ConfigError, TraceFormatError
from tnpu.layer import to_layer_shape
from tnpu.workloads.layers import LayerKind, Phase
from tnpu.workloads.training import TaskArrays

_BATCH_INSTANCE = 2**32 - 1
PHASE_NAMES = tuple(p.name for p in Phase)
KIND_NAMES = tuple(k.label for k in LayerKind)

#: One row per compared task of :class:`ComputeReplay`. ``error`` = (predicted - recorded) / recorded (NaN when the
#: recorded duration is 0); ``engine`` indexes ``ComputeReplay.engines``.
REPLAY_DTYPE = np.dtype(
    [
        ("id", "<i8"),
        ("instance", "<i8"),
        ("phase", "u1"),
        ("layer", "<i4"),
        ("kind", "u1"),
        ("engine", "u1"),
        ("m", "<i8"),
        ("n", "<i8"),
        ("k", "<i8"),
        ("recorded_cycles", "<i8"),
        ("predicted_cycles", "<i8"),
        ("error", "<f8"),
    ]
)


def equivalent_linear(kind: int, phase: int, m: int, n: int, k: int) -> dict[str, Any]:
    """Return the linear layer whose ``phase`` pass lowers to the same GEMM as a trace task ``(kind, phase, m, n, k)``.

    The relation between a task record's ``(m, n, k)`` and the executed GEMM lives in C++ with the lowering
    (``linear_for_record`` in ``cpp/include/tnpu/workload/layer_costs.hpp``); this returns its answer as a
    ``layer_shape()`` dict. Raises ConfigError for a weight update (not a GEMM).
    """
    sh = _core.linear_for_record(LayerKind(int(kind)), int(phase), int(m), int(n), int(k))
    return {"kind": "linear", "n": int(sh.n), "c": int(sh.c), "k": int(sh.k)}


def _config(arch: str | AcceleratorConfig, overrides: Mapping[str, Any] | None) -> AcceleratorConfig:
    cfg = load_accelerator(arch)
    cfg = cfg.override(dict(overrides)) if overrides else cfg
    cfg.validate()
    return cfg


def _task_classes(t: npt.NDArray[np.void]) -> npt.NDArray[np.uint8]:
    """Matrix (0) for conv FP/BP/GD, vector (1) for everything else: what ``TaskArrays.schedule_arrays`` assigns."""
    matrix = (t["layer_kind"] == int(LayerKind.CONV)) & (t["phase"] != int(Phase.WU))
    return np.where(matrix, 0, 1).astype(np.uint8)


def predict_task_cycles(
    arrays: TaskArrays,
    arch: str | AcceleratorConfig = "tnpu",
    *,
    overrides: Mapping[str, Any] | None = None,
) -> npt.NDArray[np.int64]:
    """Predicted cycles (the preset's clock) of every task of ``arrays``, each in isolation (see the module doc).

    Tasks with the same record (class, phase, kind, GEMM shape or vector work and bytes) are simulated once.
    """
    cfg = _config(arch, overrides)
    t = arrays.tasks
    if len(t) == 0:
        return np.zeros(0, dtype=np.int64)
    cls = _task_classes(t)
    gemm = (
        np.isin(t["layer_kind"], (int(LayerKind.CONV), int(LayerKind.LINEAR)))
        & (t["phase"] != int(Phase.WU))
        & (t["m"] > 0)
        & (t["n"] > 0)
        & (t["k"] > 0)
    )
    key = np.zeros(
        len(t),
        dtype=[
            ("gemm", "u1"),
            ("cls", "u1"),
            ("phase", "u1"),
            ("kind", "u1"),
            ("a", "<i8"),
            ("b", "<i8"),
            ("c", "<i8"),
        ],
    )
    key["gemm"] = gemm
    key["cls"] = cls
    key["phase"] = np.where(gemm, t["phase"], np.where(t["phase"] == int(Phase.WU), int(Phase.WU), 0))
    key["kind"] = np.where(gemm, t["layer_kind"], 0)
    key["a"] = np.where(gemm, t["m"], t["vector_ops"])
    key["b"] = np.where(gemm, t["n"], t["bytes_in"])
    key["c"] = np.where(gemm, t["k"], t["bytes_out"])
    uniq, inverse = np.unique(key, return_inverse=True)
    u = len(uniq)

    layers = []
    for i, row in enumerate(uniq):
        name = f"task_record_{i}"
        if row["gemm"]:
            shape = equivalent_linear(
                int(row["kind"]), int(row["phase"]), int(row["a"]), int(row["b"]), int(row["c"])
            )
            layers.append(_core.AcceleratorLayer(name, True, to_layer_shape(shape)))
        else:
            layers.append(_core.AcceleratorLayer(name))
    is_gemm = uniq["gemm"].astype(bool)
    zero = np.zeros(u, dtype=np.uint64)
    instance = np.where(uniq["phase"] == int(Phase.WU), _BATCH_INSTANCE, 0).astype(np.uint32)
    workload = _core.TrainingWorkload(
        instance=instance,
        layer=np.arange(u, dtype=np.uint32),
        phase=uniq["phase"].astype(np.uint8),
        task_class=uniq["cls"].astype(np.uint8),
        dep_offsets=np.zeros(u + 1, dtype=np.uint64),
        dep_ids=np.zeros(0, dtype=np.uint32),
        vector_ops=np.where(is_gemm, zero, uniq["a"]).astype(np.uint64),
        bytes_in=np.where(is_gemm, zero, uniq["b"]).astype(np.uint64),
        bytes_out=np.where(is_gemm, zero, uniq["c"]).astype(np.uint64),
        layers=layers,
    )
    machine = cfg.to_cpp(window=0)
    machine.scheduler = "inorder"  # every record alone, one after another: nothing overlaps
    out = _core.simulate_training(workload, machine)
    period = int(cfg.arch.clock.period_ps)
    dur = (np.asarray(out.end_ps, dtype=np.int64) - np.asarray(out.start_ps, dtype=np.int64)).astype(np.int64)
    cycles = (dur + period // 2) // period
    return cycles[np.asarray(inverse).reshape(-1)]


@dataclass
class ComputeReplay:
    """Predicted against recorded cycles of a compute trace's tasks (see the module docstring)."""

    trace: str
    arch: str
    memory_model: str
    clock_period_ps: int
    engines: tuple[str, ...]
    layer_names: tuple[str, ...]
    #: Compared tasks (recorded start and end cycles), rows of :data:`REPLAY_DTYPE` in trace order.
    tasks: npt.NDArray[np.void]
    #: Tasks of the trace without a recorded timing (not compared).
    unrecorded: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def worst(self, count: int | None = None) -> npt.NDArray[np.void]:
        """Return the compared tasks by absolute error, worst first (tasks recorded as 0 cycles last); ``count``: at most."""
        err = np.abs(self.tasks["error"])
        order = np.lexsort((self.tasks["id"], -np.nan_to_num(err, nan=-1.0)))
        rows = self.tasks[order]
        return rows if count is None else rows[:count]

    def summary(self, worst: int = 5) -> dict[str, Any]:
        """Return the error summary: mean absolute percentage error, count, totals and the ``worst`` tasks."""
        t = self.tasks
        valid = t["recorded_cycles"] > 0
        ape = np.abs(t["error"][valid]) * 100
        rec_total = int(t["recorded_cycles"].sum())
        pred_total = int(t["predicted_cycles"].sum())
        return {
            "trace": self.trace,
            "arch": self.arch,
            "memory_model": self.memory_model,
            "tasks": len(t),
            "compared": int(valid.sum()),
            "zero_recorded": int((~valid).sum()),
            "unrecorded": int(self.unrecorded),
            "mape_pct": float(ape.mean()) if ape.size else 0.0,
            "median_ape_pct": float(np.median(ape)) if ape.size else 0.0,
            "max_ape_pct": float(ape.max()) if ape.size else 0.0,
            "recorded_cycles_total": rec_total,
            "predicted_cycles_total": pred_total,
            "total_error_pct": (pred_total - rec_total) / rec_total * 100 if rec_total else 0.0,
            "worst": [self._row(r) for r in self.worst(worst)],
        }

    def _row(self, r: np.void) -> dict[str, Any]:
        err = float(r["error"])
        return {
            "id": int(r["id"]),
            "instance": int(r["instance"]),
            "phase": PHASE_NAMES[int(r["phase"])],
            "layer": self.layer_names[int(r["layer"])],
            "kind": KIND_NAMES[int(r["kind"])],
            "engine": self.engines[int(r["engine"])],
            "gemm": [int(r["m"]), int(r["n"]), int(r["k"])],
            "recorded_cycles": int(r["recorded_cycles"]),
            "predicted_cycles": int(r["predicted_cycles"]),
            "error_pct": None if np.isnan(err) else err * 100,
        }

    def to_dict(self) -> dict[str, Any]:
        """Summary and every compared task (worst first) as plain data."""
        return {"summary": self.summary(), "tasks": [self._row(r) for r in self.worst()], "meta": self.meta}

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON."""
        return json.dumps(self.to_dict(), sort_keys=True)

    def format(self, top: int = 25) -> str:
        """Return the per-task table (worst first, ``top`` rows; 0: all) and the error summary as text."""
        s = self.summary()
        rows = self.worst(None if top == 0 else top)
        head = (
            f"tnpu replay compute: {self.trace} on {self.arch} (memory {self.memory_model}, "
            f"{1e6 / self.clock_period_ps:.0f} MHz); tasks predicted in isolation"
        )
        columns = (
            f"  {'id':>7} {'inst':>4} {'phase':<5} {'layer':<14} {'kind':<8} {'engine':<6} {'recorded':>12}"
            f" {'predicted':>12} {'error %':>9}"
        )
        lines = [head, columns]
        for r in rows:
            d = self._row(r)
            err = "n/a" if d["error_pct"] is None else f"{d['error_pct']:+.1f}"
            inst = "-" if d["phase"] == "WU" else str(d["instance"])
            lines.append(
                f"  {d['id']:>7} {inst:>4} {d['phase']:<5} {d['layer'][:14]:<14} {d['kind']:<8} {d['engine']:<6}"
                f" {d['recorded_cycles']:>12,} {d['predicted_cycles']:>12,} {err:>9}"
            )
        if len(rows) < len(self.tasks):
            lines.append(f"  ... {len(self.tasks) - len(rows)} more tasks (--top 0 lists all)")
        lines.append("")
        lines.append(
            f"  compared {s['compared']} tasks"
            + (f" ({s['zero_recorded']} recorded as 0 cycles not in the error)" if s["zero_recorded"] else "")
            + (f"; {s['unrecorded']} without a recorded timing skipped" if s["unrecorded"] else "")
        )
        lines.append(
            f"  mean absolute percentage error {s['mape_pct']:.2f} %  (median {s['median_ape_pct']:.2f} %,"
            f" max {s['max_ape_pct']:.2f} %)"
        )
        lines.append(
            f"  total cycles: recorded {s['recorded_cycles_total']:,}, predicted {s['predicted_cycles_total']:,}"
            f" ({s['total_error_pct']:+.2f} %)"
        )
        if s["worst"]:
            worst = ", ".join(
                f"{w['id']} ({w['phase']} {w['layer']}: {w['error_pct']:+.1f} %)"
                for w in s["worst"]
                if w["error_pct"] is not None
            )
            lines.append(f"  worst tasks: {worst}")
        return "\n".join(lines)


def replay_compute_trace(
    trace: str | os.PathLike[str] | TaskArrays,
    arch: str | AcceleratorConfig = "tnpu",
    *,
    overrides: Mapping[str, Any] | None = None,
) -> ComputeReplay:
    """Predict each task of a compute trace on ``arch`` and compare with its recorded cycles.

    Parameters
    ----------
    trace
        A ``.csv`` / ``.npz`` compute trace with ``start_cycle``/``end_cycle`` recorded, or its TaskArrays.
    arch
        A preset name, a TOML file or an AcceleratorConfig; recorded cycles are taken in its clock.
    overrides
        Dotted-path settings (``{"memory.model": "fixed"}``...), as for :func:`tnpu.simulate`.

    Raises
    ------
    TraceFormatError
        For an unreadable trace, one with no recorded timing, or a task that ends before it starts (naming the file
        and the task id).
    """
    from tnpu.workloads.traces import read_compute_trace

    if isinstance(trace, TaskArrays):
        arrays, where = trace, "<task arrays>"
    else:
        where = str(trace)
        if not os.path.isfile(where):
            raise TraceFormatError(f"{where}: no such compute trace file")
        arrays = read_compute_trace(trace)
    t = arrays.tasks
    start, end = t["start_cycle"], t["end_cycle"]
    half = (start >= 0) != (end >= 0)
    if half.any():
        tid = int(t["id"][np.argmax(half)])
        raise TraceFormatError(f"{where}: task {tid}: expected both start_cycle and end_cycle, or neither")
    recorded = (start >= 0) & (end >= 0)
    if not recorded.any():
        raise TraceFormatError(
            f"{where}: no task has a recorded start_cycle/end_cycle; nothing to compare "
            "(write one with tnpu.compute_replay.record_timings)"
        )
    backwards = recorded & (end < start)
    if backwards.any():
        i = int(np.argmax(backwards))
        raise TraceFormatError(
            f"{where}: task {int(t['id'][i])}: end_cycle {int(end[i])} is before start_cycle {int(start[i])}"
        )
    cfg = _config(arch, overrides)
    predicted = predict_task_cycles(arrays, cfg)
    sel = np.flatnonzero(recorded)
    rows = np.zeros(len(sel), dtype=REPLAY_DTYPE)
    r = t[sel]
    for name in ("id", "instance", "phase", "layer", "m", "n", "k"):
        rows[name] = r[name]
    rows["instance"] = np.where(r["phase"] == int(Phase.WU), -1, r["instance"])
    rows["kind"] = r["layer_kind"]
    rows["engine"] = np.asarray(cfg.engine_of_class(), dtype=np.uint8)[_task_classes(r)]
    rows["recorded_cycles"] = r["end_cycle"] - r["start_cycle"]
    rows["predicted_cycles"] = predicted[sel]
    rec = rows["recorded_cycles"].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["error"] = np.where(
            rec > 0, (rows["predicted_cycles"] - rec) / np.where(rec > 0, rec, 1), np.nan
        )
    return ComputeReplay(
        trace=where,
        arch=cfg.name,
        memory_model=cfg.arch.memory.model,
        clock_period_ps=int(cfg.arch.clock.period_ps),
        engines=tuple(e.name for e in cfg.engines),
        layer_names=tuple(arrays.layer_names),
        tasks=rows,
        unrecorded=int((~recorded).sum()),
        meta={k: v for k, v in arrays.meta.items() if isinstance(v, str | int | float)},
    )


def record_timings(arrays: TaskArrays, result: Any) -> TaskArrays:
    """Return a copy of ``arrays`` with each task's start/end cycle from a :class:`tnpu.results.Result` of it.

    The result must come from simulating the same graph (e.g. ``tnpu.simulate(network, ...)`` and
    ``TrainingGraph(network, batch=...).to_arrays()``); tasks are matched by id.
    """
    t = arrays.tasks.copy()
    rt = result.tasks
    order = np.argsort(rt["task_id"], kind="stable")
    pos = np.searchsorted(rt["task_id"], t["id"], sorter=order)
    pos = order[np.minimum(pos, len(order) - 1)] if len(order) else pos
    if len(rt) != len(t) or not np.array_equal(rt["task_id"][pos], t["id"]):
        raise ConfigError(
            "result: its tasks are not the tasks of this graph (simulate the same network and batch)"
        )
    period = int(result.meta["clock_period_ps"])
    t["start_cycle"] = (rt["start_ps"][pos] // period).astype(np.int64)
    t["end_cycle"] = t["start_cycle"] + (
        (rt["end_ps"][pos] - rt["start_ps"][pos] + period // 2) // period
    ).astype(np.int64)
    return TaskArrays(
        t, arrays.dep_offsets.copy(), arrays.dep_ids.copy(), arrays.layer_names, dict(arrays.meta)
    )
