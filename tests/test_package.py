"""Versions, errors, the CLI entry points."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

import tnpu
from tnpu import _core, errors
from tnpu.cli import main


def test_versions_agree():
    assert tnpu.__version__ == _core.__version__ == importlib.metadata.version("tnpu-sim")


def test_build_type_is_reported():
    assert _core.build_type in {"Release", "RelWithDebInfo", "Debug", "MinSizeRel", "none"}


def test_profile_build_is_reported():
    # TNPU_PROFILE needs RelWithDebInfo (CMakeLists.txt refuses it otherwise: pybind11 strips other builds).
    assert isinstance(_core.profile_build, bool)
    assert not _core.profile_build or _core.build_type == "RelWithDebInfo"


@pytest.mark.skipif(_core.profile_build, reason="this build is a profiling build: dram_cost.py would run")
def test_dram_cost_refuses_a_normal_build_clearly():
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "dram_cost.py"
    done = subprocess.run(
        [sys.executable, str(script)], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "dram_cost: " in done.stderr
    assert "TNPU_PROFILE=ON" in done.stderr or "valgrind" in done.stderr


def test_error_classes():
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.TraceFormatError, ValueError)
    assert issubclass(errors.SimulationError, RuntimeError)
    assert tnpu.ConfigError is errors.ConfigError


def test_cpp_error_message_arrives_intact():
    with pytest.raises(errors.ConfigError) as info:
        tnpu.Clock.from_frequency_hz(7)
    assert str(info.value).startswith("Clock: a frequency of 7 Hz has a period of")


@pytest.mark.parametrize("cmd", [["tnpu"], [sys.executable, "-m", "tnpu"]])
def test_version_commands(cmd):
    out = subprocess.run([*cmd, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"tnpu-sim {tnpu.__version__}"


def test_demo_json(capsys):
    assert main(["demo", "--requests", "2000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["requests"] == 2000
    assert out["throughput_req_per_ns"] == pytest.approx(out["throughput_bound_req_per_ns"], rel=0.02)


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo", "--requests", "-3"])
    assert info.value.code == 2
    assert "expected a positive whole number" in capsys.readouterr().err
    assert main([]) == 2
