"""tnpu-sim: a fast transaction-level simulator of TNPU, a CNN-training accelerator, and its baselines.

The compiled core (``tnpu._core``) does the timing; this package configures it, feeds it workloads and traces, and
presents its results.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

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

try:
    __version__ = _dist_version("tnpu-sim")
except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
    from tnpu._core import __version__

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
