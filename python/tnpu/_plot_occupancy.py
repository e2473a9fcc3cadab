"""The paper's Figure 4 view of :mod:`tnpu.plots`: the schedules' occupancy of PU-c and PU-f, and what it shows.

:func:`fig4_results` runs the small simulations, :func:`occupancy_figure` draws them (a column per network, a panel
per schedule, a row per engine, a row where both engines are busy, instance end markers) and
:func:`occupancy_notes` states what the data shows under each column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tnpu._optional import optional_import
from tnpu._plot_base import PHASE_COLOURS, PHASES, _as_named, _engine_label, _figure, _finish, _time_unit
from tnpu.errors import ConfigError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tnpu.results import Result


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
