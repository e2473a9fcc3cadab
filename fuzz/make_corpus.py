"""Write the seed corpora of the libFuzzer harnesses from the sample traces in traces/ (stdlib only).

    python fuzz/make_corpus.py OUT_DIR

Creates OUT_DIR/fuzz_dram_trace/ (the first lines of every DRAM sample trace, plain and gzip, with the harness's
control byte for each format) and OUT_DIR/fuzz_task_graph/ (the first tasks of every CSV compute trace in the
harness's byte encoding, under each scheduler). A few KiB in all; nothing binary is committed.
"""

from __future__ import annotations

import csv
import gzip
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMAT_BYTE = {"auto": 0, "dramsim3": 1, "ramulator1": 2, "ramulator2": 3}
KINDS = ["conv", "linear", "maxpool", "avgpool", "relu", "batchnorm", "add", "flatten", "loss"]
PHASES = ["FP", "BP", "GD", "WU"]


def dram_seeds(out: Path, lines: int = 24) -> None:
    """Write the first ``lines`` lines of every DRAM sample trace: auto-detected, named format, monotonic, gzip."""
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(ROOT.glob("traces/*.trace*")):
        raw = path.read_bytes()
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        head = b"\n".join(text.splitlines()[:lines]) + b"\n"
        fmt = next(f for f in FORMAT_BYTE if f in path.name)
        stem = path.name.split(".")[0] + "." + fmt
        for control, tag in (
            (FORMAT_BYTE["auto"], "auto"),
            (FORMAT_BYTE[fmt], "fmt"),
            (FORMAT_BYTE[fmt] | 4, "mono"),
        ):
            (out / f"{stem}.{tag}").write_bytes(bytes([control]) + head)
        (out / f"{stem}.gz").write_bytes(bytes([0]) + gzip.compress(head, compresslevel=9, mtime=0))


def _value(v: int, range_: int, offset: int = 0) -> bytes:
    """One field as the harness reads it: a byte (value + offset below range), else 255 and 8 bytes."""
    if 0 <= v + offset < min(range_, 255):
        return bytes([v + offset])
    return b"\xff" + struct.pack(">q", v)


def task_graph_seeds(out: Path, tasks: int = 36) -> None:
    """Write the first ``tasks`` tasks of every CSV compute trace, under each scheduler."""
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(ROOT.glob("traces/compute/*.csv")):
        rows = list(csv.reader(line for line in path.read_text().splitlines() if not line.startswith("#")))
        header, body = rows[0], rows[1 : 1 + tasks]
        col = {name: i for i, name in enumerate(header)}
        layers: dict[str, int] = {}
        blob = bytearray([len(body)])
        for r in body:
            layer = layers.setdefault(r[col["layer"]], len(layers))
            blob += _value(int(r[col["id"]]), 48) + _value(int(r[col["instance"]]), 4)
            blob += (
                _value(PHASES.index(r[col["phase"]]), 5)
                + _value(layer, 6)
                + _value(KINDS.index(r[col["kind"]]), 10)
            )
            for name in ("m", "n", "k", "macs", "bytes_in", "bytes_out"):
                blob += _value(int(r[col[name]]), 200, offset=2)
            blob.append(0)  # no recorded timing
            deps = [int(d) for d in r[col["deps"]].split() if int(d) < len(body)][:3]
            blob.append(len(deps))
            for d in deps:
                blob += _value(d, 48)
        blob.append(0)  # keep the CSR intact
        for choice, name in ((4, "inorder"), (5, "split"), (6, "reorder"), (6 | (1 << 3), "reorder-w1")):
            durations = bytes((17 * i + 5) % 251 for i in range(len(body)))
            (out / f"{path.stem}.{name}").write_bytes(bytes(blob) + bytes([choice]) + durations)


def main() -> None:
    """Write both corpora under the directory given (default build/fuzz/seeds)."""
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "fuzz" / "seeds"
    dram_seeds(out / "fuzz_dram_trace")
    task_graph_seeds(out / "fuzz_task_graph")
    print(f"seed corpora in {out}")


if __name__ == "__main__":
    main()
