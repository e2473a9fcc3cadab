"""The base of the ONNX importer (:mod:`tnpu.workloads.onnx_import`): its tables, constants and names.

:class:`_ImporterBase` holds one import's state (the graph, its constants, the activation tensors and the layer
producing each), the error messages (naming the node and the nearest supported operator), the layer names taken
from the PyTorch module names, and the evaluation of constant sub-graphs (shape arithmetic) at import.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tnpu.errors import ConfigError
from tnpu.workloads.layers import NETWORK_INPUT, NetworkBuilder, Shape

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


class _ImporterBase:
    """One import's state, its errors and layer names, and its constants."""

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

    def src(self, node: Any, tensor: str) -> str:
        if tensor not in self.env:
            if tensor in self.consts:
                raise self.error(node, f"reads the constant '{tensor}' where an activation is expected")
            raise ConfigError(
                f"onnx import of '{self.net}': node '{self.label(node)}' reads '{tensor}', which no supported"
                " layer produced"
            )
        return self.env[tensor]

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
