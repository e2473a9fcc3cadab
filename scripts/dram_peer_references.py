#!/usr/bin/env python3
"""Make the DRAM validation references with the peers: DRAMsim3 and Ramulator 1, built from ``../shared/peers``.

    ../shared/peers/build.sh /tmp/peers                                   # once, about 2 minutes
    python scripts/dram_peer_references.py --peers /tmp/peers              # every case (about 20 minutes)
    python scripts/dram_peer_references.py --peers /tmp/peers --case ds3-HBM2_8Gb_x128   # one case, merged in
    python scripts/dram_peer_references.py --list                          # the cases
    python scripts/dram_peer_references.py --compare [--summary]           # tnpu-sim against them (no peers needed)

Each case is one peer config file (a file the peer ships, in its ``configs/`` folder, or one of
``tests/data/dram_peers/``) and a few traces made for it (below). The peers' numbers go to
``tests/data/dram_peer_references.json``: per case and trace the trace's parameters (so that
``tests/test_dram_validation.py`` regenerates the very same trace), the drain time, the average read latency, the
row hits and the command counts. Nothing here runs tnpu-sim's model: it only reads the config (to size the traces:
capacity, the stride that changes only the row).

Traces (64-byte requests, 64-byte aligned, seed 1, the same list in DRAMsim3's and Ramulator 1's formats):

- ``seq_read``: sequential reads from 0, as fast as accepted;
- ``rand_read``: uniform random reads over the first min(capacity, 1 GiB);
- ``rand_mix``: the same, each request a write with probability 1/3;
- ``row_conflict``: reads with the stride that changes only the row (same channel, rank, bank, column);
- ``light_rand`` (DRAMsim3 only: Ramulator 1 has no time stamps): random reads one every ``gap`` cycles, the
  light-load latency.

How the peers' numbers are obtained (as for ``../shared/validation/dram``, whose README has the details):
DRAMsim3 has no "stop at the end of the trace": it runs a fixed number of cycles, so the drain time is the smallest
``-c`` at which every read has completed and every write command issued (their final counts, from a run long enough
that a run twice as long changes nothing), found by bisection; its statistics come from that run. Its trace reader
adds one read of address 0 after the last line when its queue has room at that moment; the reference says so
(``extra_read``). Ramulator 1 (``--mode=dram``) stops by itself: ``dram_cycles``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "data" / "dram_peer_references.json"
LOCAL_CONFIGS = REPO / "tests" / "data" / "dram_peers"
SNAPSHOTS = REPO.parent / "shared" / "peers"

REQUEST_BYTES = 64
SEED = 1
SPAN_LIMIT = 1 << 30
SIZES = {"seq_read": 16384, "rand_read": 16384, "rand_mix": 12000, "row_conflict": 2048, "light_rand": 2000}
LIGHT_GAP = 250  # memory cycles between the light-load requests
PATTERNS_DS3 = ("seq_read", "rand_read", "rand_mix", "row_conflict", "light_rand")
PATTERNS_R1 = ("seq_read", "rand_read", "rand_mix", "row_conflict")

# (case name, tool, config: "peer:<path in the peer's tree>" or "local:<file in tests/data/dram_peers>")
CASES: list[tuple[str, str, str]] = [
    ("ds3-DDR3_8Gb_x8_1600", "DRAMsim3", "peer:configs/DDR3_8Gb_x8_1600.ini"),
    ("ds3-DDR3_4Gb_x16_1866", "DRAMsim3", "peer:configs/DDR3_4Gb_x16_1866.ini"),
    ("ds3-DDR4_8Gb_x8_2400", "DRAMsim3", "peer:configs/DDR4_8Gb_x8_2400.ini"),
    ("ds3-DDR4_8Gb_x16_3200", "DRAMsim3", "peer:configs/DDR4_8Gb_x16_3200.ini"),
    ("ds3-DDR4_4Gb_x4_2133_2", "DRAMsim3", "peer:configs/DDR4_4Gb_x4_2133_2.ini"),
    ("ds3-LPDDR4_8Gb_x16_2400", "DRAMsim3", "peer:configs/LPDDR4_8Gb_x16_2400.ini"),
    ("ds3-LPDDR3_8Gb_x32_1600", "DRAMsim3", "peer:configs/LPDDR3_8Gb_x32_1600.ini"),
    ("ds3-HBM1_4Gb_x128", "DRAMsim3", "peer:configs/HBM1_4Gb_x128.ini"),
    ("ds3-HBM2_8Gb_x128", "DRAMsim3", "peer:configs/HBM2_8Gb_x128.ini"),
    ("ds3-GDDR5_8Gb_x32", "DRAMsim3", "peer:configs/GDDR5_8Gb_x32.ini"),
    ("ds3-GDDR5X_8Gb_x32", "DRAMsim3", "peer:configs/GDDR5X_8Gb_x32.ini"),
    ("ds3-GDDR6_8Gb_x16", "DRAMsim3", "peer:configs/GDDR6_8Gb_x16.ini"),
    ("r1-DDR3", "Ramulator1", "peer:configs/DDR3-config.cfg"),
    ("r1-DDR4", "Ramulator1", "peer:configs/DDR4-config.cfg"),
    ("r1-DDR4_3200", "Ramulator1", "local:ramulator1_DDR4_3200_8Gb_x16.cfg"),
    ("r1-LPDDR4", "Ramulator1", "peer:configs/LPDDR4-config.cfg"),
    ("r1-LPDDR3", "Ramulator1", "peer:configs/LPDDR3-config.cfg"),
    ("r1-GDDR5", "Ramulator1", "peer:configs/GDDR5-config.cfg"),
    ("r1-HBM", "Ramulator1", "peer:configs/HBM-config.cfg"),
    ("r1-WideIO", "Ramulator1", "peer:configs/WideIO-config.cfg"),
    ("r1-WideIO2", "Ramulator1", "peer:configs/WideIO2-config.cfg"),
]
PEER_DIRS = {"DRAMsim3": "dramsim3", "Ramulator1": "ramulator1"}


class RefError(Exception):
    """A missing input or a failed peer run: reported as one line."""


# ------------------------------------------------------------------------------------------------------ traces


def _splitmix64(seed: int) -> Iterator[int]:
    """Yield 64-bit numbers of SplitMix64 from ``seed``: the same numbers on every Python version."""
    state = seed & 0xFFFFFFFFFFFFFFFF
    mask = 0xFFFFFFFFFFFFFFFF
    while True:
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        yield z ^ (z >> 31)


def trace_requests(params: dict[str, Any]) -> list[tuple[int, bool, int]]:
    """Return the requests ``(address, is_write, stamp in memory cycles)`` of the trace ``params`` describes.

    ``params``: ``pattern``, ``requests``, ``seed``, and per pattern ``span`` (random), ``stride``
    (row_conflict), ``gap`` (light_rand). Pure: ``tests/test_dram_validation.py`` regenerates the traces with it.
    """
    pattern = params["pattern"]
    n = int(params["requests"])
    rng = _splitmix64(int(params["seed"]))
    out: list[tuple[int, bool, int]] = []
    if pattern == "seq_read":
        out = [(i * REQUEST_BYTES, False, 0) for i in range(n)]
    elif pattern in ("rand_read", "rand_mix", "light_rand"):
        lines = int(params["span"]) // REQUEST_BYTES
        gap = int(params.get("gap", 0))
        for i in range(n):
            address = (next(rng) % lines) * REQUEST_BYTES
            is_write = pattern == "rand_mix" and next(rng) % 3 == 0
            out.append((address, is_write, i * gap))
    elif pattern == "row_conflict":
        stride = int(params["stride"])
        out = [(i * stride, False, 0) for i in range(n)]
    else:
        raise ValueError(f"unknown pattern {pattern!r}")
    return out


def write_trace(path: Path, requests: list[tuple[int, bool, int]], fmt: str) -> None:
    """Write ``requests`` as a DRAMsim3 (``0xADDR READ|WRITE cycle``) or Ramulator 1 (``0xADDR R|W``) trace."""
    if fmt == "dramsim3":
        lines = [f"0x{a:X} {'WRITE' if w else 'READ'} {t}" for a, w, t in requests]
    elif fmt == "ramulator1":
        lines = [f"0x{a:X} {'W' if w else 'R'}" for a, w, _ in requests]
    else:
        raise ValueError(fmt)
    path.write_text("\n".join(lines) + "\n")  # Ramulator 1 drops a last line without a newline


def _row_stride(cfg: Any) -> int:
    """Return the smallest power-of-two address stride that changes only the row (the config's mapping)."""
    import numpy as np

    from tnpu import _core

    spec = cfg.to_spec()
    stride = REQUEST_BYTES
    while stride < spec.capacity_bytes:
        base, d = _core.dram_decode(spec, np.array([0, stride], dtype=np.uint64))  # ch ra bg ba ro co
        if d[4] != base[4] and all(d[i] == base[i] for i in (0, 1, 2, 3, 5)):
            return stride
        stride *= 2
    raise RefError(f"{cfg.source}: no stride changes only the row")


def case_traces(tool: str, cfg: Any) -> list[dict[str, Any]]:
    """Return the trace parameters of one case (sized with the loaded config ``cfg``)."""
    capacity = int(cfg.capacity_bytes)
    span = min(capacity, SPAN_LIMIT)
    out = []
    for pattern in PATTERNS_DS3 if tool == "DRAMsim3" else PATTERNS_R1:
        p: dict[str, Any] = {"pattern": pattern, "requests": SIZES[pattern], "seed": SEED}
        if pattern in ("rand_read", "rand_mix", "light_rand"):
            p["span"] = span
        if pattern == "light_rand":
            p["gap"] = LIGHT_GAP
        if pattern == "row_conflict":
            p["stride"] = _row_stride(cfg)
            if p["stride"] * p["requests"] > capacity:
                p["requests"] = capacity // p["stride"]
        out.append(p)
    return out


# ------------------------------------------------------------------------------------------------------ peers


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> float:
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=cwd)
    except OSError as e:
        raise RefError(f"{what}: cannot run {cmd[0]}: {e.strerror or e}") from None
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise RefError(f"{what} failed (exit status {done.returncode}): {tail}")
    return time.perf_counter() - t0


def _ds3_config_copy(ini: Path, out: Path) -> Path:
    """Copy the .ini with ``epoch_period`` raised past any run (no periodic statistics); nothing else changes."""
    lines = ini.read_text().splitlines()
    found = False
    for i, line in enumerate(lines):
        if line.split("=")[0].strip().lower() == "epoch_period":
            lines[i] = "epoch_period = 2000000000"
            found = True
    if not found:
        lines += ["[other]", "epoch_period = 2000000000"]
    out.write_text("\n".join(lines) + "\n")
    return out


def _ds3_stats(binary: Path, ini: Path, trace: Path, cycles: int, out_dir: Path) -> dict[str, Any]:
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    _run(
        [str(binary), str(ini), "-c", str(cycles), "-t", str(trace), "-o", str(out_dir)],
        f"dramsim3main {trace.name}",
    )
    stats = json.loads((out_dir / "dramsim3.json").read_text())
    channels = list(stats.values())

    def total(key: str) -> int:
        return sum(int(ch[key]) for ch in channels)

    lat_sum = 0
    lat_n = 0
    for ch in channels:
        for lat, count in (ch.get("read_latency") or {}).items():
            lat_sum += int(lat) * int(count)
            lat_n += int(count)
    return {
        "reads_done": total("num_reads_done"),
        "write_cmds": total("num_write_cmds"),
        "read_cmds": total("num_read_cmds"),
        "act_cmds": total("num_act_cmds"),
        "pre_cmds": total("num_pre_cmds"),
        "ref_cmds": total("num_ref_cmds"),
        "row_hits": total("num_read_row_hits") + total("num_write_row_hits"),
        "hbm_dual_cmds": total("hbm_dual_cmds"),
        "avg_read_latency_cycles": lat_sum / lat_n if lat_n else 0.0,
    }


def run_dramsim3(binary: Path, ini: Path, trace: Path, work: Path, reads: int) -> dict[str, Any]:
    """Return DRAMsim3's drain time (by bisection on ``-c``) and the statistics of that run."""
    out_dir = work / "ds3"
    hi = 100_000
    while True:
        a = _ds3_stats(binary, ini, trace, hi, out_dir)
        b = _ds3_stats(binary, ini, trace, 2 * hi, out_dir)
        if (a["reads_done"], a["write_cmds"]) == (b["reads_done"], b["write_cmds"]) and a[
            "reads_done"
        ] >= reads:
            break
        hi *= 2
        if hi > 1 << 34:
            raise RefError(f"dramsim3main {trace.name}: does not drain")
    final = (a["reads_done"], a["write_cmds"])
    lo = 0  # not drained at lo, drained at hi
    runs = 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        s = _ds3_stats(binary, ini, trace, mid, out_dir)
        runs += 1
        if (s["reads_done"], s["write_cmds"]) == final:
            hi = mid
        else:
            lo = mid
    t0 = time.perf_counter()
    s = _ds3_stats(binary, ini, trace, hi, out_dir)
    s["wall_s"] = round(time.perf_counter() - t0, 3)
    s["drain_cycles"] = hi
    s["bisect_runs"] = runs
    s["extra_read"] = s["reads_done"] - reads  # the trace reader's read of address 0 after the last line
    return s


def run_ramulator1(binary: Path, cfg: Path, trace: Path, work: Path, requests: int) -> dict[str, Any]:
    """Return Ramulator 1's drain time (``dram_cycles``), read latency and row-buffer counts of one run."""
    stats_file = work / "ramulator.stats"
    t0 = time.perf_counter()
    _run(
        [str(binary), str(cfg), "--mode=dram", "--stats", str(stats_file), str(trace)],
        f"ramulator {trace.name}",
        cwd=work,
    )
    wall = time.perf_counter() - t0
    vals: dict[str, float] = {}
    for line in stats_file.read_text().splitlines():
        f = line.split()
        if len(f) >= 2 and f[0].startswith("ramulator."):
            try:
                vals[f[0][len("ramulator.") :]] = float(f[1])
            except ValueError:
                continue

    def total(prefix: str) -> float:
        return sum(
            v for k, v in vals.items() if k.startswith(prefix) and k[len(prefix) :].replace("_", "").isdigit()
        )

    def per_channel(name: str) -> float:
        return sum(v for k, v in vals.items() if k.startswith(name + "_channel_") and k.endswith("_core"))

    incoming = int(vals["incoming_requests"])
    if incoming != requests:
        raise RefError(f"ramulator {trace.name}: took {incoming} requests of {requests}")
    lat_sum = total("read_latency_sum_")  # per channel; Ramulator divides each by all reads
    read_count = vals["read_requests"]
    return {
        "drain_cycles": int(vals["dram_cycles"]),
        "avg_read_latency_cycles": lat_sum / read_count if read_count else 0.0,
        "reads_seen": int(read_count),
        "row_hits": int(per_channel("row_hits")),
        "row_misses": int(per_channel("row_misses")),
        "row_conflicts": int(per_channel("row_conflicts")),
        "wall_s": round(wall, 3),
    }


# ------------------------------------------------------------------------------------------------------ main


def config_path(spec: str, peers: Path | None, tool: str) -> Path:
    """Return the file a case's config names (``peer:`` in the built peer, ``local:`` in tests/data/dram_peers)."""
    kind, rel = spec.split(":", 1)
    if kind == "local":
        return LOCAL_CONFIGS / rel
    if peers is None:
        raise RefError("--peers is needed")
    return peers / PEER_DIRS[tool] / rel


def make_case(name: str, tool: str, config: str, peers: Path, work: Path) -> dict[str, Any]:
    """Run the peer on every trace of one case; return the case's record."""
    from tnpu.dram import load_dram_config

    path = config_path(config, peers, tool)
    cfg = load_dram_config(path)
    record: dict[str, Any] = {
        "case": name,
        "tool": tool,
        "config": config,
        "tCK_ps": cfg.tck_ps,
        "traces": [],
    }
    binary = (
        peers / "dramsim3" / "build" / "dramsim3main"
        if tool == "DRAMsim3"
        else peers / "ramulator1" / "ramulator"
    )
    if not binary.is_file():
        raise RefError(f"{binary}: not found (build the peers with ../shared/peers/build.sh {peers})")
    ini = _ds3_config_copy(path, work / path.name) if tool == "DRAMsim3" else path
    for params in case_traces(tool, cfg):
        requests = trace_requests(params)
        trace = work / f"{params['pattern']}.trace"
        write_trace(trace, requests, "dramsim3" if tool == "DRAMsim3" else "ramulator1")
        reads = sum(1 for _, w, _ in requests if not w)
        t0 = time.perf_counter()
        if tool == "DRAMsim3":
            result = run_dramsim3(binary, ini, trace, work, reads)
        else:
            result = run_ramulator1(binary, ini, trace, work, len(requests))
        entry = {"params": params, "requests": len(requests), "reads": reads, "writes": len(requests) - reads}
        entry.update(result)
        record["traces"].append(entry)
        print(
            f"  {name} {params['pattern']}: drain {result['drain_cycles']:,} cycles, "
            f"read latency {result['avg_read_latency_cycles']:.1f} ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    return record


def peer_config_text(spec: str, tool: str) -> tuple[str, str]:
    """Return (file name, text) of a case's config without a built peer.

    From the peer's source snapshot in ``../shared/peers`` (``peer:``) or from tests/data/dram_peers (``local:``).
    """
    import tarfile

    kind, rel = spec.split(":", 1)
    if kind == "local":
        return rel, (LOCAL_CONFIGS / rel).read_text()
    tarballs = sorted(SNAPSHOTS.glob(f"{PEER_DIRS[tool]}-*.tar.gz"))
    if not tarballs:
        raise RefError(f"no {PEER_DIRS[tool]} source snapshot in {SNAPSHOTS}")
    with tarfile.open(tarballs[0]) as tar:
        member = tar.extractfile(rel)
        if member is None:
            raise RefError(f"{tarballs[0]}: no {rel}")
        return Path(rel).name, member.read().decode()


def compare(references: Path, cases: list[str], work: Path) -> list[dict[str, Any]]:
    """Replay every reference trace with tnpu-sim on the case's config; one row per trace with both results."""
    from tnpu.dram import load_dram_config, replay_dram

    data = json.loads(references.read_text())
    rows = []
    for case in data["cases"]:
        if cases and case["case"] not in cases:
            continue
        name, text = peer_config_text(case["config"], case["tool"])
        path = work / name
        path.write_text(text)
        cfg = load_dram_config(path)
        for t in case["traces"]:
            trace = work / f"{case['case']}-{t['params']['pattern']}.trace"
            write_trace(
                trace, trace_requests(t["params"]), "dramsim3" if case["tool"] == "DRAMsim3" else "ramulator1"
            )
            res = replay_dram(trace, cfg)
            rows.append(
                {
                    "case": case["case"],
                    "tool": case["tool"],
                    "pattern": t["params"]["pattern"],
                    "peer": t,
                    "tnpu": res,
                }
            )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    """Print the comparison as a Markdown table."""
    print(
        "| Case | Trace | Peer drain | tnpu drain | Error | Peer read lat | tnpu | Error | Peer row hits | tnpu | Peer ACT | tnpu |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        peer, res = r["peer"], r["tnpu"]
        d_err = res.cycles / peer["drain_cycles"] - 1
        pl = peer["avg_read_latency_cycles"]
        l_err = res.avg_read_latency_cycles / pl - 1 if pl else 0.0
        act = peer.get("act_cmds", peer.get("row_misses", 0) + peer.get("row_conflicts", 0))
        print(
            f"| {r['case']} | {r['pattern']} | {peer['drain_cycles']:,} | {res.cycles:,} | {100 * d_err:+.1f} % | "
            f"{pl:,.1f} | {res.avg_read_latency_cycles:,.1f} | {100 * l_err:+.1f} % | {peer['row_hits']:,} | "
            f"{res.row_hits:,} | {act:,} | {res.cmd_act:,} |"
        )


def print_summary(rows: list[dict[str, Any]]) -> None:
    """Print one Markdown row per case: drain-time errors per trace, read-latency errors, row hits (docs/dram.md)."""
    cases: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        cases.setdefault((r["case"], r["tool"]), {})[r["pattern"]] = r

    def drain(r: dict[str, Any] | None) -> str:
        return f"{100 * (r['tnpu'].cycles / r['peer']['drain_cycles'] - 1):+.1f}" if r else "n/a"

    def latency(r: dict[str, Any] | None) -> str:
        if not r:
            return "n/a"
        return (
            f"{100 * (r['tnpu'].avg_read_latency_cycles / r['peer']['avg_read_latency_cycles'] - 1):+.1f} %"
        )

    print(
        "| Config (the peer's own file) | Peer | Drain time error: seq / rand / mix / conflict / light | "
        "Read latency error: under load (rand) / light load / worst trace | Row hits off by at most |"
    )
    print("|---|---|---|---|---|")
    for (case, tool), by in cases.items():
        worst = max(
            by.values(),
            key=lambda r: abs(r["tnpu"].avg_read_latency_cycles / r["peer"]["avg_read_latency_cycles"] - 1),
        )
        lat = f"{latency(by.get('rand_read'))} / {latency(by.get('light_rand'))} / {latency(worst)} ({worst['pattern']})"
        if tool != "DRAMsim3":
            lat = f"({lat}; not checked)"
        hits = max(abs(r["tnpu"].row_hits - r["peer"]["row_hits"]) for r in by.values())
        patterns = ("seq_read", "rand_read", "rand_mix", "row_conflict", "light_rand")
        print(
            f"| {case.split('-', 1)[1]} | {tool} | {' / '.join(drain(by.get(p)) for p in patterns)} % | {lat} | "
            f"{hits} |"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peers", metavar="DIR", help="the folder ../shared/peers/build.sh DIR built")
    parser.add_argument(
        "--case", action="append", default=[], help="only this case (repeatable); merged into --out"
    )
    parser.add_argument(
        "--out", default=str(OUT), help=f"the references file (default {OUT.relative_to(REPO)})"
    )
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="replay the references with tnpu-sim and print a table (no peers needed)",
    )
    parser.add_argument("--summary", action="store_true", help="--compare: one row per config (docs/dram.md)")
    args = parser.parse_args(argv)
    if args.list:
        for name, tool, config in CASES:
            print(f"{name:28s} {tool:11s} {config}")
        return 0
    if args.compare:
        with tempfile.TemporaryDirectory(prefix="tnpu-peer-cmp-") as tmp:
            rows = compare(Path(args.out), args.case, Path(tmp))
            (print_summary if args.summary else print_table)(rows)
        return 0
    try:
        if not args.peers:
            raise RefError("--peers DIR is needed (build the peers with ../shared/peers/build.sh DIR)")
        peers = Path(args.peers)
        if not peers.is_dir():
            raise RefError(
                f"--peers {peers}: no such directory (build the peers with ../shared/peers/build.sh DIR)"
            )
        known = {c[0] for c in CASES}
        for c in args.case:
            if c not in known:
                raise RefError(f"--case {c}: unknown (valid: {', '.join(sorted(known))})")
        out = Path(args.out)
        data: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
        records = {r["case"]: r for r in data.get("cases", [])}
        with tempfile.TemporaryDirectory(prefix="tnpu-peer-refs-") as tmp:
            for name, tool, config in CASES:
                if args.case and name not in args.case:
                    continue
                print(f"{name} ({tool}, {config})", flush=True)
                records[name] = make_case(name, tool, config, peers, Path(tmp))
        data = {
            "description": "DRAM validation references made with the peers by scripts/dram_peer_references.py "
            "(see its docstring); traces are regenerated from 'params' by its trace_requests().",
            "peers": {
                "DRAMsim3": "umd-memsys/DRAMsim3 29817593b3389f1337235d63cac515024ab8fd6e, dramsim3main, Release",
                "Ramulator1": "CMU-SAFARI/ramulator 214f635845214adf030367939655d172ef0fed5f, ramulator --mode=dram",
            },
            "request_bytes": REQUEST_BYTES,
            "cases": [records[c[0]] for c in CASES if c[0] in records],
        }
        out.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {out}")
    except RefError as e:
        print(f"dram_peer_references.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
