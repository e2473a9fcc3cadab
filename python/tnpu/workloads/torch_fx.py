"""Import a PyTorch ``nn.Module`` as a :class:`~tnpu.workloads.layers.Network`, through torch.fx.

Needs the ``torch`` extra (``pip install "tnpu-sim[torch]"``); this module is imported only when used.

The module is traced symbolically (``torch.fx.symbolic_trace``) and every graph node is mapped to a layer:

==========================================  ==============================================================
PyTorch                                     layer
==========================================  ==============================================================
``nn.Conv2d``                               :class:`Conv2d` (stride, padding incl. ``"same"``/``"valid"``,
                                            dilation, groups, bias)
``nn.Linear``                               :class:`Linear`
``nn.MaxPool2d``, ``F.max_pool2d``          :class:`MaxPool2d` (no dilation)
``nn.AvgPool2d``, ``F.avg_pool2d``          :class:`AvgPool2d`
``nn.AdaptiveAvgPool2d``, ``F.adaptive_*``  :class:`AvgPool2d` when the output divides the input (global
                                            pooling for output 1); nothing when output == input
``nn.ReLU``, ``nn.ReLU6``, ``F.relu``,      :class:`ReLU` (``max_value=6`` for ReLU6)
``torch.relu``, ``.relu()``
``nn.Sigmoid``, ``nn.Tanh``, ``nn.SiLU``,   :class:`Activation` (``x * torch.sigmoid(x)`` is one SiLU;
``nn.Hardswish``, ``nn.Hardsigmoid``,       ``Hardtanh`` to other bounds than [0, 6] is a ``clip``)
``nn.Hardtanh``, their ``F.``/``torch.``
forms and ``.sigmoid()``, ``.tanh()``
``nn.BatchNorm2d``                          :class:`BatchNorm2d`
``+``, ``torch.add``, ``.add()``            :class:`Add` (of two tensors)
``torch.cat`` along dimension 1             :class:`Concat`
``x.mean((2, 3))``, ``torch.mean``          :class:`AvgPool2d` over the whole input (global pooling)
``nn.Flatten``, ``torch.flatten``,          :class:`Flatten` (from dimension 1)
``.flatten(1)``, ``.view(n, -1)``,
``.reshape(n, -1)``, ``torch.reshape``
``nn.Dropout``, ``nn.Identity``,            nothing (no MACs, no weights)
``F.dropout``
==========================================  ==============================================================

Anything else raises :class:`~tnpu.errors.ConfigError` naming the op, the graph node and the nearest supported
equivalent. After mapping, the shapes are checked against PyTorch's own by running the traced module once on zeros
(batch 2, no gradients).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from tnpu._optional import optional_import
from tnpu.errors import ConfigError
from tnpu.workloads.layers import NETWORK_INPUT, Network, NetworkBuilder

#: The nearest supported equivalent of modules and functions the importer does not take (named in the error).
_NEAREST = {
    "gelu": "nn.SiLU or nn.Sigmoid for an activation of similar cost; there is no GELU layer",
    "leakyrelu": "nn.ReLU",
    "prelu": "nn.ReLU",
    "leaky_relu": "F.relu",
    "elu": "nn.SiLU",
    "selu": "nn.SiLU",
    "celu": "nn.SiLU",
    "softplus": "nn.SiLU",
    "mish": "nn.SiLU",
    "softmax": "nothing: leave it out of the model; the loss appended after the output is a softmax cross-entropy",
    "log_softmax": "nothing: leave it out; the loss appended after the output is a softmax cross-entropy",
    "logsoftmax": "nothing: leave it out; the loss appended after the output is a softmax cross-entropy",
    "layernorm": "nn.BatchNorm2d",
    "groupnorm": "nn.BatchNorm2d",
    "instancenorm2d": "nn.BatchNorm2d",
    "batchnorm1d": "nn.BatchNorm2d (on an N x C x 1 x 1 view)",
    "convtranspose2d": "nn.Conv2d (there is no transposed-convolution layer)",
    "upsample": "nothing: there is no up-sampling layer",
    "interpolate": "nothing: there is no up-sampling layer",
    "lstm": "nothing: there are no recurrent layers",
    "gru": "nothing: there are no recurrent layers",
    "matmul": "nn.Linear",
    "bmm": "nn.Linear",
    "permute": "nothing: activations keep their N x C x H x W layout",
    "transpose": "nothing: activations keep their N x C x H x W layout",
    "mul": "x * torch.sigmoid(x) (SiLU); other products have no layer",
}


def _nearest(name: str) -> str:
    return _NEAREST.get(
        name.lower().strip("'_"), "none close (the supported forms are listed in tnpu/workloads/torch_fx.py)"
    )


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    items = tuple(int(v) for v in value)
    return (items[0], items[0]) if len(items) == 1 else (items[0], items[1])


def from_torch(
    module: Any, input_shape: Sequence[int], name: str | None = None, add_loss: bool = True
) -> Network:
    """Import ``module`` (an ``nn.Module``) for a per-sample input of ``input_shape`` ``(C, H, W)``.

    Parameters
    ----------
    module
        The PyTorch module; it must be traceable by ``torch.fx.symbolic_trace`` and take one image tensor.
    input_shape
        Per-sample input shape ``(C, H, W)``.
    name
        Network name (default: the module's class name, lower case).
    add_loss
        Append a softmax cross-entropy loss after the module's output (training needs one).

    Raises
    ------
    ConfigError
        For an op the simulator does not model (naming the op and the node), a module that fx cannot trace, or
        shapes that do not match PyTorch's.
    """
    torch = optional_import("torch")
    fx = optional_import("torch.fx")
    net_name = name or type(module).__name__.lower()
    try:
        gm = fx.symbolic_trace(module)
    except Exception as exc:  # fx raises many types (TraceError, TypeError, NotImplementedError...)
        raise ConfigError(f"torch import of '{net_name}': torch.fx cannot trace the module: {exc}") from exc
    modules = dict(gm.named_modules())
    b = NetworkBuilder(net_name, input_shape)
    env: dict[Any, str] = {}  # fx node -> name of the layer whose output it is
    used: set[str] = set()
    nn = torch.nn
    functional = torch.nn.functional

    def unique(preferred: str, node: Any) -> str:
        candidate = preferred if preferred not in used else node.name
        while candidate in used:
            candidate += "_"
        used.add(candidate)
        return candidate

    def src(node: Any, arg: Any) -> str:
        if arg not in env:
            raise ConfigError(
                f"torch import of '{net_name}': node '{node.name}' ({node.target}) reads '{arg}', which is not a"
                " tensor produced by a supported layer"
            )
        return env[arg]

    def unsupported(node: Any, what: str, nearest: str | None = None) -> ConfigError:
        hint = f"; nearest supported: {nearest}" if nearest else ""
        return ConfigError(f"torch import of '{net_name}': unsupported op {what} at node '{node.name}'{hint}")

    def pool(
        node: Any, layer: str, kind: str, *, kernel: Any, stride: Any, padding: Any, ceil: bool, dil: Any
    ) -> str:
        if _pair(dil if dil is not None else 1) != (1, 1):
            raise unsupported(node, f"{kind} with dilation {dil}")
        method = b.maxpool if kind == "max_pool2d" else b.avgpool
        k = _pair(kernel)
        s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else _pair(stride)
        return method(
            layer, k, stride=s, padding=_pair(padding), ceil_mode=bool(ceil), src=src(node, node.args[0])
        )

    def adaptive(node: Any, layer: str, output_size: Any) -> str | None:
        source = src(node, node.args[0])
        _, h, w = b.shape(source)
        oh, ow = _pair(output_size) if output_size is not None else (h, w)
        if (oh, ow) == (h, w):
            return None
        if h % oh or w % ow:
            raise unsupported(
                node, f"adaptive average pooling from {h}x{w} to {oh}x{ow} (not a whole window)"
            )
        return b.avgpool(layer, (h // oh, w // ow), src=source)

    # x * sigmoid(x) is one SiLU layer: the sigmoid is folded into the product that uses it.
    sigmoids = {torch.sigmoid, functional.sigmoid}
    fused_silu: dict[Any, Any] = {}  # mul node -> x
    for node in gm.graph.nodes:
        if node.op == "call_function" and node.target in (operator.mul, torch.mul) and len(node.args) == 2:
            for gate, x in ((node.args[1], node.args[0]), (node.args[0], node.args[1])):
                is_sigmoid = getattr(gate, "op", None) == "call_function" and gate.target in sigmoids
                is_sigmoid = is_sigmoid or (
                    getattr(gate, "op", None) == "call_method" and gate.target == "sigmoid"
                )
                is_sigmoid = is_sigmoid or (
                    getattr(gate, "op", None) == "call_module"
                    and isinstance(modules[gate.target], nn.Sigmoid)
                )
                if is_sigmoid and gate.args and gate.args[0] is x and len(gate.users) == 1:
                    fused_silu[node] = x
                    fused_silu[gate] = None
                    break

    def activation_of(mod: Any) -> tuple[str, tuple[float, float] | None] | None:
        for cls, function in (
            (nn.Sigmoid, "sigmoid"),
            (nn.Tanh, "tanh"),
            (nn.SiLU, "silu"),
            (nn.Hardswish, "hardswish"),
            (nn.Hardsigmoid, "hardsigmoid"),
        ):
            if isinstance(mod, cls):
                return function, None
        if isinstance(mod, nn.Hardtanh):
            return "clip", (float(mod.min_val), float(mod.max_val))
        return None

    function_activations = {
        torch.sigmoid: "sigmoid",
        functional.sigmoid: "sigmoid",
        torch.tanh: "tanh",
        functional.tanh: "tanh",
        functional.silu: "silu",
        functional.hardswish: "hardswish",
        functional.hardsigmoid: "hardsigmoid",
    }

    def mean_dims(node: Any, args: list[Any], kwargs: dict[str, Any]) -> bool:
        dims = args[1] if len(args) > 1 else kwargs.get("dim")
        if isinstance(dims, int):
            dims = (dims,)
        return dims is not None and {int(d) % 4 for d in dims} == {2, 3}

    def flat_target(node: Any, source: str, dims: list[Any]) -> bool:
        c, h, w = b.shape(source)
        return len(dims) == 2 and (dims[1] == -1 or dims[1] == c * h * w)

    placeholders = 0
    for node in gm.graph.nodes:
        if node in fused_silu:
            if fused_silu[node] is not None:
                env[node] = b.activation(unique(node.name, node), "silu", src=src(node, fused_silu[node]))
            continue
        op = node.op
        if op == "placeholder":
            placeholders += 1
            if placeholders > 1:
                raise unsupported(node, "a second model input")
            env[node] = NETWORK_INPUT
            continue
        if op == "output":
            result = node.args[0]
            if isinstance(result, (tuple, list)):
                if len(result) != 1:
                    raise unsupported(node, "several model outputs")
                result = result[0]
            if env.get(result) != b.last:
                raise unsupported(node, "an output that is not the last layer")
            continue
        if op == "get_attr":
            raise unsupported(node, f"get_attr '{node.target}'")
        if op == "call_module":
            mod = modules[node.target]
            layer = unique(str(node.target), node)
            x = node.args[0] if node.args else None
            if isinstance(mod, nn.Conv2d):
                c = b.shape(src(node, x))[0]
                if mod.in_channels != c:
                    raise ConfigError(
                        f"torch import of '{net_name}': node '{node.name}' is a Conv2d for {mod.in_channels} input"
                        f" channels but receives {c}"
                    )
                padding = mod.padding
                if isinstance(padding, str):
                    if padding == "valid":
                        padding = (0, 0)
                    else:  # "same" (stride 1): total padding d*(k-1), split evenly when even
                        pads = [d * (k - 1) for d, k in zip(mod.dilation, mod.kernel_size, strict=True)]
                        if any(p % 2 for p in pads):
                            raise unsupported(node, "Conv2d padding='same' with an asymmetric padding")
                        padding = tuple(p // 2 for p in pads)
                env[node] = b.conv(
                    layer,
                    mod.out_channels,
                    _pair(mod.kernel_size),
                    stride=_pair(mod.stride),
                    padding=_pair(padding),
                    dilation=_pair(mod.dilation),
                    groups=mod.groups,
                    bias=mod.bias is not None,
                    src=src(node, x),
                )
            elif isinstance(mod, nn.Linear):
                c = b.shape(src(node, x))[0]
                if mod.in_features != c:
                    raise ConfigError(
                        f"torch import of '{net_name}': node '{node.name}' is a Linear for {mod.in_features} input"
                        f" features but receives {c}"
                    )
                env[node] = b.linear(layer, mod.out_features, bias=mod.bias is not None, src=src(node, x))
            elif isinstance(mod, nn.MaxPool2d):
                env[node] = pool(
                    node,
                    layer,
                    "max_pool2d",
                    kernel=mod.kernel_size,
                    stride=mod.stride,
                    padding=mod.padding,
                    ceil=mod.ceil_mode,
                    dil=mod.dilation,
                )
            elif isinstance(mod, nn.AvgPool2d):
                env[node] = pool(
                    node,
                    layer,
                    "avg_pool2d",
                    kernel=mod.kernel_size,
                    stride=mod.stride,
                    padding=mod.padding,
                    ceil=mod.ceil_mode,
                    dil=1,
                )
            elif isinstance(mod, nn.AdaptiveAvgPool2d):
                out = adaptive(node, layer, mod.output_size)
                env[node] = out if out is not None else src(node, x)
            elif isinstance(mod, nn.ReLU6) or (
                isinstance(mod, nn.Hardtanh) and (mod.min_val, mod.max_val) == (0.0, 6.0)
            ):
                env[node] = b.relu(layer, max_value=6.0, src=src(node, x))
            elif isinstance(mod, nn.ReLU):
                env[node] = b.relu(layer, src=src(node, x))
            elif (act := activation_of(mod)) is not None:
                env[node] = b.activation(layer, act[0], bounds=act[1], src=src(node, x))
            elif isinstance(mod, nn.BatchNorm2d):
                c = b.shape(src(node, x))[0]
                if mod.num_features != c:
                    raise ConfigError(
                        f"torch import of '{net_name}': node '{node.name}' is a BatchNorm2d for {mod.num_features}"
                        f" channels but receives {c}"
                    )
                env[node] = b.batchnorm(layer, src=src(node, x))
            elif isinstance(mod, nn.Flatten):
                if mod.start_dim != 1 or mod.end_dim != -1:
                    raise unsupported(node, f"Flatten({mod.start_dim}, {mod.end_dim})")
                env[node] = b.flatten(layer, src=src(node, x))
            elif isinstance(mod, (nn.Dropout, nn.Dropout2d, nn.Identity)):
                env[node] = src(node, x)
            else:
                kind = type(mod).__name__
                raise unsupported(node, f"{kind} (module '{node.target}')", nearest=_nearest(kind))
            continue
        # call_function / call_method
        target = node.target
        fname = target if isinstance(target, str) else getattr(target, "__name__", str(target))
        args = list(node.args)
        kwargs = dict(node.kwargs)
        layer = unique(node.name, node)
        if (op == "call_method" and fname == "size") or (
            op == "call_function" and target in (getattr, operator.getitem) and node not in env
        ):
            if target is operator.getitem and args and args[0] in env:
                raise unsupported(node, "indexing of a tensor")
            if target is getattr and (len(args) < 2 or args[1] != "shape"):
                raise unsupported(node, f"getattr {args[1:]!r}")
            continue  # a shape query (x.size(0), x.shape[0]), used only by view/reshape below
        if fname in ("add", "iadd", "add_") and (
            target in (operator.add, operator.iadd, torch.add) or op == "call_method"
        ):
            if len(args) != 2 or not all(a in env for a in args) or kwargs.get("alpha", 1) != 1:
                raise unsupported(node, f"'{fname}' that is not a sum of two tensors")
            env[node] = b.add(layer, src(node, args[0]), src(node, args[1]))
        elif fname in ("relu", "relu_") and (
            op == "call_method" or target in (torch.relu, torch.relu_, functional.relu)
        ):
            env[node] = b.relu(layer, src=src(node, args[0]))
        elif fname == "relu6" and target is functional.relu6:
            env[node] = b.relu(layer, max_value=6.0, src=src(node, args[0]))
        elif fname == "flatten" and (op == "call_method" or target is torch.flatten):
            start = args[1] if len(args) > 1 else kwargs.get("start_dim", 0)
            end = args[2] if len(args) > 2 else kwargs.get("end_dim", -1)
            if start != 1 or end != -1:
                raise unsupported(node, f"flatten({start}, {end}) (only flatten from dimension 1)")
            env[node] = b.flatten(layer, src=src(node, args[0]))
        elif (op == "call_method" and fname in ("view", "reshape")) or target is torch.reshape:
            dims = (
                list(args[1:])
                if op == "call_method"
                else [kwargs.get("shape", args[1] if len(args) > 1 else ())]
            )
            if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
                dims = list(dims[0])
            source = src(node, args[0])
            if not flat_target(node, source, dims):
                raise unsupported(node, f"{fname} to {dims} (only x.{fname}(n, -1))")
            env[node] = b.flatten(layer, src=source)
        elif (fname in ("cat", "concat") and target in (torch.cat, getattr(torch, "concat", torch.cat))) and (
            op == "call_function"
        ):
            tensors = args[0] if args else kwargs.get("tensors", ())
            dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
            if not isinstance(tensors, (list, tuple)) or len(tensors) < 2:
                raise unsupported(node, f"'{fname}' of fewer than two tensors")
            if dim not in (1, -3) and not (dim == -1 and b.shape(src(node, tensors[0]))[1:] == (1, 1)):
                raise unsupported(
                    node, f"'{fname}' along dimension {dim} (only along the channels, dimension 1)"
                )
            env[node] = b.concat(layer, *[src(node, t) for t in tensors])
        elif fname == "mean" and (op == "call_method" or target is torch.mean):
            if not mean_dims(node, args, kwargs):
                raise unsupported(node, "mean other than over height and width, dimensions (2, 3)")
            env[node] = b.global_avgpool(layer, src=src(node, args[0]))
        elif target in function_activations or (op == "call_method" and fname in ("sigmoid", "tanh")):
            function = function_activations.get(target, fname)
            env[node] = b.activation(layer, function, src=src(node, args[0]))
        elif target is functional.hardtanh:
            low = args[1] if len(args) > 1 else kwargs.get("min_val", -1.0)
            high = args[2] if len(args) > 2 else kwargs.get("max_val", 1.0)
            if (low, high) == (0.0, 6.0):
                env[node] = b.relu(layer, max_value=6.0, src=src(node, args[0]))
            else:
                env[node] = b.activation(
                    layer, "clip", bounds=(float(low), float(high)), src=src(node, args[0])
                )
        elif target in (functional.dropout, functional.dropout2d):
            env[node] = src(node, args[0])
        elif target in (functional.max_pool2d, functional.avg_pool2d):
            kind = "max_pool2d" if target is functional.max_pool2d else "avg_pool2d"
            names = (
                "input",
                "kernel_size",
                "stride",
                "padding",
                "dilation" if kind == "max_pool2d" else "ceil_mode",
            )
            params = dict(zip(names, args, strict=False)) | kwargs
            env[node] = pool(
                node,
                layer,
                kind,
                kernel=params["kernel_size"],
                stride=params.get("stride"),
                padding=params.get("padding", 0),
                ceil=params.get("ceil_mode", False),
                dil=params.get("dilation", 1) if kind == "max_pool2d" else 1,
            )
        elif target is functional.adaptive_avg_pool2d:
            out = adaptive(node, layer, args[1] if len(args) > 1 else kwargs.get("output_size"))
            env[node] = out if out is not None else src(node, args[0])
        else:
            raise unsupported(node, f"'{fname}' ({op})", nearest=_nearest(fname))
    net = b.build()
    _check_shapes(torch, gm, net, env, input_shape)
    return net.with_loss() if add_loss else net


def _check_shapes(torch: Any, gm: Any, net: Network, env: dict[Any, str], input_shape: Sequence[int]) -> None:
    """Run the traced module once (batch 2, zeros, no grad) and compare each layer's output shape with PyTorch's."""
    shape_prop = optional_import("torch.fx.passes.shape_prop")
    try:
        with torch.no_grad():
            shape_prop.ShapeProp(gm).propagate(torch.zeros(2, *input_shape))
    except Exception as exc:  # a module that fails on this input
        raise ConfigError(
            f"torch import of '{net.name}': running the module on a {tuple(input_shape)} input failed: {exc}"
        ) from exc
    for node, layer_name in env.items():
        if layer_name == NETWORK_INPUT or node.op == "placeholder":
            continue
        meta = node.meta.get("tensor_meta")
        if meta is None or not hasattr(meta, "shape"):
            continue
        dims = tuple(int(d) for d in meta.shape[1:])
        ours = net.layer(layer_name).out_shape
        theirs = (dims[0], 1, 1) if len(dims) == 1 else dims
        if theirs != ours:
            raise ConfigError(
                f"torch import of '{net.name}': layer '{layer_name}' (node '{node.name}') has output"
                f" {'x'.join(map(str, ours))} but PyTorch computes {'x'.join(map(str, theirs))}"
            )
