"""Exceptions raised by tnpu-sim.

``ConfigError`` and ``TraceFormatError`` are ``ValueError`` subclasses; ``SimulationError`` is a ``RuntimeError``
subclass. They are raised from C++ and from Python alike, and every message names the file, line or field at fault.
"""

from tnpu._core import ConfigError, SimulationError, TraceFormatError

__all__ = ["ConfigError", "SimulationError", "TraceFormatError"]
