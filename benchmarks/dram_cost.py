"""Where a DRAM trace replay spends its instructions, and what a speed goal leaves per request.

Replays a sequential and a random trace (200,000 requests each by default) with the cycle-level DRAM controller,
once natively (best of three, for requests per second) and once under valgrind's callgrind (for instructions).
Reports, per request:

- ``total``: instructions inside the simulation loop (``Kernel::run``): parsing the trace, the replayer, the event
  kernel, the controller's acceptance and completions, and the channel's scheduling;
- ``step``: of those, the channel's own cycle work (``DramChannel::step``: refresh, issue, bank queues, wake-ups);
- ``rest``: the difference;
- ``floor``: ``total`` for the same trace replayed into a fixed-latency memory (bench_dram.py's): what parsing,
  the replayer and the kernel cost with a target that does almost nothing;

and the instruction budget a goal implies: at the instructions per second this machine executes in that replay,
``budget = instructions per second / goal``. The channel's whole work (its step, acceptance and completions) must
fit in ``budget - floor`` (the "channel allowance"); ``step/allowance`` above 1 means the step alone does not.

It needs valgrind on the PATH and a profiling build of the extension (symbols kept, ``step`` out of line)::

    pip install . -Ccmake.build-type=RelWithDebInfo -Ccmake.define.TNPU_PROFILE=ON -Cinstall.strip=false
    python benchmarks/dram_cost.py                     # goals: 10 M/s sequential, 3 M/s random
    pip install .                                      # back to the normal build

The instruction counts are deterministic (the same build gives the same counts); the requests per second are not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_dram import TARGET_PARAMS  # this script's directory is on sys.path when it runs

from tnpu import _core, traces

GOALS = {"sequential": 10e6, "random": 3e6}  # requests per second (issue 3)
PROFILE_INSTALL = (
    "pip install . -Ccmake.build-type=RelWithDebInfo -Ccmake.define.TNPU_PROFILE=ON -Cinstall.strip=false"
)


def _child(path: str, target: str, unpaced: bool) -> None:
    if unpaced:  # the replayer offers every request through the kernel (the path before the paced feeder)
        _core._testing.set_dram_modes(paced=False)
    # The floor's target is bench_dram.py's fixed-latency memory, with its parameters.
    r = traces.replay_trace(path, target=target, **TARGET_PARAMS.get(target, {}))  # type: ignore[arg-type]
    print(f"{r.requests} {r.wall_s}")


def _env() -> dict[str, str]:
    # One BLAS thread: numpy's idle OpenBLAS threads would otherwise spin on the shared cores.
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _run(cmd: list[str]) -> str:
    """Runs a child; its failure ends this script with the command and the end of what it printed."""
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, env=_env())
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-10:])
        raise SystemExit(
            f"dram_cost: {' '.join(cmd[:3])} ... failed with exit code {done.returncode}:\n{tail}"
        )
    return done.stdout


def _child_args(unpaced: bool) -> list[str]:
    return ["--unpaced"] if unpaced else []


def _native_rate(path: Path, runs: int, unpaced: bool) -> float:
    best = 0.0
    for _ in range(runs):
        out = _run([sys.executable, __file__, "--child", str(path), "dram", *_child_args(unpaced)]).split()
        best = max(best, int(out[0]) / float(out[1]))
    return best


def _instructions_in(path: Path, function: str, out: Path, unpaced: bool, target: str = "dram") -> int:
    """Instructions executed inside ``function`` (and what it calls) while replaying ``path``, by callgrind."""
    _run(
        [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            f"--toggle-collect={function}",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            str(path),
            target,
            *_child_args(unpaced),
        ]
    )
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"dram_cost: no instruction count in callgrind's output {out}")


def _callgrind(path: Path, out_dir: Path, pattern: str, unpaced: bool) -> tuple[int, int, int]:
    run = _instructions_in(path, "tnpu::Kernel::run()", out_dir / f"{pattern}-run.callgrind", unpaced)
    step = _instructions_in(
        path, "tnpu::DramChannel::step(unsigned long)", out_dir / f"{pattern}-step.callgrind", unpaced
    )
    floor = _instructions_in(
        path, "tnpu::Kernel::run()", out_dir / f"{pattern}-floor.callgrind", unpaced, target="fixed_latency"
    )
    if run == 0 or step == 0 or floor == 0:
        raise SystemExit(
            "dram_cost: callgrind saw no Kernel::run or DramChannel::step: the extension has no symbols or inlines "
            f"step. Install a profiling build: {PROFILE_INSTALL}"
        )
    return run, step, floor


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200_000, help="requests per trace (default 200,000)")
    parser.add_argument("--runs", type=int, default=3, help="native runs per trace, best taken (default 3)")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the callgrind profiles in DIR (e.g. callgrind_annotate --auto=yes DIR/sequential-step.callgrind)",
    )
    parser.add_argument(
        "--unpaced",
        action="store_true",
        help="replay without the paced feeder (the replayer offers every request through the kernel, as before it)",
    )
    parser.add_argument("--child", nargs=2, metavar=("PATH", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.unpaced)
        return 0
    if args.requests < 1000:
        parser.error(f"--requests: expected at least 1000, got {args.requests}")
    if args.runs < 1:
        parser.error(f"--runs: expected at least 1, got {args.runs}")
    if shutil.which("valgrind") is None:
        raise SystemExit("dram_cost: needs valgrind on the PATH (its callgrind tool counts the instructions)")
    if args.keep is not None and not args.keep.is_dir():
        parser.error(f"--keep: expected an existing directory, got '{args.keep}'")
    if not _core.profile_build:
        raise SystemExit(
            "dram_cost: the installed extension is not a profiling build (tnpu._core.profile_build is False). "
            f"Install one: {PROFILE_INSTALL}"
        )

    print(
        f"build_type={_core.build_type}, profile_build=True, {args.requests:,} requests per trace, preset ddr4-2400, "
        f"{'unpaced (offers through the kernel)' if args.unpaced else 'paced feeder'}"
    )
    print(
        f"{'pattern':<11} {'Mreq/s':>7} {'total':>7} {'step':>7} {'rest':>7} {'floor':>7} {'G instr/s':>10} "
        f"{'goal M/s':>9} {'budget':>7} {'channel allowance':>18} {'step/allowance':>15}"
    )
    with tempfile.TemporaryDirectory(prefix="tnpu-dram-cost-") as tmp:
        for pattern, goal in GOALS.items():
            path = Path(tmp) / f"{pattern}.trace"
            traces.generate_dram_trace_file(path, pattern, args.requests, "ramulator2")
            rate = _native_rate(path, args.runs, args.unpaced)
            run, step, floor = _callgrind(path, args.keep or Path(tmp), pattern, args.unpaced)
            total = run / args.requests
            per_step = step / args.requests
            per_floor = floor / args.requests
            instr_rate = rate * total
            budget = instr_rate / goal
            allowance = budget - per_floor
            ratio = f"{per_step / allowance:.2f}" if allowance > 0 else "inf"
            print(
                f"{pattern:<11} {rate / 1e6:>7.2f} {total:>7.0f} {per_step:>7.0f} {total - per_step:>7.0f} "
                f"{per_floor:>7.0f} {instr_rate / 1e9:>10.1f} {goal / 1e6:>9.1f} {budget:>7.0f} {allowance:>18.0f} "
                f"{ratio:>15}",
                flush=True,
            )
    print(
        "Instructions per request. floor: the same replay into a fixed-latency memory (parse, replayer, kernel)."
    )
    print(
        "budget: what the goal allows at this machine's instruction rate; channel allowance: budget - floor."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
