"""CNN training workloads: layers, the model zoo, the training graph and compute traces.

The importers (:mod:`tnpu.workloads.torch_fx`, :mod:`tnpu.workloads.onnx_import`) need optional packages and are
imported only when used: ``from_torch(...)`` and ``from_onnx(...)`` below load them on first call.

Examples
--------
>>> from tnpu.workloads import TrainingGraph, get_network
>>> net = get_network("alexnet")
>>> round(net.forward_macs / 1e6, 1), round(net.params / 1e6, 1)
(724.4, 61.0)
>>> graph = TrainingGraph(net, batch=50)
>>> arrays = graph.to_arrays()  # what crosses into C++ and what compute traces store
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from tnpu.workloads.layers import (
    ACTIVATIONS,
    NETWORK_INPUT,
    Activation,
    Add,
    AvgPool2d,
    BatchNorm2d,
    Concat,
    Conv2d,
    Flatten,
    Layer,
    LayerKind,
    Linear,
    MaxPool2d,
    Network,
    NetworkBuilder,
    Operand,
    Phase,
    ReLU,
    SoftmaxCrossEntropy,
)
from tnpu.workloads.resolve import load_model
from tnpu.workloads.scalesim_topology import from_scalesim_topology
from tnpu.workloads.traces import read_compute_trace, write_compute_trace
from tnpu.workloads.training import TASK_DTYPE, TaskArrays, TrainingGraph
from tnpu.workloads.zoo import ZOO, get_network, list_networks

if TYPE_CHECKING:
    from collections.abc import Sequence


def from_torch(
    module: Any, input_shape: Sequence[int], name: str | None = None, add_loss: bool = True
) -> Network:
    """Import a PyTorch ``nn.Module`` through torch.fx (needs the ``torch`` extra); see :mod:`.torch_fx`."""
    from tnpu.workloads.torch_fx import from_torch as _impl

    return _impl(module, input_shape, name=name, add_loss=add_loss)


def from_onnx(
    model: str | os.PathLike[str] | Any,
    input_shape: Sequence[int] | None = None,
    name: str | None = None,
    add_loss: bool = True,
    *,
    restore_batchnorm: bool = True,
) -> Network:
    """Import an ONNX model or file (needs the ``onnx`` extra); see :mod:`.onnx_import`."""
    from tnpu.workloads.onnx_import import from_onnx as _impl

    return _impl(model, input_shape, name=name, add_loss=add_loss, restore_batchnorm=restore_batchnorm)


__all__ = [
    "ACTIVATIONS",
    "NETWORK_INPUT",
    "TASK_DTYPE",
    "ZOO",
    "Activation",
    "Add",
    "AvgPool2d",
    "BatchNorm2d",
    "Concat",
    "Conv2d",
    "Flatten",
    "Layer",
    "LayerKind",
    "Linear",
    "MaxPool2d",
    "Network",
    "NetworkBuilder",
    "Operand",
    "Phase",
    "ReLU",
    "SoftmaxCrossEntropy",
    "TaskArrays",
    "TrainingGraph",
    "from_onnx",
    "from_scalesim_topology",
    "from_torch",
    "get_network",
    "list_networks",
    "load_model",
    "read_compute_trace",
    "write_compute_trace",
]
