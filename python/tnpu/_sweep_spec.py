"""Sweep spec files: a ``[sweep]`` table (workloads, evaluator, out) and a ``[space]`` of parameter = [values].

Nested ``[space]`` tables are dotted paths (``[space.arch.pu_c] rows = [8, 16]`` is ``arch.pu_c.rows``), flattened by
the one override parser (:func:`tnpu.overrides.flatten`). :func:`load_spec` checks every point with its evaluator
before anything runs. See ``docs/sweeps.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tnpu.errors import ConfigError
from tnpu.overrides import flatten


@dataclass(frozen=True)
class SweepSpec:
    """A sweep as a TOML spec file describes it (see ``docs/sweeps.md``)."""

    workloads: list[str]
    space: dict[str, Any]
    evaluator: str = "layer"
    out: str | None = None
    source: str = "<spec>"


def parse_spec(data: Mapping[str, Any], origin: str = "<spec>") -> SweepSpec:
    """Build a :class:`SweepSpec` from the parsed TOML of a spec file; errors name ``origin`` and the field."""
    unknown = sorted(set(data) - {"sweep", "space"})
    if unknown:
        raise ConfigError(f"{origin}: unknown table(s) {', '.join(unknown)} (expected [sweep] and [space])")
    head = data.get("sweep")
    if not isinstance(head, Mapping):
        raise ConfigError(f"{origin}: sweep: missing [sweep] table (with workloads = [...])")
    unknown = sorted(set(head) - {"workloads", "evaluator", "out"})
    if unknown:
        raise ConfigError(f"{origin}: sweep.{unknown[0]}: unknown field (known: workloads, evaluator, out)")
    workloads = head.get("workloads")
    if isinstance(workloads, str):
        workloads = [workloads]
    if not isinstance(workloads, list) or not workloads or not all(isinstance(w, str) for w in workloads):
        raise ConfigError(f"{origin}: sweep.workloads: expected a non-empty list of names, got {workloads!r}")
    evaluator = head.get("evaluator", "layer")
    if not isinstance(evaluator, str):
        raise ConfigError(f"{origin}: sweep.evaluator: expected a name, got {evaluator!r}")
    out = head.get("out")
    if out is not None and not isinstance(out, str):
        raise ConfigError(f"{origin}: sweep.out: expected a file path, got {out!r}")
    table = data.get("space", {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{origin}: space: expected a table of parameter = [values], got {table!r}")
    space = flatten(table, where=f"{origin}: space.")
    return SweepSpec(list(workloads), space, evaluator, out, origin)


def load_spec(path: str | os.PathLike[str]) -> SweepSpec:
    """Read a sweep spec TOML file and validate it (points, parameter paths) without running anything.

    Raises
    ------
    ConfigError
        Naming the file and the field (``sweep.workloads``, ``space.arch.pu_c.rows``, ...).
    OSError
        If the file cannot be read.
    """
    import tomllib

    origin = str(path)
    with open(path, "rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    spec = parse_spec(data, origin)
    from tnpu.sweep import get_evaluator, make_points

    try:
        ev = get_evaluator(spec.evaluator)
        points = make_points(spec.space, spec.workloads, spec.evaluator)
        if ev.check is not None:
            for point in points:
                ev.check(point)
    except ConfigError as exc:
        text = str(exc)
        if text.startswith(("workloads", "evaluator")):
            text = f"sweep.{text}"
        raise ConfigError(f"{origin}: {text}") from None
    return spec
