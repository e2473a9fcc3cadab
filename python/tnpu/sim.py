"""The Python face of the discrete-event kernel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tnpu import _core

if TYPE_CHECKING:
    import numpy as np

#: dtype of :meth:`Simulator.stats_table` (numpy's field list; numpy is imported only when a table is made).
STATS_FIELDS = [("name", "U96"), ("unit", "U16"), ("value", "f8")]


def __getattr__(name: str) -> Any:
    """``STATS_DTYPE``: made on first use (importing numpy is a noticeable share of a short run's start-up)."""
    if name == "STATS_DTYPE":
        import numpy as np

        return np.dtype(STATS_FIELDS)
    raise AttributeError(f"module 'tnpu.sim' has no attribute {name!r}")


class Simulator(_core.Simulator):
    """One simulation: an event kernel, the modules built on it and their statistics.

    Time is an integer number of picoseconds. ``run()`` runs to completion, ``run(until=ps)`` executes every event
    up to and including ``ps`` and stops with ``now == ps``, ``step()`` executes one time point. ``call_at(ps, fn)``
    calls a Python function at a simulated time, after all model activity at that time, so it sees a consistent
    state. Long runs release the GIL.

    Examples
    --------
    >>> import tnpu
    >>> sim = tnpu.Simulator()
    >>> mem = tnpu._core.FixedLatencyMemory(sim, "mem", latency_ps=50_000, queue_depth=4)
    >>> gen = tnpu._core.TrafficGenerator(sim, "gen", mem, count=8)
    >>> sim.run()
    ...
    """

    def stats(self) -> dict[str, Any]:
        """Return every statistic as a flat ``{name: value}`` dict (counts as ``int``, the rest as ``float``)."""
        return {name: value for name, _unit, _desc, value in self.stats_rows()}

    def stats_table(self) -> np.ndarray:
        """Return every statistic as a numpy structured array with fields ``name``, ``unit`` and ``value``."""
        import numpy as np

        rows = [(name, unit, float(value)) for name, unit, _desc, value in self.stats_rows()]
        return np.array(rows, dtype=np.dtype(STATS_FIELDS))

    def units(self) -> dict[str, str]:
        """Return the unit of every statistic."""
        return {name: unit for name, unit, _desc, _value in self.stats_rows()}

    def describe(self) -> dict[str, str]:
        """Return the one-line description of every statistic."""
        return {name: desc for name, _unit, desc, _value in self.stats_rows()}
