"""The sampled memory model against the full cycle-level run, beside the stream model, on a matrix of cases.

For each case (network, preset, DRAM, batch) it runs the cycle-level DRAM model for every request (the reference),
then ``sampled`` (both designs unless --design) and ``stream``, and prints per case: batch time error, whether the
reference lies in sampled's 95 % interval, the largest engine busy-fraction difference, DRAM bytes, DRAM energy
error, and the wall-time ratio to the reference. With --json FILE it also writes every figure.

    python benchmarks/validate_sampled.py                      # the small matrix (about 3 minutes on 2 cores)
    python benchmarks/validate_sampled.py --networks alexnet vgg11 --drams ddr4-2133 hbm2 --batch 2 --refs refs/

The wall-time ratio of a reused reference is against the wall time recorded when it was made (same machine).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import tnpu
from tnpu import _core

PRESETS = ("tnpu", "dadiannao", "dnpu")


def _run(net: str, arch: str, batch: int, overrides: dict) -> tuple[tnpu.Result, float]:
    t = time.perf_counter()
    r = tnpu.simulate(net, arch, batch=batch, overrides=overrides)
    return r, time.perf_counter() - t


def _row(ref: tnpu.Result, r: tnpu.Result, ref_wall: float, wall: float) -> dict:
    s, rs = r.summary(), ref.summary()
    ci = s.get("time_s_ci95")
    est = s.get("time_s_estimate")
    dram_est = (r.meta.get("energy_estimate") or {}).get("dram_j")
    dram_est = None if dram_est is None else dram_est * 1e12  # pJ, as r.energy
    return {
        "time_err": s["time_s"] / rs["time_s"] - 1,  # the simulated schedule's end
        "estimate_err": None if est is None else est / rs["time_s"] - 1,  # the bias-corrected batch time
        "ci_half": None if ci is None else (ci[1] - ci[0]) / 2 / rs["time_s"],
        "in_ci": None if ci is None else bool(ci[0] <= rs["time_s"] <= ci[1]),
        "busy_diff": max(abs(s["busy"][k] - rs["busy"][k]) for k in rs["busy"]),
        "bytes_equal": s["dram_bytes"] == rs["dram_bytes"],
        "energy_err": r.energy["dram"] / ref.energy["dram"] - 1,
        # the DRAM energy at the bias-corrected time (docs/sampling.md), when the run gives one
        "energy_estimate_err": None if dram_est is None else dram_est / ref.energy["dram"] - 1,
        "speedup": ref_wall / wall,
        "time_s": s["time_s"],
        "time_s_estimate": est,
        "energy_paper_j": s["energy_paper_j"],
        "energy_paper_j_estimate": s.get("energy_paper_j_estimate"),
    }


def speedup_errors(rows: list[dict], model: str) -> list[tuple[str, float, float]]:
    """TNPU's speedup over each baseline from ``model``'s batch times against the cycle-level ratio.

    Returns ``(case, error of the speedup from the simulated times, error from the estimates)`` per (network, DRAM,
    batch, baseline) where TNPU and the baseline both ran; an estimate falls back to the simulated time.
    """
    by = {(r["network"], r["dram"], r["batch"], r["preset"]): r for r in rows if model in r}
    out = []
    for (net, dram, batch, preset), t in by.items():
        if preset != "tnpu":
            continue
        for base in ("dadiannao", "dnpu"):
            b = by.get((net, dram, batch, base))
            if b is None:
                continue
            ref = b["reference_time_s"] / t["reference_time_s"]
            sim = b[model]["time_s"] / t[model]["time_s"]
            te, be = t[model].get("time_s_estimate"), b[model].get("time_s_estimate")
            est = (be or b[model]["time_s"]) / (te or t[model]["time_s"])
            out.append((f"{net} {dram} b{batch} vs {base}", sim / ref - 1, est / ref - 1))
    return out


def summary(rows: list[dict]) -> list[str]:
    """One line per model: mean and largest errors, over all cases and over those not run wholly in detail."""
    models = [k for k in rows[0] if isinstance(rows[0][k], dict)] if rows else []
    out: list[str] = []
    for m in models:
        # cases a model ran wholly in detail (sampled under sampling_min_lines) are exact: summarised apart too
        sampled = [
            r for r in rows if r[m]["time_err"] != 0 or r[m]["energy_err"] != 0 or r[m]["busy_diff"] != 0
        ]
        for label, sel in (("all cases", rows), ("cases not run wholly in detail", sampled)):
            if not sel or (label != "all cases" and len(sel) == len(rows)):
                continue
            errs = [abs(r[m]["time_err"]) for r in sel]
            ests = [abs(r[m]["estimate_err"]) for r in sel if r[m].get("estimate_err") is not None]
            halves = [r[m]["ci_half"] for r in sel if r[m].get("ci_half") is not None]
            cover = [r[m]["in_ci"] for r in sel if r[m]["in_ci"] is not None]
            ci = (
                f"; the cycle-level time inside the 95 % interval in {sum(cover)} of {len(cover)}"
                f" (half-width mean {sum(halves) / len(halves) * 100:.2f} %, max {max(halves) * 100:.2f} %)"
                if cover and halves
                else ""
            )
            est = (
                f"; bias-corrected estimate: mean |error| {sum(ests) / len(ests) * 100:.2f} %,"
                f" max {max(ests) * 100:.2f} %"
                if ests
                else ""
            )
            e_ests = [
                abs(r[m]["energy_estimate_err"]) for r in sel if r[m].get("energy_estimate_err") is not None
            ]
            e_est = (
                f"; DRAM energy at the estimated time: mean |error| {sum(e_ests) / len(e_ests) * 100:.2f} %,"
                f" max {max(e_ests) * 100:.2f} %"
                if e_ests
                else ""
            )
            out.append(
                f"{m}, {label} ({len(sel)}): mean |time error| {sum(errs) / len(errs) * 100:.2f} %, "
                f"max {max(errs) * 100:.2f} %, max busy difference {max(r[m]['busy_diff'] for r in sel):.3f}, "
                f"max |DRAM energy error| {max(abs(r[m]['energy_err']) for r in sel) * 100:.1f} %{est}{e_est}{ci}"
            )
        sp = speedup_errors(rows, m)
        if sp:
            sims, ests = [abs(x[1]) for x in sp], [abs(x[2]) for x in sp]
            out.append(
                f"{m}, TNPU's speedups ({len(sp)}): from the simulated times mean |error| "
                f"{sum(sims) / len(sims) * 100:.2f} %, max {max(sims) * 100:.2f} %; from the estimates mean "
                f"{sum(ests) / len(ests) * 100:.2f} %, max {max(ests) * 100:.2f} %"
            )
    return out


def markdown(rows: list[dict]) -> str:
    """The validation table: per case, each model's batch-time error (and interval), busy and energy errors."""
    models = [k for k in rows[0] if isinstance(rows[0][k], dict)] if rows else []
    # a sampled model's columns: simulated time, the bias-corrected estimate with its 95 % half-width (in/out)
    est = {m: any(r[m].get("estimate_err") is not None for r in rows) for m in models}
    head = "| network | preset | DRAM | batch | cycle-level ms |" + "".join(
        f" {m}: time |" + (" estimate +- 95 % |" if est[m] else "") + " busy | DRAM energy |" for m in models
    )
    out = [head, "|" + "---|" * (5 + sum(4 if est[m] else 3 for m in models))]
    for r in rows:
        line = f"| {r['network']} | {r['preset']} | {r['dram']} | {r['batch']} | {r['reference_time_s'] * 1e3:,.1f} |"
        for m in models:
            c = r[m]
            ci = "" if c["in_ci"] is None else (" (in)" if c["in_ci"] else " (out)")
            if est[m]:
                e = c.get("estimate_err")
                line += f" {c['time_err'] * 100:+.2f} % |"
                line += (
                    f" {e * 100:+.2f} +- {c['ci_half'] * 100:.2f} %{ci} |"
                    if e is not None and c.get("ci_half") is not None
                    else " |"
                )
            else:
                line += f" {c['time_err'] * 100:+.2f} %{ci} |"
            ee = c.get("energy_estimate_err")
            ee_text = "" if ee is None else f" (at the estimate {ee * 100:+.1f} %)"
            line += f" {c['busy_diff']:.3f} | {c['energy_err'] * 100:+.1f} %{ee_text} |"
        out.append(line)
    for line in summary(rows):
        out += ["", line]
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--networks", nargs="+", default=["lenet5", "mpcnn", "alexnet"])
    p.add_argument("--presets", nargs="+", default=list(PRESETS))
    p.add_argument("--drams", nargs="+", default=["ddr4-2133"])
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--design", choices=("periodic", "mix"), nargs="+", default=["periodic", "mix"])
    p.add_argument("--no-stream", action="store_true", help="do not run the stream model beside sampled")
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--refs", metavar="DIR", help="keep the cycle-level references here (.npz) and reuse them")
    p.add_argument(
        "--existing-refs-only", action="store_true", help="skip the cases without a reference in --refs"
    )
    p.add_argument("--markdown", metavar="JSON", help="print the table of a --json file as Markdown and stop")
    args = p.parse_args()
    if args.markdown:
        print(markdown(json.loads(Path(args.markdown).read_text())))
        return
    print(f"tnpu core built as {_core.build_type}")
    rows = []
    for dram in args.drams:
        for net in args.networks:
            for arch in args.presets:
                ref_path = Path(args.refs, f"{net}-{arch}-{dram}-b{args.batch}.npz") if args.refs else None
                if args.existing_refs_only and (ref_path is None or not ref_path.exists()):
                    continue
                if ref_path is not None and ref_path.exists():
                    ref = tnpu.load(ref_path)
                    ref_wall = float(ref.meta["wall_s"])
                else:
                    ref, ref_wall = _run(net, arch, args.batch, {"memory.model": "dram", "memory.dram": dram})
                    if ref_path is not None:
                        ref.save(ref_path)
                case = {"network": net, "preset": arch, "dram": dram, "batch": args.batch}
                case["reference_time_s"] = ref.summary()["time_s"]
                case["reference_wall_s"] = ref_wall
                models = {
                    f"sampled-{d}": {"memory.model": "sampled", "memory.sampling_design": d}
                    for d in args.design
                }
                if not args.no_stream:
                    models["stream"] = {"memory.model": "stream"}
                for name, ov in models.items():
                    r, wall = _run(net, arch, args.batch, {**ov, "memory.dram": dram})
                    case[name] = _row(ref, r, ref_wall, wall)
                rows.append(case)
                line = f"{net:8s} {arch:9s} {dram:11s} b{args.batch} ref {ref_wall:6.1f}s"
                for name in models:
                    c = case[name]
                    ci = "" if c["in_ci"] is None else (" in" if c["in_ci"] else " OUT")
                    e = c.get("estimate_err")
                    e = "" if e is None else f" est {e * 100:+6.2f}% +-{c['ci_half'] * 100:.2f}%"
                    line += (
                        f" | {name}: {c['time_err'] * 100:+6.2f}%{e}{ci} busy {c['busy_diff']:.3f}"
                        f" E {c['energy_err'] * 100:+5.1f}%"
                        + (
                            ""
                            if c.get("energy_estimate_err") is None
                            else f" (est {c['energy_estimate_err'] * 100:+5.1f}%)"
                        )
                        + f" {c['speedup']:5.1f}x"
                    )
                print(line, flush=True)
                if args.json:  # after every case: a long run stopped early keeps what it measured
                    Path(args.json).write_text(json.dumps(rows, indent=1))
    for line in summary(rows):
        print(line)


if __name__ == "__main__":
    main()
