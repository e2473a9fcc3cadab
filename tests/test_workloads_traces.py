"""Compute traces: round trips, the shipped samples, and rejection of malformed files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tnpu.errors import TraceFormatError
from tnpu.workloads import Phase, TrainingGraph, get_network, read_compute_trace, write_compute_trace

SAMPLES = Path(__file__).resolve().parents[1] / "traces" / "compute"


@pytest.mark.parametrize("suffix", [".csv", ".npz"])
def test_round_trip_keeps_every_field(tmp_path, suffix):
    a = TrainingGraph(get_network("resnet18"), batch=2, instance_samples=2, batches=2).to_arrays()
    a.tasks["start_cycle"][::3] = np.arange(0, len(a), 3) * 10
    a.tasks["end_cycle"][::3] = np.arange(0, len(a), 3) * 10 + 7
    path = tmp_path / f"r18{suffix}"
    write_compute_trace(a, path)
    b = read_compute_trace(path)
    assert b.equal(a)
    assert b.meta["network"] == "resnet18"
    assert b.meta["batches"] == 2


@pytest.mark.parametrize("name", ["lenet5", "alexnet"])
@pytest.mark.parametrize("suffix", [".csv", ".npz"])
def test_shipped_samples_match_the_current_graph(name, suffix):
    trace = read_compute_trace(SAMPLES / f"{name}_b2{suffix}")
    assert trace.equal(TrainingGraph(get_network(name), batch=2).to_arrays())


def write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_minimal_csv_with_recorded_cycles(tmp_path):
    path = write(
        tmp_path,
        "# recorded on some other tool\n"
        "id,phase,layer,kind,m,n,k,deps,start_cycle,end_cycle\n"
        "5,FP,conv1,conv,4,100,27,,0,120\n"
        "6,FP,fc,linear,10,1,400,5,120,\n"
        "7,BP,fc,linear,400,1,10,6 5,,\n",
    )
    t = read_compute_trace(path)
    assert t.layer_names == ("conv1", "fc")
    assert t.tasks["macs"].tolist() == [4 * 100 * 27, 4000, 4000]
    assert t.tasks["start_cycle"].tolist() == [0, 120, -1]
    assert t.tasks["end_cycle"].tolist() == [120, -1, -1]
    assert t.tasks["phase"].tolist() == [Phase.FP, Phase.FP, Phase.BP]
    assert t.deps(2).tolist() == [6, 5]


HEADER = "id,phase,layer,kind,deps\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (HEADER + "0,FP,c,conv\n", r"t.csv:2: expected 5 fields, got 4"),
        (HEADER + "0,XP,c,conv,\n", r"t.csv:2: expected phase FP, BP, GD or WU, got 'XP'"),
        (HEADER + "0,FP,c,lstm,\n", r"t.csv:2: unknown layer kind 'lstm'"),
        (HEADER + "0,FP,c,conv,\nx,FP,c,conv,\n", r"t.csv:3: expected a whole number for id, got 'x'"),
        (HEADER + "0,FP,c,conv,1;2\n", r"t.csv:2: expected dependency ids separated by spaces"),
        (HEADER + "0,FP,c,conv,1" + "0" * 30 + "\n", r"t.csv:2: expected dependency ids separated by spaces"),
        ("id,phase,layer,kind,deps,colour\n", r"t.csv:1: expected column names among .* got 'colour'"),
        ("id,phase,layer,kind\n", r"t.csv:1: expected a header with column 'deps'"),
        ("# nothing\n", r"t.csv: expected a header line"),
        (
            HEADER + "0,FP,c,conv,\n1,FP,c,conv,0\n1,BP,c,conv,\n",
            r"t.csv: task graph: task id 1 is used twice",
        ),
        (
            HEADER + "0,FP,c,conv,2\n1,FP,c,conv,0\n2,FP,c,conv,1\n",
            r"t.csv: .*cycle through task ids 0 -> 1 -> 2 -> 0",
        ),
        (
            HEADER + "0,FP,c,conv,\n1,BP,c,conv,0 42\n",
            r"t.csv: .*task 1 \(BP .*depends on task 42, which does not exist",
        ),
        (HEADER.replace("deps", "deps,m") + "0,FP,c,conv,,-3\n", r"t.csv:2: expected m >= 0, got '-3'"),
        (
            "# layers: a,b\n" + HEADER + "0,FP,c,conv,\n",
            r"t.csv:3: expected a layer listed in '# layers:', got 'c'",
        ),
    ],
)
def test_malformed_csv_is_rejected_with_place_and_reason(tmp_path, body, message):
    with pytest.raises(TraceFormatError, match=message):
        read_compute_trace(write(tmp_path, body))


def test_binary_garbage_is_rejected(tmp_path):
    text = tmp_path / "t.csv"
    text.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TraceFormatError, match=r"t.csv: expected a UTF-8 text file"):
        read_compute_trace(text)
    bad = tmp_path / "t.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TraceFormatError, match=r"t.npz: expected a numpy .npz archive"):
        read_compute_trace(bad)
    with pytest.raises(TraceFormatError, match=r"expected a .csv or .npz compute trace"):
        read_compute_trace(tmp_path / "t.json")


def test_npz_with_wrong_content_is_rejected(tmp_path):
    a = TrainingGraph(get_network("lenet5"), batch=1).to_arrays()
    good = tmp_path / "g.npz"
    write_compute_trace(a, good)
    content = dict(np.load(good))

    def rewrite(**changes):
        data = {**content, **changes}
        data = {k: v for k, v in data.items() if v is not None}
        path = tmp_path / "bad.npz"
        np.savez(path, **data)
        return path

    with pytest.raises(TraceFormatError, match=r"bad.npz: expected an array 'macs'"):
        read_compute_trace(rewrite(macs=None))
    with pytest.raises(TraceFormatError, match=r"expected 'phase' as .* whole numbers, got float64"):
        read_compute_trace(rewrite(phase=content["phase"].astype(float)))
    with pytest.raises(TraceFormatError, match=r"expected format 'tnpu compute trace'"):
        read_compute_trace(rewrite(format=np.array("something else")))
    deps = content["dep_ids"].copy()
    deps[-1] = len(a) - 1  # the last WU task now waits for itself... through a cycle
    with pytest.raises(TraceFormatError, match=r"bad.npz: task graph: .*(cycle|itself)"):
        read_compute_trace(rewrite(dep_ids=deps))
