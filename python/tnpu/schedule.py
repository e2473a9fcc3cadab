"""Schedulers: run a task graph on named engines under ``inorder``, ``split``, ``reorder`` or a Python policy.

This is the scheduling core of the accelerator model, exposed on its own so that a schedule can be studied with
given task durations (the paper's Fig. 4 toy, durations measured elsewhere, what-if studies). Everything runs in C++
in one call; the executed schedule is checked by the always-on validator before it is returned.

A scheduling policy written in Python (:class:`SchedulingPolicy`, docs/scheduling.md) is accepted wherever a
scheduler name is: :func:`run_schedule`, :func:`tnpu.simulate` and ``tnpu run --scheduler file.py:ClassName``. The
C++ executor calls its ``pick`` at scheduling decisions only (an engine is idle and has ready work), with the GIL
taken for that call and released around the rest of the simulation.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np
import numpy.typing as npt

from tnpu import _core, registry
from tnpu.errors import ConfigError

PHASES = tuple(p.name for p in _core.Phase)  # "FP", "BP", "GD", "WU": the C++ enum's names
TASK_CLASSES = ("matrix", "vector")
#: Instance id of batch-level tasks (WU).
BATCH_INSTANCE = 2**32 - 1


#: The rows a policy's ``pick`` sees: ``task_id`` (program order: the task's row in the task table),
#: ``instance`` (-1 for batch-level tasks, WU), ``layer``, ``phase`` (0..3: FP, BP, GD, WU), ``task_class``
#: (0 matrix, 1 vector) and ``ready_ps`` (when the task became ready), in ascending ``task_id``.
READY_DTYPE: np.dtype[Any] = _core.ready_dtype()


@runtime_checkable
class SchedulingPolicy(Protocol):
    """A scheduling policy written in Python (docs/scheduling.md).

    ``pick(engine, ready, now_ps)`` is called when ``engine`` is idle and has ready tasks; ``ready`` is a read-only
    structured array (:data:`READY_DTYPE`) of those tasks, oldest (lowest ``task_id``) first, valid during the call
    only (copy what you keep). It returns the row of ``ready`` to start on ``engine`` now, or ``None`` to start
    nothing (the policy is asked again at the next decision, after a task finishes).

    Optional members: ``window`` (int: most instances in flight, enforced in C++ before ``ready`` is built; 0 as for
    ``reorder``) and ``reset(ctx)`` (called once before each run with a :class:`PolicyContext`).
    """

    def pick(self, engine: str, ready: np.ndarray, now_ps: int) -> int | None:
        """Return the row of ``ready`` to start on ``engine`` now, or None."""
        ...  # pragma: no cover - protocol


@dataclass(frozen=True)
class PolicyContext:
    """What a policy may read besides ``ready``: given to its optional ``reset(ctx)`` before each run.

    Attributes
    ----------
    tasks
        One row per task in program order (row = ``task_id``): ``task_id``, ``instance`` (-1 for WU), ``layer``,
        ``phase``, ``task_class``, ``engine`` (index into ``engines``), plus what the entry point knows: ``run_schedule``
        adds ``duration_ps``; ``tnpu.simulate`` adds ``layer_kind``, ``macs``, ``vector_ops``, ``bytes_in`` and
        ``bytes_out``.
    engines
        Engine names, in index order (what ``pick`` receives as ``engine``).
    running
        Live, read-only: the task running on each engine, -1 if idle (updated by C++ as tasks start and finish).
    finished
        Live, read-only: True for each task that has finished.
    """

    tasks: np.ndarray
    engines: tuple[str, ...]
    running: np.ndarray
    finished: np.ndarray


class _PolicyRun:
    """One run's binding of a policy: what ``_core`` takes as ``policy=`` (see cpp/bindings/py_hooks.hpp)."""

    def __init__(
        self, policy: SchedulingPolicy, label: str, tasks: np.ndarray, engines: tuple[str, ...]
    ) -> None:
        n = len(tasks)
        self.pick = policy.pick
        self.label = label
        self.ready = np.zeros(n, dtype=READY_DTYPE)  # written by C++ at each decision
        self.ready_view = self.ready.view()
        self.ready_view.flags.writeable = False
        self.running = np.full(len(engines), -1, dtype=np.int64)
        self.finished = np.zeros(n, dtype=np.bool_)
        running, finished = self.running.view(), self.finished.view()
        running.flags.writeable = False
        finished.flags.writeable = False
        self.context = PolicyContext(tasks=tasks, engines=engines, running=running, finished=finished)


def policy_label(policy: object) -> str:
    """Return a policy's name for results and messages: its ``name`` attribute, else its class name."""
    name = getattr(policy, "name", None)
    return name if isinstance(name, str) and name else type(policy).__name__


def check_policy(policy: object) -> int | None:
    """Check that ``policy`` is a scheduling policy; return its ``window`` (None if it sets none).

    Raises
    ------
    TypeError
        If it has no callable ``pick`` (or ``reset`` is not callable).
    ConfigError
        If ``window`` is not None or an int >= 0.
    """
    pick = getattr(policy, "pick", None)
    if not callable(pick):
        raise TypeError(
            f"scheduler: expected a scheduler name or a policy object with a method "
            f"pick(engine, ready, now_ps) -> int | None, got {type(policy).__name__}"
        )
    reset = getattr(policy, "reset", None)
    if reset is not None and not callable(reset):
        raise TypeError(f"scheduler policy {policy_label(policy)}: reset must be a method reset(ctx)")
    window = getattr(policy, "window", None)
    if window is None:
        return None
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or not 0 <= window < 2**32:
        raise ConfigError(
            f"scheduler policy {policy_label(policy)}: window must be an int in 0..2**32-1 (or None), "
            f"got {window!r}"
        )
    return int(window)


def bind_policy(policy: SchedulingPolicy, tasks: np.ndarray, engines: tuple[str, ...]) -> _PolicyRun:
    """Prepare one run of ``policy`` over ``tasks`` (a :class:`PolicyContext` table): buffers, then ``reset(ctx)``."""
    run = _PolicyRun(policy, policy_label(policy), tasks, engines)
    reset = getattr(policy, "reset", None)
    if reset is not None:
        reset(run.context)
    return run


def policy_tasks(
    instance: np.ndarray,
    layer: np.ndarray,
    phase: np.ndarray,
    task_class: np.ndarray,
    *,
    engine_of_class: tuple[int, ...] | list[int],
    extra: dict[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Return the task table of a :class:`PolicyContext` (read-only) from the columns a schedule is run with."""
    extra = extra or {}
    n = len(instance)
    fields: list[tuple[str, Any]] = [
        ("task_id", "<u4"),
        ("instance", "<i8"),
        ("layer", "<u4"),
        ("phase", "u1"),
        ("task_class", "u1"),
        ("engine", "<u4"),
    ]
    fields += [(name, np.asarray(col).dtype.str) for name, col in extra.items()]
    t = np.zeros(n, dtype=fields)
    t["task_id"] = np.arange(n)
    inst = np.asarray(instance, dtype=np.int64)
    t["instance"] = np.where(inst == BATCH_INSTANCE, -1, inst)
    t["layer"] = layer
    t["phase"] = phase
    t["task_class"] = task_class
    eoc = np.asarray(engine_of_class, dtype=np.uint32)
    if eoc.size:  # out-of-range classes are reported by the C++ checks that follow
        t["engine"] = eoc[np.minimum(np.asarray(task_class, dtype=np.intp), eoc.size - 1)]
    for name, col in extra.items():
        t[name] = col
    t.flags.writeable = False
    return t


def load_policy(spec: str) -> SchedulingPolicy:
    """Load ``path/to/file.py:ClassName`` (the ``--scheduler`` form of a Python policy) and instantiate it.

    The name may also be a function or any callable returning a policy; it is called with no arguments. An object
    that already has ``pick`` (an instance defined at module level) is used as it is.

    Raises
    ------
    ConfigError
        Naming the file or the attribute if the file does not exist, does not import, lacks the name, or the object
        is not a policy.
    """
    path_text, sep, attr = spec.rpartition(":")
    if not sep or not path_text.endswith(".py") or not attr:
        raise ConfigError(f"scheduler: expected a scheduler name or path/to/file.py:ClassName, got {spec!r}")
    path = Path(path_text)
    if not path.is_file():
        raise ConfigError(f"scheduler: {path}: no such file")
    module_name = f"_tnpu_policy_{abs(hash(str(path.resolve()))):x}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise ConfigError(f"scheduler: {path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module  # dataclasses and pickling look the module up
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        exc.add_note(f"tnpu: raised while importing the scheduler policy file {path}")
        raise
    if not hasattr(module, attr):
        public = sorted(n for n, v in vars(module).items() if inspect.isclass(v) and hasattr(v, "pick"))
        hint = f" (policies in it: {', '.join(public)})" if public else ""
        raise ConfigError(f"scheduler: {path} has no {attr!r}{hint}")
    obj = getattr(module, attr)
    policy: object = (
        obj if hasattr(obj, "pick") and not inspect.isclass(obj) else obj() if callable(obj) else obj
    )
    try:
        check_policy(policy)
    except TypeError as exc:
        raise ConfigError(f"scheduler: {spec}: {exc}") from None
    return cast(SchedulingPolicy, policy)


def resolve_scheduler(scheduler: object) -> SchedulingPolicy | str:
    """Return a scheduler name as it is, ``file.py:Name`` loaded (:func:`load_policy`), or a checked policy."""
    if isinstance(scheduler, str):
        if ":" in scheduler and scheduler.rpartition(":")[0].endswith(".py"):
            return load_policy(scheduler)
        return scheduler
    check_policy(scheduler)
    return cast(SchedulingPolicy, scheduler)


def scheduler_names() -> dict[str, str]:
    """Return the registered schedulers and their one-line descriptions (from :mod:`tnpu.registry`)."""
    return {e.name: e.description for e in registry.registry()["scheduler"]}


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
    scheduler: str | SchedulingPolicy = "reorder",
    window: int | None = None,
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
        ``inorder``, ``split`` or ``reorder`` (see :func:`scheduler_names`), ``path/to/file.py:ClassName``, or a
        policy object (:class:`SchedulingPolicy`).
    window
        ``reorder`` and policies: most instances in flight at once (0: unbounded). Default: the policy's
        ``window`` if it has one, else 0.
    """
    if window is not None and window < 0:
        raise ValueError(f"window: expected a whole number >= 0, got {window}")
    chosen = resolve_scheduler(scheduler)
    cols: dict[str, np.ndarray] = {
        "instance": np.asarray(instance, dtype=np.uint32),
        "layer": np.asarray(layer, dtype=np.uint32),
        "phase": np.asarray(phase, dtype=np.uint8),
        "task_class": np.asarray(task_class, dtype=np.uint8),
    }
    durations = np.asarray(duration_ps, dtype=np.uint64)
    run = None
    name = chosen if isinstance(chosen, str) else "policy"
    if not isinstance(chosen, str):
        own = check_policy(chosen)
        window = window if window is not None else (own or 0)
        if len(durations) != len(cols["instance"]):
            raise ConfigError(f"duration_ps: expected {len(cols['instance'])} entries, got {len(durations)}")
        table = policy_tasks(**cols, engine_of_class=engine_of_class, extra={"duration_ps": durations})
        run = bind_policy(chosen, table, tuple(engines))
    config = _core.ScheduleConfig(
        engines=list(engines), engine_of_class=list(engine_of_class), scheduler=name, window=window or 0
    )
    out = _core.run_schedule(
        instance=cols["instance"],
        layer=cols["layer"],
        phase=cols["phase"],
        task_class=cols["task_class"],
        dep_offsets=np.asarray(dep_offsets, dtype=np.uint64),
        dep_ids=np.asarray(dep_ids, dtype=np.uint32),
        duration_ps=durations,
        config=config,
        policy=run,
    )
    return Schedule(
        start_ps=out.start_ps,
        end_ps=out.end_ps,
        engine=out.engine,
        engines=tuple(engines),
        busy_ps=out.busy_ps,
        makespan_ps=out.makespan_ps,
        window_limit=out.window_limit,
        window_used=out.window_used,
    )
