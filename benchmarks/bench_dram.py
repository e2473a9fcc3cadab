"""DRAM trace benchmark: reader and replay throughput, and peak RSS, for 1 M and 10 M requests.

Generates a sequential and a random trace of the largest size into a temporary directory (plus the smaller sizes),
then, for each (pattern, size), runs the reader alone and a full replay into a target, each in its own child process
so that the peak RSS of one run is not hidden by an earlier, bigger one. RSS must not grow with the trace length.

The replay target is chosen by name from ``tnpu.traces.TARGETS`` (``--target``): ``fixed_latency`` now; the DRAM
controller registers ``dram`` there, and this script needs no change for it.

Usage::

    python benchmarks/bench_dram.py                    # 1M and 10M, sequential and random, fixed_latency target
    python benchmarks/bench_dram.py --sizes 1000000 --patterns random --format dramsim3 --gzip
    python benchmarks/bench_dram.py --target dram      # adds the previous path (TNPU_NO_RUN_AHEAD=1) and the ratio

Requests are 64-byte lines (one trace record each).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tnpu
from tnpu import _core, traces

TCK_PS = 833  # DDR4-2400


def _child_scan(path: str) -> dict[str, float]:
    t0 = time.perf_counter()
    n = traces.scan_dram_trace(path)["requests"]
    return {"requests": n, "wall_s": time.perf_counter() - t0}


def _child_read(path: str) -> dict[str, float]:
    reader = _core.DramTraceReader(path)
    t0 = time.perf_counter()
    n = 0
    while True:
        got = len(reader.read_chunk(1 << 16)[0])  # the chunk is freed before the next one is made
        if got == 0:
            break
        n += got
    wall = time.perf_counter() - t0
    return {"requests": n, "wall_s": wall}


#: Replay parameters per target (``tnpu.traces.TARGETS`` name -> keyword arguments of replay_trace).
TARGET_PARAMS: dict[str, dict[str, object]] = {
    # 64 slots and 50 ns: the memory keeps up with one request per cycle, so the replay runs at full rate.
    "fixed_latency": {"tck_ps": TCK_PS, "latency_ps": 50_000, "queue_depth": 64},
}


def _child_replay(path: str, target: str) -> dict[str, float]:
    r = traces.replay_trace(path, target=target, **TARGET_PARAMS.get(target, {}))  # type: ignore[arg-type]
    return {
        "requests": r.requests,
        "wall_s": r.wall_s,
        "cycles": r.cycles,
        "bandwidth_gbps": r.bandwidth_gbps,
    }


def _child(mode: str, path: str, target: str) -> None:
    runs = {"scan": _child_scan, "read": _child_read}
    out = runs[mode](path) if mode in runs else _child_replay(path, target)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps(out))


def _run_child(mode: str, path: Path, target: str, run_ahead: bool = True) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", mode, str(path), "--target", target]
    # One BLAS thread: numpy's idle OpenBLAS threads would otherwise spin on the shared cores.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    if not run_ahead:  # the previous path: every controller wake-up is a kernel event
        env["TNPU_NO_RUN_AHEAD"] = "1"
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--patterns", nargs="+", choices=traces.PATTERNS, default=["sequential", "random"])
    parser.add_argument("--format", choices=traces.FORMATS, default="ramulator2")
    parser.add_argument("--gzip", action="store_true", help="gzip the generated traces")
    parser.add_argument("--target", choices=sorted(traces.TARGETS), default="fixed_latency")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.target)
        return 0

    print(f"tnpu-sim {tnpu.__version__}, build_type={_core.build_type}, gzip={traces.gzip_supported()}")
    print(
        f"format={args.format}{' (gzip)' if args.gzip else ''}, target={args.target}, "
        f"parameters={TARGET_PARAMS.get(args.target, {})}"
    )
    print(
        "scan: C++ parse only; read: parse into numpy chunks of 65,536; replay: parse + simulate into the target"
    )
    header = f"{'pattern':<11} {'requests':>11} {'gen s':>7} {'scan Mreq/s':>12} {'read Mreq/s':>12} {'read RSS MB':>12}"
    header += f" {'replay Mreq/s':>14} {'replay RSS MB':>14} {'GB/s sim':>9}"
    if args.target == "dram":
        header += f" {'prev Mreq/s':>12} {'ratio':>6}"
    print(header)
    with tempfile.TemporaryDirectory(prefix="tnpu-bench-dram-") as tmp:
        for pattern in args.patterns:
            for size in args.sizes:
                path = Path(tmp) / f"{pattern}-{size}.trace{'.gz' if args.gzip else ''}"
                t0 = time.perf_counter()
                traces.generate_dram_trace_file(path, pattern, size, args.format, gzip=args.gzip)
                gen_s = time.perf_counter() - t0
                sc = _run_child("scan", path, args.target)
                rd = _run_child("read", path, args.target)
                rp = _run_child("replay", path, args.target)
                assert sc["requests"] == rd["requests"] == size
                assert rp["requests"] == size
                extra = ""
                if args.target == "dram":  # the same replay without run-ahead wake-ups, right after
                    prev = _run_child("replay", path, args.target, run_ahead=False)
                    assert prev["cycles"] == rp["cycles"]  # the same simulation
                    extra = f" {size / prev['wall_s'] / 1e6:>12.2f} {prev['wall_s'] / rp['wall_s']:>6.2f}"
                print(
                    f"{pattern:<11} {size:>11,} {gen_s:>7.2f} {size / sc['wall_s'] / 1e6:>12.2f} "
                    f"{size / rd['wall_s'] / 1e6:>12.2f} "
                    f"{rd['peak_rss_mb']:>12.1f} {size / rp['wall_s'] / 1e6:>14.2f} {rp['peak_rss_mb']:>14.1f} "
                    f"{rp['bandwidth_gbps']:>9.2f}{extra}",
                    flush=True,
                )
                os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
