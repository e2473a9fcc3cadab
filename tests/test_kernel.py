"""The event kernel: ordering, determinism, run/step semantics, errors."""

from __future__ import annotations

import pytest

import tnpu
from tnpu import _core
from tnpu._core import _testing

P = tnpu.Priority


def test_equal_time_events_keep_priority_then_insertion_order(sim):
    rec = _testing.EventRecorder(sim, "rec")
    rec.schedule(100, P.DEFAULT, "d1")
    rec.schedule(100, P.OBSERVER, "o1")
    rec.schedule(100, P.COMPLETION, "c1")
    rec.schedule(50, P.OBSERVER, "early")
    rec.schedule(100, P.DEFAULT, "d2")
    rec.schedule(100, P.COMPLETION, "c2")
    rec.schedule(100, P.SAMPLE, "s1")
    rec.schedule(100, P.RETRY, "r1")
    sim.run()
    assert [label for _, label in rec.log] == ["early", "c1", "c2", "r1", "d1", "d2", "s1", "o1"]
    assert [t for t, _ in rec.log] == [50] + [100] * 7


def _scrambled_program(sim):
    rec = _testing.EventRecorder(sim, "rec")
    # a deterministic pseudo-random schedule with many ties
    x = 12345
    for i in range(2000):
        x = (x * 1103515245 + 12345) % 2**31
        rec.schedule(x % 97, list(P.__members__.values())[x % 5], f"e{i}")
    sim.run()
    return rec.log


def test_same_program_gives_same_event_order():
    a = _scrambled_program(tnpu.Simulator())
    b = _scrambled_program(tnpu.Simulator())
    assert a == b
    times = [t for t, _ in a]
    assert times == sorted(times)


def test_priority_reasons_cover_every_priority():
    reasons = _core.priority_reasons()
    assert list(reasons) == ["completion", "retry", "default", "memory", "sample", "observer"]
    assert all(len(r) > 20 for r in reasons.values())


def test_run_until_stops_exactly_at_the_given_time(sim):
    rec = _testing.EventRecorder(sim, "rec")
    for t in (10, 20, 30, 40):
        rec.schedule(t, P.DEFAULT, str(t))
    sim.run(until=25)
    assert sim.now == 25
    assert [label for _, label in rec.log] == ["10", "20"]
    sim.run(until=30)  # inclusive: the event at exactly 30 runs
    assert sim.now == 30
    assert [label for _, label in rec.log] == ["10", "20", "30"]
    sim.run(until=1000)  # past the last event, now still lands on until
    assert sim.now == 1000
    assert len(rec.log) == 4
    with pytest.raises(ValueError, match="before the current time"):
        sim.run(until=999)


def test_step_executes_exactly_one_time_point(sim):
    rec = _testing.EventRecorder(sim, "rec")
    rec.schedule(5, P.OBSERVER, "a")
    rec.schedule(5, P.COMPLETION, "b")
    rec.schedule(7, P.DEFAULT, "c")
    assert sim.next_event_time == 5
    assert sim.step() is True
    assert sim.now == 5
    assert [label for _, label in rec.log] == ["b", "a"]
    assert sim.step() is True
    assert sim.now == 7
    assert sim.step() is False
    assert sim.now == 7
    assert sim.next_event_time is None


def test_scheduling_in_the_past_is_an_error(sim):
    rec = _testing.EventRecorder(sim, "rec")
    sim.run(until=100)
    with pytest.raises(ValueError, match=r"at 99 ps, before the current time 100 ps"):
        rec.schedule(99, P.DEFAULT, "late")
    with pytest.raises(ValueError, match="before the current time"):
        sim.call_at(50, lambda: None)


def test_run_returns_event_count_and_counts_accumulate(sim):
    _testing.add_tickers(sim, 10, 1000, 100)
    assert sim.pending_events == 10
    n1 = sim.run(until=2000)
    n2 = sim.run()
    assert n1 + n2 == 1000 == sim.events_executed
    ticks = sum(v for k, v in sim.stats().items() if k.endswith(".ticks"))
    assert ticks == 1000


def test_call_at_hook_sees_consistent_time_and_statistics():
    sim = tnpu.Simulator()
    mem = _core.FixedLatencyMemory(sim, "mem", latency_ps=1000, queue_depth=4)
    _core.TrafficGenerator(sim, "gen", mem, count=100, interval_ps=100)
    seen = []

    def hook(t):
        def fn():
            s = sim.stats()
            seen.append((sim.now, t, s["tnpu.gen.issued"], s["tnpu.gen.completed"]))

        return fn

    for t in (0, 1000, 1050, 5000, 30000):
        sim.call_at(t, hook(t))
    sim.run()
    assert [(now, t) for now, t, _, _ in seen] == [(t, t) for t in (0, 1000, 1050, 5000, 30000)]
    # Queue depth 4, latency 1000, 100 ps interval: requests 0-3 issue at 0, 100, 200, 300; request 4 is rejected
    # at 400 and issued at 1000 when request 0 completes. Hooks run after all model activity at their time, so at
    # t=1000 they see both that completion and that issue.
    by_t = {t: (issued, completed) for _, t, issued, completed in seen}
    assert by_t[0] == (1, 0)
    assert by_t[1000] == (5, 1)
    assert by_t[1050] == (5, 1)
    assert by_t[30000] == (100, 100)


def test_hook_can_schedule_more_hooks_and_errors_propagate(sim):
    calls = []

    def first():
        calls.append(sim.now)
        sim.call_at(sim.now + 10, second)

    def second():
        calls.append(sim.now)
        raise RuntimeError("boom from hook")

    sim.call_at(5, first)
    sim.call_at(100, lambda: calls.append(sim.now))
    with pytest.raises(RuntimeError, match="boom from hook"):
        sim.run()
    assert calls == [5, 15]
    assert sim.now == 15
    sim.run()  # the simulation can go on after the error
    assert calls == [5, 15, 100]


def test_hook_cannot_rerun_the_kernel(sim):
    def nested():
        sim.run()

    sim.call_at(1, nested)
    with pytest.raises(RuntimeError, match="while the kernel is running"):
        sim.run()


def test_run_releases_the_gil():
    import threading

    sims = [tnpu.Simulator() for _ in range(2)]
    for s in sims:
        _testing.add_tickers(s, 100, 400_000, 10)
    progress = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            progress.append(1)
            stop.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        sims[0].run()
    finally:
        stop.set()
        t.join()
    # With the GIL held for the whole run the side thread could not have appended anything meanwhile.
    assert len(progress) > 3
    assert sims[0].events_executed == 400_000


# ---- inline continuation (Kernel::continue_at) and reserved places in the order (Kernel::reserve)


def _chain_program(sim: tnpu.Simulator, mode: str, seed: int, hook_error_at: int | None = None):
    """Chains of events with many ties (zero delays, equal times, every priority), plus observer hooks."""
    import random

    rng = random.Random(seed)
    probe = _testing.ChainProbe(sim, "chains", mode)
    prios = list(P.__members__.values())
    for c in range(40):
        elems = [
            (rng.choice([0, 0, 100, 100, 200, 300, 700]), rng.choice(prios), f"c{c}.{i}")
            for i in range(rng.randrange(1, 40))
        ]
        probe.add_chain(rng.randrange(0, 5) * 100, elems)
    seen = []
    for t in range(0, 3000, 300):
        sim.call_at(t, lambda t=t: seen.append((t, len(probe.log))))
    if hook_error_at is not None:

        def boom() -> None:
            raise RuntimeError("hook failed")

        sim.call_at(hook_error_at, boom)
    return probe, seen


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("driver", ["run", "run_until", "step"])
def test_continue_at_and_reserved_places_keep_the_exact_event_order(seed: int, driver: str) -> None:
    logs = {}
    for mode in ("schedule", "continue", "reserved", "run_now", "after"):
        sim = tnpu.Simulator()
        probe, seen = _chain_program(sim, mode, seed)
        if driver == "run":
            sim.run()
        elif driver == "run_until":
            for t in range(50, 40_000, 250):
                sim.run(until=t)
        else:
            while sim.step():
                pass
        logs[mode] = (probe.log, seen, sim.now if driver != "run_until" else None)
        if mode == "continue" and driver != "step":  # step() runs one time point: nothing later can go inline
            assert sim.inline_advances > 0
        if mode == "run_now":  # Kernel::run_now (DMA and replayer retries): zero delays inline
            assert sim.inline_advances > 0
        # Kernel::continue_at_after (the DRAM channel's retries): a reserved event, then a continuation
        if mode == "after" and driver != "step":
            assert sim.inline_advances > 0
    assert len(logs["schedule"][0]) > 500
    assert logs["continue"] == logs["schedule"]
    assert logs["reserved"] == logs["schedule"]
    assert logs["run_now"] == logs["schedule"]
    assert logs["after"][:2] == logs["schedule"][:2]  # (its no-op events may end the run up to 50 ps later)


def test_continue_at_runs_inline_only_when_enabled() -> None:
    counts = {}
    for enabled in (True, False):
        sim = tnpu.Simulator()
        sim.inline_enabled = enabled
        probe, _ = _chain_program(sim, "continue", 7)
        sim.run()
        counts[enabled] = (sim.inline_advances, sim.events_executed, probe.log)
    assert counts[False][0] == 0
    assert counts[True][0] > 0
    assert (
        counts[True][1] + counts[True][0] == counts[False][1]
    )  # every inline run replaced exactly one event
    assert counts[True][2] == counts[False][2]


def test_continue_at_keeps_the_order_across_a_failing_hook() -> None:
    logs = {}
    for mode in ("schedule", "continue"):
        sim = tnpu.Simulator()
        probe, seen = _chain_program(sim, mode, 5, hook_error_at=1100)
        with pytest.raises(RuntimeError, match="hook failed"):
            sim.run()
        stopped = (sim.now, len(probe.log))
        sim.run()  # the simulation goes on after the error, with nothing lost or reordered
        logs[mode] = (stopped, probe.log, seen)
    assert logs["continue"] == logs["schedule"]
