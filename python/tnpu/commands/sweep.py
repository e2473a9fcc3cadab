"""``tnpu sweep``: run a design-space sweep from a TOML spec, streaming rows to a Parquet file (resumable).

Points run on N local processes (--workers), in this process (--workers 1) or on a Dask cluster (--dask ADDRESS).
Every finished point is written to OUT as it completes; run the same command again after an interruption and only
the missing points are computed. The spec format is in docs/sweeps.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tnpu.commands._args import add_command, positive_int

EXAMPLES = """\
examples:
  tnpu sweep examples/sweep_layers.toml --workers 2 --out results.parquet
  tnpu sweep examples/sweep_layers.toml --out results.parquet --json     (resumes: finished points are reused)
  tnpu sweep spec.toml --out r.parquet --force           replace an output that holds a different sweep
  tnpu sweep spec.toml --out r.parquet --dask tcp://scheduler:8786     run the points on a Dask cluster
  tnpu sweep examples/sweep_layers.toml --workload my_net.onnx --workload models.py:cnn@3,32,32 --out mine.parquet
"""

#: Result columns shown in the text table when the evaluator gives them.
_SHOWN = ("time_s", "total_cycles", "stall_cycles", "dram_bytes_read", "energy_j", "pu_c_util", "pu_f_util")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu sweep``."""
    from tnpu.sweep import evaluator_names, get_evaluator

    evaluators = ", ".join(f"{n} ({get_evaluator(n).description})" for n in evaluator_names())
    p = add_command(
        sub,
        "sweep",
        "run a design-space sweep from a TOML spec into a Parquet file (resumable)",
        __doc__,
        EXAMPLES,
    )
    p.add_argument(
        "spec", type=Path, help="sweep spec (TOML: [sweep] workloads, evaluator; [space] parameters)"
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=os.cpu_count() or 1,
        help="local worker processes (default: one per core; 1 runs the points in this process)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on the Dask scheduler at ADDRESS (host:port), or on a local cluster of N worker processes that "
        "the sweep starts and stops (local[:N], default 2) (dist extra)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help="Parquet file to stream rows to (default: [sweep] out, else SPEC with .parquet)",
    )
    p.add_argument("--evaluator", help=f"evaluator to use instead of the spec's (registered: {evaluators})")
    p.add_argument(
        "--workload",
        action="append",
        metavar="MODEL",
        help="run this workload instead of the spec's (repeatable): a zoo network, an .onnx file, "
        "file.py:function@C,H,W, or a compute trace (accelerator evaluator)",
    )
    p.add_argument("--force", action="store_true", help="replace an output that holds a different sweep")
    p.add_argument("--no-resume", action="store_true", help="recompute every point even if OUT has it")
    p.add_argument("--json", action="store_true", help="print one JSON object (summary and every row)")
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no table, only the summary"
    )
    p.set_defaults(run=run)


def _executor(args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    """Return the executor the options ask for and how to release it."""
    import concurrent.futures as cf

    from tnpu.sweep import SerialExecutor, process_pool

    if args.dask:
        return _dask_executor(args.dask)
    if args.workers == 1:
        return SerialExecutor(), lambda: None
    pool: cf.ProcessPoolExecutor = process_pool(args.workers)
    return pool, pool.shutdown


#: Seconds to wait for a Dask scheduler before saying it does not answer.
DASK_TIMEOUT_S = 5


def _dask_executor(address: str) -> tuple[Any, Any]:
    """Return a Dask executor and its release: a local cluster started here (``local[:N]``) or a scheduler."""
    from tnpu._optional import optional_import
    from tnpu.errors import ConfigError

    dd = optional_import("dask.distributed")
    if address == "local" or address.startswith("local:"):
        text = address.partition(":")[2] or "2"
        if not text.isdigit() or int(text) < 1:
            raise ConfigError(f"--dask {address}: expected local or local:N with N workers >= 1")
        cluster = dd.LocalCluster(
            n_workers=int(text), threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = dd.Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client.get_executor(), close
    if ":" not in address:
        raise ConfigError(f"--dask {address}: expected host:port (or tcp://host:port), or local[:N]")
    try:
        client = dd.Client(address, timeout=f"{DASK_TIMEOUT_S}s")
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"--dask {address}: no Dask scheduler answered within {DASK_TIMEOUT_S} s ({type(exc).__name__})"
        ) from None
    return client.get_executor(), client.close  # close: leave the cluster running


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def run(args: argparse.Namespace) -> int:
    """Run the sweep and print a summary (and the rows)."""
    from tnpu.sweep import SweepStats, load_spec, sweep

    spec = load_spec(args.spec)
    evaluator = args.evaluator or spec.evaluator
    out = args.out or (Path(spec.out) if spec.out else Path(args.spec.stem + ".parquet"))
    executor, release = _executor(args)
    stats = SweepStats()
    try:
        rows = sweep(
            spec.space,
            args.workload or spec.workloads,
            executor,
            out=out,
            evaluator=evaluator,
            resume=not args.no_resume,
            progress=False if (args.json or args.quiet) else None,
            force=args.force,
            stats=stats,
        )
    except KeyboardInterrupt:
        from tnpu._sweep_store import saved_points

        again = f"tnpu sweep {shlex.quote(str(args.spec))} --out {shlex.quote(str(out))}"
        if args.evaluator:
            again += f" --evaluator {args.evaluator}"
        for w in args.workload or ():
            again += f" --workload {shlex.quote(w)}"
        if args.workers != 1:
            again += f" --workers {args.workers}"
        print(
            f"tnpu sweep: interrupted; {saved_points(out)} point(s) saved in {out}; "
            f"this resumes from them: {again}",
            file=sys.stderr,
        )
        return 130
    finally:
        release()
    summary = {
        "out": str(out),
        "evaluator": evaluator,
        "points": stats.points,
        "computed": stats.computed,
        "reused": stats.reused,
        "infeasible": stats.infeasible,
        "wall_s": stats.wall_s,
        "points_per_minute": stats.computed / stats.wall_s * 60 if stats.wall_s > 0 else 0.0,
    }
    if args.json:
        print(json.dumps({**summary, "rows": rows}))
        return 0
    print(
        f"tnpu sweep: {stats.points} points ({stats.computed} computed, {stats.reused} reused, "
        f"{stats.infeasible} infeasible) in {stats.wall_s:.2f} s -> {out}"
    )
    if args.quiet or not rows:
        return 0
    params = list(spec.space)
    shown = [c for c in _SHOWN if c in rows[0]]
    header = ["workload", *params, *shown]
    limit = 20
    table = [[_cell(r.get(c)) for c in header] + [r.get("error") or ""] for r in rows[:limit]]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header)]
    print("  " + "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=False)))
    for t in table:
        cells = "  ".join(c.rjust(w) for c, w in zip(t, widths, strict=False))
        print(f"  {cells}  {t[-1][:60]}".rstrip())
    if len(rows) > limit:
        print(f"  ... {len(rows) - limit} more rows in {out}")
    if stats.infeasible:
        print(
            f"  {stats.infeasible} infeasible point(s): the error column of {out} says why", file=sys.stderr
        )
    return 0
