"""``tnpu demo``: the kernel end to end: a traffic generator driving a fixed-latency memory with back-pressure."""

from __future__ import annotations

import argparse
import json
import time

from tnpu import _core
from tnpu.commands._args import add_command, non_negative_int, positive_int
from tnpu.sim import Simulator

EXAMPLES = """\
examples:
  tnpu demo
  tnpu demo --requests 100000 --latency-ps 80000 --queue-depth 8 --json
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu demo``."""
    p = add_command(
        sub, "demo", "run the kernel demo: traffic generator -> fixed-latency memory", __doc__, EXAMPLES
    )
    p.add_argument("--requests", type=positive_int, default=1_000_000, help="requests to issue (default 1e6)")
    p.add_argument(
        "--latency-ps", type=non_negative_int, default=100_000, help="memory latency (default 100 ns)"
    )
    p.add_argument("--queue-depth", type=positive_int, default=16, help="memory queue slots (default 16)")
    p.add_argument(
        "--interval-ps",
        type=non_negative_int,
        default=3_750,
        help="minimum start interval (default 3750 ps)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo and print its statistics."""
    sim = Simulator()
    mem = _core.FixedLatencyMemory(
        sim,
        "mem",
        latency_ps=args.latency_ps,
        queue_depth=args.queue_depth,
        issue_interval_ps=args.interval_ps,
    )
    _core.TrafficGenerator(sim, "gen", mem, count=args.requests, write_every=3)
    t0 = time.perf_counter()
    events = sim.run()
    wall = time.perf_counter() - t0
    stats = sim.stats()
    bound = min(
        1 / args.interval_ps if args.interval_ps else float("inf"), args.queue_depth / max(args.latency_ps, 1)
    )
    out = {
        "requests": stats["tnpu.gen.completed"],
        "simulated_ps": sim.now,
        "throughput_req_per_ns": stats["tnpu.gen.completed"] / sim.now * 1000 if sim.now else 0.0,
        "throughput_bound_req_per_ns": bound * 1000,
        "mean_latency_ps": stats["tnpu.gen.latency.mean"],
        "rejections": stats["tnpu.mem.rejections"],
        "events": events,
        "wall_s": wall,
        "events_per_s": events / wall if wall > 0 else 0.0,
    }
    if args.json:
        print(json.dumps(out))
    else:
        print("tnpu demo: traffic generator -> fixed-latency memory")
        for key, value in out.items():
            print(f"  {key:28s} {value:,.3f}" if isinstance(value, float) else f"  {key:28s} {value:,}")
    return 0
