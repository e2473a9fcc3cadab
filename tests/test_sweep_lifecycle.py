"""A sweep's processes and lock: workers die with the sweep, a held lock names its holder, a kill leaves no lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")

from tnpu._sweep_store import SweepStore
from tnpu.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        kids += [int(x) for x in text.split()]
    return kids


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_a_second_writer_is_told_who_holds_the_output(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    with (
        SweepStore(out, {"fingerprint": "x"}),
        pytest.raises(ConfigError, match=rf"another sweep is writing this output: pid {os.getpid()} holds"),
    ):
        SweepStore(out, {"fingerprint": "x"})


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_kill_9_of_a_sweep_leaves_no_worker_and_no_lock(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    cmd = [sys.executable, "-m", "tnpu", "sweep", str(REPO / "examples/sweep_layers.toml"), "--workers", "2"]
    proc = subprocess.Popen([*cmd, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline and len(workers) < 2
        ):  # the pool's workers (and its resource tracker)
            time.sleep(0.2)
            workers = [p for p in _children(proc.pid) if _alive(p)]
        assert len(workers) >= 2, "the sweep did not start its workers"
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers), "workers outlived the sweep"
        with SweepStore(out, {"fingerprint": "y"}, force=True):  # the lock went with the sweep
            pass
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_ctrl_c_reports_the_saved_points_and_how_to_resume(tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    cmd = [sys.executable, "-m", "tnpu", "sweep", str(REPO / "examples/sweep_layers.toml"), "--out", str(out)]
    proc = subprocess.Popen([*cmd, "--workers", "1", "--quiet"], stderr=subprocess.PIPE, text=True)
    parts = Path(f"{out}.parts")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(parts.glob("part-*.parquet")):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted;" in err
    saved = int(err.split("interrupted;")[1].split("point")[0])
    assert saved >= 1
    assert f"this resumes from them: tnpu sweep {REPO / 'examples/sweep_layers.toml'} --out {out}" in err
