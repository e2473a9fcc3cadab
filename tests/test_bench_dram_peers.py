"""benchmarks/bench_dram.py --peers: a missing peers folder is a one-line error, not a traceback.

The peers themselves (DRAMsim3, Ramulator 1) are not needed: only the error path is exercised.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_dram.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), *args], check=False, capture_output=True, text=True, timeout=120
    )


def test_missing_peers_dir_is_one_line_error(tmp_path):
    missing = tmp_path / "nonexistent"
    done = _run("--peers", str(missing))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(missing) in lines[0]
    assert "build.sh" in lines[0]


def test_missing_peer_binary_is_one_line_error(tmp_path):
    done = _run("--peers", str(tmp_path))  # exists, but nothing was built into it
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "dramsim3main" in lines[0]
