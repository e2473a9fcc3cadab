"""``tnpu workloads``: the zoo table, its JSON form, one network's view and trace export."""

from __future__ import annotations

import json

from tnpu.cli import main
from tnpu.workloads import LayerKind, get_network, list_networks, read_compute_trace


def test_json_lists_every_zoo_network_with_the_agreed_keys(capsys):
    assert main(["workloads", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list_networks()
    for row in rows:
        assert set(row) == {"name", "layers", "macs", "weights", "training_macs"}
        net = get_network(row["name"])
        assert row["macs"] == net.forward_macs
        assert row["weights"] == net.params
        assert row["training_macs"] == net.training_macs
        assert row["layers"] == net.count(LayerKind.CONV, LayerKind.LINEAR)
    alexnet = next(r for r in rows if r["name"] == "alexnet")
    assert alexnet["layers"] == 8
    assert round(alexnet["macs"] / 1e6, 1) == 724.4


def test_table_lists_the_zoo(capsys):
    assert main(["workloads"]) == 0
    out = capsys.readouterr().out
    for name in list_networks():
        assert f"\n{name} " in out
    assert "724.41M" in out
    assert "15.47G" in out


def test_one_network_with_trace_export(tmp_path, capsys):
    path = tmp_path / "mp.npz"
    assert main(["workloads", "mpcnn", "--batch", "4", "--instance-samples", "2", "--trace", str(path)]) == 0
    out = capsys.readouterr().out
    assert "conv2" in out
    assert "training graph: batch 4, 2 sample(s) per instance" in out
    trace = read_compute_trace(path)
    assert trace.meta["instance_samples"] == 2
    assert int(trace.tasks["macs"].sum()) == 4 * get_network("mpcnn").training_macs
    assert main(["workloads", "lenet5", "--batch", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["graph"]["tasks"] == 65
    assert data["phases"][-1]["group"] == "total"


def test_bad_arguments(capsys):
    assert main(["workloads", "vgg19"]) == 1
    assert "unknown network 'vgg19'" in capsys.readouterr().err
    assert main(["workloads", "lenet5", "--batch", "4", "--instance-samples", "3"]) == 1
    assert "must divide the batch" in capsys.readouterr().err
