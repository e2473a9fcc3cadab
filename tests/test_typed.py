"""Typed surfaces (issue 17 item 4): the bound machine and result types, the one override parser, energy in one place."""

from __future__ import annotations

import numpy as np
import pytest

import tnpu
from tnpu import _core
from tnpu.accelerator import load_accelerator
from tnpu.config import ArchConfig
from tnpu.errors import ConfigError
from tnpu.overrides import flatten, parse_setting, replace_path
from tnpu.simulate import simulate

FAST = {"memory.model": "fixed"}


# -- the one override parser ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("batch=4", ("batch", 4)),
        ("buffer.capacity_bytes=0x100000", ("buffer.capacity_bytes", 1 << 20)),
        ("memory.bandwidth_gbps=8.5", ("memory.bandwidth_gbps", 8.5)),
        ("gd_accumulate=False", ("gd_accumulate", False)),
        (" memory.dram = hbm2 ", ("memory.dram", "hbm2")),
    ],
)
def test_set_values_are_parsed_by_type(text, expected):
    assert parse_setting(text) == expected


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("schedular", "inorder", "schedular: unknown setting (did you mean 'scheduler'?"),
        ("buffer.capacity", 1, "buffer.capacity: unknown field of buffer (did you mean 'capacity_bytes'?"),
        (
            "memory.bandwith_gbps",
            8.0,
            "memory.bandwith_gbps: unknown field of memory (did you mean 'bandwidth_gbps'?",
        ),
        ("engines.pu_cc.lanes", 8, "engines.pu_cc: no such engine (did you mean 'pu_c'?"),
        ("engines.pu_c.array_row", 8, "engines.pu_c.array_row: unknown field of engines.pu_c (did you mean"),
        ("engines.pu_c.name", "x", "engines.pu_c.name: the name of engines.pu_c cannot be changed"),
        ("window", "4", "window: expected a whole number (int), got '4'"),
        ("engines.pu_c.array_rows", 8.0, "engines.pu_c.array_rows: expected a whole number (int), got 8.0"),
        ("gd_accumulate", 1, "gd_accumulate: expected true or false (bool), got 1"),
        ("energy.mac_pj", "low", "energy.mac_pj: expected a number (float), got 'low'"),
        ("buffer.capacity_bytes.x", 1, "buffer.capacity_bytes is a whole number (int), it has no fields"),
    ],
)
def test_override_errors_name_the_field_the_type_and_the_nearest_name(path, value, message):
    with pytest.raises(ConfigError) as info:
        load_accelerator("tnpu").override({path: value})
    assert message in str(info.value)


def test_override_sets_nested_fields_engines_by_name_and_table_entries():
    cfg = load_accelerator("tnpu").override(
        {
            "engines.pu_c.array_rows": 32,
            "engines.pu_f.runs": "vector",
            "buffer.capacity_bytes": 1 << 20,
            "energy.sram_access_pj.global_buffer": 7.5,
            "memory.model": "fixed",
            "memory.bandwidth_gbps": 8,  # an int for a float field is kept as given
        }
    )
    assert cfg.engine("pu_c").array_rows == 32
    assert cfg.engine("pu_f").runs == ("vector",)
    assert cfg.arch.buffer.capacity_bytes == 1 << 20
    assert cfg.energy.sram_access_pj == {"global_buffer": 7.5}
    assert cfg.arch.memory.bandwidth_gbps == 8
    assert isinstance(cfg.arch.memory.bandwidth_gbps, int)


def test_a_partial_preset_is_the_same_as_its_overrides(tmp_path):
    (tmp_path / "mine.toml").write_text(
        'base = "dnpu"\n[buffer]\ncapacity_bytes = 262144\n[engines.pu_c]\narray_rows = 8\n'
        "[energy.sram_access_pj]\nglobal_buffer = 3.5\n"
    )
    partial = load_accelerator(tmp_path / "mine.toml")
    direct = load_accelerator("dnpu").override(
        {
            "buffer.capacity_bytes": 262144,
            "engines.pu_c.array_rows": 8,
            "energy.sram_access_pj.global_buffer": 3.5,
        }
    )
    assert partial.to_dict() | {"name": "", "description": ""} == direct.to_dict() | {
        "name": "",
        "description": "",
    }


def test_whole_presets_go_through_the_same_checks(tmp_path):
    from tnpu.accelerator import accelerator_from_dict

    data = load_accelerator("tnpu").to_dict()
    with pytest.raises(
        ConfigError, match=r"mine\.toml: buffer\.capacty_bytes: unknown field of buffer \(did you"
    ):
        accelerator_from_dict({**data, "buffer": {"capacty_bytes": 1}}, "mine.toml")
    with pytest.raises(ConfigError, match=r"mine\.toml: bufer: unknown setting \(did you mean 'buffer'\?"):
        accelerator_from_dict({**data, "bufer": {}}, "mine.toml")
    with pytest.raises(ConfigError, match=r"mine\.toml: window: expected a whole number \(int\), got 'x'"):
        accelerator_from_dict({**data, "window": "x"}, "mine.toml")


def test_flatten_gives_dotted_paths_and_refuses_a_path_given_twice():
    assert flatten({"a": {"b": 1, "c": {"d": [2]}}, "e": 3}) == {"a.b": 1, "a.c.d": [2], "e": 3}
    with pytest.raises(ConfigError, match=r"space\.a\.b: given twice"):
        flatten({"a": {"b": 1}, "a.b": 2}, where="space.")


def test_replace_path_labels_errors_as_written():
    with pytest.raises(
        ConfigError, match=r"^space\.memory\.modle: unknown field of arch\.memory \(did you mean"
    ):
        replace_path(ArchConfig(), "memory.modle", "dram", prefix="arch", label="space.memory.modle")


def test_sweeps_use_the_same_parser():
    from tnpu.sweep import SerialExecutor, sweep

    with pytest.raises(
        ConfigError, match=r"space: engines\.pu_c\.array_row: unknown field .*did you mean 'array_rows'"
    ):
        sweep(
            {"engines.pu_c.array_row": [8]},
            ["lenet5"],
            SerialExecutor(),
            evaluator="accelerator",
            progress=False,
        )
    with pytest.raises(
        ConfigError, match=r"space\.arch\.pu_c\.rowz: unknown field of arch\.pu_c \(did you mean 'rows'"
    ):
        sweep({"arch.pu_c.rowz": [8]}, ["lenet5"], SerialExecutor(), progress=False)


# -- the bound machine and result ----------------------------------------------------------------------------------


def test_to_cpp_mirrors_the_dataclass():
    cfg = load_accelerator("dnpu").override({"engines.pu_c.dataflow": "ws", "gd_accumulate": False})
    m = cfg.to_cpp(window=3, address_slots=5)
    assert isinstance(m, _core.AcceleratorConfig)
    assert [e.name for e in m.engines] == [e.name for e in cfg.engines]
    for e, c in zip(cfg.engines, m.engines, strict=True):
        assert (c.array_rows, c.array_cols, c.dataflow, c.lanes, c.buffer_share) == (
            e.array_rows,
            e.array_cols,
            e.dataflow,
            e.lanes,
            e.buffer_share,
        )
    assert tuple(m.engine_of_class) == cfg.engine_of_class()
    assert (m.scheduler, m.window, m.gd_accumulate, m.address_slots) == (cfg.scheduler, 3, False, 5)
    assert m.pass_config.buffer.capacity_bytes == cfg.arch.buffer.capacity_bytes
    m.validate()
    m.engines = []
    with pytest.raises(ConfigError, match="engines: at least one engine"):
        m.validate()


def _tiny_workload() -> _core.TrainingWorkload:
    """Two independent element-wise tasks of one instance, then a vector task depending on both."""
    return _core.TrainingWorkload(
        instance=np.zeros(3, dtype=np.uint32),
        layer=np.zeros(3, dtype=np.uint32),
        phase=np.zeros(3, dtype=np.uint8),
        task_class=np.array([1, 1, 1], dtype=np.uint8),
        dep_offsets=np.array([0, 0, 0, 2], dtype=np.uint64),
        dep_ids=np.array([0, 1], dtype=np.uint32),
        vector_ops=np.array([1000, 2000, 500], dtype=np.uint64),
        bytes_in=np.array([4096, 8192, 4096], dtype=np.uint64),
        bytes_out=np.array([4096, 8192, 4096], dtype=np.uint64),
        layers=[_core.AcceleratorLayer("relu")],
    )


def test_training_result_has_named_fields_and_read_only_views_of_its_own_memory():
    machine = load_accelerator("tnpu").override(FAST).to_cpp(window=1)
    w = _tiny_workload()
    assert len(w) == 3
    r = _core.simulate_training(w, machine)
    assert isinstance(r, _core.TrainingResult)
    start, again = r.start_ps, r.start_ps
    assert np.shares_memory(start, again)  # no copy: both view the result's vector
    assert start.base is not None
    assert not start.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        start[0] = 1
    assert len(r.end_ps) == len(r.engine) == len(r.macs) == 3
    assert r.start_ps[2] >= max(r.end_ps[0], r.end_ps[1])  # it waited for both
    assert r.makespan_ps == int(r.end_ps.max())
    assert r.dram_bytes_read == int(np.sum(r.dram_read_bytes)) > 0
    assert r.events > 0
    assert any(name == "tnpu.executor.tasks" or name.startswith("tnpu.") for name, _u, _d, _v in r.stats)


def test_views_keep_the_result_alive():
    machine = load_accelerator("tnpu").override(FAST).to_cpp(window=1)
    end = _core.simulate_training(_tiny_workload(), machine).end_ps  # the result object is dropped here
    values = end.copy()
    _ = [np.zeros(1000) for _ in range(100)]
    np.testing.assert_array_equal(end, values)


def test_workload_errors_name_the_field():
    with pytest.raises(ConfigError, match="vector_ops: expected 3 entries, got 2"):
        _core.TrainingWorkload(
            instance=np.zeros(3, dtype=np.uint32),
            layer=np.zeros(3, dtype=np.uint32),
            phase=np.zeros(3, dtype=np.uint8),
            task_class=np.ones(3, dtype=np.uint8),
            dep_offsets=np.zeros(4, dtype=np.uint64),
            dep_ids=np.zeros(0, dtype=np.uint32),
            vector_ops=np.zeros(2, dtype=np.uint64),
            bytes_in=np.zeros(3, dtype=np.uint64),
            bytes_out=np.zeros(3, dtype=np.uint64),
            layers=[_core.AcceleratorLayer("x")],
        )


# -- energy in one place -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["fixed", "dram"])
def test_energy_by_phase_adds_up_to_the_breakdown(model):
    r = simulate("lenet5", "dnpu", batch=2, overrides={"memory.model": model})
    e, by = r.energy, r.energy_by_phase
    mac = sum(v for k, v in e.items() if k.startswith("mac."))
    sram = sum(v for k, v in e.items() if k.startswith("sram."))
    assert sum(p["mac_pj"] for p in by.values()) == pytest.approx(mac, rel=1e-12)
    assert sum(p["sram_pj"] for p in by.values()) == pytest.approx(sram, rel=1e-12)
    assert sum(p["dram_pj"] for p in by.values()) == pytest.approx(e["dram"], rel=1e-12)
    assert e["total_pj"] == pytest.approx(
        sum(v for k, v in e.items() if not k.startswith("total")), rel=1e-12
    )
    if model == "dram":  # the DRAM model's own energy is the DRAM term
        assert e["dram"] == pytest.approx(r.stats["tnpu.dram.energy"], rel=1e-12)
    else:
        assert e["dram"] == pytest.approx(r.summary()["dram_bytes"] * 8 * 20.0, rel=1e-12)


def test_layer_activity_is_importable_from_both_modules():
    from tnpu.energy import layer_activity
    from tnpu.layer import layer_activity as old

    assert old is layer_activity
    assert tnpu.energy.layer_energy_table(ArchConfig()).mac_pj == tnpu.energy.MAC_PJ["fp32"]
