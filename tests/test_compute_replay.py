"""Compute-trace replay: each recorded task predicted in isolation on a preset, against its recorded cycles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import tnpu
from tnpu.cli import main
from tnpu.compute_replay import equivalent_linear, predict_task_cycles, record_timings, replay_compute_trace
from tnpu.errors import TraceFormatError
from tnpu.workloads import TrainingGraph, get_network
from tnpu.workloads.layers import LayerKind, Phase
from tnpu.workloads.traces import write_compute_trace

IDEAL = {"memory.model": "ideal"}
FIXED = {"memory.model": "fixed"}


def _recorded(net: str, overrides: dict, batch: int = 2, scheduler: str = "inorder"):
    arrays = TrainingGraph(get_network(net), batch=batch).to_arrays()
    result = tnpu.simulate(net, "tnpu", batch=batch, scheduler=scheduler, overrides=overrides)
    return record_timings(arrays, result)


@pytest.mark.parametrize("layer_name", ["c3", "f6"])
@pytest.mark.parametrize("phase", ["FP", "BP", "GD"])
def test_equivalent_linear_lowers_to_the_same_gemm_and_operands(layer_name, phase):
    layer = next(lay for lay in get_network("lenet5").layers if lay.name == layer_name)
    m, n, k = layer.gemm(phase, 1)
    real = tnpu.simulate_layer(layer.layer_shape(1), phase, memory="ideal")
    kind = int(LayerKind.CONV) if layer_name == "c3" else int(LayerKind.LINEAR)
    equiv = tnpu.simulate_layer(equivalent_linear(kind, int(Phase[phase]), m, n, k), phase, memory="ideal")
    assert equiv.gemm == real.gemm
    # MACs are the useful ones (conv BP's GEMM also multiplies the zeros of the padded dY); a linear GEMM has none
    assert real.macs == layer.macs(phase, 1)
    assert equiv.macs == m * n * k
    assert equiv.operands[2] == real.operands[2]  # the output (dW for GD: accumulated the same way)
    if layer_name == "f6":
        assert equiv.operands == real.operands


def test_own_model_with_ideal_memory_gives_about_zero_error():
    """Recorded by tnpu.simulate (inorder: one task at a time): FC and element-wise tasks exact, conv within 1 %."""
    rep = replay_compute_trace(_recorded("lenet5", IDEAL), "tnpu", overrides=IDEAL)
    t = rep.tasks
    conv = (t["kind"] == int(LayerKind.CONV)) & (t["phase"] != int(Phase.WU))
    rest = ~conv & (t["recorded_cycles"] > 0)
    assert rest.sum() > 20
    assert conv.sum() == 16
    assert np.array_equal(t["predicted_cycles"][rest], t["recorded_cycles"][rest])
    assert np.abs(t["error"][conv]).max() < 0.03  # tiling without the im2col footprint
    s = rep.summary()
    assert s["compared"] + s["zero_recorded"] == len(t) == 65
    assert s["mape_pct"] < 0.5
    assert abs(s["total_error_pct"]) < 1


def test_own_model_with_fixed_memory_is_exact_off_the_conv_tasks():
    rep = replay_compute_trace(_recorded("lenet5", FIXED), "tnpu", overrides=FIXED)
    t = rep.tasks
    rest = ((t["kind"] != int(LayerKind.CONV)) | (t["phase"] == int(Phase.WU))) & (t["recorded_cycles"] > 0)
    assert np.array_equal(t["predicted_cycles"][rest], t["recorded_cycles"][rest])


def test_perturbed_trace_gives_the_expected_error():
    arrays = _recorded("lenet5", IDEAL)
    t = arrays.tasks
    dur = t["end_cycle"] - t["start_cycle"]
    conv = (t["layer_kind"] == int(LayerKind.CONV)) & (t["phase"] != int(Phase.WU))
    t["end_cycle"] = t["start_cycle"] + np.where(
        conv, dur, 2 * dur
    )  # everything but conv recorded twice as slow
    rep = replay_compute_trace(arrays, "tnpu", overrides=IDEAL)
    r = rep.tasks
    gemm_conv = (r["kind"] == int(LayerKind.CONV)) & (r["phase"] != int(Phase.WU))
    doubled = ~gemm_conv & (r["recorded_cycles"] > 0)
    assert np.allclose(r["error"][doubled], -0.5)
    n_doubled, n_conv = int(doubled.sum()), int(gemm_conv.sum())
    expected = 50.0 * n_doubled / (n_doubled + n_conv)  # conv tasks stay near 0 %
    assert rep.summary()["mape_pct"] == pytest.approx(expected, abs=0.5)
    worst = rep.summary(worst=3)["worst"]
    assert all(w["error_pct"] == pytest.approx(-50.0) for w in worst)


def test_contention_in_a_concurrent_recording_shows_as_error():
    """A reorder run overlaps PU-c and PU-f on one memory: tasks wait for each other's traffic, isolation does not."""
    concurrent = replay_compute_trace(
        _recorded("lenet5", FIXED, scheduler="reorder"), "tnpu", overrides=FIXED
    )
    alone = replay_compute_trace(_recorded("lenet5", FIXED), "tnpu", overrides=FIXED)
    assert concurrent.summary()["mape_pct"] > alone.summary()["mape_pct"] + 5


def test_presets_predict_with_their_own_engines():
    arrays = TrainingGraph(get_network("lenet5"), batch=1).to_arrays()
    fc = arrays.tasks["layer_kind"] == int(LayerKind.LINEAR)
    tnpu_cycles = predict_task_cycles(arrays, "tnpu", overrides=IDEAL)
    dadn = predict_task_cycles(arrays, "dadiannao", overrides=IDEAL)
    # FC work on 272 lanes (DaDianNao's unit) against PU-f's 16.
    assert (dadn[fc] <= tnpu_cycles[fc]).all()
    assert (dadn[fc] * 5 < tnpu_cycles[fc]).sum() >= len(dadn[fc]) // 2


def test_unrecorded_tasks_are_skipped_and_counted():
    arrays = _recorded("lenet5", IDEAL)
    arrays.tasks["start_cycle"][:10] = -1
    arrays.tasks["end_cycle"][:10] = -1
    rep = replay_compute_trace(arrays, "tnpu", overrides=IDEAL)
    assert rep.unrecorded == 10
    assert len(rep.tasks) == len(arrays) - 10


def test_cli_table_worst_first_and_json(tmp_path: Path, capsys):
    arrays = _recorded("lenet5", FIXED, scheduler="reorder")
    path = tmp_path / "rec.csv"
    write_compute_trace(arrays, path)
    assert main(["replay", "compute", str(path), "--arch", "tnpu", "--memory", "fixed", "--top", "5"]) == 0
    out = capsys.readouterr().out
    errors = [float(line.split()[-1]) for line in out.splitlines()[2:7]]
    assert errors == sorted(errors, key=abs, reverse=True)
    assert "mean absolute percentage error" in out
    assert "worst tasks:" in out
    assert main(["replay", "compute", str(path), "--memory", "fixed", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["compared"] + doc["summary"]["zero_recorded"] == len(arrays)
    ape = [abs(t["error_pct"]) for t in doc["tasks"] if t["error_pct"] is not None]
    assert ape == sorted(ape, reverse=True)
    assert doc["summary"]["mape_pct"] == pytest.approx(sum(ape) / len(ape))


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("no_timing", "no task has a recorded start_cycle/end_cycle"),
        ("backwards", "is before start_cycle"),
        ("half", "expected both start_cycle and end_cycle"),
        ("bad_field", "expected a whole number for m"),
    ],
)
def test_bad_trace_exits_1_naming_the_file(tmp_path: Path, capsys, case, expect):
    arrays = _recorded("lenet5", IDEAL)
    t = arrays.tasks
    if case == "no_timing":
        t["start_cycle"], t["end_cycle"] = -1, -1
    elif case == "backwards":
        t["end_cycle"][3] = t["start_cycle"][3] - 1
    elif case == "half":
        t["end_cycle"][3] = -1
    path = tmp_path / f"{case}.csv"
    write_compute_trace(arrays, path)
    if case == "bad_field":
        lines = path.read_text().splitlines()
        row = next(i for i, line in enumerate(lines) if ",conv,6," in line)
        lines[row] = lines[row].replace(",conv,6,", ",conv,six,")
        path.write_text("\n".join(lines) + "\n")
        expect = f"{path}:{row + 1}: {expect}"
    assert main(["replay", "compute", str(path), "--memory", "ideal"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tnpu replay: error: ")
    assert err.count("\n") == 1
    assert str(path) in err
    assert expect in err
    with pytest.raises(TraceFormatError):
        replay_compute_trace(path, "tnpu", overrides=IDEAL)
