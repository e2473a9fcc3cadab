"""``tnpu list``: every choice a config or a flag can name, with its description and the fields it reads.

The areas are dataflows, engines, data types, schedulers, memory models, DRAM standards, address mappings and trace
formats; each entry comes with the config fields it reads (unit, default). The list comes from the C++ registries (``tnpu._core.registry()``, plus the choices implemented in Python), the
same lists that validate configs and give the "did you mean" errors.
"""

from __future__ import annotations

import argparse
import json

from tnpu import registry
from tnpu.commands._args import add_command

EXAMPLES = """\
examples:
  tnpu list                    every area, its choices and their parameters
  tnpu list scheduler          the schedulers only
  tnpu list dram_standard --names   one name a line (for scripts)
  tnpu list --json             {area: [{name, description, source, params: [{name, unit, default, description}]}]}
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tnpu list``."""
    p = add_command(
        sub,
        "list",
        "list the registered choices: dataflows, schedulers, memory models, DRAM standards, ...",
        __doc__,
        EXAMPLES,
    )
    p.add_argument(
        "areas", nargs="*", metavar="AREA", help=f"areas to list (default all: {', '.join(registry.areas())})"
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object (one line)")
    out.add_argument("--names", action="store_true", help="print the names only, one a line")
    p.set_defaults(run=run)


def as_json(areas: list[str]) -> dict[str, list[dict[str, object]]]:
    """Return the entries of ``areas`` as plain JSON data."""
    reg = registry.registry()
    return {
        area: [
            {
                "name": e.name,
                "description": e.description,
                "source": e.source,
                "params": [
                    {"name": q.name, "unit": q.unit, "default": q.default, "description": q.description}
                    for q in e.params
                ],
            }
            for e in reg[area]
        ]
        for area in areas
    }


def as_text(areas: list[str]) -> str:
    """Return the entries of ``areas`` as indented text: one block per area, parameters under each entry."""
    reg = registry.registry()
    lines: list[str] = []
    for area in areas:
        if lines:
            lines.append("")
        lines.append(f"{area}:")
        width = max(len(e.name) for e in reg[area])
        # Parameter lists already printed, by the entry that had them: later entries refer to it.
        shown: dict[tuple[registry.Param, ...], str] = {}
        for e in reg[area]:
            note = "" if e.source == "C++" else f" [{e.source}]"
            lines.append(f"  {e.name:<{width}}  {e.description}{note}")
            if e.params and e.params in shown:
                lines.append(f"  {'':<{width}}    parameters as {shown[e.params]}")
                continue
            shown.setdefault(e.params, e.name)
            for q in e.params:
                unit = f" {q.unit}" if q.unit else ""
                default = f" (default {q.default}{unit})" if q.default != "" else ""
                lines.append(f"  {'':<{width}}    {q.name}{default}: {q.description}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``tnpu list``."""
    areas = list(args.areas) or list(registry.areas())
    for area in areas:
        registry.names(area)  # ConfigError "unknown registry area 'x' (known: ...); did you mean ...?"
    if args.json:
        print(json.dumps(as_json(areas)))
    elif args.names:
        for area in areas:
            print("\n".join(registry.names(area)))
    else:
        print(as_text(areas))
    return 0
