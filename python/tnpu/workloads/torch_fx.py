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
``nn.BatchNorm2d``                          :class:`BatchNorm2d`
``+``, ``torch.add``, ``.add()``            :class:`Add` (of two tensors)
``nn.Flatten``, ``torch.flatten``,          :class:`Flatten` (from dimension 1)
``.flatten(1)``, ``.view(n, -1)``
``nn.Dropout``, ``nn.Identity``,            nothing (no MACs, no weights)
``F.dropout``
==========================================  ==============================================================

Anything else raises :class:`~tnpu.errors.ConfigError` naming the op and the graph node. After mapping, the shapes are
checked against PyTorch's own by running the traced module once on zeros (batch 2, no gradients).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from tnpu._optional import optional_import
from tnpu.errors import ConfigError
from tnpu.workloads.layers import NETWORK_INPUT, Network, NetworkBuilder


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

    def unsupported(node: Any, what: str) -> ConfigError:
        return ConfigError(f"torch import of '{net_name}': unsupported op {what} at node '{node.name}'")

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

    placeholders = 0
    for node in gm.graph.nodes:
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
                raise unsupported(node, f"{type(mod).__name__} (module '{node.target}')")
            continue
        # call_function / call_method
        target = node.target
        fname = target if isinstance(target, str) else getattr(target, "__name__", str(target))
        args = list(node.args)
        kwargs = dict(node.kwargs)
        layer = unique(node.name, node)
        if op == "call_method" and fname == "size":
            continue  # a shape query, used only by view/reshape below
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
        elif op == "call_method" and fname in ("view", "reshape"):
            dims = args[1:]
            if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
                dims = list(dims[0])
            if len(dims) != 2 or dims[1] != -1:
                raise unsupported(node, f"{fname} to {dims} (only x.{fname}(n, -1))")
            env[node] = b.flatten(layer, src=src(node, args[0]))
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
            raise unsupported(node, f"'{fname}' ({op})")
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
