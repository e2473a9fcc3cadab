"""Conventions every ``tnpu`` command keeps: --help with examples, --json, exit codes 0 / 1 / 2, one-line errors.

The tables below must name every registered command (``COMMANDS`` in tnpu.cli, sub-commands included): a new
command without an entry fails ``test_tables_cover_every_command``, so it cannot skip the conventions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tnpu.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """Yield (words, parser, is_leaf) for every command and sub-command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                words = (*prefix, name)
                has_children = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                yield words, sub, not has_children
                yield from _commands(sub, words)


ALL = list(_commands(build_parser()))
LEAVES = [" ".join(words) for words, _p, leaf in ALL if leaf]

CFG = """[general]
run_name = t

[architecture_presets]
ArrayHeight: 8
ArrayWidth: 4
IfmapSramSzkB: 64
FilterSramSzkB: 64
OfmapSramSzkB: 64
Dataflow: ws

[run_presets]
InterfaceBandwidth: CALC
"""
TOPOLOGY = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
    "c1,28,28,3,3,16,32,1,\n"
)
SPEC = '[sweep]\nworkloads = ["lenet5"]\n[space]\n"arch.pu_c.rows" = [8, 16]\nphases = "FP"\n'


def _write_recorded_trace(path: Path) -> None:
    """A LeNet-5 compute trace with the cycles a run recorded (for ``replay compute``)."""
    import tnpu
    from tnpu.compute_replay import record_timings
    from tnpu.workloads import TrainingGraph, get_network
    from tnpu.workloads.traces import write_compute_trace

    ideal = {"memory.model": "ideal"}
    result = tnpu.simulate("lenet5", "tnpu", batch=1, overrides=ideal)
    write_compute_trace(
        record_timings(TrainingGraph(get_network("lenet5"), batch=1).to_arrays(), result), path
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "s.cfg").write_text(CFG)
    (tmp_path / "t.csv").write_text(TOPOLOGY)
    (tmp_path / "spec.toml").write_text(SPEC)
    _write_recorded_trace(tmp_path / "rec.csv")
    assert (
        main(["trace", "gen", "random", "-n", "200", "-o", str(tmp_path / "r.trace"), "--format", "dramsim3"])
        == 0
    )
    return {"dir": str(tmp_path), "missing": str(tmp_path / "missing.file")}


#: A successful --json invocation per leaf command ({dir} is a folder with s.cfg, t.csv, spec.toml, r.trace).
JSON_RUNS: dict[str, list[str]] = {
    "demo": ["demo", "--requests", "500", "--json"],
    "workloads": ["workloads", "lenet5", "--batch", "2", "--json"],
    "trace gen": [
        "trace",
        "gen",
        "sequential",
        "-n",
        "100",
        "-o",
        "{dir}/g.trace",
        "--format",
        "ramulator2",
        "--json",
    ],
    "trace info": ["trace", "info", "{dir}/r.trace", "--json"],
    "trace convert": ["trace", "convert", "{dir}/r.trace", "{dir}/c.trace", "--to", "ramulator1", "--json"],
    "replay dram": ["replay", "dram", "{dir}/r.trace", "--dram", "ddr4-2400", "--json"],
    "replay compute": ["replay", "compute", "{dir}/rec.csv", "--arch", "tnpu", "--memory", "ideal", "--json"],
    "layer-cycles": ["layer-cycles", "--topology", "{dir}/t.csv", "--config", "{dir}/s.cfg", "--json"],
    "sweep": ["sweep", "{dir}/spec.toml", "--workers", "1", "--out", "{dir}/o.parquet", "--json"],
    "run": ["run", "--model", "lenet5", "--arch", "tnpu", "--batch", "2", "--json"],
    "reproduce": ["reproduce", "--networks", "lenet5", "--batch", "2", "--no-sweep", "--json"],
    "list": ["list", "--json"],
}

#: An invocation per leaf command that fails at run time (bad input): exit 1 with one line on stderr. None: the
#: command reads no input that can be bad (the reason is the value's second item).
RUNTIME_ERRORS: dict[str, tuple[list[str] | None, str]] = {
    "demo": (None, "reads no input; every option is checked by argparse (exit 2)"),
    "workloads": (["workloads", "no-such-net"], "unknown network"),
    "trace gen": (
        ["trace", "gen", "random", "-n", "5", "-o", "{missing}/x.trace", "--format", "dramsim3"],
        "",
    ),
    "trace info": (["trace", "info", "{missing}"], "missing.file"),
    "trace convert": (
        ["trace", "convert", "{missing}", "{dir}/x.trace", "--to", "ramulator1"],
        "missing.file",
    ),
    "replay dram": (["replay", "dram", "{missing}"], "missing.file"),
    "replay compute": (["replay", "compute", "{missing}", "--arch", "tnpu"], "missing.file"),
    "layer-cycles": (["layer-cycles", "--topology", "{missing}", "--config", "{dir}/s.cfg"], "missing.file"),
    "sweep": (["sweep", "{missing}", "--out", "{dir}/o.parquet"], "missing.file"),
    "run": (["run", "--model", "lenet5", "--arch", "{missing}"], "missing.file"),
    "reproduce": (["reproduce", "--networks", "no-such-net", "--no-sweep"], "no-such-net"),
    "list": (["list", "no-such-area"], "unknown registry area 'no-such-area'"),
}


def _fill(argv: list[str], files: dict[str, str]) -> list[str]:
    return [a.format(**files) for a in argv]


def test_tables_cover_every_command():
    assert set(LEAVES) == set(JSON_RUNS) == set(RUNTIME_ERRORS)
    assert [c for c, (argv, _why) in RUNTIME_ERRORS.items() if argv is None] == ["demo"]
    assert "sweep" in LEAVES


@pytest.mark.parametrize("words", [" ".join(w) for w, _p, _leaf in ALL])
def test_every_command_help_has_examples(words, capsys):
    with pytest.raises(SystemExit) as info:
        main([*words.split(), "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text.lower()
    examples = text.lower().split("examples:", 1)[1]
    assert f"tnpu {words}" in examples  # the examples show this very command


def test_top_level_help_lists_every_command_with_examples(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for words, _p, _leaf in ALL:
        if len(words) == 1:
            assert words[0] in text
    assert "examples:" in text


@pytest.mark.parametrize("command", LEAVES)
def test_every_leaf_prints_json(command, files, capsys):
    parser = {" ".join(w): p for w, p, _leaf in ALL}[command]
    assert any("--json" in a.option_strings for a in parser._actions)
    if (
        command == "sweep"
    ):  # --out writes Parquet: the sweep extra (CI's main run installs it; the sanitizer run not)
        pytest.importorskip("pyarrow")
    assert main(_fill(JSON_RUNS[command], files)) == 0
    out = capsys.readouterr().out
    json.loads(out)  # exactly one JSON document on stdout, nothing else
    assert out.count("\n") == 1


@pytest.mark.parametrize("command", [c for c in LEAVES if RUNTIME_ERRORS[c][0] is not None])
def test_runtime_errors_exit_1_with_one_line(command, files, capsys):
    argv, expect = RUNTIME_ERRORS[command]
    assert argv is not None
    assert main(_fill(argv, files)) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"tnpu {command.split()[0]}: error: ")
    assert expect in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("command", LEAVES)
def test_usage_errors_exit_2(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([*command.split(), "--no-such-option"])
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_exit_codes_of_a_real_process(tmp_path):
    """The same codes from ``python -m tnpu``, with no traceback on stderr."""
    ok = subprocess.run(
        [sys.executable, "-m", "tnpu", "workloads", "--json"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0
    bad = subprocess.run(
        [sys.executable, "-m", "tnpu", "replay", "dram", str(tmp_path / "nope.trace")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("tnpu replay: error: ")
    assert "Traceback" not in bad.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "tnpu", "sweep"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr


def test_missing_optional_package_is_a_one_line_runtime_error(monkeypatch, tmp_path, capsys):
    import tnpu._optional as opt

    real = opt.importlib.import_module

    def no_pyarrow(name, *args):
        if name.startswith("pyarrow"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args)

    monkeypatch.setattr(opt.importlib, "import_module", no_pyarrow)
    (tmp_path / "spec.toml").write_text(SPEC)
    _write_recorded_trace(tmp_path / "rec.csv")
    assert (
        main(["sweep", str(tmp_path / "spec.toml"), "--workers", "1", "--out", str(tmp_path / "o.parquet")])
        == 1
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert 'pip install "tnpu-sim[sweep]"' in err
