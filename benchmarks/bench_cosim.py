"""The cost of Python components inside the C++ simulation (issue 18, docs/scheduling.md).

Policies: one training batch (default VGG-16, batch 50, TNPU, ``--memory stream``: the calibrated bandwidth model,
so that the run takes seconds) under the C++ ``reorder`` scheduler and under Python policies that make the same
decisions (``examples/builtin_policies.py:Reorder``, which keeps the window in Python, and
``examples/srwf_policy.py:OldestFirst``, which leaves it to C++). Runs alternate, ``--repeat`` times each; the
minimum wall time and the minimum process CPU time (steadier when other jobs share the cores) of each are kept and
their ratios to the C++ run's are printed (goal: under 1.5x). Every Python run must give the C++ schedule exactly
(checked).

The cost per decision is measured apart, on the same batch with ``memory.model = "ideal"`` (no DMA: the simulation
itself is then cheap, so the difference is the policy's): CPU time (Python - C++) / decisions, and the time spent in
the policy's own Python code (``pick`` timed from Python): the rest is the binding (GIL, the ``ready`` view, the call).

Memory: a batch (default LeNet-5, batch 50) on the C++ ``fixed`` bandwidth model and on
``tnpu.memory.BandwidthLatency``, the same timing in Python (checked identical), one call per 64-byte request and
one call per burst (``max_request_bytes``); and a constant-latency model (the binding's own cost). Prints the CPU
time, the calls and the cost per call: CPU time (Python - C++) / calls.

Usage: python benchmarks/bench_cosim.py [--model vgg16] [--batch 50] [--memory stream] [--repeat 3]
       [--memory-model lenet5] [--memory-batch 50] [--skip-policy] [--skip-memory]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import tnpu
from tnpu import _core
from tnpu.accelerator import load_accelerator
from tnpu.memory import BandwidthLatency

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from builtin_policies import Reorder
from srwf_policy import OldestFirst


class Counting:
    """Wraps a policy and counts its decisions (the wrapper's own cost is part of what is measured)."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy
        self.name = type(policy).__name__
        self.window = getattr(policy, "window", None)
        self.decisions = 0
        self.pick_s = 0.0

    def reset(self, ctx: Any) -> None:
        self.decisions = 0
        self.pick_s = 0.0
        if hasattr(self.policy, "reset"):
            self.policy.reset(ctx)

    def pick(self, engine: str, ready: np.ndarray, now_ps: int) -> int | None:
        self.decisions += 1
        t0 = time.thread_time()
        row = self.policy.pick(engine, ready, now_ps)
        self.pick_s += time.thread_time() - t0
        return row


def _timed(variants: dict[str, Any], model: str, batch: int, overrides: dict[str, Any], repeat: int) -> Any:
    """Run each variant ``repeat`` times, alternating; return the C++ result and, per variant, the minimum wall
    time, the minimum process CPU time and the time spent in the policy's pick (in its fastest run)."""
    ref = tnpu.simulate(model, "tnpu", batch=batch, overrides=overrides)
    out: dict[str, dict[str, float]] = {k: {"wall": np.inf, "cpu": np.inf, "pick": 0.0} for k in variants}
    for _ in range(repeat):
        for name, sched in variants.items():
            w0, c0 = time.perf_counter(), time.process_time()
            r = tnpu.simulate(model, "tnpu", batch=batch, scheduler=sched, overrides=overrides)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            o = out[name]
            if cpu < o["cpu"] and isinstance(sched, Counting):
                o["pick"] = sched.pick_s
            o["wall"], o["cpu"] = min(o["wall"], wall), min(o["cpu"], cpu)
            if not np.array_equal(r.tasks, ref.tasks):
                raise SystemExit(f"{name}: the schedule differs from the C++ reorder's")
    return ref, out


def bench_policies(args: argparse.Namespace) -> None:
    overrides = {"memory.model": args.memory}
    tnpu.simulate("lenet5", "tnpu", batch=1, overrides=overrides)  # calibrates "stream" outside the timings
    ideal_ref = tnpu.simulate(args.model, "tnpu", batch=args.batch, overrides={"memory.model": "ideal"})
    limit = int(ideal_ref.meta["window_limit"])
    variants: dict[str, Any] = {
        "C++ reorder": "reorder",
        "Python Reorder (window in Python)": Counting(Reorder(limit)),
        "Python OldestFirst (window in C++)": Counting(OldestFirst()),
    }
    ref, t = _timed(variants, args.model, args.batch, overrides, args.repeat)
    _, ideal = _timed(variants, args.model, args.batch, {"memory.model": "ideal"}, max(args.repeat, 5))
    base, base_ideal = t["C++ reorder"], ideal["C++ reorder"]
    print(
        f"\npolicies: {args.model}, batch {args.batch}, tnpu, memory {args.memory} ({len(ref.tasks)} tasks, "
        f"window {limit}); min of {args.repeat} runs each, alternating (schedules checked identical)"
    )
    print(
        f"{'scheduler':<36} {'wall s':>7} {'ratio':>6} {'CPU s':>7} {'ratio':>6} {'decisions':>9}"
        f" {'us/decision':>11} {'in pick':>7} {'est. ratio':>10}"
    )
    for name, sched in variants.items():
        decisions = sched.decisions if isinstance(sched, Counting) else 0
        per = pick = est = "-"
        if decisions:
            cost = (ideal[name]["cpu"] - base_ideal["cpu"]) / decisions
            per, pick = f"{cost * 1e6:.1f}", f"{ideal[name]['pick'] / decisions * 1e6:.1f}"
            est = f"{(base['cpu'] + decisions * cost) / base['cpu']:.3f}"
        w, c = t[name]["wall"], t[name]["cpu"]
        print(
            f"{name:<36} {w:7.2f} {w / base['wall']:6.3f} {c:7.2f} {c / base['cpu']:6.3f} {decisions or '-':>9}"
            f" {per:>11} {pick:>7} {est:>10}"
        )
    print(
        "ratio: of tnpu.simulate's wall time and of the process's CPU time, to the C++ reorder's, same process\n"
        "(the wall time is noisy on a loaded machine). us/decision: the policy's cost per decision, CPU time\n"
        "(Python - C++) / decisions with memory 'ideal' (where the C++ run takes "
        f"{base_ideal['cpu']:.3f} s CPU; min of at least 5\n"
        "runs); in pick: of which in the policy's own pick. est. ratio: (C++ CPU + decisions x us/decision) / C++ CPU."
    )


class ConstantLatency:
    """The least a memory model can do: a constant latency (what is left is the binding's cost)."""

    def __init__(self, latency_ps: int) -> None:
        self.latency_ps = latency_ps

    def access(self, addr: int, nbytes: int, is_write: bool, now_ps: int) -> int:
        return self.latency_ps


def bench_memory(args: argparse.Namespace) -> None:
    cfg = load_accelerator("tnpu")
    mem = cfg.arch.memory
    # queue_depth large: the Python models never reject; notify_lines off with bursts: one completion each
    fixed = {"memory.model": "fixed", "memory.queue_depth": 1 << 20}
    cases = [
        (
            "fixed bandwidth, per line",
            {**fixed},
            {},
            lambda: BandwidthLatency(mem.latency_ps, mem.issue_interval_ps),
        ),
        (
            "fixed bandwidth, bursts",
            {**fixed, "memory.max_request_bytes": 4096, "dma.notify_lines": False},
            {"dma.notify_lines": False},
            lambda: BandwidthLatency(mem.latency_ps, mem.issue_interval_ps, max_request_bytes=4096),
        ),
        (
            "constant latency, per line",
            {**fixed, "memory.bandwidth_gbps": 64_000.0},  # 1 ps per line: no bus limit
            {},
            lambda: ConstantLatency(mem.latency_ps),
        ),
    ]
    rows = []
    for label, cpp, common, make in cases:
        cpu: dict[str, list[float]] = {"cpp": [], "py": []}
        calls = 0
        for _ in range(args.repeat):
            t0 = time.process_time()
            a = tnpu.simulate(args.memory_model, cfg, batch=args.memory_batch, overrides=cpp)
            cpu["cpp"].append(time.process_time() - t0)
            t0 = time.process_time()
            b = tnpu.simulate(
                args.memory_model, cfg, batch=args.memory_batch, memory=make(), overrides=common
            )
            cpu["py"].append(time.process_time() - t0)
            calls = int(b.stats["tnpu.external.requests"])
            same = np.array_equal(a.tasks, b.tasks)
            if label.startswith("fixed") and not same:
                raise SystemExit(f"{label}: the Python model's timing differs from the C++ fixed model's")
        rows.append((label, int(b.meta["dram_requests"]), calls, min(cpu["cpp"]), min(cpu["py"]), same))
    print(f"\nmemory: {args.memory_model}, batch {args.memory_batch}, tnpu; min of {args.repeat} runs each")
    print(
        f"{'Python model':<28} {'64-B lines':>11} {'calls':>10} {'C++ CPU s':>9} {'Python CPU s':>12} {'us/call':>8}"
    )
    for label, requests, calls, wc, wp, same in rows:
        mark = "" if same else "  (timing differs slightly: 1 ps bus)"
        print(
            f"{label:<28} {requests:>11,} {calls:>10,} {wc:9.2f} {wp:12.2f} {(wp - wc) / calls * 1e6:8.2f}{mark}"
        )
    print(
        "us/call: CPU time (Python - C++) / calls, against the C++ fixed model with the same timing (identical\n"
        "schedules checked for the fixed-bandwidth rows); the constant-latency row is the binding's own cost"
    )


def main() -> None:
    """Run the benchmarks and print their tables."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="vgg16")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--memory", default="stream", choices=["stream", "sampled", "fixed", "ideal"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-model", default="lenet5")
    ap.add_argument("--memory-batch", type=int, default=50)
    ap.add_argument("--skip-policy", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    print(f"tnpu._core build: {_core.build_type}; Python {sys.version.split()[0]}")
    if not args.skip_policy:
        bench_policies(args)
    if not args.skip_memory:
        bench_memory(args)


if __name__ == "__main__":
    main()
