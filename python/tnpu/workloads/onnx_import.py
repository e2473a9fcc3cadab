"""Import an ONNX model as a :class:`~tnpu.workloads.layers.Network`.

Needs the ``onnx`` extra (``pip install "tnpu-sim[onnx]"``); this module is imported only when used.

Supported operators (NCHW tensors, one image input): ``Conv`` (symmetric pads, ``auto_pad`` NOTSET or VALID),
``Gemm`` (``transA = 0``), ``MatMul`` with a weight initializer, ``MaxPool`` / ``AveragePool`` (symmetric pads, no
dilation), ``GlobalAveragePool``, ``Relu``, ``Clip`` to [0, 6] (ReLU6), ``BatchNormalization``, ``Add`` of two
tensors (an ``Add`` of an initializer, i.e. a ``MatMul`` bias, is folded into the preceding layer),
``Flatten`` (axis 1), ``Reshape`` to ``(n, -1)``, ``Dropout``, ``Identity`` and ``Constant``. Anything else raises
:class:`~tnpu.errors.ConfigError` naming the operator and the node.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from tnpu._optional import optional_import
from tnpu.errors import ConfigError
from tnpu.workloads.layers import NETWORK_INPUT, Network, NetworkBuilder


def _symmetric(pads: Sequence[int], what: str, fail: Any) -> tuple[int, int]:
    if not pads:
        return (0, 0)
    if len(pads) != 4 or pads[0] != pads[2] or pads[1] != pads[3]:
        raise fail(f"{what} with asymmetric pads {list(pads)}")
    return (int(pads[0]), int(pads[1]))


def from_onnx(
    model: str | os.PathLike[str] | Any,
    input_shape: Sequence[int] | None = None,
    name: str | None = None,
    add_loss: bool = True,
) -> Network:
    """Import an ONNX model (a ``ModelProto`` or a path to a ``.onnx`` file).

    Parameters
    ----------
    model
        The model or its file.
    input_shape
        Per-sample input ``(C, H, W)``; needed only when the model's input dimensions are symbolic.
    name
        Network name (default: the graph's name, or the file's stem).
    add_loss
        Append a softmax cross-entropy loss after the model's output.

    Raises
    ------
    ConfigError
        For an unsupported operator or attribute (naming the operator and the node), or shapes that do not fit.
    """
    onnx = optional_import("onnx")
    numpy_helper = optional_import("onnx.numpy_helper")
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        try:
            proto = onnx.load(path)
        except Exception as exc:  # onnx raises DecodeError and others for a bad file
            raise ConfigError(f"onnx import: cannot read '{path}' as an ONNX model: {exc}") from exc
        default_name = os.path.splitext(os.path.basename(path))[0]
    else:
        proto, default_name = model, None
    graph = proto.graph
    net_name = name or graph.name or default_name or "onnx_model"
    inits: dict[str, Any] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise ConfigError(
            f"onnx import of '{net_name}': expected one image input, got {[i.name for i in inputs]}"
        )
    dims = [d.dim_value if d.HasField("dim_value") else None for d in inputs[0].type.tensor_type.shape.dim]
    if input_shape is None:
        if len(dims) != 4 or any(d is None for d in dims[1:]):
            raise ConfigError(
                f"onnx import of '{net_name}': input '{inputs[0].name}' has dimensions {dims}; pass input_shape=(C,"
                " H, W)"
            )
        input_shape = tuple(int(d) for d in dims[1:] if d is not None)
    elif len(dims) == 4 and all(d is not None for d in dims[1:]) and tuple(dims[1:]) != tuple(input_shape):
        raise ConfigError(
            f"onnx import of '{net_name}': input_shape {tuple(input_shape)} does not match the model's {dims[1:]}"
        )
    b = NetworkBuilder(net_name, input_shape)
    env: dict[str, str] = {inputs[0].name: NETWORK_INPUT}
    consts: dict[str, Any] = dict(inits)
    used: set[str] = set()

    for index, node in enumerate(graph.node):
        op = node.op_type
        label = node.name or (node.output[0] if node.output else f"#{index}")
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

        def fail(what: str, op: str = op, label: str = label) -> ConfigError:
            return ConfigError(f"onnx import of '{net_name}': unsupported {what} ({op}) at node '{label}'")

        def src(tensor: str, label: str = label) -> str:
            if tensor not in env:
                raise ConfigError(
                    f"onnx import of '{net_name}': node '{label}' reads '{tensor}', which no supported layer produced"
                )
            return env[tensor]

        layer = label if label not in used else f"{label}_{index}"
        used.add(layer)
        out = node.output[0] if node.output else ""
        if op == "Constant":
            value = attrs.get("value")
            if value is None:
                raise fail("Constant without a tensor value")
            consts[out] = numpy_helper.to_array(value)
        elif op == "Conv":
            if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
                raise fail(f"auto_pad {attrs['auto_pad']!r}")
            if len(node.input) < 2 or node.input[1] not in consts:
                raise fail("Conv whose weights are not an initializer")
            w = consts[node.input[1]]
            if w.ndim != 4:
                raise fail(f"Conv with {w.ndim - 2}-D kernels")
            groups = int(attrs.get("group", 1))
            source = src(node.input[0])
            c = b.shape(source)[0]
            if w.shape[1] * groups != c:
                raise ConfigError(
                    f"onnx import of '{net_name}': node '{label}' has weights for {w.shape[1] * groups} input channels"
                    f" but receives {c}"
                )
            env[out] = b.conv(
                layer,
                int(w.shape[0]),
                (int(w.shape[2]), int(w.shape[3])),
                stride=tuple(attrs.get("strides", (1, 1))),
                padding=_symmetric(attrs.get("pads", ()), "padding", fail),
                dilation=tuple(attrs.get("dilations", (1, 1))),
                groups=groups,
                bias=len(node.input) > 2 and bool(node.input[2]),
                src=source,
            )
        elif op in ("Gemm", "MatMul"):
            if len(node.input) < 2 or node.input[1] not in consts:
                raise fail(f"{op} whose second operand is not an initializer")
            if op == "Gemm" and int(attrs.get("transA", 0)) != 0:
                raise fail("Gemm with transA = 1")
            w = consts[node.input[1]]
            if w.ndim != 2:
                raise fail(f"{op} with a {w.ndim}-D weight")
            trans_b = op == "Gemm" and int(attrs.get("transB", 0)) == 1
            n_in, n_out = (w.shape[1], w.shape[0]) if trans_b else (w.shape[0], w.shape[1])
            source = src(node.input[0])
            c = b.shape(source)[0]
            if n_in != c:
                raise ConfigError(
                    f"onnx import of '{net_name}': node '{label}' has weights for {n_in} input features but receives {c}"
                )
            bias = op == "Gemm" and len(node.input) > 2 and bool(node.input[2])
            env[out] = b.linear(layer, int(n_out), bias=bias, src=source)
        elif op in ("MaxPool", "AveragePool"):
            if any(int(d) != 1 for d in attrs.get("dilations", (1, 1))):
                raise fail("pooling with dilation")
            if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
                raise fail(f"auto_pad {attrs['auto_pad']!r}")
            if len(node.output) > 1 and node.output[1]:
                raise fail("MaxPool with an Indices output")
            method = b.maxpool if op == "MaxPool" else b.avgpool
            env[out] = method(
                layer,
                tuple(attrs["kernel_shape"]),
                stride=tuple(attrs.get("strides", (1, 1))),
                padding=_symmetric(attrs.get("pads", ()), "padding", fail),
                ceil_mode=bool(attrs.get("ceil_mode", 0)),
                src=src(node.input[0]),
            )
        elif op == "GlobalAveragePool":
            env[out] = b.global_avgpool(layer, src=src(node.input[0]))
        elif op == "Relu":
            env[out] = b.relu(layer, src=src(node.input[0]))
        elif op == "Clip":
            low = attrs.get(
                "min", consts.get(node.input[1]) if len(node.input) > 1 and node.input[1] else None
            )
            high = attrs.get(
                "max", consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            )
            if low is None or high is None or float(np.asarray(low)) != 0.0:
                raise fail("Clip other than to [0, max]")
            env[out] = b.relu(layer, max_value=float(np.asarray(high)), src=src(node.input[0]))
        elif op == "BatchNormalization":
            env[out] = b.batchnorm(layer, src=src(node.input[0]))
        elif op == "Add":
            a, c = node.input[0], node.input[1]
            if a in env and c in env:
                env[out] = b.add(layer, env[a], env[c])
            elif a in env and c in consts:
                env[out] = env[a]  # a bias added after a MatMul: folded into that layer
            elif c in env and a in consts:
                env[out] = env[c]
            else:
                raise fail("Add of tensors that no supported layer produced")
        elif op == "Flatten":
            if int(attrs.get("axis", 1)) != 1:
                raise fail(f"Flatten with axis {attrs.get('axis')}")
            env[out] = b.flatten(layer, src=src(node.input[0]))
        elif op == "Reshape":
            shape = consts.get(node.input[1]) if len(node.input) > 1 else None
            if shape is None:
                raise fail("Reshape to a shape that is not constant")
            target = [int(d) for d in np.asarray(shape).ravel()]
            source = src(node.input[0])
            c, h, w = b.shape(source)
            if len(target) != 2 or target[1] not in (-1, c * h * w):
                raise fail(f"Reshape to {target} (only (n, -1))")
            env[out] = b.flatten(layer, src=source)
        elif op in ("Dropout", "Identity"):
            env[out] = src(node.input[0])
        else:
            raise fail("operator")
    outputs = list(graph.output)
    if len(outputs) != 1:
        raise ConfigError(
            f"onnx import of '{net_name}': expected one output, got {[o.name for o in outputs]}"
        )
    if env.get(outputs[0].name) != b.last:
        raise ConfigError(
            f"onnx import of '{net_name}': the output '{outputs[0].name}' is not produced by the last layer"
        )
    net = b.build()
    return net.with_loss() if add_loss else net
