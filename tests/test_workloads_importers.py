"""Importers: PyTorch through torch.fx and ONNX (PyTorch's own exports, every way), against the torch modules and the
zoo; unsupported ops name the op, the node and the nearest supported equivalent.

Tests that need torch, onnx or onnxscript (the default exporter) skip when they are not installed."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import warnings
from collections import Counter

import numpy as np
import pytest

from tnpu.errors import ConfigError
from tnpu.workloads import LayerKind, NetworkBuilder, TrainingGraph, from_onnx, from_torch, get_network


def same_graph(a, b) -> bool:
    """Same tasks and dependencies; layer names may differ."""
    x = TrainingGraph(a, batch=2).to_arrays()
    y = TrainingGraph(b, batch=2).to_arrays()
    return np.array_equal(x.tasks, y.tasks) and np.array_equal(x.dep_ids, y.dep_ids)


def test_importers_are_imported_only_when_used():
    code = "import sys, tnpu.workloads; print('torch' in sys.modules, 'onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# --- PyTorch ---------------------------------------------------------------------------------------------------


def torchvision_style_resnet18():
    """ResNet-18 written as torchvision writes it (torchvision itself does not install next to this torch)."""
    nn = pytest.importorskip("torch.nn")
    torch = pytest.importorskip("torch")

    class BasicBlock(nn.Module):
        def __init__(self, inplanes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inplanes != planes:
                self.downsample = nn.Sequential(
                    nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes)
                )

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class ResNet(nn.Module):
        def __init__(self, num_classes=1000):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            inplanes, stages = 64, []
            for i, planes in enumerate((64, 128, 256, 512)):
                stages.append(
                    nn.Sequential(
                        BasicBlock(inplanes, planes, 1 if i == 0 else 2), BasicBlock(planes, planes)
                    )
                )
                inplanes = planes
            self.layer1, self.layer2, self.layer3, self.layer4 = stages
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            x = torch.flatten(self.avgpool(x), 1)
            return self.fc(x)

    return ResNet()


def test_torch_resnet18_gives_the_zoo_graph():
    net = from_torch(torchvision_style_resnet18(), (3, 224, 224), name="resnet18")
    zoo = get_network("resnet18")
    assert same_graph(net, zoo)
    convs = [layer.name for layer in net.layers if layer.kind.label in ("conv", "linear")]
    assert convs == [layer.name for layer in zoo.layers if layer.kind.label in ("conv", "linear")]


def torchvision_style_mobilenet_v2():
    """MobileNet-v2 as torchvision writes it (Conv2dNormActivation, InvertedResidual)."""
    nn = pytest.importorskip("torch.nn")
    torch = pytest.importorskip("torch")

    class ConvBNReLU6(nn.Sequential):
        def __init__(self, inp, out, kernel=3, stride=1, groups=1):
            super().__init__(
                nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU6(inplace=True),
            )

    class InvertedResidual(nn.Module):
        def __init__(self, inp, oup, stride, expand_ratio):
            super().__init__()
            hidden = inp * expand_ratio
            self.use_res_connect = stride == 1 and inp == oup
            layers = [ConvBNReLU6(inp, hidden, kernel=1)] if expand_ratio != 1 else []
            layers += [
                ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden),
                nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
                nn.BatchNorm2d(oup),
            ]
            self.conv = nn.Sequential(*layers)

        def forward(self, x):
            if self.use_res_connect:
                return x + self.conv(x)
            return self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self, num_classes=1000):
            super().__init__()
            settings = [
                [1, 16, 1, 1],
                [6, 24, 2, 2],
                [6, 32, 3, 2],
                [6, 64, 4, 2],
                [6, 96, 3, 1],
                [6, 160, 3, 2],
                [6, 320, 1, 1],
            ]
            features = [ConvBNReLU6(3, 32, stride=2)]
            inp = 32
            for t, c, n, s in settings:
                for i in range(n):
                    features.append(InvertedResidual(inp, c, s if i == 0 else 1, t))
                    inp = c
            features.append(ConvBNReLU6(inp, 1280, kernel=1))
            self.features = nn.Sequential(*features)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

        def forward(self, x):
            x = self.features(x)
            x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
            x = torch.flatten(x, 1)
            return self.classifier(x)

    return MobileNetV2()


def test_torch_mobilenet_v2_gives_the_zoo_graph():
    net = from_torch(torchvision_style_mobilenet_v2(), (3, 224, 224), name="mobilenet_v2")
    zoo = get_network("mobilenet_v2")
    assert same_graph(net, zoo)
    convs = [layer.name for layer in net.layers if layer.kind.label in ("conv", "linear", "batchnorm")]
    assert convs == [
        layer.name for layer in zoo.layers if layer.kind.label in ("conv", "linear", "batchnorm")
    ]


def test_torch_functional_forms_and_pass_through_modules():
    torch = pytest.importorskip("torch")
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, padding="same")
            self.act = nn.ReLU6()
            self.pool = nn.AdaptiveAvgPool2d(4)  # 8x8 -> 4x4: a 2x2 average pool
            self.keep = nn.AdaptiveAvgPool2d(4)  # 4x4 -> 4x4: nothing
            self.drop = nn.Dropout(0.5)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            x = F.max_pool2d(self.act(self.conv(x)), kernel_size=2, stride=1, padding=1)  # 9x9
            x = F.avg_pool2d(x, 2, stride=1).relu()  # 8x8
            x = self.drop(self.keep(self.pool(x)))
            x = F.dropout(x.view(x.size(0), -1), 0.1)
            return self.fc(x)

    net = from_torch(Net(), (1, 8, 8), name="small")
    b = NetworkBuilder("small", (1, 8, 8))
    b.conv("conv", 4, 3, padding=1)
    b.relu("act", max_value=6.0)
    b.maxpool("mp", 2, stride=1, padding=1)
    b.avgpool("ap", 2, stride=1)
    b.relu("r")
    b.avgpool("pool", 2)
    b.flatten("view")
    b.linear("fc", 10)
    assert same_graph(net, b.build().with_loss())
    assert net.layer("act").max_value == 6.0
    assert net.layer("pool").kernel == (2, 2)

    class Uneven(nn.Module):
        def __init__(self):
            super().__init__()
            self.pool = nn.AdaptiveAvgPool2d(4)

        def forward(self, x):
            return self.pool(x)

    with pytest.raises(
        ConfigError, match=r"unsupported op adaptive average pooling from 9x9 to 4x4.*node 'pool'"
    ):
        from_torch(Uneven(), (1, 9, 9), add_loss=False)


def test_torch_unsupported_ops_name_the_op_and_the_node():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Gelu(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.act = nn.GELU()

        def forward(self, x):
            return self.act(self.conv(x))

    with pytest.raises(
        ConfigError,
        match=r"unsupported op GELU \(module 'act'\) at node 'act'; nearest supported: nn.SiLU or",
    ):
        from_torch(Gelu(), (3, 8, 8))

    class Cat(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 4, 1)
            self.b = nn.Conv2d(3, 4, 1)

        def forward(self, x):
            return torch.cat([self.a(x), self.b(x)], 2)

    with pytest.raises(ConfigError, match=r"unsupported op 'cat' along dimension 2 .* at node 'cat'"):
        from_torch(Cat(), (3, 8, 8))

    with pytest.raises(ConfigError, match=r"node 'conv' is a Conv2d for 3 input channels but receives 1"):
        from_torch(Gelu(), (1, 8, 8))


# --- ONNX ------------------------------------------------------------------------------------------------------


def small_onnx(op_after_conv="Relu", pads=(1, 1, 1, 1), spatial=(8, 8)):
    onnx = pytest.importorskip("onnx")
    helper, numpy_helper, tp = onnx.helper, onnx.numpy_helper, onnx.TensorProto
    inits = [
        numpy_helper.from_array(np.zeros((4, 1, 3, 3), np.float32), "w1"),
        numpy_helper.from_array(np.zeros(4, np.float32), "b1"),
        numpy_helper.from_array(np.zeros((10, 64), np.float32), "w2"),
        numpy_helper.from_array(np.zeros(10, np.float32), "b2"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c"], name="conv", pads=list(pads), kernel_shape=[3, 3]),
        helper.make_node(op_after_conv, ["c"], ["r"], name="act"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], name="flat", axis=1),
        helper.make_node("Gemm", ["f", "w2", "b2"], ["y"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "small",
        [helper.make_tensor_value_info("x", tp.FLOAT, ["batch", 1, *spatial])],
        [helper.make_tensor_value_info("y", tp.FLOAT, ["batch", 10])],
        inits,
    )
    return helper.make_model(graph)


def test_onnx_small_model(tmp_path):
    onnx = pytest.importorskip("onnx")
    model = small_onnx()
    path = tmp_path / "small.onnx"
    onnx.save(model, str(path))
    net = from_onnx(path)
    assert net.name == "small"
    b = NetworkBuilder("small", (1, 8, 8))
    b.conv("conv", 4, 3, padding=1)
    b.relu("act")
    b.maxpool("pool", 2)
    b.flatten("flat")
    b.linear("fc", 10)
    expected = b.build().with_loss()
    assert [layer.name for layer in net.layers] == [layer.name for layer in expected.layers]
    assert same_graph(net, expected)
    assert net.params == 4 * 9 + 4 + 640 + 10


def test_onnx_errors_name_the_op_and_node():
    with pytest.raises(
        ConfigError, match=r"unsupported operator \(Gelu\) at node 'act'; nearest supported: Sigmoid or SiLU"
    ):
        from_onnx(small_onnx("Gelu"))
    with pytest.raises(
        ConfigError, match=r"\(Softmax\) at node 'act'; nearest supported: nothing: leave it out"
    ):
        from_onnx(small_onnx("Softmax"))
    with pytest.raises(
        ConfigError, match=r"\(Erf\) at node 'act'; nearest supported: none close; supported: Conv"
    ):
        from_onnx(small_onnx("Erf"))
    with pytest.raises(
        ConfigError, match=r"unsupported padding with asymmetric pads \[0, 0, 1, 1\] \(Conv\) at node 'conv'"
    ):
        from_onnx(small_onnx(pads=(0, 0, 1, 1)))
    with pytest.raises(
        ConfigError, match=r"input 'x' has dimensions \[None, 1, None, None\]; pass input_shape"
    ):
        from_onnx(small_onnx(spatial=("h", "w")))
    assert from_onnx(small_onnx(spatial=("h", "w")), input_shape=(1, 8, 8)).forward_macs == 4 * 9 * 64 + 640


def onnx_graph(nodes, inits, out_dims, in_dims=(1, 4, 8, 8)):
    """A model of ``nodes`` reading ``x`` (``in_dims``) and writing ``y``; ``inits``: name -> array."""
    onnx = pytest.importorskip("onnx")
    helper, numpy_helper, tp = onnx.helper, onnx.numpy_helper, onnx.TensorProto
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", tp.FLOAT, list(in_dims))],
        [helper.make_tensor_value_info("y", tp.FLOAT, list(out_dims))],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()],
    )
    return helper.make_model(graph)


def test_onnx_refuses_what_has_no_layer_naming_it():
    onnx = pytest.importorskip("onnx")
    node = onnx.helper.make_node
    axes = {"axes": np.array([1], np.int64)}
    with pytest.raises(
        ConfigError, match=r"ReduceMean over axes \[1\] .*global average pool\) \(ReduceMean\) at node 'm'"
    ):
        from_onnx(onnx_graph([node("ReduceMean", ["x", "axes"], ["y"], name="m")], axes, (1, 1, 8, 8)))
    with pytest.raises(ConfigError, match=r"Concat along axis 2 \(only along the channels, axis 1\)"):
        from_onnx(onnx_graph([node("Concat", ["x", "x"], ["y"], name="c", axis=2)], {}, (1, 4, 16, 8)))
    shape = {"s": np.array([4, 64], np.int64)}
    with pytest.raises(
        ConfigError, match=r"Reshape of \[2, 4, 8, 8\] to \[4, 64\] \(the first dimension must stay"
    ):
        from_onnx(
            onnx_graph([node("Reshape", ["x", "s"], ["y"], name="r")], shape, (4, 64), in_dims=(2, 4, 8, 8))
        )
    scale = {"k": np.float32(2.0)}
    with pytest.raises(
        ConfigError, match=r"unsupported operator \(Mul\) at node 'mul' \(an activation with a constant\)"
    ):
        from_onnx(
            onnx_graph([node("Mul", ["x", "k"], ["y"], name="mul")], scale, (1, 4, 8, 8)), add_loss=False
        )
    # shape arithmetic on constants is evaluated: (N, -1) from Shape/Gather/Concat, as x.view(x.size(0), -1)
    nodes = [
        node("Shape", ["x"], ["shape"]),
        node("Gather", ["shape", "zero"], ["n"], axis=0),
        node("Unsqueeze", ["n", "axis0"], ["n1"]),
        node("Concat", ["n1", "minus1"], ["target"], axis=0),
        node("Reshape", ["x", "target"], ["y"], name="flat"),
    ]
    consts = {"zero": np.int64(0), "axis0": np.array([0], np.int64), "minus1": np.array([-1], np.int64)}
    net = from_onnx(onnx_graph(nodes, consts, (1, 256)), add_loss=False)
    assert [(layer.name, layer.kind) for layer in net.layers] == [("flat", LayerKind.FLATTEN)]


# --- PyTorch's own ONNX exports --------------------------------------------------------------------------------
#
# Models are exported inside the tests, the ways PyTorch users export them, into tmp_path (no .onnx file is kept),
# and the import is checked against the torch module itself: its MACs (counted by forward hooks), its parameters,
# its conv/linear/batch-norm modules, and the graph torch.fx gives.

#: How each export is made: the exporter, the model's mode and the options (defaults otherwise).
EXPORTS = {
    "dynamo": {},  # the default: torch.onnx.export(model.eval(), (x,), path)
    "dynamo-train": {"train": True},
    "dynamo-noopt": {"optimize": False},  # no onnxscript optimiser: no folding
    "legacy": {"dynamo": False},  # eval mode folds each batch norm into its conv
    "legacy-nofold": {"dynamo": False, "do_constant_folding": False},
    "legacy-training": {"dynamo": False, "train": True, "training": "TRAINING"},
    "legacy-training-nofold": {
        "dynamo": False,
        "train": True,
        "training": "TRAINING",
        "do_constant_folding": False,
    },
}


def export_onnx(model, shape, path, how="dynamo"):
    """torch.onnx.export of ``model`` for an input of batch 1, quietly (the exporters print and warn a lot)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    if EXPORTS[how].get("dynamo", True):
        pytest.importorskip("onnxscript")
    options = dict(EXPORTS[how])
    model.train(options.pop("train", False))
    if "training" in options:
        options["training"] = getattr(torch.onnx.TrainingMode, options["training"])
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, *shape),), str(path), **options)
    model.eval()
    return path


def torch_counts(model, shape):
    """Forward MACs per sample, parameters, and conv/linear/batch-norm calls of a torch module (forward hooks)."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    macs = 0
    calls: Counter[str] = Counter()

    def hook(module, inputs, output):
        nonlocal macs
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            macs += output[0].numel() * (module.in_channels // module.groups) * kh * kw
            calls["conv"] += 1
        elif isinstance(module, nn.Linear):
            macs += output[0].numel() * module.in_features
            calls["linear"] += 1
        elif isinstance(module, nn.BatchNorm2d):
            calls["batchnorm"] += 1

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, *shape))
    finally:
        for h in handles:
            h.remove()
    return macs, sum(p.numel() for p in model.parameters()), calls


def small_networks():
    """Six small networks as PyTorch users write them, with their per-sample input shapes."""
    torch = pytest.importorskip("torch")
    nn, F = torch.nn, torch.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 6, 5)
            self.c2 = nn.Conv2d(6, 16, 5)
            self.f1 = nn.Linear(16 * 5 * 5, 120)
            self.f2 = nn.Linear(120, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.c1(x)), 2)
            x = F.avg_pool2d(F.relu(self.c2(x)), 2)
            return self.f2(F.relu(self.f1(torch.flatten(x, 1))))

    class VGGBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 16, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(16, 16, 3, padding=1),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2, 2),
            )
            self.classifier = nn.Sequential(
                nn.Dropout(), nn.Linear(16 * 8 * 8, 32), nn.ReLU(True), nn.Dropout(), nn.Linear(32, 10)
            )

        def forward(self, x):
            x = self.features(x)
            return self.classifier(x.view(x.size(0), -1))

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
            return F.relu(y + (x if self.down is None else self.down(x)))

    class SmallResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.layer1 = Block(8, 8, 1)
            self.layer2 = Block(8, 16, 2)
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            x = self.layer2(self.layer1(F.relu(self.bn1(self.conv1(x)))))
            return self.fc(x.mean((2, 3)))  # global average pooling as ResNets write it: ReduceMean

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Flatten(), nn.Linear(784, 64, bias=False), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10)
            )

        def forward(self, x):
            return self.net(x)

    class CatAdd(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 4, 1)
            self.b = nn.Conv2d(3, 4, 3, padding=1)
            self.c = nn.Conv2d(8, 8, 3, padding=1)
            self.fc = nn.Linear(8 * 8 * 8, 10)

        def forward(self, x):
            y = torch.cat([self.a(x), F.relu(self.b(x))], 1)
            y = y + self.c(y)
            return self.fc(torch.reshape(y, (y.shape[0], -1)))

    class Mobile(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 16, 3, 2, 1, bias=False)
            self.bn = nn.BatchNorm2d(16)
            self.act = nn.Hardswish()
            self.dw = nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False)
            self.bn2 = nn.BatchNorm2d(16)
            self.act2 = nn.SiLU()
            self.pw = nn.Conv2d(16, 32, 1, groups=4)
            self.act3 = nn.ReLU6()
            self.clip = nn.Hardtanh(-1.0, 1.0)
            self.gate = nn.Sigmoid()
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(32, 10)

        def forward(self, x):
            x = self.act(self.bn(self.stem(x)))
            x = self.clip(
                self.act2(self.bn2(self.dw(x)))
            )  # not next to the ReLU6: the optimiser merges Clips
            x = self.gate(self.act3(self.pw(x)))
            return self.fc(torch.flatten(self.pool(x), 1))

    torch.manual_seed(0)
    return {
        "lenet": (LeNet(), (1, 32, 32)),
        "vgg_block": (VGGBlock(), (3, 16, 16)),
        "resnet_bn_mean": (SmallResNet(), (3, 16, 16)),
        "mlp": (MLP(), (1, 28, 28)),
        "cat_add_reshape": (CatAdd(), (3, 8, 8)),
        "mobile": (Mobile(), (3, 16, 16)),
    }


SMALL = ("lenet", "vgg_block", "resnet_bn_mean", "mlp", "cat_add_reshape", "mobile")


#: The default export and every TorchScript one run always; the other two default-exporter variants are slow (~2 s each).
EXPORT_CASES = [
    pytest.param(h, marks=pytest.mark.slow) if h in ("dynamo-train", "dynamo-noopt") else h for h in EXPORTS
]


@pytest.mark.parametrize("how", EXPORT_CASES)
@pytest.mark.parametrize("which", SMALL)
def test_onnx_import_of_pytorch_exports_matches_the_module(tmp_path, which, how):
    model, shape = small_networks()[which]
    net = from_onnx(export_onnx(model, shape, tmp_path / f"{which}.onnx", how), name=which)
    macs, params, calls = torch_counts(model, shape)
    assert net.forward_macs == macs
    assert net.params == params  # batch norms folded by the exporter are restored, without a conv bias
    for kind in ("conv", "linear", "batchnorm"):
        assert net.count(LayerKind[kind.upper()]) == calls[kind], kind
    # the conv and linear layers carry their modules' names
    names = {name for name, m in model.named_modules() if type(m).__name__ in ("Conv2d", "Linear")}
    assert {layer.name for layer in net.layers if layer.kind in (LayerKind.CONV, LayerKind.LINEAR)} == names
    # and both importers give the same training graph
    assert same_graph(net, from_torch(model, shape, name=which))


def test_onnx_import_of_the_activations(tmp_path):
    model, shape = small_networks()["mobile"]
    net = from_onnx(export_onnx(model, shape, tmp_path / "m.onnx"))
    acts = [(layer.name, layer.function) for layer in net.layers if layer.kind is LayerKind.ACTIVATION]
    assert acts == [("act", "hardswish"), ("act2", "silu"), ("clip", "clip"), ("gate", "sigmoid")]
    assert net.layer("clip").bounds == (-1.0, 1.0)
    assert net.layer("act3").kind is LayerKind.RELU
    assert net.layer("act3").max_value == 6.0
    assert net.layer("dw").groups == 16
    assert net.layer("pw").groups == 4


def test_onnx_folded_batchnorm_can_stay_folded(tmp_path):
    model, shape = small_networks()["resnet_bn_mean"]
    for how in ("dynamo", "legacy"):
        path = export_onnx(model, shape, tmp_path / f"{how}.onnx", how)
        folded = from_onnx(path, restore_batchnorm=False)
        assert folded.count(LayerKind.BATCHNORM) == 0
        restored = from_onnx(path)
        assert restored.count(LayerKind.BATCHNORM) == 6
        assert folded.forward_macs == restored.forward_macs
    # the TorchScript exporter with constant folding off keeps the batch norms (and their Identity aliases)
    kept = from_onnx(
        export_onnx(model, shape, tmp_path / "nofold.onnx", "legacy-nofold"), restore_batchnorm=False
    )
    assert kept.count(LayerKind.BATCHNORM) == 6


def test_onnx_export_without_weights(tmp_path):
    """export_params=False (TorchScript exporter): the weights are inputs of the graph; their shapes suffice."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    model, shape = small_networks()["resnet_bn_mean"]
    path = tmp_path / "noweights.onnx"
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model.eval(), (torch.zeros(1, *shape),), str(path), dynamo=False, export_params=False
        )
    assert same_graph(from_onnx(path), from_torch(model, shape))


@pytest.mark.parametrize(
    "how", ["dynamo", "legacy", pytest.param("legacy-training-nofold", marks=pytest.mark.slow)]
)
@pytest.mark.parametrize("which", ["resnet18", "mobilenet_v2"])
def test_onnx_export_of_torchvision_style_networks_gives_the_zoo_graph(tmp_path, which, how):
    model = {"resnet18": torchvision_style_resnet18, "mobilenet_v2": torchvision_style_mobilenet_v2}[which]()
    net = from_onnx(export_onnx(model, (3, 224, 224), tmp_path / f"{which}.onnx", how))
    zoo = get_network(which)
    assert same_graph(net, zoo)
    gemm = (LayerKind.CONV, LayerKind.LINEAR)
    assert [x.name for x in net.layers if x.kind in gemm] == [x.name for x in zoo.layers if x.kind in gemm]


def torchvision_style_vgg(config):
    """VGG as torchvision writes it: features, a 7x7 adaptive average pool, the classifier with dropout."""
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class VGG(nn.Module):
        def __init__(self):
            super().__init__()
            layers, c = [], 3
            for v in config:
                if v == "M":
                    layers.append(nn.MaxPool2d(2, 2))
                else:
                    layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                    c = v
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096),
                nn.ReLU(True),
                nn.Dropout(),
                nn.Linear(4096, 4096),
                nn.ReLU(True),
                nn.Dropout(),
                nn.Linear(4096, 1000),
            )

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    return VGG()


@pytest.mark.slow  # 133 M parameters: a 530 MB export and about 20 s
def test_onnx_export_of_torchvision_style_vgg11_gives_the_zoo_graph(tmp_path):
    config = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")
    net = from_onnx(export_onnx(torchvision_style_vgg(config), (3, 224, 224), tmp_path / "vgg11.onnx"))
    assert same_graph(net, get_network("vgg11"))
