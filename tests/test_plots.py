"""Figures (plot extra): files written, non-empty PNGs, and each figure shows the data it was given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import tnpu
from tnpu import plots
from tnpu.cli import main
from tnpu.errors import ConfigError

IDEAL = {"memory.model": "ideal"}
PNG = b"\x89PNG\r\n\x1a\n"


def _png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG)
    assert len(data) > 10_000


@pytest.fixture(scope="module")
def fig4():
    return plots.fig4_results("lenet5", batch=3, overrides=IDEAL)


@pytest.fixture(scope="module")
def rep():
    from tnpu.reproduce import reproduce

    return reproduce(
        ["lenet5"], batch=2, bandwidths=(4.0, 17.06), sweep_networks=("lenet5",), sweep_batch=2, workers=1
    )


def _all_legends(fig) -> list:
    out = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    for sub in getattr(fig, "subfigs", []):
        out += _all_legends(sub)
    return [leg for leg in out if leg]


def _legend_texts(fig) -> set[str]:
    return {t.get_text() for leg in _all_legends(fig) for t in leg.texts}


def _legends_clear_of_axes(fig) -> None:
    """No legend overlaps a plot area (so none covers a line or bar)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = _all_legends(fig)
    assert legends
    for leg in legends:
        box = leg.get_window_extent(renderer)
        for ax in fig.axes:
            if ax.get_visible():
                assert not box.overlaps(ax.get_window_extent(renderer)), (
                    leg.texts[0].get_text(),
                    ax.get_title(),
                )


def _busy_spans_brute_force(r) -> int:
    t = r.tasks
    a, b = t[t["engine"] == 0], t[t["engine"] == 1]
    total = 0
    for s0, e0 in zip(a["start_ps"].tolist(), a["end_ps"].tolist(), strict=True):
        lo = np.maximum(b["start_ps"].astype(np.int64), s0)
        hi = np.minimum(b["end_ps"].astype(np.int64), e0)
        total += int(np.clip(hi - lo, 0, None).sum())
    return total


def test_both_busy_spans_are_where_the_engines_overlap(fig4):
    inorder, reorder = fig4.values()
    assert plots.both_busy_spans(inorder) == []  # in order never runs the two engines at once
    spans = plots.both_busy_spans(reorder)
    assert spans
    assert all(lo < hi for lo, hi in spans)
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))  # sorted and disjoint
    assert sum(hi - lo for lo, hi in spans) == _busy_spans_brute_force(reorder)


def test_occupancy_bars_are_the_tasks_of_the_first_instances(fig4, tmp_path: Path):
    path = tmp_path / "occ.png"
    fig = plots.occupancy_figure(fig4, instances=2, path=path)
    _png(path)
    axes = fig.axes
    assert len(axes) == 2
    assert axes[0].get_title(loc="left").startswith("inorder: lenet5 on tnpu: batch done at")
    assert axes[1].get_title(loc="left").startswith("reorder: lenet5 on tnpu: batch done at")
    assert "both at once 0 %" in axes[0].get_title(loc="left")
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["PU-c", "PU-f", "both"]
    assert axes[1].get_xlabel() in ("time (µs)", "time (ms)")
    assert {"FP", "BP", "GD", "WU", "both engines busy", "instance done"} <= _legend_texts(fig)
    _legends_clear_of_axes(fig)
    # Every opaque bar is a task of instance 0 or 1, at its start and with its duration.
    scale = 1e6 if "µs" in axes[1].get_xlabel() else 1e3
    for ax, r in zip(axes, fig4.values(), strict=True):
        t = r.tasks
        first = t[(t["instance"] >= 0) & (t["instance"] < 2)]
        want = sorted(
            (round(float(s) * 1e-12 * scale, 6), round(float(e - s) * 1e-12 * scale, 6))
            for s, e in zip(first["start_ps"], first["end_ps"], strict=True)
        )
        bars = sorted(
            (round(p.get_x(), 6), round(p.get_width(), 6)) for p in ax.patches if p.get_alpha() in (None, 1.0)
        )
        assert bars == want
        assert any(txt.get_text() == "i1" for txt in ax.texts)


def test_occupancy_shows_whole_batches_one_column_per_network(fig4):
    mpcnn = plots.fig4_results("mpcnn", batch=3, overrides=IDEAL)
    fig = plots.occupancy_figure({**fig4, **mpcnn})
    assert len(fig.axes) == 4
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert [t.split(":")[0] for t in titles] == ["inorder", "reorder", "inorder", "reorder"]
    assert "lenet5" in titles[0]
    assert "mpcnn" in titles[2]
    for ax, r in zip(fig.axes, [*fig4.values(), *mpcnn.values()], strict=True):
        # the whole batch: every task is an opaque bar, and the axis reaches the slower schedule's end
        assert sum(1 for p in ax.patches if p.get_alpha() in (None, 1.0)) == len(r.tasks)
    assert fig.axes[0].get_xlim() == fig.axes[1].get_xlim()
    _legends_clear_of_axes(fig)


def test_occupancy_notes_are_computed_from_the_schedules(fig4):
    inorder, reorder = fig4.values()
    notes = plots.occupancy_notes(fig4)
    assert notes[0].startswith("reorder: batch done at")
    assert f"({inorder.makespan_ps / reorder.makespan_ps:.2f}x)" in notes[0]
    both = sum(hi - lo for lo, hi in plots.both_busy_spans(reorder)) / reorder.makespan_ps
    assert f"busy at once {both * 100:.0f} %" in notes[0]
    busy = inorder.busy_fraction()
    assert f"at most {1 / max(busy.values()):.2f}x" in notes[1]
    assert inorder.makespan_ps / reorder.makespan_ps <= 1 / max(busy.values()) + 1e-9  # the bound holds

    def ends(r):
        t = r.tasks
        return {i: int(t["end_ps"][t["instance"] == i].max()) for i in range(r.meta["batch"])}

    later = [i for i, e in ends(inorder).items() if ends(reorder)[i] > e]
    assert any("finishes later under reorder" in n for n in notes) == bool(later)
    assert plots.occupancy_notes({"inorder only": inorder}) == []


def test_busy_and_mac_utilisation_over_time(tmp_path: Path):
    runs = {p: tnpu.simulate("lenet5", p, batch=2, overrides=IDEAL) for p in ("tnpu", "dadiannao")}
    path = tmp_path / "busy.png"
    fig = plots.busy_utilisation_figure(runs, bins=40, path=path)
    _png(path)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_xlim() == fig.axes[1].get_xlim()  # one time axis for every design
    for ax, r in zip(fig.axes, runs.values(), strict=True):
        _edges, busy = r.busy_over_time(40)
        _edges, macs = r.mac_utilisation_over_time(40)
        steps = [p for p in ax.patches if type(p).__name__ == "StepPatch"]
        lines = [p for p in steps if not p.get_fill()]
        fills = [p for p in steps if p.get_fill()]
        assert len(lines) == len(fills) == len(r.engines)
        for e in range(len(r.engines)):
            assert np.allclose(lines[e].get_data().values, busy[e] * 100)
            assert np.allclose(fills[e].get_data().values, macs[e] * 100)
        # the bins average to the batch figures; for one class per engine that is the tables' MAC util
        assert np.allclose(macs.mean(axis=1), list(r.mac_utilisation().values()))
        assert np.allclose(busy.mean(axis=1), list(r.busy_fraction().values()))
    s = runs["tnpu"].summary()
    assert runs["tnpu"].mac_utilisation() == pytest.approx({"pu_c": s["pu_c_util"], "pu_f": s["pu_f_util"]})
    labels = _legend_texts(fig)
    assert any(t.startswith("PU-c busy (") for t in labels)
    assert any(t.startswith("PU-c MAC utilisation (") for t in labels)
    # DaDianNao's one unit is busy all the time by construction, and the panel says so
    assert runs["dadiannao"].busy_fraction() == {"array": 1.0}
    assert "busy 100 % by construction" in fig.axes[1].get_title(loc="left")
    assert "by construction" not in fig.axes[0].get_title(loc="left")
    _legends_clear_of_axes(fig)


def test_utilisation_is_a_deprecated_name_of_busy_fraction(fig4):
    r = next(iter(fig4.values()))
    with pytest.warns(DeprecationWarning, match="busy_fraction"):
        assert r.utilisation() == r.busy_fraction()


def test_energy_bars_stack_to_the_totals(tmp_path: Path):
    runs = {p: tnpu.simulate("lenet5", p, batch=2, overrides=IDEAL) for p in ("tnpu", "dadiannao", "dnpu")}
    path = tmp_path / "energy.png"
    fig = plots.energy_figure(runs, path=path)
    _png(path)
    ax = fig.axes[0]
    assert ax.get_title() == "lenet5"
    assert ax.get_ylabel() == "energy per batch (mJ)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["TNPU", "DaDianNao", "DNPU"]
    heights: dict[float, float] = {}
    for p in ax.patches:
        heights[round(p.get_x(), 6)] = heights.get(round(p.get_x(), 6), 0.0) + p.get_height()
    totals = [r.energy["total_pj"] * 1e-9 for r in runs.values()]
    assert np.allclose([heights[k] for k in sorted(heights)], totals)
    paper_ticks = ax.collections[0].get_segments()
    assert np.allclose(
        [seg[0][1] for seg in paper_ticks], [r.energy["total_paper_pj"] * 1e-9 for r in runs.values()]
    )
    assert {"MAC", "SRAM", "static", "DRAM", "total without DRAM (paper)"} <= _legend_texts(fig)
    _legends_clear_of_axes(fig)


def test_energy_panels_share_one_unit():
    small = {"mac": 1e8, "sram": 2e8, "static": 1e8, "dram": 5e8}  # pJ: under a millijoule
    big = {k: v * 1e4 for k, v in small.items()}  # several joules
    rep = {"networks": {n: {"presets": {"tnpu": {"energy_pj": e}}} for n, e in (("a", small), ("b", big))}}
    fig = plots.energy_figure(rep)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_ylabel() for ax in axes] == ["energy per batch (mJ)"] * 2
    for ax, e in zip(axes, (small, big), strict=True):
        assert sum(p.get_height() for p in ax.patches) == pytest.approx(sum(e.values()) * 1e-9)


def test_bandwidth_figure_plots_the_sweep(rep, tmp_path: Path):
    path = tmp_path / "bw.png"
    fig = plots.bandwidth_figure(rep, path=path)
    _png(path)
    ax_s, ax_d = fig.axes
    sweep = rep["bandwidth_sweep"]["lenet5"]
    assert ax_s.get_xscale() == "log"
    assert ax_s.get_xlabel() == "peak DRAM bandwidth (GB/s)"
    speed = {
        line.get_label(): line.get_ydata() for line in ax_s.get_lines() if line.get_label().startswith("TNPU")
    }
    assert np.allclose(speed["TNPU over DNPU"], [sweep["speedup_vs_dnpu"][b] for b in ("4.0", "17.06")])
    assert np.allclose(
        speed["TNPU over DaDianNao"], [sweep["speedup_vs_dadiannao"][b] for b in ("4.0", "17.06")]
    )
    slow = {
        line.get_label(): line.get_ydata()
        for line in ax_d.get_lines()
        if not line.get_label().startswith("_")
    }
    assert set(slow) == {"TNPU", "DaDianNao", "DNPU"}
    assert np.allclose(slow["DNPU"], [sweep["dnpu"]["slowdown"][b] for b in ("4.0", "17.06")])
    # each point at its memory system's actual peak (sampled: a x16 bus of DDR4-2133 for 4 GB/s), with error bars
    xs = next(line.get_xdata() for line in ax_d.get_lines() if line.get_label() == "DNPU")
    assert np.allclose(xs, [sweep["dnpu"]["peak_gbps"][b] for b in ("4.0", "17.06")])
    assert xs[0] == pytest.approx(4.264, abs=1e-3)
    assert len(ax_d.containers) == 3  # one error bar set per preset
    assert "on the sampled model" in fig._suptitle.get_text()
    _legends_clear_of_axes(fig)


def test_write_reproduce_figures_refuses_to_overwrite(rep, tmp_path: Path):
    out = tmp_path / "figs"
    paths = plots.write_reproduce_figures(rep, out, batch=2, instances=2)
    assert [p.name for p in paths] == list(plots.FIGURE_FILES)
    for p in paths:
        _png(p)
    before = paths[0].stat().st_mtime_ns
    with pytest.raises(ConfigError, match=r"fig4_occupancy\.png: exists"):
        plots.write_reproduce_figures(rep, out, batch=2)
    assert paths[0].stat().st_mtime_ns == before
    plots.write_reproduce_figures(rep, out, batch=2, force=True)


def test_reproduce_plots_cli(tmp_path: Path, capsys):
    out = tmp_path / "new" / "figs"
    argv = ["reproduce", "--networks", "lenet5", "--batch", "2", "--no-sweep", "--plots", str(out)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "lenet5" in captured.out  # the report is unchanged
    written = sorted(p.name for p in out.iterdir())
    # no sweep: no bandwidth figure
    assert written == ["busy_utilisation.png", "energy.png", "fig4_occupancy.png"]
    assert "wrote" in captured.err
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("tnpu reproduce: error: ")
    assert "exists" in err
    assert main([*argv, "--force"]) == 0


def test_bad_inputs_are_config_errors(fig4):
    with pytest.raises(ConfigError, match="instances"):
        plots.occupancy_figure(fig4, instances=0)
    with pytest.raises(ConfigError, match="at least one Result"):
        plots.busy_utilisation_figure({})
    with pytest.raises(ConfigError, match="bandwidth_sweep"):
        plots.bandwidth_figure({"bandwidth_sweep": {}})
