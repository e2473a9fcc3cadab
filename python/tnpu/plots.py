"""Figures of simulation results (the ``plot`` extra: matplotlib, imported lazily, Agg canvas).

Each function returns a :class:`matplotlib.figure.Figure` and, given ``path``, also writes it as a PNG. Figures are
built on their own Agg canvas (no ``pyplot`` state), so they work headless and from threads.

- :func:`occupancy_figure`: the paper's Figure 4 view: PU-c / PU-f occupancy over the first instances as Gantt bars
  coloured by phase and labelled with the instance, one panel per result (``inorder`` beside ``reorder``).
- :func:`utilisation_figure`: each engine's busy fraction over time (:meth:`tnpu.results.Result.busy_over_time`).
- :func:`energy_figure`: energy per preset split into MAC, SRAM, static and DRAM, with the paper's accounting
  (without DRAM) marked on each bar.
- :func:`bandwidth_figure`: TNPU's speedup over each baseline and each preset's slowdown against peak bandwidth
  (the paper's Figure 8), from :func:`tnpu.reproduce.reproduce`'s ``bandwidth_sweep``.
- :func:`fig4_results` runs the small simulations the Figure 4 view needs; :func:`write_reproduce_figures` writes
  all four for ``tnpu reproduce --plots DIR``.

Examples
--------
>>> import tnpu
>>> from tnpu import plots
>>> runs = plots.fig4_results("lenet5", batch=3, overrides={"memory.model": "ideal"})
>>> fig = plots.occupancy_figure(runs, instances=2)
>>> fig.axes[0].get_title(loc="left").split(":")[0]
'inorder'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tnpu._optional import optional_import
from tnpu.errors import ConfigError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from tnpu.results import Result

PHASES = ("FP", "BP", "GD", "WU")
#: Colour of each phase (colour-blind-safe Okabe-Ito hues).
PHASE_COLOURS = {"FP": "#0072B2", "BP": "#E69F00", "GD": "#009E73", "WU": "#CC79A7"}
#: Energy components of :func:`energy_figure` (:func:`tnpu.reproduce.energy_components`), bottom to top.
ENERGY_COMPONENTS = ("mac", "sram", "static", "dram")
ENERGY_COLOURS = {"mac": "#0072B2", "sram": "#56B4E9", "static": "#999999", "dram": "#D55E00"}
ENERGY_LABELS = {"mac": "MAC", "sram": "SRAM", "static": "static", "dram": "DRAM"}
PRESET_COLOURS = {"tnpu": "#0072B2", "dadiannao": "#D55E00", "dnpu": "#009E73"}
PRESET_LABELS = {"tnpu": "TNPU", "dadiannao": "DaDianNao", "dnpu": "DNPU"}
ENGINE_LABELS = {"pu_c": "PU-c", "pu_f": "PU-f", "array": "array"}
#: File names written by :func:`write_reproduce_figures`.
FIGURE_FILES = ("fig4_occupancy.png", "utilisation.png", "energy.png", "bandwidth.png")


def _figure(width: float, height: float) -> Figure:
    mfig = optional_import("matplotlib.figure")
    agg = optional_import("matplotlib.backends.backend_agg")
    fig: Figure = mfig.Figure(figsize=(width, height), dpi=100, layout="constrained")
    agg.FigureCanvasAgg(fig)
    return fig


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    if path is not None:
        fig.savefig(Path(path), format="png", dpi=110)
    return fig


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


# ---------------------------------------------------------------------------------------------------- Figure 4 view
def fig4_results(
    model: str = "alexnet",
    arch: str = "tnpu",
    *,
    batch: int = 4,
    schedulers: Sequence[str] = ("inorder", "reorder"),
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Result]:
    """Simulate ``model`` on ``arch`` once per scheduler (the runs :func:`occupancy_figure` compares).

    Returns a dict ``"<scheduler>: <model> on <arch>" -> Result``.
    """
    from tnpu.simulate import simulate

    out: dict[str, Result] = {}
    for s in schedulers:
        out[f"{s}: {model} on {arch}"] = simulate(model, arch, batch=batch, scheduler=s, overrides=overrides)
    return out


def occupancy_figure(
    results: Mapping[str, Result] | Sequence[Result],
    *,
    instances: int = 3,
    path: str | Path | None = None,
) -> Figure:
    """Engine occupancy over the first ``instances`` training instances (the paper's Figure 4 view).

    One panel per result (e.g. ``inorder`` above ``reorder``, sharing the time axis): a row per engine, each task of
    instances ``0 .. instances-1`` a bar coloured by phase and labelled ``i<instance>`` where it is wide enough.
    The time axis ends when the last of those tasks ends in the slowest result; tasks of later instances that start
    before then are drawn faded, so idle engine time is what stays white.
    """
    if isinstance(instances, bool) or not isinstance(instances, int) or instances < 1:
        raise ConfigError(f"instances: expected a whole number >= 1, got {instances!r}")
    named = _as_named(results)
    horizon_ps = 0
    for _, r in named:
        t = r.tasks
        sel = (t["instance"] >= 0) & (t["instance"] < instances)
        if sel.any():
            horizon_ps = max(horizon_ps, int(t["end_ps"][sel].max()))
    horizon_ps = max(horizon_ps, 1)
    scale, unit = _time_unit(horizon_ps * 1e-12)
    rows = max(len(r.engines) for _, r in named)
    fig = _figure(11, 1.2 + len(named) * (0.75 * rows + 1.0))
    axes = fig.subplots(len(named), 1, sharex=True, squeeze=False)[:, 0]
    to_x = scale * 1e-12
    for ax, (title, r) in zip(axes, named, strict=True):
        t = r.tasks
        for e in range(len(r.engines)):
            on = t[(t["engine"] == e) & (t["start_ps"] < horizon_ps)]
            for row in on:
                inst = int(row["instance"])
                first = 0 <= inst < instances
                start = float(row["start_ps"]) * to_x
                width = float(row["end_ps"] - row["start_ps"]) * to_x
                ax.barh(
                    e,
                    width,
                    left=start,
                    height=0.6,
                    color=PHASE_COLOURS[PHASES[int(row["phase"])]],
                    alpha=1.0 if first else 0.25,
                    edgecolor="white",
                    linewidth=0.4,
                )
                if first and width > horizon_ps * to_x * 0.035:
                    ax.text(
                        start + width / 2, e, f"i{inst}", ha="center", va="center", fontsize=8, color="white"
                    )
        ax.set_yticks(range(len(r.engines)), [_engine_label(n) for n in r.engines])
        ax.set_ylim(len(r.engines) - 0.5, -0.5)
        ax.set_xlim(0, horizon_ps * to_x)
        ax.grid(axis="x", alpha=0.3)
        span = float(t["end_ps"][(t["instance"] >= 0) & (t["instance"] < instances)].max(initial=0)) * to_x
        ax.set_title(
            f"{title}: instances 0-{instances - 1} done at {span:.3g} {unit}", loc="left", fontsize=11
        )
    axes[-1].set_xlabel(f"time ({unit})")
    _phase_legend(fig, axes[0])
    fig.suptitle(
        f"Engine occupancy over the first {instances} training instances (bars: tasks, label: instance; "
        "faded: later instances)",
        fontsize=11,
    )
    return _finish(fig, path)


def _phase_legend(fig: Figure, ax: Axes) -> None:
    patches = optional_import("matplotlib.patches")
    handles = [patches.Patch(color=PHASE_COLOURS[p], label=p) for p in PHASES]
    ax.legend(
        handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=4, fontsize=9, frameon=False
    )


# ---------------------------------------------------------------------------------------------------- utilisation
def utilisation_figure(
    results: Mapping[str, Result] | Sequence[Result],
    *,
    bins: int = 100,
    path: str | Path | None = None,
) -> Figure:
    """Busy fraction of every engine over time, one panel per result (:meth:`Result.busy_over_time`).

    Each panel's legend gives every engine's average busy fraction over the batch.
    """
    named = _as_named(results)
    fig = _figure(10, 1.0 + 2.2 * len(named))
    axes = fig.subplots(len(named), 1, squeeze=False)[:, 0]
    for ax, (title, r) in zip(axes, named, strict=True):
        edges, busy = r.busy_over_time(bins)
        scale, unit = _time_unit(float(edges[-1]))
        mid = (edges[:-1] + edges[1:]) / 2 * scale
        util = r.utilisation()
        for e, name in enumerate(r.engines):
            ax.step(
                mid,
                busy[e] * 100,
                where="mid",
                linewidth=1.4,
                label=f"{_engine_label(name)} (average {util[name] * 100:.0f} %)",
            )
        ax.set_title(title, loc="left", fontsize=11)
        ax.set_ylim(-3, 105)
        ax.set_xlim(0, edges[-1] * scale)
        ax.set_ylabel("busy (%)")
        ax.set_xlabel(f"time ({unit})")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=9)
    fig.suptitle(f"Engine utilisation over time ({bins} bins per batch)", fontsize=12)
    return _finish(fig, path)


# ---------------------------------------------------------------------------------------------------- energy
def _energy_table(source: Mapping[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """``network -> preset -> components`` from a reproduce dict or ``{label: Result}``."""
    if "networks" in source and isinstance(source["networks"], Mapping):
        table: dict[str, dict[str, dict[str, float]]] = {}
        for net, d in source["networks"].items():
            for preset, figures in d["presets"].items():
                if "energy_pj" not in figures:
                    raise ConfigError(
                        f"networks.{net}.presets.{preset}: no 'energy_pj' breakdown (a reproduce result of an "
                        "older tnpu?)"
                    )
                table.setdefault(net, {})[preset] = dict(figures["energy_pj"])
        return table
    from tnpu.reproduce import energy_components

    table = {}
    for label, r in source.items():
        if not hasattr(r, "energy"):
            raise ConfigError(f"{label}: expected a Result, got {type(r).__name__}")
        table.setdefault(str(r.meta["model"]), {})[str(label)] = energy_components(r.energy)
    return table


def energy_figure(source: Mapping[str, Any], *, path: str | Path | None = None) -> Figure:
    """Energy per batch of each preset, stacked by component, one panel per network.

    ``source``: what :func:`tnpu.reproduce.reproduce` returned, or ``{label: Result}``. Each bar stacks MAC, SRAM,
    static and DRAM energy (the full accounting); the black tick on it marks the total without DRAM (the paper's
    accounting), whose value is printed above the bar beside the full total.
    """
    table = _energy_table(source)
    if not table:
        raise ConfigError("energy: no networks to plot")
    nets = list(table)
    cols = min(len(nets), 3)
    nrows = -(-len(nets) // cols)
    fig = _figure(max(4.2 * cols + 2.4, 7.5), 3.6 * nrows + 1.0)
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    for ax in axes[len(nets) :]:
        ax.set_visible(False)
    for ax, net in zip(axes, nets, strict=False):
        presets = list(table[net])
        totals = [sum(table[net][p].values()) for p in presets]
        scale, unit = (1e-12, "J") if max(totals) >= 1e12 else (1e-9, "mJ")
        x = np.arange(len(presets))
        bottom = np.zeros(len(presets))
        for comp in ENERGY_COMPONENTS:
            vals = np.array([table[net][p][comp] for p in presets]) * scale
            ax.bar(
                x,
                vals,
                0.6,
                bottom=bottom,
                color=ENERGY_COLOURS[comp],
                hatch="//" if comp == "dram" else None,
                edgecolor="white",
                label=ENERGY_LABELS[comp],
            )
            bottom += vals
        paper = np.array([sum(v for k, v in table[net][p].items() if k != "dram") for p in presets]) * scale
        ax.hlines(
            paper, x - 0.34, x + 0.34, colors="black", linewidth=2.2, label="total without DRAM (paper)"
        )
        for xi, full, nodram in zip(x, bottom, paper, strict=True):
            ax.text(xi, full, f"{full:.3g}\n({nodram:.3g})", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, [PRESET_LABELS.get(p, p) for p in presets])
        ax.set_ylim(0, bottom.max() * 1.22)
        ax.set_ylabel(f"energy per batch ({unit})")
        ax.set_title(net, fontsize=11)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    order = [*range(len(ENERGY_COMPONENTS) - 1, -1, -1), len(ENERGY_COMPONENTS)]
    fig.legend(
        [handles[i] for i in order], [labels[i] for i in order], loc="outside right center", fontsize=9
    )
    fig.suptitle(
        "Energy per training batch by component\nnumbers on the bars: full total (total without DRAM)",
        fontsize=12,
    )
    return _finish(fig, path)


# ---------------------------------------------------------------------------------------------------- bandwidth
def bandwidth_figure(source: Mapping[str, Any], *, path: str | Path | None = None) -> Figure:
    """TNPU's speedup over each baseline and each preset's slowdown against peak DRAM bandwidth (paper Fig. 8).

    ``source``: what :func:`tnpu.reproduce.reproduce` returned (its ``bandwidth_sweep``), or the sweep itself.
    One row per network: the speedup (baseline time / TNPU time) on the left, each preset's batch time relative to
    its fastest point on the right; the bandwidth axis is logarithmic.
    """
    sweep = source.get("bandwidth_sweep", source)
    nets = [n for n, d in sweep.items() if isinstance(d, Mapping) and "tnpu" in d]
    if not nets:
        raise ConfigError("bandwidth_sweep: empty (run reproduce with bandwidths and sweep networks)")
    fig = _figure(11, 0.9 + 3.3 * len(nets))
    axes = fig.subplots(len(nets), 2, squeeze=False)
    ticker = optional_import("matplotlib.ticker")
    for (ax_s, ax_d), net in zip(axes, nets, strict=True):
        per = sweep[net]
        bws = sorted(per["tnpu"]["time_s"], key=float)
        x = np.array([float(b) for b in bws])
        for base in ("dnpu", "dadiannao"):
            key = f"speedup_vs_{base}"
            if key in per:
                ax_s.plot(
                    x,
                    [per[key][b] for b in bws],
                    marker="o",
                    color=PRESET_COLOURS[base],
                    label=f"TNPU over {PRESET_LABELS[base]}",
                )
        ax_s.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
        ax_s.set_title(f"{net}: speedup of TNPU", loc="left", fontsize=11)
        ax_s.set_ylabel("speedup (baseline time / TNPU time)")
        for preset, label in PRESET_LABELS.items():
            if preset in per:
                ax_d.plot(
                    x,
                    [per[preset]["slowdown"][b] for b in bws],
                    marker="o",
                    color=PRESET_COLOURS[preset],
                    label=label,
                )
        ax_d.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
        ax_d.set_title(f"{net}: slowdown against bandwidth", loc="left", fontsize=11)
        ax_d.set_ylabel("time / time at the fastest point")
        for ax in (ax_s, ax_d):
            ax.set_xscale("log")
            ax.set_xticks(x, [f"{v:g}" for v in x])
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
            ax.set_xlabel("peak DRAM bandwidth (GB/s)")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=9)
    batch = source.get("setup", {}).get("sweep_batch")
    fig.suptitle(
        "Bandwidth sensitivity (the paper's Figure 8)" + (f", batch {batch}" if batch else ""), fontsize=12
    )
    return _finish(fig, path)


# ---------------------------------------------------------------------------------------------------- reproduce
def _reproduce_overrides(rep: Mapping[str, Any]) -> dict[str, Any]:
    from tnpu.reproduce import StreamCalibration, memory_overrides

    setup = rep["setup"]
    st = setup.get("stream")
    if setup["memory"] == "stream" and st:
        cal = StreamCalibration(
            dram=str(setup["dram"]),
            peak_gbps=float(st["peak_gbps"]),
            sustained_gbps=float(st["sustained_gbps"]),
            latency_ps=int(st["latency_ps"]),
            command_pj_per_bit=float(st["command_pj_per_bit"]),
            background_w=float(st["background_w"]),
        )
        return memory_overrides("stream", cal)
    return memory_overrides(str(setup["memory"]), None)


def figure_paths(directory: str | Path) -> list[Path]:
    """Where :func:`write_reproduce_figures` writes its PNGs in ``directory``."""
    return [Path(directory) / name for name in FIGURE_FILES]


def write_reproduce_figures(
    rep: Mapping[str, Any],
    directory: str | Path,
    *,
    network: str | None = None,
    batch: int = 4,
    instances: int = 3,
    force: bool = False,
) -> list[Path]:
    """Write the four figures of a reproduce run as PNGs in ``directory`` (created if missing).

    The energy and bandwidth figures come from ``rep``. The occupancy and utilisation figures need schedules,
    which ``rep`` does not hold: they come from small extra runs of ``network`` (default AlexNet if it was part of
    the experiment, else its first network) with ``batch`` instances on the same memory model: TNPU ``inorder``
    and ``reorder`` for the Figure 4 view, the three presets for utilisation.

    Raises
    ------
    ConfigError
        If a figure file exists and ``force`` is not set (nothing is written then).
    """
    from tnpu.reproduce import PRESETS
    from tnpu.simulate import simulate

    paths = figure_paths(directory)
    check_writable(paths, force=force)
    nets = list(rep["networks"]) or list(rep["bandwidth_sweep"])
    net = network or ("alexnet" if "alexnet" in nets else (nets[0] if nets else "alexnet"))
    overrides = _reproduce_overrides(rep)
    Path(directory).mkdir(parents=True, exist_ok=True)
    occupancy_figure(
        fig4_results(net, "tnpu", batch=batch, overrides=overrides),
        instances=min(instances, batch),
        path=paths[0],
    )
    runs = {
        f"{PRESET_LABELS.get(p, p)} ({p}): {net}, batch {batch}": simulate(
            net, p, batch=batch, overrides=overrides
        )
        for p in PRESETS
    }
    utilisation_figure(runs, path=paths[1])
    energy_figure(rep, path=paths[2])
    if rep["bandwidth_sweep"]:
        bandwidth_figure(rep, path=paths[3])
    else:
        paths = paths[:3]
    return paths


def check_writable(paths: Sequence[Path], *, force: bool) -> None:
    """Raise ConfigError naming the first of ``paths`` that exists, unless ``force``."""
    if force:
        return
    for p in paths:
        if p.exists():
            raise ConfigError(f"{p}: exists; not overwriting it (choose another directory or pass --force)")
