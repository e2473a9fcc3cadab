"""Shared parts of :mod:`tnpu.plots`: colours, labels, the Agg figure and PNG output (matplotlib imported lazily)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tnpu import _core
from tnpu._optional import optional_import
from tnpu.errors import ConfigError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tnpu.results import Result

PHASES: tuple[str, ...] = tuple(p.name for p in _core.Phase)
#: Colour of each phase (colour-blind-safe Okabe-Ito hues).
PHASE_COLOURS = {"FP": "#0072B2", "BP": "#E69F00", "GD": "#009E73", "WU": "#CC79A7"}
#: Energy components of :func:`energy_figure` (:func:`tnpu.reproduce.energy_components`), bottom to top.
ENERGY_COMPONENTS = ("mac", "sram", "static", "dram")
ENERGY_COLOURS = {"mac": "#0072B2", "sram": "#56B4E9", "static": "#999999", "dram": "#D55E00"}
ENERGY_LABELS = {"mac": "MAC", "sram": "SRAM", "static": "static", "dram": "DRAM"}
PRESET_COLOURS = {"tnpu": "#0072B2", "dadiannao": "#D55E00", "dnpu": "#009E73"}
PRESET_LABELS = {"tnpu": "TNPU", "dadiannao": "DaDianNao", "dnpu": "DNPU"}
ENGINE_LABELS = {"pu_c": "PU-c", "pu_f": "PU-f", "array": "array"}
#: Resolution of the PNGs (dots per inch).
DPI = 110
#: File names written by :func:`write_reproduce_figures`.
FIGURE_FILES = ("fig4_occupancy.png", "busy_utilisation.png", "energy.png", "bandwidth.png")


def _figure(width: float, height: float) -> Figure:
    mfig = optional_import("matplotlib.figure")
    agg = optional_import("matplotlib.backends.backend_agg")
    fig: Figure = mfig.Figure(figsize=(width, height), dpi=100, layout="constrained")
    agg.FigureCanvasAgg(fig)
    return fig


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    if path is not None:
        fig.savefig(Path(path), format="png", dpi=DPI)
    return fig


def png_bytes(fig: Figure) -> bytes:
    """Return ``fig`` as PNG bytes (as it is written to a file)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _as_named(results: Mapping[str, Result] | Sequence[Result]) -> list[tuple[str, Result]]:
    if isinstance(results, Mapping):
        items = list(results.items())
    else:
        items = [(f"{r.meta['model']} on {r.meta['arch']} ({r.meta['scheduler']})", r) for r in results]
    if not items:
        raise ConfigError("results: expected at least one Result")
    return items


def _time_unit(seconds: float) -> tuple[float, str]:
    """Scale factor from seconds and the unit label for an axis spanning ``seconds``."""
    if seconds >= 1:
        return 1.0, "s"
    if seconds >= 1e-3:
        return 1e3, "ms"
    return 1e6, "µs"


def _engine_label(name: str) -> str:
    return ENGINE_LABELS.get(name, name)
