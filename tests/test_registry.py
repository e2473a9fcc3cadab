"""The one registry of choices: every area listed from C++, names unique, descriptions and parameters filled in,
defaults equal to the config structs', CLI choices equal to the registry's names, unknown names answered with
"did you mean" as tnpu.errors.ConfigError from C++ and from Python alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import pytest

import tnpu.errors
from tnpu import _core, registry
from tnpu.accelerator import load_accelerator
from tnpu.cli import build_parser, main
from tnpu.config import MemoryConfig, PeArrayConfig
from tnpu.scalesim import read_config

AREAS = {
    "dataflow",
    "engine",
    "data_type",
    "scheduler",
    "memory_model",
    "dram_standard",
    "address_mapping",
    "trace_format",
}


def test_every_area_is_listed_by_the_one_binding():
    raw = _core.registry()
    assert set(raw) >= AREAS
    for area, rows in raw.items():
        assert rows, area
        for name, description, params in rows:
            assert isinstance(name, str)
            assert isinstance(description, str)
            for p in params:
                assert len(p) == 4, (area, name, p)
                assert all(isinstance(x, str) for x in p), (area, name, p)


def test_the_eight_name_functions_are_gone():
    for old in (
        "dataflow_names",
        "memory_model_names",
        "engine_names",
        "data_type_names",
        "dram_standard_names",
        "dram_address_mapping_names",
        "trace_format_names",
        "scheduler_registry",
    ):
        assert not hasattr(_core, old), old


@pytest.mark.parametrize("area", sorted(AREAS))
def test_names_unique_descriptions_and_params_filled(area):
    entries = registry.registry()[area]
    names = [e.name for e in entries]
    assert len(names) == len(set(names)), names
    for e in entries:
        assert e.name
        assert e.name == e.name.strip()
        assert " " not in e.name
        assert e.description.strip(), (area, e.name)
        assert "\n" not in e.description
        params = [p.name for p in e.params]
        assert len(params) == len(set(params)), (area, e.name)
        for p in e.params:
            assert p.name, (area, e.name, p)
            assert p.description.strip(), (area, e.name, p)


def test_known_entries_and_order():
    assert registry.names("dataflow") == ("os", "ws", "is")
    assert registry.names("scheduler") == ("inorder", "split", "reorder")
    assert registry.names("trace_format") == ("dramsim3", "ramulator1", "ramulator2")
    assert {"ddr4", "lpddr4", "hbm2"} <= set(registry.names("dram_standard"))
    assert registry.names("memory_model")[-1] == "stream"  # the Python-implemented one, after C++'s
    assert registry.entry("memory_model", "stream").source == "Python"


def test_param_defaults_are_the_config_structs_defaults():
    def default(area, name, param):
        return next(p for p in registry.entry(area, name).params if p.name == param).default

    assert default("scheduler", "reorder", "scheduler.window") == "0"
    pe = _core.PeArrayConfig()
    assert default("engine", "pe_array", "pe_array.rows") == str(pe.rows)
    assert default("engine", "pe_array", "pe_array.dataflow") == pe.dataflow
    assert default("engine", "vector_unit", "vector_unit.lanes") == str(_core.VectorUnitConfig().lanes)
    m = _core.MemoryModelConfig()
    assert default("memory_model", "fixed", "memory.latency_ps") == str(m.latency_ps)
    assert default("memory_model", "fixed", "memory.queue_depth") == str(m.queue_depth)
    spec = _core.DramSpec()
    assert default("dram_standard", "ddr4", "dram.tRCD") == str(spec.tRCD)
    assert default("dram_standard", "hbm2", "dram.write_rank_switch") == str(spec.write_rank_switch).lower()
    s = _core.SampledMemoryConfig()
    assert float(default("memory_model", "sampled", "memory.sampled.detail_fraction")) == s.detail_fraction


def test_reads_decides_what_a_choice_uses():
    assert registry.reads("scheduler", "reorder", "scheduler.window")
    assert not registry.reads("scheduler", "inorder", "scheduler.window")
    assert registry.reads("memory_model", "sampled", "memory.dram")
    assert not registry.reads("memory_model", "fixed", "memory.dram")


def _option(parser: argparse.ArgumentParser, path: list[str], flag: str) -> argparse.Action:
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return next(a for a in parser._actions if flag in a.option_strings)


def test_cli_choices_are_the_registry_names():
    parser = build_parser()
    memory = set(registry.names("memory_model"))
    assert set(_option(parser, ["run"], "--memory").choices) == memory - {"external"}
    dram_models = {n for n in memory if registry.reads("memory_model", n, "memory.dram")}
    assert (
        set(_option(parser, ["reproduce"], "--memory").choices)
        == dram_models
        == {"dram", "sampled", "stream"}
    )
    formats = registry.names("trace_format")
    assert tuple(_option(parser, ["trace", "gen"], "--format").choices) == formats
    assert tuple(_option(parser, ["trace", "convert"], "--to").choices) == formats


def _did_you_mean(exc: pytest.ExceptionInfo[BaseException], near: str) -> None:
    assert isinstance(exc.value, tnpu.errors.ConfigError)
    assert isinstance(exc.value, ValueError)
    assert f"did you mean '{near}'?" in str(exc.value)


def test_unknown_names_from_cpp_say_did_you_mean(tmp_path):
    with pytest.raises(tnpu.errors.ConfigError, match=r"unknown dataflow 'wss' \(known: os, ws, is\)") as e:
        _core.PeArray(4, 4, "wss")
    _did_you_mean(e, "ws")
    spec = _core.DramSpec()
    spec.standard = "ddr44"
    with pytest.raises(tnpu.errors.ConfigError, match=r"dram.standard: unknown DRAM standard 'ddr44'") as e:
        spec.validate()
    _did_you_mean(e, "ddr4")
    with pytest.raises(tnpu.errors.ConfigError, match=r"unknown trace format 'dramsim'") as e:
        _core.DramTraceWriter(str(tmp_path / "t.trace"), "dramsim")
    _did_you_mean(e, "dramsim3")
    c = _core.PassConfig()
    c.memory.model = "fixd"
    with pytest.raises(tnpu.errors.ConfigError, match=r"memory.model: unknown memory model 'fixd'") as e:
        c.validate()
    _did_you_mean(e, "fixed")
    c.memory.model = "ideal"
    c.engine = "pe_aray"
    with pytest.raises(tnpu.errors.ConfigError, match=r"engine: unknown engine 'pe_aray'") as e:
        c.validate()
    _did_you_mean(e, "pe_array")


def test_unknown_names_from_python_say_did_you_mean(tmp_path):
    with pytest.raises(tnpu.errors.ConfigError, match=r"pu_c.dataflow: unknown dataflow 'oss'") as e:
        PeArrayConfig(dataflow="oss").validate()
    _did_you_mean(e, "os")
    with pytest.raises(tnpu.errors.ConfigError, match=r"memory.model: unknown memory model 'strem'") as e:
        MemoryConfig(model="strem").validate()
    _did_you_mean(e, "stream")
    bad = dataclasses.replace(load_accelerator("tnpu"), scheduler="reodrer")
    with pytest.raises(tnpu.errors.ConfigError, match=r"scheduler: unknown scheduler 'reodrer'") as e:
        bad.validate()
    _did_you_mean(e, "reorder")
    cfg = tmp_path / "s.cfg"
    cfg.write_text(
        "[general]\nrun_name = t\n[architecture_presets]\nArrayHeight = 4\nArrayWidth = 4\nIfmapSramSzkB = 1\n"
        "FilterSramSzkB = 1\nOfmapSramSzkB = 1\nDataflow = wss\n"
    )
    with pytest.raises(tnpu.errors.ConfigError, match=r"Dataflow: unknown dataflow 'wss'") as e:
        read_config(cfg)
    _did_you_mean(e, "ws")
    # Far from every name: no suggestion.
    with pytest.raises(tnpu.errors.ConfigError) as e:
        PeArrayConfig(dataflow="systolic").validate()
    assert "did you mean" not in str(e.value)


def test_cli_error_for_an_unknown_scheduler(capsys):
    assert (
        main(
            [
                "run",
                "--model",
                "lenet5",
                "--batch",
                "1",
                "--memory",
                "ideal",
                "--scheduler",
                "reordr",
                "--quiet",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "unknown scheduler 'reordr'" in err
    assert "did you mean 'reorder'?" in err


def test_tnpu_list(capsys):
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= AREAS
    assert [e["name"] for e in data["scheduler"]] == list(registry.names("scheduler"))
    reorder = next(e for e in data["scheduler"] if e["name"] == "reorder")
    assert reorder["params"][0]["name"] == "scheduler.window"
    assert main(["list", "scheduler"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("scheduler:")
    assert "reorder" in text
    assert "scheduler.window (default 0 instances)" in text
    assert "dataflow:" not in text
    assert main(["list", "dram_standard", "--names"]) == 0
    assert capsys.readouterr().out.split() == list(registry.names("dram_standard"))
    assert main(["list", "schedulr"]) == 1
    err = capsys.readouterr().err
    assert "unknown registry area 'schedulr'" in err
    assert "did you mean 'scheduler'?" in err
