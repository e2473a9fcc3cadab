"""tnpu-sim: a fast transaction-level simulator of TNPU, a CNN-training accelerator, and its baselines.

The compiled core (``tnpu._core``) does the timing; this package configures it, feeds it workloads and traces, and
presents its results.

The names below are imported on first use (PEP 562), so that ``import tnpu`` and the command line start quickly:
``tnpu replay dram`` loads neither numpy nor the workload models.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tnpu import errors
    from tnpu._core import Clock, Priority
    from tnpu.accelerator import AcceleratorConfig, list_accelerators, load_accelerator
    from tnpu.config import ArchConfig
    from tnpu.dram import DramConfig, load_dram_config, replay_dram
    from tnpu.errors import ConfigError, SimulationError, TraceFormatError
    from tnpu.layer import LayerResult, simulate_elementwise, simulate_layer
    from tnpu.results import Result, load
    from tnpu.sim import Simulator
    from tnpu.simulate import simulate

    __version__: str

#: Public name -> the module that defines it.
_LAZY: dict[str, str] = {
    "AcceleratorConfig": "tnpu.accelerator",
    "ArchConfig": "tnpu.config",
    "Clock": "tnpu._core",
    "ConfigError": "tnpu.errors",
    "DramConfig": "tnpu.dram",
    "LayerResult": "tnpu.layer",
    "Priority": "tnpu._core",
    "Result": "tnpu.results",
    "SimulationError": "tnpu.errors",
    "Simulator": "tnpu.sim",
    "TraceFormatError": "tnpu.errors",
    "list_accelerators": "tnpu.accelerator",
    "load": "tnpu.results",
    "load_accelerator": "tnpu.accelerator",
    "load_dram_config": "tnpu.dram",
    "replay_dram": "tnpu.dram",
    "simulate": "tnpu.simulate",
    "simulate_elementwise": "tnpu.layer",
    "simulate_layer": "tnpu.layer",
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("tnpu-sim")
    except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
        from tnpu._core import __version__ as core_version

        return str(core_version)


class _Package(types.ModuleType):
    """tnpu's module type: importing the submodule ``tnpu.simulate`` does not hide the function ``tnpu.simulate``.

    (The import system binds a submodule to its package's attribute of the same name once it is loaded; the eager
    ``from tnpu.simulate import simulate`` this package used to run bound the function over it.)
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _LAZY and value.__name__ == f"tnpu.{name}":
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """Import a public name on first use (and keep it: later lookups are plain attribute reads)."""
    if name == "__version__":
        value: Any = _version()
    elif name == "errors":
        value = importlib.import_module("tnpu.errors")
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'tnpu' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "AcceleratorConfig",
    "ArchConfig",
    "Clock",
    "ConfigError",
    "DramConfig",
    "LayerResult",
    "Priority",
    "Result",
    "SimulationError",
    "Simulator",
    "TraceFormatError",
    "__version__",
    "errors",
    "list_accelerators",
    "load",
    "load_accelerator",
    "load_dram_config",
    "replay_dram",
    "simulate",
    "simulate_elementwise",
    "simulate_layer",
]
