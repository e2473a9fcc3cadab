"""Kernel throughput: 10 million events spread over many self-rescheduling modules, driven from Python in one call.

Prints events per second for several module counts, and the same workload on a minimal pure-Python heapq event loop
(run in this process on fewer events) as a baseline, so the figure reads as a ratio on a noisy machine.

    python benchmarks/bench_kernel.py [--events 10000000] [--modules 1000]
"""

from __future__ import annotations

import argparse
import heapq
import os
import time

import tnpu
from tnpu import _core


def run_kernel(modules: int, events: int) -> float:
    sim = tnpu.Simulator()
    _core._testing.add_tickers(sim, modules, events, 1000)
    t0 = time.perf_counter()
    n = sim.run()
    dt = time.perf_counter() - t0
    assert n == events, (n, events)
    return n / dt


def run_python_heapq(modules: int, events: int) -> float:
    """The same ticker workload on heapq: (time, priority, seq) tuples, a method call per event."""
    per = events // modules
    remaining = [per] * modules
    periods = [1000 * (1 + i % 8) for i in range(modules)]
    seq = 0
    queue: list[tuple[int, int, int, int]] = []
    for i in range(modules):
        queue.append((periods[i], 2, seq, i))
        seq += 1
    heapq.heapify(queue)
    n = 0
    t0 = time.perf_counter()
    while queue:
        t, _p, _s, i = heapq.heappop(queue)
        n += 1
        remaining[i] -= 1
        if remaining[i] > 0:
            heapq.heappush(queue, (t + periods[i], 2, seq, i))
            seq += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--modules", type=int, nargs="+", default=[10, 100, 1000, 10_000])
    args = ap.parse_args()
    print(f"tnpu-sim {tnpu.__version__}, core build {_core.build_type}, {os.cpu_count()} CPUs")
    base = run_python_heapq(1000, min(args.events, 1_000_000))
    print(f"baseline: pure-Python heapq loop, 1000 modules: {base / 1e6:6.2f} M events/s")
    for m in args.modules:
        rate = run_kernel(m, args.events)
        print(
            f"tnpu kernel: {args.events / 1e6:.0f} M events over {m:>6} modules: {rate / 1e6:6.2f} M events/s "
            f"({rate / base:5.1f}x the heapq baseline)"
        )


if __name__ == "__main__":
    main()
