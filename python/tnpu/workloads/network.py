"""A CNN as a directed acyclic graph of layers (:class:`Network`), with its costs read from C++ in one call."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from tnpu import _core
from tnpu.errors import ConfigError
from tnpu.workloads.layers import (
    NETWORK_INPUT,
    Layer,
    LayerKind,
    Phase,
    Shape,
    SoftmaxCrossEntropy,
    _fmt,
    as_phase,
)


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

    # --- costs (computed in C++, one call for all layers) -------------------------------------------------
    def costs(self, batch: int = 1, dtype_bytes: int = 4) -> dict[str, npt.NDArray[np.int64]]:
        """Every layer's costs for ``batch`` samples in one call to C++.

        Returns int64 arrays indexed ``[layer, phase]`` for ``m``, ``n``, ``k`` (the task records' GEMM shape),
        ``macs``, ``vector_ops``, ``bytes_in`` and ``bytes_out``; ``[layer]`` for ``stash_bytes`` and ``params``;
        ``[layer, 3]`` for ``out_shape``.
        """
        out: dict[str, npt.NDArray[np.int64]] = _core.layer_costs(
            [layer.desc() for layer in self.layers], int(batch), int(dtype_bytes)
        )
        return out

    # --- totals per sample ---------------------------------------------------------------------------------
    def macs(self, phase: Phase = Phase.FP, batch: int = 1) -> int:
        """MACs of ``phase`` over all layers (BP only where needed)."""
        phase = as_phase(phase)
        per_layer = self.costs(batch)["macs"][:, int(phase)]
        if phase is Phase.BP:
            needs = self.needs_bp()
            per_layer = per_layer * np.array([needs[layer.name] for layer in self.layers], dtype=np.int64)
        return int(per_layer.sum())

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
        return int(self.costs()["params"].sum())

    def count(self, *kinds: LayerKind) -> int:
        """Count the layers of the given kinds (all layers when none is given)."""
        return sum(1 for layer in self.layers if not kinds or layer.kind in kinds)

    def stash_bytes(self, batch: int = 1, dtype_bytes: int = 4) -> int:
        """Bytes the forward pass keeps for the backward phases of one instance of ``batch`` samples."""
        return int(self.costs(batch, dtype_bytes)["stash_bytes"].sum())
