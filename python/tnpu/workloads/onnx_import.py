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

import ast
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tnpu._optional import optional_import
from tnpu.errors import ConfigError
from tnpu.workloads.layers import NETWORK_INPUT, Conv2d, Linear, Network, NetworkBuilder, Shape

#: The nearest supported equivalent of operators the importer does not take (named in the error).
_NEAREST = {
    "Gelu": "Sigmoid or SiLU (x * Sigmoid(x)) for an activation of similar cost; there is no GELU layer",
    "LeakyRelu": "Relu",
    "PRelu": "Relu",
    "Elu": "SiLU (x * Sigmoid(x))",
    "Selu": "SiLU (x * Sigmoid(x))",
    "Celu": "SiLU (x * Sigmoid(x))",
    "Softplus": "SiLU (x * Sigmoid(x))",
    "Mish": "SiLU (x * Sigmoid(x))",
    "Softsign": "Tanh",
    "Softmax": "nothing: leave it out of the model; the loss appended after the output is a softmax cross-entropy",
    "LogSoftmax": "nothing: leave it out of the model; the loss appended after the output is a softmax"
    " cross-entropy",
    "LRN": "nothing: leave it out (no MACs or weights; the zoo's AlexNet omits it too)",
    "LayerNormalization": "BatchNormalization",
    "InstanceNormalization": "BatchNormalization",
    "GroupNormalization": "BatchNormalization",
    "ConvTranspose": "Conv (there is no transposed-convolution layer)",
    "Resize": "nothing: there is no up-sampling layer",
    "Upsample": "nothing: there is no up-sampling layer",
    "Pad": "the pads attribute of Conv, MaxPool or AveragePool",
    "ReduceMax": "GlobalMaxPool",
    "ReduceSum": "ReduceMean over height and width (a global average pool)",
    "Einsum": "Gemm or MatMul by a weight initializer",
    "LSTM": "nothing: there are no recurrent layers",
    "GRU": "nothing: there are no recurrent layers",
    "RNN": "nothing: there are no recurrent layers",
    "Transpose": "nothing: activations keep their N x C x H x W layout",
    "Sub": "nothing: element-wise arithmetic with a constant has no layer; fold it into the weights before export",
    "Div": "nothing: element-wise arithmetic with a constant has no layer; fold it into the weights before export",
    "Mul": "x * Sigmoid(x) (SiLU) or x * HardSigmoid(x) (Hardswish); other products have no layer",
}
_DEFAULT_NEAREST = (
    "none close; supported: Conv, Gemm, MatMul, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, ReduceMean,"
    " Relu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish, BatchNormalization, Add, Concat, Flatten, Reshape,"
    " Squeeze, Unsqueeze, Dropout, Identity"
)

#: Operators that make layers (for naming the layers of one PyTorch module).
_LAYER_OPS = frozenset(
    [
        "Conv",
        "Gemm",
        "MatMul",
        "MaxPool",
        "AveragePool",
        "GlobalAveragePool",
        "GlobalMaxPool",
        "ReduceMean",
        "Relu",
        "Clip",
        "Sigmoid",
        "Tanh",
        "HardSigmoid",
        "HardSwish",
        "Mul",
        "BatchNormalization",
        "Add",
        "Concat",
        "Flatten",
        "Reshape",
    ]
)

#: Operators evaluated at import when all their inputs are constants (shape arithmetic and constant sub-graphs).
_CONST_OPS = frozenset(
    [
        "Identity",
        "Cast",
        "CastLike",
        "Shape",
        "Size",
        "Gather",
        "Unsqueeze",
        "Squeeze",
        "Concat",
        "Slice",
        "Reshape",
        "Expand",
        "Transpose",
        "ConstantOfShape",
        "Range",
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Neg",
        "Equal",
        "Where",
        "Floor",
        "Ceil",
        "Sqrt",
        "Abs",
        "Min",
        "Max",
    ]
)


@dataclass
class _Const:
    """A constant tensor: its dimensions, its value (computed when first needed) and whether it is a parameter."""

    dims: tuple[int, ...]
    get: Callable[[], np.ndarray]
    param: bool = False
    _value: np.ndarray | None = None

    def value(self) -> np.ndarray:
        if self._value is None:
            self._value = np.asarray(self.get())
        return self._value


def _of(value: Any, param: bool = False) -> _Const:
    arr = np.asarray(value)
    return _Const(tuple(int(d) for d in arr.shape), lambda: arr, param, arr)


def _literal_list(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _legacy_path(node_name: str) -> tuple[str, str] | None:
    """``/layer1/layer1.0/conv1/Conv`` -> (``layer1.0.conv1``, ``Conv``): the TorchScript exporter's scopes."""
    if not node_name.startswith("/"):
        return None
    parts = [p for p in node_name.split("/") if p]
    if not parts:
        return None
    path: list[str] = []
    for seg in parts[:-1]:
        if path and seg.startswith(path[-1] + "."):
            path[-1] = seg  # "layer1", "layer1.0": the second is the child's full name under the first
        elif path and "." in seg and seg.split(".")[0] == path[-1].split(".")[-1]:
            path[-1] = path[-1] + seg[len(seg.split(".")[0]) :]
        else:
            path.append(seg)
    return ".".join(path), parts[-1]


def _canonical(dims: Sequence[int]) -> Shape | None:
    """Per-sample ONNX dimensions as a layer shape: ``(C, H, W)``, or ``(F, 1, 1)`` for a vector."""
    if len(dims) == 3:
        return (int(dims[0]), int(dims[1]), int(dims[2]))
    if len(dims) == 1:
        return (int(dims[0]), 1, 1)
    return None


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


class _Importer:
    """One import: the graph walk, the constants and the layer names."""

    def __init__(
        self, onnx: Any, numpy_helper: Any, proto: Any, *, net_name: str, base_dir: str, restore_bn: bool
    ) -> None:
        self.onnx = onnx
        self.numpy_helper = numpy_helper
        self.proto = proto
        self.graph = proto.graph
        self.net = net_name
        self.base_dir = base_dir
        self.restore_bn = restore_bn
        self.consts: dict[str, _Const] = {}
        for t in self.graph.initializer:
            self.consts[t.name] = _Const(tuple(int(d) for d in t.dims), self._loader(t), param=True)
        self.env: dict[str, str] = {}  # activation tensor -> the layer producing it
        self.dims: dict[str, tuple[int, ...]] = {}  # activation tensor -> per-sample ONNX dimensions
        self.batch = 1
        self.b: NetworkBuilder | None = None
        self.used_names: set[str] = set()
        self.consumers: dict[str, list[int]] = {}
        for i, node in enumerate(self.graph.node):
            for t in node.input:
                if t:
                    self.consumers.setdefault(t, []).append(i)
        self.skip: set[int] = set()  # nodes folded into a later one (the Sigmoid of a SiLU)
        self.fused: dict[int, str] = {}  # Mul node -> activation it completes
        self.producer_of: dict[str, int] = {
            out: i for i, node in enumerate(self.graph.node) for out in node.output if out
        }
        self.shared_paths: set[str] = set()  # TorchScript scopes with several layers: named path.op

    # --- errors and names ----------------------------------------------------------------------------------
    def _loader(self, tensor: Any) -> Callable[[], np.ndarray]:
        def load() -> np.ndarray:
            try:
                return np.asarray(self.numpy_helper.to_array(tensor, base_dir=self.base_dir))
            except Exception as exc:  # external data missing, unsupported dtype...
                raise ConfigError(
                    f"onnx import of '{self.net}': cannot read the value of initializer '{tensor.name}': {exc}"
                ) from exc

        return load

    def fail(self, node: Any, what: str) -> ConfigError:
        return ConfigError(
            f"onnx import of '{self.net}': unsupported {what} ({node.op_type}) at node '{self.label(node)}'"
        )

    def unsupported_operator(self, node: Any, detail: str = "") -> ConfigError:
        nearest = _NEAREST.get(node.op_type, _DEFAULT_NEAREST)
        extra = f" ({detail})" if detail else ""
        return ConfigError(
            f"onnx import of '{self.net}': unsupported operator ({node.op_type}) at node '{self.label(node)}'{extra};"
            f" nearest supported: {nearest}"
        )

    def error(self, node: Any, text: str) -> ConfigError:
        return ConfigError(f"onnx import of '{self.net}': node '{self.label(node)}' ({node.op_type}): {text}")

    @staticmethod
    def label(node: Any) -> str:
        return str(node.name or (node.output[0] if node.output else node.op_type))

    def _meta(self, node: Any) -> dict[str, str]:
        return {p.key: p.value for p in getattr(node, "metadata_props", ())}

    def preferred_name(self, node: Any) -> str:
        """Return a layer name from the PyTorch module names the file carries, else the node's name."""
        weight = node.input[1] if node.op_type in ("Conv", "Gemm", "MatMul") and len(node.input) > 1 else ""
        if weight.endswith(".weight") and weight in self.consts and self.consts[weight].param:
            return weight[: -len(".weight")]
        meta = self._meta(node)
        scopes = _literal_list(meta.get("pkg.torch.onnx.name_scopes"))
        classes = _literal_list(meta.get("pkg.torch.onnx.class_hierarchy"))
        if len(scopes) >= 2 and "FuseBatchNorm" not in meta.get("pkg.onnxscript.rewriter.rule_name", ""):
            module = scopes[-2]
            if module and len(classes) >= 2 and classes[-2].startswith("torch.nn.modules."):
                return module
            return f"{module}.{scopes[-1]}" if module else scopes[-1]
        legacy = _legacy_path(node.name)
        if legacy is not None:
            path, op = legacy
            if (
                path and path in self.shared_paths
            ):  # e.g. F.relu twice in one block: layer1.relu, layer1.relu_1
                return f"{path}.{op.lower()}"
            return path or op.lower()
        return self.label(node)

    def unique(self, preferred: str, node: Any) -> str:
        candidate = preferred or self.label(node)
        if candidate in self.used_names or candidate == NETWORK_INPUT:
            legacy = _legacy_path(node.name)
            if legacy is not None and legacy[0]:
                candidate = f"{legacy[0]}.{legacy[1].lower()}"
        base, n = candidate, 1
        while candidate in self.used_names or candidate == NETWORK_INPUT:
            candidate = f"{base}_{n}"
            n += 1
        self.used_names.add(candidate)
        return candidate

    # --- constants -----------------------------------------------------------------------------------------
    def attrs(self, node: Any) -> dict[str, Any]:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def const(self, tensor: str) -> _Const | None:
        return self.consts.get(tensor) if tensor else None

    def const_ints(self, node: Any, tensor: str, what: str) -> list[int]:
        c = self.const(tensor)
        if c is None:
            raise self.fail(node, f"{what} that is not a constant")
        return [int(v) for v in np.asarray(c.value()).ravel()]

    def eval_const(self, node: Any, attrs: dict[str, Any]) -> None:
        """Evaluate a node whose inputs are all constants (or the shape of an activation)."""
        self.consts[node.output[0]] = self._const_result(node, attrs)

    def _const_result(self, node: Any, attrs: dict[str, Any]) -> _Const:
        op = node.op_type
        ins = list(node.input)

        def v(i: int) -> np.ndarray:
            c = self.const(ins[i]) if i < len(ins) else None
            if c is None:
                raise self.error(node, f"input {i} is not a constant")
            return c.value()

        def has(i: int) -> bool:
            return i < len(ins) and bool(ins[i])

        def axes_of() -> list[int] | None:
            axes = attrs.get("axes")
            if axes is None and has(1):
                axes = [int(a) for a in v(1).ravel()]
            return None if axes is None else [int(a) for a in axes]

        binary: dict[str, Callable[[Any, Any], Any]] = {
            "Add": np.add,
            "Sub": np.subtract,
            "Mul": np.multiply,
            "Equal": np.equal,
            "Min": np.minimum,
            "Max": np.maximum,
        }
        unary: dict[str, Callable[[Any], Any]] = {
            "Neg": np.negative,
            "Floor": np.floor,
            "Ceil": np.ceil,
            "Sqrt": np.sqrt,
            "Abs": np.abs,
        }
        src = self.consts.get(ins[0]) if ins else None
        if op == "Identity" and src is not None:
            return src
        if op == "Transpose" and src is not None:
            perm = [int(p) for p in attrs.get("perm") or reversed(range(len(src.dims)))]
            return _Const(
                tuple(src.dims[p] for p in perm), lambda: np.transpose(src.value(), perm), src.param
            )
        if op in ("Cast", "CastLike") and src is not None:
            like = self.const(ins[1]) if op == "CastLike" else None
            if op == "Cast":
                dtype = np.dtype(self.onnx.helper.tensor_dtype_to_np_dtype(attrs["to"]))
            else:  # cast like an activation (float) or like a constant
                dtype = like.value().dtype if like is not None else np.dtype(np.float32)
            return _Const(src.dims, lambda: src.value().astype(dtype), src.param)
        result: Any
        if op in ("Shape", "Size"):
            full = self._full_dims(ins[0])
            if op == "Size":
                result = np.array(math.prod(full), dtype=np.int64)
            else:
                start, end = int(attrs.get("start", 0)), attrs.get("end")
                result = np.array(full[start : None if end is None else int(end)], dtype=np.int64)
        elif op == "Gather":
            result = np.take(v(0), v(1).astype(np.int64), axis=int(attrs.get("axis", 0)))
        elif op == "Squeeze":
            x, axes = v(0), axes_of()
            result = np.squeeze(x, axis=tuple(axes)) if axes else np.squeeze(x)
        elif op == "Unsqueeze":
            x, axes = v(0), axes_of() or []
            for a in sorted(a % (x.ndim + len(axes)) for a in axes):
                x = np.expand_dims(x, a)
            result = x
        elif op == "Concat":
            result = np.concatenate([v(i) for i in range(len(ins))], axis=int(attrs["axis"]))
        elif op == "Slice":
            x = v(0)
            starts, ends = v(1).ravel(), v(2).ravel()
            axes_v = v(3).ravel() if has(3) else np.arange(len(starts))
            steps = v(4).ravel() if has(4) else np.ones(len(starts), dtype=np.int64)
            index = [slice(None)] * x.ndim
            for s, e, a, st in zip(starts, ends, axes_v, steps, strict=True):
                index[int(a)] = slice(int(s), int(e), int(st))
            result = x[tuple(index)]
        elif op == "Reshape":
            x = v(0)
            shape = [int(d) for d in v(1).ravel()]
            if not int(attrs.get("allowzero", 0)):
                shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
            result = x.reshape(shape)
        elif op == "Expand":
            x = v(0)
            result = x * np.ones([int(d) for d in v(1).ravel()], dtype=x.dtype)
        elif op == "ConstantOfShape":
            value = attrs.get("value")
            fill = self.numpy_helper.to_array(value) if value is not None else np.zeros(1, np.float32)
            result = np.full([int(d) for d in v(0).ravel()], fill.ravel()[0], dtype=fill.dtype)
        elif op == "Range":
            start, limit, delta = (v(i).item() for i in range(3))
            result = np.arange(start, limit, delta)
        elif op in binary:
            result = binary[op](v(0), v(1))
        elif op == "Div":
            num, den = v(0), v(1)
            both_int = np.issubdtype(num.dtype, np.integer) and np.issubdtype(den.dtype, np.integer)
            result = num // den if both_int else num / den
        elif op in unary:
            result = unary[op](v(0))
        elif op == "Where":
            result = np.where(v(0), v(1), v(2))
        else:
            raise self.unsupported_operator(node)
        return _of(result)

    def _full_dims(self, tensor: str) -> list[int]:
        if tensor in self.dims:
            return [self.batch, *self.dims[tensor]]
        c = self.const(tensor)
        if c is None:
            raise ConfigError(f"onnx import of '{self.net}': the shape of '{tensor}' is not known")
        return list(c.dims)

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

    def src(self, node: Any, tensor: str) -> str:
        if tensor not in self.env:
            if tensor in self.consts:
                raise self.error(node, f"reads the constant '{tensor}' where an activation is expected")
            raise ConfigError(
                f"onnx import of '{self.net}': node '{self.label(node)}' reads '{tensor}', which no supported"
                " layer produced"
            )
        return self.env[tensor]

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

    def _is_constant_input(self, op: str, i: int, tensor: str) -> bool:
        if not tensor:
            return True
        if tensor in self.consts:
            return True
        # the shape of an activation, or the dtype of the activation a constant is cast like, is known
        return tensor in self.dims and ((op in ("Shape", "Size") and i == 0) or (op == "CastLike" and i == 1))

    def _constant(self, node: Any, attrs: dict[str, Any]) -> _Const:
        if "value" in attrs:
            return _of(self.numpy_helper.to_array(attrs["value"]))
        for key, dtype in (
            ("value_float", np.float32),
            ("value_floats", np.float32),
            ("value_int", np.int64),
            ("value_ints", np.int64),
        ):
            if key in attrs:
                return _of(np.asarray(attrs[key], dtype=dtype))
        raise self.fail(node, f"Constant with {', '.join(attrs) or 'no value'}")

    def _spatial(self, node: Any) -> None:
        dims = self.dims.get(node.input[0], ())
        if len(dims) != 3:
            raise self.error(node, f"needs an N x C x H x W input, got N x {' x '.join(map(str, dims))}")

    def _padding(
        self,
        node: Any,
        attrs: dict[str, Any],
        *,
        shape: Shape,
        kernel: tuple[int, ...],
        strides: tuple[int, ...],
        dilations: tuple[int, ...],
    ) -> tuple[int, int]:
        auto = attrs.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else str(auto)
        if auto in ("NOTSET", ""):
            pads = [int(p) for p in attrs.get("pads", ())]
            if not pads:
                return (0, 0)
            if len(pads) != 4 or pads[0] != pads[2] or pads[1] != pads[3]:
                raise self.fail(node, f"padding with asymmetric pads {pads}")
            return (pads[0], pads[1])
        if auto == "VALID":
            return (0, 0)
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            result = []
            for size, k, s, d in zip(shape[1:], kernel, strides, dilations, strict=True):
                out = -(-size // s)
                total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
                if total % 2:
                    raise self.fail(node, f"auto_pad {auto} with an odd total padding ({total})")
                result.append(total // 2)
            return (result[0], result[1])
        raise self.fail(node, f"auto_pad {auto!r}")

    def _conv(self, node: Any, attrs: dict[str, Any], new_name: Callable[[], str], emit: Any) -> None:
        b = self.b
        assert b is not None
        weight = self.const(node.input[1]) if len(node.input) > 1 else None
        if weight is None:
            raise self._no_weight(node)
        if len(weight.dims) != 4:
            raise self.fail(node, f"Conv with {len(weight.dims) - 2}-D kernels")
        x = self.src(node, node.input[0])
        self._spatial(node)
        groups = int(attrs.get("group", 1))
        k, c_per_group, r, s = weight.dims
        c = b.shape(x)[0]
        if c_per_group * groups != c:
            raise self.error(node, f"has weights for {c_per_group * groups} input channels but receives {c}")
        strides = tuple(int(v) for v in attrs.get("strides", (1, 1)))
        dilations = tuple(int(v) for v in attrs.get("dilations", (1, 1)))
        padding = self._padding(
            node, attrs, shape=b.shape(x), kernel=(r, s), strides=strides, dilations=dilations
        )
        bias = self._has_bias(node, 2)
        folded_bn = self._folded_batchnorm(node, "Conv")
        conv_name = new_name()
        layer = b.conv(
            conv_name,
            k,
            (r, s),
            stride=strides,
            padding=padding,
            dilation=dilations,
            groups=groups,
            bias=bias and (folded_bn is None or self._own_bias(node)),
            src=x,
        )
        if folded_bn is not None:
            layer = b.batchnorm(self.unique(folded_bn or f"{conv_name}.bn", node), src=layer)
        emit(layer, b.shape(layer))

    def _folded_batchnorm(self, node: Any, kind: str) -> str | None:
        """Return the name of a batch norm the exporter folded into this node ('' when unknown), or None."""
        if not self.restore_bn:
            return None
        meta = self._meta(node)
        if f"FuseBatchNormInto{kind}" in meta.get("pkg.onnxscript.rewriter.rule_name", ""):
            scopes = _literal_list(meta.get("pkg.torch.onnx.name_scopes"))
            return scopes[-2] if len(scopes) >= 2 else ""
        # TorchScript exporter, eval mode: the folded weight is a new constant named after the op, with a bias
        weight = node.input[1]
        if kind == "Conv" and weight.startswith("onnx::Conv_") and self._has_bias(node, 2):
            return ""
        return None

    def _no_weight(self, node: Any) -> ConfigError:
        weight = node.input[1] if len(node.input) > 1 else ""
        if weight and weight not in self.producer_of and weight not in self.env:
            return self.error(
                node,
                f"its weight '{weight}' is not in the file (the default exporter leaves the weights out with"
                " export_params=False; export with them, or with dynamo=False)",
            )
        return self.fail(node, f"{node.op_type} whose weights are not a constant")

    @staticmethod
    def _own_bias(node: Any) -> bool:
        """Whether a node with a folded batch norm had a bias of its own: the bias keeps the parameter's name."""
        weight = node.input[1]
        return (
            len(node.input) > 2
            and weight.endswith(".weight")
            and node.input[2] == weight[: -len("weight")] + "bias"
        )

    def _has_bias(self, node: Any, i: int) -> bool:
        """Whether input ``i`` is a bias: a parameter, or a computed constant that is not all zeros."""
        if len(node.input) <= i or not node.input[i]:
            return False
        c = self.const(node.input[i])
        if c is None:
            raise self.fail(node, f"{node.op_type} whose bias is not a constant")
        if c.param:
            return True
        return bool(np.any(c.value() != 0))

    def _linear(self, node: Any, attrs: dict[str, Any], new_name: Callable[[], str], emit: Any) -> None:
        b = self.b
        assert b is not None
        op = node.op_type
        a_in, w_in = node.input[0], node.input[1] if len(node.input) > 1 else ""
        weight = self.const(w_in)
        if weight is None:
            if w_in not in self.env:
                raise self._no_weight(node)
            if a_in in self.consts:
                raise self.fail(node, f"{op} whose first operand is the constant (weights times activations)")
            raise self.unsupported_operator(node, "a product of two activations")
        if op == "Gemm" and int(attrs.get("transA", 0)) != 0:
            raise self.fail(node, "Gemm with transA = 1 (transposed activations; export nn.Linear as it is)")
        if len(weight.dims) != 2:
            raise self.fail(node, f"{op} with a {len(weight.dims)}-D weight")
        trans_b = op == "Gemm" and int(attrs.get("transB", 0)) == 1
        n_in, n_out = (weight.dims[1], weight.dims[0]) if trans_b else (weight.dims[0], weight.dims[1])
        x = self.src(node, a_in)
        dims = self.dims[a_in]
        if len(dims) != 1:
            raise self.error(
                node,
                f"needs one vector per sample (N x F), got N x {' x '.join(map(str, dims))}; flatten first",
            )
        if n_in != dims[0]:
            raise self.error(node, f"has weights for {n_in} input features but receives {dims[0]}")
        bias = op == "Gemm" and self._has_bias(node, 2)
        folded_bn = self._folded_batchnorm(node, "Gemm") if op == "Gemm" else None
        name = new_name()
        layer = b.linear(name, int(n_out), bias=bias and (folded_bn is None or self._own_bias(node)), src=x)
        if folded_bn is not None:
            layer = b.batchnorm(self.unique(folded_bn or f"{name}.bn", node), src=layer)
        emit(layer, (int(n_out),))

    def _clip(self, node: Any, attrs: dict[str, Any], new_name: Callable[[], str], emit: Any) -> None:
        b = self.b
        assert b is not None

        def bound(attr: str, i: int) -> float | None:
            if attr in attrs:
                return float(attrs[attr])
            if len(node.input) > i and node.input[i]:
                c = self.const(node.input[i])
                if c is None:
                    raise self.fail(node, "Clip with a bound that is not a constant")
                return float(np.asarray(c.value()).ravel()[0])
            return None

        low, high = bound("min", 1), bound("max", 2)
        x = self.src(node, node.input[0])
        dims = self.dims[node.input[0]]
        if low == 0.0:
            emit(b.relu(new_name(), max_value=high, src=x), dims)
        else:
            bounds = (-math.inf if low is None else low, math.inf if high is None else high)
            emit(b.activation(new_name(), "clip", bounds=bounds, src=x), dims)

    def _add(self, node: Any, new_name: Callable[[], str], emit: Any) -> None:
        b = self.b
        assert b is not None
        a, c = node.input[0], node.input[1]
        if a in self.env and c in self.env:
            if self.dims[a] != self.dims[c]:
                raise self.fail(
                    node, f"Add of {list(self.dims[a])} and {list(self.dims[c])} (no broadcasting)"
                )
            emit(b.add(new_name(), self.env[a], self.env[c]), self.dims[a])
            return
        x, k = (a, c) if a in self.env else (c, a)
        self.src(node, x)  # raises the clear message when neither operand is an activation
        if k not in self.consts:
            self.src(node, k)
        producer = self.env[x]
        layer = b.layers[-1] if b.layers and b.layers[-1].name == producer else None
        size = math.prod(self.consts[k].dims) if self.consts[k].dims else 1
        if isinstance(layer, (Linear, Conv2d)) and size == layer.out_shape[0]:
            if not layer.bias:  # a MatMul's (or Conv's) bias, exported as its own Add: part of that layer
                b.layers[-1] = replace(layer, bias=True)
            self.env[node.output[0]] = producer
            self.dims[node.output[0]] = self.dims[x]
            return
        raise self.unsupported_operator(
            node, f"a constant added to the output of '{producer}' that is not the bias of a MatMul or Conv"
        )

    def _concat(self, node: Any, attrs: dict[str, Any], new_name: Callable[[], str], emit: Any) -> None:
        b = self.b
        assert b is not None
        ins = [t for t in node.input if t]
        missing = [t for t in ins if t not in self.env]
        if missing:
            raise self.fail(node, f"Concat of activations and constants ({missing[0]} is not an activation)")
        ranks = {len(self.dims[t]) for t in ins}
        if len(ranks) != 1:
            raise self.fail(node, "Concat of tensors of different ranks")
        rank = ranks.pop() + 1
        axis = int(attrs.get("axis", 1)) % rank
        if axis != 1:
            raise self.fail(node, f"Concat along axis {axis} (only along the channels, axis 1)")
        layer = b.concat(new_name(), *[self.env[t] for t in ins])
        emit(layer, (b.shape(layer)[0], *self.dims[ins[0]][1:]))

    def _reshape(
        self,
        node: Any,
        attrs: dict[str, Any],
        new_name: Callable[[], str],
        emit: Any,
        passthrough: Callable[[Sequence[int] | None], None],
    ) -> None:
        b = self.b
        assert b is not None
        x = node.input[0]
        source = self.src(node, x)
        target = self.const_ints(node, node.input[1], "Reshape to a shape")
        full = [self.batch, *self.dims[x]]
        if not int(attrs.get("allowzero", 0)):
            target = [full[i] if d == 0 and i < len(full) else d for i, d in enumerate(target)]
        total = math.prod(full)
        if target.count(-1) > 1:
            raise self.fail(node, f"Reshape to {target}")
        if -1 in target:
            known = math.prod(d for d in target if d != -1)
            if known <= 0 or total % known:
                raise self.fail(node, f"Reshape of {full} to {target}")
            target = [total // known if d == -1 else d for d in target]
        if math.prod(target) != total or not target or target[0] != self.batch:
            raise self.fail(
                node, f"Reshape of {full} to {target} (the first dimension must stay the batch: (N, -1))"
            )
        sample = target[1:]
        if sample == list(self.dims[x]):
            passthrough(sample)
        elif len(sample) == 1:
            layer = b.flatten(new_name(), src=source)
            emit(layer, sample)
        elif _canonical(sample) == b.shape(source):
            passthrough(sample)
        else:
            raise self.fail(
                node,
                f"Reshape of {full} to {target} (only to one vector per sample, (N, -1), or the same layout)",
            )

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
