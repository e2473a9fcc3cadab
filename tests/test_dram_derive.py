"""``tnpu.dram.dram_at_peak_bandwidth``: a real memory system of a DRAM's devices at a given peak bandwidth."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from tnpu.dram import DramConfig, dram_at_peak_bandwidth, load_dram_config, replay_dram
from tnpu.errors import ConfigError

TIMING = [f for f in DramConfig.model_fields() if f.startswith("t") and f != "tck_ps"]

# requested peak -> (channels, bus width, actual peak) from one x64 channel of DDR4-2133 (17.06 GB/s)
DDR4_2133_POINTS = {
    4.0: (1, 16, 4.264),
    8.0: (1, 32, 8.529),
    17.06: (1, 64, 17.058),
    34.1: (2, 64, 34.115),
    68.0: (4, 64, 68.230),
}


@pytest.mark.parametrize(("peak", "expected"), DDR4_2133_POINTS.items())
def test_the_sweep_points_of_ddr4_2133(peak: float, expected: tuple[int, int, float]) -> None:
    base = load_dram_config("ddr4-2133")
    cfg = dram_at_peak_bandwidth("ddr4-2133", peak)
    channels, bus, actual = expected
    assert (cfg.channels, cfg.bus_width) == (channels, bus)
    assert cfg.peak_bandwidth_gbps == pytest.approx(actual, abs=1e-3)
    assert abs(cfg.peak_bandwidth_gbps / peak - 1) <= 0.1
    # the same devices at the same speed: clock, every timing (so every nanosecond), currents, organisation per chip
    assert cfg.tck_ps == base.tck_ps
    for name in TIMING:
        assert getattr(cfg, name) * cfg.tck_ps == getattr(base, name) * base.tck_ps, name
    for name in ("device_width", "ranks", "bankgroups", "banks_per_group", "rows", "columns", "burst_length"):
        assert getattr(cfg, name) == getattr(base, name), name
    for name in ("idd0", "idd2n", "idd3n", "idd4r", "idd4w", "idd5b", "vdd"):
        assert getattr(cfg, name) == getattr(base, name), name
    if channels > 1:  # one channel's mapping put the channel above the banks: lines alternate channels now
        assert cfg.address_mapping == "rorababgcoch"
        assert "channels" in cfg.source
    elif bus < 64:
        assert f"x{bus}" in cfg.source
        assert cfg.address_mapping == base.address_mapping
    else:
        assert cfg == base
    cfg.validate()


def test_a_replay_through_the_points_sustains_more_with_each_doubling(tmp_path: Path) -> None:
    """A sequential read stream sustains more bandwidth at each point, about in proportion to its peak: with the
    channel left above the banks, two channels would sustain what one does (a stream stays in one channel)."""
    from tnpu.traces import generate_dram_trace_file

    trace = tmp_path / "seq.trace"
    generate_dram_trace_file(trace, "sequential", 16384, "ramulator1")
    got = []
    for peak in DDR4_2133_POINTS:
        cfg = dram_at_peak_bandwidth("ddr4-2133", peak)
        r = replay_dram(trace, cfg, wrap=True)
        assert r.peak_bandwidth_gbps == pytest.approx(cfg.peak_bandwidth_gbps)
        got.append(r.bandwidth_gbps)
    assert got == sorted(got)
    for lower, higher in itertools.pairwise(got):
        assert higher > 1.5 * lower
    kept = load_dram_config("ddr4-2133").replace(channels=2)  # the preset's mapping, channel above the banks
    assert replay_dram(trace, kept, wrap=True).bandwidth_gbps < 1.1 * got[2]


def test_several_channels_keep_their_mapping_and_go_down_in_channels() -> None:
    hbm2 = load_dram_config("hbm2")  # 16 x 64-bit pseudo-channels, one x64 device each: no narrower bus
    down = dram_at_peak_bandwidth(hbm2, 64.0)
    assert (down.channels, down.bus_width) == (4, 64)
    assert down.peak_bandwidth_gbps == pytest.approx(64.0)
    up = dram_at_peak_bandwidth(hbm2, 512.0)
    assert up.channels == 32
    assert up.address_mapping == hbm2.address_mapping


def test_a_ramulator_mapping_moves_its_channel_field() -> None:
    base = load_dram_config("ddr4-2133").replace(address_mapping="ChRaBaRoCo")
    assert dram_at_peak_bandwidth(base, 34.1).address_mapping == "RaBaRoCoCh"
    named = load_dram_config("ddr4-2133").replace(address_mapping="dramsim3")
    assert dram_at_peak_bandwidth(named, 34.1).address_mapping == "rorababgcoch"


@pytest.mark.parametrize("bad", [0, -4.0, math.nan, math.inf, "17", True, None])
def test_a_bad_peak_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"^peak_gbps: "):
        dram_at_peak_bandwidth("ddr4-2133", bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-0.1, 1.0, math.nan, "0.1", False])
def test_a_bad_tolerance_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"^tolerance: "):
        dram_at_peak_bandwidth("ddr4-2133", 17.06, tolerance=bad)  # type: ignore[arg-type]


def test_a_peak_between_the_doublings_is_refused_unless_the_tolerance_takes_it() -> None:
    with pytest.raises(ConfigError, match=r"^peak_gbps: 12 GB/s is not within 10% .*nearest: 8\.53 GB/s"):
        dram_at_peak_bandwidth("ddr4-2133", 12.0)
    assert dram_at_peak_bandwidth("ddr4-2133", 12.0, tolerance=0.5).bus_width == 32
    with pytest.raises(
        ConfigError, match=r"^peak_gbps: 1 GB/s .*from 2\.13 GB/s: one channel of one x8 device"
    ):
        dram_at_peak_bandwidth("ddr4-2133", 1.0)
    with pytest.raises(ConfigError, match=r"^peak_gbps: .* at most 1024 supported"):
        dram_at_peak_bandwidth("ddr4-2133", 17.06 * 2048)
    with pytest.raises(ConfigError, match="unknown DRAM preset 'ddr9'"):
        dram_at_peak_bandwidth("ddr9", 17.06)


def test_reproduce_refuses_a_sweep_peak_no_memory_system_has_before_it_runs() -> None:
    from tnpu.reproduce import reproduce

    with pytest.raises(ConfigError, match=r"^peak_gbps: 12 GB/s is not within 10% "):
        reproduce(["lenet5"], batch=1, bandwidths=(12.0,), sweep_networks=("lenet5",), workers=1)
