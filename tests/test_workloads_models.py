"""Model files wherever a network is named: the one resolver (tnpu.workloads.load_model) behind tnpu run --model,
tnpu workloads, sweeps and tnpu.simulate; zoo names, .onnx files, file.py:function and compute traces.

Tests that need torch or onnx skip when they are not installed; the others use model files that return a tnpu
Network, which need neither."""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import sys
import textwrap
import warnings

import numpy as np
import pytest

import tnpu
from tnpu.cli import main
from tnpu.errors import ConfigError
from tnpu.workloads import (
    LayerKind,
    Network,
    Phase,
    TaskArrays,
    TrainingGraph,
    get_network,
    load_model,
    write_compute_trace,
)
from tnpu.workloads.resolve import parse_input_shape, spec_kind, split_spec, trace_network, trace_totals

IDEAL = {"memory.model": "ideal"}

MODEL_PY = """
from tnpu.workloads import NetworkBuilder, get_network


def lenet():
    return get_network("lenet5")


def tiny():
    b = NetworkBuilder("tiny", (1, 8, 8))
    b.conv("conv", 4, 3, padding=1)
    b.relu("relu")
    b.flatten("flat")
    b.linear("fc", 10)
    return b.build()


def not_a_model():
    return 42


def broken():
    return {}["missing"]


NOT_CALLABLE = 3
"""

TORCH_PY = """
import torch
from torch import nn


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(8, 10),
    )
"""


@pytest.fixture
def model_py(tmp_path):
    path = tmp_path / "models.py"
    path.write_text(MODEL_PY)
    return path


def test_specs_are_told_apart():
    assert spec_kind("vgg16") == "zoo"
    assert spec_kind("nets/my.onnx") == "onnx"
    assert spec_kind("nets/models.py:resnet") == "python"
    assert spec_kind("C:/nets/models.py:resnet@3,32,32") == "python"
    assert spec_kind("trace.csv") == "trace"
    assert spec_kind("trace.NPZ") == "trace"
    assert spec_kind("models.py") == "file"
    assert split_spec("m.py:f@3, 32,32") == ("m.py:f", (3, 32, 32))
    assert split_spec("m.py:f@1,3,32,32") == ("m.py:f", (3, 32, 32))
    assert split_spec("odd@name") == ("odd@name", None)


def test_input_shapes():
    assert parse_input_shape("3,224,224") == (3, 224, 224)
    assert parse_input_shape("1,3,224,224") == (3, 224, 224)  # PyTorch's example input
    assert parse_input_shape([1, 28, 28]) == (1, 28, 28)
    with pytest.raises(ConfigError, match=r"first is the example input's batch and must be 1"):
        parse_input_shape("50,3,224,224")
    with pytest.raises(ConfigError, match=r"expected C,H,W per sample"):
        parse_input_shape("224,224")
    with pytest.raises(ConfigError, match=r"expected C,H,W per sample"):
        parse_input_shape("3,a,4")


def test_zoo_names_and_their_errors():
    assert load_model("LeNet-5").name == "lenet5"
    with pytest.raises(
        ConfigError, match=r"unknown network 'vgg19' \(expected a zoo network: .*or a model file"
    ):
        load_model("vgg19")
    with pytest.raises(ConfigError, match=r"zoo network 'vgg16' has a fixed input 3x224x224"):
        load_model("vgg16", "3,32,32")


def test_missing_and_unknown_files(tmp_path):
    for spec, what in (
        (tmp_path / "gone.onnx", "an ONNX model"),
        (tmp_path / "gone.csv", "a compute trace"),
        (f"{tmp_path / 'gone.py'}:net", "a Python file defining net()"),
    ):
        with pytest.raises(ConfigError, match=rf"no such file '.*gone\.\w+' \(expected {what}"):
            load_model(str(spec))
    odd = tmp_path / "model.h5"
    odd.write_bytes(b"\x89HDF")
    with pytest.raises(
        ConfigError, match=r"unknown kind of model file \(expected a zoo network, an \.onnx file"
    ):
        load_model(str(odd))
    with pytest.raises(
        ConfigError, match=r"a Python file is named with its function: '.*models\.py:function'"
    ):
        load_model(str(tmp_path / "models.py"))


def test_python_model_files(model_py):
    net = load_model(f"{model_py}:tiny")
    assert isinstance(net, Network)
    assert net.name == "tiny"
    assert load_model(f"{model_py}:lenet").forward_macs == get_network("lenet5").forward_macs
    with pytest.raises(
        ConfigError, match=r"has no function 'resnet' \(it defines: broken, lenet, not_a_model, tiny\)"
    ):
        load_model(f"{model_py}:resnet")
    with pytest.raises(ConfigError, match=r"'NOT_CALLABLE' in .*models\.py is a int, not a function"):
        load_model(f"{model_py}:NOT_CALLABLE")
    with pytest.raises(ConfigError, match=r"not_a_model\(\) returned int; expected a torch nn\.Module"):
        load_model(f"{model_py}:not_a_model")
    line = MODEL_PY.splitlines().index('    return {}["missing"]') + 1
    with pytest.raises(
        ConfigError, match=rf"broken\(\) raised KeyError: 'missing' \(models\.py, line {line}\)"
    ):
        load_model(f"{model_py}:broken")
    with pytest.raises(ConfigError, match=r"returned a Network with input 1x8x8, not 3x8x8"):
        load_model(f"{model_py}:tiny@3,8,8")


def test_python_model_file_that_does_not_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def net():\n    return 1\n\nx = = 2\n")
    with pytest.raises(ConfigError, match=r"importing .*bad\.py failed: SyntaxError: .* \(bad\.py, line 4\)"):
        load_model(f"{bad}:net")
    raising = tmp_path / "raising.py"
    raising.write_text("import math\n\nVALUE = math.sqrt(-1)\n")
    with pytest.raises(ConfigError, match=r"ValueError: math domain error \(raising\.py, line 3\)"):
        load_model(f"{raising}:net")


def test_missing_torch_says_how_to_install_it(tmp_path, monkeypatch):
    path = tmp_path / "net.py"
    path.write_text(TORCH_PY)
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(
        ImportError, match=r"imports torch, which is not installed: pip install \"tnpu-sim\[torch\]\""
    ):
        load_model(f"{path}:small_cnn@3,16,16")


def test_missing_onnx_says_how_to_install_it(tmp_path, monkeypatch):
    path = tmp_path / "net.onnx"
    path.write_bytes(b"not really")
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install \"tnpu-sim\[onnx\]\""):
        load_model(str(path))


def test_torch_model_files(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "net.py"
    path.write_text(TORCH_PY)
    with pytest.raises(
        ConfigError, match=r"a PyTorch module needs its per-sample input shape: --input-shape C,H,W"
    ):
        load_model(f"{path}:small_cnn")
    net = load_model(f"{path}:small_cnn", "1,3,16,16")
    assert net.name == "small_cnn"
    assert net.input_shape == (3, 16, 16)
    assert net.forward_macs == 16 * 16 * 8 * 27 + 80
    assert load_model(f"{path}:small_cnn@3,16,16").params == net.params
    with pytest.raises(ConfigError, match=r"input shape given twice"):
        load_model(f"{path}:small_cnn@3,16,16", (3, 8, 8))
    # tnpu.simulate takes the spec, and a module with its input shape
    r = tnpu.simulate(f"{path}:small_cnn", "tnpu", input_shape=(3, 16, 16), batch=2, overrides=IDEAL)
    assert r.summary()["model"] == "small_cnn"
    assert int(r.tasks["macs"].sum()) == 2 * net.training_macs
    from_module = tnpu.simulate(
        load_model(f"{path}:small_cnn@3,16,16"), "tnpu", batch=2, overrides=IDEAL
    ).summary()["time_s"]
    assert from_module == r.summary()["time_s"]


def exported_onnx(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    source = tmp_path / "cnn_def.py"
    source.write_text(TORCH_PY)
    model = runpy.run_path(str(source))["small_cnn"]().eval()
    path = tmp_path / "cnn.onnx"
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, 3, 16, 16),), str(path))
    return path, model


def test_onnx_files_everywhere(tmp_path, capsys):
    path, model = exported_onnx(tmp_path)
    net = load_model(str(path))
    assert net.name == "cnn"
    assert net.params == sum(p.numel() for p in model.parameters())
    # tnpu workloads FILE --json: the fields of a zoo network
    assert main(["workloads", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {k: data[k] for k in ("name", "macs", "weights", "training_macs")} == {
        "name": "cnn",
        "macs": net.forward_macs,
        "weights": net.params,
        "training_macs": net.training_macs,
    }
    # tnpu run --model FILE (it said "unknown network" before)
    assert main(["run", "--model", str(path), "--batch", "2", "--memory", "ideal", "--quiet", "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["summary"]["model"] == "cnn"
    assert run["summary"]["macs"] == 2 * net.training_macs
    assert tnpu.simulate(path, batch=2, overrides=IDEAL).summary()["time_s"] == run["summary"]["time_s"]


def test_workloads_of_a_model_file_prints_the_zoo_fields(model_py, capsys):
    assert main(["workloads", f"{model_py}:lenet", "--json"]) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert main(["workloads", "lenet5", "--json"]) == 0
    from_zoo = json.loads(capsys.readouterr().out)
    assert from_file == from_zoo
    assert main(["workloads", f"{model_py}:tiny", "--batch", "2"]) == 0
    out = capsys.readouterr().out
    assert "tiny: input 1x8x8" in out
    assert main(["workloads", f"{model_py}:resnet"]) == 1
    assert "has no function 'resnet'" in capsys.readouterr().err


def test_compute_traces_as_models(tmp_path, capsys):
    path = tmp_path / "lenet5_b2.csv"
    assert main(["workloads", "lenet5", "--batch", "2", "--trace", str(path)]) == 0
    capsys.readouterr()
    arrays = load_model(str(path))
    assert isinstance(arrays, TaskArrays)
    net = get_network("lenet5")
    assert trace_network(arrays) is not None
    assert trace_totals(arrays) == {
        "name": "lenet5",
        "macs": net.forward_macs,
        "weights": net.params,
        "training_macs": net.training_macs,
    }
    # tnpu workloads TRACE --json: the same fields as for the network
    assert main(["workloads", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {k: data[k] for k in ("name", "macs", "weights", "training_macs")} == trace_totals(arrays)
    assert [row["name"] for row in data["layers"]] == [layer.name for layer in net.layers]
    assert data["graph"]["tasks"] == 65
    assert main(["workloads", str(path), "--batch", "4"]) == 1
    assert "holds batch = 2" in capsys.readouterr().err
    # a trace of a zoo network runs with that network's layer shapes: the same run as the network itself
    by_trace = tnpu.simulate(str(path), overrides=IDEAL)
    by_name = tnpu.simulate("lenet5", batch=2, overrides=IDEAL)
    assert by_trace.summary()["time_s"] == by_name.summary()["time_s"]
    assert np.array_equal(by_trace.tasks, by_name.tasks)
    with pytest.raises(
        ConfigError, match=r"batch: the compute trace holds batch = 2 .* batch = 8 cannot apply"
    ):
        tnpu.simulate(str(path), batch=8, overrides=IDEAL)
    with pytest.raises(ConfigError, match=r"an input shape does not apply"):
        load_model(str(path), "1,32,32")


def test_a_trace_of_no_zoo_network_runs_as_gemms(model_py, tmp_path, capsys):
    net = load_model(f"{model_py}:tiny")
    graph = TrainingGraph(net, batch=4)
    path = tmp_path / "tiny.npz"
    write_compute_trace(graph.to_arrays(), path)
    arrays = load_model(str(path))
    assert trace_network(arrays) is None
    r = tnpu.simulate(str(path), overrides=IDEAL)
    s = r.summary()
    assert s["model"] == "tiny"
    assert s["batch"] == 4
    assert s["macs"] == 4 * net.training_macs
    assert len(r.tasks) == len(graph)
    assert main(["run", "--model", str(path), "--memory", "ideal", "--quiet"]) == 0
    assert "tiny on tnpu" in capsys.readouterr().out
    assert main(["workloads", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["macs"], data["weights"], data["training_macs"]) == (
        net.forward_macs,
        net.params,
        net.training_macs,
    )


def test_sweeps_take_model_specs(model_py, tmp_path):
    from tnpu.sweep import SerialExecutor, sweep

    trace = tmp_path / "lenet5.csv"
    write_compute_trace(TrainingGraph(get_network("lenet5"), batch=2).to_arrays(), trace)
    rows = sweep(
        {"window": [1, 2]},
        [f"{model_py}:tiny", str(trace)],
        SerialExecutor(),
        evaluator="accelerator",
        progress=False,
    )
    assert [r["workload"] for r in rows] == [f"{model_py}:tiny"] * 2 + [str(trace)] * 2
    assert all(r["error"] is None for r in rows)
    rows = sweep({"batch": [1]}, [f"{model_py}:tiny"], SerialExecutor(), progress=False)
    assert rows[0]["macs"] == load_model(f"{model_py}:tiny").training_macs  # FP, BP (not the first), GD
    with pytest.raises(ConfigError, match=r"is a compute trace: the 'layer' evaluator needs layer shapes"):
        sweep({"batch": [1]}, [str(trace)], SerialExecutor(), progress=False)
    with pytest.raises(
        ConfigError, match=r"workloads: model '.*models\.py:resnet': .* has no function 'resnet'"
    ):
        sweep({"batch": [1]}, [f"{model_py}:resnet"], SerialExecutor(), progress=False)


def test_sweep_command_takes_workloads(model_py, tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(
        textwrap.dedent(
            """
            [sweep]
            workloads = ["lenet5"]
            [space]
            batch = [1]
            """
        )
    )
    out = tmp_path / "r.parquet"
    pytest.importorskip("pyarrow")
    assert (
        main(
            [
                "sweep",
                str(spec),
                "--workers",
                "1",
                "--workload",
                f"{model_py}:tiny",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["workload"] for r in rows] == [f"{model_py}:tiny"]


STRIDED_PY = """
from tnpu.workloads import NetworkBuilder


def strided():
    b = NetworkBuilder("strided", (3, 16, 16))
    b.conv("conv1", 8, 3, stride=2)
    b.relu("relu")
    b.conv("conv2", 8, 3, padding=0)
    b.flatten("flat")
    b.linear("fc", 10)
    return b.build()
"""


def test_a_trace_of_no_zoo_network_counts_the_traced_macs(tmp_path):
    # conv BP lowers to a GEMM with slots that multiply zeros when the conv strides or does not pad: run as an
    # equivalent linear GEMM, its time is that GEMM's, but its MACs are the trace's (BP MACs = FP MACs)
    models = tmp_path / "strided.py"
    models.write_text(STRIDED_PY)
    net = load_model(f"{models}:strided")
    graph = TrainingGraph(net, batch=2)
    path = tmp_path / "strided.npz"
    write_compute_trace(graph.to_arrays(), path)
    assert trace_network(load_model(str(path))) is None
    r = tnpu.simulate(str(path), overrides=IDEAL)
    assert r.summary()["macs"] == 2 * net.training_macs
    t = graph.to_arrays().tasks
    conv_bp = t[(t["phase"] == int(Phase.BP)) & (t["layer_kind"] == int(LayerKind.CONV))]
    assert len(conv_bp) > 0
    simulated = {int(i): int(m) for i, m in zip(r.tasks["task_id"], r.tasks["macs"], strict=True)}
    assert [simulated[int(i)] for i in conv_bp["id"]] == [int(m) for m in conv_bp["macs"]]
    assert (conv_bp["m"] * conv_bp["n"] * conv_bp["k"] > conv_bp["macs"]).any()  # zero slots exist
