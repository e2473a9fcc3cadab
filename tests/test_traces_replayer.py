"""TraceReplayer against FixedLatencyMemory: exact issue times from the acceptance rules in traces/README.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tnpu import _core, traces
from tnpu.errors import ConfigError, TraceFormatError
from tnpu.sim import Simulator


def _trace(tmp_path: Path, lines: list[str], name: str = "t.trace") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


class _Probe:
    """A replay with a Python hook that records the memory occupancy, to check acceptance times."""

    def __init__(self, path: Path, *, tck_ps: int, latency_ps: int, queue_depth: int, **kw: object) -> None:
        self.sim = Simulator()
        self.mem = _core.FixedLatencyMemory(self.sim, "mem", latency_ps=latency_ps, queue_depth=queue_depth)
        self.rep = _core.TraceReplayer(self.sim, "replay", self.mem, str(path), tck_ps=tck_ps, **kw)

    def run(self) -> dict[str, float]:
        self.sim.run()
        assert self.rep.done
        return self.sim.stats()


def test_unstamped_requests_go_one_per_cycle_when_the_target_keeps_up(tmp_path: Path) -> None:
    # 10 reads, tCK 1 ns, 5 ns latency, 16 slots: accepted at 0, 1, ..., 9 ns; last completes at 9 + 5 = 14 ns.
    p = _trace(tmp_path, [f"LD 0x{i * 64:x}" for i in range(10)])
    probe = _Probe(p, tck_ps=1000, latency_ps=5000, queue_depth=16)
    stats = probe.run()
    assert probe.rep.first_issue_ps == 0
    assert probe.rep.last_complete_ps == 14_000
    assert probe.rep.cycles == 14
    assert probe.rep.requests == probe.rep.reads == 10
    assert probe.rep.rejections == 0
    assert probe.rep.avg_read_latency_cycles == pytest.approx(5.0)
    assert stats["tnpu.replay.bytes"] == 640
    assert stats["tnpu.mem.requests"] == 10
    # bandwidth = 640 B / 14 ns
    assert probe.rep.bandwidth_gbps == pytest.approx(640 / 14)


def test_back_pressure_blocks_the_head_and_retries_at_the_freeing_completion(tmp_path: Path) -> None:
    # 2 slots, 10-cycle latency: pairs accepted at (0, 1), (10, 11), (20, 21) cycles; request 2 is rejected at
    # cycle 2 and accepted at 10 (retry() at the completion of request 0), request 4 rejected at 12, accepted at 20.
    p = _trace(tmp_path, [f"0x{i * 64:x} R" for i in range(6)])
    probe = _Probe(p, tck_ps=1000, latency_ps=10_000, queue_depth=2)
    probe.run()
    assert probe.rep.last_complete_ps == 31_000
    assert probe.rep.cycles == 31
    assert probe.rep.rejections == 2
    assert probe.rep.avg_read_latency_cycles == pytest.approx(10.0)  # latency counts from acceptance


def test_stamped_requests_wait_for_their_stamp_and_keep_one_per_cycle(tmp_path: Path) -> None:
    # Stamps 0, 5, 5, 3 (decreasing: late), 20 with tCK 1 ns: offered at 0, 5, 6, 7, 20 ns. Latency 2 ns.
    p = _trace(tmp_path, ["0x0 READ 0", "0x40 WRITE 5", "0x80 READ 5", "0xc0 READ 3", "0x100 READ 20"])
    seen: list[tuple[int, int]] = []
    probe = _Probe(p, tck_ps=1000, latency_ps=2000, queue_depth=16)
    for t in range(0, 25_000, 1000):
        probe.sim.call_at(t, lambda t=t: seen.append((t, probe.rep.requests)))
    probe.run()
    accepted_at = [t for (t, n), (_, prev) in zip(seen[1:], seen[:-1], strict=True) if n > prev]
    assert [0, *accepted_at] == [0, 5000, 6000, 7000, 20_000]
    assert probe.rep.last_complete_ps == 22_000
    assert probe.rep.cycles == 22
    assert probe.rep.reads == 4
    assert probe.rep.writes == 1


def test_cycles_count_from_the_first_issue_not_from_zero(tmp_path: Path) -> None:
    p = _trace(tmp_path, ["0x0 READ 100", "0x40 READ 100"])
    probe = _Probe(p, tck_ps=500, latency_ps=1000, queue_depth=4)
    probe.run()
    assert probe.rep.first_issue_ps == 50_000
    assert probe.rep.last_complete_ps == 50_000 + 500 + 1000
    assert probe.rep.cycles == 3


def test_offers_land_on_clock_edges_when_completions_do_not(tmp_path: Path) -> None:
    # tCK 833 ps, latency 1000 ps, 1 slot: request 1 is offered at 833 (rejected), retry at 1000, next edge 1666.
    p = _trace(tmp_path, ["LD 0x0", "LD 0x40"])
    probe = _Probe(p, tck_ps=833, latency_ps=1000, queue_depth=1)
    probe.run()
    assert probe.rep.rejections == 1
    assert probe.rep.last_complete_ps == 1666 + 1000
    assert probe.rep.cycles == 4  # ceil(2666 / 833)
    assert probe.rep.avg_read_latency_cycles == pytest.approx(1000 / 833)


def test_python_replay_trace_returns_the_same_numbers(tmp_path: Path) -> None:
    p = _trace(tmp_path, [f"0x{i * 64:x} R" for i in range(6)])
    r = traces.replay_trace(p, tck_ps=1000, latency_ps=10_000, queue_depth=2)
    assert (r.requests, r.reads, r.writes, r.cycles, r.rejections) == (6, 6, 0, 31, 2)
    assert r.format == "ramulator1"
    assert r.tck_ps == 1000
    assert r.p50_read_latency_cycles == pytest.approx(10.0, abs=1.0)
    assert r.max_read_latency_cycles == pytest.approx(10.0)
    assert r.stats["tnpu.replay.requests"] == 6
    assert "stats" not in r.to_dict()


def test_address_beyond_capacity_is_an_error_naming_the_line(tmp_path: Path) -> None:
    p = _trace(tmp_path, ["LD 0x0", "LD 0xfc0", "LD 0xfc1"])
    with pytest.raises(
        TraceFormatError, match=r"t\.trace:3: expected an address \+ 64 B within the capacity of 4096"
    ):
        traces.replay_trace(p, tck_ps=1000, capacity_bytes=4096)


def test_address_beyond_capacity_wraps_when_asked(tmp_path: Path) -> None:
    p = _trace(tmp_path, ["LD 0x1040", "LD 0x40"])
    r = traces.replay_trace(p, tck_ps=1000, capacity_bytes=4096, wrap=True)
    assert r.requests == 2


def test_an_error_on_a_later_line_stops_the_run_with_its_line(tmp_path: Path) -> None:
    p = _trace(tmp_path, ["LD 0x0"] * 100 + ["LD 0xZZ"])
    with pytest.raises(TraceFormatError, match=r"t\.trace:101: expected"):
        traces.replay_trace(p, tck_ps=1000)


def test_a_stamp_whose_time_overflows_is_an_error(tmp_path: Path) -> None:
    p = _trace(tmp_path, ["0x0 READ 18446744073709551615"])
    with pytest.raises(TraceFormatError, match="fits in 64-bit picoseconds"):
        traces.replay_trace(p, tck_ps=1000)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"tck_ps": 0}, "tck_ps"),
        ({"size_bytes": 0}, "size_bytes"),
        ({"capacity_bytes": 32}, "capacity_bytes"),
        ({"wrap": True}, "wrap"),
    ],
)
def test_bad_replayer_config_names_the_field(tmp_path: Path, kw: dict[str, int], field: str) -> None:
    p = _trace(tmp_path, ["LD 0x0"])
    args: dict[str, Any] = {"tck_ps": 1000, **kw}
    with pytest.raises(ConfigError, match=f"TraceReplayerConfig.{field}"):
        traces.replay_trace(p, **args)


def test_unknown_target_lists_the_known_ones(tmp_path: Path) -> None:
    p = _trace(tmp_path, ["LD 0x0"])
    with pytest.raises(ConfigError, match="unknown target 'hbm'; expected one of: dram, fixed_latency"):
        traces.replay_trace(p, target="hbm")


def test_replay_of_a_generated_trace_matches_the_formula(tmp_path: Path) -> None:
    # A start-interval-limited memory: one request per 4 cycles, so N requests drain in (N - 1) * 4 + latency.
    n = 20_000
    p = tmp_path / "seq.trace.gz"
    traces.generate_dram_trace_file(p, "sequential", n, "ramulator2")
    r = traces.replay_trace(p, tck_ps=1000, latency_ps=50_000, queue_depth=64, issue_interval_ps=4000)
    assert r.requests == n
    assert r.last_complete_ps == (n - 1) * 4000 + 50_000
    assert r.bandwidth_gbps == pytest.approx(n * 64 / ((n - 1) * 4000 + 50_000) * 1000)


def test_replays_in_threads_equal_the_serial_replay(tmp_path: Path) -> None:
    # The replay releases the GIL; concurrent replays share nothing and give the serial result exactly.
    from concurrent.futures import ThreadPoolExecutor

    p = tmp_path / "mix.trace"
    traces.generate_dram_trace_file(
        p, "mixed", 20_000, "dramsim3", config=traces.PatternConfig(interval_cycles=1)
    )

    def run(_: int) -> tuple[int, int, float]:
        r = traces.replay_trace(p, tck_ps=833, latency_ps=40_000, queue_depth=8, issue_interval_ps=1666)
        return (r.cycles, r.rejections, r.avg_read_latency_cycles)

    serial = run(0)
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(pool.map(run, range(3))) == [serial] * 3


def test_tck_must_be_given_for_a_target_without_a_clock(tmp_path: Path) -> None:
    p = _trace(tmp_path, ["LD 0x0"])
    with pytest.raises(
        ConfigError, match=r"replay_trace\.tck_ps: target 'fixed_latency' has no clock of its own"
    ):
        traces.replay_trace(p)


# ---- inline offers (Kernel::continue_at) give the same replay as one kernel event per offer


def _replay_fingerprint(
    traces_and_targets: list[Path], make_target: Any, *, inline: bool, tck_ps: int
) -> tuple[dict[str, str], list[int], int, int]:
    sim = Simulator()
    sim.inline_enabled = inline
    tgt = make_target(sim)
    for i, path in enumerate(traces_and_targets):  # several replayers compete for the same target
        _core.TraceReplayer(sim, f"replay{i}", tgt, str(path), tck_ps=tck_ps, source=i)
    sim.run()
    fp = {k: repr(v) for k, v in sim.stats().items()}
    fp["end_ps"] = repr(sim.now)
    _edges, counts, under, over = sim.histogram("tnpu.replay0.read_latency")
    bins = [int(b) for b in counts] + [int(under), int(over)]
    return fp, bins, sim.inline_advances, sim.events_executed


def _mixed_traces(tmp_path: Path, count: int) -> list[Path]:
    out = []
    for i, (pattern, interval) in enumerate([("mixed", 0), ("random", 2), ("sequential", 1)]):
        p = tmp_path / f"t{i}.trace"
        cfg = traces.PatternConfig(interval_cycles=interval, write_fraction=0.3) if interval else None
        fmt = "dramsim3" if interval else "ramulator2"
        traces.generate_dram_trace_file(p, pattern, count, fmt, seed=i + 1, config=cfg)
        out.append(p)
    return out


@pytest.mark.parametrize(
    ("latency_ps", "queue_depth", "issue_interval_ps", "replayers"),
    [(50_000, 64, 0, 1), (10_000, 4, 0, 1), (7_000, 1, 0, 1), (40_000, 8, 1666, 1), (20_000, 6, 500, 3)],
)
def test_inline_offers_give_the_same_replay_into_a_fixed_latency_memory(
    tmp_path: Path, latency_ps: int, queue_depth: int, issue_interval_ps: int, replayers: int
) -> None:
    paths = _mixed_traces(tmp_path, 3000)[:replayers]

    def make(sim: Simulator) -> Any:
        return _core.FixedLatencyMemory(
            sim, "mem", latency_ps=latency_ps, queue_depth=queue_depth, issue_interval_ps=issue_interval_ps
        )

    on = _replay_fingerprint(paths, make, inline=True, tck_ps=833)
    off = _replay_fingerprint(paths, make, inline=False, tck_ps=833)
    assert on[0] == off[0]
    assert on[1] == off[1]
    assert off[2] == 0
    assert on[2] > 0
    assert on[3] + on[2] == off[3]  # each inline offer replaced exactly one kernel event


@pytest.mark.parametrize(("preset", "overrides"), [("ddr4-2400", {}), ("ddr4-2400", {"bank_queue_size": 0})])
def test_inline_offers_give_the_same_replay_into_the_dram_controller(
    tmp_path: Path, preset: str, overrides: dict[str, Any]
) -> None:
    from tnpu.dram import load_dram_config

    cfg = load_dram_config(preset)
    spec = (cfg.replace(**overrides) if overrides else cfg).to_spec()
    paths = _mixed_traces(tmp_path, 3000)

    def make(sim: Simulator) -> Any:
        return _core.DramController(sim, "dram", spec)

    for group in (paths[:1], paths):
        on = _replay_fingerprint(group, make, inline=True, tck_ps=int(spec.tck_ps))
        off = _replay_fingerprint(group, make, inline=False, tck_ps=int(spec.tck_ps))
        assert on[:2] == off[:2]
        assert on[2] > 0


# ---- offers the controller refuses for certain (Target::refuse_ahead) are counted, not made


def _refuse_ahead_fingerprint(
    paths: list[Path], spec: Any, *, refuse_ahead: bool, tck_ps: int
) -> tuple[dict[str, str], list[int], int]:
    _core._testing.set_dram_modes(refuse_ahead=refuse_ahead)
    try:
        sim = Simulator()
        ctrl = _core.DramController(sim, "dram", spec)
    finally:
        _core._testing.set_dram_modes(refuse_ahead=True)
    for i, path in enumerate(paths):  # several replayers compete for the same controller
        _core.TraceReplayer(
            sim, f"replay{i}", ctrl, str(path), tck_ps=tck_ps, size_bytes=int(spec.line_bytes), source=i
        )
    sim.run()
    fp = {k: repr(v) for k, v in sim.stats().items()}
    fp["end_ps"] = repr(sim.now)
    _edges, counts, under, over = sim.histogram("tnpu.replay0.read_latency")
    return fp, [int(b) for b in counts] + [int(under), int(over)], sim.events_executed


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [
        ("ddr4-2400", {}),
        ("ddr4-2400", {"bank_queue_size": 0}),
        ("ddr4-2400", {"bank_queue_size": 0, "promote_activated": True, "page_policy": "closed"}),
        ("ddr4-2400", {"write_drain": "dramsim3", "read_queue_size": 8, "write_queue_size": 8}),
        ("hbm2", {}),
        ("lpddr4-3200", {}),
    ],
)
@pytest.mark.parametrize("tck_scale", [1, 2])
def test_offers_refused_ahead_give_the_same_replay_into_the_dram_controller(
    tmp_path: Path, preset: str, overrides: dict[str, Any], tck_scale: int
) -> None:
    # The controller tells the replayer, right after accepting a request, that its next offer (one cycle later) will
    # be refused for certain (its queue is full and no step can free an entry before then); the replayer counts
    # that rejection and waits for retry() instead of offering. Every statistic, the latency histogram and the end
    # time must equal the replay in which each of those offers is made. tck_scale 2: the replayer's clock is about
    # twice as fast as the memory's (two offers can fall within one memory cycle, on edges that are not the memory's).
    from tnpu.dram import load_dram_config

    cfg = load_dram_config(preset)
    spec = (cfg.replace(**overrides) if overrides else cfg).to_spec()
    tck = int(spec.tck_ps)
    paths = _mixed_traces(tmp_path, 3000)
    seq = tmp_path / "seq.trace"
    traces.generate_dram_trace_file(seq, "sequential", 3000, "ramulator2", seed=5)
    writes = tmp_path / "writes.trace"
    traces.generate_dram_trace_file(
        writes, "mixed", 3000, "ramulator2", seed=6, config=traces.PatternConfig(write_fraction=0.8)
    )
    used = False
    for group in ([seq], [writes], paths[:1], paths[1:2], paths):
        on = _refuse_ahead_fingerprint(group, spec, refuse_ahead=True, tck_ps=tck // tck_scale)
        off = _refuse_ahead_fingerprint(group, spec, refuse_ahead=False, tck_ps=tck // tck_scale)
        assert on[:2] == off[:2], f"{[p.name for p in group]}: refused-ahead offers changed the replay"
        used = used or on[2] < off[2]
    # The shortcut took effect (fewer kernel events), else this proves nothing (HBM2's eight channels do not fill
    # their queues with one replayer offering one request per cycle).
    assert used or int(spec.channels) > 1
