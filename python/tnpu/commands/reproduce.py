"""``tnpu reproduce``: the paper's experiment (five networks on TNPU, DaDianNao and DNPU; bandwidth sweep)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from tnpu.commands._args import LINES_PER_S, add_command, dram_memory_choices, min_dram_lines, positive_int

EXAMPLES = """\
examples:
  tnpu reproduce                   batch 50, five networks, three presets, bandwidth sweep (under 5 minutes)
  tnpu reproduce --quick           the same mechanisms on 4 instances per batch, sampling-only intervals
  tnpu reproduce --memory stream   the bandwidth model instead of sampled DRAM, sweep too: seconds, up to 10 % off
  tnpu reproduce --json > r.json   everything as one JSON object
  tnpu reproduce --quick --plots figs    also write the figures as PNG in figs/ (plot extra: matplotlib)
  tnpu reproduce --quick --report out    one page out/index.html: tables, figures, assumptions (plot extra)
  tnpu reproduce --networks alexnet vgg16 --memory dram --no-sweep   cycle-level DRAM for every request (slow)
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu reproduce``."""
    p = add_command(
        sub,
        "reproduce",
        "the paper's experiment: speedup and energy of TNPU over DaDianNao and DNPU, bandwidth sweep",
        __doc__,
        EXAMPLES,
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="4 instances per batch; the sweep on its first network only, 2 instances per point, 3 bandwidths",
    )
    p.add_argument("--networks", nargs="+", metavar="NET", help="networks (default: the paper's five)")
    p.add_argument("--batch", type=positive_int, help="samples per batch (default 50; --quick: 4)")
    p.add_argument(
        "--memory",
        choices=dram_memory_choices(),
        default="sampled",
        help="sampled (default): the cycle-level DRAM model in detailed windows, measured per-class pipes between "
        "them, with an error estimate (docs/sampling.md); each bandwidth-sweep point is a real memory system of the "
        "preset DRAM's devices at that peak (more channels above it, a narrower bus below: "
        "tnpu.dram.dram_at_peak_bandwidth), run without the paired check: its interval covers the sampling error "
        "only; stream: bandwidth model calibrated on the DRAM model, the sweep scaling its bandwidth (seconds; "
        "docs/sampling.md has its error); dram: cycle-level for every request, the sweep's points too (slow)",
    )
    p.add_argument(
        "--no-sweep",
        action="store_true",
        help="skip the bandwidth sweep (batch 10 of alexnet and vgg16 at 4-68 GB/s peak on three presets)",
    )
    p.add_argument("--workers", type=positive_int, default=2, help="simulations run at once (default 2)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--plots",
        metavar="DIR",
        help="write the figures as PNG in DIR (created if missing): Figure 4 occupancy, utilisation over time, "
        "energy breakdown, bandwidth sweep (needs matplotlib: the plot extra)",
    )
    p.add_argument(
        "--report",
        metavar="DIR",
        help="write DIR/index.html (DIR created if missing): one self-contained page with the tables, the figures "
        "and the assumptions, the paper's numbers beside ours (needs matplotlib: the plot extra)",
    )
    p.add_argument("--force", action="store_true", help="--plots, --report: overwrite files that exist")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``tnpu reproduce``."""
    from tnpu.reproduce import BANDWIDTHS, NETWORKS, SWEEP_BATCH, SWEEP_NETWORKS, format_report, reproduce

    batch = args.batch or (4 if args.quick else 50)
    bandwidths = () if args.no_sweep else ((4.0, 17.06, 68.0) if args.quick else BANDWIDTHS)
    tty = sys.stderr.isatty()
    show = tty and not args.json and not args.quiet
    if args.plots is not None or args.report is not None:  # fail before the experiment, not after it
        from tnpu._optional import optional_import
        from tnpu.commands._args import check_output_dir
        from tnpu.plots import FIGURE_FILES
        from tnpu.report import REPORT_FILE

        optional_import("matplotlib")
        check_output_dir("--plots", args.plots, list(FIGURE_FILES), force=args.force)
        check_output_dir("--report", args.report, [REPORT_FILE], force=args.force)

    started = time.monotonic()
    last = [started]

    def progress(msg: str) -> None:
        if show:
            print(f"\r\033[K{msg}", end="", file=sys.stderr, flush=True)
            return
        if args.quiet:
            return
        # not a terminal (a pipe, a log, CI): a line every few seconds with percent, rate and time left
        now = time.monotonic()
        head = msg.split(" ", 1)[0].split("/")
        if len(head) != 2 or not all(x.isdigit() for x in head):  # a stage, not a count
            print(f"tnpu reproduce: {msg}", file=sys.stderr, flush=True)
            return
        done, total = (int(x) for x in head)
        if now - last[0] < 5 and done < total:
            return
        last[0] = now
        elapsed = now - started
        left = elapsed / done * (total - done) if done else 0.0
        print(
            f"tnpu reproduce: {done}/{total} runs ({done / total:.0%}), {done / elapsed * 60:.1f} runs/min, "
            f"about {left:.0f} s left",
            file=sys.stderr,
            flush=True,
        )

    networks = args.networks or NETWORKS
    if not args.quiet:
        _say_if_long(networks, batch, args.memory)
    # the sweep runs on the chosen networks that the default sweep has, else on the first one chosen
    sweep_networks = tuple(n for n in SWEEP_NETWORKS if n in networks) or tuple(networks[:1])
    if (
        args.quick
    ):  # the sweep's points run the cycle-level DRAM too: one network keeps --quick within seconds
        sweep_networks = sweep_networks[:1]
    rep = reproduce(
        networks,
        sweep_networks=sweep_networks,
        batch=batch,
        memory=args.memory,
        bandwidths=bandwidths,
        sweep_batch=2 if args.quick else SWEEP_BATCH,
        workers=args.workers,
        progress=progress,
        paired=not args.quick,  # at 4 instances the paired check is a quarter of the work in detail
    )
    if show:
        print("\r\033[K", end="", file=sys.stderr)
    print(json.dumps(rep, sort_keys=True) if args.json else format_report(rep))
    if args.plots is not None or args.report is not None:
        from tnpu.plots import png_bytes, reproduce_figures, write_reproduce_figures
        from tnpu.report import write_report

        progress("figures: extra runs for the occupancy and busy/MAC utilisation views")
        figures = reproduce_figures(rep, batch=min(batch, 4), workers=args.workers)
        if show:
            print("\r\033[K", end="", file=sys.stderr)
        written = []
        if args.plots is not None:
            written += write_reproduce_figures(rep, args.plots, figures=figures, force=args.force)
        if args.report is not None:
            pngs = {name: png_bytes(fig) for name, fig in figures.items()}
            written.append(write_report(rep, args.report, pngs, force=args.force))
        for path in written:
            print(f"tnpu reproduce: wrote {path}", file=sys.stderr)
    return 0


def _say_if_long(networks: list[str] | tuple[str, ...], batch: int, memory: str) -> None:
    """On stderr, before the experiment: a run expected to take over about 10 s says so and names the faster way."""
    from tnpu.reproduce import PRESETS

    rate = LINES_PER_S.get(memory)
    if rate is None:
        return
    lines = sum(min_dram_lines(net, batch) for net in networks)
    seconds = lines * len(PRESETS) / rate / 2  # two simulations at once
    if seconds > 10:
        took = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
        faster = "--quick or --memory stream take" if batch > 4 else "--memory stream takes"
        print(
            f"tnpu reproduce: at least {lines * len(PRESETS) / 1e9:.1f} G DRAM lines on the {memory} model: about "
            f"{took} or more on 2 cores; {faster} seconds",
            file=sys.stderr,
            flush=True,
        )
