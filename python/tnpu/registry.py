"""Every user-visible choice (dataflows, schedulers, memory models, DRAM standards, ...) by area, from the C++ core.

The C++ registries (``cpp/include/tnpu/sim/registry.hpp``) are the one list of valid names: this module reads them
once through ``tnpu._core.registry()`` and serves Python's validation, the CLI's ``choices=`` and ``tnpu list``.
Python adds entries only for choices that are implemented in Python (the ``stream`` memory model), in
:func:`python_entries`, and those are marked as such.

Examples
--------
>>> from tnpu import registry
>>> registry.names("dataflow")
('os', 'ws', 'is')
>>> registry.check_choice("pu_c.dataflow", "wss", "dataflow")
Traceback (most recent call last):
...
tnpu.errors.ConfigError: pu_c.dataflow: unknown dataflow 'wss' (known: os, ws, is); did you mean 'ws'?
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from tnpu import _core
from tnpu.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Param:
    """A config field an entry reads: its dotted name, unit ("" when dimensionless), default (as text), meaning."""

    name: str
    unit: str
    default: str
    description: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered choice: its name, a one-line description, the parameters it reads, where it is implemented."""

    name: str
    description: str
    params: tuple[Param, ...]
    source: str = "C++"


def python_entries() -> dict[str, tuple[Entry, ...]]:
    """Return the choices implemented in Python, by area (listed after the C++ ones of the same area)."""
    from tnpu.config import MemoryConfig  # config validates through this module: import it when asked

    return {
        "memory_model": (
            Entry(
                "stream",
                "bandwidth model of the DRAM system, calibrated on the cycle-level DRAM model (tnpu.simulate)",
                (
                    Param(
                        "memory.dram",
                        "",
                        str(MemoryConfig().dram),
                        "the DRAM preset or file it is calibrated on",
                    ),
                ),
                source="Python",
            ),
        ),
    }


@functools.cache
def registry() -> dict[str, tuple[Entry, ...]]:
    """Return every area's entries, C++ first (registration order), then Python's (:func:`python_entries`)."""
    python = python_entries()
    out: dict[str, tuple[Entry, ...]] = {}
    for area, rows in _core.registry().items():
        entries = tuple(Entry(n, d, tuple(Param(*p) for p in params)) for n, d, params in rows)
        out[area] = entries + python.get(area, ())
    for area, extra in python.items():
        out.setdefault(area, extra)
    return out


def areas() -> tuple[str, ...]:
    """Return the names of the areas (``dataflow``, ``scheduler``, ``memory_model``, ...)."""
    return tuple(registry())


def _entries(area: str) -> tuple[Entry, ...]:
    reg = registry()
    if area not in reg:
        raise ConfigError(unknown_message("registry area", area, list(reg)))
    return reg[area]


def names(area: str) -> tuple[str, ...]:
    """Return the valid names of ``area``, in the order users see them (raises ConfigError for an unknown area)."""
    return tuple(e.name for e in _entries(area))


def entry(area: str, name: str, path: str | None = None) -> Entry:
    """Return the entry ``name`` of ``area``; raise ConfigError naming ``path`` (default: the area) if unknown."""
    for e in _entries(area):
        if e.name == name:
            return e
    raise ConfigError(unknown_message(what(area), name, names(area), path))


def what(area: str) -> str:
    """Return the words messages use for an area's choice (``dram_standard``: ``DRAM standard``)."""
    return area.replace("_", " ").replace("dram", "DRAM")


def unknown_message(
    kind: str, value: object, known: list[str] | tuple[str, ...], path: str | None = None
) -> str:
    """Return the C++ registries' message for an unknown name.

    ``path: unknown <kind> 'x' (known: a, b); did you mean 'y'?``, the suggestion only for a likely typo, by the
    same rule as C++ (``_core.nearest_name``).
    """
    msg = f"{path}: " if path else ""
    msg += f"unknown {kind} {value!r} (known: {', '.join(known)})"
    if isinstance(value, str):
        near = _core.nearest_name(value, list(known))
        if near:
            msg += f"; did you mean {near!r}?"
    return msg


def check_choice(path: str, value: object, area: str) -> None:
    """Raise ConfigError ``path: unknown <what> ...; did you mean ...`` unless ``value`` is a name of ``area``."""
    if not isinstance(value, str) or value not in names(area):
        raise ConfigError(unknown_message(what(area), value, names(area), path))


def reads(area: str, name: str, param: str) -> bool:
    """Return whether entry ``name`` of ``area`` reads the config field ``param`` (e.g. a scheduler's window)."""
    return any(p.name == param for p in entry(area, name).params)
