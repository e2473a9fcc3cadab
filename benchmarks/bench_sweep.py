"""Sweep throughput: points per minute on 1 and 2 local worker processes (layer evaluator), and their ratio.

A fixed space: LeNet-5 and MPCNN, every conv/FC layer FP + BP + GD through the cycle-level DRAM controller, PU-c
rows x cols in {8, 16, 32}^2, batch in {1, 2, 4, 8}: 72 points of 20-60 ms each. Each run is a whole
``tnpu.sweep`` call on a fresh ProcessPoolExecutor (pool start-up included), streaming to a Parquet file. The
machine's load average and the CPU time the run got (seconds of CPU per second of wall time, workers included) are
printed beside each figure: on a shared machine the 2-worker ratio falls when the other core is busy, and the
"cores busy" column shows whether the sweep got the second core at all.

Run: python benchmarks/bench_sweep.py [--repeat N] [--workers 1 2 ...]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import resource
import tempfile
from pathlib import Path

from tnpu import _core
from tnpu.sweep import SerialExecutor, SweepStats, sweep

SPACE = {
    "memory.model": "dram",
    "arch.pu_c.rows": [8, 16, 32],
    "arch.pu_c.cols": [8, 16, 32],
    "batch": [1, 2, 4, 8],
}
WORKLOADS = ["lenet5", "mpcnn"]


def cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run(workers: int, out: Path) -> tuple[float, float, list[dict]]:
    """Return points per minute, CPU seconds per wall second, and the rows."""
    stats = SweepStats()
    cpu0 = cpu_s()
    if workers == 0:
        rows = sweep(SPACE, WORKLOADS, SerialExecutor(), out=out, resume=False, progress=False, stats=stats)
    else:
        with cf.ProcessPoolExecutor(max_workers=workers) as pool:
            rows = sweep(SPACE, WORKLOADS, pool, out=out, resume=False, progress=False, stats=stats)
    assert stats.computed == stats.points
    return stats.points / stats.wall_s * 60, (cpu_s() - cpu0) / stats.wall_s, rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per setting; the best is reported")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2], help="0: in-process (serial)")
    args = parser.parse_args()
    print(f"tnpu._core build type: {_core.build_type}; cores: {os.cpu_count()}")
    best: dict[int, float] = {}
    reference = None
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            rates = []
            for _ in range(args.repeat):
                load = os.getloadavg()[0]
                rate, cores, rows = run(workers, Path(tmp) / f"w{workers}.parquet")
                rates.append(rate)
                reference = reference or rows
                assert rows == reference, "results differ between executors"
                label = "in-process" if workers == 0 else f"{workers} worker(s)"
                print(
                    f"  {label:14s} {rate:8.0f} points/min   {cores:4.2f} cores busy on it"
                    f"   (load average before the run: {load:.2f})"
                )
            best[workers] = max(rates)
    points = len(reference or [])
    print(f"{points} points; best of {args.repeat}:")
    for workers, rate in best.items():
        print(f"  {'in-process' if workers == 0 else f'{workers} worker(s)':14s} {rate:8.0f} points/min")
    if 1 in best and 2 in best:
        print(f"  2 workers / 1 worker: {best[2] / best[1]:.2f}x (goal >= 1.8x on 2 idle cores)")


if __name__ == "__main__":
    main()
