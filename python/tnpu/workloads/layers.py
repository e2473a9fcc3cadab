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

The classes here hold a layer's configuration and validate it; the formulas (output shapes, parameters, MACs, GEMM
shapes, element-wise operations, operand bytes) live in C++ (``cpp/include/tnpu/workload/layer_costs.hpp``), which
the simulator uses too. Each layer describes itself to C++ as a ``LayerDesc`` (:meth:`Layer.desc`);
:meth:`Network.costs` reads every layer's costs in one call.

Conventions
-----------
- ``BP`` computes the gradient with respect to the layer's input (``dX``); ``GD`` computes the gradient with respect
  to its parameters (``dW``), accumulated over the instances of a batch; ``WU`` applies the update once per batch
  (plain SGD: one multiply-add per parameter, reading ``W`` and ``dW`` and writing ``W``).
- MACs of BP and GD equal those of FP (derived in ``layer_costs.hpp``: BP computes ``dX = W^T dY``, one MAC per
  (sample, filter, channel, kernel position, output position) tuple, as FP). For a convolution the implicit-GEMM
  shape of BP given by :meth:`Conv2d.gemm` is the dense one over the zero-padded, zero-inserted ``dY``
  (``M = C, N = B*H*W, K = K_out*R*S/groups``), whose product ``M*N*K`` is ``H*W/(P*Q)`` times the MACs (about
  ``stride_h*stride_w`` for a padded strided convolution); the task records carry both.
- Grouped convolutions (``groups = g``) are ``g`` independent GEMMs of ``(M/g) x N x K`` each; :meth:`Conv2d.gemm`
  returns ``M`` summed over the groups and ``K`` per group, so ``M*N*K`` is the MAC count of the whole layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from tnpu import _core
from tnpu.errors import ConfigError

#: Name that a layer lists among its inputs to read the network input.
NETWORK_INPUT = "input"

#: An activation shape per sample: (channels, height, width). A flat vector of F features is (F, 1, 1).
Shape = tuple[int, int, int]

# Phase (training phase of a task: FP, BP, GD, WU) and LayerKind (the layer type code in task arrays and compute
# traces; ``kind.label`` is its lower-case text form and ``LayerKind.from_label(text)`` parses it) are enum.IntEnums
# defined in C++ (tnpu/phase.hpp, tnpu/layer_kind.hpp) and exported by the bindings; they are re-exported here.
from tnpu._core import LayerKind as LayerKind  # noqa: PLC0414
from tnpu._core import Phase as Phase  # noqa: PLC0414


def as_phase(phase: Phase | int | str) -> Phase:
    """Convert ``Phase.FP``, ``0`` or ``"FP"`` (any case) to a :class:`Phase`; raise ValueError otherwise."""
    if isinstance(phase, Phase):
        return phase
    if isinstance(phase, str) and phase.strip().upper() in Phase.__members__:
        return Phase[phase.strip().upper()]
    if isinstance(phase, int) and not isinstance(phase, bool) and 0 <= phase < len(Phase):
        return Phase(phase)
    raise ValueError(f"unknown phase {phase!r} (expected FP, BP, GD or WU)")


#: Element-wise activations other than ReLU: operations per element of FP and of BP, and what BP needs from FP
#: (``"X"``: the input, kept; ``"Y"``: the output, kept; ``"mask"``: one bit per element, written by FP). Read from
#: C++ (``kActivations``).
ACTIVATIONS: dict[str, tuple[int, int, str]] = {
    name: (fp, bp, need) for name, fp, bp, need in _core.activations()
}
_ACTIVATION_INDEX = {name: i for i, name in enumerate(ACTIVATIONS)}


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


#: The fields of ``tnpu._core.LayerDesc`` after the kind, in its constructor's order, with its defaults.
_DESC_DEFAULTS: dict[str, Any] = {"c": 1, "h": 1, "w": 1, "inputs": 1, "k": 1, "r": 1, "s": 1, "stride_h": 1}
_DESC_DEFAULTS |= {"stride_w": 1, "pad_h": 0, "pad_w": 0, "dilation_h": 1, "dilation_w": 1, "groups": 1}
_DESC_DEFAULTS |= {"ceil_mode": False, "bias": True, "clipped": False, "activation": -1}


def _set_pairs(layer: Layer, fields: Sequence[tuple[str, int]]) -> None:
    """Turn each ``(field, lowest value)`` of a frozen layer into a pair of numbers and check its bounds."""
    for what, low in fields:
        pair = _pair(getattr(layer, what), what, layer.name)
        if any(int(v) < low for v in pair):
            raise ConfigError(
                f"layer '{layer.name}': {what} must be a pair of numbers >= {low}, got {pair!r}"
            )
        object.__setattr__(layer, what, pair)


def _window_fields(
    kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int]
) -> dict[str, Any]:
    """Return the window fields of a ``LayerDesc`` (conv and pooling)."""
    (r, s), (sh, sw), (ph, pw) = kernel, stride, padding
    return {"r": r, "s": s, "stride_h": sh, "stride_w": sw, "pad_h": ph, "pad_w": pw}


def _operands(items: list[tuple[str, int, bool]]) -> list[Operand]:
    return [Operand(name, int(nbytes), bool(stashed)) for name, nbytes, stashed in items]


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

    # --- the layer as C++ sees it --------------------------------------------------------------------------
    def _desc_fields(self) -> dict[str, Any]:
        """Fields of :meth:`desc` beyond the kind, the input shape and the input count."""
        return {}

    def desc(self) -> Any:
        """Return the ``tnpu._core.LayerDesc`` of this layer (per sample), from which C++ computes its costs."""
        cached = self.__dict__.get("_desc")
        if cached is None:
            c, h, w = self.in_shape
            fields = {**_DESC_DEFAULTS, "c": int(c), "h": int(h), "w": int(w), "inputs": len(self.inputs)}
            fields.update(self._desc_fields())
            if len(fields) != len(
                _DESC_DEFAULTS
            ):  # a field name not in _DESC_DEFAULTS would shift the others
                raise AssertionError(
                    f"unknown LayerDesc field in {sorted(set(fields) - set(_DESC_DEFAULTS))}"
                )
            cached = _core.LayerDesc(self.kind, *fields.values())  # positional: much faster than keywords
            self.__dict__["_desc"] = cached  # a cache beside the frozen fields (not part of eq, hash or repr)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the fields only (the cached ``LayerDesc`` is rebuilt on demand)."""
        state = dict(self.__dict__)
        state.pop("_desc", None)
        return state

    def _cost(self, phase: Phase | int | str, batch: int) -> tuple[int, ...]:
        return tuple(_core.layer_cost(self.desc(), int(as_phase(phase)), int(batch), 4))

    # --- shapes --------------------------------------------------------------------------------------------
    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        """Per-sample shape of each input, in the order of :attr:`inputs` (all :attr:`in_shape` but for a concat)."""
        return (self.in_shape,) * len(self.inputs)

    @property
    def out_shape(self) -> Shape:
        """Per-sample output shape (the input shape unless the layer changes it)."""
        c, h, w = self.desc().out_shape
        return (int(c), int(h), int(w))

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

    # --- costs (computed in C++) ---------------------------------------------------------------------------
    @property
    def params(self) -> int:
        """Trainable parameters (weights, biases, batch-norm scale and shift)."""
        return int(self.desc().params)

    @property
    def has_weights(self) -> bool:
        """Whether the layer has trainable parameters (so GD and WU tasks)."""
        return self.params > 0

    def macs(self, phase: Phase | int | str, batch: int = 1) -> int:
        """Multiply-accumulates of ``phase`` for ``batch`` samples (WU: per batch, independent of ``batch``)."""
        return int(self._cost(phase, batch)[3])

    def vector_ops(self, phase: Phase | int | str, batch: int = 1) -> int:
        """Element-wise operations of ``phase`` (work for a vector unit, not a GEMM), for ``batch`` samples."""
        return int(self._cost(phase, batch)[4])

    def stash(self, batch: int = 1, dtype_bytes: int = 4) -> list[Operand]:
        """Return the data the forward pass keeps for the backward phases of the same instance."""
        return _operands(_core.layer_stash(self.desc(), int(batch), int(dtype_bytes)))

    def operands(
        self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4
    ) -> tuple[list[Operand], list[Operand]]:
        """Operands read and written by ``phase`` for ``batch`` samples, as ``(inputs, outputs)``.

        An element-wise layer without parameters: FP reads ``X`` and writes ``Y`` (plus the mask or indices its BP
        needs); BP reads ``dY`` and what FP stashed and writes ``dX``. A layer with parameters: FP ``X, W -> Y``,
        BP ``dY, W -> dX``, GD ``dY, stashed X -> dW``, WU ``W, dW -> W``.
        """
        ins, outs = _core.layer_operands(self.desc(), int(as_phase(phase)), int(batch), int(dtype_bytes))
        return _operands(ins), _operands(outs)

    def bytes_in(self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4) -> int:
        """Bytes read by ``phase``."""
        return sum(o.nbytes for o in self.operands(phase, batch, dtype_bytes)[0])

    def bytes_out(self, phase: Phase | int | str, batch: int = 1, dtype_bytes: int = 4) -> int:
        """Bytes written by ``phase``."""
        return sum(o.nbytes for o in self.operands(phase, batch, dtype_bytes)[1])

    def describe(self) -> str:
        """One-line description of the layer's configuration."""
        return f"{_fmt(self.in_shape)} -> {_fmt(self.out_shape)}"


class _GemmLayer(Layer):
    """Conv2d and Linear: layers whose FP, BP and GD are GEMMs."""

    def gemm(self, phase: Phase | int | str, batch: int = 1) -> tuple[int, int, int]:
        """Implicit-GEMM shape ``(M, N, K)`` of ``phase`` in the task records' orientation; ``(0, 0, 0)`` for WU."""
        m, n, k = self._cost(phase, batch)[:3]
        return (int(m), int(n), int(k))


@dataclass(frozen=True, kw_only=True)
class Conv2d(_GemmLayer):
    """2-D convolution with stride, padding, dilation and groups (depthwise when ``groups == C == K``).

    MACs: ``B * K * C/groups * R * S * P * Q`` for FP, BP and GD; 0 for WU. :meth:`gemm` gives FP ``M = K_out,
    N = B*P*Q, K = C*R*S/groups``; BP ``M = C, N = B*H*W, K = K_out*R*S/groups`` (dense over the zero-inserted
    ``dY`` when strided); GD ``M = K_out, N = C*R*S/groups, K = B*P*Q``. With ``g`` groups the task is ``g`` GEMMs
    of ``(M/g, N, K)``; ``M`` here is summed over the groups.
    """

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
        _set_pairs(self, (("kernel", 1), ("stride", 1), ("padding", 0), ("dilation", 1)))
        c = self.in_shape[0]
        if self.out_channels <= 0:
            raise ConfigError(f"layer '{n}': out_channels must be positive, got {self.out_channels}")
        if self.groups <= 0 or c % self.groups or self.out_channels % self.groups:
            raise ConfigError(
                f"layer '{n}': groups={self.groups} must divide the input channels ({c}) and the output channels"
                f" ({self.out_channels})"
            )
        _, p, q = self.out_shape
        if p <= 0 or q <= 0:
            raise ConfigError(
                f"layer '{n}': a {self.kernel[0]}x{self.kernel[1]} kernel (dilation {self.dilation}, padding"
                f" {self.padding}) does not fit the {_fmt(self.in_shape)} input"
            )

    def _desc_fields(self) -> dict[str, Any]:
        return {
            **_window_fields(self.kernel, self.stride, self.padding),
            "k": int(self.out_channels),
            "dilation_h": self.dilation[0],
            "dilation_w": self.dilation[1],
            "groups": int(self.groups),
            "bias": bool(self.bias),
        }

    @property
    def weights(self) -> int:
        """Filter weights ``K * C/groups * R * S`` (without bias)."""
        return int(self.desc().weights)

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

    def describe(self) -> str:
        """E.g. ``3x227x227 -> 96x55x55 11x11/s4 p0 g1``."""
        extra = f" d{self.dilation[0]}" if self.dilation != (1, 1) else ""
        return (
            f"{_fmt(self.in_shape)} -> {_fmt(self.out_shape)} {self.kernel[0]}x{self.kernel[1]}/s{self.stride[0]}"
            f" p{self.padding[0]} g{self.groups}{extra}"
        )


@dataclass(frozen=True, kw_only=True)
class Linear(_GemmLayer):
    """Fully-connected layer. Its input must be flat, ``(in_features, 1, 1)``.

    MACs: ``B * N_in * N_out`` for FP, BP and GD. :meth:`gemm`: FP ``(N_out, B, N_in)``; BP ``(N_in, B, N_out)``;
    GD ``(N_out, N_in, B)``; WU ``(0, 0, 0)``.
    """

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

    def _desc_fields(self) -> dict[str, Any]:
        return {"k": int(self.out_features), "bias": bool(self.bias)}

    @property
    def in_features(self) -> int:
        """Input features ``N_in``."""
        return self.in_shape[0]

    @property
    def weights(self) -> int:
        """``N_out * N_in`` (without bias)."""
        return self.in_features * self.out_features

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

    def describe(self) -> str:
        """E.g. ``9216 -> 4096``."""
        return f"{self.in_features} -> {self.out_features}"


@dataclass(frozen=True, kw_only=True)
class _Pool2d(Layer):
    """Pooling: FP costs one operation per window element per output, BP one per output gradient.

    The output size follows PyTorch's floor/ceil rule (a ceil window must start inside the input).
    """

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int] = (0, 0)
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        _set_pairs(self, (("kernel", 1), ("stride", 1), ("padding", 0)))
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

    def _desc_fields(self) -> dict[str, Any]:
        return {**_window_fields(self.kernel, self.stride, self.padding), "ceil_mode": bool(self.ceil_mode)}

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


@dataclass(frozen=True, kw_only=True)
class AvgPool2d(_Pool2d):
    """Average pooling (global average pooling has the input's size as kernel); BP spreads gradients evenly."""

    kind: ClassVar[LayerKind] = LayerKind.AVGPOOL


@dataclass(frozen=True, kw_only=True)
class ReLU(Layer):
    """Rectified linear unit, optionally clipped (``max_value=6`` for ReLU6).

    BP needs the stashed sign mask: one bit per element (a clipped ReLU stores one byte, as telling clipping apart
    needs two bits' worth).
    """

    kind: ClassVar[LayerKind] = LayerKind.RELU
    max_value: float | None = None

    def _desc_fields(self) -> dict[str, Any]:
        return {"clipped": self.max_value is not None}

    def describe(self) -> str:
        """E.g. ``64x56x56`` or ``64x56x56 max 6``."""
        clip = f" max {self.max_value:g}" if self.max_value is not None else ""
        return f"{_fmt(self.in_shape)}{clip}"


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

    def _desc_fields(self) -> dict[str, Any]:
        return {"activation": _ACTIVATION_INDEX[self.function]}

    def describe(self) -> str:
        """E.g. ``32x8x8 silu`` or ``32x8x8 clip [-1, 1]``."""
        extra = f" [{self.bounds[0]:g}, {self.bounds[1]:g}]" if self.bounds is not None else ""
        return f"{_fmt(self.in_shape)} {self.function}{extra}"


@dataclass(frozen=True, kw_only=True)
class BatchNorm2d(Layer):
    """Batch normalisation with a learned scale and shift per channel (training mode: batch statistics).

    FP: statistics and normalisation (2 operations per element); BP: 3; GD: 2; WU: one per parameter. FP stashes the
    input and the per-channel mean and inverse deviation.
    """

    kind: ClassVar[LayerKind] = LayerKind.BATCHNORM


@dataclass(frozen=True, kw_only=True)
class Add(Layer):
    """Element-wise sum of two or more inputs of the same shape (residual connection).

    FP costs one add per element per extra input; BP none (the gradients are copies).
    """

    kind: ClassVar[LayerKind] = LayerKind.ADD

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        if len(self.inputs) < 2:
            raise ConfigError(
                f"layer '{self.name}': an add needs at least two inputs, got {list(self.inputs)}"
            )


@dataclass(frozen=True, kw_only=True)
class Concat(Layer):
    """Concatenation along the channels of two or more inputs of the same height and width.

    A flat vector's features are its channels. ``in_shape`` is the first input's shape and ``in_channels`` the
    channels of each input. FP copies every input into its slice of ``Y`` and BP copies each slice of ``dY`` back to
    its producer: data moved, no arithmetic.
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

    def _desc_fields(self) -> dict[str, Any]:
        return {"k": sum(self.in_channels)}

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        """``(C_i, H, W)`` for each input."""
        _, h, w = self.in_shape
        return tuple((c, h, w) for c in self.in_channels)

    def describe(self) -> str:
        """E.g. ``4x8x8 + 4x8x8 -> 8x8x8``."""
        return " + ".join(_fmt(s) for s in self.input_shapes) + f" -> {_fmt(self.out_shape)}"


@dataclass(frozen=True, kw_only=True)
class Flatten(Layer):
    """Reshape ``(C, H, W)`` to ``(C*H*W, 1, 1)``: a view, no data moved."""

    kind: ClassVar[LayerKind] = LayerKind.FLATTEN


@dataclass(frozen=True, kw_only=True)
class SoftmaxCrossEntropy(Layer):
    """Softmax followed by the cross-entropy loss against integer labels; it ends the network.

    FP reads the logits and the labels (4 bytes per sample), writes the loss (one value per sample) and keeps the
    probabilities; BP turns them into the logits' gradient ``p - onehot(label)``. FP costs 4 operations per class
    (exponent, sum, divide, log), BP one.
    """

    kind: ClassVar[LayerKind] = LayerKind.LOSS

    def __post_init__(self) -> None:
        Layer.__post_init__(self)
        if self.in_shape[1:] != (1, 1):
            raise ConfigError(
                f"layer '{self.name}': the loss needs flat logits (classes x 1 x 1), got {_fmt(self.in_shape)}"
            )


# The network and its builder live in their own modules; importing them here keeps ``tnpu.workloads.layers.Network``
# and ``NetworkBuilder`` working.
from tnpu.workloads.builder import NetworkBuilder as NetworkBuilder  # noqa: PLC0414 (a re-export)
from tnpu.workloads.network import Network as Network  # noqa: PLC0414 (a re-export)
