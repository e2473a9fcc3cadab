"""``tnpu replay``: replay a trace through a model.

``tnpu replay dram TRACE --dram PRESET_OR_FILE``; ``tnpu replay compute TRACE --arch PRESET`` (recorded task cycles
against the model's prediction).
"""

from __future__ import annotations

import argparse
import json
import sys

from tnpu.commands._args import add_command, add_set_argument, non_negative_int

EXAMPLES = """\
examples:
  tnpu replay dram traces/sequential.dramsim3.trace --dram ddr4-2400
  tnpu replay dram my.trace --dram path/to/DDR4_8Gb_x8_2400.ini --json
  tnpu replay dram my.trace --dram ramulator.cfg --format ramulator1 --set tRFC=350 --wrap
  tnpu replay compute recorded.csv --arch tnpu                 predicted against recorded cycles per task
"""

COMPUTE_EXAMPLES = """\
examples:
  tnpu replay compute recorded.csv --arch tnpu                 worst 25 tasks and the error summary
  tnpu replay compute recorded.npz --arch dnpu --top 0 --json  every task, as JSON
  tnpu replay compute recorded.csv --arch tnpu --memory fixed --set memory.bandwidth_gbps=8.5

The trace needs start_cycle/end_cycle (in the preset's clock). Each task is predicted in isolation from its record
(GEMM shape, vector operations, bytes); conv tasks as a dense GEMM, since the trace holds no layer shapes
(docs/compute_replay.md).
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu replay`` and its ``dram`` sub-command."""
    p = add_command(sub, "replay", "replay a trace through a model (dram, compute)", __doc__, EXAMPLES)
    models = p.add_subparsers(dest="model", metavar="MODEL")
    d = add_command(
        models,
        "dram",
        "replay a DRAMsim3 / Ramulator 1 / Ramulator 2 trace through the DRAM controller",
        examples=EXAMPLES,
    )
    d.add_argument("trace", help="trace file (plain or gzip)")
    d.add_argument(
        "--dram",
        default="ddr4-2400",
        help="preset name, or a .toml / DRAMsim3 .ini / Ramulator 1 .cfg file (default ddr4-2400)",
    )
    d.add_argument("--format", default="auto", help="auto (default), dramsim3, ramulator1 or ramulator2")
    d.add_argument("--wrap", action="store_true", help="wrap addresses beyond the capacity (as the peers do)")
    d.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override a DRAM config field (repeatable), e.g. --set tRFC=350 --set page_policy=closed",
    )
    d.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (with config_notes and config_ignored_keys: what the config file's keys did)",
    )
    d.add_argument(
        "--verbose",
        action="store_true",
        help="list every key of a DRAMsim3 / Ramulator config file that has no effect, and why",
    )
    d.set_defaults(run=run_dram)

    c = add_command(
        models,
        "compute",
        "predict each task of a compute trace with recorded cycles on a preset; per-task error and MAPE",
        "Predict every task of a compute trace on an accelerator preset, in isolation, and compare "
        "with the cycles the trace recorded: a per-task table (worst first) and the error summary.",
        COMPUTE_EXAMPLES,
    )
    c.add_argument("trace", help="compute trace (.csv or .npz) with start_cycle/end_cycle recorded")
    c.add_argument(
        "--arch", default="tnpu", help="preset (tnpu, dadiannao, dnpu) or a .toml file (default tnpu)"
    )
    c.add_argument(
        "--memory",
        help="memory model: dram (cycle-level, the presets' default), fixed (bandwidth + latency), ideal",
    )
    add_set_argument(c)
    c.add_argument(
        "--top", type=non_negative_int, default=25, help="tasks listed, worst first (default 25; 0: all)"
    )
    c.add_argument("--json", action="store_true", help="print one JSON object (summary and every task)")
    c.set_defaults(run=run_compute)

    def _usage(_args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(run=_usage)


def _parse_overrides(items: list[str]) -> dict[str, object]:
    from tnpu.dram import DramConfig
    from tnpu.errors import ConfigError
    from tnpu.overrides import unknown_name

    defaults = DramConfig()
    out: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item}: expected FIELD=VALUE")
        key, text = (s.strip() for s in item.split("=", 1))
        if key not in DramConfig.model_fields():
            raise unknown_name(f"--set {key}", key, DramConfig.model_fields(), "DRAM field")
        default = getattr(defaults, key)
        try:
            if isinstance(default, bool):
                if text.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError(text)
                out[key] = text.lower() in ("true", "1", "yes", "on")
            elif isinstance(default, int):
                out[key] = int(text, 0)
            elif isinstance(default, float):
                out[key] = float(text)
            else:
                out[key] = text
        except ValueError:
            raise ConfigError(f"--set {key}: expected a {type(default).__name__}, got '{text}'") from None
    return out


def run_dram(args: argparse.Namespace) -> int:
    """Replay the trace and print its statistics."""
    from tnpu.dram import load_dram_config, replay_dram

    cfg = load_dram_config(args.dram, _parse_overrides(args.set))
    for note in cfg.notes:
        print(f"tnpu replay dram: note: {cfg.source}: {note}", file=sys.stderr)
    if args.verbose:
        for key in cfg.ignored_keys:
            print(f"tnpu replay dram: no effect: {cfg.source}: {key}", file=sys.stderr)
    result = replay_dram(args.trace, cfg, format=args.format, wrap=args.wrap)
    out = result.to_dict()
    if args.json:
        out["config_notes"] = list(cfg.notes)
        out["config_ignored_keys"] = list(cfg.ignored_keys)
        print(json.dumps(out))
        return 0
    print(f"tnpu replay dram: {args.trace} on {cfg.source}")
    for key, value in out.items():
        if isinstance(value, float):
            print(f"  {key:26s} {value:,.3f}")
        elif isinstance(value, int):
            print(f"  {key:26s} {value:,}")
        else:
            print(f"  {key:26s} {value}")
    return 0


def run_compute(args: argparse.Namespace) -> int:
    """Predict the trace's tasks and print predicted against recorded cycles."""
    from tnpu.compute_replay import replay_compute_trace

    overrides: dict[str, object] = dict(args.set)
    if args.memory is not None:
        overrides["memory.model"] = args.memory
    result = replay_compute_trace(args.trace, args.arch, overrides=overrides)
    if args.json:
        print(result.to_json())
        return 0
    print(result.format(args.top))
    return 0
