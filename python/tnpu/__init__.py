"""tnpu-sim: a fast transaction-level simulator of TNPU, a CNN-training accelerator, and its baselines.

The compiled core (``tnpu._core``) does the timing; this package configures it, feeds it workloads and traces, and
presents its results.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

from tnpu import errors
from tnpu._core import Clock, Priority
from tnpu.config import ArchConfig
from tnpu.dram import DramConfig, load_dram_config, replay_dram
from tnpu.errors import ConfigError, SimulationError, TraceFormatError
from tnpu.layer import LayerResult, simulate_elementwise, simulate_layer
from tnpu.sim import Simulator

try:
    __version__ = _dist_version("tnpu-sim")
except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
    from tnpu._core import __version__

__all__ = [
    "ArchConfig",
    "Clock",
    "ConfigError",
    "DramConfig",
    "LayerResult",
    "Priority",
    "SimulationError",
    "Simulator",
    "TraceFormatError",
    "__version__",
    "errors",
    "load_dram_config",
    "replay_dram",
    "simulate_elementwise",
    "simulate_layer",
]
