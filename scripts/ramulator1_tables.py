#!/usr/bin/env python3
"""Transcribe Ramulator 1's organisation and speed tables into ``python/tnpu/dram/_ramulator1_tables.py``.

    python scripts/ramulator1_tables.py /tmp/peers/ramulator1      # a folder with Ramulator 1's src/

Reads, for each standard tnpu-sim loads from a Ramulator 1 ``.cfg``, the header ``src/<STD>.h`` of
CMU-SAFARI/ramulator (the snapshot in ``../shared/peers``): the ``Org`` and ``Speed`` enums, ``org_table`` (density,
DQ, counts per level), ``speed_table`` with the field names of its ``SpeedEntry``, ``prefetch_size`` and
``channel_width``. The values are evaluated (``15+3``, ``(400.0/3)*6``, ``prefetch_size/2``) and written as Python
literals; what each standard's ``init_speed()`` derives at run time (tRFC, tFAW, ... by density and speed) is
ported by hand in ``_ramulator1.py``. Run again only if the snapshot changes; the output is committed.
"""

from __future__ import annotations

import pprint
import re
import sys
from pathlib import Path

STANDARDS = ("DDR3", "DDR4", "LPDDR3", "LPDDR4", "GDDR5", "HBM", "WideIO", "WideIO2")
OUT = Path(__file__).resolve().parents[1] / "python" / "tnpu" / "dram" / "_ramulator1_tables.py"


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", "", text)


def _enum(text: str, name: str) -> list[str]:
    m = re.search(r"enum class " + name + r" : int\s*\{(.*?)\}", text, flags=re.DOTALL)
    if not m:
        raise SystemExit(f"no enum {name}")
    return [x.strip() for x in m.group(1).split(",") if x.strip() and x.strip() != "MAX"]


def _braced(text: str, start: int) -> str:
    """Return the text between the brace at ``start`` and its match."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
    raise SystemExit("unbalanced braces")


def _top_level_groups(body: str) -> list[str]:
    groups, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                groups.append(body[start + 1 : i])
    return groups


def _eval(expr: str, env: dict[str, float]) -> float:
    expr = expr.strip()
    if not re.fullmatch(r"[0-9a-z_A-Z.+\-*/()<> ]+", expr):
        raise SystemExit(f"unexpected expression {expr!r}")
    return eval(expr, {"__builtins__": {}}, env)  # digits, operators and prefetch_size only


def standard(src: Path, name: str) -> dict[str, object]:
    """Return the tables of one standard's header."""
    text = _strip_comments((src / f"{name}.h").read_text())
    env = {
        "prefetch_size": int(re.search(r"int prefetch_size = (\d+)", text).group(1)),  # type: ignore[union-attr]
        "channel_width": int(re.search(r"int channel_width = (\d+)", text).group(1)),  # type: ignore[union-attr]
    }
    levels = _enum(text, "Level")
    out: dict[str, object] = {
        "prefetch_size": env["prefetch_size"],
        "channel_width": env["channel_width"],
        "levels": levels,
    }
    orgs = _enum(text, "Org")
    m = re.search(r"org_table\[int\(Org::MAX\)\] = \{", text)
    if m:
        rows = _top_level_groups(_braced(text, m.end() - 1))
        table = {}
        for org, row in zip(orgs, rows, strict=True):
            size, dq, counts = re.fullmatch(
                r"\s*([^,]+),\s*([^,]+),\s*\{(.*)\}\s*", row, flags=re.DOTALL
            ).groups()  # type: ignore[union-attr]
            table[org] = {
                "size_mb": int(_eval(size, env)),
                "dq": int(_eval(dq, env)),
                "count": [int(_eval(c, env)) for c in counts.split(",")],
            }
        out["org"] = table
    else:
        out["org"] = dict.fromkeys(orgs)  # built in the constructor (WideIO2): see _ramulator1.py
    fields_text = re.search(r"struct SpeedEntry \{(.*?)\}", text, flags=re.DOTALL).group(1)  # type: ignore[union-attr]
    fields = [
        f.strip() for decl in fields_text.split(";") for f in re.sub(r"^\s*(int|double)", "", decl).split(",")
    ]
    fields = [f for f in fields if f]
    m = re.search(r"speed_table\[int\(Speed::MAX\)\] = \{", text)
    rows = _top_level_groups(_braced(text, m.end() - 1))  # type: ignore[union-attr]
    speeds = {}
    for sp, row in zip(_enum(text, "Speed"), rows, strict=True):
        values = [_eval(v, env) for v in row.split(",") if v.strip()]
        if len(values) != len(fields):
            raise SystemExit(f"{name} {sp}: {len(values)} values for {len(fields)} fields")
        speeds[sp] = [v if f in ("freq", "tCK") else int(v) for f, v in zip(fields, values, strict=True)]
    out["speed_fields"] = fields
    out["speed"] = speeds
    return out


def main() -> int:
    """Write the tables module."""
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src = Path(sys.argv[1]) / "src"
    lines = ["TABLES: dict[str, Any] = {"]
    for name in STANDARDS:
        t = standard(src, name)
        lines.append(f"    {name!r}: {{")
        for key in ("prefetch_size", "channel_width", "levels", "speed_fields"):
            lines.append(f"        {key!r}: {pprint.pformat(t[key], width=200, compact=True)},")
        for key in ("org", "speed"):
            lines.append(f"        {key!r}: {{")
            for k, v in t[key].items():  # type: ignore[attr-defined]
                lines.append(f"            {k!r}: {v!r},")
            lines.append("        },")
        lines.append("    },")
    lines.append("}")
    body = "\n".join(lines)
    OUT.write_text(
        '"""Ramulator 1\'s organisation and speed tables (CMU-SAFARI/ramulator 214f6358, src/<STD>.h; MIT licence).\n\n'
        "Generated by scripts/ramulator1_tables.py from the peer's headers; do not edit. Org counts are per level, in\n"
        "the order of ``levels`` (0: set from the config file); a speed row holds ``speed_fields`` in order, timing in\n"
        "memory clock cycles (``freq`` MHz, ``tCK`` ns).\n"
        '"""\n\n'
        "from typing import Any\n\n"
        "# fmt: off\n"
        f"{body}\n"
        "# fmt: on\n"
    )
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
