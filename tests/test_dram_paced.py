"""The paced feeder: a DRAM controller that pulls a trace replayer's requests (Target::pace) gives the same replay.

The controller decides each offer the replayer would make (one per cycle, no earlier than its stamp, again after a
retry) inside its own steps, without a kernel event per offer. Every statistic of the replay (the controller's and
the replayer's), both latency histograms, the wake-ups, the energy and the end time must equal the replay in which
the replayer makes every offer through the kernel (TraceReplayer(paced=False)).
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import pytest

from tnpu import _core, traces
from tnpu.dram import load_dram_config
from tnpu.errors import ConfigError
from tnpu.sim import Simulator


def _fingerprint(path: Path, spec: Any, *, paced: bool) -> tuple[dict[str, str], list[list[int]], int]:
    sim = Simulator()
    ctrl = _core.DramController(sim, "dram", spec)
    rep = _core.TraceReplayer(
        sim,
        "replay",
        ctrl,
        str(path),
        tck_ps=int(spec.tck_ps),
        size_bytes=min(64, int(spec.line_bytes)),
        paced=paced,
    )
    assert rep.paced == paced
    sim.run()
    assert rep.done
    fp = {k: repr(v) for k, v in sim.stats().items()}
    fp["end_ps"] = repr(sim.now)
    fp["wakeups"] = repr(ctrl.wakeups)
    fp["energy_pj"] = repr(ctrl.energy_pj)
    fp["background_energy_pj"] = repr(ctrl.background_energy_pj)
    hists = []
    for name in ("tnpu.replay.read_latency", "tnpu.dram.read_latency"):
        _edges, counts, under, over = sim.histogram(name)
        hists.append([int(b) for b in counts] + [int(under), int(over)])
    return fp, hists, sim.events_executed


def _gaps_trace(path: Path, count: int, seed: int) -> Path:
    # DRAMsim3 format with stamps: runs of back-to-back requests, short and long gaps (the channel idles and
    # refreshes), repeated addresses (forwarded reads), reads and writes.
    rng = random.Random(seed)
    lines = []
    t = 0
    for i in range(count):
        t += rng.choice([0, 0, 1, 1, 2, 5, 40, 300, 3000]) if i % 50 else rng.choice([0, 100_000])
        op = "WRITE" if rng.random() < 0.3 else "READ"
        addr = rng.choice([rng.randrange(0, 1 << 30) & ~63, (i * 64) % (1 << 20), 0x1000])
        lines.append(f"0x{addr:x} {op} {t}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _forwarding_trace(path: Path, count: int, seed: int) -> Path:
    # Reads and writes, half each, to 64 addresses with stamps and gaps: reads are served from a queued write
    # (forwarded on acceptance, the only completion a step does not produce), also while the channel is idle.
    rng = random.Random(seed)
    lines = []
    t = 0
    for _ in range(count):
        t += rng.choice([0, 1, 3, 50, 2000])
        op = "WRITE" if rng.random() < 0.5 else "READ"
        lines.append(f"0x{rng.randrange(0, 64) * 65536:x} {op} {t}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _traces(tmp_path: Path, count: int) -> list[Path]:
    out: list[Path] = []
    for pattern, fmt, cfg in [
        ("sequential", "ramulator2", None),
        ("random", "ramulator2", None),
        ("mixed", "ramulator2", traces.PatternConfig(write_fraction=0.8)),
        ("mixed", "dramsim3", traces.PatternConfig(interval_cycles=2, write_fraction=0.3)),
        ("sequential", "dramsim3", None),
    ]:
        p = tmp_path / f"{pattern}-{fmt}-{len(out)}.trace"
        traces.generate_dram_trace_file(p, pattern, count, fmt, seed=len(out) + 1, config=cfg)
        out.append(p)
    out.append(_gaps_trace(tmp_path / "gaps.trace", count, seed=7))
    out.append(_forwarding_trace(tmp_path / "forwarding.trace", count, seed=3))
    return out


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [
        ("ddr4-2400", {}),
        ("ddr4-2400", {"bank_queue_size": 0}),
        ("ddr4-2400", {"bank_queue_size": 0, "promote_activated": True, "page_policy": "closed"}),
        ("ddr4-2400", {"write_drain": "dramsim3", "read_queue_size": 8, "write_queue_size": 8}),
        ("ddr4-2400", {"read_queue_size": 1, "write_queue_size": 1}),
        ("ddr4-2400", {"read_queue_size": 2, "write_queue_size": 1, "bank_queue_size": 0}),
        ("hbm2", {}),
        ("hbm2", {"read_queue_size": 1, "write_queue_size": 1, "bank_queue_size": 1}),
        ("hbm2", {"read_queue_size": 2, "write_queue_size": 2, "bank_queue_size": 0}),
        ("lpddr4-3200", {}),
    ],
)
def test_paced_feeder_gives_the_same_replay_as_offers(
    tmp_path: Path, preset: str, overrides: dict[str, Any]
) -> None:
    cfg = load_dram_config(preset)
    spec = (cfg.replace(**overrides) if overrides else cfg).to_spec()
    refused = 0
    for path in _traces(tmp_path, 2500):
        on = _fingerprint(path, spec, paced=True)
        off = _fingerprint(path, spec, paced=False)
        assert on[0] == off[0], f"{path.name}: {[k for k in off[0] if on[0].get(k) != off[0][k]]} differ"
        assert on[1] == off[1], f"{path.name}: latency histograms differ"
        assert on[2] < off[2]  # it took effect: fewer kernel events
        refused += int(on[0]["tnpu.replay.rejections"] != "0")
    # Refused offers and their retries were emulated too (the small queues refuse offers on most traces).
    if overrides.get("read_queue_size", 64) <= 2:
        assert refused >= 3


def test_replay_dram_is_paced_and_the_old_path_stays_selectable(tmp_path: Path) -> None:
    from tnpu.dram import replay_dram

    path = _traces(tmp_path, 2000)[3]
    on = replay_dram(path, "ddr4-2400")
    _core._testing.set_dram_modes(paced=False)
    try:
        assert _core._testing.dram_modes()["paced"] is False
        off = replay_dram(path, "ddr4-2400")
    finally:
        _core._testing.set_dram_modes(paced=True)
    a = {k: v for k, v in dataclasses.asdict(on).items() if k not in ("wall_s", "requests_per_s")}
    b = {k: v for k, v in dataclasses.asdict(off).items() if k not in ("wall_s", "requests_per_s")}
    assert a == b


def test_paced_controller_takes_no_other_initiator_and_declines_what_it_cannot_pace(tmp_path: Path) -> None:
    spec = load_dram_config("ddr4-2400").to_spec()
    path = _traces(tmp_path, 200)[0]
    tck = int(spec.tck_ps)
    sim = Simulator()
    ctrl = _core.DramController(sim, "dram", spec)
    first = _core.TraceReplayer(sim, "a", ctrl, str(path), tck_ps=tck, paced=True)
    assert first.paced
    # A second source: declined.
    second = _core.TraceReplayer(sim, "b", ctrl, str(path), tck_ps=tck, paced=True)
    assert not second.paced
    with pytest.raises(ConfigError, match="paced source"):
        sim.run()
    # Another clock than the controller's: declined (the replayer offers as usual).
    sim = Simulator()
    ctrl = _core.DramController(sim, "dram", spec)
    assert not _core.TraceReplayer(sim, "a", ctrl, str(path), tck_ps=tck // 2, paced=True).paced
