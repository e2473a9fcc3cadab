"""Determinism: the same inputs give bit-identical results, run twice, in two processes, or in parallel threads."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import tnpu
from tnpu import _core

PROGRAM = textwrap.dedent(
    """
    import dataclasses, hashlib, json, os, numpy as np, tnpu
    from tnpu import _core
    from tnpu.schedule import run_schedule

    def _digest(fields):
        # Every field of a result, floats by their exact repr; timing of the host (wall_s, requests_per_s) excluded.
        fields = {k: v for k, v in fields.items() if k not in ("wall_s", "requests_per_s")}
        return hashlib.sha256(json.dumps(fields, sort_keys=True, default=repr).encode()).hexdigest()

    def replay_digest(trace="traces/mixed.dramsim3.trace.gz", dram="ddr4-2400"):
        r = tnpu.replay_dram(os.path.join(REPO, trace), dram=dram)
        return _digest(dataclasses.asdict(r))

    def layer_digest(c=32, memory="dram", phase="FP"):
        conv = {"kind": "conv", "n": 1, "c": c, "k": 32, "h": 14, "w": 14, "r": 3, "s": 3, "pad_h": 1, "pad_w": 1}
        return _digest(tnpu.simulate_layer(conv, phase, memory=memory).as_dict())

    def accelerator_digest(arch="tnpu", batch=2):
        r = tnpu.simulate("mpcnn", arch, batch=batch, overrides={"memory.model": "dram"})
        h = hashlib.sha256()
        for a in (r.tasks, r.dep_offsets, r.dep_ids, r.busy_ps):
            h.update(np.ascontiguousarray(a).tobytes())
        meta = {k: v for k, v in r.meta.items() if k != "wall_s"}
        h.update(json.dumps([r.stats, r.energy, meta], sort_keys=True, default=repr).encode())
        return h.hexdigest()

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


REPO = str(Path(__file__).resolve().parents[1])


def _namespace():
    ns: dict[str, object] = {"REPO": REPO}
    exec(PROGRAM, ns)  # noqa: S102 - the same source also runs in a child process
    return ns


def test_same_run_twice_in_one_process():
    ns = _namespace()
    assert ns["kernel_digest"]() == ns["kernel_digest"]()
    assert ns["schedule_digest"](1) == ns["schedule_digest"](1)
    assert ns["schedule_digest"](1) != ns["schedule_digest"](2)


def test_replay_and_layer_twice_in_one_process():
    ns = _namespace()
    assert ns["replay_digest"]() == ns["replay_digest"]()
    assert ns["layer_digest"]() == ns["layer_digest"]()
    # The digests see a change: a different trace, DRAM, layer or phase gives a different hash.
    assert ns["replay_digest"]() != ns["replay_digest"](dram="ddr4-3200")
    assert ns["replay_digest"]() != ns["replay_digest"](trace="traces/random.ramulator1.trace")
    assert ns["layer_digest"]() != ns["layer_digest"](c=16)
    assert ns["layer_digest"]() != ns["layer_digest"](phase="GD")
    assert ns["accelerator_digest"]() == ns["accelerator_digest"]()
    assert ns["accelerator_digest"]() != ns["accelerator_digest"](arch="dnpu")
    assert ns["accelerator_digest"]() != ns["accelerator_digest"](batch=3)


def test_same_run_in_two_processes():
    ns = _namespace()
    here = (
        ns["kernel_digest"](),
        ns["schedule_digest"](7),
        ns["replay_digest"](),
        ns["layer_digest"](),
        ns["accelerator_digest"](),
    )
    code = (
        f"REPO = {REPO!r}\n"
        + PROGRAM
        + (
            "\nprint(kernel_digest(), schedule_digest(7), replay_digest(), layer_digest(), accelerator_digest())\n"
        )
    )
    # A different hash seed in the child: nothing may depend on the order of Python sets or dicts of strings.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert tuple(out.stdout.split()) == here


def test_threads_running_replays_and_layers_give_the_serial_results(tmp_path):
    # Runs long enough (tens of ms each) that threads overlap in C++ with the GIL released.
    rng = np.random.default_rng(5)
    n = 60_000
    big = tmp_path / "big.dramsim3.trace"
    w = _core.DramTraceWriter(str(big), "dramsim3")
    w.write((rng.random(n) < 0.3).astype(np.uint8), rng.integers(0, 1 << 24, n).astype(np.uint64) * 64,
            np.sort(rng.integers(0, 4 * n, n)).astype(np.uint64))  # fmt: skip
    w.close()
    ns = _namespace()
    jobs = [
        ("replay_digest", {"trace": str(big)}),
        ("replay_digest", {"trace": str(big), "dram": "ddr4-3200"}),
        ("replay_digest", {}),
        ("layer_digest", {"c": 64}),
        ("layer_digest", {"phase": "GD"}),
        ("layer_digest", {"memory": "fixed"}),
    ] * 2
    serial = [ns[name](**kw) for name, kw in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda job: ns[job[0]](**job[1]), jobs))
    assert threaded == serial
    assert len(set(serial)) == len(jobs) // 2  # each job differs from the others, and equals its repeat


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
