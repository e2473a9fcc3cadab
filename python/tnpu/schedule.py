"""Schedulers: run a task graph on named engines under ``inorder``, ``split`` or ``reorder``.

This is the scheduling core of the accelerator model, exposed on its own so that a schedule can be studied with
given task durations (the paper's Fig. 4 toy, durations measured elsewhere, what-if studies). Everything runs in C++
in one call; the executed schedule is checked by the always-on validator before it is returned.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tnpu import _core

PHASES = ("FP", "BP", "GD", "WU")
TASK_CLASSES = ("matrix", "vector")
#: Instance id of batch-level tasks (WU).
BATCH_INSTANCE = 2**32 - 1


def scheduler_names() -> dict[str, str]:
    """Return the registered schedulers and their one-line descriptions."""
    return dict(_core.scheduler_registry())


@dataclass(frozen=True)
class Schedule:
    """An executed schedule: per-task start, end and engine, per-engine busy time, makespan, window used."""

    start_ps: npt.NDArray[np.uint64]
    end_ps: npt.NDArray[np.uint64]
    engine: npt.NDArray[np.uint32]
    engines: tuple[str, ...]
    busy_ps: npt.NDArray[np.uint64]
    makespan_ps: int
    window_limit: int
    window_used: int

    def busy_fraction(self) -> dict[str, float]:
        """Return busy time / makespan per engine."""
        span = max(self.makespan_ps, 1)
        return {name: float(self.busy_ps[i]) / span for i, name in enumerate(self.engines)}

    def utilisation(self) -> dict[str, float]:
        """Return :meth:`busy_fraction` (deprecated name: this is busy time, not MAC utilisation)."""
        warnings.warn(
            "Schedule.utilisation() is the busy fraction; call busy_fraction()",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.busy_fraction()

    def overlap_ps(self, a: str, b: str) -> int:
        """Return the total time engines ``a`` and ``b`` were busy at once."""
        ia, ib = self.engines.index(a), self.engines.index(b)
        spans_a = sorted(zip(self.start_ps[self.engine == ia], self.end_ps[self.engine == ia], strict=True))
        spans_b = sorted(zip(self.start_ps[self.engine == ib], self.end_ps[self.engine == ib], strict=True))
        total, j = 0, 0
        for sa, ea in spans_a:
            while j < len(spans_b) and spans_b[j][1] <= sa:
                j += 1
            k = j
            while k < len(spans_b) and spans_b[k][0] < ea:
                total += int(min(ea, spans_b[k][1]) - max(sa, spans_b[k][0]))
                k += 1
        return total


def run_schedule(
    *,
    instance: npt.ArrayLike,
    layer: npt.ArrayLike,
    phase: npt.ArrayLike,
    task_class: npt.ArrayLike,
    dep_offsets: npt.ArrayLike,
    dep_ids: npt.ArrayLike,
    duration_ps: npt.ArrayLike,
    engines: tuple[str, ...] | list[str],
    engine_of_class: tuple[int, int] | list[int],
    scheduler: str = "reorder",
    window: int = 0,
) -> Schedule:
    """Run a task graph with fixed task durations and return the executed schedule.

    Parameters
    ----------
    instance, layer, phase, task_class
        One entry per task, in program order (task ids are positions; dependencies must point to earlier tasks).
        ``phase``: 0..3 for FP, BP, GD, WU; ``task_class``: 0 matrix (PE array) or 1 vector work;
        ``instance``: the training instance, or :data:`BATCH_INSTANCE` for batch-level tasks.
    dep_offsets, dep_ids
        Dependencies in CSR form: task ``i`` waits for ``dep_ids[dep_offsets[i]:dep_offsets[i+1]]``.
    duration_ps
        How long each task occupies its engine.
    engines
        Engine names, e.g. ``("pu_c", "pu_f")``.
    engine_of_class
        Engine index for matrix and for vector tasks.
    scheduler
        ``inorder``, ``split`` or ``reorder`` (see :func:`scheduler_names`).
    window
        ``reorder`` only: most instances in flight at once (0: unbounded).
    """
    if window < 0:
        raise ValueError(f"window: expected a whole number >= 0, got {window}")
    out = _core.run_schedule(
        np.asarray(instance, dtype=np.uint32),
        np.asarray(layer, dtype=np.uint32),
        np.asarray(phase, dtype=np.uint8),
        np.asarray(task_class, dtype=np.uint8),
        np.asarray(dep_offsets, dtype=np.uint64),
        np.asarray(dep_ids, dtype=np.uint32),
        np.asarray(duration_ps, dtype=np.uint64),
        list(engines),
        list(engine_of_class),
        scheduler,
        window,
    )
    return Schedule(
        start_ps=out["start_ps"],
        end_ps=out["end_ps"],
        engine=out["engine"],
        engines=tuple(engines),
        busy_ps=out["busy_ps"],
        makespan_ps=int(out["makespan_ps"]),
        window_limit=int(out["window_limit"]),
        window_used=int(out["window_used"]),
    )
