"""Read valgrind's XML report (scripts/leakcheck.sh) and fail on a leak or memory error in tnpu's own code.

An error counts as ours when a frame of its stack is in the extension module (``_core.*.so``) or in a ``tnpu::``
function: CPython and numpy keep some objects alive until exit on purpose, and those stacks never pass through us.
Known false positives go to scripts/leakcheck.supp, never here.

    python scripts/leakcheck_report.py build/leakcheck/valgrind.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def ours(frame: ET.Element) -> bool:
    """Tell whether a stack frame is tnpu's code."""
    obj = frame.findtext("obj") or ""
    fn = frame.findtext("fn") or ""
    return "/tnpu/_core." in obj or "tnpu::" in fn


def main() -> int:
    """Print every error of ours with its stack; return 1 if there is one."""
    root = ET.parse(sys.argv[1]).getroot()
    found = 0
    total = 0
    for error in root.iter("error"):
        total += 1
        frames = error.findall("./stack/frame")
        if not any(ours(f) for f in frames):
            continue
        found += 1
        what = error.findtext("./xwhat/text") or error.findtext("what") or error.findtext("kind")
        print(f"\n{error.findtext('kind')}: {what}")
        for f in frames[:25]:
            where = f.findtext("fn") or f.findtext("obj") or "?"
            line = f"{f.findtext('file')}:{f.findtext('line')}" if f.findtext("file") else ""
            print(f"    {'>' if ours(f) else ' '} {where} {line}")
    print(
        f"\nleakcheck: {found} leak(s)/error(s) in tnpu's code; {total - found} elsewhere (CPython, numpy) ignored"
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
