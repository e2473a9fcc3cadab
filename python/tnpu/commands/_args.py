"""Argument types shared by the sub-commands: each error says what was expected (argparse exits with code 2)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tnpu import registry


def add_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    doc: str | None = None,
    examples: str | None = None,
) -> argparse.ArgumentParser:
    """Add the sub-command ``name``: ``summary`` in its parent's ``--help``, ``doc`` and ``examples`` in its own.

    ``sub`` is the sub-parsers action of ``tnpu`` or of a command with actions of its own (``tnpu trace gen``); the
    raw formatter keeps the line breaks of ``doc`` and ``examples``.
    """
    return sub.add_parser(
        name,
        help=summary,
        description=doc,
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def whole_number(text: str, *, minimum: int) -> int:
    """Parse a whole number (decimal, 0x hex, 0o, 0b) that is at least ``minimum``."""
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < minimum:
        what = "a positive whole number" if minimum == 1 else f"a whole number >= {minimum}"
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def positive_int(text: str) -> int:
    """Parse a whole number >= 1."""
    return whole_number(text, minimum=1)


def non_negative_int(text: str) -> int:
    """Parse a whole number >= 0."""
    return whole_number(text, minimum=0)


def setting(text: str) -> tuple[str, object]:
    """Parse ``PATH=VALUE`` (a ``--set`` option) with the one override parser (:func:`tnpu.overrides.parse_setting`)."""
    from tnpu.errors import ConfigError
    from tnpu.overrides import parse_setting

    try:
        return parse_setting(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_set_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--set PATH=VALUE`` (repeatable): accelerator preset fields overridden by dotted path."""
    parser.add_argument(
        "--set",
        type=setting,
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override any preset field by dotted path (repeatable), e.g. --set buffer.capacity_bytes=1048576",
    )


def check_outputs(outputs: list[tuple[str, str | None]], *, force: bool) -> None:
    """Check output files before any work, raising ConfigError in command-line terms.

    Each (flag, path) must name a file in an existing directory and, without ``--force``, not exist yet.
    """
    from tnpu.errors import ConfigError

    for flag, path in outputs:
        if not path:
            continue
        p = Path(path)
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            raise ConfigError(f"{flag} {path}: directory {parent} does not exist")
        if p.is_dir():
            raise ConfigError(f"{flag} {path}: is a directory, expected a file")
        if p.exists() and not force:
            raise ConfigError(f"{flag} {path}: exists; pass --force to overwrite it")


def check_output_dir(flag: str, directory: str | None, names: list[str], *, force: bool) -> None:
    """Check an output directory before any work, raising ConfigError in command-line terms.

    ``directory`` may not exist yet (it is created later, with its parents): then its nearest existing ancestor must
    be a writable directory. If it exists it must be a directory, and without ``--force`` none of ``names`` in it may
    exist.
    """
    import os

    from tnpu.errors import ConfigError

    if not directory:
        return
    d = Path(directory)
    if d.exists():
        if not d.is_dir():
            raise ConfigError(f"{flag} {directory}: is a file, expected a directory")
        for name in names:
            f = d / name
            if f.is_dir():
                raise ConfigError(f"{flag} {directory}: {f} is a directory, expected a file")
            if f.exists() and not force:
                raise ConfigError(f"{flag} {directory}: {f} exists; pass --force to overwrite it")
        if not os.access(d, os.W_OK):
            raise ConfigError(f"{flag} {directory}: the directory is not writable")
        return
    ancestor = d.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"{flag} {directory}: {ancestor} is a file, so the directory cannot be created")
    if not os.access(ancestor, os.W_OK):
        raise ConfigError(f"{flag} {directory}: cannot create it ({ancestor} is not writable)")


#: DRAM lines per second of a whole training batch on the memory models that take long (benchmarks/bench_batch.py:
#: the cycle-level controller 2.5-4.4 M/s; sampled 45-50 M/s on VGG-16, batch 50; both rounded down).
LINES_PER_S = {"dram": 2.5e6, "sampled": 2e7}


def min_dram_lines(network: Any, batch: int, instance_samples: int = 1) -> int:
    """Return a lower bound of the 64-byte DRAM lines a training batch moves (tiling re-reads more).

    ``network``: a model spec, a Network, or a compute trace's TaskArrays (which hold their own batch).
    """
    from tnpu.workloads import TaskArrays, TrainingGraph, load_model

    model = load_model(network)
    if isinstance(model, TaskArrays):
        tasks = model.tasks
    else:
        tasks = TrainingGraph(model, batch=batch, instance_samples=instance_samples).tasks
    return int(tasks["bytes_in"].sum() + tasks["bytes_out"].sum()) // 64


def memory_choices() -> tuple[str, ...]:
    """Return the memory models ``--memory`` accepts: every registered one but ``external`` (an object: API only)."""
    return tuple(n for n in registry.names("memory_model") if n != "external")


def dram_memory_choices() -> tuple[str, ...]:
    """Return the memory models of a DRAM system (those that read ``memory.dram``), for ``tnpu reproduce``."""
    return tuple(
        n for n in registry.names("memory_model") if registry.reads("memory_model", n, "memory.dram")
    )
