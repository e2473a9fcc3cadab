"""The built-in schedulers (cpp/src/sched/*_scheduler.cpp) rewritten as Python policies (docs/scheduling.md).

Each gives the same schedule as its C++ original, decision for decision (tests/test_policies.py checks it on the
paper's toy graph, random graphs and zoo networks, through ``run_schedule`` and ``tnpu.simulate``): starting points
for a policy of your own. ``benchmarks/bench_cosim.py`` times them against the C++ schedulers.

    tnpu run --model vgg16 --memory stream --scheduler examples/builtin_policies.py:Reorder
"""

from __future__ import annotations

import numpy as np

from tnpu.schedule import PolicyContext


class InOrder:
    """``inorder``: one task at a time on the whole machine, strictly in program order (DaDianNao-style)."""

    window = 0  # in one instance at a time anyway: no window needed

    def reset(self, ctx: PolicyContext) -> None:
        """Start from the first task."""
        self.running = ctx.running
        self.next = 0

    def pick(self, engine: str, ready: np.ndarray, now_ps: int) -> int | None:
        """Pick the next task in program order, if it is ready on this engine and the machine is idle."""
        # The next task is the lowest id not yet started, so if it is ready here it is row 0.
        if (self.running >= 0).any() or ready["task_id"][0] != self.next:
            return None
        self.next += 1
        return 0


class Split:
    """``split``: each engine runs its own tasks strictly in program order (DNPU-style)."""

    window = 0

    def reset(self, ctx: PolicyContext) -> None:
        """Queue each engine's tasks in program order."""
        self.engine_index = {name: i for i, name in enumerate(ctx.engines)}
        self.queue = [ctx.tasks["task_id"][ctx.tasks["engine"] == e] for e in range(len(ctx.engines))]
        self.head = [0] * len(ctx.engines)

    def pick(self, engine: str, ready: np.ndarray, now_ps: int) -> int | None:
        """Pick the head of this engine's queue, if it is ready (it is then row 0: the lowest id of the engine)."""
        e = self.engine_index[engine]
        q, h = self.queue[e], self.head[e]
        if h >= len(q) or ready["task_id"][0] != q[h]:
            return None
        self.head[e] += 1
        return 0


class Reorder:
    """``reorder``: per engine, the oldest ready task among the instances in flight (TNPU's simplified OoO).

    The window (most instances in flight; 0: unbounded) is kept here, in Python, as the C++ scheduler keeps it:
    a task of an instance not started yet may start only while fewer than ``limit`` are in flight; batch-level
    tasks (WU) are outside the window. (:class:`OldestFirst` in ``srwf_policy.py`` is the same policy with the
    window left to C++: ``window = limit`` and ``return 0``.)

    Set ``limit`` to the window of the C++ run compared with: in ``tnpu.simulate`` that is ``result.meta
    ["window_limit"]`` (the activation-stash bound unless a window is given).
    """

    window = 0  # C++ enforces nothing: every ready task is shown

    def __init__(self, limit: int = 0) -> None:
        self.limit = limit

    def reset(self, ctx: PolicyContext) -> None:
        """Group the tasks by instance; nothing in flight."""
        inst = ctx.tasks["instance"]
        own = np.flatnonzero(inst >= 0)
        self.by_instance = own[np.argsort(inst[own], kind="stable")]  # task ids grouped by instance
        self.count = np.bincount(inst[own]) if own.size else np.zeros(0, dtype=np.int64)
        self.first = np.concatenate(([0], np.cumsum(self.count)[:-1])).astype(np.intp)
        self.state = np.zeros(len(self.count), dtype=np.uint8)  # 0 not started, 1 in flight, 2 retired
        self.in_flight = 0
        self.finished = ctx.finished.view(np.uint8)

    def pick(self, engine: str, ready: np.ndarray, now_ps: int) -> int | None:
        """Pick the first row (oldest) that is a batch task, of an instance in flight, or of a new one if room."""
        if self.in_flight:  # retire the instances whose tasks have all finished (tasks finish between picks)
            done = np.add.reduceat(self.finished[self.by_instance], self.first, dtype=np.int64) == self.count
            retired = done & (self.state == 1)
            self.state[retired] = 2
            self.in_flight -= int(retired.sum())
        may_admit = self.limit == 0 or self.in_flight < self.limit
        for row, i in enumerate(ready["instance"].tolist()):
            if i < 0 or may_admit or self.state[i] == 1:
                if i >= 0 and self.state[i] == 0:
                    self.state[i] = 1
                    self.in_flight += 1
                return row
        return None
