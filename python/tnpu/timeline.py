"""Chrome / Perfetto trace-event export of an executed schedule.

The file opens in https://ui.perfetto.dev and chrome://tracing: one track (thread) per engine, each task a slice
named like ``i3 FP L2`` with its task id, instance, phase and layer in ``args``; optional counter tracks (e.g. DRAM
bandwidth or buffer occupancy) as ``ph: "C"`` events. Times in the file are microseconds (the format's unit) with
picosecond resolution kept as fractional digits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from tnpu import _core

if TYPE_CHECKING:
    from tnpu.results import Result

PHASE_NAMES = tuple(p.name for p in _core.Phase)  # "FP", "BP", "GD", "WU": the C++ enum's names
_PS_PER_US = 1_000_000
_BATCH = 2**32 - 1


def _us(ps: int) -> float:
    return ps / _PS_PER_US


def trace_events(
    *,
    start_ps: npt.ArrayLike,
    end_ps: npt.ArrayLike,
    engine: npt.ArrayLike,
    engines: Sequence[str],
    instance: npt.ArrayLike,
    phase: npt.ArrayLike,
    layer: npt.ArrayLike,
    layer_names: Sequence[str] | None = None,
    counters: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]] | None = None,
    process_name: str = "tnpu",
) -> dict[str, Any]:
    """Build the trace-event JSON object for a schedule.

    Parameters
    ----------
    start_ps, end_ps, engine, instance, phase, layer
        Per-task arrays of the executed schedule (engine: index into ``engines``; phase: 0..3 for FP/BP/GD/WU).
    engines
        Engine names, one track each.
    layer_names
        Optional names of the layers, used in slice names instead of ``L<index>``.
    counters
        Optional counter tracks: name -> (times in ps, values).
    process_name
        Name of the process the tracks belong to.
    """
    start = np.asarray(start_ps, dtype=np.uint64)
    end = np.asarray(end_ps, dtype=np.uint64)
    eng = np.asarray(engine, dtype=np.int64)
    inst = np.asarray(instance, dtype=np.uint64)
    ph = np.asarray(phase, dtype=np.int64)
    lay = np.asarray(layer, dtype=np.int64)
    if not (len(start) == len(end) == len(eng) == len(inst) == len(ph) == len(lay)):
        raise ValueError("trace_events: the per-task arrays must all have the same length")
    pid = 1
    events: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": process_name}}
    ]
    for tid, name in enumerate(engines, start=1):
        events.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid, "args": {"name": name}})
        events.append(
            {"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid, "args": {"sort_index": tid}}
        )
    for t in range(len(start)):
        lname = layer_names[lay[t]] if layer_names is not None else f"L{lay[t]}"
        who = "batch" if inst[t] == _BATCH else f"i{inst[t]}"
        events.append(
            {
                "name": f"{who} {PHASE_NAMES[ph[t]]} {lname}",
                "cat": PHASE_NAMES[ph[t]],
                "ph": "X",
                "ts": _us(int(start[t])),
                "dur": _us(int(end[t] - start[t])),
                "pid": pid,
                "tid": int(eng[t]) + 1,
                "args": {
                    "task_id": t,
                    "instance": None if inst[t] == _BATCH else int(inst[t]),
                    "phase": PHASE_NAMES[ph[t]],
                    "layer": lname,
                    "start_ps": int(start[t]),
                    "end_ps": int(end[t]),
                },
            }
        )
    for cname, (times, values) in (counters or {}).items():
        for ts, v in zip(np.asarray(times, dtype=np.uint64), np.asarray(values, dtype=float), strict=True):
            events.append(
                {"name": cname, "ph": "C", "ts": _us(int(ts)), "pid": pid, "args": {cname: float(v)}}
            )
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": {"time_unit_of_args": "ps"}}


def write_timeline(path: str | Path, events: Mapping[str, Any], *, overwrite: bool = False) -> Path:
    """Write a trace-event object to ``path`` as JSON; refuses to replace an existing file unless ``overwrite``."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise FileExistsError(f"{p}: exists already (pass overwrite=True, or --force on the command line)")
    p.write_text(json.dumps(events, separators=(",", ":")))
    return p


def dram_bandwidth_counter(
    result: Result, bins: int = 200
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64]]:
    """DRAM bandwidth over time (GB/s) from the tasks' DRAM bytes, each spread evenly over its task's duration.

    Returns ``(bin start times in ps, GB/s)``: an approximation at task granularity (the controller's own
    per-request timing is in its statistics, not here).
    """
    span = max(result.makespan_ps, 1)
    edges = np.linspace(0, span, bins + 1)
    t = result.tasks
    start = t["start_ps"].astype(np.float64)
    end = t["end_ps"].astype(np.float64)
    rate = (t["dram_read_bytes"] + t["dram_write_bytes"]).astype(np.float64) / np.maximum(end - start, 1.0)
    gbps = np.zeros(bins)
    for b in range(bins):
        lo, hi = edges[b], edges[b + 1]
        overlap = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0, None)
        gbps[b] = float((rate * overlap).sum()) / (hi - lo) * 1e3  # bytes/ps -> GB/s
    return edges[:-1].astype(np.uint64), gbps


def write_result_timeline(result: Result, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a simulation result as a trace: a track per engine (tasks named ``i3 FP conv2``) and a DRAM counter."""
    t = result.tasks
    inst = np.where(t["instance"] < 0, _BATCH, t["instance"]).astype(np.uint64)
    times, gbps = dram_bandwidth_counter(result)
    events = trace_events(
        start_ps=t["start_ps"],
        end_ps=t["end_ps"],
        engine=t["engine"],
        engines=result.engines,
        instance=inst,
        phase=t["phase"],
        layer=t["layer"],
        layer_names=result.layer_names,
        counters={"dram GB/s": (times, gbps)},
        process_name=f"{result.meta['arch']} {result.meta['model']}",
    )
    return write_timeline(path, events, overwrite=overwrite)
