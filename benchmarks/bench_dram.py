"""DRAM trace benchmark: reader and replay throughput, and peak RSS, for 1 M and 10 M requests.

Generates a sequential and a random trace of the largest size into a temporary directory (plus the smaller sizes),
then, for each (pattern, size), runs the reader alone and a full replay into a target, each in its own child process
so that the peak RSS of one run is not hidden by an earlier, bigger one. RSS must not grow with the trace length.

The replay target is chosen by name from ``tnpu.traces.TARGETS`` (``--target``): ``fixed_latency`` now; the DRAM
controller registers ``dram`` there, and this script needs no change for it.

Usage::

    python benchmarks/bench_dram.py                    # 1M and 10M, sequential and random, fixed_latency target
    python benchmarks/bench_dram.py --sizes 1000000 --patterns random --format dramsim3 --gzip
    python benchmarks/bench_dram.py --target dram      # adds the previous path (no run-ahead) and the ratio
    python benchmarks/bench_dram.py --peers /tmp/peers # side by side with DRAMsim3 and Ramulator 1 (1M requests)
    python benchmarks/bench_dram.py --peers /tmp/peers --sizes 10000000

Requests are 64-byte lines (one trace record each).

Side by side with the peers (``--peers DIR``, DIR as made by ``../shared/peers/build.sh DIR``): for each pattern
(sequential, random and mixed reads/writes by default) one trace file is generated in DRAMsim3's format, and on that
same file, with the same DRAMsim3 ``.ini`` (default DDR4_8Gb_x8_2400.ini from DIR, ``epoch_period`` raised so that
DRAMsim3 writes no periodic statistics), the script times, each as a whole process (wall clock, best of
``--repeat``):

- ``tnpu replay dram TRACE --dram INI --json``; its ``wall_s`` (the simulation loop, ``sim.run()``: parsing and
  simulation, in that same process) is the "simulation" column;
- ``dramsim3main INI -c CYCLES -t TRACE -o OUT``. DRAMsim3 has no "stop at the end of the trace", so CYCLES is
  tnpu's drain time plus 2 % (the two agree within 1 % on the validation set); the script checks in DRAMsim3's
  statistics that every read completed, every write was accepted and at most a write buffer's worth of writes per
  channel never became a command (DRAMsim3 keeps up to 8 buffered forever and merges a write into a pending one to
  the same address), and otherwise reruns with 10 %, 25 %, then 50 % more. The extra cycles count against DRAMsim3.

Ramulator 1 cannot read DRAMsim3's format, so the same requests (same pattern and seed) are also written in its
format, and ``ramulator CFG --mode=dram`` (which stops at the end of the trace by itself) is timed against
``tnpu replay dram`` on that file with the same Ramulator ``.cfg`` (default DIR/ramulator1/configs/DDR4-config.cfg:
a different DDR4 part and controller than the ``.ini``, so its times are not comparable with DRAMsim3's).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
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
    if not run_ahead:  # the previous path: every controller wake-up is a kernel event
        cmd.append("--no-run-ahead")
    # One BLAS thread: numpy's idle OpenBLAS threads would otherwise spin on the shared cores.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------------------------------------------------------
# Side by side with the peers (--peers DIR).


class BenchError(Exception):
    """A missing input or a failed run: reported as one line, exit status 1."""


#: DRAMsim3 never issues some of a trace's writes, so "drained" cannot mean "every write issued". Up to 8 per channel
#: stay in its write buffer at the end (controller.cc drains the buffer only when it holds more than 8 or is full),
#: and a write to an address that still has a write pending merges into it (AddTransaction's pending_wr_q_; a 10 M
#: random mixed trace has a few such pairs, so 13 writes of 3,333,326 never became commands). A run has drained when
#: every read is done, every write accepted (num_writes_done), and at most a write buffer's capacity per channel
#: (trans_queue_size, DRAMsim3's default 32) never became a command: what is left then is at most that many writes'
#: commands, a few hundred cycles of the millions timed.
DRAMSIM3_DEFAULT_TRANS_QUEUE = 32

#: DRAMsim3 runs tnpu's drain time times these margins, the next one only if it had not drained.
DRAMSIM3_MARGINS = (1.02, 1.10, 1.25, 1.5)

_CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _run_timed(cmd: list[str], what: str, cwd: str | None = None) -> tuple[float, str]:
    """Run ``cmd`` as a whole process; return (wall seconds, stdout); a failure is a BenchError naming ``what``."""
    env = {**os.environ, **_CHILD_ENV}
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, cwd=cwd)
    except OSError as e:
        raise BenchError(f"{what}: cannot run {cmd[0]}: {e.strerror or e}") from None
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        lines = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        raise BenchError(f"{what} failed (exit status {done.returncode}): {lines[-1].strip()}")
    return wall, done.stdout


def _tnpu_command() -> list[str]:
    exe = Path(sys.executable).with_name("tnpu")
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("tnpu")
    return [found] if found else [sys.executable, "-m", "tnpu"]


def _tnpu_replay(trace: Path, config: Path) -> tuple[float, float, int]:
    """``tnpu replay dram`` as a whole process: (wall s, simulation s from its own JSON, simulated cycles)."""
    cmd = [*_tnpu_command(), "replay", "dram", str(trace), "--dram", str(config), "--json"]
    wall, out = _run_timed(cmd, f"tnpu replay dram {trace.name}")
    try:
        result = json.loads(out.strip().splitlines()[-1])
        return wall, float(result["wall_s"]), int(result["cycles"])
    except (ValueError, IndexError, KeyError) as e:
        raise BenchError(f"tnpu replay dram {trace.name}: unexpected output ({e})") from None


def _dramsim3_replay(
    binary: Path, config: Path, trace: Path, *, cycles: int, reads: int, writes: int, out_dir: Path
) -> tuple[float, bool]:
    """Time ``dramsim3main`` for ``cycles`` cycles; return (wall s, whether the trace drained within them)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    cmd = [str(binary), str(config), "-c", str(cycles), "-t", str(trace), "-o", str(out_dir)]
    wall, _ = _run_timed(cmd, f"dramsim3main on {trace.name}")
    stats_file = out_dir / "dramsim3.json"
    try:
        stats = json.loads(stats_file.read_text())
        reads_done = sum(int(ch["num_reads_done"]) for ch in stats.values())
        writes_done = sum(int(ch["num_writes_done"]) for ch in stats.values())
        write_cmds = sum(int(ch["num_write_cmds"]) for ch in stats.values())
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BenchError(
            f"dramsim3main on {trace.name}: cannot read its statistics {stats_file} ({e})"
        ) from None
    # ">=": when the file ends in a newline, DRAMsim3's trace reader adds one more read at address 0 after the last
    # line if the queue has room then (its failed extraction zeroes the address); that read is DRAMsim3's own work.
    never_issued = _trans_queue_size(config) * len(stats)  # at most a write buffer per channel (above)
    drained = reads_done >= reads and writes_done >= writes and write_cmds >= writes - never_issued
    return wall, drained


def _trans_queue_size(ini: Path) -> int:
    """DRAMsim3's ``trans_queue_size`` (its write buffer's capacity) in ``ini``, or its default."""
    for line in ini.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "trans_queue_size":
            try:
                return int(value.split(";")[0].strip())
            except ValueError:
                raise BenchError(
                    f"{ini}: trans_queue_size: expected an integer, got {value.strip()!r}"
                ) from None
    return DRAMSIM3_DEFAULT_TRANS_QUEUE


def _ramulator_replay(
    binary: Path, config: Path, trace: Path, requests: int, stats_file: Path
) -> tuple[float, int]:
    """Time ``ramulator CFG --mode=dram``; return (wall s, its simulated DRAM cycles)."""
    cmd = [str(binary), str(config), "--mode=dram", "--stats", str(stats_file), str(trace)]
    wall, _ = _run_timed(cmd, f"ramulator on {trace.name}", cwd=str(stats_file.parent))
    stats: dict[str, str] = {}
    try:
        for line in stats_file.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 2:
                stats[fields[0]] = fields[1]
        incoming, cycles = int(stats["ramulator.incoming_requests"]), int(stats["ramulator.dram_cycles"])
    except (OSError, ValueError, KeyError) as e:
        raise BenchError(
            f"ramulator on {trace.name}: cannot read its statistics {stats_file} ({e})"
        ) from None
    if incoming != requests:
        raise BenchError(f"ramulator on {trace.name}: it took {incoming} requests of {requests}")
    return wall, cycles


def _with_epoch_period(ini: Path, out: Path) -> Path:
    """Copy a DRAMsim3 .ini with ``epoch_period`` raised past any run (no periodic statistics while timing)."""
    try:
        lines = ini.read_text().splitlines()
    except OSError as e:
        raise BenchError(f"--dram-ini {ini}: cannot read it ({e.strerror or e})") from None
    lines = [
        "epoch_period = 4000000000" if line.split("=")[0].strip() == "epoch_period" else line
        for line in lines
    ]
    out.write_text("\n".join(lines) + "\n")
    return out


def _need_file(path: Path, what: str, built: bool = True) -> Path:
    if not path.is_file():
        hint = " (build the peers with ../shared/peers/build.sh DIR)" if built else ""
        raise BenchError(f"{what} not found: {path}{hint}")
    return path


def _measure(
    pattern: str,
    size: int,
    *,
    repeat: int,
    tmp: Path,
    dramsim3: Path,
    config: Path,
    ramulator: Path | None,
    cfg: Path | None,
) -> dict[str, float]:
    """Generate one pattern's trace(s) and time every tool on them; best wall times, and the cycles run."""
    trace = tmp / f"{pattern}-{size}.dramsim3.trace"
    traces.generate_dram_trace_file(trace, pattern, size, "dramsim3", gzip=False, seed=1)
    info = traces.scan_dram_trace(str(trace))
    reads, writes = int(info["reads"]), int(info["writes"])
    r1_trace = tmp / f"{pattern}-{size}.ramulator1.trace"
    if ramulator:  # the same requests (same pattern, count and seed) in Ramulator 1's format
        traces.generate_dram_trace_file(r1_trace, pattern, size, "ramulator1", gzip=False, seed=1)
    best: dict[str, float] = {}

    def keep(key: str, value: float) -> None:
        best[key] = min(best.get(key, math.inf), value)

    ds3_cycles = 0
    for _ in range(repeat):
        wall, sim_s, tnpu_cycles = _tnpu_replay(trace, config)
        keep("tnpu", wall)
        keep("tnpu_sim", sim_s)
        best["tnpu_cycles"] = tnpu_cycles
        for margin in DRAMSIM3_MARGINS:  # DRAMsim3 runs a given cycle count: tnpu's drain time plus a margin
            if not ds3_cycles or margin > DRAMSIM3_MARGINS[0]:
                ds3_cycles = math.ceil(tnpu_cycles * margin)
            wall, drained = _dramsim3_replay(
                dramsim3, config, trace, cycles=ds3_cycles, reads=reads, writes=writes, out_dir=tmp / "ds3"
            )
            if drained:
                break
            print(f"note: {pattern}: DRAMsim3 had not drained after {ds3_cycles:,} cycles; running longer")
        else:
            raise BenchError(
                f"dramsim3main on {trace.name}: not drained after {ds3_cycles:,} cycles (tnpu: {tnpu_cycles:,})"
            )
        keep("dramsim3", wall)
        best["ds3_cycles"] = ds3_cycles
        if ramulator and cfg:
            wall, sim_s, best["tnpu_r1_cycles"] = _tnpu_replay(r1_trace, cfg)
            keep("tnpu_r1", wall)
            keep("tnpu_r1_sim", sim_s)
            wall, best["r1_cycles"] = _ramulator_replay(
                ramulator, cfg, r1_trace, size, tmp / "ramulator.stats"
            )
            keep("ramulator", wall)
    trace.unlink()
    r1_trace.unlink(missing_ok=True)
    return best


def _peers(args: argparse.Namespace) -> int:
    peers = Path(args.peers)
    if not peers.is_dir():
        raise BenchError(
            f"--peers {peers}: no such directory (build the peers with ../shared/peers/build.sh DIR)"
        )
    if args.gzip:
        raise BenchError("--gzip cannot be used with --peers: dramsim3main reads plain text traces")
    dramsim3 = _need_file(peers / "dramsim3" / "build" / "dramsim3main", "DRAMsim3 binary")
    ini = _need_file(
        Path(args.dram_ini) if args.dram_ini else peers / "dramsim3" / "configs" / "DDR4_8Gb_x8_2400.ini",
        "DRAMsim3 config",
        built=not args.dram_ini,
    )
    ramulator: Path | None = None
    cfg: Path | None = None
    if not args.no_ramulator:
        ramulator = _need_file(peers / "ramulator1" / "ramulator", "Ramulator 1 binary")
        cfg = _need_file(
            Path(args.ramulator_cfg)
            if args.ramulator_cfg
            else peers / "ramulator1" / "configs" / "DDR4-config.cfg",
            "Ramulator 1 config",
            built=not args.ramulator_cfg,
        )
    sizes = args.sizes or [1_000_000]
    patterns = args.patterns or ["sequential", "random", "mixed"]
    if args.repeat < 1:
        raise BenchError(f"--repeat: expected at least 1, got {args.repeat}")

    print(
        f"tnpu-sim {tnpu.__version__}, build_type={_core.build_type}; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; {time.strftime('%Y-%m-%d %H:%M')}"
    )
    print(f"DRAMsim3: {dramsim3}, config {ini} (epoch_period raised)")
    if ramulator:
        print(f"Ramulator 1: {ramulator}, config {cfg}")
    print(
        f"whole process = wall clock of the command, best of {args.repeat}; tnpu sim = sim.run() (parse + simulate) "
        "inside that same tnpu process; ratio = peer s / tnpu s"
    )
    rows: list[str] = []
    ram_rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tnpu-bench-peers-") as tmp_name:
        tmp = Path(tmp_name)
        config = _with_epoch_period(ini, tmp / ini.name)
        for pattern in patterns:
            for size in sizes:
                m = _measure(
                    pattern, size, repeat=args.repeat, tmp=tmp, dramsim3=dramsim3, config=config,
                    ramulator=ramulator, cfg=cfg,
                )  # fmt: skip
                rows.append(
                    f"| {pattern} | {size:,} | {m['tnpu']:.2f} | {m['tnpu_sim']:.2f} | {m['dramsim3']:.2f} "
                    f"| {m['dramsim3'] / m['tnpu']:.1f} | {m['dramsim3'] / m['tnpu_sim']:.1f} "
                    f"| {m['tnpu_cycles']:,} / {m['ds3_cycles']:,} |"
                )
                print(f"DRAMsim3    {rows[-1]}", flush=True)
                if ramulator:
                    ram_rows.append(
                        f"| {pattern} | {size:,} | {m['tnpu_r1']:.2f} | {m['tnpu_r1_sim']:.2f} "
                        f"| {m['ramulator']:.2f} | {m['ramulator'] / m['tnpu_r1']:.1f} "
                        f"| {m['ramulator'] / m['tnpu_r1_sim']:.1f} | {m['tnpu_r1_cycles']:,} / {m['r1_cycles']:,} |"
                    )
                    print(f"Ramulator 1 {ram_rows[-1]}", flush=True)
    print()
    print(f"DRAMsim3, same trace file and .ini ({ini.name}); seconds, best of {args.repeat}:")
    print()
    print(
        "| pattern | requests | tnpu whole process s | tnpu simulation s | dramsim3main s "
        "| ratio, whole process | ratio, simulation | cycles: tnpu drain / DRAMsim3 -c |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if ramulator:
        print()
        print(
            f"Ramulator 1, the same requests in its format, same .cfg ({cfg.name if cfg else ''}); "
            f"seconds, best of {args.repeat}:"
        )
        print()
        print(
            "| pattern | requests | tnpu whole process s | tnpu simulation s | ramulator s "
            "| ratio, whole process | ratio, simulation | cycles: tnpu / Ramulator 1 |"
        )
        print("|---|---|---|---|---|---|---|---|")
        print("\n".join(ram_rows))
    else:
        print("Ramulator 1: not run (--no-ramulator)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=None,
        help="requests per trace (default 1M 10M; with --peers 1M)",
    )
    parser.add_argument(
        "--patterns",
        nargs="+",
        choices=traces.PATTERNS,
        default=None,
        help="default sequential random; with --peers sequential random mixed",
    )
    parser.add_argument("--format", choices=traces.FORMATS, default="ramulator2")
    parser.add_argument("--gzip", action="store_true", help="gzip the generated traces")
    parser.add_argument("--target", choices=sorted(traces.TARGETS), default="fixed_latency")
    parser.add_argument("--peers", metavar="DIR", help="time DRAMsim3 and Ramulator 1 built by build.sh DIR")
    parser.add_argument(
        "--dram-ini", metavar="INI", help="--peers: DRAMsim3 .ini (default DDR4_8Gb_x8_2400.ini)"
    )
    parser.add_argument(
        "--ramulator-cfg", metavar="CFG", help="--peers: Ramulator 1 .cfg (default DDR4-config.cfg)"
    )
    parser.add_argument("--no-ramulator", action="store_true", help="--peers: DRAMsim3 only")
    parser.add_argument(
        "--repeat", type=int, default=3, help="--peers: runs per tool, the best is kept (default 3)"
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--no-run-ahead", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.no_run_ahead:
            tnpu._core._testing.set_dram_modes(run_ahead=False)
        _child(args.child[0], args.child[1], args.target)
        return 0
    if args.peers is not None:
        try:
            return _peers(args)
        except BenchError as e:
            print(f"bench_dram.py: error: {e}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("bench_dram.py: interrupted", file=sys.stderr)
            return 130
    args.sizes = args.sizes or [1_000_000, 10_000_000]
    args.patterns = args.patterns or ["sequential", "random"]

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
