"""``tnpu run``: simulate one training batch of a network on an accelerator preset."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from tnpu import registry
from tnpu.commands._args import (
    LINES_PER_S,
    add_command,
    add_set_argument,
    check_outputs,
    memory_choices,
    min_dram_lines,
    non_negative_int,
    positive_int,
)

EXAMPLES = """\
examples: (each takes seconds unless marked)
  tnpu run --model vgg16 --arch tnpu --memory stream     one batch of 50 on TNPU (stream model)
  tnpu run --model alexnet --arch tnpu --batch 2 --memory sampled    sampled cycle-level DRAM, with its interval
  tnpu run --model mpcnn --arch tnpu                     one batch of 50 through the cycle-level DRAM
  tnpu run --model alexnet --arch dadiannao --batch 8 --json         (long: about a minute, cycle-level DRAM)
  tnpu run --model lenet5 --arch dnpu --schedule-csv schedule.csv --timeline lenet.json
  tnpu run --model vgg11 --arch tnpu --batch 2 --memory fixed --set memory.bandwidth_gbps=8.5   (about 10 s)
  tnpu run --model alexnet --arch my_design.toml --set engines.pu_c.array_rows=32 --save r.npz   (your own preset)
  tnpu run --model my_net.onnx --memory stream          an ONNX export (torch.onnx.export(model.eval(), (x,), path))
  tnpu run --model models.py:resnet --input-shape 3,32,32 --memory stream   a function returning a torch module
  tnpu run --model lenet5_b2.csv --memory ideal         a compute trace (tnpu workloads lenet5 --batch 2 --trace ...)
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu run``."""
    p = add_command(
        sub, "run", "simulate one training batch of a network on an accelerator", __doc__, EXAMPLES
    )
    p.add_argument(
        "--model",
        required=True,
        help="zoo network (lenet5, mpcnn, alexnet, vgg11, vgg16, resnet18...), an .onnx file, file.py:function "
        "(returns a torch nn.Module; give --input-shape) or a compute trace (.csv/.npz, holds its batch)",
    )
    p.add_argument(
        "--input-shape",
        metavar="C,H,W",
        help="per-sample input of a model file (3,224,224; or 1,3,224,224 as PyTorch's example input, whose "
        "leading 1 is not the simulated batch)",
    )
    p.add_argument(
        "--arch", default="tnpu", help="preset (tnpu, dadiannao, dnpu) or a .toml file (default tnpu)"
    )
    p.add_argument("--batch", type=positive_int, help="samples per batch (default: the preset's, 50)")
    p.add_argument(
        "--scheduler",
        help=f"{', '.join(registry.names('scheduler'))} (default: the preset's; tnpu list scheduler), or a Python "
        "policy as path/to/file.py:ClassName (docs/scheduling.md)",
    )
    p.add_argument(
        "--window", type=non_negative_int, help="reorder: instances in flight at most (0: stash-bound)"
    )
    p.add_argument(
        "--memory",
        choices=memory_choices(),
        help="dram: cycle-level controller for every request (the presets' default; slow for big nets at batch 50); "
        "sampled: that controller in detailed windows, measured per-class pipes between them, with an error "
        "estimate (docs/sampling.md); stream: bandwidth model calibrated on the DRAM model (what tnpu reproduce "
        "uses); fixed: --set memory.bandwidth_gbps/latency_ps; ideal: no memory time",
    )
    p.add_argument("--dram", help="DRAM preset or file for the dram model (default ddr4-2133)")
    add_set_argument(p)
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument(
        "--schedule-csv", metavar="FILE", help="write the executed schedule (with dependencies) as CSV"
    )
    p.add_argument("--timeline", metavar="FILE", help="write a Chrome/Perfetto trace (ui.perfetto.dev)")
    p.add_argument("--save", metavar="FILE", help="save the whole result (.npz; tnpu.load reads it)")
    p.add_argument("--force", action="store_true", help="overwrite output files that exist")
    p.add_argument("--quiet", action="store_true", help="no progress and no notes on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``tnpu run``."""
    from tnpu.simulate import simulate
    from tnpu.workloads.resolve import load_model

    overrides: dict[str, object] = {}
    if args.dram is not None:
        overrides["memory.dram"] = args.dram
        if not args.quiet:
            # A DRAMsim3 / Ramulator file: say what its keys did (an unknown key is an error right here).
            from tnpu.dram import load_dram_config

            cfg = load_dram_config(args.dram)
            for note in cfg.notes:
                print(f"tnpu run: note: {cfg.source}: {note}", file=sys.stderr)
    check_outputs(
        [("--schedule-csv", args.schedule_csv), ("--timeline", args.timeline), ("--save", args.save)],
        force=args.force,
    )
    if args.memory is not None:
        overrides["memory.model"] = args.memory
    overrides.update(dict(args.set))
    model = load_model(args.model, args.input_shape)
    if not args.quiet:
        _warn_if_long(args, overrides, model)
    from tnpu._progress import progress_bar

    with contextlib.ExitStack() as stack:
        shown = 0
        bar: Any = None

        def tick(started: int, total: int) -> None:  # tasks started of all: a bar, or a line every 5 s
            nonlocal shown, bar
            if bar is None:
                quiet = args.json or args.quiet
                bar = stack.enter_context(progress_bar(total, "tnpu run", enabled=not quiet, unit="tasks"))
            bar.update(started - shown)
            shown = started

        result = simulate(
            model,
            args.arch,
            batch=args.batch,
            scheduler=args.scheduler,
            window=args.window,
            overrides=overrides,
            progress=tick,
        )
    if args.schedule_csv:
        result.write_schedule_csv(args.schedule_csv, overwrite=args.force)
    if args.timeline:
        result.timeline(args.timeline, overwrite=args.force)
    if args.save:
        result.save(args.save, overwrite=args.force)
    if args.json:
        print(result.to_json())
        return 0
    s = result.summary()
    out = sys.stdout
    print(
        f"{s['model']} on {s['arch']} ({s['scheduler']}), batch {s['batch']}, memory {s['memory_model']}",
        file=out,
    )
    ci = s.get("time_s_ci95")
    est = s.get("time_s_estimate")
    ci_text = (
        f"   (estimate {est * 1e3:.3f} ms, 95 % interval {ci[0] * 1e3:.3f} - {ci[1] * 1e3:.3f} ms)"
        if ci and est is not None
        else ""
    )
    print(f"  time per batch      {s['time_s'] * 1e3:12.3f} ms{ci_text}", file=out)
    e_est, p_est = s.get("energy_j_estimate"), s.get("energy_paper_j_estimate")
    e_text = f"   (at the estimated time {e_est * 1e3:.3f} mJ)" if e_est is not None else ""
    p_text = f"   (at the estimated time {p_est * 1e3:.3f} mJ)" if p_est is not None else ""
    print(f"  energy (full)       {s['energy_j'] * 1e3:12.3f} mJ{e_text}", file=out)
    print(
        f"  energy (no DRAM)    {s['energy_paper_j'] * 1e3:12.3f} mJ   (the paper's accounting){p_text}",
        file=out,
    )
    print(f"  PU-c MAC util       {s['pu_c_util']:12.3f}   (conv MACs / PE capacity)", file=out)
    print(
        f"  PU-f MAC util       {s['pu_f_util']:12.3f}   (FC and element-wise MACs / lane capacity)", file=out
    )
    for name, busy in s["busy"].items():
        print(f"  {name + ' busy':<19} {busy:12.3f}   (share of the time running a task)", file=out)
    print(f"  DRAM utilisation    {s['dram_util']:12.3f}   ({s['dram_gbps']:.2f} GB/s moved)", file=out)
    print(
        f"  reorder window      {s['window_used']:>12} used of {s['window_limit'] or 'unbounded'}", file=out
    )
    print(f"  tasks / events      {s['tasks']:>12,} / {s['events']:,} ({s['wall_s']:.2f} s wall)", file=out)
    return 0


def _warn_if_long(args: argparse.Namespace, overrides: dict[str, object], model: Any = None) -> None:
    """On stderr: a run through the cycle-level DRAM that will take minutes says so, and how to get seconds."""
    from tnpu.accelerator import load_accelerator

    values = dict(overrides)
    if args.batch is not None:
        values["batch"] = args.batch
    cfg = load_accelerator(args.arch).override(values)
    if cfg.arch.memory.model != "dram":
        return
    lines = min_dram_lines(args.model if model is None else model, cfg.batch, cfg.instance_samples)
    seconds = lines / LINES_PER_S["dram"]
    if seconds > 30:
        print(
            f"tnpu run: note: at least {lines * 64 / 1e9:.1f} GB go through the cycle-level DRAM model: about "
            f"{seconds / 60:.0f} min or more; --memory sampled (docs/sampling.md) takes about a tenth of that, "
            "--memory stream seconds",
            file=sys.stderr,
        )
