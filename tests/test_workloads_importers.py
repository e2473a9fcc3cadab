"""Importers: PyTorch through torch.fx and ONNX, against the zoo; unsupported ops name the op and the node."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tnpu.errors import ConfigError
from tnpu.workloads import NetworkBuilder, TrainingGraph, from_onnx, from_torch, get_network


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

    with pytest.raises(ConfigError, match=r"unsupported op GELU \(module 'act'\) at node 'act'"):
        from_torch(Gelu(), (3, 8, 8))

    class Cat(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 4, 1)
            self.b = nn.Conv2d(3, 4, 1)

        def forward(self, x):
            return torch.cat([self.a(x), self.b(x)], 1)

    with pytest.raises(ConfigError, match=r"unsupported op 'cat' \(call_function\) at node 'cat'"):
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
    with pytest.raises(ConfigError, match=r"unsupported operator \(Sigmoid\) at node 'act'"):
        from_onnx(small_onnx("Sigmoid"))
    with pytest.raises(
        ConfigError, match=r"unsupported padding with asymmetric pads \[0, 0, 1, 1\] \(Conv\) at node 'conv'"
    ):
        from_onnx(small_onnx(pads=(0, 0, 1, 1)))
    with pytest.raises(
        ConfigError, match=r"input 'x' has dimensions \[None, 1, None, None\]; pass input_shape"
    ):
        from_onnx(small_onnx(spatial=("h", "w")))
    assert from_onnx(small_onnx(spatial=("h", "w")), input_shape=(1, 8, 8)).forward_macs == 4 * 9 * 64 + 640


@pytest.mark.filterwarnings(
    "ignore"
)  # the TorchScript exporter (deprecated, but it keeps batch norm) warns a lot
def test_onnx_export_of_torch_resnet18_gives_the_zoo_graph(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    model = torchvision_style_resnet18().train()
    path = tmp_path / "resnet18.onnx"
    torch.onnx.export(
        model,
        (torch.zeros(1, 3, 224, 224),),
        str(path),
        dynamo=False,
        training=torch.onnx.TrainingMode.TRAINING,  # keep batch norm as its own op
        do_constant_folding=False,
    )
    assert same_graph(from_onnx(path), get_network("resnet18"))
