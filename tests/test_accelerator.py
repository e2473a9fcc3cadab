"""The accelerator model: presets, schedulers on real workloads, memory contention, energy, results and outputs."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import tnpu
from tnpu.accelerator import list_accelerators, load_accelerator
from tnpu.errors import ConfigError
from tnpu.results import load
from tnpu.simulate import simulate

NETS = ("lenet5", "mpcnn")
PRESETS = ("tnpu", "dadiannao", "dnpu")
FAST = {"memory.model": "fixed", "memory.bandwidth_gbps": 17.06}


def _overlap(r: tnpu.results.Result, a: int, b: int) -> int:
    t = r.tasks
    sa = sorted(zip(t["start_ps"][t["engine"] == a], t["end_ps"][t["engine"] == a], strict=True))
    sb = sorted(zip(t["start_ps"][t["engine"] == b], t["end_ps"][t["engine"] == b], strict=True))
    total = 0
    for s0, e0 in sa:
        for s1, e1 in sb:
            total += max(0, int(min(e0, e1)) - int(max(s0, s1)))
    return int(total)


def _check_schedule(r: tnpu.results.Result) -> None:
    """Every task starts after all its inputs ended; no engine runs two tasks at once."""
    t = r.tasks
    for i in range(len(t)):
        deps = r.dependencies(i)
        if deps.size:
            assert t["start_ps"][i] >= t["end_ps"][deps].max()
    for e in range(len(r.engines)):
        sel = np.flatnonzero(t["engine"] == e)
        order = sel[np.argsort(t["start_ps"][sel], kind="stable")]
        assert np.all(t["start_ps"][order][1:] >= t["end_ps"][order][:-1])


def test_presets_are_comparably_provisioned():
    assert set(PRESETS) <= set(list_accelerators())
    cfgs = [load_accelerator(p) for p in PRESETS]
    assert {c.pes for c in cfgs} == {272}
    assert {c.arch.buffer.capacity_bytes for c in cfgs} == {512 * 1024}
    assert {c.arch.memory.dram for c in cfgs} == {"ddr4-2133"}
    assert {c.arch.clock.frequency_mhz for c in cfgs} == {400.0}
    assert {c.batch for c in cfgs} == {50}
    assert [c.scheduler for c in cfgs] == ["reorder", "inorder", "split"]
    tn = cfgs[0]
    assert (tn.engine("pu_c").array_rows, tn.engine("pu_c").array_cols, tn.engine("pu_f").lanes) == (
        16,
        16,
        16,
    )


@pytest.mark.parametrize("net", NETS)
@pytest.mark.parametrize("preset", PRESETS)
def test_every_executed_schedule_respects_dependencies(net, preset):
    r = simulate(net, preset, batch=3, overrides=FAST)
    _check_schedule(r)
    assert r.meta["instances"] == 3
    assert r.summary()["macs"] > 0


@pytest.mark.parametrize("net", NETS)
def test_inorder_never_overlaps_and_reorder_does_and_is_not_slower(net):
    ino = simulate(net, "tnpu", batch=4, scheduler="inorder", overrides=FAST)
    reo = simulate(net, "tnpu", batch=4, scheduler="reorder", overrides=FAST)
    assert _overlap(ino, 0, 1) == 0
    assert _overlap(reo, 0, 1) > 0
    assert reo.makespan_ps <= ino.makespan_ps
    assert reo.meta["window_used"] >= 2


def test_split_engines_never_interleave_instances():
    r = simulate("mpcnn", "dnpu", batch=4, overrides=FAST)
    t = r.tasks
    for e in range(len(r.engines)):
        sel = np.flatnonzero((t["engine"] == e) & (t["instance"] >= 0))
        seq = t["instance"][sel[np.argsort(t["start_ps"][sel], kind="stable")]]
        assert np.all(np.diff(seq) >= 0), f"engine {r.engines[e]} interleaves instances: {seq}"
    assert _overlap(r, 0, 1) >= 0


def test_reorder_window_is_bounded_and_reported():
    r = simulate("lenet5", "tnpu", batch=6, window=2, overrides=FAST)
    assert r.meta["window_limit"] == 2
    assert 1 <= r.meta["window_used"] <= 2
    free = simulate("lenet5", "tnpu", batch=6, overrides=FAST)
    assert free.meta["window_limit"] == 6  # the stash of six LeNet instances fits in DRAM easily
    assert free.makespan_ps <= r.makespan_ps


def _phase_time(r, layer: str, phase: int) -> int:
    t = r.tasks
    li = r.layer_names.index(layer)
    sel = (t["layer"] == li) & (t["phase"] == phase)
    return int((t["end_ps"][sel] - t["start_ps"][sel]).sum())


def test_fc_pass_is_memory_bound_and_conv_pass_is_not():
    full = simulate("alexnet", "dadiannao", batch=1, overrides={**FAST, "memory.bandwidth_gbps": 17.06})
    half = simulate("alexnet", "dadiannao", batch=1, overrides={**FAST, "memory.bandwidth_gbps": 8.53})
    fc_ratio = _phase_time(half, "fc6", 0) / _phase_time(full, "fc6", 0)
    conv_ratio = _phase_time(half, "conv3", 0) / _phase_time(full, "conv3", 0)
    assert fc_ratio > 1.8, fc_ratio
    assert conv_ratio < 1.1, conv_ratio


def test_engines_share_one_dram_controller():
    r = simulate("lenet5", "tnpu", batch=2, overrides={"memory.model": "dram"})
    # every DMA request of both engines went to the one controller
    assert r.stats["tnpu.dram.requests"] == r.meta["dram_requests"]
    assert r.stats["tnpu.dma_pu_c.requests"] > 0
    assert r.stats["tnpu.dma_pu_f.requests"] > 0
    assert r.stats["tnpu.dma_pu_c.requests"] + r.stats["tnpu.dma_pu_f.requests"] == r.meta["dram_requests"]
    ideal = simulate("lenet5", "tnpu", batch=2, overrides={"memory.model": "ideal"})
    assert ideal.makespan_ps < r.makespan_ps


@pytest.mark.parametrize("memory", ["ideal", "fixed", "dram"])
def test_energy_parts_add_up(memory):
    r = simulate("lenet5", "dnpu", batch=2, overrides={"memory.model": memory})
    e = r.energy
    parts = sum(v for k, v in e.items() if k not in ("total_pj", "total_paper_pj"))
    assert parts == pytest.approx(e["total_pj"], rel=1e-12)
    assert e["total_paper_pj"] == pytest.approx(e["total_pj"] - e["dram"], rel=1e-12)
    assert e["dram"] > 0
    assert e["mac.pu_c"] > 0
    assert e["static.pu_f"] > 0
    dyn = sum(sum(p.values()) for p in r.energy_by_phase.values())
    dynamic = sum(v for k, v in e.items() if k.startswith(("mac.", "sram.")) or k == "dram")
    assert dyn == pytest.approx(dynamic, rel=1e-9)


def test_dram_model_energy_is_used_when_simulated():
    r = simulate("lenet5", "tnpu", batch=1, overrides={"memory.model": "dram"})
    assert r.energy["dram"] == pytest.approx(r.stats["tnpu.dram.energy"])


def test_deterministic_and_result_round_trip(tmp_path):
    a = simulate("mpcnn", "tnpu", batch=3, overrides={"memory.model": "dram"})
    b = simulate("mpcnn", "tnpu", batch=3, overrides={"memory.model": "dram"})
    assert a.equal(b)
    p = a.save(tmp_path / "r.npz")
    c = tnpu.load(p)
    assert a.equal(c)
    assert c.summary() | {"wall_s": 0} == a.summary() | {"wall_s": 0}
    with pytest.raises(ConfigError, match="exists"):
        a.save(p)
    doc = json.loads(a.to_json())
    assert doc["summary"]["time_s"] == a.time_s
    (tmp_path / "bad.npz").write_bytes(b"not a result")
    with pytest.raises(ConfigError, match=r"bad\.npz"):
        load(tmp_path / "bad.npz")


def test_schedule_csv_lets_anyone_check_the_schedule(tmp_path):
    r = simulate("lenet5", "tnpu", batch=2, overrides=FAST)
    path = r.write_schedule_csv(tmp_path / "s.csv")
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "task_id",
        "instance",
        "phase",
        "layer",
        "engine",
        "start_ps",
        "end_ps",
        "dependencies",
    ]
    end = {row["task_id"]: int(row["end_ps"]) for row in rows}
    for row in rows:
        for d in row["dependencies"].split():
            assert int(row["start_ps"]) >= end[d]
    assert {row["engine"] for row in rows} == {"pu_c", "pu_f"}
    assert len(rows) == len(r.tasks)


def test_timeline_slices_equal_the_result(tmp_path):
    r = simulate("lenet5", "tnpu", batch=2, overrides=FAST)
    doc = json.loads(r.timeline(tmp_path / "t.json").read_text())
    slices = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert len(slices) == len(r.tasks)
    for e, t in zip(slices, r.tasks, strict=True):
        assert {"ph", "ts", "dur", "pid", "tid", "name"} <= set(e)
        assert e["args"]["start_ps"] == int(t["start_ps"])
        assert e["args"]["end_ps"] == int(t["end_ps"])
    assert slices[0]["name"].startswith("i0 FP ")
    assert any(e["ph"] == "C" for e in doc["traceEvents"])


def test_bad_configuration_is_named():
    with pytest.raises(ConfigError, match="dadiannao"):
        load_accelerator("no-such-arch")
    with pytest.raises(ConfigError, match=r"engines\.pu_c\.array_rows"):
        simulate("lenet5", "tnpu", overrides={"engines.pu_c.array_rows": -1})
    with pytest.raises(ConfigError, match="buffer_share"):
        simulate("lenet5", "tnpu", overrides={"engines.pu_f.buffer_share": 0.5})
    with pytest.raises(ConfigError, match="unknown setting"):
        simulate("lenet5", "tnpu", overrides={"nonsense": 1})
    with pytest.raises(ConfigError, match="scheduler"):
        simulate("lenet5", "tnpu", scheduler="fifo")
    with pytest.raises(ConfigError, match="buffer"):
        simulate("alexnet", "tnpu", batch=1, overrides={"buffer.capacity_bytes": 64})


def test_user_preset_file(tmp_path):
    src = load_accelerator("tnpu")
    text = (
        'name = "big"\nscheduler = "reorder"\nbatch = 4\n'
        '[[engines]]\nname = "pu_c"\nruns = ["matrix"]\narray_rows = 32\narray_cols = 32\nbuffer_share = 0.9\n'
        '[[engines]]\nname = "pu_f"\nruns = ["vector"]\nlanes = 64\nbuffer_share = 0.1\n'
        '[memory]\nmodel = "fixed"\n'
    )
    (tmp_path / "big.toml").write_text(text)
    big = load_accelerator(tmp_path / "big.toml")
    assert big.pes == 32 * 32 + 64
    assert big.batch == 4
    r = simulate("lenet5", big)
    s = simulate("lenet5", src, batch=4, overrides=FAST)
    assert r.makespan_ps < s.makespan_ps
    (tmp_path / "bad.toml").write_text('[[engines]]\nname = "x"\nruns = ["matrix"]\nrows = 3\n')
    with pytest.raises(ConfigError, match="rows"):
        load_accelerator(tmp_path / "bad.toml")


def test_stream_model_agrees_with_the_cycle_level_dram():
    """The stream model (reproduce's default) is the DRAM model's sustained bandwidth and latency; on a small
    workload both give batch times within 10 % on every preset, and the same DRAM bytes."""
    from tnpu.reproduce import calibrate_stream, memory_overrides

    cal = calibrate_stream()
    assert 0.5 < cal.efficiency <= 1.0
    assert cal.peak_gbps == pytest.approx(17.06, rel=0.01)
    for preset in PRESETS:
        dram = simulate("mpcnn", preset, batch=3, overrides={"memory.model": "dram"})
        stream = simulate("mpcnn", preset, batch=3, overrides=memory_overrides("stream", cal))
        assert stream.makespan_ps == pytest.approx(dram.makespan_ps, rel=0.10), preset
        assert stream.meta["dram_bytes_read"] == dram.meta["dram_bytes_read"]
        assert stream.meta["dram_bytes_written"] == dram.meta["dram_bytes_written"]
        assert stream.meta["events"] < dram.meta["events"] / 10
        # DRAM energy: the stream model's calibrated command pJ/bit + background power against the model's own
        assert stream.energy["dram"] == pytest.approx(dram.energy["dram"], rel=0.15), preset


def test_reproduce_quick_report_and_bandwidth_sweep():
    from tnpu.reproduce import PAPER, format_report, reproduce

    rep = reproduce(
        ["lenet5", "mpcnn"], batch=3, bandwidths=(4.0, 17.06, 68.0), sweep_networks=("mpcnn",), sweep_batch=2
    )
    for net in ("lenet5", "mpcnn"):
        d = rep["networks"][net]
        assert set(d["presets"]) == set(PRESETS)
        for r in d["presets"].values():
            assert {"time_s", "energy_j", "energy_paper_j", "pu_c_util", "pu_f_util", "dram_util"} <= set(r)
            assert r["energy_paper_j"] < r["energy_j"]
        assert d["speedup_vs_dnpu"] == pytest.approx(
            d["presets"]["dnpu"]["time_s"] / d["presets"]["tnpu"]["time_s"]
        )
    assert set(rep["average"]) >= set(PAPER)
    sweep = rep["bandwidth_sweep"]["mpcnn"]
    # the sweep runs on the sampled model too, each point a real memory system of DDR4-2133 devices
    assert rep["setup"]["sweep_memory"] == "sampled"
    assert rep["setup"]["sweep_paired"] is False
    for preset in PRESETS:
        times = [sweep[preset]["time_s"][str(b)] for b in (4.0, 17.06, 68.0)]
        assert times[0] >= times[1] >= times[2]  # less bandwidth is never faster
        peaks = [sweep[preset]["peak_gbps"][str(b)] for b in (4.0, 17.06, 68.0)]
        assert peaks == pytest.approx([4.264, 17.058, 68.230], abs=1e-3)  # actual peaks: x16, x64, 4 channels
        assert "x16 data bus" in sweep[preset]["dram"]["4.0"]
        assert "4 channels" in sweep[preset]["dram"]["68.0"]
        for b in ("4.0", "17.06", "68.0"):
            lo, hi = sweep[preset]["time_s_ci95"][b]
            assert lo <= sweep[preset]["time_s"][b] <= hi
    text = format_report(rep)
    assert "speedup over DNPU" in text
    assert "bandwidth sensitivity, mpcnn" in text
    assert "bandwidth sweep: memory sampled (95 % intervals of the sampling error only" in text
    assert "    4.26 GB/s: preset:ddr4-2133 at 4.26 GB/s peak (a x16 data bus" in text
    assert "  peak GB/s        4.26    17.06    68.23" in text
    json.dumps(rep)


def test_reproduce_on_the_stream_model_scales_the_sweep_bandwidth():
    from tnpu.reproduce import format_report, reproduce

    rep = reproduce(
        ["lenet5"],
        batch=2,
        memory="stream",
        bandwidths=(4.0, 17.06),
        sweep_networks=("lenet5",),
        sweep_batch=2,
    )
    assert rep["setup"]["sweep_memory"] == "stream"
    assert rep["setup"]["sweep_paired"] is None
    per = rep["bandwidth_sweep"]["lenet5"]["tnpu"]
    assert per["peak_gbps"] == {"4.0": 4.0, "17.06": 17.06}  # the bandwidth model takes the requested peak
    assert per["time_s_ci95"] == {"4.0": None, "17.06": None}
    assert "ddr4-2133: sustained" in per["dram"]["4.0"]
    assert per["time_s"]["4.0"] > per["time_s"]["17.06"]
    assert "bandwidth sweep: memory stream (the calibrated sustained bandwidth scaled" in format_report(rep)


def test_accelerator_runs_are_deterministic_across_threads():
    from concurrent.futures import ThreadPoolExecutor

    def run(_: int) -> tnpu.results.Result:
        return simulate("mpcnn", "tnpu", batch=2, overrides={"memory.model": "dram"})

    serial = run(0)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run, range(3)))
    assert all(serial.equal(r) for r in results)


def test_sweep_with_the_accelerator_evaluator():
    from tnpu.sweep import SerialExecutor, sweep

    rows = sweep(
        {
            "preset": ["tnpu", "dadiannao"],
            "memory.model": ["fixed"],
            "memory.bandwidth_gbps": [8.53, 17.06],
            "batch": [2],
        },
        ["lenet5"],
        SerialExecutor(),
        evaluator="accelerator",
        progress=False,
    )
    assert len(rows) == 4
    by = {(r["preset"], r["memory.bandwidth_gbps"]): r for r in rows}
    for preset in ("tnpu", "dadiannao"):
        assert by[(preset, 8.53)]["time_s"] > by[(preset, 17.06)]["time_s"]
        direct = simulate(
            "lenet5", preset, batch=2, overrides={"memory.model": "fixed", "memory.bandwidth_gbps": 17.06}
        )
        assert by[(preset, 17.06)]["time_s"] == direct.time_s
    with pytest.raises(ConfigError, match="space"):
        sweep({"preset": ["nope"]}, ["lenet5"], SerialExecutor(), evaluator="accelerator", progress=False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"energy": {"sram_access_pj": 5}}, "energy.sram_access_pj"),
        ({"energy": {"sram_access_pj": {"global_buffer": "x"}}}, "energy.sram_access_pj.global_buffer"),
        ({"energy": {"mac_pj": -1}}, "energy.mac_pj"),
        ({"name": 5}, "name"),
        ({"window": -2}, "window"),
        ({"batch": 7, "instance_samples": 2}, "instance_samples"),
        ({"buffer": {"capacity_bytes": 0}}, "buffer.capacity_bytes"),
        ({"clock": {"frequency_mhz": 333.0}}, "clock.frequency_mhz"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_preset_fields_are_named(change, field):
    from tnpu.accelerator import accelerator_from_dict

    data = {**load_accelerator("tnpu").to_dict(), **change}
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")) as info:
        accelerator_from_dict(data, "mine.toml")
    assert "mine.toml" in str(info.value)


def test_to_pandas_has_readable_columns():
    pytest.importorskip("pandas")
    r = simulate("lenet5", "dnpu", batch=2, overrides=FAST)
    df = r.to_pandas()
    assert len(df) == len(r.tasks)
    assert set(df["phase"]) == {"FP", "BP", "GD", "WU"}
    assert set(df["engine"]) == {"pu_c", "pu_f"}
    assert (df["end_ps"] >= df["start_ps"]).all()
    assert df["layer_name"].iloc[0] == r.layer_names[int(r.tasks["layer"][0])]
    assert df["layer"].iloc[0] == r.layer_names[int(r.tasks["layer"][0])]
    assert (df["layer_index"] == r.tasks["layer"]).all()
    assert {"conv", "linear", "relu"} <= set(df["layer_kind"])
    assert set(df["task_class"]) == {"matrix", "vector"}


def test_progress_reports_and_can_stop_a_run():
    calls: list[tuple[int, int]] = []
    r = simulate("mpcnn", "tnpu", batch=4, overrides=FAST, progress=lambda a, b: calls.append((a, b)))
    assert calls[-1] == (len(r.tasks), len(r.tasks))
    assert [a for a, _ in calls] == sorted(a for a, _ in calls)

    class Stop(Exception):
        pass

    def stop(started: int, _total: int) -> None:
        if started > 20:
            raise Stop

    with pytest.raises(Stop):
        simulate("mpcnn", "tnpu", batch=4, overrides={"memory.model": "dram"}, progress=stop)
    # the process is fine afterwards
    assert simulate("mpcnn", "tnpu", batch=4, overrides=FAST).equal(
        simulate("mpcnn", "tnpu", batch=4, overrides=FAST)
    )


def test_elementwise_placement():
    vec = simulate("mpcnn", "tnpu", batch=2, overrides=FAST)
    prod = simulate("mpcnn", "tnpu", batch=2, overrides={**FAST, "elementwise": "producer"})
    relu = vec.tasks["layer_kind"] == 4  # ReLU layers
    assert set(vec.tasks["engine"][relu]) == {1}  # all on PU-f
    assert set(prod.tasks["engine"][prod.tasks["layer_kind"] == 4]) == {0, 1}  # conv-side ones on PU-c
    assert prod.summary()["macs"] == vec.summary()["macs"]
    with pytest.raises(ConfigError, match="elementwise"):
        simulate("mpcnn", "tnpu", overrides={"elementwise": "fused"})


def test_run_says_when_the_cycle_level_dram_will_take_minutes(capsys):
    import argparse

    from tnpu.commands.run import _warn_if_long

    def note(model: str, batch: int, memory: str) -> str:
        args = argparse.Namespace(arch="tnpu", model=model, batch=batch)
        _warn_if_long(args, {"memory.model": memory})
        return capsys.readouterr().err

    assert "--memory stream" in note("vgg16", 50, "dram")
    assert note("vgg16", 50, "fixed") == ""
    assert note("lenet5", 50, "dram") == ""


def test_example_accelerator_sweep_spec_is_valid():
    from pathlib import Path

    from tnpu.sweep import get_evaluator, load_spec, make_points

    spec = load_spec(Path(__file__).resolve().parents[1] / "examples" / "sweep_accelerator.toml")
    assert spec.evaluator == "accelerator"
    points = make_points(spec.space, spec.workloads, spec.evaluator)
    assert len(points) == 36
    check = get_evaluator("accelerator").check
    assert check is not None
    for point in points:
        check(point)
    row = get_evaluator("accelerator").fn({**points[0], "params": {**points[0]["params"], "batch": 2}})
    assert row["time_s"] > 0
