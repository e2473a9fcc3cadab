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

import io
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tnpu._optional import optional_import
from tnpu.errors import ConfigError

if TYPE_CHECKING:
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


def _merged(starts: np.ndarray, ends: np.ndarray) -> list[list[int]]:
    out: list[list[int]] = []
    for s, e in sorted(zip(starts.tolist(), ends.tolist(), strict=True)):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def both_busy_spans(result: Result, a: int = 0, b: int = 1) -> list[tuple[int, int]]:
    """Return the ``(start_ps, end_ps)`` spans in which engines ``a`` and ``b`` both run a task."""
    t = result.tasks
    sa = _merged(t["start_ps"][t["engine"] == a], t["end_ps"][t["engine"] == a])
    sb = _merged(t["start_ps"][t["engine"] == b], t["end_ps"][t["engine"] == b])
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(sa) and j < len(sb):
        lo, hi = max(sa[i][0], sb[j][0]), min(sa[i][1], sb[j][1])
        if hi > lo:
            out.append((lo, hi))
        if sa[i][1] < sb[j][1]:
            i += 1
        else:
            j += 1
    return out


def _instance_ends(result: Result) -> dict[int, int]:
    t = result.tasks
    out: dict[int, int] = {}
    for inst, end in zip(t["instance"].tolist(), t["end_ps"].tolist(), strict=True):
        if inst >= 0:
            out[inst] = max(out.get(inst, 0), end)
    return out


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.0f} %"


def _fmt_time(ps: float, scale: float) -> str:
    return f"{ps * 1e-12 * scale:.3g}"


def occupancy_notes(results: Mapping[str, Result] | Sequence[Result]) -> list[str]:
    """Say what an ``inorder`` and a ``reorder`` run of one network show, in sentences computed from the schedules.

    The speedup and how often both engines run at once; the bound on the speedup from the in-order busy fractions
    (the batch cannot end before the busier engine has done its work: 1 / max); when one engine has most of the work, how much of
    its time it stalls on memory; and, if an instance finishes later under ``reorder``, why. Empty unless
    ``results`` holds both schedules of a two-engine design.
    """
    by = {str(r.meta["scheduler"]): r for _, r in _as_named(results)}
    ino, reo = by.get("inorder"), by.get("reorder")
    if ino is None or reo is None or len(ino.engines) != 2 or len(reo.engines) != 2:
        return []
    scale, unit = _time_unit(max(ino.time_s, reo.time_s))
    names = [_engine_label(n) for n in ino.engines]
    both = sum(hi - lo for lo, hi in both_busy_spans(reo)) / max(reo.makespan_ps, 1)
    notes = [
        (
            f"reorder: batch done at {_fmt_time(reo.makespan_ps, scale)} {unit} instead of "
            f"{_fmt_time(ino.makespan_ps, scale)} ({ino.makespan_ps / max(reo.makespan_ps, 1):.2f}x); "
            f"{names[0]} and {names[1]} busy at once {_pct(both)} of the time (in order: never)."
        )
    ]
    busy = list(ino.busy_fraction().values())
    longer = int(np.argmax(busy))
    if max(busy) > 0:
        notes.append(
            f"In order, {names[0]} is busy {_pct(busy[0])} and {names[1]} {_pct(busy[1])} of the time: the batch "
            f"cannot end before the busier engine's work is done, so reordering gains at most {1 / max(busy):.2f}x."
        )
        share = max(busy) / sum(busy)
        if share >= 0.7:
            t = ino.tasks[ino.tasks["engine"] == longer]
            dur = float((t["end_ps"] - t["start_ps"]).sum())
            stall = float(t["stall_ps"].sum()) / dur if dur > 0 else 0.0
            notes.append(
                f"{names[longer]} has {_pct(share)} of the work and stalls on memory {_pct(stall)} of its busy time: "
                f"{names[1 - longer]} has little to overlap with it."
            )
    longer_by = [
        float(reo.busy_ps[e]) / float(ino.busy_ps[e]) - 1 if ino.busy_ps[e] else 0.0 for e in range(2)
    ]
    if max(longer_by) > 0.02:
        notes.append(
            f"The same tasks keep {names[0]} busy {longer_by[0] * 100:+.0f} % and {names[1]} {longer_by[1] * 100:+.0f} % longer "
            "under reorder: running at once, the engines share one DRAM."
        )
    end_in, end_re = _instance_ends(ino), _instance_ends(reo)
    late = [i for i in sorted(end_in) if end_re.get(i, 0) > end_in[i]]
    if late:
        i = late[0]
        others = f"; {len(late)} of {len(end_in)} instances finish later" if len(late) > 1 else ""
        notes.append(
            f"i{i} finishes later under reorder ({_fmt_time(end_re[i], scale)} against "
            f"{_fmt_time(end_in[i], scale)} {unit}{others}): an engine takes the oldest task that is ready and "
            "does not preempt it, so a later instance's task can hold up an earlier one. Reorder shortens the "
            "batch, not each instance."
        )
    return notes


def _column_groups(named: list[tuple[str, Result]]) -> list[list[tuple[str, Result]]]:
    groups: dict[str, list[tuple[str, Result]]] = {}
    for title, r in named:
        groups.setdefault(f"{r.meta['model']} on {r.meta['arch']}, batch {r.meta['batch']}", []).append(
            (title, r)
        )
    return list(groups.values())


def occupancy_figure(
    results: Mapping[str, Result] | Sequence[Result],
    *,
    instances: int | None = None,
    notes: bool = True,
    path: str | Path | None = None,
) -> Figure:
    """Engine occupancy of whole batches (the paper's Figure 4 view), a column per network.

    Each result is a panel (runs of the same network and accelerator share a column and its time axis, e.g.
    ``inorder`` above ``reorder``): a row per engine with each task a bar coloured by phase and labelled
    ``i<instance>`` where it is wide enough, for two-engine designs a row ``both`` where the engines run at once,
    and a marker above the rows where each instance finishes. With ``instances`` only the tasks of instances
    ``0 .. instances-1`` are opaque and the time axis ends with them; the other tasks are faded.
    With ``notes`` each column ends with :func:`occupancy_notes`.
    """
    if instances is not None and (
        isinstance(instances, bool) or not isinstance(instances, int) or instances < 1
    ):
        raise ConfigError(f"instances: expected a whole number >= 1, got {instances!r}")
    named = _as_named(results)
    columns = _column_groups(named)
    ncols = len(columns)
    rows = max(len(r.engines) + (1 if len(r.engines) == 2 else 0) for _, r in named)
    per_panel = 0.42 * rows + 1.1
    col_notes = [occupancy_notes(dict(col)) if notes else [] for col in columns]
    note_lines = max((len(_wrap(n, 95 if ncols == 1 else 70)) for n in col_notes), default=0)
    body_h = max(len(c) for c in columns) * per_panel + 0.19 * note_lines
    fig = _figure(11 if ncols == 1 else 8 * ncols, body_h + 0.65)
    header, body = fig.subfigures(2, 1, height_ratios=[0.65, body_h], squeeze=False)[:, 0]
    subfigs = body.subfigures(1, ncols, squeeze=False)[0] if ncols > 1 else [body]
    for sub, col, lines in zip(subfigs, columns, col_notes, strict=True):
        _occupancy_column(sub, col, instances)
        if lines:
            sub.supxlabel(
                "\n".join(_wrap(lines, 95 if ncols == 1 else 70)),
                fontsize=8.5,
                x=0.01,
                ha="left",
                va="bottom",
            )
    patches = optional_import("matplotlib.patches")
    lines2d = optional_import("matplotlib.lines")
    handles = [patches.Patch(color=PHASE_COLOURS[p], label=p) for p in PHASES]
    handles.append(patches.Patch(color=BOTH_COLOUR, label="both engines busy"))
    handles.append(
        lines2d.Line2D(
            [], [], marker="v", color="black", linestyle="none", markersize=6, label="instance done"
        )
    )
    header.suptitle(
        "Engine occupancy (the paper's Figure 4): each bar a task, coloured by phase, labelled with its instance",
        fontsize=12,
        y=0.97,
        va="top",
    )
    header.legend(handles=handles, loc="lower center", ncols=len(handles), fontsize=9, frameon=False)
    return _finish(fig, path)


BOTH_COLOUR = "#444444"


def _wrap(lines: Sequence[str], width: int) -> list[str]:
    import textwrap

    out: list[str] = []
    for line in lines:
        out.extend(textwrap.wrap(line, width, initial_indent="- ", subsequent_indent="  "))
    return out


def _occupancy_column(sub: Any, col: list[tuple[str, Result]], instances: int | None) -> None:
    horizon_ps = 1
    for _, r in col:
        t = r.tasks
        if instances is None:
            horizon_ps = max(horizon_ps, r.makespan_ps)
        else:
            sel = (t["instance"] >= 0) & (t["instance"] < instances)
            if sel.any():
                horizon_ps = max(horizon_ps, int(t["end_ps"][sel].max()))
    scale, unit = _time_unit(horizon_ps * 1e-12)
    to_x = scale * 1e-12
    axes = sub.subplots(len(col), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (title, r) in zip(axes, col, strict=True):
        t = r.tasks
        n_eng = len(r.engines)
        for e in range(n_eng):
            on = t[(t["engine"] == e) & (t["start_ps"] < horizon_ps)]
            for row in on:
                inst = int(row["instance"])
                opaque = instances is None or 0 <= inst < instances
                start = float(row["start_ps"]) * to_x
                width = float(row["end_ps"] - row["start_ps"]) * to_x
                ax.barh(
                    e,
                    width,
                    left=start,
                    height=0.7,
                    color=PHASE_COLOURS[PHASES[int(row["phase"])]],
                    alpha=1.0 if opaque else 0.25,
                    edgecolor="white",
                    linewidth=0.3,
                )
                if opaque and inst >= 0 and width > horizon_ps * to_x * 0.03:
                    ax.text(
                        start + width / 2,
                        e,
                        f"i{inst}",
                        ha="center",
                        va="center",
                        fontsize=7.5,
                        color="white",
                    )
        labels = [_engine_label(n) for n in r.engines]
        both_ps = 0
        if n_eng == 2:
            spans = both_busy_spans(r)
            both_ps = sum(hi - lo for lo, hi in spans)
            if spans:
                ax.broken_barh(
                    [(lo * to_x, (hi - lo) * to_x) for lo, hi in spans],
                    (n_eng - 0.25, 0.5),
                    color=BOTH_COLOUR,
                )
            labels.append("both")
        ends = _instance_ends(r)
        shown = {i: e for i, e in ends.items() if e <= horizon_ps and (instances is None or i < instances)}
        ax.plot(
            [e * to_x for e in shown.values()],
            [-0.75] * len(shown),
            "v",
            color="black",
            markersize=5,
            clip_on=False,
        )
        if len(shown) <= 12:
            for i, e in shown.items():
                ax.text(e * to_x, -0.95, f"i{i}", ha="center", va="bottom", fontsize=7)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_ylim(len(labels) - 0.5, -1.4)
        ax.set_xlim(0, horizon_ps * to_x)
        ax.grid(axis="x", alpha=0.3)
        busy = r.busy_fraction()
        parts = [f"{_engine_label(n)} busy {_pct(busy[n])}" for n in r.engines]
        if n_eng == 2:
            parts.append(f"both at once {_pct(both_ps / max(r.makespan_ps, 1))}")
        ax.set_title(
            f"{title}: batch done at {_fmt_time(r.makespan_ps, scale)} {unit}; " + ", ".join(parts),
            loc="left",
            fontsize=10,
        )
    axes[-1].set_xlabel(f"time ({unit})")


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
    its fastest point on the right; the bandwidth axis is logarithmic.
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
            if row == 0:  # the same lines in every row: one legend per column, beside the plot
                ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    batch = source.get("setup", {}).get("sweep_batch")
    fig.suptitle(
        "Bandwidth sensitivity (the paper's Figure 8) on the stream model"
        + (f", batch {batch}" if batch else ""),
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
