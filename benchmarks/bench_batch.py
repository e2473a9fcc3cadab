"""One training batch of a network on each accelerator preset: wall time, simulated events/s, DRAM lines/s.

Issue 6's benchmark: VGG-16, batch 50, cycle-level DRAM model (``--memory dram``, every 64-byte line through the
DDR4-2133 controller); goal under 30 s per preset. The same batch on the stream model (``--memory stream``, the
bandwidth model ``tnpu reproduce`` uses by default) is the baseline the ratio is taken against, in this process.

On the cycle-level model it also prints ``overlap``: the share of DRAM column commands issued while a request to
another bank was waiting in the controller (``tnpu.dram.overlapped_columns``). A path that issues a row's run of
column commands in one step can reproduce the per-request timing only for runs with nothing else waiting, so
``1 - overlap`` bounds the share of the work such a path could take over exactly.

With ``sampled`` among the memory models (docs/sampling.md) it prints its wall time as a ratio to the cycle-level
run of the same preset in this process, and its bias-corrected batch time's error against it (with the run's own
95 % interval). ``--refs DIR`` takes the cycle-level run from DIR/<model>-<preset>-ddr4-2133-b<batch>.npz instead
where it exists (benchmarks/validate_sampled.py's references; the ratio is then to the wall time recorded when the
reference was made): a VGG-16 batch of 50 takes 11-22 minutes per preset on the cycle-level model.
Every line also gives the process CPU time of the run (``cpu s``), less sensitive than the wall time to other
work on a shared machine.

``--set PATH=VALUE`` (repeatable) overrides a field for every run, for example
``--set memory.sampling_paired_fraction=0.02``; ``--peak-gbps G`` runs the cycle-level and sampled models on the
memory system of the preset DRAM's devices nearest G GB/s (:func:`tnpu.dram.dram_at_peak_bandwidth`, the bandwidth
sweep's points: 4.26 GB/s is a x16 bus). Each line ends with every engine's summed task time (``engines s``), which
shows a model that is right in total but wrong per engine (docs/sampling.md, "Does not hold yet").

Usage: python benchmarks/bench_batch.py [--model vgg16] [--batch 50] [--memory dram sampled stream] [--presets ...]
       [--refs DIR] [--set PATH=VALUE ...] [--peak-gbps G]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import tnpu
from tnpu import _core
from tnpu.commands._args import setting
from tnpu.reproduce import calibrate_stream, memory_overrides
from tnpu.simulate import simulate


def engine_time(r: tnpu.Result) -> str:
    """Every engine's summed task time (s), as ``name=seconds``."""
    t = r.tasks
    d = t["end_ps"] - t["start_ps"]
    return " ".join(f"{e}={float(d[t['engine'] == i].sum()) * 1e-12:.4f}" for i, e in enumerate(r.engines))


def main() -> None:
    """Run the benchmark and print one line per (memory model, preset)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="vgg16")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--memory", nargs="+", default=["stream", "dram"], choices=["stream", "dram", "sampled"])
    ap.add_argument("--presets", nargs="+", default=["tnpu", "dadiannao", "dnpu"])
    ap.add_argument(
        "--refs", metavar="DIR", help="cycle-level references (.npz) to compare sampled runs with"
    )
    ap.add_argument("--set", type=setting, action="append", default=[], metavar="PATH=VALUE")
    ap.add_argument(
        "--peak-gbps", type=float, metavar="G", help="dram/sampled: the preset DRAM's devices at G GB/s"
    )
    args = ap.parse_args()
    if args.peak_gbps is not None and "stream" in args.memory:
        ap.error(
            "--peak-gbps applies to the dram and sampled models (the stream model scales its own bandwidth)"
        )
    extra = dict(args.set)
    print(f"tnpu._core build: {_core.build_type}; {args.model}, batch {args.batch}")
    cal = calibrate_stream()
    wall_of: dict[tuple[str, str], float] = {}
    time_of: dict[tuple[str, str], float] = {}
    ci_of: dict[str, list[float]] = {}
    print(
        f"{'memory':<7} {'preset':<10} {'sim time s':>11} {'wall s':>8} {'cpu s':>8} {'events':>13} {'Mev/s':>7}"
        f" {'DRAM lines':>13} {'Mlines/s':>9} {'RSS MB':>7} {'overlap':>8}  engines s"
    )
    for memory in args.memory:
        for preset in args.presets:
            if memory == "stream":
                overrides = memory_overrides(memory, cal)
            elif args.peak_gbps is not None:
                dram = tnpu.load_accelerator(preset).arch.memory.dram
                overrides = memory_overrides(memory, None, args.peak_gbps, dram=dram)
            else:
                overrides = {"memory.model": memory}
            t0, c0 = time.perf_counter(), time.process_time()
            r = simulate(args.model, preset, batch=args.batch, overrides={**overrides, **extra})
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            wall_of[(memory, preset)] = wall
            s = r.summary()
            time_of[(memory, preset)] = s.get("time_s_estimate") or s["time_s"]
            if s.get("time_s_ci95"):
                ci_of[preset] = s["time_s_ci95"]
            lines = r.meta["dram_requests"]
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            overlap = "-"
            if memory == "dram":
                st = r.stats
                columns = sum(st[f"tnpu.dram.cmd_{c}"] for c in ("rd", "wr", "rda", "wra"))
                overlap = f"{st['tnpu.dram.overlapped_columns'] / columns:.1%}" if columns else "-"
            print(
                f"{memory:<7} {preset:<10} {s['time_s']:>11.4f} {wall:>8.2f} {cpu:>8.2f} {s['events']:>13,}"
                f" {s['events'] / wall / 1e6:>7.2f} {lines:>13,} {lines / wall / 1e6:>9.2f} {rss:>7.0f}"
                f" {overlap:>8}  {engine_time(r)}",
                flush=True,
            )
    if "stream" in args.memory and "dram" in args.memory:
        for preset in args.presets:
            ratio = wall_of[("dram", preset)] / wall_of[("stream", preset)]
            print(f"{preset}: cycle-level DRAM takes {ratio:.1f}x the wall time of the stream model")
    # the cycle-level runs from stored references (made on the preset DRAM, so not with --peak-gbps)
    if "sampled" in args.memory and args.refs and args.peak_gbps is None:
        for preset in args.presets:
            path = Path(args.refs, f"{args.model}-{preset}-ddr4-2133-b{args.batch}.npz")
            if ("dram", preset) in wall_of or not path.exists():
                continue
            ref = tnpu.load(path)
            wall_of[("dram", preset)] = float(ref.meta["wall_s"])
            time_of[("dram", preset)] = float(ref.summary()["time_s"])
            print(
                f"dram    {preset:<10} {time_of[('dram', preset)]:>11.4f} {wall_of[('dram', preset)]:>8.2f}  ({path})"
            )
    if "sampled" in args.memory:
        for preset in args.presets:
            if ("dram", preset) not in wall_of:
                continue
            ratio = wall_of[("dram", preset)] / wall_of[("sampled", preset)]
            err = time_of[("sampled", preset)] / time_of[("dram", preset)] - 1
            lo, hi = ci_of[preset]
            inside = lo <= time_of[("dram", preset)] <= hi
            print(
                f"{preset}: sampled is {ratio:.1f}x faster than the cycle-level DRAM; batch time {err * 100:+.2f} %"
                f" (its 95 % interval {'holds' if inside else 'misses'} the cycle-level time)"
            )


if __name__ == "__main__":
    main()
