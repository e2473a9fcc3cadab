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


def _legend_texts(fig) -> set[str]:
    return {
        t.get_text()
        for leg in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
        if leg
        for t in leg.texts
    }


def test_occupancy_bars_are_the_tasks_of_the_first_instances(fig4, tmp_path: Path):
    path = tmp_path / "occ.png"
    fig = plots.occupancy_figure(fig4, instances=2, path=path)
    _png(path)
    axes = fig.axes
    assert len(axes) == 2
    assert axes[0].get_title(loc="left").startswith("inorder: lenet5 on tnpu")
    assert axes[1].get_title(loc="left").startswith("reorder: lenet5 on tnpu")
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["PU-c", "PU-f"]
    assert axes[1].get_xlabel() in ("time (µs)", "time (ms)")
    assert {"FP", "BP", "GD", "WU"} <= _legend_texts(fig)
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


def test_utilisation_lines_are_busy_over_time(fig4, tmp_path: Path):
    path = tmp_path / "util.png"
    fig = plots.utilisation_figure(fig4, bins=40, path=path)
    _png(path)
    assert len(fig.axes) == 2
    for ax, r in zip(fig.axes, fig4.values(), strict=True):
        _edges, busy = r.busy_over_time(40)
        assert ax.get_ylabel() == "busy (%)"
        lines = ax.get_lines()
        assert len(lines) == len(r.engines)
        for e, line in enumerate(lines):
            assert np.allclose(line.get_ydata(), busy[e] * 100)
        labels = [t.get_text() for t in ax.get_legend().texts]
        assert labels[0].startswith("PU-c (average")


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
    assert written == ["energy.png", "fig4_occupancy.png", "utilisation.png"]  # no sweep: no bandwidth figure
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
        plots.utilisation_figure({})
    with pytest.raises(ConfigError, match="bandwidth_sweep"):
        plots.bandwidth_figure({"bandwidth_sweep": {}})
