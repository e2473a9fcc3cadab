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


def _sweep_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\nworkloads = ["lenet5"]\n\n[space]\n"arch.pu_c.rows" = [8, 16]\nbatch = 1\n')
    return spec


def test_an_unreachable_dask_scheduler_fails_fast_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    from tnpu.cli import main

    start = time.monotonic()
    argv = [
        "sweep",
        str(_sweep_spec(tmp_path)),
        "--dask",
        "127.0.0.1:1",
        "--out",
        str(tmp_path / "r.parquet"),
    ]
    assert main(argv) == 1
    assert time.monotonic() - start < 20
    assert "--dask 127.0.0.1:1: no Dask scheduler answered within 5 s" in capsys.readouterr().err
    assert main([*argv[:3], "local:x", *argv[4:]]) == 1
    assert "expected local or local:N" in capsys.readouterr().err


def test_dask_local_starts_and_stops_a_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("distributed")
    from tnpu.cli import main

    out = tmp_path / "r.parquet"
    assert main(["sweep", str(_sweep_spec(tmp_path)), "--dask", "local:1", "--out", str(out), "--json"]) == 0
    assert '"computed": 2' in capsys.readouterr().out


def test_results_load_as_a_dataframe_in_one_call(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    from tnpu import sweep as sw

    out = tmp_path / "r.parquet"
    space = {"arch.pu_c.rows": [8, 16], "batch": [1]}
    rows = sw.sweep(space, ["lenet5"], sw.SerialExecutor(), out=out)
    df = sw.read_dataframe(out)
    assert len(df) == len(rows) == 2
    assert list(df["point_id"]) == [r["point_id"] for r in rows]
    with pytest.raises(ConfigError, match="no sweep output"):
        sw.read_dataframe(tmp_path / "none.parquet")
