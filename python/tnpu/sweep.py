"""Design-space sweeps on any :class:`concurrent.futures.Executor`, streamed to Parquet, resumable.

A sweep is the product of parameter values (``space``: parameter path -> list of values) and workloads. Each point is
``{"evaluator", "workload", "params"}``; its id is a hash of its canonical JSON (sorted keys), so the set of points,
their ids and the row order never depend on the order of a dict. Points run on any Executor: a local process pool
by default, :class:`SerialExecutor` in the calling process, or a Dask cluster through
``dask.distributed.Client(...).get_executor()`` (``dist`` extra). With ``out=`` every finished point is streamed to
a Parquet file (``sweep`` extra: pyarrow) so that a killed sweep resumes where it stopped (see
:mod:`tnpu._sweep_store`).

Evaluators are chosen by name from a small registry: ``"layer"`` (registered here) runs every conv/FC layer of a
network (a model spec: zoo name, ``.onnx``, ``file.py:function@C,H,W``) through :func:`tnpu.simulate_layer` and
sums cycles, MACs, DRAM bytes and energy. Others are added with :func:`register_evaluator` (the whole-accelerator
simulation registers ``"accelerator"``).

Examples
--------
>>> from tnpu.sweep import SerialExecutor, sweep
>>> rows = sweep({"arch.pu_c.rows": [8, 16]}, ["lenet5"], SerialExecutor(), progress=False)
>>> [row["arch.pu_c.rows"] for row in rows]
[8, 16]
>>> rows[0]["total_cycles"] > rows[1]["total_cycles"]
True
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tnpu._sweep_layer import LAYER_PARAMS, check_layer_point, evaluate_layers, layer_arch
from tnpu._sweep_spec import SweepSpec, load_spec, parse_spec
from tnpu.errors import ConfigError, SimulationError
from tnpu.overrides import Scalar

__all__ = [
    "ERROR_COLUMN",
    "FIXED_COLUMNS",
    "LAYER_PARAMS",
    "Evaluator",
    "Scalar",
    "SerialExecutor",
    "SweepSpec",
    "SweepStats",
    "check_layer_point",
    "evaluate_layers",
    "evaluator_names",
    "fingerprint",
    "get_evaluator",
    "layer_arch",
    "load_spec",
    "make_points",
    "parse_spec",
    "point_id",
    "process_pool",
    "read_dataframe",
    "read_results",
    "register_evaluator",
    "run_point",
    "sweep",
]
#: Columns every row has besides the parameters and the evaluator's results.
FIXED_COLUMNS: tuple[str, ...] = ("point_id", "workload")
#: Column holding the ConfigError message of an infeasible point (null when the point ran).
ERROR_COLUMN = "error"


# ---------------------------------------------------------------------------------------------------------------
# Evaluator registry


@dataclass(frozen=True)
class Evaluator:
    """A registered evaluator: ``fn(point) -> dict of scalars`` and an optional up-front ``check(point)``."""

    name: str
    fn: Callable[[dict[str, Any]], Mapping[str, Scalar]]
    check: Callable[[dict[str, Any]], None] | None = None
    description: str = ""


_EVALUATORS: dict[str, Evaluator] = {}


def register_evaluator(
    name: str,
    fn: Callable[[dict[str, Any]], Mapping[str, Scalar]],
    *,
    check: Callable[[dict[str, Any]], None] | None = None,
    description: str = "",
    replace: bool = False,
) -> None:
    """Register an evaluator under ``name`` for :func:`sweep` and ``tnpu sweep --evaluator NAME``.

    Parameters
    ----------
    name
        The name sweeps choose it by.
    fn
        ``fn(point) -> dict`` of scalars (int, float, str, bool or None), the same keys for every point. ``point``
        is ``{"id": str, "evaluator": str, "workload": str, "params": {path: value}}``. It runs in worker
        processes, so it must be a picklable top-level function (``module.function``) and the module defining it
        must register it on import. A :class:`tnpu.errors.ConfigError` it raises marks the point infeasible (the
        row keeps the message in the ``error`` column); any other exception stops the sweep.
    check
        ``check(point)``, run for every point in the calling process before anything is simulated: raise
        ConfigError naming the parameter (``space.<path>: ...``) for a bad parameter path or value.
    description
        One line for ``tnpu sweep --help``.
    replace
        Allow replacing an existing evaluator of that name.
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"evaluator name: expected a non-empty string, got {name!r}")
    if name in _EVALUATORS and not replace:
        raise ConfigError(f"evaluator {name!r} is already registered (pass replace=True to replace it)")
    if not callable(fn) or (check is not None and not callable(check)):
        raise ConfigError(f"evaluator {name!r}: fn and check must be callables")
    _EVALUATORS[name] = Evaluator(name, fn, check, description)


def evaluator_names() -> list[str]:
    """Names of the registered evaluators."""
    return sorted(_EVALUATORS)


def get_evaluator(name: str) -> Evaluator:
    """Return the evaluator registered as ``name``; ConfigError listing the known ones otherwise."""
    try:
        return _EVALUATORS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"evaluator: unknown evaluator {name!r} (known: {', '.join(evaluator_names())})"
        ) from None


# ---------------------------------------------------------------------------------------------------------------
# Points


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def point_id(evaluator: str, workload: str, params: Mapping[str, Scalar]) -> str:
    """Stable id of a point: the first 16 hex digits of the SHA-256 of its canonical JSON."""
    text = _canonical({"evaluator": evaluator, "workload": workload, "params": dict(params)})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_values(path: str, values: Any) -> list[Scalar]:
    where = f"space.{path}"
    if isinstance(values, str | int | float | bool):
        values = [values]
    if not isinstance(values, list | tuple) or not values:
        raise ConfigError(f"{where}: expected a non-empty list of values, got {values!r}")
    kinds = set()
    for v in values:
        if isinstance(v, bool):
            kinds.add("bool")
        elif isinstance(v, int):
            kinds.add("number")
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise ConfigError(f"{where}: expected finite numbers, got {v!r}")
            kinds.add("number")
        elif isinstance(v, str):
            kinds.add("string")
        else:
            raise ConfigError(f"{where}: values must be numbers, strings or booleans, got {v!r}")
    if len(kinds) > 1:
        raise ConfigError(
            f"{where}: all values must be of one type (numbers, strings or booleans), got {values!r}"
        )
    out = list(values)
    # 8 and 17.1 -> 8.0 and 17.1: one column type, and one id per value whether written 8 or 8.0
    if any(isinstance(v, float) for v in out):
        out = [float(v) for v in out]
    if len(set(out)) != len(out):
        raise ConfigError(f"{where}: repeated value in {values!r}")
    return out


def make_points(
    space: Mapping[str, Any], workloads: Sequence[str] | str, evaluator: str = "layer"
) -> list[dict[str, Any]]:
    """Validate ``space`` and ``workloads`` and return the points in sweep order.

    The order is workloads (as given), then the product of the parameters sorted by path, each parameter's
    values as given; a scalar value is a one-value list. Parameters named like the fixed columns
    (``point_id``, ``workload``, ``error``) are refused.
    """
    if not isinstance(space, Mapping):
        raise ConfigError(f"space: expected a mapping from parameter path to a list of values, got {space!r}")
    if isinstance(workloads, str):
        workloads = [workloads]
    if not isinstance(workloads, Sequence) or not workloads:
        raise ConfigError(f"workloads: expected a non-empty list of workload names, got {workloads!r}")
    for w in workloads:
        if not isinstance(w, str) or not w:
            raise ConfigError(f"workloads: expected workload names (strings), got {w!r}")
    if len(set(workloads)) != len(workloads):
        raise ConfigError(f"workloads: repeated workload in {list(workloads)!r}")
    paths = sorted(space)
    values = []
    for path in paths:
        if not isinstance(path, str) or not path or path != path.strip():
            raise ConfigError(f"space: parameter paths must be non-empty strings, got {path!r}")
        if path in (*FIXED_COLUMNS, ERROR_COLUMN):
            raise ConfigError(f"space.{path}: reserved column name")
        values.append(_check_values(path, space[path]))
    points = []
    for workload in workloads:
        for combo in itertools.product(*values):
            params = dict(zip(paths, combo, strict=True))
            points.append(
                {
                    "id": point_id(evaluator, workload, params),
                    "evaluator": evaluator,
                    "workload": workload,
                    "params": params,
                }
            )
    return points


def fingerprint(points: Sequence[Mapping[str, Any]]) -> str:
    """Identity of a sweep: a hash of its sorted point ids (the same set of points, the same fingerprint)."""
    return hashlib.sha256("\n".join(sorted(p["id"] for p in points)).encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------------------
# Running


class SerialExecutor(cf.Executor):
    """An Executor that runs each call at submit time in the calling process (serial sweeps, debugging)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        """Run ``fn(*args, **kwargs)`` now and return its finished Future."""
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - an Executor hands every failure to the Future
            future.set_exception(exc)
        return future


def _scalar(evaluator: str, key: str, value: Any) -> Scalar:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        v = item()
        if isinstance(v, str | bool | int | float):
            return v
    raise SimulationError(f"evaluator {evaluator!r}: result {key!r} is not a scalar ({type(value).__name__})")


def run_point(fn: Callable[[dict[str, Any]], Mapping[str, Scalar]], point: dict[str, Any]) -> dict[str, Any]:
    """Evaluate one point (the function the executor runs): the row of the point, results or error message."""
    row: dict[str, Any] = {"point_id": point["id"], "workload": point["workload"], **point["params"]}
    try:
        results = fn(point)
    except ConfigError as exc:
        row[ERROR_COLUMN] = str(exc)
        return row
    if not isinstance(results, Mapping):
        raise SimulationError(
            f"evaluator {point['evaluator']!r}: expected a dict of scalars, got {results!r}"
        )
    for key, value in results.items():
        if key in row or key == ERROR_COLUMN:
            raise SimulationError(
                f"evaluator {point['evaluator']!r}: result {key!r} has the name of a parameter or fixed column"
            )
        row[key] = _scalar(point["evaluator"], key, value)
    row[ERROR_COLUMN] = None
    return row


def _worker_init() -> None:  # pragma: no cover - runs in the pool's processes
    """Pool workers die with the sweep that started them (Linux: the parent-death signal)."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the signal was armed
            os._exit(1)


def process_pool(workers: int | None = None) -> cf.ProcessPoolExecutor:
    """Return the process pool a sweep runs on.

    Fresh interpreters (``spawn``): the workers inherit no open file of the sweep (its output lock), and each dies
    with the sweep that started it, also after ``kill -9``.
    """
    import multiprocessing as mp

    return cf.ProcessPoolExecutor(
        max_workers=workers or os.cpu_count(), mp_context=mp.get_context("spawn"), initializer=_worker_init
    )


def _window(executor: cf.Executor) -> int:
    if isinstance(executor, SerialExecutor):
        return 1  # each point is stored as soon as it ran
    workers = getattr(executor, "_max_workers", None)  # ProcessPoolExecutor / ThreadPoolExecutor
    return max(2, 4 * workers) if isinstance(workers, int) else 256


def _columns(points: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    params = sorted({k for p in points for k in p["params"]})
    cols = [*FIXED_COLUMNS, *params]
    for row in rows:  # result columns in the order the evaluator gives them, first ran point first
        if row.get(ERROR_COLUMN) is None:
            cols.extend(k for k in row if k not in cols and k != ERROR_COLUMN)
    cols.append(ERROR_COLUMN)
    return cols


@dataclass
class SweepStats:
    """What a :func:`sweep` call did: pass an instance as ``stats=`` to have it filled in."""

    points: int = 0
    computed: int = 0
    reused: int = 0
    infeasible: int = 0
    wall_s: float = 0.0
    out: str | None = None


def sweep(
    space: Mapping[str, Any],
    workloads: Sequence[str] | str,
    executor: cf.Executor | None = None,
    *,
    out: str | os.PathLike[str] | None = None,
    evaluator: str = "layer",
    resume: bool = True,
    progress: bool | None = None,
    force: bool = False,
    stats: SweepStats | None = None,
    flush_seconds: float = 1.0,
) -> list[dict[str, Any]]:
    """Run every point of ``space`` x ``workloads`` and return one row (a dict) per point, in sweep order.

    Parameters
    ----------
    space
        Parameter path -> list of values (or one value), e.g. ``{"arch.pu_c.rows": [8, 16, 32],
        "memory.bandwidth_gbps": [8.55, 17.1]}``. The evaluator says which paths it understands.
    workloads
        Workloads: model specs (:mod:`tnpu.workloads.resolve`): zoo networks (see ``tnpu workloads``), ``.onnx``
        files, ``file.py:function@C,H,W`` and, for ``"accelerator"``, compute traces. Paths are relative to the
        current directory (the workers' when they run elsewhere).
    executor
        Where points run: any :class:`concurrent.futures.Executor` (the function is the picklable
        :func:`run_point`); default a :class:`~concurrent.futures.ProcessPoolExecutor` with ``os.cpu_count()``
        workers, created and shut down here. :class:`SerialExecutor` runs in this process; a Dask cluster through
        ``dask.distributed.Client(...).get_executor()``.
    out
        Parquet file to stream rows to (needs pyarrow, the ``sweep`` extra). Rows of points already in it (or in
        its ``.parts`` folder left by a killed run) are not recomputed.
    evaluator
        Registered evaluator name (:func:`evaluator_names`).
    resume
        Reuse rows already in ``out`` (default); False recomputes every point.
    progress
        Progress bar on stderr: None shows it when stderr is a tty, False never.
    force
        Replace an ``out`` that holds a different sweep instead of refusing.
    stats
        A :class:`SweepStats` to fill in: points computed, reused, infeasible, wall time.
    flush_seconds
        With ``out``: finished rows are written (a part file) at the latest this long after they finish; a kill
        loses at most the rows of the last ``flush_seconds`` (0: every row at once, one file per point).

    Returns
    -------
    list of dict
        Per point: ``point_id``, ``workload``, every parameter by path, the evaluator's results and ``error``
        (None, or the ConfigError message of an infeasible point, whose results are None). With ``out``, the rows
        as stored in the file.

    Raises
    ------
    ConfigError
        For a bad space, workload, evaluator or output (the message names the field or file).
    SimulationError
        When an evaluator fails on a point other than by ConfigError; rows finished before stay in ``out``.
    """
    t0 = time.perf_counter()
    ev = get_evaluator(evaluator)
    points = make_points(space, workloads, evaluator)
    if ev.check is not None:
        for point in points:
            ev.check(point)
    store = None
    done: dict[str, dict[str, Any]] = {}
    if out is not None:
        from tnpu import __version__
        from tnpu._sweep_store import SweepStore

        manifest = {
            "format": "tnpu-sweep/1",
            "fingerprint": fingerprint(points),
            "evaluator": evaluator,
            "workloads": list(dict.fromkeys(p["workload"] for p in points)),
            "space": {k: _check_values(k, space[k]) for k in sorted(space)},
            "points": len(points),
            "tnpu_version": __version__,
        }
        store = SweepStore(out, manifest, force=force, resume=resume, flush_seconds=flush_seconds)
    try:
        if store is not None:
            wanted = {p["id"] for p in points}
            done = {k: v for k, v in store.finished_rows().items() if k in wanted}
        todo = [p for p in points if p["id"] not in done]
        new = _execute(ev, todo, executor, store=store, done=done, progress=progress, total=len(points))
        rows_by_id = {**done, **new}
        rows = [rows_by_id[p["id"]] for p in points]
        columns = _columns(points, rows)
        if store is not None:
            rows = store.finish(rows, columns)
        else:
            rows = [{c: row.get(c) for c in columns} for row in rows]
    finally:
        if store is not None:
            store.close()
    if stats is not None:
        stats.points = len(points)
        stats.computed = len(points) - len(done)
        stats.reused = len(done)
        stats.infeasible = sum(1 for r in rows if r.get(ERROR_COLUMN) is not None)
        stats.wall_s = time.perf_counter() - t0
        stats.out = None if out is None else str(Path(out))
    return rows


def _execute(
    ev: Evaluator,
    todo: list[dict[str, Any]],
    executor: cf.Executor | None,
    *,
    store: Any,
    done: dict[str, dict[str, Any]],
    progress: bool | None,
    total: int,
) -> dict[str, dict[str, Any]]:
    from tnpu._progress import progress_bar

    results: dict[str, dict[str, Any]] = {}
    if not todo:
        return results
    own = executor is None
    pool: cf.Executor = process_pool() if own else executor  # type: ignore[assignment]
    pending: dict[cf.Future[dict[str, Any]], dict[str, Any]] = {}
    queue = iter(todo)
    window = _window(pool)
    columns = _columns(todo, [])
    try:
        with progress_bar(total, f"sweep ({ev.name})", enabled=progress, initial=len(done)) as bar:
            while True:
                while len(pending) < window:
                    point = next(queue, None)
                    if point is None:
                        break
                    pending[pool.submit(run_point, ev.fn, point)] = point
                if not pending:
                    break
                timeout = None if store is None else max(store.flush_seconds, 0.01)
                finished, _ = cf.wait(pending, timeout=timeout, return_when=cf.FIRST_COMPLETED)
                if store is not None:
                    store.tick()
                for future in finished:
                    point = pending.pop(future)
                    try:
                        row = future.result()
                    except Exception as exc:
                        raise SimulationError(
                            f"sweep: evaluator {ev.name!r} failed on point {point['id']} "
                            f"(workload {point['workload']}, {_canonical(point['params'])}): "
                            f"{type(exc).__name__}: {exc}"
                        ) from exc
                    results[point["id"]] = row
                    if store is not None:
                        store.add(row, [*columns, *(k for k in row if k not in columns)])
                    bar.update()
    finally:
        for future in pending:
            future.cancel()
        if store is not None:
            store.flush()  # whatever finished is kept, also when a point failed or on Ctrl-C
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return results


# ---------------------------------------------------------------------------------------------------------------
# Spec files (tnpu._sweep_spec) and the "layer" evaluator (tnpu._sweep_layer)

register_evaluator(
    "layer",
    evaluate_layers,
    check=check_layer_point,
    description="every conv/FC layer of a network through simulate_layer, one pass at a time (sums)",
)


def read_results(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read the rows of a finished sweep's Parquet file (needs pyarrow)."""
    from tnpu._optional import optional_import

    return list(optional_import("pyarrow.parquet").read_table(path).to_pylist())


def read_dataframe(path: str | os.PathLike[str]) -> Any:
    """Read a sweep's Parquet file (finished, or the part files of one still running or killed) as a DataFrame.

    Needs pyarrow and pandas (the ``sweep`` and ``pandas`` extras). Rows are in sweep order once it finished.
    """
    from tnpu._optional import optional_import

    optional_import("pandas")
    pq = optional_import("pyarrow.parquet")
    out = Path(path)
    if out.exists():
        return pq.read_table(out).to_pandas()
    parts = sorted(out.with_name(out.name + ".parts").glob("part-*.parquet"))
    if not parts:
        raise ConfigError(f"{out}: no sweep output (neither the file nor its .parts folder)")
    pa = optional_import("pyarrow")
    table = pa.concat_tables([pq.read_table(p) for p in parts], promote_options="default")
    return table.to_pandas().drop_duplicates("point_id").reset_index(drop=True)


def _register_accelerator() -> None:
    from tnpu.simulate import check_accelerator_point, evaluate_accelerator

    register_evaluator(
        "accelerator",
        evaluate_accelerator,
        check=check_accelerator_point,
        description="one training batch of a network or trace on an accelerator preset (params: preset + overrides)",
        replace=True,
    )


_register_accelerator()
