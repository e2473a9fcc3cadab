"""Schedulers on small graphs: the paper's Fig. 4 toy, and properties that must hold on any graph."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tnpu
from tnpu.schedule import BATCH_INSTANCE, run_schedule, scheduler_names

TNPU_ENGINES = ("pu_c", "pu_f")
MATRIX, VECTOR = 0, 1
FP, BP, GD, WU = 0, 1, 2, 3


def toy_graph(instances: int, with_wu: bool = False):
    """paper.md 1.3: per instance CF -> FF -> FB -> {CB, FG}, CB -> CG (C: conv on PU-c, F: FC on PU-f)."""
    tasks = []  # (instance, layer, phase, class, deps as offsets within the instance)
    per = [
        ("CF", 0, FP, MATRIX, []),
        ("FF", 1, FP, VECTOR, ["CF"]),
        ("FB", 1, BP, VECTOR, ["FF"]),
        ("CB", 0, BP, MATRIX, ["FB"]),
        ("FG", 1, GD, VECTOR, ["FB"]),
        ("CG", 0, GD, MATRIX, ["CB"]),
    ]
    deps: list[list[int]] = []
    gd_ids: dict[int, list[int]] = {0: [], 1: []}
    for i in range(instances):
        base = len(tasks)
        names = {name: base + k for k, (name, *_rest) in enumerate(per)}
        for name, layer, phase, cls, dnames in per:
            tasks.append((i, layer, phase, cls))
            deps.append([names[d] for d in dnames])
            if phase == GD:
                gd_ids[layer].append(names[name])
    if with_wu:
        for layer in (0, 1):
            tasks.append((BATCH_INSTANCE, layer, WU, VECTOR))
            deps.append(list(gd_ids[layer]))
    offsets = np.cumsum([0] + [len(d) for d in deps])
    ids = [x for d in deps for x in d]
    arr = np.array(tasks, dtype=np.uint64).T
    return dict(
        instance=arr[0], layer=arr[1], phase=arr[2], task_class=arr[3], dep_offsets=offsets, dep_ids=ids
    )


def run(graph, durations, scheduler, engines=TNPU_ENGINES, engine_of_class=(0, 1), window=0):
    return run_schedule(
        **graph,
        duration_ps=durations,
        engines=engines,
        engine_of_class=engine_of_class,
        scheduler=scheduler,
        window=window,
    )


def test_registry_lists_the_three_schedulers():
    assert set(scheduler_names()) == {"inorder", "split", "reorder"}


@pytest.mark.parametrize(
    ("scheduler", "slots"),
    [("inorder", 48), ("split", 40), ("reorder", 26)],
)
def test_paper_fig4_toy_makespans(scheduler, slots):
    # Unit-length phases, 8 instances: in order (one at a time) 6 slots each; per-engine program order 5 slots per
    # instance (only CB and FG overlap, the paper's Fig. 4(1)); greedy oldest-first reordering 26 (paper.md 1.3).
    g = toy_graph(8)
    s = run(g, np.full(48, 1000), scheduler)
    assert s.makespan_ps == slots * 1000


def test_reorder_keeps_both_units_busy_in_steady_state():
    g = toy_graph(50)
    s = run(g, np.full(300, 1000), "reorder")
    util = s.busy_fraction()
    assert util["pu_c"] > 0.95
    assert util["pu_f"] > 0.95
    assert s.window_used >= 2


def test_window_bounds_instances_in_flight():
    g = toy_graph(20)
    d = np.full(120, 1000)
    one = run(g, d, "reorder", window=1)
    two = run(g, d, "reorder", window=2)
    assert one.window_used == 1
    assert two.window_used == 2
    # window 1 cannot interleave instances: it degenerates to per-engine program order
    assert one.makespan_ps == run(g, d, "split").makespan_ps
    assert two.makespan_ps < one.makespan_ps


def test_dadiannao_style_single_engine():
    g = toy_graph(4)
    s = run(g, np.full(24, 500), "inorder", engines=("array",), engine_of_class=(0, 0))
    assert s.makespan_ps == 24 * 500
    assert s.busy_fraction() == {"array": 1.0}


def test_wu_runs_once_per_layer_after_all_gd():
    g = toy_graph(5, with_wu=True)
    n = len(g["instance"])
    s = run(g, np.full(n, 1000), "reorder")
    wu = np.flatnonzero(np.asarray(g["phase"]) == WU)
    gd = np.flatnonzero(np.asarray(g["phase"]) == GD)
    for w in wu:
        layer = g["layer"][w]
        assert s.start_ps[w] >= max(s.end_ps[t] for t in gd if g["layer"][t] == layer)


# ---- properties on random graphs ------------------------------------------------------------------------------


@st.composite
def random_graph(draw):
    instances = draw(st.integers(1, 6))
    layers = draw(st.integers(1, 4))
    classes = [draw(st.sampled_from([MATRIX, VECTOR])) for _ in range(layers)]
    tasks, deps = [], []
    fp, bp = {}, {}
    for i in range(instances):
        for lay in range(layers):
            fp[i, lay] = len(tasks)
            tasks.append((i, lay, FP, classes[lay]))
            deps.append([fp[i, lay - 1]] if lay else [])
        for lay in reversed(range(layers)):
            up = [bp[i, lay + 1]] if lay + 1 < layers else [fp[i, layers - 1]]
            if lay > 0:
                bp[i, lay] = len(tasks)
                tasks.append((i, lay, BP, classes[lay]))
                deps.append(up)
            else:
                bp[i, lay] = up[0]
            tasks.append((i, lay, GD, classes[lay]))
            deps.append(sorted({*up, fp[i, lay]}))
    dur = [draw(st.integers(1, 50)) * 100 for _ in tasks]
    offsets = np.cumsum([0] + [len(d) for d in deps])
    arr = np.array(tasks, dtype=np.uint64).T
    graph = dict(
        instance=arr[0],
        layer=arr[1],
        phase=arr[2],
        task_class=arr[3],
        dep_offsets=offsets,
        dep_ids=[x for d in deps for x in d],
    )
    return graph, np.array(dur), deps


@settings(max_examples=60, deadline=None)
@given(random_graph(), st.integers(0, 4))
def test_schedule_properties(gdd, window):
    graph, dur, deps = gdd
    results = {name: run(graph, dur, name, window=window) for name in ("inorder", "split", "reorder")}
    for s in results.values():
        # dependencies hold (the C++ validator checks too; this is an independent check)
        for t, ds in enumerate(deps):
            for d in ds:
                assert s.start_ps[t] >= s.end_ps[d]
        assert np.all(s.end_ps - s.start_ps == dur)
    inorder, split, reorder = results["inorder"], results["split"], results["reorder"]
    assert inorder.overlap_ps("pu_c", "pu_f") == 0
    assert inorder.makespan_ps == dur.sum()
    assert reorder.makespan_ps <= inorder.makespan_ps
    assert split.makespan_ps <= inorder.makespan_ps
    # split never interleaves instances on an engine
    for e in (0, 1):
        on_e = np.flatnonzero(split.engine == e)
        by_start = on_e[np.argsort(split.start_ps[on_e], kind="stable")]
        assert np.all(np.diff(graph["instance"][by_start].astype(np.int64)) >= 0)
    if window:
        assert reorder.window_used <= window


def test_same_inputs_same_schedule():
    g = toy_graph(10)
    d = np.arange(60) * 37 % 1000 + 100
    a, b = run(g, d, "reorder", window=3), run(g, d, "reorder", window=3)
    assert np.array_equal(a.start_ps, b.start_ps)
    assert np.array_equal(a.engine, b.engine)


def test_bad_graphs_name_the_tasks():
    g = toy_graph(2)
    bad = dict(g, dep_ids=list(g["dep_ids"]))
    bad["dep_ids"][0] = 5  # FF of instance 0 (task 1) now waits for task 5, which comes after it
    with pytest.raises(
        tnpu.ConfigError, match=r"task 1 \(i0 FP layer 1\) depends on task 5 .* program order"
    ):
        run(bad, np.full(12, 1), "reorder")
    bad["dep_ids"][0] = 99
    with pytest.raises(tnpu.ConfigError, match="depends on task 99, which does not exist"):
        run(bad, np.full(12, 1), "reorder")
    with pytest.raises(
        tnpu.ConfigError, match=r"unknown scheduler 'fifo' \(known: inorder, split, reorder\)"
    ):
        run(g, np.full(12, 1), "fifo")
    with pytest.raises(tnpu.ConfigError, match="duration_ps: expected 12 entries, got 3"):
        run(g, np.full(3, 1), "reorder")
    with pytest.raises(tnpu.ConfigError, match=r"engine_of_class\[1\]: engine 2 does not exist"):
        run(g, np.full(12, 1), "reorder", engine_of_class=(0, 2))
    with pytest.raises(tnpu.ConfigError, match=r"phase\[0\]: expected 0..3"):
        run(dict(g, phase=np.full(12, 7)), np.full(12, 1), "reorder")


def test_timeline_slices_match_the_schedule(tmp_path):
    import json

    from tnpu.timeline import trace_events, write_timeline

    g = toy_graph(3, with_wu=True)
    n = len(g["instance"])
    s = run(g, np.arange(n) * 10 + 1000, "reorder")
    ev = trace_events(
        start_ps=s.start_ps,
        end_ps=s.end_ps,
        engine=s.engine,
        engines=s.engines,
        instance=g["instance"],
        phase=g["phase"],
        layer=g["layer"],
        layer_names=["conv1", "fc1"],
    )
    path = write_timeline(tmp_path / "t.json", ev)
    with pytest.raises(FileExistsError, match="exists already"):
        write_timeline(path, ev)
    data = json.loads(path.read_text())
    slices = [e for e in data["traceEvents"] if e["ph"] == "X"]
    assert len(slices) == n
    for e in slices:
        assert {"ts", "dur", "pid", "tid", "name"} <= set(e)
        t = e["args"]["task_id"]
        assert e["ts"] * 1e6 == pytest.approx(int(s.start_ps[t]))
        assert (e["ts"] + e["dur"]) * 1e6 == pytest.approx(int(s.end_ps[t]))
        assert e["tid"] == int(s.engine[t]) + 1
    assert slices[0]["name"] == "i0 FP conv1"
    assert any(e["name"].startswith("batch WU") for e in slices)
    names = {e["args"]["name"] for e in data["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {"pu_c", "pu_f"}


def test_the_core_entry_point_takes_a_typed_config_and_returns_a_typed_result():
    from tnpu import _core

    g = toy_graph(2)
    cols = {
        "instance": np.asarray(g["instance"], dtype=np.uint32),
        "layer": np.asarray(g["layer"], dtype=np.uint32),
        "phase": np.asarray(g["phase"], dtype=np.uint8),
        "task_class": np.asarray(g["task_class"], dtype=np.uint8),
        "dep_offsets": np.asarray(g["dep_offsets"], dtype=np.uint64),
        "dep_ids": np.asarray(g["dep_ids"], dtype=np.uint32),
    }
    durations = np.full(12, 1000, dtype=np.uint64)
    config = _core.ScheduleConfig(
        engines=list(TNPU_ENGINES), engine_of_class=[0, 1], scheduler="reorder", window=1
    )
    assert (config.engines, config.engine_of_class, config.scheduler, config.window) == (
        ["pu_c", "pu_f"],
        [0, 1],
        "reorder",
        1,
    )
    r = _core.run_schedule(**cols, duration_ps=durations, config=config)
    assert isinstance(r, _core.ScheduleResult)
    assert r.window_limit == 1
    assert r.window_used == 1
    assert not r.start_ps.flags.writeable  # a view of the result's own memory
    first, again = r.end_ps, r.end_ps
    assert np.shares_memory(first, again)  # no copy: both view the same vector
    assert r.makespan_ps == int(r.end_ps.max())
    same = run(g, durations, "reorder", window=1)
    np.testing.assert_array_equal(same.start_ps, r.start_ps)
    with pytest.raises(TypeError):
        _core.run_schedule(*cols.values(), durations, config)  # keyword-only
    config.engine_of_class = [0, 2]
    with pytest.raises(tnpu.ConfigError, match=r"engine_of_class\[1\]: engine 2 does not exist"):
        config.validate()
