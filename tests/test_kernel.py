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
    assert list(reasons) == ["completion", "retry", "default", "sample", "observer"]
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
