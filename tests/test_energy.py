"""The energy model: cited defaults, interpolation, and accounting identities."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tnpu
from tnpu.energy import (
    MAC_PJ,
    Activity,
    BufferActivity,
    EnergyTable,
    EngineActivity,
    energy_breakdown,
    sram_access_pj,
)


def test_horowitz_points_are_reproduced():
    assert MAC_PJ["fp32"] == pytest.approx(4.6)
    assert sram_access_pj(8 * 1024) == pytest.approx(10.0)
    assert sram_access_pj(32 * 1024) == pytest.approx(20.0)
    assert sram_access_pj(1024 * 1024) == pytest.approx(100.0)
    assert sram_access_pj(32 * 1024, 32) == pytest.approx(10.0)


@given(st.integers(1024, 64 * 1024 * 1024), st.integers(1024, 64 * 1024 * 1024))
def test_sram_energy_grows_with_capacity(a, b):
    lo, hi = sorted((a, b))
    assert sram_access_pj(lo) <= sram_access_pj(hi)


def activity(dram_energy_pj=None):
    return Activity(
        time_ps=10_000_000,
        clock_hz=400e6,
        engines=(EngineActivity("pu_c", 256, 1_000_000), EngineActivity("pu_f", 16, 50_000)),
        buffers=(BufferActivity("gb", 512 * 1024, 64, 200_000, 100_000, ports=2),),
        dram_bits=8 * 1_000_000,
        dram_energy_pj=dram_energy_pj,
    )


def test_parts_add_up_and_paper_accounting_drops_dram():
    e = energy_breakdown(activity(), EnergyTable())
    parts = {k: v for k, v in e.items() if not k.startswith("total")}
    assert sum(parts.values()) == pytest.approx(e["total_pj"])
    assert e["total_paper_pj"] == pytest.approx(e["total_pj"] - e["dram"])
    assert e["mac.pu_c"] == pytest.approx(1_000_000 * 4.6)
    assert e["dram"] == pytest.approx(8e6 * 20.0)
    # static: 20 % of full-load dynamic power over 10 us: pu_c 256 MACs x 4.6 pJ x 400 MHz = 0.471 W
    assert e["static.pu_c"] == pytest.approx(0.2 * 256 * 4.6e-12 * 400e6 * 10e-6 * 1e12)


def test_dram_model_energy_replaces_bits_times_pj():
    e = energy_breakdown(activity(dram_energy_pj=123.0), EnergyTable())
    assert e["dram"] == 123.0


def test_bad_tables_name_the_field():
    with pytest.raises(tnpu.ConfigError, match=r"energy\.mac_pj: expected a finite number >= 0"):
        EnergyTable(mac_pj=-1)
    with pytest.raises(tnpu.ConfigError, match=r"energy\.sram_access_pj\.gb"):
        EnergyTable(sram_access_pj={"gb": float("nan")})
    with pytest.raises(tnpu.ConfigError, match="capacity_bytes"):
        sram_access_pj(0)
