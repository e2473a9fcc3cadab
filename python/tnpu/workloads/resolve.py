"""Model specs: one resolver for every place a network is named.

``tnpu run --model``, ``tnpu workloads``, sweeps and :func:`tnpu.simulate` all call :func:`load_model`. A *model
spec* is one of:

- a zoo network name (``vgg16``; ``tnpu workloads`` lists them);
- an ONNX file (``path/to/model.onnx``; the ``onnx`` extra), imported by :func:`tnpu.workloads.from_onnx`;
- ``path/to/file.py:function``: the function is called without arguments and returns a PyTorch ``nn.Module``
  (the ``torch`` extra; imported through torch.fx by :func:`tnpu.workloads.from_torch`) or a tnpu
  :class:`~tnpu.workloads.Network`. A module needs its per-sample input shape;
- a compute trace (``.csv`` or ``.npz``, as ``tnpu workloads NETWORK --trace`` writes), a task graph with its own
  batch.

The input shape of a model file is given as ``C,H,W`` per sample (``3,224,224``), or as PyTorch's example input
``1,C,H,W`` (the leading 1 is the example's batch, not the simulated one, which ``--batch`` sets). It comes from
``--input-shape`` or from the spec itself: ``file.py:function@3,224,224`` (how a sweep spec gives it). An ONNX file
needs it only when its input dimensions are symbolic.

Examples
--------
>>> from tnpu.workloads.resolve import load_model, parse_input_shape
>>> load_model("lenet5").name
'lenet5'
>>> parse_input_shape("1,3,224,224")
(3, 224, 224)
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import numpy as np

from tnpu.errors import ConfigError
from tnpu.workloads.layers import Network, Phase, Shape
from tnpu.workloads.training import TaskArrays, TrainingGraph
from tnpu.workloads.zoo import ZOO, get_network

#: What a model spec may be, for help texts and error messages.
MODEL_FORMS = (
    "a zoo network, an .onnx file, file.py:function (returning a torch nn.Module; give its --input-shape) or a"
    " compute trace (.csv/.npz)"
)
#: File suffixes of compute traces.
TRACE_SUFFIXES = (".csv", ".npz")

_SHAPE_SUFFIX = re.compile(r"^(?P<spec>.+)@(?P<shape>\s*\d+\s*(?:,\s*\d+\s*){2,3})$")


def parse_input_shape(text: str | Sequence[int]) -> Shape:
    """Parse a per-sample input shape: ``C,H,W``, or ``1,C,H,W`` (PyTorch's example input, batch 1).

    Raises
    ------
    ConfigError
        For anything else, saying what was expected.
    """
    raw = text.replace("x", ",").split(",") if isinstance(text, str) else list(text)
    try:
        dims = [int(str(d).strip()) for d in raw]
    except ValueError:
        dims = []
    if len(dims) == 4 and dims[0] == 1:
        dims = dims[1:]
    elif len(dims) == 4:
        raise ConfigError(
            f"input shape {text!r}: of four numbers the first is the example input's batch and must be 1 (the"
            " simulated batch is --batch); or give C,H,W"
        )
    if len(dims) != 3 or any(d <= 0 for d in dims):
        raise ConfigError(f"input shape {text!r}: expected C,H,W per sample (e.g. 3,224,224) or 1,C,H,W")
    return (dims[0], dims[1], dims[2])


def split_spec(spec: str) -> tuple[str, Shape | None]:
    """Split ``model@C,H,W`` into the model and its input shape (None when the spec has no ``@`` suffix)."""
    m = _SHAPE_SUFFIX.match(spec)
    if m is None:
        return spec, None
    return m.group("spec"), parse_input_shape(m.group("shape"))


def spec_kind(spec: str) -> str:
    """Return ``"python"``, ``"onnx"``, ``"trace"``, ``"file"`` (another file) or ``"zoo"`` for a model spec."""
    base, _ = split_spec(spec)
    head, sep, func = base.rpartition(":")
    if sep and head.endswith(".py") and func:
        return "python"
    lower = base.lower()
    if lower.endswith(".onnx"):
        return "onnx"
    if lower.endswith(TRACE_SUFFIXES):
        return "trace"
    if lower.endswith(".py") or os.sep in base or "/" in base:
        return "file"
    return "zoo"


def load_model(
    spec: str | os.PathLike[str] | Network | TaskArrays | Any,
    input_shape: str | Sequence[int] | None = None,
) -> Network | TaskArrays:
    """Resolve a model spec (see the module docstring) to a :class:`Network` or a compute trace's TaskArrays.

    A :class:`Network` or :class:`TaskArrays` is returned as it is; a PyTorch ``nn.Module`` is imported with
    ``input_shape``, an ONNX ``ModelProto`` with it when given.

    Raises
    ------
    ConfigError
        Naming the spec and what was expected: an unknown name, a missing file, a file of another kind, no such
        function, a function that returns no ``nn.Module``, a missing input shape.
    ImportError
        When the file needs torch or onnx and it is not installed (the message says which extra to install).
    TraceFormatError
        For a malformed compute trace (naming the file and line).
    """
    shape = parse_input_shape(input_shape) if input_shape is not None else None
    if isinstance(spec, (Network, TaskArrays)):
        if shape is not None and isinstance(spec, Network) and shape != spec.input_shape:
            raise ConfigError(
                f"model '{spec.name}': a network has its input shape ({'x'.join(map(str, spec.input_shape))});"
                " input_shape does not apply"
            )
        return spec
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    if not isinstance(spec, str):
        return _load_object(spec, shape)
    base, inline = split_spec(spec.strip())
    if inline is not None and shape is not None and inline != shape:
        raise ConfigError(
            f"model '{spec}': input shape given twice ({inline} in the spec, {shape} as option)"
        )
    shape = inline or shape
    kind = spec_kind(base)
    if kind == "python":
        path, _, func = base.rpartition(":")
        return _load_python(spec, path, func, shape)
    if kind == "onnx":
        _need_file(spec, base, "an ONNX model")
        from tnpu.workloads.onnx_import import from_onnx

        return from_onnx(base, shape)
    if kind == "trace":
        _need_file(spec, base, "a compute trace")
        _no_shape(spec, shape, "a compute trace holds its tasks, not a network")
        from tnpu.workloads.traces import read_compute_trace

        return read_compute_trace(base)
    if kind == "file":
        if base.lower().endswith(".py"):
            raise ConfigError(f"model '{spec}': a Python file is named with its function: '{base}:function'")
        if os.path.isfile(base):
            raise ConfigError(f"model '{spec}': unknown kind of model file (expected {MODEL_FORMS})")
        raise ConfigError(f"model '{spec}': no such file (expected {MODEL_FORMS})")
    try:
        net = get_network(base)
    except ConfigError:
        if os.path.isfile(base):
            raise ConfigError(
                f"model '{spec}': unknown kind of model file (expected {MODEL_FORMS})"
            ) from None
        raise ConfigError(
            f"unknown network '{base}' (expected a zoo network: {', '.join(ZOO)}; or a model file: .onnx,"
            " file.py:function, or a compute trace .csv/.npz)"
        ) from None
    if shape is not None and shape != net.input_shape:
        raise ConfigError(
            f"model '{spec}': zoo network '{net.name}' has a fixed input {'x'.join(map(str, net.input_shape))};"
            " --input-shape is for model files"
        )
    return net


@functools.lru_cache(maxsize=32)
def _cached(spec: str, stamp: tuple[int, int]) -> Network | TaskArrays:
    del stamp  # part of the cache key: a model file that changed is read again
    return load_model(spec)


def load_model_cached(spec: str) -> Network | TaskArrays:
    """Return :func:`load_model` of a spec string, cached per spec and file modification time.

    For sweeps, whose points name their workload as a string. The object is shared: do not modify it.
    """
    base, _ = split_spec(spec)
    path = base.rpartition(":")[0] if spec_kind(base) == "python" else base
    try:
        st = os.stat(path)
        stamp = (int(st.st_mtime_ns), int(st.st_size))
    except OSError:
        stamp = (0, 0)
    return _cached(spec, stamp)


def _need_file(spec: str, path: str, what: str) -> None:
    if not os.path.isfile(path):
        raise ConfigError(f"model '{spec}': no such file '{path}' (expected {what})")


def _no_shape(spec: str, shape: Shape | None, why: str) -> None:
    if shape is not None:
        raise ConfigError(f"model '{spec}': an input shape does not apply ({why})")


def _load_object(obj: Any, shape: Shape | None) -> Network:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.nn.Module):
        if shape is None:
            raise ConfigError(
                f"model: a PyTorch module ({type(obj).__name__}) needs its input shape: input_shape=(C, H, W)"
            )
        from tnpu.workloads.torch_fx import from_torch

        return from_torch(obj, shape)
    if hasattr(obj, "graph") and hasattr(obj, "opset_import"):  # an onnx ModelProto
        from tnpu.workloads.onnx_import import from_onnx

        return from_onnx(obj, shape)
    raise ConfigError(
        f"model: expected a zoo name, a model file, a Network, TaskArrays, a torch nn.Module or an ONNX"
        f" ModelProto, got {type(obj).__name__}"
    )


def _load_python(spec: str, path: str, func: str, shape: Shape | None) -> Network:
    """Import ``path`` as a module, call ``func()`` and import what it returns."""
    if not os.path.isfile(path):
        raise ConfigError(f"model '{spec}': no such file '{path}' (expected a Python file defining {func}())")
    full = os.path.abspath(path)
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    module_name = f"tnpu_model_{stem}_{hashlib.sha256(full.encode()).hexdigest()[:12]}"
    loader_spec = importlib.util.spec_from_file_location(module_name, full)
    if loader_spec is None or loader_spec.loader is None:
        raise ConfigError(f"model '{spec}': cannot load '{path}' as a Python module")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    folder = os.path.dirname(full)
    sys.path.insert(0, folder)  # the model file may import its neighbours
    try:
        loader_spec.loader.exec_module(module)
    except ModuleNotFoundError as exc:
        sys.modules.pop(module_name, None)
        top = (exc.name or "").split(".")[0]
        if top in ("torch", "torchvision", "onnx"):
            extra = "onnx" if top == "onnx" else "torch"
            raise ImportError(
                f"model '{spec}': {path} imports {top}, which is not installed: pip install \"tnpu-sim[{extra}]\""
            ) from exc
        raise ConfigError(f"model '{spec}': importing {path} failed: {_where(exc, full)}") from exc
    except Exception as exc:  # the user's module: any error it raises while it is imported
        sys.modules.pop(module_name, None)
        raise ConfigError(f"model '{spec}': importing {path} failed: {_where(exc, full)}") from exc
    finally:
        if sys.path and sys.path[0] == folder:
            del sys.path[0]
    fn = getattr(module, func, None)
    if fn is None:
        defined = sorted(
            n
            for n, v in vars(module).items()
            if callable(v) and not n.startswith("_") and _defined_in(v, module)
        )
        listing = f" (it defines: {', '.join(defined)})" if defined else ""
        raise ConfigError(f"model '{spec}': {path} has no function '{func}'{listing}")
    if not callable(fn):
        raise ConfigError(f"model '{spec}': '{func}' in {path} is a {type(fn).__name__}, not a function")
    try:
        obj = fn()
    except Exception as exc:  # the user's function: report what it raised and where
        raise ConfigError(f"model '{spec}': {func}() raised {_where(exc, full)}") from exc
    if isinstance(obj, Network):
        if shape is not None and shape != obj.input_shape:
            raise ConfigError(
                f"model '{spec}': {func}() returned a Network with input {'x'.join(map(str, obj.input_shape))},"
                f" not {'x'.join(map(str, shape))}"
            )
        return obj
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(obj, torch.nn.Module):
        raise ConfigError(
            f"model '{spec}': {func}() returned {type(obj).__name__}; expected a torch nn.Module (or a tnpu Network)"
        )
    if shape is None:
        raise ConfigError(
            f"model '{spec}': a PyTorch module needs its per-sample input shape: --input-shape C,H,W (e.g."
            f" 3,224,224), or '{spec}@C,H,W' in a sweep spec"
        )
    from tnpu.workloads.torch_fx import from_torch

    return from_torch(obj, shape, name=func)


def _defined_in(value: Any, module: Any) -> bool:
    return bool(getattr(value, "__module__", None) == module.__name__)


def _where(exc: BaseException, path: str) -> str:
    """``TypeError: message (file.py, line 12)``: the exception and the last line of the user's file it passed."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == path]
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        return f"SyntaxError: {exc.msg} ({os.path.basename(path)}, line {exc.lineno})"
    line = f" ({os.path.basename(path)}, line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{line}"


# ---------------------------------------------------------------------------------------------------------------
# Compute traces as models


def trace_network(arrays: TaskArrays) -> Network | None:
    """Return the zoo network whose training graph the trace holds (same tasks and dependencies), or None.

    A trace written by ``tnpu workloads NETWORK --trace`` names its network in its metadata; when that is a zoo
    network and regenerating its graph for the trace's batch gives the trace's tasks exactly, the network (with its
    layer shapes) is returned.
    """
    meta = arrays.meta
    name = meta.get("network")
    if not isinstance(name, str) or name.lower().replace("-", "_") not in ZOO:
        return None
    try:
        graph = TrainingGraph(
            get_network(name),
            batch=int(meta["batch"]),
            instance_samples=int(meta.get("instance_samples", 1)),
            batches=int(meta.get("batches", 1)),
            dtype_bytes=int(meta.get("dtype_bytes", 4)),
        ).to_arrays()
    except (KeyError, ValueError, TypeError, ConfigError):
        return None
    fields = [f for f in graph.tasks.dtype.names or () if f not in ("start_cycle", "end_cycle")]
    same = (
        len(graph) == len(arrays)
        and graph.layer_names == tuple(arrays.layer_names)
        and all(np.array_equal(graph.tasks[f], arrays.tasks[f]) for f in fields)
        and np.array_equal(graph.dep_offsets, arrays.dep_offsets)
        and np.array_equal(graph.dep_ids, arrays.dep_ids)
    )
    return get_network(name) if same else None


def trace_totals(arrays: TaskArrays) -> dict[str, Any]:
    """Per-sample totals of a compute trace, as for a network: ``name, macs, weights, training_macs``.

    ``macs``: forward MACs per sample; ``training_macs``: FP + BP + GD MACs per sample; ``weights``: the parameters,
    from the weight-update tasks (one operation per parameter and batch). Samples: ``batch * batches`` of the
    trace's metadata (else the forward instances times ``instance_samples``).
    """
    t = arrays.tasks
    meta = arrays.meta
    batches = max(int(meta.get("batches", 1)), 1)
    samples = trace_samples(arrays)
    phase = t["phase"]
    macs = t["macs"].astype(np.int64)
    train = np.isin(phase, (int(Phase.FP), int(Phase.BP), int(Phase.GD)))
    return {
        "name": str(meta.get("network", "trace")),
        "macs": int(macs[phase == int(Phase.FP)].sum()) // samples,
        "weights": int(t["vector_ops"][phase == int(Phase.WU)].sum()) // batches,
        "training_macs": int(macs[train].sum()) // samples,
    }


def trace_samples(arrays: TaskArrays) -> int:
    """Return the samples a compute trace trains on (at least 1).

    ``batch * batches`` of its metadata, else its forward instances times ``instance_samples``.
    """
    meta = arrays.meta
    if "batch" in meta:
        return max(int(meta["batch"]) * max(int(meta.get("batches", 1)), 1), 1)
    t = arrays.tasks
    fp = t["phase"] == int(Phase.FP)
    return max(len(np.unique(t["instance"][fp])) * max(int(meta.get("instance_samples", 1)), 1), 1)
