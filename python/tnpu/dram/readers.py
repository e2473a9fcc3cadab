"""Readers of the DRAM config files users already have: DRAMsim3 ``.ini`` and Ramulator 1 ``.cfg`` (DRAM part).

Each reader maps every key it knows onto :class:`DramConfig` fields and sets the controller policies the peer
itself uses (queue sizes, page policy, mapping, write drain, refresh). A key the peer does not know either is an
error naming the file, the line and the nearest known key; keys the peer knows that have no effect here are listed
in ``DramConfig.ignored_keys`` and summed up in one line of ``DramConfig.notes``. A value that would change the
behaviour in a way tnpu-sim does not model raises ConfigError. ``_dramsim3.py`` and ``_ramulator1.py`` say how each
peer's file is read.
"""

from __future__ import annotations

from tnpu.dram._dramsim3 import read_dramsim3_ini
from tnpu.dram._ramulator1 import read_ramulator1_cfg

__all__ = ["read_dramsim3_ini", "read_ramulator1_cfg"]
