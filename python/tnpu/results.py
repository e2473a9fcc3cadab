"""The result of a training simulation: per-task table, per-engine busy time, DRAM statistics, energy.

Arrays come back from C++ without a copy; this class only arranges them. ``save``/``load`` round-trip exactly (the
arrays in an ``.npz`` file, the rest as JSON inside it); ``to_json`` gives the summary and the metadata;
``to_pandas`` the task table (pandas extra); ``write_schedule_csv`` the executed schedule with each task's
dependencies so anyone can check it; ``timeline`` a Chrome/Perfetto trace.
"""

from __future__ import annotations

import csv
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tnpu import _core
from tnpu.errors import ConfigError

#: Phase names by code (the C++ enum ``tnpu._core.Phase``: FP, BP, GD, WU).
PHASE_NAMES: tuple[str, ...] = tuple(p.name for p in _core.Phase)

#: One row per executed task. ``instance`` is -1 for batch-level tasks (WU); ``engine`` indexes ``meta["engines"]``;
#: ``task_class`` 0 matrix (conv GEMMs), 1 vector (FC, element-wise, WU); ``stall_ps`` = duration - compute time
#: (waiting for memory); ``sram_*`` in buffer words.
TASK_RESULT_DTYPE = np.dtype(
    [
        ("task_id", "<i8"),
        ("instance", "<i8"),
        ("phase", "u1"),
        ("layer", "<i4"),
        ("layer_kind", "u1"),
        ("task_class", "u1"),
        ("engine", "u1"),
        ("start_ps", "<u8"),
        ("end_ps", "<u8"),
        ("compute_ps", "<u8"),
        ("stall_ps", "<u8"),
        ("macs", "<u8"),
        ("dram_read_bytes", "<u8"),
        ("dram_write_bytes", "<u8"),
        ("sram_reads", "<u8"),
        ("sram_writes", "<u8"),
        ("tiles", "<u8"),
    ]
)


#: Columns of the task table that the C++ result (``tnpu._core.TrainingResult``) holds under the same name.
SIMULATED_COLUMNS = (
    "engine",
    "start_ps",
    "end_ps",
    "compute_ps",
    "macs",
    "dram_read_bytes",
    "dram_write_bytes",
    "sram_reads",
    "sram_writes",
    "tiles",
)


def task_table(
    graph_tasks: npt.NDArray[np.void], task_class: npt.ArrayLike, run: Any
) -> npt.NDArray[np.void]:
    """Return the task table (:data:`TASK_RESULT_DTYPE`) of a run: the graph's tasks and what was measured.

    ``graph_tasks``: the simulated tasks in program order (a task graph's rows: ``id``, ``instance``, ``phase``,
    ``layer``, ``layer_kind``); ``task_class``: the class each ran as; ``run``: the ``tnpu._core.TrainingResult``,
    whose per-task arrays fill the columns of the same name (:data:`SIMULATED_COLUMNS`). ``instance`` is -1 for
    the batch's weight updates and ``stall_ps`` the time a task was not computing.
    """
    t = graph_tasks
    tasks = np.zeros(len(t), dtype=TASK_RESULT_DTYPE)
    tasks["task_id"] = t["id"]
    tasks["instance"] = np.where(t["phase"] == int(_core.Phase.WU), -1, t["instance"])
    for name in ("phase", "layer", "layer_kind"):
        tasks[name] = t[name]
    tasks["task_class"] = task_class
    for name in SIMULATED_COLUMNS:
        tasks[name] = getattr(run, name)
    dur = tasks["end_ps"] - tasks["start_ps"]
    tasks["stall_ps"] = np.where(dur > tasks["compute_ps"], dur - tasks["compute_ps"], 0)
    return tasks


@dataclass
class Result:
    """What one simulation produced (see the module docstring)."""

    tasks: npt.NDArray[np.void]
    dep_offsets: npt.NDArray[np.int64]
    dep_ids: npt.NDArray[np.int64]  # positions in ``tasks``
    busy_ps: npt.NDArray[np.uint64]
    layer_names: tuple[str, ...]
    stats: dict[str, Any]
    energy: dict[str, float]
    energy_by_phase: dict[str, dict[str, float]]
    meta: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------------------------------------ figures
    @property
    def makespan_ps(self) -> int:
        """Simulated time of the batch (ps)."""
        return int(self.meta["makespan_ps"])

    @property
    def time_s(self) -> float:
        """Simulated time of the batch (s)."""
        return self.makespan_ps * 1e-12

    @property
    def engines(self) -> tuple[str, ...]:
        """Engine names, indexed by ``tasks["engine"]``."""
        return tuple(self.meta["engines"])

    def _class_util(self, cls: int) -> float:
        pes = self.meta["matrix_pes" if cls == 0 else "vector_pes"]
        cycles = self.makespan_ps / self.meta["clock_period_ps"]
        macs = float(self.tasks["macs"][self.tasks["task_class"] == cls].sum())
        return macs / (pes * cycles) if cycles > 0 and pes > 0 else 0.0

    def busy_fraction(self) -> dict[str, float]:
        """Busy time / batch time per engine (``summary()["busy"]``).

        An engine is busy from a task's start to its end, waiting on DRAM included; how much of that time it computes
        is :meth:`mac_utilisation`.
        """
        span = max(self.makespan_ps, 1)
        return {name: float(self.busy_ps[i]) / span for i, name in enumerate(self.engines)}

    def utilisation(self) -> dict[str, float]:
        """Return :meth:`busy_fraction` (deprecated name: this is busy time, not MAC utilisation)."""
        warnings.warn(
            "Result.utilisation() is the busy fraction; call busy_fraction() (mac_utilisation() for MACs)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.busy_fraction()

    def mac_utilisation(self) -> dict[str, float]:
        """MACs each engine did / what its PEs could do in the batch time.

        For an engine that runs one class of work this is ``summary()``'s ``pu_c_util`` or ``pu_f_util``; a
        time-multiplexed unit (DaDianNao's ``array``) gets the sum of both.
        """
        cycles = self.makespan_ps / self.meta["clock_period_ps"]
        t = self.tasks
        out = {}
        for e, name in enumerate(self.engines):
            pes = self.meta["engine_pes"][e]
            macs = float(t["macs"][t["engine"] == e].sum())
            out[name] = macs / (pes * cycles) if cycles > 0 and pes > 0 else 0.0
        return out

    def summary(self) -> dict[str, Any]:
        """Return the figures of the run as plain values (what ``tnpu run --json`` prints).

        ``pu_c_util`` / ``pu_f_util``: conv (matrix) and FC/element-wise (vector) MACs over what the PEs doing that
        work could do in the batch time (for a time-multiplexed unit both count against its whole array);
        ``dram_util``: bytes moved over peak bandwidth x time.
        """
        span_s = self.time_s
        dram_bytes = self.meta["dram_bytes_read"] + self.meta["dram_bytes_written"]
        peak = self.meta["dram_peak_gbps"] * 1e9
        return {
            "model": self.meta["model"],
            "arch": self.meta["arch"],
            "scheduler": self.meta["scheduler"],
            "batch": self.meta["batch"],
            "tasks": len(self.tasks),
            "time_s": span_s,
            "energy_j": self.energy["total_pj"] * 1e-12,
            "energy_paper_j": self.energy["total_paper_pj"] * 1e-12,
            "pu_c_util": self._class_util(0),
            "pu_f_util": self._class_util(1),
            "busy": self.busy_fraction(),
            "dram_util": dram_bytes / (peak * span_s) if span_s > 0 and peak > 0 else 0.0,
            "dram_bytes": dram_bytes,
            "dram_gbps": dram_bytes / span_s * 1e-9 if span_s > 0 else 0.0,
            "macs": int(self.tasks["macs"].sum()),
            "window_limit": self.meta["window_limit"],
            "window_used": self.meta["window_used"],
            "memory_model": self.meta["memory_model"],
            "time_s_ci95": self.meta.get("time_s_ci95"),
            "time_s_estimate": self.meta.get("time_s_estimate"),
            "energy_j_estimate": (self.meta.get("energy_estimate") or {}).get("energy_j"),
            "energy_paper_j_estimate": (self.meta.get("energy_estimate") or {}).get("energy_paper_j"),
            "events": self.meta["events"],
            "wall_s": self.meta["wall_s"],
        }

    def energy_table(self) -> str:
        """Return the energy breakdown as aligned text (pJ -> mJ)."""
        lines = [f"{'component':<24} {'mJ':>12}"]
        for k, v in self.energy.items():
            lines.append(f"{k:<24} {v * 1e-9:>12.3f}")
        return "\n".join(lines)

    # ------------------------------------------------------------------------------------------------ export
    def to_json(self) -> str:
        """Summary, energy (by component and phase) and metadata as one JSON object."""
        return json.dumps(
            {
                "summary": self.summary(),
                "energy_pj": self.energy,
                "energy_by_phase_pj": self.energy_by_phase,
                "meta": {k: v for k, v in self.meta.items() if k != "config"},
                "config": self.meta.get("config"),
            },
            sort_keys=True,
        )

    def to_pandas(self) -> Any:
        """Return the task table as a pandas DataFrame (pandas extra), with names instead of codes.

        ``phase`` (FP/BP/GD/WU), ``layer`` (the layer's name; ``layer_index`` keeps its position), ``layer_kind``
        (conv, linear, relu, ...), ``task_class`` (matrix, vector) and ``engine`` (pu_c, pu_f, array) are names;
        ``layer_name`` is kept as an alias of ``layer`` for older scripts.
        """
        from tnpu._optional import optional_import
        from tnpu.workloads.layers import LayerKind

        pd = optional_import("pandas")
        df = pd.DataFrame(self.tasks)
        df["phase"] = [PHASE_NAMES[p] for p in self.tasks["phase"]]
        df["layer_index"] = self.tasks["layer"]
        df["layer"] = [self.layer_names[i] for i in self.tasks["layer"]]
        df["layer_name"] = df["layer"]
        df["layer_kind"] = [LayerKind(int(k)).label for k in self.tasks["layer_kind"]]
        df["task_class"] = [("matrix", "vector")[int(c)] for c in self.tasks["task_class"]]
        df["engine"] = [self.engines[e] for e in self.tasks["engine"]]
        return df

    def dependencies(self, position: int) -> npt.NDArray[np.int64]:
        """Positions of the tasks the task at ``position`` waited for."""
        return self.dep_ids[self.dep_offsets[position] : self.dep_offsets[position + 1]]

    def write_schedule_csv(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the executed schedule: ``task_id, instance, phase, layer, engine, start_ps, end_ps, dependencies``.

        ``dependencies`` are the task ids it waited for, separated by spaces. Refuses to overwrite an existing file
        unless ``overwrite``.
        """
        p = Path(path)
        if p.exists() and not overwrite:
            raise ConfigError(f"{p}: exists; not overwriting it (choose another path or pass overwrite)")
        t = self.tasks
        ids = t["task_id"]
        with p.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(
                ["task_id", "instance", "phase", "layer", "engine", "start_ps", "end_ps", "dependencies"]
            )
            for i in range(len(t)):
                deps = " ".join(str(int(ids[d])) for d in self.dependencies(i))
                w.writerow(
                    [
                        int(ids[i]),
                        int(t["instance"][i]),
                        PHASE_NAMES[int(t["phase"][i])],
                        self.layer_names[int(t["layer"][i])],
                        self.engines[int(t["engine"][i])],
                        int(t["start_ps"][i]),
                        int(t["end_ps"][i]),
                        deps,
                    ]
                )
        return p

    def _per_bin(self, bins: int, macs: bool) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise ConfigError(f"bins: expected a whole number >= 1, got {bins!r}")
        span = max(self.makespan_ps, 1)
        edges = np.linspace(0, span, bins + 1)
        out = np.zeros((len(self.engines), bins))
        t = self.tasks
        for e in range(len(self.engines)):
            sel = t["engine"] == e
            s = t["start_ps"][sel].astype(np.float64)
            en = t["end_ps"][sel].astype(np.float64)
            # a task's MACs spread evenly over its duration
            rate = t["macs"][sel].astype(np.float64) / np.maximum(en - s, 1.0) if macs else None
            for b in range(bins):
                lo, hi = edges[b], edges[b + 1]
                overlap = np.clip(np.minimum(en, hi) - np.maximum(s, lo), 0, None)
                if rate is None:
                    out[e, b] = overlap.sum() / (hi - lo)
                else:
                    capacity = self.meta["engine_pes"][e] * (hi - lo) / self.meta["clock_period_ps"]
                    out[e, b] = float((rate * overlap).sum()) / capacity if capacity > 0 else 0.0
        return edges * 1e-12, out

    def busy_over_time(self, bins: int = 100) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Fraction of each bin each engine was busy: ``(bin_edges_s, busy[engine, bin])``."""
        return self._per_bin(bins, macs=False)

    def mac_utilisation_over_time(
        self, bins: int = 100
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """MAC utilisation of each engine in each bin: ``(bin_edges_s, util[engine, bin])``.

        A task's MACs count as spread evenly over its duration; the bins average to :meth:`mac_utilisation`.
        """
        return self._per_bin(bins, macs=True)

    def timeline(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write a Chrome / Perfetto trace-event JSON: a track per engine, tasks as slices ``i3 FP conv2``."""
        from tnpu.timeline import write_result_timeline

        return write_result_timeline(self, path, overwrite=overwrite)

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Save everything to ``path`` (``.npz``); :func:`load` reads it back exactly."""
        p = Path(path)
        if p.suffix != ".npz":
            raise ConfigError(f"{p}: a result is saved as .npz")
        if p.exists() and not overwrite:
            raise ConfigError(f"{p}: exists; not overwriting it (choose another path or pass overwrite)")
        doc = {
            "format": "tnpu-result/1",
            "layer_names": list(self.layer_names),
            "stats": self.stats,
            "energy": self.energy,
            "energy_by_phase": self.energy_by_phase,
            "meta": self.meta,
        }
        with p.open("wb") as fh:
            np.savez_compressed(
                fh,
                tasks=self.tasks,
                dep_offsets=self.dep_offsets,
                dep_ids=self.dep_ids,
                busy_ps=self.busy_ps,
                doc=np.frombuffer(json.dumps(doc).encode("utf-8"), dtype=np.uint8),
            )
        return p

    def equal(self, other: Result) -> bool:
        """Tell whether two results hold the same tables and values (wall time excluded)."""

        def strip(m: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in m.items() if k != "wall_s"}

        return (
            np.array_equal(self.tasks, other.tasks)
            and np.array_equal(self.dep_offsets, other.dep_offsets)
            and np.array_equal(self.dep_ids, other.dep_ids)
            and np.array_equal(self.busy_ps, other.busy_ps)
            and self.layer_names == other.layer_names
            and _same(self.stats, other.stats)
            and _same(self.energy, other.energy)
            and _same(self.energy_by_phase, other.energy_by_phase)
            and _same(strip(self.meta), strip(other.meta))
        )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def load(path: str | Path) -> Result:
    """Read a result written by :meth:`Result.save`.

    Raises
    ------
    ConfigError
        If the file is missing or not a saved result.
    """
    p = Path(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            doc = json.loads(bytes(z["doc"]).decode("utf-8"))
            if doc.get("format") != "tnpu-result/1":
                raise ConfigError(f"{p}: not a tnpu result (format {doc.get('format')!r})")
            tasks = z["tasks"]
            if tasks.dtype != TASK_RESULT_DTYPE:
                raise ConfigError(f"{p}: task table has an unexpected layout")
            return Result(
                tasks=tasks,
                dep_offsets=z["dep_offsets"],
                dep_ids=z["dep_ids"],
                busy_ps=z["busy_ps"],
                layer_names=tuple(doc["layer_names"]),
                stats=doc["stats"],
                energy=doc["energy"],
                energy_by_phase=doc["energy_by_phase"],
                meta=doc["meta"],
            )
    except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{p}: cannot read a saved result: {exc}") from None
