"""The statistics registry and the module hierarchy, as Python sees them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tnpu
from tnpu import _core


@pytest.fixture
def ran():
    sim = tnpu.Simulator()
    mem = _core.FixedLatencyMemory(sim, "mem", latency_ps=2000, queue_depth=8)
    gen = _core.TrafficGenerator(sim, "gen", mem, count=64, parent=mem)
    sim.run()
    return sim, mem, gen


def test_hierarchical_names_parent_and_children(ran):
    sim, mem, gen = ran
    assert mem.name == "tnpu.mem"
    assert gen.name == "tnpu.mem.gen"
    assert gen.parent_name == "tnpu.mem"
    assert mem.parent_name is None
    assert mem.children == ["tnpu.mem.gen"]
    assert sim.module_names() == ["tnpu.mem", "tnpu.mem.gen"]


def test_registry_contents_units_and_descriptions(ran):
    sim, _mem, _gen = ran
    stats, units, desc = sim.stats(), sim.units(), sim.describe()
    assert stats["tnpu.mem.requests"] == 64
    assert isinstance(stats["tnpu.mem.requests"], int)
    assert units["tnpu.mem.requests"] == "count"
    assert units["tnpu.mem.bytes"] == "B"
    assert units["tnpu.mem.gen.latency.mean"] == "ps"
    assert units["tnpu.mem.gen.latency.count"] == "count"
    assert stats["tnpu.mem.gen.latency.count"] == 64
    assert stats["tnpu.mem.gen.latency_hist.p50"] == pytest.approx(2000, abs=10_000)
    assert stats["tnpu.mem.gen.latency.sum"] == pytest.approx(64 * 2000)
    assert all(desc[name] for name in desc)
    # accumulators expose count/sum/mean/min/max; histograms add quantiles and out-of-range counts
    for suffix in ("count", "sum", "mean", "min", "max"):
        assert f"tnpu.mem.gen.latency.{suffix}" in stats
    for suffix in ("count", "mean", "min", "max", "p50", "p99", "underflow", "overflow"):
        assert f"tnpu.mem.gen.latency_hist.{suffix}" in stats


def test_stats_table_is_a_structured_array(ran):
    sim, _mem, _gen = ran
    table = sim.stats_table()
    assert table.dtype.names == ("name", "unit", "value")
    assert len(table) == len(sim.stats())
    row = table[table["name"] == "tnpu.mem.requests"]
    assert row["unit"][0] == "count"
    assert row["value"][0] == 64.0
    assert np.all(np.isfinite(table["value"]))


def test_histogram_arrays(ran):
    sim, _mem, _gen = ran
    edges, counts, under, over = sim.histogram("tnpu.mem.gen.latency_hist")
    assert len(edges) == len(counts) + 1
    assert counts.sum() + under + over == 64
    with pytest.raises(KeyError, match="no histogram"):
        sim.histogram("tnpu.nope")


def test_statistics_between_steps_grow_monotonically():
    sim = tnpu.Simulator()
    mem = _core.FixedLatencyMemory(sim, "mem", latency_ps=1000, queue_depth=2)
    _core.TrafficGenerator(sim, "gen", mem, count=20)
    seen = []
    while sim.step():
        s = sim.stats()
        seen.append((sim.now, s["tnpu.gen.issued"], s["tnpu.gen.completed"]))
    assert seen[-1][1:] == (20, 20)
    for (t0, i0, c0), (t1, i1, c1) in itertools.pairwise(seen):
        assert t1 > t0
        assert i1 >= i0
        assert c1 >= c0
        assert i1 - c1 <= 2  # never more in flight than the queue holds


def test_names_are_checked():
    sim = tnpu.Simulator()
    _core.FixedLatencyMemory(sim, "mem")
    with pytest.raises(tnpu.ConfigError, match=r"'tnpu\.mem' exists already"):
        _core.FixedLatencyMemory(sim, "mem")
    with pytest.raises(tnpu.ConfigError, match="invalid name 'Bad-Name'"):
        _core.FixedLatencyMemory(sim, "Bad-Name")
    with pytest.raises(tnpu.ConfigError, match="invalid name"):
        tnpu.Simulator("Top Level")
