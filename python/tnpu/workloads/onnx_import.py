"""Import an ONNX model as a :class:`~tnpu.workloads.layers.Network`.

Needs the ``onnx`` extra (``pip install "tnpu-sim[onnx]"``); this module is imported only when used.

The importer takes what ``torch.onnx.export`` writes by default, with either exporter (the default one, based on
``torch.export`` and the onnxscript optimiser, or ``dynamo=False``), from a model in eval or training mode, with
constant folding on or off (``docs/workloads.md``, "Importers", lists the combinations tested). One image input
(``N x C x H x W``, or ``N x F`` for a flat input) and one output. Layers:

=====================================================  ========================================================
ONNX                                                    layer
=====================================================  ========================================================
``Conv`` (2-D; groups, so depthwise; symmetric pads     :class:`Conv2d`
or ``auto_pad``)
``Gemm`` (``transB`` 0 or 1), ``MatMul`` by a weight    :class:`Linear` (a constant ``Add`` after it is its bias)
``MaxPool``, ``AveragePool``, ``GlobalMaxPool``,        :class:`MaxPool2d`, :class:`AvgPool2d`
``GlobalAveragePool``, ``ReduceMean`` over H and W
``Relu``, ``Clip`` from 0                               :class:`ReLU` (``Clip(0, 6)``: ReLU6)
``Sigmoid``, ``Tanh``, ``HardSigmoid``, ``HardSwish``,  :class:`Activation`; ``x * Sigmoid(x)`` is one SiLU and
``Clip`` (other bounds), ``Mul`` of the two below       ``x * HardSigmoid(x)`` one Hardswish
``BatchNormalization``, and a batch norm the exporter   :class:`BatchNorm2d`
folded into a ``Conv`` (see below)
``Add`` of two tensors, ``Concat`` along the channels   :class:`Add`, :class:`Concat`
``Flatten``, ``Reshape`` to ``(N, -1)``                 :class:`Flatten` (a ``Reshape``, ``Squeeze`` or
                                                        ``Unsqueeze`` that keeps the layout is nothing)
``Dropout``, ``Identity``                               nothing
=====================================================  ========================================================

Shape arithmetic (``Shape``, ``Gather``, ``Concat``, ``Unsqueeze``, ``Reshape``, ``Expand``, ``Cast``... of
constants) is evaluated at import, so ``x.view(x.size(0), -1)`` and the exporters' constant sub-graphs import.
Nodes that do not lead to the output are ignored.

**Folded batch norms.** Both exporters fold a batch norm into the convolution (or ``Gemm``) before it when they
optimise, which would lose the batch norm's training work. The importer restores it, a :class:`BatchNorm2d` after
the layer, when the file says a fold happened: the default exporter records it in the node's metadata (rule
``FuseBatchNormIntoConv``/``FuseBatchNormIntoGemm``), and ``dynamo=False`` in eval mode names the folded weight
``onnx::Conv_<n>`` instead of the parameter's name. The layer keeps a bias only when the file shows it had one (the
default exporter keeps the parameter's name ``<module>.bias``); after ``dynamo=False`` it gets none (as in
torchvision, where a convolution before a batch norm has no bias). ``restore_batchnorm=False`` keeps the folded
layer as it is.

Layer names follow the PyTorch module names when the file has them (``layer1.0.conv1``), from the weights' names,
the exporters' metadata or the node names. After import each layer's output shape is checked against ONNX's own
shape inference. An unsupported operator raises :class:`~tnpu.errors.ConfigError` naming the operator, the node and
the nearest supported equivalent.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tnpu._optional import optional_import
from tnpu.errors import ConfigError
from tnpu.workloads._onnx_base import _CONST_OPS, _LAYER_OPS, _canonical, _Const, _legacy_path
from tnpu.workloads._onnx_layers import _LayerOps
from tnpu.workloads.layers import NETWORK_INPUT, Network, NetworkBuilder, Shape


def from_onnx(
    model: str | os.PathLike[str] | Any,
    input_shape: Sequence[int] | None = None,
    name: str | None = None,
    add_loss: bool = True,
    *,
    restore_batchnorm: bool = True,
) -> Network:
    """Import an ONNX model (a ``ModelProto`` or a path to a ``.onnx`` file).

    Parameters
    ----------
    model
        The model or its file. Weights stored outside the file (``external_data``) are not read: only their shapes
        are needed.
    input_shape
        Per-sample input ``(C, H, W)`` (``(F, 1, 1)`` for a flat input); needed only when the model's input
        dimensions are symbolic.
    name
        Network name (default: the file's stem, or the graph's name for a ``ModelProto``).
    add_loss
        Append a softmax cross-entropy loss after the model's output.
    restore_batchnorm
        Put back the batch norms an exporter folded into the convolution before them (see the module docstring).

    Raises
    ------
    ConfigError
        For an unreadable file, an unsupported operator or attribute (naming the operator, the node and the nearest
        supported equivalent), or shapes that do not fit.
    """
    onnx = optional_import("onnx")
    numpy_helper = optional_import("onnx.numpy_helper")
    base_dir = ""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.isfile(path):
            raise ConfigError(f"onnx import: no such file '{path}'")
        try:
            proto = onnx.load(path, load_external_data=False)
        except Exception as exc:  # onnx raises DecodeError and others for a bad file
            raise ConfigError(f"onnx import: cannot read '{path}' as an ONNX model: {exc}") from exc
        default_name = os.path.splitext(os.path.basename(path))[0]
        base_dir = os.path.dirname(os.path.abspath(path))
        net_name = name or default_name
    else:
        proto = model
        if not hasattr(proto, "graph"):
            raise ConfigError(
                f"onnx import: expected an ONNX ModelProto or a .onnx file, got {type(model).__name__}"
            )
        net_name = name or proto.graph.name or "onnx_model"
    importer = _Importer(
        onnx, numpy_helper, proto, net_name=net_name, base_dir=base_dir, restore_bn=restore_batchnorm
    )
    return importer.run(input_shape, add_loss)


class _Importer(_LayerOps):
    """One import: the graph walk over the nodes that lead to the output."""

    # --- the walk ------------------------------------------------------------------------------------------
    def run(self, input_shape: Sequence[int] | None, add_loss: bool) -> Network:
        graph = self.graph
        inputs = [i for i in graph.input if i.name not in self.consts]
        if (
            len(inputs) > 1
        ):  # exported without its weights (export_params=False): they are inputs, used as weights
            weights = [i for i in inputs if self._only_weight(i.name)]
            for w in weights:
                shape_of = tuple(int(d.dim_value) for d in w.type.tensor_type.shape.dim)
                self.consts[w.name] = _Const(shape_of, self._no_value(w.name), param=True)
            inputs = [i for i in inputs if i.name not in self.consts]
        if len(inputs) != 1:
            raise ConfigError(
                f"onnx import of '{self.net}': expected one image input, got {[i.name for i in inputs]}"
            )
        image = inputs[0]
        dims: list[int | None] = [
            int(d.dim_value) if d.HasField("dim_value") else None for d in image.type.tensor_type.shape.dim
        ]
        if len(dims) not in (2, 4):
            raise ConfigError(
                f"onnx import of '{self.net}': input '{image.name}' has {len(dims)} dimensions; expected"
                " N x C x H x W (or N x F)"
            )
        sample = dims[1:]
        known = None if None in sample else _canonical([int(d) for d in sample if d is not None])
        if input_shape is None:
            if known is None:
                raise ConfigError(
                    f"onnx import of '{self.net}': input '{image.name}' has dimensions {dims}; pass"
                    " input_shape=(C, H, W)"
                )
            shape: Shape = known
        else:
            given = tuple(int(d) for d in input_shape)
            if len(given) != 3:
                raise ConfigError(
                    f"onnx import of '{self.net}': input_shape must be (C, H, W), got {tuple(input_shape)}"
                )
            shape = (given[0], given[1], given[2])
            if known is not None and known != shape:
                raise ConfigError(
                    f"onnx import of '{self.net}': input_shape {tuple(input_shape)} does not match the model's"
                    f" {sample}"
                )
            if len(sample) == 1 and shape[1:] != (1, 1):
                raise ConfigError(
                    f"onnx import of '{self.net}': input '{image.name}' is flat (N x F); input_shape must be"
                    f" (F, 1, 1), got {tuple(input_shape)}"
                )
        self.batch = dims[0] if dims[0] else 1
        self.b = b = NetworkBuilder(self.net, shape)
        self.env[image.name] = NETWORK_INPUT
        self.dims[image.name] = tuple(shape) if len(sample) == 3 else (shape[0],)

        live = self._live()
        self._find_fusions(live)
        seen: set[str] = set()
        for i in sorted(live - self.skip):
            node = graph.node[i]
            legacy = _legacy_path(node.name) if node.op_type in _LAYER_OPS else None
            if legacy is not None and legacy[0]:
                if legacy[0] in seen:
                    self.shared_paths.add(legacy[0])
                seen.add(legacy[0])
        for index, node in enumerate(graph.node):
            if index not in live or index in self.skip:
                continue
            self.node(index, node)

        outputs = list(graph.output)
        if len(outputs) != 1:
            raise ConfigError(
                f"onnx import of '{self.net}': expected one output, got {[o.name for o in outputs]}"
            )
        if self.env.get(outputs[0].name) != b.last:
            raise ConfigError(
                f"onnx import of '{self.net}': the output '{outputs[0].name}' is not produced by the last layer"
            )
        net = b.build()
        self._check_shapes(net)
        return net.with_loss() if add_loss else net

    def _only_weight(self, tensor: str) -> bool:
        """Whether every use of a graph input is as a weight: never the first operand (the data) of a node."""
        uses = self.consumers.get(tensor, [])
        return bool(uses) and all(
            list(self.graph.node[i].input).index(tensor) >= 1 or self.graph.node[i].op_type == "Identity"
            for i in uses
        )

    def _no_value(self, tensor: str) -> Callable[[], np.ndarray]:
        def fail() -> np.ndarray:
            raise ConfigError(
                f"onnx import of '{self.net}': the value of '{tensor}' is needed but the file holds only its shape"
                " (exported with export_params=False)"
            )

        return fail

    def _live(self) -> set[int]:
        """Nodes the graph output depends on."""
        live: set[int] = set()
        todo = [o.name for o in self.graph.output]
        seen: set[str] = set()
        while todo:
            t = todo.pop()
            if t in seen:
                continue
            seen.add(t)
            i = self.producer_of.get(t)
            if i is None or i in live:
                continue
            live.add(i)
            todo.extend(x for x in self.graph.node[i].input if x)
        return live

    def _find_fusions(self, live: set[int]) -> None:
        """``Mul(x, Sigmoid(x))`` is a SiLU and ``Mul(x, HardSigmoid(x))`` a Hardswish (one layer each)."""
        nodes = self.graph.node
        for i, node in enumerate(nodes):
            if i not in live or node.op_type != "Mul" or len(node.input) != 2:
                continue
            for gate, other in ((node.input[0], node.input[1]), (node.input[1], node.input[0])):
                j = self.producer_of.get(gate)
                if j is None or j not in live:
                    continue
                g = nodes[j]
                if g.input[0] != other or len(self.consumers.get(gate, [])) != 1:
                    continue
                if g.op_type == "Sigmoid":
                    self.skip.add(j)
                    self.fused[i] = "silu"
                    break
                if g.op_type == "HardSigmoid":
                    a = self.attrs(g)
                    if math.isclose(float(a.get("alpha", 0.2)), 1 / 6, rel_tol=1e-4) and math.isclose(
                        float(a.get("beta", 0.5)), 0.5
                    ):
                        self.skip.add(j)
                        self.fused[i] = "hardswish"
                        break

    def node(self, index: int, node: Any) -> None:
        b = self.b
        assert b is not None
        op = node.op_type
        attrs = self.attrs(node)
        out = node.output[0] if node.output else ""
        data = [t for t in node.input if t]

        if op == "Constant":
            self.consts[out] = self._constant(node, attrs)
            return
        if (
            op in _CONST_OPS
            and data
            and all(self._is_constant_input(op, i, t) for i, t in enumerate(node.input))
        ):
            self.eval_const(node, attrs)
            return

        def emit(layer: str, dims: Sequence[int]) -> None:
            self.env[out] = layer
            self.dims[out] = tuple(int(d) for d in dims)

        def passthrough(dims: Sequence[int] | None = None) -> None:
            x = node.input[0]
            self.env[out] = self.src(node, x)
            self.dims[out] = tuple(dims) if dims is not None else self.dims[x]

        def new_name() -> str:
            return self.unique(self.preferred_name(node), node)

        if op == "Conv":
            self._conv(node, attrs, new_name, emit)
        elif op in ("Gemm", "MatMul"):
            self._linear(node, attrs, new_name, emit)
        elif op in ("MaxPool", "AveragePool"):
            if any(int(d) != 1 for d in attrs.get("dilations", (1, 1))):
                raise self.fail(node, "pooling with dilation")
            x = self.src(node, node.input[0])
            self._spatial(node)
            kernel = tuple(int(k) for k in attrs["kernel_shape"])
            strides = tuple(int(s) for s in attrs.get("strides", (1, 1)))
            padding = self._padding(
                node, attrs, shape=b.shape(x), kernel=kernel, strides=strides, dilations=(1, 1)
            )
            if kernel == (1, 1) and strides == (1, 1) and padding == (0, 0):
                passthrough()  # a 1x1 window: the identity (an adaptive pool to the size it already has)
                return
            method = b.maxpool if op == "MaxPool" else b.avgpool
            layer = method(
                new_name(),
                kernel,
                stride=strides,
                padding=padding,
                ceil_mode=bool(attrs.get("ceil_mode", 0)),
                src=x,
            )
            emit(layer, b.shape(layer))
        elif op in ("GlobalAveragePool", "GlobalMaxPool"):
            x = self.src(node, node.input[0])
            self._spatial(node)
            c, h, w = b.shape(x)
            if op == "GlobalMaxPool":
                layer = b.maxpool(new_name(), (h, w), src=x)
            else:
                layer = b.global_avgpool(new_name(), src=x)
            emit(layer, (c, 1, 1))
        elif op == "ReduceMean":
            x = self.src(node, node.input[0])
            rank = len(self.dims[node.input[0]]) + 1
            axes = attrs.get("axes")
            if axes is None and len(node.input) > 1 and node.input[1]:
                axes = self.const_ints(node, node.input[1], "ReduceMean axes")
            axes_set = {int(a) % rank for a in axes} if axes else set(range(rank))
            if rank != 4 or axes_set != {2, 3}:
                raise self.fail(
                    node,
                    f"ReduceMean over axes {sorted(axes_set)} of a rank-{rank} tensor (only over height and width,"
                    " axes (2, 3): a global average pool)",
                )
            c = b.shape(x)[0]
            layer = b.global_avgpool(new_name(), src=x)
            emit(layer, (c, 1, 1) if int(attrs.get("keepdims", 1)) else (c,))
        elif op == "Relu":
            x = self.src(node, node.input[0])
            emit(b.relu(new_name(), src=x), self.dims[node.input[0]])
        elif op == "Clip":
            self._clip(node, attrs, new_name, emit)
        elif op in ("Sigmoid", "Tanh", "HardSigmoid", "HardSwish"):
            function = {
                "Sigmoid": "sigmoid",
                "Tanh": "tanh",
                "HardSigmoid": "hardsigmoid",
                "HardSwish": "hardswish",
            }
            x = self.src(node, node.input[0])
            emit(b.activation(new_name(), function[op], src=x), self.dims[node.input[0]])
        elif op == "Mul" and index in self.fused:
            x = node.input[0] if node.input[0] in self.env else node.input[1]
            emit(b.activation(new_name(), self.fused[index], src=self.src(node, x)), self.dims[x])
        elif op == "BatchNormalization":
            x = self.src(node, node.input[0])
            c = b.shape(x)[0]
            scale = self.const(node.input[1]) if len(node.input) > 1 else None
            if scale is not None and scale.dims and scale.dims[0] != c:
                raise self.error(node, f"has a scale for {scale.dims[0]} channels but receives {c}")
            emit(b.batchnorm(new_name(), src=x), self.dims[node.input[0]])
        elif op == "Add":
            self._add(node, new_name, emit)
        elif op == "Concat":
            self._concat(node, attrs, new_name, emit)
        elif op == "Flatten":
            x = node.input[0]
            rank = len(self.dims.get(x, ())) + 1
            axis = int(attrs.get("axis", 1))
            if axis % rank != 1:
                raise self.fail(node, f"Flatten with axis {axis} (only axis 1: one vector per sample)")
            layer = b.flatten(new_name(), src=self.src(node, x))
            emit(layer, (b.shape(layer)[0],))
        elif op == "Reshape":
            self._reshape(node, attrs, new_name, emit, passthrough)
        elif op in ("Squeeze", "Unsqueeze"):
            x = node.input[0]
            self.src(node, x)
            axes = attrs.get("axes")
            if axes is None and len(node.input) > 1 and node.input[1]:
                axes = self.const_ints(node, node.input[1], f"{op} axes")
            full = [self.batch, *self.dims[x]]
            if op == "Squeeze":
                rank = len(full)
                drop = {int(a) % rank for a in axes} if axes else {i for i, d in enumerate(full) if d == 1}
                if 0 in drop:
                    raise self.fail(node, "Squeeze of the batch dimension")
                new = [d for i, d in enumerate(full) if i not in drop]
            else:
                rank = len(full) + len(axes or [])
                new = list(full)
                for a in sorted(int(a) % rank for a in axes or []):
                    new.insert(a, 1)
                if new[0] != self.batch or (axes and 0 in {int(a) % rank for a in axes}):
                    raise self.fail(node, "Unsqueeze before the batch dimension")
            if _canonical(new[1:]) != b.shape(self.env[x]):
                raise self.fail(node, f"{op} to {new} (it would change the N x C x H x W layout)")
            passthrough(new[1:])
        elif op in ("Dropout", "Identity"):
            passthrough()
        elif op in ("Sub", "Mul", "Div") and any(t in self.consts for t in node.input):
            raise self.unsupported_operator(node, "an activation with a constant")
        elif op == "Mul":
            raise self.unsupported_operator(node, "a product of two activations")
        elif op == "MatMul":
            raise self.unsupported_operator(node)
        else:
            raise self.unsupported_operator(node)

    def _check_shapes(self, net: Network) -> None:
        """Compare every layer's output shape with ONNX's shape inference, where it knows the shape."""
        try:
            inferred = self.onnx.shape_inference.infer_shapes(self.proto)
        except (self.onnx.shape_inference.InferenceError, ValueError):  # a cross-check only
            return
        known: dict[str, list[int]] = {}
        for vi in [*inferred.graph.value_info, *inferred.graph.output]:
            dims = vi.type.tensor_type.shape.dim
            if dims and all(d.HasField("dim_value") for d in dims[1:]):
                known[vi.name] = [int(d.dim_value) for d in dims[1:]]
        names = {layer.name for layer in net.layers}
        for tensor, layer_name in self.env.items():
            if layer_name == NETWORK_INPUT or layer_name not in names or tensor not in known:
                continue
            theirs = _canonical(known[tensor])
            ours = net.layer(layer_name).out_shape
            if theirs is not None and theirs != ours:
                raise ConfigError(
                    f"onnx import of '{self.net}': layer '{layer_name}' (tensor '{tensor}') has output"
                    f" {'x'.join(map(str, ours))} but ONNX infers {'x'.join(map(str, theirs))}"
                )
