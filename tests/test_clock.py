"""Clock conversions at the edges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tnpu


def test_period_and_frequency():
    c = tnpu.Clock.from_frequency_mhz(400)
    assert c.period_ps == 2500
    assert c.frequency_hz == pytest.approx(400e6)
    assert tnpu.Clock.from_frequency_hz(1_000_000_000_000).period_ps == 1
    assert tnpu.Clock.from_frequency_hz(1).period_ps == 10**12


def test_conversions_are_exact():
    c = tnpu.Clock(833)
    assert c.to_ps(0) == 0
    assert c.to_ps(1) == 833
    assert c.to_cycles(832) == 0
    assert c.to_cycles(833) == 1
    assert c.to_cycles_ceil(834) == 2
    assert c.to_cycles_ceil(833) == 1
    assert c.next_edge(1) == 833
    assert c.next_edge(833) == 833
    assert c.is_edge(1666)
    assert not c.is_edge(1667)


def test_overflow_is_an_error_not_a_wrap():
    c = tnpu.Clock(1000)
    assert c.to_ps((2**64 - 1) // 1000) == (2**64 - 1) // 1000 * 1000
    with pytest.raises(OverflowError, match="do not fit"):
        c.to_ps((2**64 - 1) // 1000 + 1)


def test_bad_clocks_are_rejected_with_the_reason():
    with pytest.raises(tnpu.ConfigError, match="period_ps must be at least 1 ps"):
        tnpu.Clock(0)
    with pytest.raises(tnpu.ConfigError, match="not a whole number of picoseconds"):
        tnpu.Clock.from_frequency_hz(3_000_000_000)
    with pytest.raises(tnpu.ConfigError, match="not a whole number"):
        tnpu.Clock.from_frequency_mhz(1066.6667)
    with pytest.raises(tnpu.ConfigError, match="positive"):
        tnpu.Clock.from_frequency_mhz(-5)
    with pytest.raises(tnpu.ConfigError, match="positive"):
        tnpu.Clock.from_frequency_hz(0)
    with pytest.raises(TypeError):
        tnpu.Clock(-1)


@given(period=st.integers(1, 10**6), cycles=st.integers(0, 10**12))
def test_round_trip(period, cycles):
    c = tnpu.Clock(period)
    t = c.to_ps(cycles)
    assert c.to_cycles(t) == cycles
    assert c.to_cycles_ceil(t) == cycles
    assert c.to_cycles(t + period - 1) == cycles
    assert c.to_cycles_ceil(t + 1) == cycles + 1
