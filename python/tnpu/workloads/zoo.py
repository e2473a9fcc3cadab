"""The model zoo: the networks TNPU was evaluated on, and the common larger ones.

Every network ends with a softmax cross-entropy loss. Local response normalisation (AlexNet) and dropout (AlexNet,
VGG, MobileNet-v2) are left out: they carry no MACs or weights, and their element-wise cost is small next to the
convolutions. Layer names of the ResNets and MobileNet-v2 follow torchvision's module names, so a network imported
from PyTorch lines up with the zoo's.

===============  =========================================================================================
name             definition
===============  =========================================================================================
``lenet5``       LeNet-5 (LeCun et al. 1998) on 1x32x32, C3 fully connected, ReLU instead of tanh, average
                 pooling for S2/S4, C5 as a 5x5 convolution.
``mpcnn``        The MNIST max-pooling CNN of Ciresan et al. (IJCAI 2011), ``1x29x29-20C4-MP2-40C5-MP3-150N-10N``,
                 with ReLU (see :func:`mpcnn`).
``alexnet``      AlexNet as published (Krizhevsky et al. 2012; Caffe ``bvlc_alexnet``): 227x227 input, conv2/4/5 in
                 two groups.
``vgg11``        VGG configuration A (Simonyan & Zisserman 2015), 224x224.
``vgg16``        VGG configuration D, 224x224.
``resnet18``     ResNet-18 (He et al. 2016), torchvision layout, 224x224.
``resnet50``     ResNet-50 v1.5 (torchvision: stride on the 3x3 of a bottleneck), 224x224.
``resnet50_v1``  ResNet-50 as in the original Caffe model (stride on the first 1x1), 224x224.
``mobilenet_v2`` MobileNet-v2 (Sandler et al. 2018), width 1.0, torchvision layout, 224x224.
===============  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tnpu.errors import ConfigError
from tnpu.workloads.layers import Network, NetworkBuilder


def lenet5(num_classes: int = 10) -> Network:
    """LeNet-5 on a 1x32x32 input (C3 fully connected to S2, ReLU activations, average pooling)."""
    b = NetworkBuilder("lenet5", (1, 32, 32))
    b.conv("c1", 6, 5)
    b.relu("c1_relu")
    b.avgpool("s2", 2)
    b.conv("c3", 16, 5)
    b.relu("c3_relu")
    b.avgpool("s4", 2)
    b.conv("c5", 120, 5)
    b.relu("c5_relu")
    b.flatten("flatten")
    b.linear("f6", 84)
    b.relu("f6_relu")
    b.linear("output", num_classes)
    b.loss()
    return b.build()


def mpcnn(num_classes: int = 10) -> Network:
    """MPCNN: the max-pooling CNN for MNIST of Ciresan, Meier, Masci, Gambardella and Schmidhuber (IJCAI 2011).

    TNPU's paper lists "MPCNN" among its benchmarks without defining it (``tnpu/paper.md`` sections 1.4 and 7).
    "MPCNN" is the name this group gave its max-pooling convolutional networks, and TNPU trains it for as many epochs
    as LeNet-5 (50000), which points to an MNIST-sized network. We therefore use their MNIST network
    ``1x29x29-20C4-MP2-40C5-MP3-150N-10N``: a 4x4 convolution to 20 maps, 2x2 max-pooling, a 5x5 convolution to 40
    maps, 3x3 max-pooling, a 150-unit fully-connected layer and 10 outputs. ReLU replaces the original tanh (the
    accelerator's cost does not depend on it). This is an assumption, stated as such in ``docs/workloads.md``.
    """
    b = NetworkBuilder("mpcnn", (1, 29, 29))
    b.conv("conv1", 20, 4)
    b.relu("relu1")
    b.maxpool("pool1", 2)
    b.conv("conv2", 40, 5)
    b.relu("relu2")
    b.maxpool("pool2", 3)
    b.flatten("flatten")
    b.linear("fc1", 150)
    b.relu("relu3")
    b.linear("fc2", num_classes)
    b.loss()
    return b.build()


def alexnet(num_classes: int = 1000) -> Network:
    """AlexNet as published: 227x227 input, conv2, conv4 and conv5 split in two groups (no LRN, no dropout)."""
    b = NetworkBuilder("alexnet", (3, 227, 227))
    b.conv("conv1", 96, 11, stride=4)
    b.relu("relu1")
    b.maxpool("pool1", 3, stride=2)
    b.conv("conv2", 256, 5, padding=2, groups=2)
    b.relu("relu2")
    b.maxpool("pool2", 3, stride=2)
    b.conv("conv3", 384, 3, padding=1)
    b.relu("relu3")
    b.conv("conv4", 384, 3, padding=1, groups=2)
    b.relu("relu4")
    b.conv("conv5", 256, 3, padding=1, groups=2)
    b.relu("relu5")
    b.maxpool("pool5", 3, stride=2)
    b.flatten("flatten")
    b.linear("fc6", 4096)
    b.relu("relu6")
    b.linear("fc7", 4096)
    b.relu("relu7")
    b.linear("fc8", num_classes)
    b.loss()
    return b.build()


_VGG_CONFIGS = {
    "vgg11": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg16": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
}


def _vgg(name: str, num_classes: int) -> Network:
    b = NetworkBuilder(name, (3, 224, 224))
    block, index = 1, 1
    for item in _VGG_CONFIGS[name]:
        if item == "M":
            b.maxpool(f"pool{block}", 2)
            block, index = block + 1, 1
            continue
        b.conv(f"conv{block}_{index}", int(item), 3, padding=1)
        b.relu(f"relu{block}_{index}")
        index += 1
    b.flatten("flatten")
    b.linear("fc6", 4096)
    b.relu("relu6")
    b.linear("fc7", 4096)
    b.relu("relu7")
    b.linear("fc8", num_classes)
    b.loss()
    return b.build()


def vgg11(num_classes: int = 1000) -> Network:
    """VGG-11 (configuration A), 224x224 input."""
    return _vgg("vgg11", num_classes)


def vgg16(num_classes: int = 1000) -> Network:
    """VGG-16 (configuration D), 224x224 input."""
    return _vgg("vgg16", num_classes)


def _stem(b: NetworkBuilder) -> None:
    b.conv("conv1", 64, 7, stride=2, padding=3, bias=False)
    b.batchnorm("bn1")
    b.relu("relu")
    b.maxpool("maxpool", 3, stride=2, padding=1)


def _conv_bn(b: NetworkBuilder, prefix: str, i: int, *, k: int, kernel: int, stride: int) -> str:
    b.conv(f"{prefix}.conv{i}", k, kernel, stride=stride, padding=kernel // 2, bias=False)
    return b.batchnorm(f"{prefix}.bn{i}")


def _shortcut(b: NetworkBuilder, prefix: str, block_in: str, k: int, stride: int) -> str:
    if stride == 1 and b.shape(block_in)[0] == k:
        return block_in
    b.conv(f"{prefix}.downsample.0", k, 1, stride=stride, bias=False, src=block_in)
    return b.batchnorm(f"{prefix}.downsample.1")


def resnet18(num_classes: int = 1000) -> Network:
    """ResNet-18 in torchvision's layout (basic blocks [2, 2, 2, 2]), 224x224 input."""
    b = NetworkBuilder("resnet18", (3, 224, 224))
    _stem(b)
    for stage, width in enumerate((64, 128, 256, 512), start=1):
        for blk in range(2):
            prefix = f"layer{stage}.{blk}"
            stride = 2 if stage > 1 and blk == 0 else 1
            block_in = b.last
            _conv_bn(b, prefix, 1, k=width, kernel=3, stride=stride)
            b.relu(f"{prefix}.relu1")
            main = _conv_bn(b, prefix, 2, k=width, kernel=3, stride=1)
            short = _shortcut(b, prefix, block_in, width, stride)
            b.add(f"{prefix}.add", main, short)
            b.relu(f"{prefix}.relu2")
    _head(b, num_classes)
    return b.build()


def _head(b: NetworkBuilder, num_classes: int) -> None:
    b.global_avgpool("avgpool")
    b.flatten("flatten")
    b.linear("fc", num_classes)
    b.loss()


def resnet50(num_classes: int = 1000, variant: str = "v1.5") -> Network:
    """ResNet-50 (bottleneck blocks [3, 4, 6, 3]), 224x224 input.

    Parameters
    ----------
    num_classes
        Outputs of the classifier.
    variant
        ``"v1.5"`` (torchvision: the stride of a down-sampling block is on its 3x3 convolution) or ``"v1"`` (the
        original Caffe model: on its first 1x1 convolution).
    """
    if variant not in ("v1", "v1.5"):
        raise ConfigError(f"resnet50: variant must be 'v1' or 'v1.5', got '{variant}'")
    b = NetworkBuilder("resnet50" if variant == "v1.5" else "resnet50_v1", (3, 224, 224))
    _stem(b)
    for stage, (width, blocks) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3)), start=1):
        for blk in range(blocks):
            prefix = f"layer{stage}.{blk}"
            stride = 2 if stage > 1 and blk == 0 else 1
            s1, s3 = (1, stride) if variant == "v1.5" else (stride, 1)
            block_in = b.last
            _conv_bn(b, prefix, 1, k=width, kernel=1, stride=s1)
            b.relu(f"{prefix}.relu1")
            _conv_bn(b, prefix, 2, k=width, kernel=3, stride=s3)
            b.relu(f"{prefix}.relu2")
            main = _conv_bn(b, prefix, 3, k=4 * width, kernel=1, stride=1)
            short = _shortcut(b, prefix, block_in, 4 * width, stride)
            b.add(f"{prefix}.add", main, short)
            b.relu(f"{prefix}.relu3")
    _head(b, num_classes)
    return b.build()


def resnet50_v1(num_classes: int = 1000) -> Network:
    """ResNet-50 with the original Caffe stride placement (see :func:`resnet50`)."""
    return resnet50(num_classes, variant="v1")


def mobilenet_v2(num_classes: int = 1000) -> Network:
    """MobileNet-v2, width multiplier 1.0, 224x224 input, in torchvision's layout (ReLU6, no dropout)."""
    b = NetworkBuilder("mobilenet_v2", (3, 224, 224))

    def conv_bn_act(
        prefix: str, k: int, kernel: int, *, stride: int = 1, groups: int = 1, act: bool = True
    ) -> str:
        b.conv(f"{prefix}.0", k, kernel, stride=stride, padding=(kernel - 1) // 2, groups=groups, bias=False)
        last = b.batchnorm(f"{prefix}.1")
        return b.relu(f"{prefix}.2", max_value=6.0) if act else last

    conv_bn_act("features.0", 32, 3, stride=2)
    channels, index = 32, 1
    settings = (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    )
    for t, c, n, s in settings:
        for i in range(n):
            stride = s if i == 0 else 1
            prefix = f"features.{index}.conv"
            block_in = b.last
            hidden = channels * t
            j = 0
            if t != 1:
                conv_bn_act(f"{prefix}.{j}", hidden, 1)
                j += 1
            conv_bn_act(f"{prefix}.{j}", hidden, 3, stride=stride, groups=hidden)
            b.conv(f"{prefix}.{j + 1}", c, 1, bias=False)
            out = b.batchnorm(f"{prefix}.{j + 2}")
            if stride == 1 and channels == c:
                b.add(f"features.{index}.add", block_in, out)
            channels = c
            index += 1
    conv_bn_act(f"features.{index}", 1280, 1)
    b.global_avgpool("avgpool")
    b.flatten("flatten")
    b.linear("classifier.1", num_classes)
    b.loss()
    return b.build()


@dataclass(frozen=True)
class ZooEntry:
    """A network of the zoo: its builder and a one-line description."""

    name: str
    build: Callable[[], Network]
    description: str


#: The zoo, in the order ``tnpu workloads`` lists it.
ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in (
        ZooEntry("lenet5", lenet5, "LeNet-5, 1x32x32, C3 fully connected"),
        ZooEntry("mpcnn", mpcnn, "MNIST max-pooling CNN of Ciresan et al. 2011, 1x29x29"),
        ZooEntry("alexnet", alexnet, "AlexNet as published (grouped), 3x227x227"),
        ZooEntry("vgg11", vgg11, "VGG configuration A, 3x224x224"),
        ZooEntry("vgg16", vgg16, "VGG configuration D, 3x224x224"),
        ZooEntry("resnet18", resnet18, "ResNet-18 (torchvision layout), 3x224x224"),
        ZooEntry("resnet50", resnet50, "ResNet-50 v1.5 (stride on the 3x3), 3x224x224"),
        ZooEntry("resnet50_v1", resnet50_v1, "ResNet-50 v1 (Caffe: stride on the first 1x1), 3x224x224"),
        ZooEntry("mobilenet_v2", mobilenet_v2, "MobileNet-v2 1.0 (torchvision layout), 3x224x224"),
    )
}


def list_networks() -> list[str]:
    """Names of the zoo's networks."""
    return list(ZOO)


def get_network(name: str) -> Network:
    """Build the zoo network ``name``.

    Raises
    ------
    ConfigError
        For an unknown name; the message lists the valid ones.
    """
    key = name.strip().lower().replace("-", "_")
    aliases = {
        "lenet": "lenet5",
        "lenet_5": "lenet5",
        "vgg_11": "vgg11",
        "vgg_16": "vgg16",
        "resnet_18": "resnet18",
    }
    key = aliases.get(key, key)
    if key not in ZOO:
        raise ConfigError(f"unknown network '{name}' (expected one of: {', '.join(ZOO)})")
    return ZOO[key].build()
