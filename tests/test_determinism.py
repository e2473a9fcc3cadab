"""Determinism: the same inputs give bit-identical results, run twice, in two processes, or in parallel threads."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import tnpu
from tnpu import _core

PROGRAM = textwrap.dedent(
    """
    import hashlib, numpy as np, tnpu
    from tnpu import _core
    from tnpu.schedule import run_schedule

    def kernel_digest():
        sim = tnpu.Simulator()
        mem = _core.FixedLatencyMemory(sim, "mem", latency_ps=7_919, queue_depth=5, issue_interval_ps=311)
        _core.TrafficGenerator(sim, "gen", mem, count=20_000, write_every=3, interval_ps=97)
        sim.run()
        return hashlib.sha256(sim.stats_table().tobytes()).hexdigest()

    def schedule_digest(seed):
        rng = np.random.default_rng(seed)
        n = 3000
        inst = np.repeat(np.arange(n // 6), 6)
        deps = [[] if i % 6 == 0 else [i - 1] + ([i - 2] if i % 6 == 5 else []) for i in range(n)]
        offsets = np.cumsum([0] + [len(d) for d in deps])
        s = run_schedule(
            instance=inst, layer=np.tile(np.arange(6), n // 6), phase=np.zeros(n), task_class=np.arange(n) % 2,
            dep_offsets=offsets, dep_ids=[x for d in deps for x in d],
            duration_ps=rng.integers(1, 10_000, n), engines=("pu_c", "pu_f"), engine_of_class=(0, 1),
            scheduler="reorder", window=4,
        )
        h = hashlib.sha256()
        for a in (s.start_ps, s.end_ps, s.engine, s.busy_ps):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()
    """
)


def _namespace():
    ns: dict[str, object] = {}
    exec(PROGRAM, ns)  # noqa: S102 - the same source also runs in a child process
    return ns


def test_same_run_twice_in_one_process():
    ns = _namespace()
    assert ns["kernel_digest"]() == ns["kernel_digest"]()
    assert ns["schedule_digest"](1) == ns["schedule_digest"](1)
    assert ns["schedule_digest"](1) != ns["schedule_digest"](2)


def test_same_run_in_two_processes():
    ns = _namespace()
    here = (ns["kernel_digest"](), ns["schedule_digest"](7))
    code = PROGRAM + "\nprint(kernel_digest(), schedule_digest(7))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert tuple(out.stdout.split()) == here


def test_threads_give_the_serial_results():
    ns = _namespace()
    serial = [ns["schedule_digest"](s) for s in range(6)] + [ns["kernel_digest"]() for _ in range(2)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(ns["schedule_digest"], s) for s in range(6)]
        futures += [pool.submit(ns["kernel_digest"]) for _ in range(2)]
        threaded = [f.result() for f in futures]
    assert threaded == serial


def test_stats_table_hash_is_stable_across_reads():
    sim = tnpu.Simulator()
    mem = _core.FixedLatencyMemory(sim, "mem")
    _core.TrafficGenerator(sim, "gen", mem, count=100)
    sim.run()
    a = hashlib.sha256(sim.stats_table().tobytes()).hexdigest()
    b = hashlib.sha256(sim.stats_table().tobytes()).hexdigest()
    assert a == b
    assert np.array_equal(sim.stats_table(), sim.stats_table())
