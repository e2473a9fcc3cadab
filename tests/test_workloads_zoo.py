"""The zoo against the published totals of tnpu/paper.md section 6.2 (and the papers named per network)."""

from __future__ import annotations

import pytest

from tnpu.errors import ConfigError
from tnpu.workloads import LayerKind, Phase, get_network, list_networks


def close(value: float, target: float, tol: float) -> bool:
    return abs(value - target) <= tol


def kind_total(net, kind, what):
    return sum(what(layer) for layer in net.layers if layer.kind is kind)


def test_alexnet_matches_published_totals_and_layer_table():
    net = get_network("alexnet")
    assert close(net.forward_macs, 724.4e6, 0.05e6)
    assert close(net.params, 61.0e6, 0.05e6)
    assert close(kind_total(net, LayerKind.CONV, lambda l: l.macs(Phase.FP)), 665.8e6, 0.05e6)
    assert close(kind_total(net, LayerKind.CONV, lambda l: l.weights), 2.3e6, 0.05e6)
    assert close(kind_total(net, LayerKind.LINEAR, lambda l: l.macs(Phase.FP)), 58.6e6, 0.05e6)
    table = {"conv1": 105.4e6, "conv2": 223.9e6, "conv3": 149.5e6, "conv4": 112.1e6, "conv5": 74.8e6}
    for name, macs in table.items():
        assert close(net.layer(name).macs(Phase.FP), macs, 0.05e6), name
    assert net.layer("conv2").groups == 2
    assert net.layer("conv3").groups == 1
    assert net.layer("pool5").out_shape == (256, 6, 6)
    assert net.layer("fc6").in_features == 9216


def test_vgg_totals():
    vgg16 = get_network("vgg16")
    assert close(vgg16.forward_macs, 15.47e9, 0.005e9)
    assert close(vgg16.params, 138.3e6, 0.1e6)
    assert close(kind_total(vgg16, LayerKind.CONV, lambda l: l.macs(Phase.FP)), 15.35e9, 0.005e9)
    assert close(kind_total(vgg16, LayerKind.CONV, lambda l: l.weights), 14.7e6, 0.05e6)
    assert close(kind_total(vgg16, LayerKind.LINEAR, lambda l: l.macs(Phase.FP)), 123.6e6, 0.05e6)
    assert vgg16.count(LayerKind.CONV, LayerKind.LINEAR) == 16
    vgg11 = get_network("vgg11")
    assert close(vgg11.forward_macs, 7.61e9, 0.005e9)
    assert close(kind_total(vgg11, LayerKind.CONV, lambda l: l.macs(Phase.FP)), 7.49e9, 0.005e9)
    assert close(vgg11.params, 132.9e6, 0.05e6)
    assert vgg11.count(LayerKind.CONV, LayerKind.LINEAR) == 11


def test_resnet_totals():
    r18 = get_network("resnet18")
    assert close(r18.forward_macs, 1.81e9, 0.005e9)
    assert close(r18.params, 11.7e6, 0.05e6)
    assert close(r18.layer("conv1").macs(Phase.FP), 118e6, 0.5e6)
    assert close(r18.layer("layer2.1.conv1").macs(Phase.FP), 115.6e6, 0.05e6)
    v15, v1 = get_network("resnet50"), get_network("resnet50_v1")
    assert close(v15.forward_macs, 4.09e9, 0.005e9)
    assert close(v1.forward_macs, 3.86e9, 0.005e9)
    assert close(v15.params, 25.5e6, 0.1e6)
    assert v15.params == v1.params
    assert v15.layer("layer2.0.conv2").stride == (2, 2)
    assert v1.layer("layer2.0.conv1").stride == (2, 2)


def test_small_networks():
    lenet = get_network("lenet5")
    assert close(lenet.forward_macs, 0.42e6, 0.01e6)
    assert close(lenet.params, 60e3, 3e3)
    assert lenet.layer("c5").out_shape == (120, 1, 1)
    mp = get_network("mpcnn")  # 1x29x29-20C4-MP2-40C5-MP3-150N-10N (Ciresan et al. 2011)
    shapes = [(layer.name, layer.out_shape) for layer in mp.layers if layer.kind is not LayerKind.RELU]
    assert shapes[:5] == [
        ("conv1", (20, 26, 26)),
        ("pool1", (20, 13, 13)),
        ("conv2", (40, 9, 9)),
        ("pool2", (40, 3, 3)),
        ("flatten", (360, 1, 1)),
    ]
    assert mp.layer("fc1").out_features == 150
    assert mp.forward_macs == 20 * 16 * 26 * 26 + 40 * 20 * 25 * 81 + 360 * 150 + 150 * 10


def test_mobilenet_v2_matches_the_paper():
    # Sandler et al. 2018, Table 4: 300M multiply-adds, 3.4M parameters (torchvision: 3,504,872)
    net = get_network("mobilenet_v2")
    assert close(net.forward_macs, 300e6, 3e6)
    assert close(net.params, 3.45e6, 0.06e6)
    depthwise = [l for l in net.layers if l.kind is LayerKind.CONV and l.groups > 1]
    assert len(depthwise) == 17
    assert all(l.groups == l.in_shape[0] == l.out_channels for l in depthwise)


@pytest.mark.parametrize(
    ("name", "gmacs"),
    [("alexnet", 2.07), ("vgg11", 22.7), ("vgg16", 46.3), ("resnet18", 5.32), ("resnet50", 12.15)],
)
def test_training_macs_per_image(name, gmacs):
    net = get_network(name)
    digits = len(str(gmacs).split(".")[1])
    assert round(net.training_macs / 1e9, digits) == pytest.approx(gmacs)
    first = net.layers[0]
    assert net.training_macs == 3 * net.forward_macs - first.macs(Phase.FP)


def test_every_zoo_network_ends_in_a_loss_and_unknown_names_list_the_zoo():
    for name in list_networks():
        assert get_network(name).has_loss
    with pytest.raises(ConfigError, match=r"unknown network 'vgg19'.*alexnet.*mobilenet_v2"):
        get_network("vgg19")
    assert get_network("VGG-16").name == "vgg16"


@pytest.mark.parametrize(
    ("name", "stash_mb", "fc_mb", "conv_mb"), [("alexnet", 1.7, 234.5, 9.3), ("vgg16", 36.5, 494.5, 58.8)]
)
def test_memory_per_image_fp32(name, stash_mb, fc_mb, conv_mb):
    # paper.md 6.2 "Memory per image, FP32": the stashed inputs of every conv/FC layer, and the weight bytes
    net = get_network(name)
    weighted = (LayerKind.CONV, LayerKind.LINEAR)
    stashed_x = sum(
        o.nbytes for layer in net.layers if layer.kind in weighted for o in layer.stash(dtype_bytes=4)
    )
    assert close(stashed_x / 1e6, stash_mb, 0.05)
    assert close(kind_total(net, LayerKind.LINEAR, lambda l: l.params) * 4 / 1e6, fc_mb, 0.1)
    assert close(kind_total(net, LayerKind.CONV, lambda l: l.params) * 4 / 1e6, conv_mb, 0.1)
    # the full stash adds ReLU masks and pooling indices: a few percent more
    assert stashed_x < net.stash_bytes() < 1.15 * stashed_x
