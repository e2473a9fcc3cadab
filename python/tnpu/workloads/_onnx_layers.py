"""The layers of the ONNX importer (:mod:`tnpu.workloads.onnx_import`): one method per supported operator kind.

Convolutions (with their padding and a batch norm the exporter folded into them), linear layers (``Gemm`` and
``MatMul`` by a weight, with a following bias), ``Clip`` as ReLU/ReLU6 or an activation, ``Add``, ``Concat`` and the
reshapes that flatten or keep the layout.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from tnpu.errors import ConfigError
from tnpu.workloads._onnx_base import _canonical, _ImporterBase, _literal_list
from tnpu.workloads.layers import Conv2d, Linear, Shape


class _LayerOps(_ImporterBase):
    """The layer of each supported operator, emitted into the network being built."""

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
