"""Build a :class:`~tnpu.workloads.layers.Network` layer by layer (the zoo and the importers use this)."""

from __future__ import annotations

from collections.abc import Sequence

from tnpu.errors import ConfigError
from tnpu.workloads import layers as lay
from tnpu.workloads.network import Network


class NetworkBuilder:
    """Builds a :class:`Network` layer by layer, tracking shapes: each method appends one layer and returns its name.

    A layer reads the previous layer's output unless ``src`` names another layer (or :data:`lay.NETWORK_INPUT`).

    Examples
    --------
    >>> b = NetworkBuilder("tiny", (1, 8, 8))
    >>> _ = b.conv("conv1", 4, 3, padding=1)
    >>> _ = b.relu("relu1")
    >>> _ = b.flatten("flat")
    >>> _ = b.linear("fc", 10)
    >>> net = b.build()
    >>> net.forward_macs
    2880
    """

    def __init__(self, name: str, input_shape: Sequence[int]) -> None:
        shape = tuple(int(d) for d in input_shape)
        if len(shape) != 3 or any(d <= 0 for d in shape):
            raise ConfigError(
                f"network '{name}': input shape must be three positive numbers (C, H, W), got {shape}"
            )
        self.name = name
        self.input_shape: lay.Shape = (shape[0], shape[1], shape[2])
        self.layers: list[lay.Layer] = []
        self._shapes: dict[str, lay.Shape] = {lay.NETWORK_INPUT: self.input_shape}
        self.last = lay.NETWORK_INPUT

    def shape(self, name: str | None = None) -> lay.Shape:
        """Output shape of layer ``name`` (default: the last one added)."""
        key = self.last if name is None else name
        try:
            return self._shapes[key]
        except KeyError:
            raise ConfigError(f"network '{self.name}': no layer '{key}' to read from") from None

    def add_layer(self, layer: lay.Layer) -> str:
        """Append an already-built layer."""
        if layer.name in self._shapes:
            raise ConfigError(f"network '{self.name}': layer name '{layer.name}' is used twice or reserved")
        self.layers.append(layer)
        self._shapes[layer.name] = layer.out_shape
        self.last = layer.name
        return layer.name

    def _src(self, src: str | None) -> tuple[tuple[str], lay.Shape]:
        key = self.last if src is None else src
        return (key,), self.shape(key)

    def conv(
        self,
        name: str,
        out_channels: int,
        kernel: int | Sequence[int],
        *,
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        bias: bool = True,
        src: str | None = None,
    ) -> str:
        """Append a :class:`lay.Conv2d`."""
        inputs, shape = self._src(src)
        return self.add_layer(
            lay.Conv2d(
                name=name,
                inputs=inputs,
                in_shape=shape,
                out_channels=out_channels,
                kernel=lay._pair(kernel, "kernel", name),
                stride=lay._pair(stride, "stride", name),
                padding=lay._pair(padding, "padding", name),
                dilation=lay._pair(dilation, "dilation", name),
                groups=groups,
                bias=bias,
            )
        )

    def linear(self, name: str, out_features: int, *, bias: bool = True, src: str | None = None) -> str:
        """Append a :class:`lay.Linear`."""
        inputs, shape = self._src(src)
        return self.add_layer(
            lay.Linear(name=name, inputs=inputs, in_shape=shape, out_features=out_features, bias=bias)
        )

    def _pool(
        self,
        cls: type[lay._Pool2d],
        *,
        name: str,
        kernel: int | Sequence[int],
        stride: int | Sequence[int] | None,
        padding: int | Sequence[int],
        ceil_mode: bool,
        src: str | None,
    ) -> str:
        inputs, shape = self._src(src)
        k = lay._pair(kernel, "kernel", name)
        return self.add_layer(
            cls(
                name=name,
                inputs=inputs,
                in_shape=shape,
                kernel=k,
                stride=k if stride is None else lay._pair(stride, "stride", name),
                padding=lay._pair(padding, "padding", name),
                ceil_mode=ceil_mode,
            )
        )

    def maxpool(
        self,
        name: str,
        kernel: int | Sequence[int],
        *,
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        ceil_mode: bool = False,
        src: str | None = None,
    ) -> str:
        """Append a :class:`lay.MaxPool2d` (stride defaults to the kernel)."""
        return self._pool(
            lay.MaxPool2d,
            name=name,
            kernel=kernel,
            stride=stride,
            padding=padding,
            ceil_mode=ceil_mode,
            src=src,
        )

    def avgpool(
        self,
        name: str,
        kernel: int | Sequence[int],
        *,
        stride: int | Sequence[int] | None = None,
        padding: int | Sequence[int] = 0,
        ceil_mode: bool = False,
        src: str | None = None,
    ) -> str:
        """Append an :class:`lay.AvgPool2d` (stride defaults to the kernel)."""
        return self._pool(
            lay.AvgPool2d,
            name=name,
            kernel=kernel,
            stride=stride,
            padding=padding,
            ceil_mode=ceil_mode,
            src=src,
        )

    def global_avgpool(self, name: str, *, src: str | None = None) -> str:
        """Append an :class:`lay.AvgPool2d` whose window is the whole input (output ``C x 1 x 1``)."""
        _, h, w = self.shape(src)
        return self.avgpool(name, (h, w), src=src)

    def relu(self, name: str, *, max_value: float | None = None, src: str | None = None) -> str:
        """Append a :class:`lay.ReLU` (``max_value=6`` for ReLU6)."""
        inputs, shape = self._src(src)
        return self.add_layer(lay.ReLU(name=name, inputs=inputs, in_shape=shape, max_value=max_value))

    def batchnorm(self, name: str, *, src: str | None = None) -> str:
        """Append a :class:`lay.BatchNorm2d`."""
        inputs, shape = self._src(src)
        return self.add_layer(lay.BatchNorm2d(name=name, inputs=inputs, in_shape=shape))

    def add(self, name: str, *srcs: str) -> str:
        """Append an :class:`lay.Add` of the named layers' outputs (which must have equal shapes)."""
        if len(srcs) < 2:
            raise ConfigError(f"layer '{name}': an add needs at least two inputs, got {list(srcs)}")
        shapes = [self.shape(s) for s in srcs]
        for s, sh in zip(srcs[1:], shapes[1:], strict=True):
            if sh != shapes[0]:
                raise ConfigError(
                    f"layer '{name}': cannot add '{srcs[0]}' ({lay._fmt(shapes[0])}) and '{s}' ({lay._fmt(sh)}): shapes differ"
                )
        return self.add_layer(lay.Add(name=name, inputs=tuple(srcs), in_shape=shapes[0]))

    def activation(
        self,
        name: str,
        function: str,
        *,
        bounds: tuple[float, float] | None = None,
        src: str | None = None,
    ) -> str:
        """Append an :class:`lay.Activation` (``function``: a key of :data:`ACTIVATIONS`)."""
        inputs, shape = self._src(src)
        return self.add_layer(
            lay.Activation(name=name, inputs=inputs, in_shape=shape, function=function, bounds=bounds)
        )

    def concat(self, name: str, *srcs: str) -> str:
        """Append a :class:`lay.Concat` of the named layers' outputs along their channels (equal height and width)."""
        if len(srcs) < 2:
            raise ConfigError(f"layer '{name}': a concat needs at least two inputs, got {list(srcs)}")
        shapes = [self.shape(s) for s in srcs]
        for s, sh in zip(srcs[1:], shapes[1:], strict=True):
            if sh[1:] != shapes[0][1:]:
                raise ConfigError(
                    f"layer '{name}': cannot concatenate '{srcs[0]}' ({lay._fmt(shapes[0])}) and '{s}' ({lay._fmt(sh)}):"
                    " heights or widths differ"
                )
        return self.add_layer(
            lay.Concat(
                name=name, inputs=tuple(srcs), in_shape=shapes[0], in_channels=tuple(sh[0] for sh in shapes)
            )
        )

    def flatten(self, name: str, *, src: str | None = None) -> str:
        """Append a :class:`lay.Flatten`."""
        inputs, shape = self._src(src)
        return self.add_layer(lay.Flatten(name=name, inputs=inputs, in_shape=shape))

    def loss(self, name: str = "loss", *, src: str | None = None) -> str:
        """Append the :class:`lay.SoftmaxCrossEntropy` loss."""
        inputs, shape = self._src(src)
        return self.add_layer(lay.SoftmaxCrossEntropy(name=name, inputs=inputs, in_shape=shape))

    def build(self) -> Network:
        """Return the network (validated)."""
        return Network(self.name, self.input_shape, tuple(self.layers))
