"""The paper's experiment: five networks on TNPU and its two baselines, and the bandwidth-sensitivity sweep.

Nothing here is fitted to the paper: every number comes from the presets (``tnpu/presets/*.toml``) and the models.
The paper's averages are printed beside ours for comparison only (``docs/reproduction.md`` explains the gaps).

Memory models (``memory=``):

* ``"sampled"`` (default): the cycle-level DRAM controller in detailed windows and, between them, per-source pipes at
  the line times it measured for the same traffic class (``docs/sampling.md``); each run reports a 95 % interval of
  its batch time. Each point of the bandwidth sweep is a real memory system of the preset DRAM's devices with that
  peak (:func:`tnpu.dram.dram_at_peak_bandwidth`: more channels above, a narrower bus below), run without the paired
  check, so its interval covers the sampling error only.
* ``"stream"``: the fixed-latency bandwidth model fed by the preset's DRAM: its *sustained* streaming
  bandwidth (measured at start-up by replaying a sequential read stream through the cycle-level DRAM controller
  with the preset's address mapping) and its unloaded read latency (tRCD + tCL + burst). Transfers go in 4 KiB
  bursts (whole 64-byte lines, one completion each), so a VGG-16 batch of 50 runs in seconds. Its DRAM energy is
  the DRAM model's too: command energy per bit and background power measured on a DMA-tile-like stream.
* ``"dram"``: the cycle-level DRAM controller itself for every 64-byte request (slow for the big networks; see
  ``benchmarks/bench_batch.py``); the sweep's points are the same memory systems as on ``"sampled"``.

On ``"stream"`` the sweep scales the calibrated sustained bandwidth to each peak (same efficiency, same latency).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tnpu.accelerator import load_accelerator
from tnpu.errors import ConfigError

NETWORKS: tuple[str, ...] = ("lenet5", "mpcnn", "alexnet", "vgg11", "vgg16")
PRESETS: tuple[str, ...] = ("tnpu", "dadiannao", "dnpu")
#: The paper's averages (paper.md 1.2): speedup of TNPU over each baseline and TNPU's energy reduction (DRAM = 0).
PAPER = {
    "speedup_vs_dnpu": 1.55,
    "speedup_vs_dadiannao": 1.32,
    "energy_reduction_vs_dnpu": 0.357,
    "energy_reduction_vs_dadiannao": 0.241,
}
#: Peak bandwidths of the sensitivity sweep (GB/s), the paper's Fig. 8 range.
BANDWIDTHS: tuple[float, ...] = (4.0, 8.0, 17.06, 34.1, 68.0)
#: Networks of the sensitivity sweep by default (the FC-heavy and the conv-heavy extreme of the five).
SWEEP_NETWORKS: tuple[str, ...] = ("alexnet", "vgg16")
#: Batch of each sweep point by default (docs/reproduction.md section 3: what it costs).
SWEEP_BATCH = 10
STREAM_REQUEST_BYTES = 4096


@dataclass(frozen=True)
class StreamCalibration:
    """What the cycle-level DRAM model sustains on a sequential read stream (feeds the ``stream`` model)."""

    dram: str
    peak_gbps: float
    sustained_gbps: float
    latency_ps: int
    command_pj_per_bit: float  # command (ACT/PRE/RD/WR/REF) energy per bit moved, on a DMA-tile-like stream
    background_w: float  # background (IDD2N/IDD3N) power

    @property
    def efficiency(self) -> float:
        """Sustained / peak."""
        return self.sustained_gbps / self.peak_gbps


_CALIBRATIONS: dict[tuple[str, int], StreamCalibration] = {}


def calibrate_stream(dram: Any = "ddr4-2133", requests: int = 32768) -> StreamCalibration:
    """Measure a DRAM configuration with the cycle-level model, for the stream model.

    Measures the sustained bandwidth of a sequential read stream, the unloaded read latency, and, on a
    DMA-tile-like stream (three interleaved tensors, one written), the command energy per bit and background power.
    A preset or file name is measured once per process (the result is cached).
    """
    key = (dram, requests) if isinstance(dram, str) else None
    if key is not None and key in _CALIBRATIONS:
        return _CALIBRATIONS[key]
    cal = _calibrate_stream(dram, requests)
    if key is not None:
        _CALIBRATIONS[key] = cal
    return cal


def _calibrate_stream(dram: Any, requests: int) -> StreamCalibration:
    from tnpu.dram import load_dram_config, replay_dram
    from tnpu.traces import generate_dram_trace_file

    cfg = load_dram_config(dram)
    with tempfile.TemporaryDirectory() as tmp:
        seq, tile = Path(tmp) / "seq.trace", Path(tmp) / "tile.trace"
        generate_dram_trace_file(seq, "sequential", requests, "ramulator1")
        generate_dram_trace_file(tile, "dma_tile", requests, "ramulator1")
        r = replay_dram(seq, cfg, wrap=True)
        e = replay_dram(tile, cfg, wrap=True)
    latency_cycles = (
        cfg.tRCD + cfg.tCL + cfg.burst_length // 2
    )  # ACT -> RD -> last data beat (double data rate)
    return StreamCalibration(
        dram=str(dram),
        peak_gbps=float(r.peak_bandwidth_gbps),
        sustained_gbps=float(r.bandwidth_gbps),
        latency_ps=int(latency_cycles * cfg.tck_ps),
        command_pj_per_bit=float(e.command_energy_pj) / (e.bytes * 8),
        background_w=float(e.background_energy_pj) / (e.cycles * e.tck_ps),  # pJ / ps = W
    )


def memory_overrides(
    memory: str,
    calibration: StreamCalibration | None,
    peak_gbps: float | None = None,
    *,
    dram: Any = None,
) -> dict[str, Any]:
    """Preset overrides for a memory model at a sweep point's peak bandwidth ``peak_gbps`` (``None``: as preset).

    ``"stream"`` scales the calibrated bandwidth to ``peak_gbps``; ``"dram"`` and ``"sampled"`` run the memory
    system of ``dram``'s devices with that peak (:func:`tnpu.dram.dram_at_peak_bandwidth`; ``dram`` is needed then).
    """
    if memory in ("dram", "sampled"):
        if peak_gbps is None:
            return {"memory.model": memory}
        if dram is None:
            raise ConfigError(
                "memory_overrides: a peak bandwidth on the dram or sampled model needs dram= (a DRAM)"
            )
        from tnpu.dram import dram_at_peak_bandwidth

        return {"memory.model": memory, "memory.dram": dram_at_peak_bandwidth(dram, peak_gbps)}
    if memory != "stream" or calibration is None:
        raise ConfigError(f"memory: expected 'stream', 'sampled' or 'dram', got {memory!r}")
    peak = calibration.peak_gbps if peak_gbps is None else peak_gbps
    return {
        "memory.model": "fixed",
        "memory.bandwidth_gbps": peak * calibration.efficiency,
        "memory.latency_ps": calibration.latency_ps,
        "memory.max_request_bytes": STREAM_REQUEST_BYTES,
        "energy.dram_pj_per_bit": calibration.command_pj_per_bit,
        "energy.dram_background_w": calibration.background_w,
        "memory.queue_depth": 4,  # bursts in the memory at once: 16 KiB, about a microsecond of data
        "dma.max_outstanding": 256,  # lines: four whole bursts per engine
        "dma.max_burst_bytes": STREAM_REQUEST_BYTES,
        "dma.notify_lines": False,
    }


def _run(
    network: str, preset: str, batch: int, overrides: dict[str, Any], peak_gbps: float | None
) -> dict[str, Any]:
    from tnpu.simulate import simulate

    r = simulate(network, preset, batch=batch, overrides=overrides)
    s = r.summary()
    if peak_gbps:  # the stream model's bandwidth is the sustained one: utilisation is against the DRAM's peak
        s["dram_util"] = s["dram_gbps"] / peak_gbps
    est = s.get("time_s_estimate")  # sampled: the bias-corrected batch time its interval is centred on
    return {
        k: s[k] for k in ("time_s", "energy_j", "energy_paper_j", "pu_c_util", "pu_f_util", "dram_util")
    } | {
        "time_s": s["time_s"] if est is None else est,
        "time_s_simulated": s["time_s"],
        # sampled: the energy at the estimated batch time (docs/sampling.md), so speedups and energy agree
        "energy_j": s.get("energy_j_estimate") or s["energy_j"],
        "energy_paper_j": s.get("energy_paper_j_estimate") or s["energy_paper_j"],
        "energy_j_simulated": s["energy_j"],
        "time_s_ci95": s.get("time_s_ci95"),
        "window_used": s["window_used"],
        "energy_pj": energy_components((r.meta.get("energy_estimate") or {}).get("breakdown_pj") or r.energy),
        "busy": s["busy"],
        "events": s["events"],
        "wall_s": s["wall_s"],
    }


def energy_components(energy_pj: dict[str, float]) -> dict[str, float]:
    """Energy (pJ) grouped by component: ``mac``, ``sram``, ``static`` (engines and buffer) and ``dram``."""
    out = {"mac": 0.0, "sram": 0.0, "static": 0.0, "dram": 0.0}
    for key, value in energy_pj.items():
        head = key.split(".", 1)[0]
        if head in out:
            out[head] += float(value)
    return out


def _compare(per_preset: dict[str, dict[str, Any]]) -> dict[str, float]:
    t = per_preset["tnpu"]
    out = {}
    for base in ("dnpu", "dadiannao"):
        b = per_preset[base]
        out[f"speedup_vs_{base}"] = b["time_s"] / t["time_s"]
        out[f"energy_reduction_vs_{base}"] = 1 - t["energy_paper_j"] / b["energy_paper_j"]
        out[f"energy_reduction_full_vs_{base}"] = 1 - t["energy_j"] / b["energy_j"]
    return out


def sweep_point(
    memory: str, dram: Any, peak_gbps: float, calibration: StreamCalibration | None = None
) -> dict[str, Any]:
    """Return what one point of the bandwidth sweep runs: its memory model, DRAM, actual peak and overrides.

    Returns ``{"memory", "dram", "peak_gbps", "overrides"}``: on ``"stream"`` the calibration scaled to
    ``peak_gbps`` (``dram`` names the calibrated DRAM); on ``"sampled"`` and ``"dram"`` the memory system of
    ``dram``'s devices nearest ``peak_gbps`` (:func:`tnpu.dram.dram_at_peak_bandwidth`), ``dram`` its ``source``
    (how it was made) and ``peak_gbps`` its actual peak.
    """
    if memory == "stream":
        cal = calibration or calibrate_stream(dram)
        return {
            "memory": "stream",
            "dram": f"{dram}: sustained {cal.efficiency:.1%} of the peak",
            "peak_gbps": float(peak_gbps),
            "overrides": memory_overrides("stream", cal, peak_gbps),
        }
    ov = memory_overrides(memory, None, peak_gbps, dram=dram)
    cfg = ov["memory.dram"]
    return {"memory": memory, "dram": cfg.source, "peak_gbps": cfg.peak_bandwidth_gbps, "overrides": ov}


def reproduce(
    networks: Sequence[str] = NETWORKS,
    *,
    batch: int = 50,
    memory: str = "sampled",
    bandwidths: Sequence[float] = BANDWIDTHS,
    sweep_networks: Sequence[str] = SWEEP_NETWORKS,
    sweep_batch: int = SWEEP_BATCH,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
    paired: bool = True,
    sweep_paired: bool = False,
) -> dict[str, Any]:
    """Run the experiment and return it as one JSON-ready dict.

    ``paired`` (sampled memory): run the paired-occurrence check that makes each interval cover the pipes' model
    error (docs/sampling.md); without it the intervals cover the sampling error only, at a fraction of the cost on
    small batches. ``sweep_paired``: the same for the bandwidth sweep's points (off by default: the check runs a
    share of each batch wholly in detail, which the 30 points cannot afford within the experiment's 5 minutes).

    Returns
    -------
    dict
        ``networks``: per network, per preset the figures (``time_s``, ``energy_j``, ``energy_paper_j``,
        ``pu_c_util`` and ``pu_f_util``: MAC utilisation of conv and FC/element-wise work, ``busy``: each engine's
        busy fraction, ``dram_util``, ``energy_pj``: MAC/SRAM/static/DRAM pJ...) and the speedups and energy
        reductions of TNPU;
        ``average``: their arithmetic means beside ``paper``; ``bandwidth_sweep``: per network and preset, keyed by
        the requested peak bandwidth (``str(float)``), the batch time (``time_s``), its 95 % interval where the
        model gives one (``time_s_ci95``), the slowdown relative to the fastest point, the actual peak
        (``peak_gbps``) and the memory system (``dram``) of each point, and TNPU's speedups; ``setup``: what ran
        (``sweep_memory``, ``sweep_paired``).
    """
    for p in PRESETS:
        load_accelerator(p)  # fail early on a broken preset
    drams = {p: load_accelerator(p).arch.memory.dram for p in PRESETS}
    dram = str(drams["tnpu"])
    calibration = calibrate_stream(dram) if memory == "stream" else None
    base = memory_overrides(memory, calibration)
    if memory == "sampled" and not paired:
        base = {**base, "memory.sampling_paired_fraction": 0.0}
    jobs: list[tuple[str, str, str, int, dict[str, Any], float | None]] = []
    for net in networks:
        for preset in PRESETS:
            jobs.append(("main", net, preset, batch, base, None))
    points: dict[tuple[str, float], dict[str, Any]] = {}
    for preset in PRESETS if bandwidths and sweep_networks else ():
        for bw in bandwidths:
            pt = sweep_point(memory, drams[preset] if memory != "stream" else dram, bw, calibration)
            if memory == "sampled" and not sweep_paired:
                pt["overrides"] = {**pt["overrides"], "memory.sampling_paired_fraction": 0.0}
            points[(preset, bw)] = pt
    for net in sweep_networks if bandwidths else ():
        for preset in PRESETS:
            for bw in bandwidths:
                jobs.append(("sweep", net, preset, sweep_batch, points[(preset, bw)]["overrides"], bw))
    done = 0

    def work(job: tuple[str, str, str, int, dict[str, Any], float | None]) -> dict[str, Any]:
        if memory != "stream":
            return _run(job[1], job[2], job[3], job[4], None)
        # the stream model's bandwidth is the sustained one: utilisation is against the point's peak
        assert calibration is not None
        return _run(job[1], job[2], job[3], job[4], job[5] if job[5] is not None else calibration.peak_gbps)

    from tnpu.commands._args import min_dram_lines

    # Longest first (LPT): on two workers a long simulation started last runs alone at the end. The cost is the
    # DRAM requests a batch moves at least (every model but the stream one simulates them: a sweep point of a
    # narrower bus has smaller bursts, so more of them); the stream runs go last.
    def cost(job: tuple[str, str, str, int, dict[str, Any], float | None]) -> float:
        if memory == "stream":
            return 0.0
        lines = float(min_dram_lines(job[1], job[3]))
        if job[0] == "sweep":
            lines *= 64 / job[4]["memory.dram"].to_spec().line_bytes
        return lines

    preset_rank = {p: i for i, p in enumerate(PRESETS)}  # TNPU first: the paired check details two engines
    costs = [cost(j) for j in jobs]
    order = sorted(range(len(jobs)), key=lambda i: (-costs[i], jobs[i][0] != "main", preset_rank[jobs[i][2]]))
    results: list[dict[str, Any]] = [{} for _ in jobs]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:  # simulations release the GIL
        futures = {pool.submit(work, jobs[i]): i for i in order}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            job = jobs[i]
            done += 1
            if progress:
                progress(
                    f"{done}/{len(jobs)} {job[0]} {job[1]} {job[2]}" + (f" {job[5]} GB/s" if job[5] else "")
                )
    out_nets: dict[str, Any] = {}
    sweep: dict[str, Any] = {}
    for job, res in zip(jobs, results, strict=True):
        kind, net, preset, _b, _o, peak = job
        if kind == "main":
            out_nets.setdefault(net, {"presets": {}})["presets"][preset] = res
        else:
            assert peak is not None
            per = sweep.setdefault(net, {}).setdefault(
                preset, {"time_s": {}, "time_s_ci95": {}, "peak_gbps": {}, "dram": {}}
            )
            key = str(peak)
            per["time_s"][key] = res["time_s"]
            per["time_s_ci95"][key] = res["time_s_ci95"]
            per["peak_gbps"][key] = points[(preset, peak)]["peak_gbps"]
            per["dram"][key] = points[(preset, peak)]["dram"]
    for net in out_nets.values():
        net.update(_compare(net["presets"]))
    keys = [*list(PAPER), "energy_reduction_full_vs_dnpu", "energy_reduction_full_vs_dadiannao"]
    average = {k: sum(n[k] for n in out_nets.values()) / len(out_nets) for k in keys} if out_nets else {}
    for net, per in sweep.items():
        for preset in PRESETS:
            times = per[preset]["time_s"]
            fastest = min(times.values())
            per[preset]["slowdown"] = {bw: t / fastest for bw, t in times.items()}
        sweep[net]["speedup_vs_dnpu"] = {
            bw: per["dnpu"]["time_s"][bw] / per["tnpu"]["time_s"][bw] for bw in per["tnpu"]["time_s"]
        }
        sweep[net]["speedup_vs_dadiannao"] = {
            bw: per["dadiannao"]["time_s"][bw] / per["tnpu"]["time_s"][bw] for bw in per["tnpu"]["time_s"]
        }
    return {
        "setup": {
            "networks": list(networks),
            "presets": list(PRESETS),
            "batch": batch,
            "memory": memory,
            "paired": bool(paired) if memory == "sampled" else None,
            "dram": dram,
            "stream": None
            if calibration is None
            else {
                "peak_gbps": calibration.peak_gbps,
                "sustained_gbps": calibration.sustained_gbps,
                "efficiency": calibration.efficiency,
                "latency_ps": calibration.latency_ps,
                "command_pj_per_bit": calibration.command_pj_per_bit,
                "background_w": calibration.background_w,
            },
            "sweep_networks": list(sweep_networks) if bandwidths else [],
            "sweep_batch": sweep_batch,
            "sweep_memory": memory,
            "sweep_paired": bool(sweep_paired) if memory == "sampled" else None,
            "bandwidths_gbps": list(bandwidths),
        },
        "networks": out_nets,
        "average": average,
        "paper": PAPER,
        "bandwidth_sweep": sweep,
    }


def format_report(rep: dict[str, Any]) -> str:
    """Format the experiment as readable tables."""
    lines = []
    setup = rep["setup"]
    st = setup["stream"]
    mem = setup["memory"]
    if mem == "sampled":
        lines.append(
            "memory: sampled cycle-level DRAM (docs/sampling.md: its error against the full cycle-level run on the "
            "validation matrix); "
            + (
                "time per batch: the bias-corrected estimate with its 95 % interval (paired occurrences)"
                if setup.get("paired", True)
                else "intervals cover its sampling error only (no paired check: --quick)"
            )
        )
    lines.append(
        f"tnpu reproduce: batch {setup['batch']}, memory {mem}"
        + (
            f" ({setup['dram']}: {st['sustained_gbps']:.2f} of {st['peak_gbps']:.2f} GB/s sustained on a stream,"
            f" {st['latency_ps'] / 1000:.1f} ns; {st['command_pj_per_bit']:.2f} pJ/bit + {st['background_w']:.2f} W)"
            if st and mem == "stream"
            else ""
        )
    )
    order = [n for n in setup["networks"] if n in rep["networks"]]
    if order:
        lines.append(
            "PU-c / PU-f MAC: MAC utilisation (MACs done / what the PEs doing that work could do in the batch time);"
            " DRAM util: bytes moved / (peak bandwidth x time)"
        )
    for net in order:
        d = rep["networks"][net]
        lines.append("")
        lines.append(f"{net}")
        lines.append(
            f"  {'preset':<10} {'time/batch ms':>14} {'energy mJ':>10} {'no-DRAM mJ':>11} {'PU-c MAC':>9}"
            f" {'PU-f MAC':>9} {'DRAM util':>9} {'window':>6}"
        )
        for preset in PRESETS:
            r = d["presets"][preset]
            ci = r.get("time_s_ci95")
            lines.append(
                f"  {preset:<10} {r['time_s'] * 1e3:>14.2f} {r['energy_j'] * 1e3:>10.2f}"
                f" {r['energy_paper_j'] * 1e3:>11.2f} {r['pu_c_util']:>9.3f} {r['pu_f_util']:>9.3f}"
                f" {r['dram_util']:>9.3f} {r['window_used']:>6}"
                + (f"   time 95 % interval {ci[0] * 1e3:.2f}-{ci[1] * 1e3:.2f}" if ci else "")
            )
        lines.append(
            f"  TNPU speedup: {d['speedup_vs_dnpu']:.2f}x over DNPU, {d['speedup_vs_dadiannao']:.2f}x over DaDianNao;"
            f" energy reduction (no DRAM / full): {d['energy_reduction_vs_dnpu'] * 100:.1f}% /"
            f" {d['energy_reduction_full_vs_dnpu'] * 100:.1f}% vs DNPU,"
            f" {d['energy_reduction_vs_dadiannao'] * 100:.1f}% / {d['energy_reduction_full_vs_dadiannao'] * 100:.1f}%"
            " vs DaDianNao"
        )
    if rep["average"]:
        a, p = rep["average"], rep["paper"]
        lines.append("")
        lines.append(f"{'average over the networks':<34} {'ours':>8} {'paper':>8}")
        lines.append(
            f"{'  speedup over DNPU':<34} {a['speedup_vs_dnpu']:>7.2f}x {p['speedup_vs_dnpu']:>7.2f}x"
        )
        lines.append(
            f"{'  speedup over DaDianNao':<34} {a['speedup_vs_dadiannao']:>7.2f}x {p['speedup_vs_dadiannao']:>7.2f}x"
        )
        lines.append(
            f"{'  energy reduction vs DNPU':<34} {a['energy_reduction_vs_dnpu'] * 100:>7.1f}%"
            f" {p['energy_reduction_vs_dnpu'] * 100:>7.1f}%   (no DRAM energy, as the paper;"
            f" full: {a['energy_reduction_full_vs_dnpu'] * 100:.1f}%)"
        )
        lines.append(
            f"{'  energy reduction vs DaDianNao':<34} {a['energy_reduction_vs_dadiannao'] * 100:>7.1f}%"
            f" {p['energy_reduction_vs_dadiannao'] * 100:>7.1f}%   (full:"
            f" {a['energy_reduction_full_vs_dadiannao'] * 100:.1f}%)"
        )
    if rep["bandwidth_sweep"]:
        lines.append("")
        lines.extend(sweep_setup_lines(rep))
    for net, per in rep["bandwidth_sweep"].items():
        bws = sorted(per["tnpu"]["time_s"], key=float)
        peaks = per["tnpu"].get("peak_gbps", {})
        lines.append("")
        lines.append(
            f"bandwidth sensitivity, {net} (batch {setup['sweep_batch']}): time per batch relative to the fastest"
        )
        lines.append(f"  {'peak GB/s':<12}" + "".join(f"{float(peaks.get(b, b)):>9.2f}" for b in bws))
        for preset in PRESETS:
            lines.append(f"  {preset:<12}" + "".join(f"{per[preset]['slowdown'][b]:>9.2f}" for b in bws))
        lines.append(f"  {'TNPU/DNPU':<12}" + "".join(f"{per['speedup_vs_dnpu'][b]:>8.2f}x" for b in bws))
        lines.append(
            f"  {'TNPU/DaDN':<12}" + "".join(f"{per['speedup_vs_dadiannao'][b]:>8.2f}x" for b in bws)
        )
        if any(per[p].get("time_s_ci95", {}).get(b) for p in PRESETS for b in bws):
            lines.append("  95 % interval of each batch time, +- % of it:")
            for preset in PRESETS:
                cis = per[preset].get("time_s_ci95", {})
                lines.append(
                    f"  {preset:<12}"
                    + "".join(f"{_half_width_pct(cis.get(b), per[preset]['time_s'][b]):>9}" for b in bws)
                )
    return "\n".join(lines)


def _half_width_pct(ci: Sequence[float] | None, t: float) -> str:
    return "-" if not ci or t <= 0 else f"{(ci[1] - ci[0]) / 2 / t * 100:.2f}"


def sweep_setup_lines(rep: dict[str, Any]) -> list[str]:
    """Say which memory model and DRAM each point of the bandwidth sweep ran on, and what its intervals cover."""
    setup = rep["setup"]
    sweep = rep["bandwidth_sweep"]
    mem = setup.get("sweep_memory", "stream")
    first = next(iter(sweep.values()))
    out = [f"bandwidth sweep: memory {mem}" + _sweep_interval_words(setup) + "; each point's memory system:"]
    seen: set[tuple[str, str]] = set()
    for preset in PRESETS:
        drams = first[preset].get("dram", {})
        peaks = first[preset].get("peak_gbps", {})
        for b in sorted(drams, key=float):
            if (b, drams[b]) in seen:
                continue
            seen.add((b, drams[b]))
            others = [p for p in PRESETS if first[p].get("dram", {}).get(b) == drams[b]]
            who = "" if len(others) == len(PRESETS) else f" ({', '.join(others)})"
            out.append(f"  {float(peaks.get(b, b)):>7.2f} GB/s{who}: {drams[b]}")
    return out


def _sweep_interval_words(setup: dict[str, Any]) -> str:
    mem = setup.get("sweep_memory", "stream")
    if mem == "sampled":
        if setup.get("sweep_paired"):
            return " (95 % intervals with the paired check: sampling and pipe model error)"
        return " (95 % intervals of the sampling error only: no paired check, docs/reproduction.md section 3)"
    if mem == "stream":
        return " (the calibrated sustained bandwidth scaled to each peak; no intervals)"
    return " (every request cycle-level: exact, no intervals)"
