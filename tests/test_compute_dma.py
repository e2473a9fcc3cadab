"""DMA engine: 64-byte requests, bounded outstanding requests, back-pressure from the memory."""

from __future__ import annotations

import pytest

import tnpu
from tnpu import _core
from tnpu.errors import ConfigError


def make(max_outstanding: int, queue_depth: int = 64, latency_ps: int = 1000, interval_ps: int = 0):
    sim = tnpu.Simulator()
    mem = _core.FixedLatencyMemory(
        sim, "mem", latency_ps=latency_ps, queue_depth=queue_depth, issue_interval_ps=interval_ps
    )
    dma = _core.DmaEngine(sim, "dma", mem, max_outstanding=max_outstanding)
    return sim, mem, dma


def test_transfer_is_split_into_64_byte_requests():
    sim, _mem, dma = make(64)
    dma.transfer("read", 0, 6400)
    dma.transfer("write", 1 << 20, 65)  # rounds up to two requests
    sim.run()
    assert dma.requests == 102
    assert (dma.bytes_read, dma.bytes_written) == (6400, 128)
    stats = sim.stats()
    assert stats["tnpu.mem.reads"] == 100
    assert stats["tnpu.mem.writes"] == 2
    assert dma.idle


def test_outstanding_requests_are_bounded():
    # 4 in flight, 1000 ps each: 100 requests take 25 rounds
    sim, _mem, dma = make(4)
    dma.transfer("read", 0, 6400)
    sim.run()
    assert sim.now == 25 * 1000
    assert sim.stats()["tnpu.mem.occupancy.max"] == 3  # at most 3 others in flight when one is accepted


def test_back_pressure_from_a_small_memory_queue():
    # the memory holds 2; the DMA allows 8: the memory rejects, the DMA waits for retry() and still finishes
    sim, _mem, dma = make(8, queue_depth=2)
    dma.transfer("read", 0, 64 * 10)
    sim.run()
    assert dma.requests == 10
    assert sim.now == 5 * 1000
    assert sim.stats()["tnpu.dma.rejections"] > 0


def test_bandwidth_limit_from_issue_interval():
    sim, _mem, dma = make(64, latency_ps=100_000, interval_ps=3743)
    dma.transfer("read", 0, 64 * 1000)
    sim.run()
    assert sim.now == 999 * 3743 + 100_000


def test_bad_arguments():
    sim = tnpu.Simulator()
    mem = _core.FixedLatencyMemory(sim, "mem")
    with pytest.raises(ConfigError, match=r"dma\.max_outstanding"):
        _core.DmaEngine(sim, "dma", mem, max_outstanding=0)
    dma = _core.DmaEngine(sim, "dma2", mem)
    with pytest.raises(ConfigError, match="expected 'read' or 'write'"):
        dma.transfer("copy", 0, 64)
