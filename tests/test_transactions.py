"""The transaction path: a traffic generator driving a fixed-latency memory, timing and back-pressure."""

from __future__ import annotations

import pytest

import tnpu
from tnpu import _core


def make(count, *, latency_ps, queue_depth, issue_interval_ps=0, **gen):
    sim = tnpu.Simulator()
    mem = _core.FixedLatencyMemory(
        sim, "mem", latency_ps=latency_ps, queue_depth=queue_depth, issue_interval_ps=issue_interval_ps
    )
    g = _core.TrafficGenerator(sim, "gen", mem, count=count, **gen)
    sim.run()
    return sim, mem, g, sim.stats()


def test_no_backpressure_every_request_sees_the_fixed_latency():
    sim, _mem, g, s = make(50, latency_ps=700, queue_depth=1000, interval_ps=300, start_ps=1000)
    assert g.done
    assert g.first_issue_ps == 1000
    assert g.last_complete_ps == 1000 + 49 * 300 + 700
    assert s["tnpu.gen.latency.min"] == s["tnpu.gen.latency.max"] == 700
    assert s["tnpu.mem.rejections"] == 0
    assert sim.now == g.last_complete_ps


def test_issue_interval_serialises_starts():
    n, lat, ivl = 40, 500, 30
    _sim, _mem, g, s = make(n, latency_ps=lat, queue_depth=n, issue_interval_ps=ivl)
    # all accepted at t=0; request i starts at i*ivl
    assert g.last_complete_ps == (n - 1) * ivl + lat
    assert s["tnpu.gen.latency.min"] == lat
    assert s["tnpu.gen.latency.max"] == lat + (n - 1) * ivl
    assert s["tnpu.gen.latency.mean"] == pytest.approx(lat + ivl * (n - 1) / 2)


def test_full_queue_applies_backpressure():
    n, depth, lat = 100, 4, 1000
    _sim, _mem, g, s = make(n, latency_ps=lat, queue_depth=depth)
    # batches of `depth` every `lat`: the queue is the bottleneck (throughput depth/lat)
    assert g.last_complete_ps == (n // depth) * lat
    assert s["tnpu.mem.rejections"] == n // depth - 1
    assert s["tnpu.gen.rejections"] == n // depth - 1
    assert s["tnpu.gen.latency.max"] == lat
    assert s["tnpu.mem.occupancy.max"] == depth - 1
    assert s["tnpu.mem.requests"] == n


def test_throughput_is_the_smaller_of_rate_and_queue_bounds():
    for depth, lat, ivl in ((8, 10_000, 100), (64, 10_000, 1000), (16, 1600, 100)):
        n = 2000
        _sim, _mem, g, _s = make(n, latency_ps=lat, queue_depth=depth, issue_interval_ps=ivl)
        period = max(ivl, lat / depth)  # ps per request in steady state
        measured = (g.last_complete_ps - g.first_issue_ps) / n
        assert measured == pytest.approx(period, rel=0.02), (depth, lat, ivl)


def test_max_outstanding_limits_the_generator():
    _sim, _mem, g, s = make(100, latency_ps=1000, queue_depth=1000, max_outstanding=2)
    assert g.last_complete_ps == 50 * 1000
    assert s["tnpu.mem.rejections"] == 0
    assert s["tnpu.mem.occupancy.max"] == 1


def test_reads_writes_and_bytes():
    _sim, _mem, _g, s = make(30, latency_ps=10, queue_depth=64, write_every=3, size_bytes=128)
    assert s["tnpu.mem.reads"] == 20
    assert s["tnpu.mem.writes"] == 10
    assert s["tnpu.mem.bytes"] == 30 * 128


def test_bad_module_configuration_names_the_field():
    sim = tnpu.Simulator()
    with pytest.raises(tnpu.ConfigError, match=r"queue_depth: must be at least 1"):
        _core.FixedLatencyMemory(sim, "mem", queue_depth=0)
    mem = _core.FixedLatencyMemory(sim, "mem2")
    with pytest.raises(tnpu.ConfigError, match=r"size_bytes: must be at least 1"):
        _core.TrafficGenerator(sim, "gen", mem, size_bytes=0)
    with pytest.raises(tnpu.ConfigError, match="overflows"):
        _core.TrafficGenerator(sim, "gen2", mem, start_address=2**63, stride_bytes=2**62, count=4)
    with pytest.raises(TypeError):
        _core.FixedLatencyMemory(sim, "mem3", latency_ps=-1)
