"""Multi-line requests (bursts) to the DRAM controller: the contract, and identity with line-by-line requests.

A burst of k lines must behave exactly as its k lines sent as k separate requests at the same time: every
statistic of the controller and the end time are compared as exact text. The DMA engine's burst path
(``max_burst_bytes``) must give the same simulation as its request-by-request path, on a layer pass and on raw
transfers over the controller policies of the identity golden (tests/test_dram_identity.py).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import numpy as np
import pytest

import tnpu
from tnpu import _core
from tnpu.config import ArchConfig, DmaConfig
from tnpu.dram import load_dram_config
from tnpu.sim import Simulator

# (preset, overrides): the controller policies of the identity golden.
POLICIES: list[tuple[str, dict[str, Any]]] = [
    ("ddr4-2400", {}),
    ("ddr4-2400", {"bank_queue_size": 0}),
    ("ddr4-2400", {"bank_queue_size": 0, "promote_activated": True}),
    ("ddr4-2400", {"bank_queue_size": 0, "refresh_policy": "all_ranks"}),
    ("ddr4-2400", {"page_policy": "closed"}),
    ("ddr4-2400", {"write_drain": "dramsim3"}),
    ("ddr4-2400", {"row_hit_cap": 0, "refresh_policy": "none", "forward_writes": False}),
    ("ddr4-2133", {}),
    ("ddr3-1600", {}),
    ("lpddr4-3200", {"address_mapping": "dramsim3"}),
    ("hbm2", {"address_mapping": "dramsim3"}),
]


def _spec(preset: str, overrides: dict[str, Any]) -> Any:
    cfg = load_dram_config(preset)
    return (cfg.replace(**overrides) if overrides else cfg).to_spec()


def _fingerprint(sim: Simulator, ctrl: Any) -> dict[str, str]:
    out = {k: repr(v) for k, v in sim.stats().items() if k.startswith("tnpu.dram.")}
    out["end_ps"] = repr(sim.now)
    out["energy_pj"] = repr(float(ctrl.energy_pj))
    out["outstanding"] = repr(int(ctrl.outstanding))
    return out


def _diff(a: dict[str, str], b: dict[str, str]) -> dict[str, tuple[str | None, str | None]]:
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


# ---- the address map's "lines left in this row"


@pytest.mark.parametrize(
    "mapping", ["dramsim3", "ramulator", "bankgroup_interleaved", "channel_interleaved", "rochrababgco"]
)
@pytest.mark.parametrize("preset", ["ddr4-2400", "hbm2"])
def test_lines_in_row_matches_the_decoder(preset: str, mapping: str) -> None:
    spec = _spec(preset, {"address_mapping": mapping})
    sim = Simulator()
    ctrl = _core.DramController(sim, "dram", spec)
    line = int(spec.line_bytes)
    rng = random.Random(3)
    for _ in range(40):
        addr = rng.randrange(0, int(spec.capacity_bytes) // line - 300) * line
        n = ctrl.lines_in_row(addr)
        assert n >= 1
        span = np.arange(addr, addr + (n + 1) * line, line, dtype=np.uint64)
        dec = _core.dram_decode(spec, span)
        same = (dec[:, :5] == dec[0, :5]).all(axis=1)  # channel, rank, bank group, bank, row
        assert same[:n].all(), f"{mapping}: the {n} lines from {addr:#x} leave their row"
        columns_per_row = int(spec.columns) // int(spec.burst_length)
        if n < columns_per_row - int(dec[0, 5]):
            assert n == 1  # only a mapping whose lowest field is not the column stops early
        else:
            assert not same[n], f"{mapping}: line {n} from {addr:#x} is still in the row"
        assert (
            ctrl.max_request_bytes(addr)
            == min(n, int(spec.read_queue_size), int(spec.write_queue_size)) * line
        )


# ---- the contract: errors


@pytest.mark.parametrize(
    ("start", "size", "what"),
    [
        (0, 100, "whole number of lines"),
        (32, 128, "start on a 64 B line"),
        (127 * 64, 128, "one row"),
        (0, 64 * 33, "queue"),
    ],
)
def test_bad_bursts_raise_a_clear_error(start: int, size: int, what: str) -> None:
    sim = Simulator()
    ctrl = _core.DramController(sim, "dram", _spec("ddr4-2400", {}))
    _core.TrafficGenerator(sim, "gen", ctrl, count=1, start_address=start, size_bytes=size)
    with pytest.raises(tnpu.ConfigError, match="multi-line request") as exc:
        sim.run()
    assert what in str(exc.value)
    assert f"{size} B at {start:#x}" in str(exc.value)


# ---- the contract: a burst is its lines sent at the same time


def _burst_vs_lines(spec: Any, bursts: list[tuple[str, int, int, int]]) -> tuple[dict, dict, int, int]:
    """Each burst (command, address, lines, start_ps) once as one request, once as its lines at that time."""
    runs = []
    for as_burst in (True, False):
        sim = Simulator()
        ctrl = _core.DramController(sim, "dram", spec)
        line = int(spec.line_bytes)
        for i, (cmd, addr, lines, start) in enumerate(bursts):
            if as_burst:
                _core.TrafficGenerator(
                    sim,
                    f"g{i}",
                    ctrl,
                    count=1,
                    start_address=addr,
                    size_bytes=lines * line,
                    write_every=1 if cmd == "write" else 0,
                    start_ps=start,
                )
            else:
                _core.TrafficGenerator(
                    sim,
                    f"g{i}",
                    ctrl,
                    count=lines,
                    start_address=addr,
                    stride_bytes=line,
                    size_bytes=line,
                    write_every=1 if cmd == "write" else 0,
                    start_ps=start,
                )
        sim.run()
        runs.append((_fingerprint(sim, ctrl), sim.events_executed))
    return runs[0][0], runs[1][0], runs[0][1], runs[1][1]


@pytest.mark.parametrize(("preset", "overrides"), POLICIES, ids=str)
def test_burst_is_identical_to_its_lines_at_the_same_time(preset: str, overrides: dict[str, Any]) -> None:
    spec = _spec(preset, overrides)
    line = int(spec.line_bytes)
    row = 8 * 1024 * 1024  # far apart: different rows
    bursts = [
        ("write", 0, 8, 0),
        ("read", 0, 8, 0),  # the same lines: forwarded from the write queue where the policy forwards
        ("read", row + 4 * line, 16, 5_000),
        ("read", 2 * row, 12, 5_000),
        ("write", 3 * row + 64 * line, 6, 90_000),
        ("read", 3 * row, 4, 90_000),  # while the 5 ns reads are still queued
    ]
    with_bursts, with_lines, ev_burst, ev_lines = _burst_vs_lines(spec, bursts)
    # The contract's domain: every burst accepted when sent (send() takes all lines or none).
    assert with_bursts["tnpu.dram.rejections"] == "0"
    assert not _diff(with_bursts, with_lines)
    assert int(with_bursts["tnpu.dram.requests"]) == sum(b[2] for b in bursts)
    assert ev_burst < ev_lines  # one send and one completion per burst, not per line


# ---- the DMA engine: bursts on and off give the same simulation


def _dma_run(
    spec: Any, max_burst: int, seed: int, max_outstanding: int
) -> tuple[dict[str, str], int, int, int]:
    sim = Simulator()
    ctrl = _core.DramController(sim, "dram", spec)
    line = int(spec.line_bytes)
    dma = _core.DmaEngine(
        sim, "dma", ctrl, request_bytes=line, max_outstanding=max_outstanding, max_burst_bytes=max_burst
    )
    rng = random.Random(seed)
    for _ in range(30):
        cmd = rng.choice(["read", "read", "write"])
        addr = rng.randrange(0, 1 << 22) * line
        dma.transfer(
            cmd, addr, rng.randrange(1, 300) * line + rng.choice([0, 0, 8])
        )  # some partial last lines
    sim.run()
    return _fingerprint(sim, ctrl), dma.requests, dma.sends, sim.events_executed


@pytest.mark.parametrize(("preset", "overrides"), POLICIES, ids=str)
@pytest.mark.parametrize("max_outstanding", [16, 64, 256])
def test_dma_bursts_identical_to_requests(
    preset: str, overrides: dict[str, Any], max_outstanding: int
) -> None:
    spec = _spec(preset, overrides)
    off = _dma_run(spec, int(spec.line_bytes), 11, max_outstanding)
    on = _dma_run(spec, 4096, 11, max_outstanding)
    assert not _diff(off[0], on[0])
    assert on[1] == off[1]  # requests (lines)
    assert on[2] < off[2]  # fewer sends: bursts were used


def test_sequential_burst_needs_few_kernel_events() -> None:
    # One 32-line read burst (one send, one completion) against the same 32 lines as separate requests: the burst
    # costs a handful of kernel events (the controller's wake-ups run inline while nothing else is pending, the
    # other lines complete without an event), the lines one completion event each.
    spec = _spec("ddr4-2133", {})
    runs = {}
    for as_burst in (True, False):
        sim = Simulator()
        ctrl = _core.DramController(sim, "dram", spec)
        if as_burst:
            _core.TrafficGenerator(sim, "gen", ctrl, count=1, start_address=1 << 20, size_bytes=32 * 64)
        else:
            _core.TrafficGenerator(sim, "gen", ctrl, count=32, start_address=1 << 20, size_bytes=64)
        sim.run()
        runs[as_burst] = (sim.events_executed, _fingerprint(sim, ctrl))
    assert not _diff(runs[True][1], runs[False][1])
    assert runs[True][0] <= 4, runs[True][0]
    assert runs[False][0] >= 32


CONV_28 = {"kind": "conv", "n": 1, "c": 32, "k": 64, "h": 28, "w": 28, "r": 3, "s": 3, "pad_h": 1, "pad_w": 1}


@pytest.mark.parametrize(
    ("layer", "phase"),
    [
        (
            CONV_28,
            "FP",
        ),
        (
            CONV_28,
            "GD",
        ),
        ({"kind": "linear", "n": 1, "c": 2048, "k": 512}, "FP"),
        ({"kind": "linear", "n": 1, "c": 2048, "k": 512}, "BP"),
    ],
)
def test_layer_pass_identical_with_and_without_bursts(layer: dict[str, Any], phase: str) -> None:
    results = []
    for max_burst in (64, 4096):
        arch = dataclasses.replace(ArchConfig(), dma=DmaConfig(max_burst_bytes=max_burst))
        results.append(tnpu.simulate_layer(layer, phase, arch=arch, memory="dram"))
    off, on = results
    for field in (
        "total_ps",
        "total_cycles",
        "stall_cycles",
        "dram_requests",
        "dram_bytes_read",
        "dram_bytes_written",
    ):
        assert getattr(off, field) == getattr(on, field), field
