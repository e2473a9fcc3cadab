"""Figures of simulation results (the ``plot`` extra: matplotlib, imported lazily, Agg canvas).

Each function returns a :class:`matplotlib.figure.Figure` and, given ``path``, also writes it as a PNG. Figures are
built on their own Agg canvas (no ``pyplot`` state), so they work headless and from threads.

Two measures of an engine are kept apart everywhere: its **busy fraction** (the share of the batch time it runs a
task, waiting on memory included; :meth:`tnpu.results.Result.busy_fraction`) and its **MAC utilisation** (the MACs
it did over what its PEs could do in that time; the tables' ``PU-c MAC util``, :meth:`~tnpu.results.Result.mac_utilisation`).

- :func:`occupancy_figure`: the paper's Figure 4 view: a column per network, a panel per schedule (``inorder`` above
  ``reorder``), a row per engine with its tasks as bars coloured by phase and labelled with the instance, a row
  where PU-c and PU-f are busy at once, a marker where each instance finishes, and under each column what the
  data shows (:func:`occupancy_notes`: the overlap, its bound, and why an instance can finish later).
- :func:`busy_utilisation_figure`: each engine's busy fraction and MAC utilisation over time.
- :func:`energy_figure`: energy per preset split into MAC, SRAM, static and DRAM, with the paper's accounting
  (without DRAM) marked on each bar, in mJ on every panel.
- :func:`bandwidth_figure`: TNPU's speedup over each baseline and each preset's slowdown against peak bandwidth
  (the paper's Figure 8), from :func:`tnpu.reproduce.reproduce`'s ``bandwidth_sweep``.
- :func:`fig4_results` runs the small simulations the Figure 4 view needs; :func:`reproduce_figures` builds all four
  for a reproduce result (``tnpu reproduce --plots DIR`` writes them with :func:`write_reproduce_figures`,
  ``--report DIR`` embeds them in a page).

Examples
--------
>>> import tnpu
>>> from tnpu import plots
>>> runs = plots.fig4_results("lenet5", batch=3, overrides={"memory.model": "ideal"})
>>> fig = plots.occupancy_figure(runs)
>>> fig.axes[0].get_title(loc="left").split(":")[0]
'inorder'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tnpu._optional import optional_import
from tnpu._plot_base import (
    DPI,
    ENERGY_COLOURS,
    ENERGY_COMPONENTS,
    ENERGY_LABELS,
    ENGINE_LABELS,
    FIGURE_FILES,
    PHASE_COLOURS,
    PHASES,
    PRESET_COLOURS,
    PRESET_LABELS,
    _as_named,
    _engine_label,
    _figure,
    _finish,
    _time_unit,
    png_bytes,
)
from tnpu._plot_occupancy import (
    BOTH_COLOUR,
    _pct,
    both_busy_spans,
    fig4_results,
    occupancy_figure,
    occupancy_notes,
)
from tnpu.errors import ConfigError

__all__ = [
    "BOTH_COLOUR",
    "DPI",
    "ENERGY_COLOURS",
    "ENERGY_COMPONENTS",
    "ENERGY_LABELS",
    "ENGINE_LABELS",
    "FIGURE_FILES",
    "PHASES",
    "PHASE_COLOURS",
    "PRESET_COLOURS",
    "PRESET_LABELS",
    "bandwidth_figure",
    "both_busy_spans",
    "busy_utilisation_figure",
    "check_writable",
    "energy_figure",
    "fig4_networks",
    "fig4_results",
    "figure_paths",
    "occupancy_figure",
    "occupancy_notes",
    "png_bytes",
    "reproduce_figures",
    "work_balance",
    "write_reproduce_figures",
]

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tnpu.results import Result


# ---------------------------------------------------------------------------------------------------- busy, MACs
def busy_utilisation_figure(
    results: Mapping[str, Result] | Sequence[Result],
    *,
    bins: int = 100,
    path: str | Path | None = None,
) -> Figure:
    """Each engine's busy fraction (line) and MAC utilisation (filled) over time, one panel per result.

    Busy: the share of a bin the engine runs a task, waiting on memory included
    (:meth:`~tnpu.results.Result.busy_over_time`); MAC utilisation: the MACs it did in the bin over what its PEs
    could do (:meth:`~tnpu.results.Result.mac_utilisation_over_time`). The legend gives both averages over the
    batch. An engine that runs tasks back to back, as a single in-order unit does, is busy 100 % by construction;
    its MAC utilisation shows how much of that time it computes.
    """
    named = _as_named(results)
    fig = _figure(11, 1.0 + 2.4 * len(named))
    axes = fig.subplots(len(named), 1, sharex=True, squeeze=False)[:, 0]
    colours = ("#0072B2", "#D55E00", "#009E73")
    longest = max(r.time_s for _, r in named)
    scale, unit = _time_unit(longest)  # one time axis for every panel: the shorter batches end earlier
    for ax, (title, r) in zip(axes, named, strict=True):
        edges, busy = r.busy_over_time(bins)
        _, macs = r.mac_utilisation_over_time(bins)
        x = edges * scale
        avg_busy, avg_mac = r.busy_fraction(), r.mac_utilisation()
        for e, name in enumerate(r.engines):
            c = colours[e % len(colours)]
            label = _engine_label(name)
            ax.stairs(
                busy[e] * 100,
                x,
                color=c,
                linewidth=1.6,
                baseline=None,
                label=f"{label} busy ({_pct(avg_busy[name])})",
            )
            ax.stairs(
                macs[e] * 100,
                x,
                color=c,
                fill=True,
                alpha=0.3,
                label=f"{label} MAC utilisation ({_pct(avg_mac[name])})",
            )
        ax.axvline(edges[-1] * scale, color="black", linewidth=0.8, linestyle=":")
        # one engine: every task depends only on tasks of that engine, so it runs them back to back
        note = (
            f"\n{_engine_label(r.engines[0])}: busy 100 % by construction (one unit runs the tasks back to back; "
            "waiting on memory counts as busy)"
            if len(r.engines) == 1 and avg_busy[r.engines[0]] > 0.995
            else ""
        )
        ax.set_title(title + note, loc="left", fontsize=10)
        ax.set_ylim(0, 105)
        ax.set_xlim(0, longest * scale)
        ax.set_ylabel("% of time / of PEs")
        ax.grid(alpha=0.3)
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False, title="batch averages"
        )
    axes[-1].set_xlabel(f"time ({unit}; dotted: the batch ends)")
    fig.suptitle(
        "Engine busy time (line) and MAC utilisation (filled) over the batch"
        f" ({bins} bins each; busy includes waiting on memory)",
        fontsize=12,
    )
    return _finish(fig, path)


# ---------------------------------------------------------------------------------------------------- energy
def _fmt_mj(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


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
    ticker = optional_import("matplotlib.ticker")
    for ax in axes[len(nets) :]:
        ax.set_visible(False)
    for ax, net in zip(axes, nets, strict=False):
        presets = list(table[net])
        scale = 1e-9  # pJ -> mJ on every panel (the tables' unit)
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
            ax.text(xi, full, f"{_fmt_mj(full)}\n({_fmt_mj(nodram)})", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, [PRESET_LABELS.get(p, p) for p in presets])
        ax.set_ylim(0, bottom.max() * 1.22)
        ax.set_ylabel("energy per batch (mJ)")
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:,.4g}"))
        ax.set_title(net, fontsize=11)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    order = [*range(len(ENERGY_COMPONENTS) - 1, -1, -1), len(ENERGY_COMPONENTS)]
    fig.legend(
        [handles[i] for i in order], [labels[i] for i in order], loc="outside right center", fontsize=9
    )
    batch = source.get("setup", {}).get("batch") if isinstance(source.get("setup"), Mapping) else None
    fig.suptitle(
        f"Energy per training batch{f' of {batch}' if batch else ''} by component (mJ)\n"
        "numbers on the bars: full total (total without DRAM)",
        fontsize=12,
    )
    return _finish(fig, path)


# ---------------------------------------------------------------------------------------------------- bandwidth
def bandwidth_figure(source: Mapping[str, Any], *, path: str | Path | None = None) -> Figure:
    """TNPU's speedup over each baseline and each preset's slowdown against peak DRAM bandwidth (paper Fig. 8).

    ``source``: what :func:`tnpu.reproduce.reproduce` returned (its ``bandwidth_sweep``), or the sweep itself.
    One row per network: the speedup (baseline time / TNPU time) on the left, each preset's batch time relative to
    its fastest point on the right, with its 95 % interval as an error bar where the memory model gives one; the
    bandwidth axis is logarithmic, at each point's actual peak (``peak_gbps``, else the requested one).
    """
    sweep = source.get("bandwidth_sweep", source)
    nets = [n for n, d in sweep.items() if isinstance(d, Mapping) and "tnpu" in d]
    if not nets:
        raise ConfigError("bandwidth_sweep: empty (run reproduce with bandwidths and sweep networks)")
    fig = _figure(11, 0.9 + 3.3 * len(nets))
    axes = fig.subplots(len(nets), 2, squeeze=False)
    ticker = optional_import("matplotlib.ticker")
    for row, ((ax_s, ax_d), net) in enumerate(zip(axes, nets, strict=True)):
        per = sweep[net]
        bws = sorted(per["tnpu"]["time_s"], key=float)
        peaks = per["tnpu"].get("peak_gbps", {})
        x = np.array([float(peaks.get(b, b)) for b in bws])
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
                slow = np.array([per[preset]["slowdown"][b] for b in bws])
                cis = per[preset].get("time_s_ci95", {})
                err = None
                if any(cis.get(b) for b in bws):  # each time's interval, scaled as the time is
                    times = [per[preset]["time_s"][b] for b in bws]
                    lo = np.array(
                        [cis[b][0] / t if cis.get(b) else 1.0 for b, t in zip(bws, times, strict=True)]
                    )
                    hi = np.array(
                        [cis[b][1] / t if cis.get(b) else 1.0 for b, t in zip(bws, times, strict=True)]
                    )
                    err = np.clip(np.vstack([slow * (1 - lo), slow * (hi - 1)]), 0, None)
                ax_d.plot(x, slow, marker="o", color=PRESET_COLOURS[preset], label=label)
                if err is not None:
                    ax_d.errorbar(x, slow, yerr=err, fmt="none", capsize=3, color=PRESET_COLOURS[preset])
        ax_d.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
        ax_d.set_title(f"{net}: slowdown against bandwidth", loc="left", fontsize=11)
        ax_d.set_ylabel("time / time at the fastest point")
        for ax in (ax_s, ax_d):
            ax.set_xscale("log")
            ax.set_xticks(x, [f"{v:.3g}" for v in x])
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
            ax.set_xlabel("peak DRAM bandwidth (GB/s)")
            ax.grid(alpha=0.3)
            if row == 0:  # the same lines in every row: one legend per column, beside the plot
                ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    setup = source.get("setup", {})
    batch = setup.get("sweep_batch")
    memory = setup.get("sweep_memory", "stream" if setup else None)
    fig.suptitle(
        "Bandwidth sensitivity (the paper's Figure 8)"
        + (f" on the {memory} model" if memory else "")
        + (f", batch {batch}" if batch else "")
        + (
            ", error bars: 95 % intervals" + ("" if setup.get("sweep_paired") else " (sampling error)")
            if memory == "sampled"
            else ""
        ),
        fontsize=12,
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


def work_balance(rep: Mapping[str, Any]) -> dict[str, float]:
    """How evenly each network's work splits between the conv and the FC engine: shorter / longer busy fraction.

    Measured on DNPU (the same two engines as TNPU, each in program order, so they rarely overlap); 1 is an even
    split, where reordering can hide the most. Networks without a DNPU run are left out.
    """
    out = {}
    for net, d in rep["networks"].items():
        busy = d["presets"].get("dnpu", {}).get("busy")
        if busy and len(busy) == 2 and max(busy.values()) > 0:
            out[net] = min(busy.values()) / max(busy.values())
    return out


def fig4_networks(rep: Mapping[str, Any]) -> list[str]:
    """Return the networks of the Figure 4 view: the experiment's most and least balanced (:func:`work_balance`)."""
    balance = work_balance(rep)
    if not balance:
        nets = list(rep["networks"]) or list(rep["bandwidth_sweep"])
        return nets[:1] or ["alexnet"]
    ranked = sorted(balance, key=lambda n: (-balance[n], list(balance).index(n)))
    return list(dict.fromkeys([ranked[0], ranked[-1]]))


def reproduce_figures(
    rep: Mapping[str, Any],
    *,
    networks: Sequence[str] | None = None,
    batch: int = 4,
    instances: int | None = None,
    workers: int = 2,
) -> dict[str, Figure]:
    """Build the figures of a reproduce run: ``{file name: Figure}`` in :data:`FIGURE_FILES` order.

    The energy and bandwidth figures come from ``rep`` (no bandwidth figure without a sweep). The occupancy and
    busy/MAC figures need schedules, which ``rep`` does not hold: they come from small extra runs with ``batch``
    instances on the same memory model, ``workers`` at once. The Figure 4 view runs TNPU ``inorder`` and ``reorder``
    on ``networks`` (default :func:`fig4_networks`: the most and the least balanced network of the experiment, so it
    shows where reordering overlaps the engines and where it cannot); the busy/MAC figure runs the three presets on
    the first of them.
    """
    from tnpu.reproduce import PRESETS
    from tnpu.simulate import simulate

    nets = list(networks) if networks else fig4_networks(rep)
    overrides = _reproduce_overrides(rep)
    jobs: list[tuple[str, str, str]] = [(n, "tnpu", s) for n in nets for s in ("inorder", "reorder")]
    jobs += [(nets[0], p, "") for p in PRESETS if p != "tnpu"]

    def run(job: tuple[str, str, str]) -> Result:
        net, preset, scheduler = job
        return simulate(net, preset, batch=batch, scheduler=scheduler or None, overrides=overrides)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:  # simulations release the GIL
        runs = dict(zip(jobs, pool.map(run, jobs), strict=True))
    fig4 = {f"{s}: {n} on tnpu": runs[(n, "tnpu", s)] for n in nets for s in ("inorder", "reorder")}
    per_preset = {}
    for p in PRESETS:
        r = runs[(nets[0], "tnpu", "reorder") if p == "tnpu" else (nets[0], p, "")]
        per_preset[f"{PRESET_LABELS.get(p, p)} ({r.meta['scheduler']}): {nets[0]}, batch {batch}"] = r
    figures = {
        FIGURE_FILES[0]: occupancy_figure(
            fig4, instances=None if instances is None else min(instances, batch)
        ),
        FIGURE_FILES[1]: busy_utilisation_figure(per_preset),
        FIGURE_FILES[2]: energy_figure(rep),
    }
    if rep["bandwidth_sweep"]:
        figures[FIGURE_FILES[3]] = bandwidth_figure(rep)
    return figures


def write_reproduce_figures(
    rep: Mapping[str, Any],
    directory: str | Path,
    *,
    networks: Sequence[str] | None = None,
    batch: int = 4,
    instances: int | None = None,
    workers: int = 2,
    force: bool = False,
    figures: Mapping[str, Figure] | None = None,
) -> list[Path]:
    """Write the figures of a reproduce run as PNGs in ``directory`` (created if missing); return their paths.

    ``figures``: what :func:`reproduce_figures` returned, if it ran already; otherwise it runs here with
    ``networks``, ``batch``, ``instances`` and ``workers``.

    Raises
    ------
    ConfigError
        If a figure file exists and ``force`` is not set (nothing is written then).
    """
    check_writable(figure_paths(directory), force=force)
    if figures is None:
        figures = reproduce_figures(rep, networks=networks, batch=batch, instances=instances, workers=workers)
    Path(directory).mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in figures.items():
        paths.append(Path(directory) / name)
        _finish(fig, paths[-1])
    return paths


def check_writable(paths: Sequence[Path], *, force: bool) -> None:
    """Raise ConfigError naming the first of ``paths`` that exists, unless ``force``."""
    if force:
        return
    for p in paths:
        if p.exists():
            raise ConfigError(f"{p}: exists; not overwriting it (choose another directory or pass --force)")
