"""Lazy imports of optional dependencies, with a message that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

_EXTRA_OF = {
    "matplotlib": "plot",
    "pandas": "pandas",
    "dask": "dist",
    "distributed": "dist",
    "pyarrow": "sweep",
    "tqdm": "progress",
    "rich": "progress",
    "torch": "torch",
    "onnx": "onnx",
}


def optional_import(module: str) -> ModuleType:
    """Import ``module`` or raise ImportError saying which extra of tnpu-sim provides it.

    Parameters
    ----------
    module
        Dotted module name, e.g. ``"matplotlib.pyplot"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".", maxsplit=1)[0]
        extra = _EXTRA_OF.get(top)
        hint = f'pip install "tnpu-sim[{extra}]"' if extra else f"pip install {top}"
        raise ImportError(f"this feature needs the optional package '{top}': {hint}") from exc
