"""DRAM configuration: presets, overrides, the DRAMsim3 / Ramulator 1 readers, timing table, errors, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import tnpu
from tnpu import _core, registry
from tnpu.cli import main
from tnpu.dram import DramConfig, list_dram_presets, load_dram_config, read_dramsim3_ini, read_ramulator1_cfg
from tnpu.errors import ConfigError, TraceFormatError

# The peers' own files, as shipped (DRAMsim3 configs/DDR4_8Gb_x8_2400.ini; Ramulator 1's DDR4 example, 2 ranks).
READERS = Path(__file__).resolve().parent / "data" / "readers"
INI = READERS / "DDR4_8Gb_x8_2400.ini"
CFG = READERS / "ramulator1_DDR4_2400U_8Gb_x8_2rank.cfg"


def small_trace(path: Path, n: int = 100, fmt: str = "dramsim3") -> Path:
    w = _core.DramTraceWriter(str(path), fmt)
    stamps = np.zeros(n, dtype=np.uint64) if fmt == "dramsim3" else None
    w.write(np.zeros(n, dtype=np.uint8), np.arange(n, dtype=np.uint64) * 64, stamps)
    w.close()
    return path


def test_presets_listed_and_loadable():
    names = list_dram_presets()
    assert {"ddr3-1600", "ddr4-2133", "ddr4-2400", "ddr4-3200", "lpddr4-3200", "hbm2"} <= set(names)
    for name in names:
        cfg = load_dram_config(name)
        cfg.validate()
        assert cfg.source == f"preset:{name}"


def test_ddr4_2133_is_tnpus_17_gbps_channel():
    cfg = load_dram_config("ddr4-2133")
    assert cfg.channels == 1
    assert cfg.bus_width == 64
    assert cfg.peak_bandwidth_gbps == pytest.approx(17.06, abs=0.05)


def test_hbm2_has_pseudo_channels():
    cfg = load_dram_config("hbm2")
    assert cfg.channels == 16
    assert cfg.bus_width == 64
    assert cfg.peak_bandwidth_gbps == pytest.approx(256.0)


def test_unknown_preset_lists_valid_ones():
    with pytest.raises(ConfigError, match=r"valid presets: .*ddr4-2400"):
        load_dram_config("ddr5-9000")


def test_every_field_overridable_and_checked():
    cfg = load_dram_config("ddr4-2400", {"tRFC": 350, "page_policy": "closed"})
    assert (cfg.tRFC, cfg.page_policy) == (350, "closed")
    with pytest.raises(ConfigError, match="unknown field"):
        load_dram_config("ddr4-2400", {"tXYZ": 1})
    with pytest.raises(ConfigError, match="page_policy"):
        load_dram_config("ddr4-2400", {"page_policy": "sometimes"})
    with pytest.raises(ConfigError, match="tRFC"):
        DramConfig(tRFC=10_000).validate()
    with pytest.raises(ConfigError, match="standard"):
        DramConfig(standard="ddr9").validate()


def test_unknown_mapping_lists_names():
    with pytest.raises(ConfigError, match="bankgroup_interleaved"):
        DramConfig(address_mapping="zzz").validate()
    with pytest.raises(ConfigError, match="exactly once"):
        DramConfig(address_mapping="rorochrababgco").validate()


def test_mappings_decode_as_the_peers_do():
    spec = DramConfig(ranks=2).to_spec()
    # DRAMsim3 rochrababgco: above the 6 offset bits come 7 column bits, then bank group, bank, rank.
    spec.address_mapping = "dramsim3"
    d = _core.dram_decode(spec, np.array([64, 1 << 13, 1 << 15, 1 << 17], dtype=np.uint64))
    assert d[0].tolist() == [0, 0, 0, 0, 0, 1]
    assert d[1].tolist() == [0, 0, 1, 0, 0, 0]  # bank group
    assert d[2].tolist() == [0, 0, 0, 1, 0, 0]  # bank
    assert d[3].tolist() == [0, 1, 0, 0, 0, 0]  # rank
    # Ramulator RoBaRaCoCh: column, then rank, then bank group, then bank.
    spec.address_mapping = "RoBaRaCoCh"
    d = _core.dram_decode(spec, np.array([1 << 13, 1 << 14, 1 << 16], dtype=np.uint64))
    assert d[0].tolist() == [0, 1, 0, 0, 0, 0]
    assert d[1].tolist() == [0, 0, 1, 0, 0, 0]
    assert d[2].tolist() == [0, 0, 0, 1, 0, 0]


def test_timing_table_rows():
    rules = _core.dram_timing_rules(DramConfig().to_spec())
    by = {(lvl, a, b, sib): lat for lvl, a, b, lat, win, sib, _name in rules if win == 1}
    cfg = DramConfig()
    assert by[("bankgroup", "RD", "RD", False)] == cfg.tCCD_L
    assert by[("rank", "RD", "RD", False)] == cfg.tCCD_S
    assert by[("rank", "RD", "RD", True)] == cfg.burst_length // 2 + cfg.tRTRS
    assert by[("bank", "ACT", "RD", False)] == cfg.tRCD
    assert by[("bank", "ACT", "ACT", False)] == cfg.tRC
    assert by[("rank", "REF", "ACT", False)] == cfg.tRFC
    assert by[("rank", "WR", "RD", False)] == cfg.tCWL + cfg.burst_length // 2 + cfg.tWTR_S
    faw = [r for r in rules if r[4] == 4]
    assert faw
    assert faw[0][3] == cfg.tFAW
    assert set(registry.names("dram_standard")) == {
        "ddr3", "ddr4", "lpddr", "lpddr3", "lpddr4", "gddr5", "gddr5x", "gddr6", "hbm", "hbm2", "wideio", "wideio2",
    }  # fmt: skip


def test_dramsim3_ini_reader():
    cfg = read_dramsim3_ini(INI)
    assert (cfg.standard, cfg.ranks, cfg.tck_ps, cfg.tCL, cfg.tRFC) == ("ddr4", 2, 830, 17, 420)
    assert (cfg.bank_queue_size, cfg.read_queue_size, cfg.address_mapping) == (8, 32, "rochrababgco")
    assert cfg.idd5b == 250
    assert cfg.write_drain == "dramsim3"
    # Every key without effect is listed (with its line and why); the notes sum them up in one line.
    ignored = "\n".join(cfg.ignored_keys)
    assert "[timing] tRFC2 (line " in ignored
    assert "[thermal]" in ignored
    assert "[power] IDD2P (line " in ignored
    assert len(cfg.notes) == 1
    assert f"{len(cfg.ignored_keys)} keys of this DRAMsim3 file have no effect here" in cfg.notes[0]


def test_dramsim3_ini_unknown_and_bad_keys(tmp_path):
    text = INI.read_text()
    p = tmp_path / "x.ini"
    p.write_text(text.replace("[timing]", "[timing]\nfoo_bar = 3"))
    with pytest.raises(ConfigError, match=r"x\.ini:\d+: \[timing\] foo_bar: not a DRAMsim3 key"):
        read_dramsim3_ini(p)
    p.write_text(text.replace("CL = 17", "CL = seventeen"))
    with pytest.raises(ConfigError, match=r"\[timing\] CL: expected a whole number"):
        read_dramsim3_ini(p)
    p.write_text(text.replace("protocol = DDR4", "protocol = HMC"))
    with pytest.raises(ConfigError, match=r"protocol 'HMC' is not supported: the Hybrid Memory Cube"):
        read_dramsim3_ini(p)
    p.write_text(text.replace("protocol = DDR4", "protocol = DDR5"))
    with pytest.raises(ConfigError, match=r"protocol 'DDR5' is not a DRAMsim3 protocol"):
        read_dramsim3_ini(p)
    p.write_text("not an ini file at all")
    with pytest.raises(ConfigError, match="not a DRAMsim3"):
        read_dramsim3_ini(p)


def test_ramulator1_cfg_reader(tmp_path):
    cfg = read_ramulator1_cfg(CFG)
    assert (cfg.ranks, cfg.tCL, cfg.tRCD, cfg.tRFC, cfg.tREFI, cfg.tFAW) == (2, 18, 18, 420, 9360, 26)
    assert (cfg.address_mapping, cfg.refresh_policy, cfg.row_hit_cap) == ("RoBaRaCoCh", "all_ranks", 16)
    assert any("cpu_tick: CPU-trace mode only" in n for n in cfg.ignored_keys)
    assert any("9 keys of this Ramulator 1 file have no effect here" in n for n in cfg.notes)
    p = tmp_path / "x.cfg"
    p.write_text(CFG.read_text().replace("DDR4_2400U", "DDR4_9999"))
    with pytest.raises(ConfigError, match=r"unknown DDR4 speed 'DDR4_9999'.*DDR4_2400U.*DDR4_3200"):
        read_ramulator1_cfg(p)
    p.write_text("standard = SALP-MASA\norg = x\nspeed = y\n")
    with pytest.raises(ConfigError, match=r"x\.cfg:1: standard 'SALP-MASA' is not supported: subarray"):
        read_ramulator1_cfg(p)
    p.write_text("standard = DDR5\norg = x\nspeed = y\n")
    with pytest.raises(ConfigError, match=r"'DDR5' is not a Ramulator 1 standard"):
        read_ramulator1_cfg(p)
    p.write_text(CFG.read_text() + "\nbogus_key = 1\n")
    with pytest.raises(ConfigError, match=r"x\.cfg:\d+: bogus_key: not a Ramulator 1 key"):
        read_ramulator1_cfg(p)


def test_toml_file_and_field_errors(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('standard = "ddr4"\n[timing]\ntCL = 15\n')
    assert load_dram_config(p).tCL == 15
    p.write_text('[timing]\ntCL = "fast"\n')
    with pytest.raises(ConfigError, match="tCL: expected int"):
        load_dram_config(p)
    p.write_text("[timing]\ntZZ = 1\n")
    with pytest.raises(ConfigError, match="tZZ: unknown DRAM field"):
        load_dram_config(p)


def test_address_beyond_capacity_is_an_error_or_wraps(tmp_path):
    p = tmp_path / "far.trace"
    p.write_text("0x0 READ 0\n0x10000000000 READ 0\n")
    with pytest.raises(TraceFormatError, match=r"far.trace:2"):
        tnpu.replay_dram(p, dram="ddr4-2400")
    res = tnpu.replay_dram(p, dram="ddr4-2400", wrap=True)
    assert res.requests == 2


def test_malformed_trace_names_file_and_line(tmp_path):
    p = tmp_path / "bad.trace"
    p.write_text("0x40 READ 0\n0x80 FETCH-ISH 1\n")
    with pytest.raises(TraceFormatError, match=r"bad.trace:2"):
        tnpu.replay_dram(p, dram="ddr4-2400")


def test_cli_json(tmp_path, capsys):
    trace = small_trace(tmp_path / "t.trace")
    assert main(["replay", "dram", str(trace), "--dram", "ddr4-2400", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "requests",
        "reads",
        "writes",
        "cycles",
        "tck_ps",
        "bandwidth_gbps",
        "avg_read_latency_cycles",
        "row_hits",
        "row_misses",
        "row_conflicts",
        "energy_pj",
    ):
        assert key in out
    assert out["requests"] == 100
    assert out["reads"] == 100
    assert out["row_hits"] + out["row_misses"] + out["row_conflicts"] == 100


def test_cli_overrides_and_errors(tmp_path, capsys):
    trace = small_trace(tmp_path / "t.trace", fmt="ramulator2")
    assert (
        main(["replay", "dram", str(trace), "--set", "tCL=20", "--set", "page_policy=closed", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["cmd_pre"] == 0  # closed page: auto-precharge only
    assert main(["replay", "dram", str(trace), "--dram", "nope"]) == 1
    assert "valid presets" in capsys.readouterr().err
    assert main(["replay", "dram", str(trace), "--format", "xyz"]) == 1
    assert "dramsim3" in capsys.readouterr().err
    assert main(["replay", "dram", str(trace), "--set", "tCL=abc"]) == 1


def test_cli_reports_unused_ini_keys(tmp_path, capsys):
    trace = small_trace(tmp_path / "t.trace")
    assert main(["replay", "dram", str(trace), "--dram", str(INI), "--json"]) == 0
    captured = capsys.readouterr()
    # One summary line on stderr, not a line per key; the keys themselves are in the JSON.
    assert captured.err.count("\n") == 1
    assert "have no effect here" in captured.err
    assert "--verbose lists them" in captured.err
    out = json.loads(captured.out)
    assert out["tck_ps"] == 830
    assert any(k.startswith("[timing] tRFC2 (line ") for k in out["config_ignored_keys"])
    assert out["config_notes"] == list(read_dramsim3_ini(INI).notes)
    assert main(["replay", "dram", str(trace), "--dram", str(INI), "--verbose"]) == 0
    err = capsys.readouterr().err
    assert "no effect" in err
    assert "[timing] tRFC2 (line " in err
    assert err.count("\n") == 1 + len(read_dramsim3_ini(INI).ignored_keys)


def test_controller_is_a_target_for_other_initiators():
    # The same model driven by the kernel's traffic generator (as the DMA engine will): one model, two drivers.
    sim = tnpu.Simulator()
    ctrl = _core.DramController(sim, "dram", load_dram_config("ddr4-2400").to_spec())
    gen = _core.TrafficGenerator(sim, "gen", ctrl, count=1000, write_every=4)
    sim.run()
    s = sim.stats()
    assert gen.done
    assert s["tnpu.dram.requests"] == 1000
    assert s["tnpu.dram.writes"] == 250
    assert ctrl.outstanding == 0


def test_dram_is_a_replay_target_of_the_trace_module(tmp_path):
    from tnpu import traces

    trace = small_trace(tmp_path / "t.trace")
    via_traces = traces.replay_trace(trace, target="dram", dram="ddr4-2400")
    direct = tnpu.replay_dram(trace, dram="ddr4-2400")
    assert via_traces.tck_ps == 833
    assert via_traces.cycles == direct.cycles
    assert via_traces.requests == direct.requests == 100


def test_standard_specific_rules():
    lp = load_dram_config("lpddr4-3200")
    rules = _core.dram_timing_rules(lp.to_spec())
    rd_pre = next(r for r in rules if r[0] == "bank" and r[1] == "RD" and r[2] == "PRE")
    # JESD209-4: READ to PRECHARGE = BL/2 + max(8, tRTP) - 8.
    assert rd_pre[3] == lp.burst_length // 2 + max(8, lp.tRTP) - 8
    ddr3 = load_dram_config("ddr3-1600")
    rules = _core.dram_timing_rules(ddr3.to_spec())
    rank_rr = next(r for r in rules if r[0] == "rank" and r[1] == "RD" and r[2] == "RD" and not r[5])
    group_rr = next(r for r in rules if r[0] == "bankgroup" and r[1] == "RD" and r[2] == "RD")
    assert ddr3.bankgroups == 1
    assert rank_rr[3] == group_rr[3] == 4  # no bank groups: one tCCD


def test_dramsim3_write_rank_switch_rule():
    spec = read_dramsim3_ini(INI).to_spec()
    ww_other = [r for r in _core.dram_timing_rules(spec) if r[1] == "WR" and r[2] == "WR" and r[5]]
    assert ww_other[0][3] == 4  # DRAMsim3 write_to_write_o = BL/2, no tRTRS
    jedec = [
        r for r in _core.dram_timing_rules(DramConfig().to_spec()) if r[1] == "WR" and r[2] == "WR" and r[5]
    ]
    assert jedec[0][3] == 4 + DramConfig().tRTRS


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("read_queue_size", 10**6, "read_queue_size: at most"),
        ("tRCD", 10**7, "tRCD: at most"),
        ("ranks", 100, "ranks: at most"),
        ("tRCD", -1, r"tRCD: expected a whole number in 0\.\.4294967295, got -1"),
        ("tRCD", 2**40, r"tRCD: expected a whole number in 0\.\.4294967295, got 1099511627776"),
        ("rows", 1000, "rows: must be a power of two"),
        ("bus_width", 60, "bus_width"),
    ],
)
def test_out_of_range_fields_are_named(field, value, message):
    with pytest.raises(ConfigError, match=message):
        DramConfig().replace(**{field: value}).validate()


def test_dramconfig_lists_exactly_the_cpp_dramspec_fields_with_its_defaults() -> None:
    """DramConfig's fields are DramSpec's (no more, no fewer), with DramSpec's defaults and matching types.

    The defaults come from the C++ struct (one source); this fails when a field is added on one side only.
    """
    spec = _core.DramSpec()
    bound = {
        name
        for name, attr in vars(_core.DramSpec).items()
        if isinstance(attr, property) and attr.fset is not None
    }
    assert set(DramConfig.model_fields()) == bound
    cfg = DramConfig()
    for name in DramConfig.model_fields():
        ours, theirs = getattr(cfg, name), getattr(spec, name)
        assert ours == theirs, name
        assert type(ours) is type(theirs), name
