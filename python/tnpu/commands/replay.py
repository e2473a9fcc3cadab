"""``tnpu replay``: replay a trace through a model. ``tnpu replay dram TRACE --dram PRESET_OR_FILE``."""

from __future__ import annotations

import argparse
import json
import sys

EXAMPLES = """\
examples:
  tnpu replay dram traces/seq.dramsim3.trace.gz --dram ddr4-2400
  tnpu replay dram my.trace --dram path/to/DDR4_8Gb_x8_2400.ini --json
  tnpu replay dram my.trace --dram ramulator.cfg --format ramulator1 --set tRFC=350 --wrap
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu replay`` and its ``dram`` sub-command."""
    p = sub.add_parser(
        "replay",
        help="replay a trace through a model (dram)",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    models = p.add_subparsers(dest="model", metavar="MODEL")
    d = models.add_parser(
        "dram",
        help="replay a DRAMsim3 / Ramulator 1 / Ramulator 2 trace through the DRAM controller",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    d.add_argument("--json", action="store_true", help="print one JSON object")
    d.set_defaults(run=run_dram)

    def _usage(_args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(run=_usage)


def _parse_overrides(items: list[str]) -> dict[str, object]:
    from tnpu.dram import DramConfig
    from tnpu.errors import ConfigError

    defaults = DramConfig()
    out: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item}: expected FIELD=VALUE")
        key, text = (s.strip() for s in item.split("=", 1))
        if key not in DramConfig.model_fields():
            raise ConfigError(
                f"--set {key}: unknown field (valid: {', '.join(sorted(DramConfig.model_fields()))})"
            )
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
    result = replay_dram(args.trace, cfg, format=args.format, wrap=args.wrap)
    out = result.to_dict()
    if args.json:
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
