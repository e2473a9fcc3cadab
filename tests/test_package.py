"""Versions, errors, the CLI entry points."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys

import pytest

import tnpu
from tnpu import _core, errors
from tnpu.cli import main


def test_versions_agree():
    assert tnpu.__version__ == _core.__version__ == importlib.metadata.version("tnpu-sim")


def test_build_type_is_reported():
    assert _core.build_type in {"Release", "RelWithDebInfo", "Debug", "MinSizeRel", "none"}


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
