"""Scheduling policies written in Python for tnpu-sim (docs/scheduling.md).

Run one on the command line or from Python::

    tnpu run --model vgg16 --memory stream --scheduler examples/srwf_policy.py:ShortestRemainingWork
    tnpu.simulate("vgg16", "tnpu", scheduler=ShortestRemainingWork(), overrides={"memory.model": "stream"})

A policy is any object with ``pick(engine, ready, now_ps)``: ``ready`` holds the tasks that may start on ``engine``
now (a numpy structured array, oldest first); ``pick`` returns the row to start, or None to start nothing. The
simulation (engines, DMA, memory) stays in C++; only these decisions are made in Python.
"""

from __future__ import annotations

import numpy as np

from tnpu.schedule import PolicyContext


class ShortestRemainingWork:
    """Start the ready task of the training instance with the least work left (MACs plus vector operations).

    An instance close to done retires sooner, freeing its slot of the window (the activation stash) for a new one;
    batch-level tasks (weight updates) go first, as they hold nothing back. Ties: program order (oldest first).
    Without a ``window`` attribute it runs under the same window as ``reorder`` (the stash bound).
    """

    def reset(self, ctx: PolicyContext) -> None:
        """Index the work of every task by instance (called once per run)."""
        tasks = ctx.tasks
        self.finished = ctx.finished
        # simulate: the operations; run_schedule: the durations are the work
        work = tasks["macs"] + tasks["vector_ops"] if "macs" in tasks.dtype.names else tasks["duration_ps"]
        self.work = np.asarray(work, dtype=np.float64)
        inst = tasks["instance"]
        self.by_instance = {int(i): np.flatnonzero(inst == i) for i in np.unique(inst[inst >= 0])}

    def remaining(self, instance: int) -> float:
        """Work of the instance's tasks not finished yet."""
        ids = self.by_instance[instance]
        return float(self.work[ids][~self.finished[ids]].sum())

    def pick(self, engine: str, ready: np.ndarray, now_ps: int) -> int:
        """Return the row of the ready task whose instance has the least work left."""
        instances = ready["instance"]
        if (instances < 0).any():
            return int(np.argmax(instances < 0))  # the oldest weight update
        left = {int(i): self.remaining(int(i)) for i in np.unique(instances)}
        return int(np.argmin([left[int(i)] for i in instances]))  # argmin: the first (oldest) of the ties


class OldestFirst:
    """The ``reorder`` scheduler in one line: the oldest ready task, in the window C++ enforces.

    ``window`` (most instances in flight) is enforced before ``ready`` is built, with reorder's rule; None (the
    default) takes the simulation's (the activation-stash bound in ``tnpu.simulate``, unbounded in
    ``run_schedule``).
    """

    def __init__(self, window: int | None = None) -> None:
        self.window = window

    def pick(self, engine: str, ready: np.ndarray, now_ps: int) -> int:
        """Row 0: the lowest task id, i.e. the oldest in program order."""
        return 0
