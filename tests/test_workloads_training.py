"""The training graph: tasks, dependencies (design.md section 1), totals, and its crossing into C++."""

from __future__ import annotations

import numpy as np
import pytest

from tnpu import _core
from tnpu.errors import ConfigError
from tnpu.workloads import NetworkBuilder, Phase, TaskArrays, TrainingGraph, get_network


def ids_of(g, phase):
    t = g.tasks
    return set(np.flatnonzero(t["phase"] == int(phase)).tolist())


def test_task_counts_per_phase():
    net = get_network("alexnet")
    g = TrainingGraph(net, batch=3)
    layers = len(net)
    weighted = sum(1 for layer in net.layers if layer.has_weights)
    no_bp = sum(1 for v in net.needs_bp().values() if not v)
    t = g.tasks
    assert no_bp == 1  # only conv1
    assert np.count_nonzero(t["phase"] == Phase.FP) == 3 * layers
    assert np.count_nonzero(t["phase"] == Phase.BP) == 3 * (layers - 1)
    assert np.count_nonzero(t["phase"] == Phase.GD) == 3 * weighted
    assert np.count_nonzero(t["phase"] == Phase.WU) == weighted
    assert len(g) == 3 * (2 * layers - 1 + weighted) + weighted


def test_dependencies_follow_the_design():
    g = TrainingGraph(get_network("alexnet"), batch=2, batches=2)
    find = g.find
    with pytest.raises(KeyError):
        find("conv1", Phase.BP, 0)  # the first layer has no BP
    assert g.deps(find("conv2", Phase.FP, 1)) == [find("pool1", Phase.FP, 1)]
    assert g.deps(find("loss", Phase.BP, 0)) == [find("loss", Phase.FP, 0)]
    assert g.deps(find("fc8", Phase.BP, 0)) == [find("loss", Phase.BP, 0)]
    assert g.deps(find("relu7", Phase.BP, 1)) == [find("fc8", Phase.BP, 1)]
    assert sorted(g.deps(find("conv1", Phase.GD, 1))) == sorted(
        [find("relu1", Phase.BP, 1), find("conv1", Phase.FP, 1)]
    )
    assert sorted(g.deps(find("fc6", Phase.WU, 0))) == sorted(find("fc6", Phase.GD, i) for i in (0, 1))
    # batch 1 (instances 2 and 3) waits for batch 0's update of the same layer, and only for layers with weights
    assert find("conv1", Phase.WU, 0) in g.deps(find("conv1", Phase.FP, 2))
    assert g.deps(find("relu1", Phase.FP, 3)) == [find("conv1", Phase.FP, 3)]


def test_instances_are_independent_except_through_wu():
    g = TrainingGraph(get_network("lenet5"), batch=4)
    a = g.to_arrays()
    t = a.tasks
    pos = {int(tid): i for i, tid in enumerate(t["id"])}
    for i in range(len(a)):
        if t["phase"][i] == Phase.WU:
            continue
        for d in a.deps(i):
            j = pos[int(d)]
            assert t["instance"][j] == t["instance"][i]
            assert t["phase"][j] != Phase.WU  # single batch: no WU feeds an FP


def test_residual_block_gradients_come_from_every_consumer():
    g = TrainingGraph(get_network("resnet18"), batch=1)
    # layer1.0 reads maxpool's output twice (conv1 and the identity shortcut into the add)
    deps = sorted(g.deps(g.find("maxpool", Phase.BP, 0)))
    assert deps == sorted([g.find("layer1.0.conv1", Phase.BP, 0), g.find("layer1.0.add", Phase.BP, 0)])
    down = g.find("layer2.0.downsample.0", Phase.FP, 0)
    assert g.deps(down) == [g.find("layer1.1.relu2", Phase.FP, 0)]


def test_ids_are_a_topological_order_and_totals_add_up():
    net = get_network("resnet18")
    g = TrainingGraph(net, batch=4)
    a = g.to_arrays()
    assert np.array_equal(a.tasks["id"], np.arange(len(a)))
    for i in range(len(a)):
        assert all(d < i for d in a.deps(i))
    macs = a.tasks["macs"]
    assert int(macs.sum()) == 4 * net.training_macs
    phase_rows = g.summary("phase")
    assert phase_rows[-1]["group"] == "total"
    assert int(phase_rows["macs"][:-1].sum()) == int(phase_rows[-1]["macs"])
    kind_rows = {r["group"]: r for r in g.summary("kind")}
    assert int(kind_rows["conv"]["macs"]) + int(kind_rows["linear"]["macs"]) == 4 * net.training_macs
    assert int(kind_rows["total"]["bytes_in"]) == int(a.tasks["bytes_in"].sum())
    assert int(kind_rows["batchnorm"]["macs"]) == 0
    assert "FP" in g.summary_table()
    assert "batchnorm" in g.summary_table("kind")


def test_gemm_fields_and_micro_batches():
    net = get_network("alexnet")
    per_sample = TrainingGraph(net, batch=8)
    micro = TrainingGraph(net, batch=8, instance_samples=4)
    assert micro.num_instances == 2
    assert int(micro.tasks["macs"].sum()) == int(per_sample.tasks["macs"].sum())
    t = micro.tasks
    fp = t[micro.find("conv1", Phase.FP, 1)]
    assert (fp["m"], fp["n"], fp["k"]) == (96, 4 * 55 * 55, 3 * 11 * 11)
    gd = t[micro.find("fc6", Phase.GD, 0)]
    assert (gd["m"], gd["n"], gd["k"]) == (4096, 9216, 4)
    wu = t[micro.find("fc6", Phase.WU, 0)]
    assert wu["macs"] == 0
    assert wu["vector_ops"] == 9216 * 4096 + 4096
    assert wu["bytes_in"] == 2 * (9216 * 4096 + 4096) * 4
    fp_relu = t[micro.find("relu1", Phase.FP, 0)]
    assert fp_relu["stash_bytes"] == (4 * 96 * 55 * 55 + 7) // 8


def test_bad_graph_parameters():
    net = get_network("lenet5")
    with pytest.raises(ConfigError, match=r"instance_samples \(3\) must divide the batch \(8\)"):
        TrainingGraph(net, batch=8, instance_samples=3)
    with pytest.raises(ConfigError, match=r"batch must be a positive"):
        TrainingGraph(net, batch=0)
    b = NetworkBuilder("dangling", (1, 8, 8))
    b.conv("side", 2, 3)
    b.conv("main", 2, 3, src="input")
    b.flatten("f")
    b.linear("fc", 3)
    with pytest.raises(ConfigError, match=r"layer 'side' feeds nothing"):
        TrainingGraph(b.build(), batch=1)


def test_cpp_task_graph_matches_python():
    g = TrainingGraph(get_network("lenet5"), batch=3, batches=2)
    a = g.to_arrays()
    core = a.to_core()
    assert len(core) == len(a)
    assert core.num_dependencies == a.dep_ids.size
    for i in range(len(a)):  # the C++ graph holds the same dependencies, as positions
        assert core.deps(i) == [core.position_of(int(d)) for d in a.deps(i)]
    order = core.topological_order()
    assert np.array_equal(order, np.arange(len(a)))  # ids already topological; ties broken by position
    assert core.deps(g.find("c3", Phase.FP, 1)) == [g.find("s2", Phase.FP, 1)]
    assert g.find("c3", Phase.FP, 3) in core.dependents(g.find("c3", Phase.WU, 0))
    depth = core.depth()
    # the longest chain of one instance: FP through all layers, BP back to layer 2, GD of layer 1 (then WU)
    layers = len(g.network)
    assert depth[g.find("c1", Phase.GD, 0)] == layers + (layers - 1) + 1
    assert depth.max() == 2 * (2 * layers + 1)


def small_arrays(deps):
    n = len(deps)
    tasks = np.zeros(n, dtype=__import__("tnpu.workloads", fromlist=["TASK_DTYPE"]).TASK_DTYPE)
    tasks["id"] = np.arange(10, 10 + n)
    tasks["start_cycle"] = -1
    tasks["end_cycle"] = -1
    offsets = np.cumsum([0, *[len(d) for d in deps]])
    flat = [x for d in deps for x in d]
    return TaskArrays(tasks, offsets.astype(np.int64), np.array(flat, dtype=np.int64), ("l0",))


def test_cpp_validation_names_the_task_ids():
    small_arrays([[], [10], [11]]).validate()
    with pytest.raises(ConfigError, match=r"dependency cycle through task ids 11 -> 12 -> 13 -> 11"):
        small_arrays([[], [10, 13], [11], [12]]).validate()
    with pytest.raises(
        ConfigError, match=r"task 11 \(FP of layer 0, instance 0\) depends on task 99, which does not"
    ):
        small_arrays([[], [99]]).validate()
    with pytest.raises(ConfigError, match=r"task 10 .* depends on itself"):
        small_arrays([[10]]).validate()
    bad = small_arrays([[], []])
    bad.tasks["id"][1] = 10
    with pytest.raises(ConfigError, match=r"task id 10 is used twice"):
        bad.validate()
    bad = small_arrays([[], []])
    bad.tasks["phase"][1] = 7
    with pytest.raises(ConfigError, match=r"phase code 7"):
        bad.to_core()
    bad = small_arrays([[], []])
    bad.tasks["start_cycle"][0], bad.tasks["end_cycle"][0] = 50, 40
    with pytest.raises(ConfigError, match=r"end_cycle 40 is before start_cycle 50"):
        bad.validate()
    bad = small_arrays([[], [10]])
    bad.dep_offsets = np.array([0, 0], dtype=np.int64)
    with pytest.raises(ConfigError, match=r"dep_offsets must have one entry per task plus one"):
        bad.validate()
    bad = small_arrays([[], [10], [11]])
    bad.dep_offsets = np.array([0, 100, 1, 2], dtype=np.int64)  # would read past dep_ids if checked lazily
    with pytest.raises(ConfigError, match=r"dep_offsets must not decrease \(at task 11 .*: 100 then 1\)"):
        bad.validate()
    bad = small_arrays([[], []])
    bad.tasks["macs"] = 2**62
    with pytest.raises(ConfigError, match=r"MACs of phase FP add up to more than 2\^63 - 1"):
        bad.validate()
    with pytest.raises(ConfigError, match=r"one value per task"):
        _core.TaskGraph(
            *([np.zeros(2, np.int64)] * 12),
            np.zeros(3, np.int64),
            np.zeros(3, np.int64),
            np.zeros(0, np.int64),
        )


def test_schedule_arrays_are_in_program_order_with_task_classes():
    a = TrainingGraph(get_network("alexnet"), batch=2).to_arrays()
    s = a.schedule_arrays()
    assert np.array_equal(s["id"], a.tasks["id"])  # already in program order: kept
    assert np.array_equal(s["dep_ids"], a.dep_ids)
    conv_fp = a.tasks["layer"] == a.layer_names.index("conv2")
    assert set(s["task_class"][conv_fp & (a.tasks["phase"] != Phase.WU)]) == {0}
    assert set(s["task_class"][a.tasks["layer"] == a.layer_names.index("fc6")]) == {1}
    wu = a.tasks["phase"] == Phase.WU
    assert set(s["instance"][wu]) == {2**32 - 1}
    assert set(s["task_class"][wu]) == {1}
    # a trace listed backwards, with other ids, comes out in a topological order mapped back by id
    rev = small_arrays([[], [10], [11]])
    rev = TaskArrays(
        rev.tasks[::-1].copy(), np.array([0, 1, 2, 2], np.int64), np.array([11, 10], np.int64), ("l0",)
    )
    out = rev.schedule_arrays()
    assert out["id"].tolist() == [10, 11, 12]
    assert out["dep_offsets"].tolist() == [0, 0, 1, 2]
    assert out["dep_ids"].tolist() == [0, 1]
    with pytest.raises(ConfigError, match="depends on task 99, which does not exist"):
        small_arrays([[], [99]]).dep_positions()


def test_schedule_arrays_run_on_the_schedulers():
    from tnpu import schedule

    a = TrainingGraph(get_network("alexnet"), batch=4).to_arrays()
    s = a.schedule_arrays()
    t = a.tasks
    # durations from a toy cost model: 256 MACs per cycle on the PE array, 16 operations per cycle on the vector unit
    cycles = np.where(s["task_class"] == 0, t["macs"] // 256, (t["macs"] + t["vector_ops"]) // 16) + 1
    duration = (cycles * 2500).astype(np.uint64)
    # the longest dependency chain bounds any schedule from below
    finish = np.zeros(len(a), dtype=np.int64)
    for i in range(len(a)):
        deps = s["dep_ids"][s["dep_offsets"][i] : s["dep_offsets"][i + 1]]
        finish[i] = (finish[deps].max() if deps.size else 0) + int(duration[i])
    for name in ("inorder", "split", "reorder"):
        out = schedule.run_schedule(
            **{k: s[k] for k in ("instance", "layer", "phase", "task_class", "dep_offsets", "dep_ids")},
            duration_ps=duration,
            engines=("pu_c", "pu_f"),
            engine_of_class=(0, 1),
            scheduler=name,
        )
        assert out.makespan_ps >= int(finish.max())
        assert np.array_equal(out.engine, s["task_class"].astype(np.uint32))
        assert np.all(out.end_ps - out.start_ps == duration)
