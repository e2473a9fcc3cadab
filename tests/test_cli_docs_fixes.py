"""User-facing details that were wrong: help examples naming files, error messages, the sweep of chosen networks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tnpu.accelerator import load_accelerator
from tnpu.cli import main
from tnpu.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def test_replay_help_examples_name_files_that_exist() -> None:
    paths = re.findall(r"\b(traces/[\w./-]+)", (REPO / "python/tnpu/commands/replay.py").read_text())
    assert paths
    for p in paths:
        assert (REPO / p).exists(), p


def test_a_missing_toml_file_is_named_as_missing() -> None:
    with pytest.raises(ConfigError, match=r"arch: file not found: 'missing\.toml'"):
        load_accelerator("missing.toml")
    with pytest.raises(ConfigError, match=r"arch: unknown accelerator 'tpu'"):
        load_accelerator("tpu")


def test_reproduce_sweeps_the_chosen_networks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reproduce", "--quick", "--networks", "lenet5", "--json", "--workers", "1"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["setup"]["sweep_networks"] == ["lenet5"]
    assert set(rep["bandwidth_sweep"]) == {"lenet5"}
