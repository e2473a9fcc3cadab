"""Layer types of a CNN training workload and the network that strings them together.

Every layer knows, per sample batch ``B`` and per training phase (``Phase.FP``, ``BP``, ``GD``, ``WU``):

- its shapes: activations are ``(C, H, W)`` per sample; a flat vector of ``F`` features is ``(F, 1, 1)``;
- its MACs (multiply-accumulates; only conv2d and linear layers have any) and the implicit-GEMM shape of each phase
  (:meth:`Conv2d.gemm`), following ``tnpu/paper.md`` section 6.1;
- its trainable parameters (weights and biases; batch-norm scale and shift);
- the bytes each phase reads and writes (:meth:`Layer.operands`), including what the forward pass must *stash* for
  the backward phases: a layer's input ``X`` for the weight gradient (conv, linear, batch norm), the ReLU sign mask
  (one bit per element), the max-pooling argmax indices (one byte per output element: windows are at most 256
  elements), batch-norm statistics and the softmax probabilities of the loss;
- its element-wise work (:meth:`Layer.vector_ops`), for ReLU and the other activations, pooling, batch norm,
  residual add, loss and WU (a concat and a flatten move or view data and compute nothing).

Conventions
-----------
- ``BP`` computes the gradient with respect to the layer's input (``dX``); ``GD`` computes the gradient with respect
  to its parameters (``dW``), accumulated over the instances of a batch; ``WU`` applies the update once per batch
  (plain SGD: one multiply-add per parameter, reading ``W`` and ``dW`` and writing ``W``).
- MACs of BP and GD equal those of FP (paper.md 6.1). For a strided convolution the implicit-GEMM shape of BP given by
  :meth:`Conv2d.gemm` is the dense one over the zero-inserted ``dY`` (``M = C, N = B*H*W, K = K_out*R*S/groups``),
  whose product ``M*N*K`` exceeds the useful MACs by about ``stride_h*stride_w``; the task records carry both.
- Grouped convolutions (``groups = g``) are ``g`` independent GEMMs of ``(M/g) x N x K`` each; :meth:`Conv2d.gemm`
  returns ``M`` summed over the groups and ``K`` per group, so ``M*N*K`` is the MAC count of the whole layer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar

from tnpu.errors import ConfigError

#: Name that a layer lists among its inputs to read the network input.
NETWORK_INPUT = "input"

#: An activation shape per sample: (channels, height, width). A flat vector of F features is (F, 1, 1).
Shape = tuple[int, int, int]


class Phase(IntEnum):
    """Training phase of a task: forward, input gradient, weight gradient, weight update."""

    FP = 0
    BP = 1
    GD = 2
    WU = 3


class LayerKind(IntEnum):
    """Layer type code, as stored in task arrays and compute traces (``label`` is the text form)."""

    CONV = 0
    LINEAR = 1
    MAXPOOL = 2
    AVGPOOL = 3
    RELU = 4
    BATCHNORM = 5
    ADD = 6
    FLATTEN = 7
    LOSS = 8
    ACTIVATION = 9
    CONCAT = 10

    @property
    def label(self) -> str:
        """Lower-case name used in traces, tables and JSON (``"conv"``, ``"linear"``, ...)."""
        return self.name.lower()

    @classmethod
    def from_label(cls, text: str) -> LayerKind:
        """Parse a label; raise ValueError listing the valid labels."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            valid = ", ".join(k.label for k in cls)
            raise ValueError(f"unknown layer kind '{text}' (expected one of: {valid})") from None


def as_phase(phase: Phase | int | str) -> Phase:
    """Convert ``Phase.FP``, ``0`` or ``"FP"`` (any case) to a :class:`Phase`; raise ValueError otherwise."""
    if isinstance(phase, Phase):
        return phase
    if isinstance(phase, str) and phase.strip().upper() in Phase.__members__:
        return Phase[phase.strip().upper()]
    if isinstance(phase, int) and 0 <= phase < len(Phase):
        return Phase(phase)
    raise ValueError(f"unknown phase {phase!r} (expected FP, BP, GD or WU)")


@dataclass(frozen=True, slots=True)
class Operand:
    """One piece of data a task reads or writes.

    Attributes
    ----------
    name
        ``X``, ``Y``, ``W`` (weights and bias), ``dX``, ``dY``, ``dW``, ``mask``, ``indices``, ``stats``, ``probs``,
        ``labels``, ``loss``.
    nbytes
        Size in bytes for the task's instance.
    stashed
        True when the operand was produced by the forward pass of the same instance and kept for a backward phase.
    """

    name: str
    nbytes: int
    stashed: bool = False


def _pair(value: int | Sequence[int], what: str, layer: str) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    try:
        items = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(f"layer '{layer}': {what} must be one number or a pair, got {value!r}") from None
    if len(items) != 2:
        raise ConfigError(f"layer '{layer}': {what} must be one number or a pair, got {value!r}")
    return (items[0], items[1])


def _fmt(shape: Shape) -> str:
    return "x".join(str(d) for d in shape)


def _bitmask_bytes(elements: int) -> int:
    return (elements + 7) // 8


@dataclass(frozen=True, kw_only=True)
class Layer:
    """Base of all layer types.

    Attributes
    ----------
    name
        Unique name within the network.
    inputs
        Names of the producing layers (:data:`NETWORK_INPUT` for the network input).
    in_shape
        Per-sample shape of the (each) input.
    """

    kind: ClassVar[LayerKind]
    name: str
    inputs: tuple[str, ...]
    in_shape: Shape

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("a layer needs a non-empty name")
        if not self.inputs:
            raise ConfigError(f"layer '{self.name}': needs at least one input")
        if len(self.in_shape) != 3 or any(int(d) <= 0 for d in self.in_shape):
            raise ConfigError(
                f"layer '{self.name}': input shape must be three positive numbers (C, H, W), got {self.in_shape!r}"
            )

    # --- shapes --------------------------------------------------------------------------------------------
    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        """Per-sample shape of each input, in the order of :attr:`inputs` (all :attr:`in_shape` but for a concat)."""
        return (self.in_shape,) * len(self.inputs)

    @property
    def out_shape(self) -> Shape:
        """Per-sample output shape (the input shape unless the layer changes it)."""
        return self.in_shape

    @property
    def in_elements(self) -> int:
        """Elements of one input, per sample."""
        c, h, w = self.in_shape
        return c * h * w

    @property
    def out_elements(self) -> int:
        """Elements of the output, per sample."""
        c, h, w = self.out_shape
        return c * h * w

    # --- costs ---------------------------------------------------------------------------------------------
    @property
    def params(self) -> int:
        """Trainable parameters (weights, biases, batch-norm scale and shift)."""
        return 0

    @property
    def has_weights(self) -> bool:
        """Whether the layer has trainable parameters (so GD and WU tasks)."""
        return self.params > 0

    def macs(self, phase: Phase | int | str, batch: int = 1) -> int:
        """Multiply-accumulates of ``phase`` for ``batch`` samples (WU: per batch, independent of ``batch``)."""
        as_phase(phase)  # validates
        del batch
        return 0

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """Element-wise operations of ``phase`` (work for a vector unit, not a GEMM), for ``batch`` samples."""
        phase = as_phase(phase)
        if phase is Phase.WU:
            return self.params
        if phase is Phase.GD:
            return 0
        return batch * self.out_elements

    def stash(self, batch: int = 1, dtype_bytes: int = 4) -> list[Operand]:
        """Return the data the forward pass keeps for the backward phases of the same instance."""
        del batch, dtype_bytes
        return []

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """Operands read and written by ``phase`` for ``batch`` samples, as ``(inputs, outputs)``.

        The default is an element-wise layer without parameters: FP reads ``X`` and writes ``Y``; BP reads ``dY``
        and writes ``dX``.
        """
        phase = as_phase(phase)
        x = batch * self.in_elements * dtype_bytes * len(self.inputs)
        y = batch * self.out_elements * dtype_bytes
        if phase is Phase.FP:
            return [Operand("X", x)], [Operand("Y", y)]
        if phase is Phase.BP:
            return [Operand("dY", y), *self.stash(batch, dtype_bytes)], [Operand("dX", x)]
        return [], []

    def bytes_in(self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4) -> int:
        """Bytes read by ``phase``."""
        return sum(o.nbytes for o in self.operands(phase, batch, dtype_bytes)[0])

    def bytes_out(self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4) -> int:
        """Bytes written by ``phase``."""
        return sum(o.nbytes for o in self.operands(phase, batch, dtype_bytes)[1])

    def describe(self) -> str:
        """One-line description of the layer's configuration."""
        return f"{_fmt(self.in_shape)} -> {_fmt(self.out_shape)}"


def _param_operands(
    layer: Layer, phase: Phase, batch: int, dtype_bytes: int
) -> tuple[list[Operand], list[Operand]]:
    """Operands of a layer with parameters whose backward phases need the stashed input ``X``."""
    x = batch * layer.in_elements * dtype_bytes
    y = batch * layer.out_elements * dtype_bytes
    w = layer.params * dtype_bytes
    if phase is Phase.FP:
        return [Operand("X", x), Operand("W", w)], [Operand("Y", y)]
    if phase is Phase.BP:
        return [Operand("dY", y), Operand("W", w)], [Operand("dX", x)]
    if phase is Phase.GD:
        return [Operand("dY", y), Operand("X", x, stashed=True)], [Operand("dW", w)]
    return [Operand("W", w), Operand("dW", w)], [Operand("W", w)]


@dataclass(frozen=True, kw_only=True)
class Conv2d(Layer):
    """2-D convolution with stride, padding, dilation and groups (depthwise when ``groups == C == K``)."""

    kind: ClassVar[LayerKind] = LayerKind.CONV
    out_channels: int
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        n = self.name
        for what in ("kernel", "stride", "padding", "dilation"):
            object.__setattr__(self, what, _pair(getattr(self, what), what, n))
        for what, pair, low in (
            ("kernel", self.kernel, 1),
            ("stride", self.stride, 1),
            ("padding", self.padding, 0),
            ("dilation", self.dilation, 1),
        ):
            if len(pair) != 2 or any(int(v) < low for v in pair):
                raise ConfigError(f"layer '{n}': {what} must be a pair of numbers >= {low}, got {pair!r}")
        c = self.in_shape[0]
        if self.out_channels <= 0:
            raise ConfigError(f"layer '{n}': out_channels must be positive, got {self.out_channels}")
        if self.groups <= 0 or c % self.groups or self.out_channels % self.groups:
            raise ConfigError(
                f"layer '{n}': groups={self.groups} must divide the input channels ({c}) and the output channels"
                f" ({self.out_channels})"
            )
        p, q = self._out_hw()
        if p <= 0 or q <= 0:
            raise ConfigError(
                f"layer '{n}': a {self.kernel[0]}x{self.kernel[1]} kernel (dilation {self.dilation}, padding"
                f" {self.padding}) does not fit the {_fmt(self.in_shape)} input"
            )

    def _out_hw(self) -> tuple[int, int]:
        _, h, w = self.in_shape
        (r, s), (sh, sw), (ph, pw), (dh, dw) = self.kernel, self.stride, self.padding, self.dilation
        return ((h + 2 * ph - dh * (r - 1) - 1) // sh + 1, (w + 2 * pw - dw * (s - 1) - 1) // sw + 1)

    @property
    def out_shape(self) -> Shape:
        """``(K, P, Q)``."""
        p, q = self._out_hw()
        return (self.out_channels, p, q)

    @property
    def weights(self) -> int:
        """Filter weights ``K * C/groups * R * S`` (without bias)."""
        r, s = self.kernel
        return self.out_channels * (self.in_shape[0] // self.groups) * r * s

    @property
    def params(self) -> int:
        """Filter weights plus one bias per output channel when ``bias``."""
        return self.weights + (self.out_channels if self.bias else 0)

    def macs(self, phase: Phase | int | str, batch: int = 1) -> int:
        """``B * K * C/groups * R * S * P * Q`` for FP, BP and GD; 0 for WU."""
        phase = as_phase(phase)
        if phase is Phase.WU:
            return 0
        _, p, q = self.out_shape
        return batch * self.weights * p * q

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """Only WU is element-wise (one multiply-add per parameter)."""
        phase = as_phase(phase)
        return self.params if phase is Phase.WU else 0

    def stash(self, batch: int = 1, dtype_bytes: int = 4) -> list[Operand]:
        """Return the input ``X``, which GD needs."""
        return [Operand("X", batch * self.in_elements * dtype_bytes, stashed=True)]

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """FP: X, W -> Y. BP: dY, W -> dX. GD: dY, stashed X -> dW. WU: W, dW -> W."""
        phase = as_phase(phase)
        return _param_operands(self, phase, batch, dtype_bytes)

    def layer_shape(self, batch: int = 1) -> dict[str, int | str]:
        """Return the shape record shared with the datapath models (fixed keys; see the module docstring)."""
        c, h, w = self.in_shape
        return {
            "kind": "conv",
            "n": batch,
            "c": c,
            "k": self.out_channels,
            "h": h,
            "w": w,
            "r": self.kernel[0],
            "s": self.kernel[1],
            "stride_h": self.stride[0],
            "stride_w": self.stride[1],
            "pad_h": self.padding[0],
            "pad_w": self.padding[1],
            "dilation_h": self.dilation[0],
            "dilation_w": self.dilation[1],
            "groups": self.groups,
        }

    def gemm(self, phase: Phase | int | str, batch: int = 1) -> tuple[int, int, int]:
        """Implicit-GEMM shape ``(M, N, K)`` of ``phase`` (paper.md 6.1); ``(0, 0, 0)`` for WU.

        FP: ``M = K_out, N = B*P*Q, K = C*R*S/groups``. BP: ``M = C, N = B*H*W, K = K_out*R*S/groups`` (dense over the
        zero-inserted ``dY`` when strided). GD: ``M = K_out, N = C*R*S/groups, K = B*P*Q``. With ``g`` groups the
        task is ``g`` GEMMs of ``(M/g, N, K)``; ``M`` here is summed over the groups.
        """
        phase = as_phase(phase)
        c, h, w = self.in_shape
        k_out, p, q = self.out_shape
        rs = self.kernel[0] * self.kernel[1]
        g = self.groups
        if phase is Phase.FP:
            return (k_out, batch * p * q, c * rs // g)
        if phase is Phase.BP:
            return (c, batch * h * w, k_out * rs // g)
        if phase is Phase.GD:
            return (k_out, c * rs // g, batch * p * q)
        return (0, 0, 0)

    def describe(self) -> str:
        """E.g. ``3x227x227 -> 96x55x55 11x11/s4 p0 g1``."""
        extra = f" d{self.dilation[0]}" if self.dilation != (1, 1) else ""
        return (
            f"{_fmt(self.in_shape)} -> {_fmt(self.out_shape)} {self.kernel[0]}x{self.kernel[1]}/s{self.stride[0]}"
            f" p{self.padding[0]} g{self.groups}{extra}"
        )


@dataclass(frozen=True, kw_only=True)
class Linear(Layer):
    """Fully-connected layer. Its input must be flat, ``(in_features, 1, 1)``."""

    kind: ClassVar[LayerKind] = LayerKind.LINEAR
    out_features: int
    bias: bool = True

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        if self.in_shape[1:] != (1, 1):
            raise ConfigError(
                f"layer '{self.name}': a linear layer needs a flat input (F x 1 x 1), got {_fmt(self.in_shape)};"
                " add a flatten layer before it"
            )
        if self.out_features <= 0:
            raise ConfigError(f"layer '{self.name}': out_features must be positive, got {self.out_features}")

    @property
    def in_features(self) -> int:
        """Input features ``N_in``."""
        return self.in_shape[0]

    @property
    def out_shape(self) -> Shape:
        """``(N_out, 1, 1)``."""
        return (self.out_features, 1, 1)

    @property
    def weights(self) -> int:
        """``N_out * N_in`` (without bias)."""
        return self.in_features * self.out_features

    @property
    def params(self) -> int:
        """Weights plus one bias per output when ``bias``."""
        return self.weights + (self.out_features if self.bias else 0)

    def macs(self, phase: Phase | int | str, batch: int = 1) -> int:
        """``B * N_in * N_out`` for FP, BP and GD; 0 for WU."""
        phase = as_phase(phase)
        return 0 if phase is Phase.WU else batch * self.weights

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """Only WU is element-wise (one multiply-add per parameter)."""
        phase = as_phase(phase)
        return self.params if phase is Phase.WU else 0

    def stash(self, batch: int = 1, dtype_bytes: int = 4) -> list[Operand]:
        """Return the input ``X``, which GD needs."""
        return [Operand("X", batch * self.in_elements * dtype_bytes, stashed=True)]

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """FP: X, W -> Y. BP: dY, W -> dX. GD: dY, stashed X -> dW. WU: W, dW -> W."""
        phase = as_phase(phase)
        return _param_operands(self, phase, batch, dtype_bytes)

    def layer_shape(self, batch: int = 1) -> dict[str, int | str]:
        """Return the shape record shared with the datapath models: a 1x1 convolution over a 1x1 image."""
        return {
            "kind": "linear",
            "n": batch,
            "c": self.in_features,
            "k": self.out_features,
            "h": 1,
            "w": 1,
            "r": 1,
            "s": 1,
            "stride_h": 1,
            "stride_w": 1,
            "pad_h": 0,
            "pad_w": 0,
            "dilation_h": 1,
            "dilation_w": 1,
            "groups": 1,
        }

    def gemm(self, phase: Phase | int | str, batch: int = 1) -> tuple[int, int, int]:
        """FP: ``(N_out, B, N_in)``; BP: ``(N_in, B, N_out)``; GD: ``(N_out, N_in, B)``; WU: ``(0, 0, 0)``."""
        phase = as_phase(phase)
        if phase is Phase.FP:
            return (self.out_features, batch, self.in_features)
        if phase is Phase.BP:
            return (self.in_features, batch, self.out_features)
        if phase is Phase.GD:
            return (self.out_features, self.in_features, batch)
        return (0, 0, 0)

    def describe(self) -> str:
        """E.g. ``9216 -> 4096``."""
        return f"{self.in_features} -> {self.out_features}"


@dataclass(frozen=True, kw_only=True)
class _Pool2d(Layer):
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        for what in ("kernel", "stride", "padding"):
            object.__setattr__(self, what, _pair(getattr(self, what), what, self.name))
        for what, pair, low in (
            ("kernel", self.kernel, 1),
            ("stride", self.stride, 1),
            ("padding", self.padding, 0),
        ):
            if len(pair) != 2 or any(int(v) < low for v in pair):
                raise ConfigError(
                    f"layer '{self.name}': {what} must be a pair of numbers >= {low}, got {pair!r}"
                )
        if any(2 * p > k for p, k in zip(self.padding, self.kernel, strict=True)):
            raise ConfigError(
                f"layer '{self.name}': padding {self.padding} exceeds half the kernel {self.kernel}"
            )
        p, q = self.out_shape[1:]
        if p <= 0 or q <= 0:
            raise ConfigError(
                f"layer '{self.name}': a {self.kernel[0]}x{self.kernel[1]} window does not fit the"
                f" {_fmt(self.in_shape)} input"
            )

    @property
    def out_shape(self) -> Shape:
        """``(C, P, Q)`` with PyTorch's floor/ceil rule (a ceil window must start inside the input)."""
        c, h, w = self.in_shape
        out = []
        for size, k, s, p in zip((h, w), self.kernel, self.stride, self.padding, strict=True):
            span = size + 2 * p - k
            n = (-(-span // s) if self.ceil_mode else span // s) + 1
            if self.ceil_mode and (n - 1) * s >= size + p:
                n -= 1
            out.append(n)
        return (c, out[0], out[1])

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """FP: one operation per window element per output; BP: one per output gradient."""
        phase = as_phase(phase)
        if phase is Phase.FP:
            return batch * self.out_elements * self.kernel[0] * self.kernel[1]
        if phase is Phase.BP:
            return batch * self.out_elements
        return 0

    def describe(self) -> str:
        """E.g. ``96x55x55 -> 96x27x27 3x3/s2``."""
        return f"{_fmt(self.in_shape)} -> {_fmt(self.out_shape)} {self.kernel[0]}x{self.kernel[1]}/s{self.stride[0]}"


@dataclass(frozen=True, kw_only=True)
class MaxPool2d(_Pool2d):
    """Max pooling; BP routes each gradient to the stashed argmax (one index byte per output element)."""

    kind: ClassVar[LayerKind] = LayerKind.MAXPOOL

    def __post_init__(self) -> None:
        _Pool2d.__post_init__(self)
        if self.kernel[0] * self.kernel[1] > 256:
            raise ConfigError(f"layer '{self.name}': max-pool windows above 256 elements are not supported")

    def stash(self, batch: int = 1, dtype_bytes: int = 4) -> list[Operand]:
        """Return the argmax index of each output element (one byte)."""
        return [Operand("indices", batch * self.out_elements, stashed=True)]

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """FP: X -> Y, indices. BP: dY, stashed indices -> dX."""
        phase = as_phase(phase)
        if phase is Phase.FP:
            ins, outs = Layer.operands(self, phase, batch, dtype_bytes)
            return ins, [*outs, *self.stash(batch, dtype_bytes)]
        return Layer.operands(self, phase, batch, dtype_bytes)


@dataclass(frozen=True, kw_only=True)
class AvgPool2d(_Pool2d):
    """Average pooling (global average pooling has the input's size as kernel); BP spreads gradients evenly."""

    kind: ClassVar[LayerKind] = LayerKind.AVGPOOL


@dataclass(frozen=True, kw_only=True)
class ReLU(Layer):
    """Rectified linear unit, optionally clipped (``max_value=6`` for ReLU6). BP needs the stashed sign mask."""

    kind: ClassVar[LayerKind] = LayerKind.RELU
    max_value: float | None = None

    def stash(self, batch: int = 1, dtype_bytes: int = 4) -> list[Operand]:
        """One bit per element (two bits' worth would be needed to tell clipping apart; ReLU6 stores one byte)."""
        n = batch * self.out_elements
        return [Operand("mask", n if self.max_value is not None else _bitmask_bytes(n), stashed=True)]

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """FP: X -> Y, mask. BP: dY, stashed mask -> dX."""
        phase = as_phase(phase)
        if phase is Phase.FP:
            ins, outs = Layer.operands(self, phase, batch, dtype_bytes)
            return ins, [*outs, *self.stash(batch, dtype_bytes)]
        return Layer.operands(self, phase, batch, dtype_bytes)

    def describe(self) -> str:
        """E.g. ``64x56x56`` or ``64x56x56 max 6``."""
        clip = f" max {self.max_value:g}" if self.max_value is not None else ""
        return f"{_fmt(self.in_shape)}{clip}"


#: Element-wise activations other than ReLU: operations per element of FP and of BP, and what BP needs from FP
#: (``"X"``: the input, kept; ``"Y"``: the output, kept; ``"mask"``: one bit per element, written by FP).
ACTIVATIONS: dict[str, tuple[int, int, str]] = {
    "sigmoid": (3, 3, "Y"),  # FP exp, add, reciprocal; BP dY * y * (1 - y)
    "tanh": (4, 3, "Y"),  # FP exp, subtract, add, divide; BP dY * (1 - y * y)
    "hardsigmoid": (2, 2, "mask"),  # FP multiply-add, clamp; BP dY * slope where inside the linear range
    "hardswish": (3, 3, "X"),  # FP x * hardsigmoid(x); BP dY * (piecewise slope of x)
    "silu": (4, 8, "X"),  # FP x * sigmoid(x); BP recomputes s = sigmoid(x): dY * s * (1 + x * (1 - s))
    "clip": (1, 1, "mask"),  # clamp to [low, high] (hardtanh); BP passes dY where inside the range
}


@dataclass(frozen=True, kw_only=True)
class Activation(Layer):
    """An element-wise activation other than ReLU: ``function`` is a key of :data:`ACTIVATIONS`.

    FP and BP cost the operations per element listed there. BP needs what FP kept: the output (sigmoid, tanh), the
    input (hardswish, SiLU) or a one-bit mask of the elements inside the linear range (hardsigmoid, clip), which FP
    writes. ``bounds`` records a clip's ``(low, high)`` (for :meth:`describe` only).
    """

    kind: ClassVar[LayerKind] = LayerKind.ACTIVATION
    function: str
    bounds: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        if self.function not in ACTIVATIONS:
            raise ConfigError(
                f"layer '{self.name}': unknown activation '{self.function}' (known: relu as its own layer,"
                f" {', '.join(ACTIVATIONS)})"
            )

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """FP and BP: the operations per element of :data:`ACTIVATIONS` times the elements; none for GD and WU."""
        phase = as_phase(phase)
        fp, bp, _ = ACTIVATIONS[self.function]
        per = {Phase.FP: fp, Phase.BP: bp}.get(phase, 0)
        return per * batch * self.out_elements

    def stash(self, batch: int = 1, dtype_bytes: int = 4) -> list[Operand]:
        """Return the output, the input or the one-bit mask BP needs (see :data:`ACTIVATIONS`)."""
        need = ACTIVATIONS[self.function][2]
        n = batch * self.out_elements
        if need == "mask":
            return [Operand("mask", _bitmask_bytes(n), stashed=True)]
        return [Operand(need, n * dtype_bytes, stashed=True)]

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """FP: X -> Y (and the mask when BP needs one). BP: dY and what FP kept -> dX."""
        phase = as_phase(phase)
        if phase is Phase.FP and ACTIVATIONS[self.function][2] == "mask":
            ins, outs = Layer.operands(self, phase, batch, dtype_bytes)
            return ins, [*outs, *self.stash(batch, dtype_bytes)]
        return Layer.operands(self, phase, batch, dtype_bytes)

    def describe(self) -> str:
        """E.g. ``32x8x8 silu`` or ``32x8x8 clip [-1, 1]``."""
        extra = f" [{self.bounds[0]:g}, {self.bounds[1]:g}]" if self.bounds is not None else ""
        return f"{_fmt(self.in_shape)} {self.function}{extra}"


@dataclass(frozen=True, kw_only=True)
class BatchNorm2d(Layer):
    """Batch normalisation with a learned scale and shift per channel (training mode: batch statistics)."""

    kind: ClassVar[LayerKind] = LayerKind.BATCHNORM

    @property
    def params(self) -> int:
        """Scale and shift per channel."""
        return 2 * self.in_shape[0]

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """FP: statistics and normalisation (2 per element); BP: 3 per element; GD: 2 per element; WU: per param."""
        phase = as_phase(phase)
        n = batch * self.out_elements
        return {Phase.FP: 2 * n, Phase.BP: 3 * n, Phase.GD: 2 * n, Phase.WU: self.params}[phase]

    def stash(self, batch: int = 1, dtype_bytes: int = 4) -> list[Operand]:
        """Return the input ``X`` and the per-channel mean and inverse deviation."""
        return [
            Operand("X", batch * self.in_elements * dtype_bytes, stashed=True),
            Operand("stats", 2 * self.in_shape[0] * dtype_bytes, stashed=True),
        ]

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """FP: X, W -> Y, stats. BP: dY, W, stashed X and stats -> dX. GD: dY, stashed X and stats -> dW."""
        phase = as_phase(phase)
        x = batch * self.in_elements * dtype_bytes
        w = self.params * dtype_bytes
        stats = Operand("stats", 2 * self.in_shape[0] * dtype_bytes)
        if phase is Phase.FP:
            return [Operand("X", x), Operand("W", w)], [Operand("Y", x), stats]
        if phase is Phase.BP:
            return [Operand("dY", x), Operand("W", w), *self.stash(batch, dtype_bytes)], [Operand("dX", x)]
        if phase is Phase.GD:
            return [Operand("dY", x), *self.stash(batch, dtype_bytes)], [Operand("dW", w)]
        return [Operand("W", w), Operand("dW", w)], [Operand("W", w)]


@dataclass(frozen=True, kw_only=True)
class Add(Layer):
    """Element-wise sum of two or more inputs of the same shape (residual connection)."""

    kind: ClassVar[LayerKind] = LayerKind.ADD

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        if len(self.inputs) < 2:
            raise ConfigError(
                f"layer '{self.name}': an add needs at least two inputs, got {list(self.inputs)}"
            )

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """FP: one add per element per extra input; BP: gradients are copies (none)."""
        phase = as_phase(phase)
        if phase is Phase.FP:
            return batch * self.out_elements * (len(self.inputs) - 1)
        return 0


@dataclass(frozen=True, kw_only=True)
class Concat(Layer):
    """Concatenation along the channels of two or more inputs of the same height and width.

    A flat vector's features are its channels. ``in_shape`` is the first input's shape and ``in_channels`` the channels of each input. FP copies every input
    into its slice of ``Y`` and BP copies each slice of ``dY`` back to its producer: data moved, no arithmetic.
    """

    kind: ClassVar[LayerKind] = LayerKind.CONCAT
    in_channels: tuple[int, ...]

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        object.__setattr__(self, "in_channels", tuple(int(c) for c in self.in_channels))
        if len(self.inputs) < 2 or len(self.in_channels) != len(self.inputs):
            raise ConfigError(
                f"layer '{self.name}': a concat needs two or more inputs and one channel count per input, got"
                f" inputs {list(self.inputs)} and channels {list(self.in_channels)}"
            )
        if self.in_channels[0] != self.in_shape[0] or any(c <= 0 for c in self.in_channels):
            raise ConfigError(
                f"layer '{self.name}': channels {list(self.in_channels)} must be positive, the first equal to the"
                f" first input's ({self.in_shape[0]})"
            )

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        """``(C_i, H, W)`` for each input."""
        _, h, w = self.in_shape
        return tuple((c, h, w) for c in self.in_channels)

    @property
    def out_shape(self) -> Shape:
        """``(sum of C_i, H, W)``."""
        _, h, w = self.in_shape
        return (sum(self.in_channels), h, w)

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """None: a copy."""
        as_phase(phase)
        return 0

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """FP: the inputs (as many bytes as Y) -> Y. BP: dY -> the inputs' dX."""
        phase = as_phase(phase)
        y = batch * self.out_elements * dtype_bytes
        if phase is Phase.FP:
            return [Operand("X", y)], [Operand("Y", y)]
        if phase is Phase.BP:
            return [Operand("dY", y)], [Operand("dX", y)]
        return [], []

    def describe(self) -> str:
        """E.g. ``4x8x8 + 4x8x8 -> 8x8x8``."""
        return " + ".join(_fmt(s) for s in self.input_shapes) + f" -> {_fmt(self.out_shape)}"


@dataclass(frozen=True, kw_only=True)
class Flatten(Layer):
    """Reshape ``(C, H, W)`` to ``(C*H*W, 1, 1)``: a view, no data moved."""

    kind: ClassVar[LayerKind] = LayerKind.FLATTEN

    @property
    def out_shape(self) -> Shape:
        """``(C*H*W, 1, 1)``."""
        return (self.in_elements, 1, 1)

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """None: a view."""
        phase = as_phase(phase)
        return 0

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """None: a view."""
        phase = as_phase(phase)
        return [], []


@dataclass(frozen=True, kw_only=True)
class SoftmaxCrossEntropy(Layer):
    """Softmax followed by the cross-entropy loss against integer labels; it ends the network.

    FP reads the logits and the labels (4 bytes per sample), writes the loss and keeps the probabilities; BP turns
    them into the logits' gradient ``p - onehot(label)``.
    """

    kind: ClassVar[LayerKind] = LayerKind.LOSS

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        if self.in_shape[1:] != (1, 1):
            raise ConfigError(
                f"layer '{self.name}': the loss needs flat logits (classes x 1 x 1), got {_fmt(self.in_shape)}"
            )

    @property
    def out_shape(self) -> Shape:
        """One loss value per sample."""
        return (1, 1, 1)

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """FP: exponent, sum, divide, log (4 per class); BP: one subtraction per class."""
        phase = as_phase(phase)
        n = batch * self.in_elements
        return {Phase.FP: 4 * n, Phase.BP: n}.get(phase, 0)

    def stash(self, batch: int = 1, dtype_bytes: int = 4) -> list[Operand]:
        """Return the softmax probabilities and the labels."""
        return [
            Operand("probs", batch * self.in_elements * dtype_bytes, stashed=True),
            Operand("labels", batch * 4, stashed=True),
        ]

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """FP: logits, labels -> loss, probs. BP: stashed probs and labels -> dX."""
        phase = as_phase(phase)
        x = batch * self.in_elements * dtype_bytes
        if phase is Phase.FP:
            return [Operand("X", x), Operand("labels", batch * 4)], [
                Operand("loss", batch * dtype_bytes),
                Operand("probs", x),
            ]
        if phase is Phase.BP:
            return list(self.stash(batch, dtype_bytes)), [Operand("dX", x)]
        return [], []


@dataclass(frozen=True)
class Network:
    """A CNN as a directed acyclic graph of layers, listed in an order where producers come first.

    Parameters
    ----------
    name
        Network name (``"alexnet"``).
    input_shape
        Per-sample input shape ``(C, H, W)``.
    layers
        The layers; each one's ``inputs`` name earlier layers or :data:`NETWORK_INPUT`.

    Raises
    ------
    ConfigError
        Duplicate or unknown layer names, an input shape that does not match its producer's output (the message
        names the layer), or a layer after the loss.
    """

    name: str
    input_shape: Shape
    layers: tuple[Layer, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)
    _consumers: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "input_shape", tuple(int(d) for d in self.input_shape))
        if not self.layers:
            raise ConfigError(f"network '{self.name}': has no layers")
        index: dict[str, int] = {}
        outputs: dict[str, Shape] = {NETWORK_INPUT: self.input_shape}
        consumers: dict[str, list[str]] = {NETWORK_INPUT: []}
        for i, layer in enumerate(self.layers):
            if layer.name in index or layer.name == NETWORK_INPUT:
                raise ConfigError(
                    f"network '{self.name}': layer name '{layer.name}' is used twice or reserved"
                )
            for src, expected in zip(layer.inputs, layer.input_shapes, strict=True):
                if src not in outputs:
                    raise ConfigError(
                        f"network '{self.name}': layer '{layer.name}' reads '{src}', which is not an earlier layer"
                    )
                if outputs[src] != expected:
                    raise ConfigError(
                        f"network '{self.name}': layer '{layer.name}' expects input {_fmt(expected)} but"
                        f" '{src}' produces {_fmt(outputs[src])}"
                    )
                consumers[src].append(layer.name)
            index[layer.name] = i
            outputs[layer.name] = layer.out_shape
            consumers[layer.name] = []
        for layer in self.layers[:-1]:
            if layer.kind is LayerKind.LOSS:
                raise ConfigError(f"network '{self.name}': the loss '{layer.name}' must be the last layer")
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_consumers", {k: tuple(v) for k, v in consumers.items()})

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def layer(self, name: str) -> Layer:
        """Return the layer called ``name``."""
        try:
            return self.layers[self._index[name]]
        except KeyError:
            raise KeyError(f"network '{self.name}' has no layer '{name}'") from None

    def index(self, name: str) -> int:
        """Position of layer ``name`` in :attr:`layers`."""
        return self._index[name]

    def consumers(self, name: str) -> tuple[str, ...]:
        """Names of the layers that read the output of ``name`` (or of :data:`NETWORK_INPUT`)."""
        return self._consumers[name]

    @property
    def has_loss(self) -> bool:
        """Whether the last layer is a loss."""
        return self.layers[-1].kind is LayerKind.LOSS

    def with_loss(self, name: str = "loss") -> Network:
        """Return the network with a softmax cross-entropy loss appended (unchanged if it already has one)."""
        if self.has_loss:
            return self
        last = self.layers[-1]
        out = last.out_shape
        if out[1:] != (1, 1):
            raise ConfigError(
                f"network '{self.name}': its output {_fmt(out)} (layer '{last.name}') is not flat, so no loss can"
                " follow it"
            )
        loss = SoftmaxCrossEntropy(name=name, inputs=(last.name,), in_shape=out)
        return Network(self.name, self.input_shape, (*self.layers, loss))

    def needs_bp(self) -> dict[str, bool]:
        """Per layer, whether its input gradient (BP) must be computed.

        BP of a layer is needed when one of its producers has parameters or needs BP itself; a layer fed only by the
        network input (the first layer) has none.
        """
        needs: dict[str, bool] = {}
        grad: dict[str, bool] = {NETWORK_INPUT: False}
        for layer in self.layers:
            needs[layer.name] = any(grad[src] for src in layer.inputs)
            grad[layer.name] = needs[layer.name] or layer.has_weights
        return needs

    # --- totals per sample ---------------------------------------------------------------------------------
    def macs(self, phase: Phase = Phase.FP, batch: int = 1) -> int:
        """MACs of ``phase`` over all layers (BP only where needed)."""
        needs = self.needs_bp()
        return sum(
            layer.macs(phase, batch) for layer in self.layers if phase is not Phase.BP or needs[layer.name]
        )

    @property
    def forward_macs(self) -> int:
        """Forward MACs per sample."""
        return self.macs(Phase.FP)

    @property
    def training_macs(self) -> int:
        """FP + BP + GD MACs per sample (no BP for the first layer)."""
        return sum(self.macs(p) for p in (Phase.FP, Phase.BP, Phase.GD))

    @property
    def params(self) -> int:
        """Trainable parameters."""
        return sum(layer.params for layer in self.layers)

    def count(self, *kinds: LayerKind) -> int:
        """Count the layers of the given kinds (all layers when none is given)."""
        return sum(1 for layer in self.layers if not kinds or layer.kind in kinds)

    def stash_bytes(self, batch: int = 1, dtype_bytes: int = 4) -> int:
        """Bytes the forward pass keeps for the backward phases of one instance of ``batch`` samples."""
        return sum(o.nbytes for layer in self.layers for o in layer.stash(batch, dtype_bytes))


class NetworkBuilder:
    """Builds a :class:`Network` layer by layer, tracking shapes: each method appends one layer and returns its name.

    A layer reads the previous layer's output unless ``src`` names another layer (or :data:`NETWORK_INPUT`).

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
        self.input_shape: Shape = (shape[0], shape[1], shape[2])
        self.layers: list[Layer] = []
        self._shapes: dict[str, Shape] = {NETWORK_INPUT: self.input_shape}
        self.last = NETWORK_INPUT

    def shape(self, name: str | None = None) -> Shape:
        """Output shape of layer ``name`` (default: the last one added)."""
        key = self.last if name is None else name
        try:
            return self._shapes[key]
        except KeyError:
            raise ConfigError(f"network '{self.name}': no layer '{key}' to read from") from None

    def add_layer(self, layer: Layer) -> str:
        """Append an already-built layer."""
        if layer.name in self._shapes:
            raise ConfigError(f"network '{self.name}': layer name '{layer.name}' is used twice or reserved")
        self.layers.append(layer)
        self._shapes[layer.name] = layer.out_shape
        self.last = layer.name
        return layer.name

    def _src(self, src: str | None) -> tuple[tuple[str], Shape]:
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
        """Append a :class:`Conv2d`."""
        inputs, shape = self._src(src)
        return self.add_layer(
            Conv2d(
                name=name,
                inputs=inputs,
                in_shape=shape,
                out_channels=out_channels,
                kernel=_pair(kernel, "kernel", name),
                stride=_pair(stride, "stride", name),
                padding=_pair(padding, "padding", name),
                dilation=_pair(dilation, "dilation", name),
                groups=groups,
                bias=bias,
            )
        )

    def linear(self, name: str, out_features: int, *, bias: bool = True, src: str | None = None) -> str:
        """Append a :class:`Linear`."""
        inputs, shape = self._src(src)
        return self.add_layer(
            Linear(name=name, inputs=inputs, in_shape=shape, out_features=out_features, bias=bias)
        )

    def _pool(
        self,
        cls: type[_Pool2d],
        *,
        name: str,
        kernel: int | Sequence[int],
        stride: int | Sequence[int] | None,
        padding: int | Sequence[int],
        ceil_mode: bool,
        src: str | None,
    ) -> str:
        inputs, shape = self._src(src)
        k = _pair(kernel, "kernel", name)
        return self.add_layer(
            cls(
                name=name,
                inputs=inputs,
                in_shape=shape,
                kernel=k,
                stride=k if stride is None else _pair(stride, "stride", name),
                padding=_pair(padding, "padding", name),
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
        """Append a :class:`MaxPool2d` (stride defaults to the kernel)."""
        return self._pool(
            MaxPool2d, name=name, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode, src=src
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
        """Append an :class:`AvgPool2d` (stride defaults to the kernel)."""
        return self._pool(
            AvgPool2d, name=name, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode, src=src
        )

    def global_avgpool(self, name: str, *, src: str | None = None) -> str:
        """Append an :class:`AvgPool2d` whose window is the whole input (output ``C x 1 x 1``)."""
        _, h, w = self.shape(src)
        return self.avgpool(name, (h, w), src=src)

    def relu(self, name: str, *, max_value: float | None = None, src: str | None = None) -> str:
        """Append a :class:`ReLU` (``max_value=6`` for ReLU6)."""
        inputs, shape = self._src(src)
        return self.add_layer(ReLU(name=name, inputs=inputs, in_shape=shape, max_value=max_value))

    def batchnorm(self, name: str, *, src: str | None = None) -> str:
        """Append a :class:`BatchNorm2d`."""
        inputs, shape = self._src(src)
        return self.add_layer(BatchNorm2d(name=name, inputs=inputs, in_shape=shape))

    def add(self, name: str, *srcs: str) -> str:
        """Append an :class:`Add` of the named layers' outputs (which must have equal shapes)."""
        if len(srcs) < 2:
            raise ConfigError(f"layer '{name}': an add needs at least two inputs, got {list(srcs)}")
        shapes = [self.shape(s) for s in srcs]
        for s, sh in zip(srcs[1:], shapes[1:], strict=True):
            if sh != shapes[0]:
                raise ConfigError(
                    f"layer '{name}': cannot add '{srcs[0]}' ({_fmt(shapes[0])}) and '{s}' ({_fmt(sh)}): shapes differ"
                )
        return self.add_layer(Add(name=name, inputs=tuple(srcs), in_shape=shapes[0]))

    def activation(
        self,
        name: str,
        function: str,
        *,
        bounds: tuple[float, float] | None = None,
        src: str | None = None,
    ) -> str:
        """Append an :class:`Activation` (``function``: a key of :data:`ACTIVATIONS`)."""
        inputs, shape = self._src(src)
        return self.add_layer(
            Activation(name=name, inputs=inputs, in_shape=shape, function=function, bounds=bounds)
        )

    def concat(self, name: str, *srcs: str) -> str:
        """Append a :class:`Concat` of the named layers' outputs along their channels (equal height and width)."""
        if len(srcs) < 2:
            raise ConfigError(f"layer '{name}': a concat needs at least two inputs, got {list(srcs)}")
        shapes = [self.shape(s) for s in srcs]
        for s, sh in zip(srcs[1:], shapes[1:], strict=True):
            if sh[1:] != shapes[0][1:]:
                raise ConfigError(
                    f"layer '{name}': cannot concatenate '{srcs[0]}' ({_fmt(shapes[0])}) and '{s}' ({_fmt(sh)}):"
                    " heights or widths differ"
                )
        return self.add_layer(
            Concat(
                name=name, inputs=tuple(srcs), in_shape=shapes[0], in_channels=tuple(sh[0] for sh in shapes)
            )
        )

    def flatten(self, name: str, *, src: str | None = None) -> str:
        """Append a :class:`Flatten`."""
        inputs, shape = self._src(src)
        return self.add_layer(Flatten(name=name, inputs=inputs, in_shape=shape))

    def loss(self, name: str = "loss", *, src: str | None = None) -> str:
        """Append the :class:`SoftmaxCrossEntropy` loss."""
        inputs, shape = self._src(src)
        return self.add_layer(SoftmaxCrossEntropy(name=name, inputs=inputs, in_shape=shape))

    def build(self) -> Network:
        """Return the network (validated)."""
        return Network(self.name, self.input_shape, tuple(self.layers))
