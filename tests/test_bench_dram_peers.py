"""benchmarks/bench_dram.py --peers: a missing peers folder is a one-line error, not a traceback.

The peers themselves (DRAMsim3, Ramulator 1) are not needed: only the error path is exercised.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import pytest

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


@functools.cache
def _bench_module():  # loaded once: its BenchError is one class
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_dram_under_test", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCH.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH.parent))
    return module


def _fake_dramsim3(tmp_path: Path, stats: dict[str, int]) -> Path:
    """A stand-in for dramsim3main that writes `stats` as its one channel's statistics into its -o folder."""
    script = tmp_path / "dramsim3main"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "out = sys.argv[sys.argv.index('-o') + 1]\n"
        f"json.dump({{'0': {stats!r}}}, open(out + '/dramsim3.json', 'w'))\n"
    )
    script.chmod(0o755)
    return script


def _drained(tmp_path: Path, ini_text: str, **stats: int) -> bool:
    bench = _bench_module()
    ini = tmp_path / "dramsim3.ini"
    ini.write_text(ini_text)
    trace = tmp_path / "t.trace"
    trace.write_text("0x0 READ 0\n")
    _, drained = bench._dramsim3_replay(
        _fake_dramsim3(tmp_path, stats),
        ini,
        trace,
        cycles=100,
        reads=1000,
        writes=500,
        out_dir=tmp_path / "out",
    )
    return bool(drained)


def test_dramsim3_drain_allows_a_write_buffer_of_writes_never_issued(tmp_path):
    # DRAMsim3 leaves up to 8 writes in its write buffer and merges a write into a pending one to the same address:
    # 13 of a 10 M mixed trace's writes never became commands, and the run had drained.
    ini = "[system]\ntrans_queue_size = 32 ; its write buffer\n"
    full = {"num_reads_done": 1000, "num_writes_done": 500}
    assert _drained(tmp_path, ini, **full, num_write_cmds=487)
    assert _drained(tmp_path, ini, **full, num_write_cmds=468)  # 32 left: at most a write buffer
    assert not _drained(tmp_path, ini, **full, num_write_cmds=467)  # more: still draining
    assert not _drained(tmp_path, ini, num_reads_done=999, num_writes_done=500, num_write_cmds=500)
    assert not _drained(tmp_path, ini, num_reads_done=1000, num_writes_done=499, num_write_cmds=499)
    small = "[system]\ntrans_queue_size = 8\n"
    assert not _drained(tmp_path, small, **full, num_write_cmds=487)
    assert _drained(tmp_path, "[system]\n", **full, num_write_cmds=468)  # DRAMsim3's default, 32


def test_dramsim3_drain_bad_trans_queue_size_is_named(tmp_path):
    bench = _bench_module()
    with pytest.raises(
        bench.BenchError, match=r"dramsim3\.ini: trans_queue_size: expected an integer, got 'lots'"
    ):
        _drained(
            tmp_path,
            "[system]\ntrans_queue_size = lots\n",
            num_reads_done=1,
            num_writes_done=1,
            num_write_cmds=1,
        )
