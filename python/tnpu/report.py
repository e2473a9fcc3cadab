"""One self-contained HTML page of a reproduce run: tables, figures, assumptions (``tnpu reproduce --report DIR``).

The page (``DIR/index.html``) needs nothing else: the figures are embedded as base64 PNGs, the style is inline, and
there is no script and no link to fetch. It holds what :func:`tnpu.reproduce.format_report` prints, as tables, with
the paper's averages beside ours and why they differ (computed from the run where the reason is a number: the
overlap bound from DNPU's busy time, the share of static energy), the memory model and the other assumptions, and
the figures of :func:`tnpu.plots.reproduce_figures` with captions. ``docs/reproduction.md`` in the source has the
full discussion and the sensitivity to each assumption.

Examples
--------
>>> from tnpu.report import render_report
>>> rep = {"setup": {"networks": [], "presets": [], "batch": 2, "memory": "ideal", "dram": "ddr4-2133",
...        "stream": None, "sweep_networks": [], "sweep_batch": 2, "bandwidths_gbps": []},
...        "networks": {}, "average": {}, "paper": {}, "bandwidth_sweep": {}}
>>> render_report(rep, {}).startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tnpu.errors import ConfigError

#: The page's file name in the report directory.
REPORT_FILE = "index.html"

PRESET_LABELS = {"tnpu": "TNPU", "dadiannao": "DaDianNao", "dnpu": "DNPU"}
ENGINE_LABELS = {"pu_c": "PU-c", "pu_f": "PU-f", "array": "array"}

#: Captions of the figures of :func:`tnpu.plots.reproduce_figures`, by file name.
CAPTIONS = {
    "fig4_occupancy.png": (
        "The paper's Figure 4 with our schedules: TNPU's engines under in-order execution (top of each column) and "
        "under reorder (below), on the networks of this run with the most and the least evenly split work between "
        "PU-c and PU-f (DNPU's busy time), so the view shows where reordering overlaps the two engines and where it "
        "cannot. Each bar is a task coloured by phase and labelled with its instance; the dark row marks when both "
        "engines run at once; a triangle marks where an instance finishes. The notes under each column are computed "
        "from the two schedules."
    ),
    "busy_utilisation.png": (
        "Busy time (line) and MAC utilisation (filled) of every engine of the three designs over one batch, on one "
        "time axis. Busy is the share of time an engine runs a task, waiting on memory included; MAC utilisation is "
        "the MACs it did over what its PEs could do (the tables' MAC util). DaDianNao's single unit runs its tasks "
        "back to back, so it is busy 100 % by construction; its MAC utilisation shows how little of that time it "
        "computes."
    ),
    "energy.png": (
        "Energy per batch by component, in mJ on every panel. The bar is the full accounting (with DRAM); the black "
        "tick and the number in brackets are the total without DRAM, the paper's accounting."
    ),
    "bandwidth.png": (
        "The paper's Figure 8: TNPU's speedup over each baseline (left) and each design's batch time relative to its "
        "fastest point (right) against peak DRAM bandwidth, with each point's 95 % interval as an error bar where "
        "the memory model gives one. The bandwidth sweep section says which memory model and memory system each "
        "point ran on."
    ),
}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1250px;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ccc; }
h3 { margin-bottom: 0.3em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; } td.l, th.l { text-align: left; }
td { white-space: nowrap; } td.wrap { white-space: normal; }
tr.ours td { font-weight: 600; }
figure { margin: 1.2em 0 2em; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.92em; color: #333; max-width: 1100px; }
.note { color: #555; font-size: 0.92em; } code { background: #f4f4f4; padding: 0 0.2em; }
"""


def report_path(directory: str | Path) -> Path:
    """Where :func:`write_report` writes the page in ``directory``."""
    return Path(directory) / REPORT_FILE


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(
    head: list[str],
    rows: list[list[str]],
    *,
    left: int = 1,
    cls: list[str] | None = None,
    wrap: frozenset[int] = frozenset(),
) -> str:
    """Return an HTML table of escaped cells: the first ``left`` columns left-aligned, columns in ``wrap`` wrapped."""

    def cell(tag: str, i: int, value: str) -> str:
        classes = " ".join(c for c, on in (("l", i < left), ("wrap", i in wrap)) if on)
        return f'<{tag} class="{classes}">{value}</{tag}>' if classes else f"<{tag}>{value}</{tag}>"

    out = ["<table>", "<tr>" + "".join(cell("th", i, _e(h)) for i, h in enumerate(head)) + "</tr>"]
    for k, row in enumerate(rows):
        attr = f' class="{cls[k]}"' if cls and cls[k] else ""
        out.append(f"<tr{attr}>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _pct(x: float) -> str:
    return f"{x * 100:.1f} %"


def _ms(seconds: float) -> str:
    v = seconds * 1e3
    return f"{v:,.0f}" if v >= 1000 else f"{v:.2f}"


def _memory_text(setup: Mapping[str, Any]) -> str:
    mem = setup["memory"]
    st = setup.get("stream")
    if mem == "sampled":
        return (
            f"<b>sampled</b> cycle-level DRAM ({_e(setup['dram'])}): the cycle-level controller in detailed windows "
            "(5 % of each traffic class's time) and, between them, one pipe per DMA engine at the line times the "
            "controller measured for the same traffic class. Each batch time comes with a 95 % interval of its "
            "<i>sampling</i> error only; the model error of the pipes against the full cycle-level run is measured "
            "in docs/sampling.md (within about 2 % on DDR4). Networks that move few lines run wholly in detail: their "
            "interval is exact."
        )
    if mem == "stream" and st:
        return (
            f"<b>stream</b> bandwidth model calibrated on the cycle-level DRAM ({_e(setup['dram'])}): "
            f"{st['sustained_gbps']:.2f} of {st['peak_gbps']:.2f} GB/s sustained on a sequential stream, "
            f"{st['latency_ps'] / 1000:.1f} ns latency, {st['command_pj_per_bit']:.2f} pJ/bit + "
            f"{st['background_w']:.2f} W. One global bandwidth and a FIFO of 4 KiB bursts: it penalises the "
            "concurrent streams TNPU exists for, and is 1-10 % off the cycle-level model on DDR4 (docs/sampling.md)."
        )
    if mem == "dram":
        return (
            f"<b>dram</b>: the cycle-level DRAM controller ({_e(setup['dram'])}) for every 64-byte request."
        )
    return f"<b>{_e(mem)}</b>"


def _presets_table(presets: list[str]) -> str:
    from tnpu.accelerator import load_accelerator

    rows = []
    for p in presets:
        cfg = load_accelerator(p)
        engines = ", ".join(
            f"{ENGINE_LABELS.get(e.name, e.name)} "
            + (f"{e.array_rows}x{e.array_cols}" if e.array_rows else f"1x{e.lanes}")
            + f" ({'/'.join(e.runs)})"
            for e in cfg.engines
        )
        rows.append(
            [
                _e(PRESET_LABELS.get(p, p)),
                _e(cfg.description),
                _e(engines),
                _e(cfg.scheduler),
                f"{cfg.pes}",
                f"{cfg.arch.clock.frequency_mhz:g} MHz",
                f"{cfg.arch.buffer.capacity_bytes // 1024} KiB",
            ]
        )
    return _table(
        ["preset", "what it is", "engines (work)", "scheduler", "PEs", "clock", "buffer"], rows, left=4
    )


def _why_section(rep: Mapping[str, Any]) -> str:
    nets = [n for n in rep["setup"]["networks"] if n in rep["networks"]]
    rows = []
    for net in nets:
        d = rep["networks"][net]
        busy = d["presets"].get("dnpu", {}).get("busy", {})
        if len(busy) != 2 or max(busy.values()) <= 0:
            continue
        c, f = busy.get("pu_c", 0.0), busy.get("pu_f", 0.0)
        rows.append(
            [
                _e(net),
                f"{c * 100:.0f} %",
                f"{f * 100:.0f} %",
                f"{1 / max(c, f):.2f}x",
                f"{d['speedup_vs_dnpu']:.2f}x",
            ]
        )
    static = []
    for net in nets:
        e = rep["networks"][net]["presets"]["tnpu"].get("energy_pj")
        if e:
            no_dram = e["mac"] + e["sram"] + e["static"]
            static.append(e["static"] / no_dram if no_dram > 0 else 0.0)
    parts = ["<h3>Why the speedups are lower than the paper's</h3>"]
    parts.append(
        "<p>TNPU's reorder scheduler hides the shorter of the conv engine's (PU-c) and the FC engine's (PU-f) work "
        "under the longer; it cannot make either shorter. DNPU runs the same two engines on the same work in program "
        "order, and a batch cannot end before its busier engine has done its work, so DNPU's busy fractions bound "
        "TNPU's speedup over it: 1 / max(PU-c busy, PU-f busy). The paper's 1.55x over DNPU needs nearly balanced "
        "engines.</p>"
    )
    if rows:
        parts.append(
            _table(
                ["network", "DNPU PU-c busy", "DNPU PU-f busy", "bound: 1 / max", "TNPU speedup over DNPU"],
                rows,
            )
        )
    parts.append(
        "<ul>"
        "<li>Our DaDianNao runs conv and FC work on all 272 PEs, so when FC work waits on memory, time-multiplexing "
        "costs it only the FC time it cannot overlap.</li>"
        "<li>FC layers run per sample (matrix-vector products streaming the weights once per sample and pass); the "
        "paper does not say whether in-flight instances share weight fetches. Where FC work is DRAM-bound "
        "(AlexNet), every design waits for the same bytes.</li>"
        "<li>Whatever else made the paper's DNPU slower (fixed-point datapath, workload division) is not in the "
        "public record.</li>"
        "</ul>"
    )
    parts.append("<h3>Why the energy reductions are lower</h3>")
    avg_static = sum(static) / len(static) if static else None
    parts.append(
        "<p>Without DRAM energy (the paper's accounting), all three designs do the same MACs and nearly the same "
        "buffer accesses; only static energy scales with time"
        + (
            f": it is {avg_static * 100:.0f} % of TNPU's no-DRAM energy in this run (averaged over the networks), "
            "so a 1.2x speedup saves only a few per cent"
            if avg_static is not None
            else ""
        )
        + ". The paper's 35.7 % / 24.1 % need time-proportional energy to dominate, or baselines with hardware TNPU "
        "does not have; neither is in the public record, and the default is not changed to match. With DRAM energy "
        "the reductions are larger, because DRAM background power is paid for the whole batch time.</p>"
    )
    parts.append(
        '<p class="note">docs/reproduction.md in the tnpu-sim source has the full discussion, the per-network '
        "results of the full run and how each assumption moves the result.</p>"
    )
    return "\n".join(parts)


def _summary_section(rep: Mapping[str, Any]) -> str:
    a, p = rep.get("average") or {}, rep.get("paper") or {}
    if not a:
        return "<p>No network ran: no averages.</p>"
    rows = [
        [
            "speedup over DNPU",
            f"{a['speedup_vs_dnpu']:.2f}x",
            f"{p['speedup_vs_dnpu']:.2f}x",
            "",
        ],
        [
            "speedup over DaDianNao",
            f"{a['speedup_vs_dadiannao']:.2f}x",
            f"{p['speedup_vs_dadiannao']:.2f}x",
            "",
        ],
        [
            "energy reduction vs DNPU",
            _pct(a["energy_reduction_vs_dnpu"]),
            _pct(p["energy_reduction_vs_dnpu"]),
            _pct(a["energy_reduction_full_vs_dnpu"]),
        ],
        [
            "energy reduction vs DaDianNao",
            _pct(a["energy_reduction_vs_dadiannao"]),
            _pct(p["energy_reduction_vs_dadiannao"]),
            _pct(a["energy_reduction_full_vs_dadiannao"]),
        ],
    ]
    n = len(rep["networks"])
    return (
        f"<p>Averages over the {n} network{'s' if n != 1 else ''} of this run. Energy without DRAM, as the paper "
        "counts it; the last column adds DRAM energy.</p>\n"
        + _table(["average", "ours", "paper", "ours, with DRAM energy"], rows)
    )


def _networks_section(rep: Mapping[str, Any]) -> str:
    out = []
    for net in [n for n in rep["setup"]["networks"] if n in rep["networks"]]:
        d = rep["networks"][net]
        rows = []
        for preset, r in d["presets"].items():
            ci = r.get("time_s_ci95")
            busy = r.get("busy", {})
            rows.append(
                [
                    _e(PRESET_LABELS.get(preset, preset)),
                    _ms(r["time_s"]),
                    ("exact" if ci[0] == ci[1] else f"{_ms(ci[0])}-{_ms(ci[1])}") if ci else "",
                    f"{r['energy_j'] * 1e3:,.2f}",
                    f"{r['energy_paper_j'] * 1e3:,.2f}",
                    f"{r['pu_c_util']:.3f}",
                    f"{r['pu_f_util']:.3f}",
                    _e(" / ".join(f"{ENGINE_LABELS.get(k, k)} {v * 100:.0f} %" for k, v in busy.items())),
                    f"{r['dram_util']:.3f}",
                    f"{r['window_used']}",
                ]
            )
        out.append(f"<h3>{_e(net)}</h3>")
        out.append(
            _table(
                [
                    "preset",
                    "time/batch ms",
                    "95 % interval (sampling)",
                    "energy mJ",
                    "no-DRAM mJ",
                    "PU-c MAC util",
                    "PU-f MAC util",
                    "busy",
                    "DRAM util",
                    "window",
                ],
                rows,
                cls=["ours" if p == "tnpu" else "" for p in d["presets"]],
            )
        )
        out.append(
            f"<p>TNPU speedup: {d['speedup_vs_dnpu']:.2f}x over DNPU, {d['speedup_vs_dadiannao']:.2f}x over "
            f"DaDianNao; energy reduction (no DRAM / full): {_pct(d['energy_reduction_vs_dnpu'])} / "
            f"{_pct(d['energy_reduction_full_vs_dnpu'])} vs DNPU, {_pct(d['energy_reduction_vs_dadiannao'])} / "
            f"{_pct(d['energy_reduction_full_vs_dadiannao'])} vs DaDianNao.</p>"
        )
    return "\n".join(out)


def _sweep_section(rep: Mapping[str, Any]) -> str:
    sweep = rep.get("bandwidth_sweep") or {}
    if not sweep:
        return "<p>No bandwidth sweep in this run.</p>"
    from tnpu.reproduce import sweep_setup_lines

    head, *points = sweep_setup_lines(dict(rep))
    out = [
        (
            f"<p>Batch {rep['setup']['sweep_batch']} at each peak bandwidth: each design's batch time relative to "
            f"its fastest point, and TNPU's speedups. {_e(head[0].upper() + head[1:].rstrip(':'))}:</p>"
        ),
        "<ul>" + "".join(f"<li>{_e(line.strip())}</li>" for line in points) + "</ul>",
    ]
    for net, per in sweep.items():
        bws = sorted(per["tnpu"]["time_s"], key=float)
        peaks = per["tnpu"].get("peak_gbps", {})
        rows = [
            [_e(PRESET_LABELS.get(p, p))]
            + [
                f"{per[p]['slowdown'][b]:.2f}"
                + (
                    f" ±{(ci[1] - ci[0]) / 2 / per[p]['time_s'][b] * 100:.1f} %"
                    if (ci := per[p].get("time_s_ci95", {}).get(b))
                    else ""
                )
                for b in bws
            ]
            for p in PRESET_LABELS
            if p in per
        ]
        rows.append(["TNPU / DNPU speedup"] + [f"{per['speedup_vs_dnpu'][b]:.2f}x" for b in bws])
        rows.append(["TNPU / DaDianNao speedup"] + [f"{per['speedup_vs_dadiannao'][b]:.2f}x" for b in bws])
        out.append(f"<h3>{_e(net)}</h3>")
        out.append(_table(["peak GB/s", *[f"{float(peaks.get(b, b)):.2f}" for b in bws]], rows))
    return "\n".join(out)


def _figures_section(figures: Mapping[str, bytes]) -> str:
    if not figures:
        return "<p>No figures.</p>"
    out = []
    for i, (name, png) in enumerate(figures.items(), start=1):
        data = base64.b64encode(png).decode("ascii")
        caption = CAPTIONS.get(name, "")
        out.append(
            f'<figure id="{_e(name.rsplit(".", 1)[0])}">\n'
            f'<img src="data:image/png;base64,{data}" alt="{_e(name)}">\n'
            f"<figcaption><b>Figure {i} ({_e(name)}).</b> {_e(caption)}</figcaption>\n</figure>"
        )
    return "\n".join(out)


def render_report(rep: Mapping[str, Any], figures: Mapping[str, bytes]) -> str:
    """Return the page for a :func:`tnpu.reproduce.reproduce` result and its figures (``{file name: PNG bytes}``)."""
    import tnpu
    from tnpu.accelerator import load_accelerator

    setup = rep["setup"]
    energy = load_accelerator("tnpu").energy
    nets = ", ".join(setup["networks"]) or "none"
    body = [
        "<h1>TNPU against DaDianNao and DNPU: our reproduction</h1>",
        (
            f'<p class="note">tnpu-sim {_e(tnpu.__version__)}; networks {_e(nets)}; batch {setup["batch"]}; '
            f"memory model {_e(setup['memory'])}. Nothing is fitted to the paper: every number comes from the presets "
            "and the models.</p>"
        ),
        "<h2>Ours beside the paper</h2>",
        _summary_section(rep),
        _why_section(rep),
        "<h2>Assumptions</h2>",
        "<ul>",
        f"<li>Memory: {_memory_text(setup)}</li>",
        (
            f"<li>One training batch of {setup['batch']} samples per network and preset; one instance is one sample "
            "(TNPU's granularity); FC passes per sample; dW accumulated in DRAM per sample; one weight update per "
            "batch.</li>"
        ),
        (
            f"<li>Energy: MAC {energy.mac_pj:.2g} pJ, buffer accesses by buffer size (Horowitz 45 nm), static power "
            f"{energy.static_fraction * 100:.0f} % of each component's full-load dynamic power, DRAM from the memory "
            "model. The paper's accounting leaves DRAM out; both totals are given.</li>"
        ),
        (
            "<li><b>MAC util</b>: the MACs of a class of work (conv on PU-c, FC and element-wise on PU-f) over what the "
            "PEs doing it could do in the batch time; for DaDianNao both count against its whole 272-PE unit. "
            "<b>Busy</b>: the share of the batch time an engine runs a task, waiting on memory included. <b>DRAM "
            "util</b>: bytes moved over peak bandwidth times batch time. <b>Window</b>: the instances in flight at "
            "most.</li>"
        ),
        "</ul>",
        _presets_table(list(setup.get("presets") or PRESET_LABELS)),
        "<h2>Results per network</h2>",
        _networks_section(rep),
        "<h2>Bandwidth sensitivity (the paper's Figure 8)</h2>",
        _sweep_section(rep),
        "<h2>Figures</h2>",
        '<p class="note">The schedule figures (1 and 2) come from their own small runs of 4 instances per batch on the '
        "same memory model, so that tasks are wide enough to see; the energy and bandwidth figures show the runs "
        "above.</p>"
        if figures
        else "",
        _figures_section(figures),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>tnpu reproduce: TNPU against DaDianNao and DNPU</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(b for b in body if b)
        + "\n</body>\n</html>\n"
    )


def write_report(
    rep: Mapping[str, Any], directory: str | Path, figures: Mapping[str, bytes], *, force: bool = False
) -> Path:
    """Write :func:`render_report` to ``directory/index.html`` (the directory is created if missing).

    Raises
    ------
    ConfigError
        If the page exists and ``force`` is not set, or ``directory`` is a file.
    """
    d = Path(directory)
    path = report_path(d)
    if d.exists() and not d.is_dir():
        raise ConfigError(f"{d}: is a file, expected a directory for the report")
    if path.exists() and not force:
        raise ConfigError(f"{path}: exists; not overwriting it (choose another directory or pass --force)")
    text = render_report(rep, figures)
    d.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
