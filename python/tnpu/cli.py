"""The ``tnpu`` command line.

Each sub-command lives in its own module under :mod:`tnpu.commands` with two functions, ``add_parser(subparsers)``
and ``run(args) -> int``; :data:`COMMANDS` lists them. Exit codes: 0 success, 1 runtime error (bad input file,
failed simulation, missing optional package), 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tnpu.errors import ConfigError, SimulationError, TraceFormatError

#: Sub-command modules, in the order ``tnpu --help`` lists them.
COMMANDS: tuple[str, ...] = (
    "tnpu.commands.reproduce",
    "tnpu.commands.run",
    "tnpu.commands.demo",
    "tnpu.commands.workloads",
    "tnpu.commands.trace",
    "tnpu.commands.replay",
    "tnpu.commands.layer_cycles",
    "tnpu.commands.sweep",
    "tnpu.commands.list",
)

EXAMPLES = """\
examples:
  tnpu reproduce                 the paper's experiment: 5 networks x TNPU, DaDianNao, DNPU, and a bandwidth sweep
  tnpu reproduce --quick         the same mechanisms on fewer instances (seconds)
  tnpu run --model vgg16 --arch tnpu --json   one training batch on one accelerator
  tnpu demo                      run the kernel demo (traffic generator -> fixed-latency memory)
  tnpu demo --json               the same, as one JSON object
  tnpu workloads                 the model zoo (layers, MACs, weights, training MACs per sample)
  tnpu trace gen random -n 100000 -o r.trace --format dramsim3   generate a DRAM trace
  tnpu replay dram TRACE --dram ddr4-2400 --json   replay a DRAM trace through the DRAM controller
  tnpu layer-cycles --topology T.csv --config S.cfg   SCALE-Sim's compute report, per layer
  tnpu sweep examples/sweep_layers.toml --workers 2 --out r.parquet   a design-space sweep (resumable)
  tnpu list                      the registered choices: dataflows, schedulers, memory models, DRAM standards...
  tnpu COMMAND --help            help and examples for one command
"""


class _VersionAction(argparse.Action):
    """``--version``: the version is looked up only when asked for (the package metadata is slow to import)."""

    def __init__(
        self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object
    ) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        import tnpu

        print(f"tnpu-sim {tnpu.__version__}")
        parser.exit()


def _command_module(argv: Sequence[str]) -> str | None:
    """Return the module of the sub-command ``argv`` starts with; None for options first or no known command."""
    if not argv or argv[0].startswith("-"):
        return None
    module = "tnpu.commands." + argv[0].replace("-", "_")
    return module if module in COMMANDS else None


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    """Build the argument parser with the given sub-command modules (default: every registered one)."""
    parser = argparse.ArgumentParser(
        prog="tnpu",
        description="tnpu-sim: simulate TNPU, a CNN-training accelerator, and its DaDianNao/DNPU-style baselines.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in commands:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tnpu`` command and return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Only the named sub-command's module is imported (start-up time: `tnpu replay dram` does not load the workload
    # models); the full parser for everything else (help, options first, an unknown command's error message).
    only = _command_module(argv)
    parser = build_parser((only,) if only else COMMANDS)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except BrokenPipeError:  # the reader went away (`tnpu ... | head`): stop quietly, as other tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (ConfigError, TraceFormatError, SimulationError, OSError, ImportError) as exc:
        # One line, no traceback: the message names the file, line or field (ImportError: a missing extra).
        message = " ".join(str(exc).split())
        print(f"tnpu {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"tnpu {args.command}: interrupted", file=sys.stderr)
        return 130
