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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--model", "lenet5", "--batch", "1", "--schedule-csv", "{exists}"], "pass --force"),
        (["run", "--model", "lenet5", "--batch", "1", "--timeline", "{missing}/t.json"], "does not exist"),
        (["trace", "gen", "random", "-n", "5", "--format", "dramsim3", "-o", "{exists}"], "pass --force"),
        (["trace", "convert", "{trace}", "{exists}", "--to", "ramulator1"], "pass --force"),
        (["workloads", "lenet5", "--trace", "{exists}"], "pass --force"),
    ],
)
def test_outputs_are_checked_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    exists = tmp_path / "exists.csv"
    exists.write_text("keep me")
    fill = {
        "exists": str(exists),
        "missing": str(tmp_path / "nope"),
        "trace": str(REPO / "traces/sequential.dramsim3.trace"),
    }
    assert main([a.format(**fill) for a in argv]) == 1
    assert message in capsys.readouterr().err
    assert exists.read_text() == "keep me"  # nothing a user wrote is lost


def test_force_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "t.trace"
    out.write_text("old")
    assert main(["trace", "gen", "random", "-n", "5", "--format", "dramsim3", "-o", str(out), "--force"]) == 0
    assert out.read_text() != "old"


def test_reproduce_shows_progress_when_piped_unless_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["reproduce", "--quick", "--networks", "lenet5", "--no-sweep", "--workers", "1"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "tnpu reproduce: 3/3 runs (100%)" in err
    assert "left" in err
    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_reproduce_says_before_it_starts_that_it_will_take_long(capsys: pytest.CaptureFixture[str]) -> None:
    from tnpu.commands.reproduce import _say_if_long

    _say_if_long(("alexnet", "vgg16"), 50, "sampled")
    err = capsys.readouterr().err
    assert "min or more" in err
    assert "--memory stream" in err
    _say_if_long(("lenet5",), 2, "sampled")
    assert capsys.readouterr().err == ""


def test_progress_is_a_line_every_few_seconds_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from tnpu._progress import _Lines, progress_bar

    lines = _Lines(4, "tnpu run", "tasks", 0, every=0.0)
    lines._after = 0.0
    lines.update(2)
    err = capsys.readouterr().err
    assert "tnpu run: 2/4 tasks (50%)" in err
    assert "tasks/s" in err
    assert "left" in err
    with progress_bar(4, "quiet", enabled=False) as bar:
        bar.update(4)
    with progress_bar(4, "fast", unit="tasks") as bar:  # done in under 2 s: nothing to say
        bar.update(4)
    assert capsys.readouterr().err == ""


# --- A partial override TOML: base = "<preset>" and only what differs ---------------------------------------------


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_partial_preset_overrides_only_what_it_names(tmp_path):
    from tnpu.accelerator import load_accelerator

    f = _write(
        tmp_path / "big.toml",
        'base = "tnpu"\n[buffer]\ncapacity_bytes = 1048576\n[engines.pu_c]\narray_rows = 32\n',
    )
    cfg, ref = load_accelerator(f), load_accelerator("tnpu")
    assert cfg.name == "big"
    assert cfg.arch.buffer.capacity_bytes == 1048576
    assert cfg.engine("pu_c").array_rows == 32
    # Everything else is the base's.
    assert cfg.engine("pu_c").array_cols == ref.engine("pu_c").array_cols
    assert cfg.arch.memory == ref.arch.memory
    assert cfg.scheduler == ref.scheduler
    # A chain: a partial file on a partial file, the base path relative to the file, [[engines]] form too.
    sub = tmp_path / "sub"
    sub.mkdir()
    g = _write(
        sub / "f.toml",
        'base = "../big.toml"\n[memory]\nmodel = "fixed"\nbandwidth_gbps = 8.5\n'
        '[[engines]]\nname = "pu_f"\nlanes = 8\n',
    )
    cfg2 = load_accelerator(g)
    assert cfg2.arch.memory.model == "fixed"
    assert cfg2.arch.memory.bandwidth_gbps == 8.5
    assert cfg2.engine("pu_c").array_rows == 32
    assert cfg2.engine("pu_f").lanes == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('base = "tnpu"\n[memory]\nbandwidth_gbps = 3.0\n', "does not use this field"),
        ('base = "tnpu"\n[engines.pu_x]\nlanes = 3\n', "engines.pu_x: no such engine"),
        ('base = "tnpu"\n[buffer]\ncapacity = 3\n', "buffer.capacity: unknown field"),
        ('base = "nosuch"\n', "base 'nosuch'"),
        ("base = 3\n", "base: expected a preset name"),
        ('base = "me.toml"\n', "includes itself"),
    ],
)
def test_partial_preset_errors_name_the_file_and_field(tmp_path, text, message):
    from tnpu.accelerator import load_accelerator

    f = _write(tmp_path / "me.toml", text)
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        load_accelerator(f)
    assert "me.toml" in str(info.value)


def test_partial_preset_runs_from_the_cli(tmp_path, monkeypatch, capsys):
    from tnpu import cli

    _write(tmp_path / "small.toml", 'base = "dnpu"\n[buffer]\ncapacity_bytes = 262144\n')
    monkeypatch.chdir(tmp_path)
    assert (
        cli.main(["run", "--model", "lenet5", "--arch", "small.toml", "--batch", "1", "--json", "--quiet"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["arch"] == "small"
