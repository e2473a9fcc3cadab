"""Timing identity of the DRAM controller: every replay must give bit-identical results to the recorded golden run.

The golden file (tests/data/dram_identity.json) holds every statistic of the controller and of the replayer
(cycles, latency statistics, row hits/misses/conflicts, command counts, occupancy, energy) and the end time of the
simulation, for every validation trace with the peer's own config file, every sample trace of traces/ and generated
mixes over the presets and controller policies, written with ``python tests/test_dram_identity.py --write``.
Speed work must never change one of them.

History: first written before the replay speed-up work (commit 0d3111e). Re-written once, deliberately, when the
channel's same-cycle semantics were specified (docs/dram.md, "When the channel acts"): a channel steps at most once
per memory cycle, after the requests sent in that cycle (event priority MEMORY), and a request that arrives after
the step is seen by the next cycle's, as in DRAMsim3. Before, a request arriving after the step re-ran the step in
the same cycle, and whether a step came before or after a same-cycle request depended on when its wake-up had been
scheduled. That changed 45 of the 96 cases (21 in drain time: at most 3.9 %, mean 0.4 %, all in mixed read/write
or multi-channel traffic), and none of the validation results beyond the figures in docs/dram.md.

Re-written a second time, deliberately, for issue 16: the Ramulator 1 reader now gives WR to WR on another rank
no rank-switch gap (Ramulator's DDR4 timing table has no such rule, only the data bus). That changed the five
Ramulator 1 validation cases and nothing else (drain time: d_rand_mix 325,147 -> 322,156 cycles, f_dma_tile
602,978 -> 598,430, c_rand_read 302,262 -> 302,575, a_seq_read and e_row_conflict by under 0.1 %). And the
DRAMsim3 reader now closes a rank for refresh as DRAMsim3 does, with one PRE per open bank (refresh_precharge =
per_bank) instead of one PREA: that changed the five DRAMsim3 validation cases (drain time against DRAMsim3's:
a_seq_read 337,848 -> 338,076 (338,077), c_rand_read 298,601 -> 299,647 (301,311), d_rand_mix 297,018 -> 297,132
(297,651), f_dma_tile 581,301 -> 581,308 (581,309), e_row_conflict unchanged) and nothing else.

``test_event_driven_equals_stepping_every_cycle`` checks the property that makes the event-driven controller
exact: its results equal those of stepping the channel in every cycle while it has work (tnpu._core._testing.set_dram_modes(every_cycle=True)).

There is one replay path (the controller woken by kernel events, as the DMA engine drives it); the speed work
changed only how the controller computes its decisions, so this test compares that path with the golden run.

A statistic added later is recorded with ``--add-keys``, which refuses to touch the file if any recorded value
differs (so the golden stays the pre-speed-up run for everything it had).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tnpu import _core, traces
from tnpu.dram import load_dram_config
from tnpu.sim import Simulator

REPO = Path(__file__).resolve().parents[1]
VALIDATION = REPO.parent / "shared" / "validation" / "dram"
GOLDEN = Path(__file__).resolve().parent / "data" / "dram_identity.json"
N_MIX = 6000  # requests per generated mix

# Generated mixes: (name, pattern, preset, overrides, pattern config).
_POLICIES: list[tuple[str, str, dict[str, Any]]] = [
    ("ddr4", "ddr4-2400", {}),
    ("ddr4-shared", "ddr4-2400", {"bank_queue_size": 0}),
    ("ddr4-shared-promote", "ddr4-2400", {"bank_queue_size": 0, "promote_activated": True}),
    ("ddr4-shared-allranks", "ddr4-2400", {"bank_queue_size": 0, "refresh_policy": "all_ranks"}),
    ("ddr4-closed", "ddr4-2400", {"page_policy": "closed"}),
    ("ddr4-shared-closed", "ddr4-2400", {"bank_queue_size": 0, "page_policy": "closed"}),
    ("ddr4-drain", "ddr4-2400", {"write_drain": "dramsim3"}),
    ("ddr4-nocap-noref", "ddr4-2400", {"row_hit_cap": 0, "refresh_policy": "none", "forward_writes": False}),
    ("ddr4-3200", "ddr4-3200", {}),
    ("ddr3", "ddr3-1600", {}),
    ("lpddr4", "lpddr4-3200", {}),
    ("hbm2", "hbm2", {}),
]
_PATTERNS: list[tuple[str, str, dict[str, Any]]] = [
    ("seq", "sequential", {}),
    ("rand", "random", {}),
    ("mixed", "mixed", {}),
    ("mixed-stamped", "mixed", {"interval_cycles": 3}),
    ("strided", "strided", {"stride_bytes": 8192}),
    ("dma", "dma_tile", {}),
]


def _cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    refs = VALIDATION / "references.json"
    if refs.exists():
        for r in json.loads(refs.read_text())["records"]:
            if r["tool"] in ("DRAMsim3", "Ramulator1"):
                out.append(
                    {
                        "id": f"validation-{r['trace']}-{r['tool']}",
                        "trace": str(VALIDATION / r["trace_file"]),
                        "dram": str(VALIDATION / r["config_file"]),
                    }
                )
    for path in sorted((REPO / "traces").iterdir()):
        if path.is_file() and ".trace" in path.name:
            for preset in ("ddr4-2400", "hbm2"):
                out.append({"id": f"sample-{path.name}-{preset}", "trace": str(path), "dram": preset})
    for pname, pattern, pcfg in _PATTERNS:
        for name, preset, overrides in _POLICIES:
            out.append(
                {
                    "id": f"mix-{pname}-{name}",
                    "pattern": pattern,
                    "pattern_config": pcfg,
                    "dram": preset,
                    "overrides": overrides,
                }
            )
    return out


def fingerprint(case: dict[str, Any], tmp: Path) -> dict[str, str]:
    """Replay one case and return every simulated result as exact text (repr of each value)."""
    return _replay(case, tmp)[0]


def _replay(case: dict[str, Any], tmp: Path, bounded: bool = False) -> tuple[dict[str, str], int]:
    """The fingerprint of one case and the number of channel wake-ups it took."""
    cfg = load_dram_config(case["dram"])
    if case.get("overrides"):
        cfg = cfg.replace(**case["overrides"])
    path = case.get("trace")
    if path is None:
        path = str(tmp / f"{case['id']}.trace")
        config = traces.PatternConfig(span_bytes=1 << 28, **case["pattern_config"])
        traces.generate_dram_trace_file(path, case["pattern"], N_MIX, "dramsim3", seed=7, config=config)
    spec = cfg.to_spec()
    sim = Simulator()
    ctrl = _core.DramController(sim, "dram", spec)
    _core.TraceReplayer(
        sim,
        "replay",
        ctrl,
        str(path),
        tck_ps=cfg.tck_ps,
        size_bytes=int(spec.line_bytes),
        capacity_bytes=int(spec.capacity_bytes),
        wrap=True,
    )
    if bounded:
        # 10,000 memory cycles per request, far beyond any case: a scheduler that stops making progress leaves
        # events pending (asserted by the caller) instead of hanging the suite. The time then ends at the bound.
        requests = traces.scan_dram_trace(path)["requests"]
        sim.run(until=(requests + 1) * 10_000 * cfg.tck_ps)
    else:
        sim.run()
    out = {k: repr(v) for k, v in sim.stats().items()}
    out["end_ps"] = repr(sim.now)
    out["energy_pj"] = repr(float(ctrl.energy_pj))
    out["outstanding"] = repr(int(ctrl.outstanding))
    out["pending_events"] = repr(int(sim.pending_events))
    return out, int(ctrl.wakeups)


CASES = _cases()

# Configurations that only the every-cycle comparison runs (not in the golden file): more than 64 banks per channel
# (the scheduler's bit sets span several words), one-entry bank queues, and all-rank refresh with per-bank queues.
ORACLE_EXTRA: list[dict[str, Any]] = [
    {
        "id": "x-rand-8ranks",
        "pattern": "random",
        "pattern_config": {},
        "dram": "ddr4-2400",
        "overrides": {"ranks": 8},
    },
    {
        "id": "x-mixed-stamped-8ranks",
        "pattern": "mixed",
        "pattern_config": {"interval_cycles": 2},
        "dram": "ddr4-2400",
        "overrides": {"ranks": 8},
    },
    {
        "id": "x-mixed-bq1",
        "pattern": "mixed",
        "pattern_config": {},
        "dram": "ddr4-2400",
        "overrides": {"bank_queue_size": 1},
    },
    {
        "id": "x-mixed-allranks-perbank",
        "pattern": "mixed",
        "pattern_config": {},
        "dram": "ddr4-2400",
        "overrides": {"refresh_policy": "all_ranks", "ranks": 4},
    },
    # HBM's dual command issue (a row and a column command in one cycle, DRAMsim3's hbm_dual_cmd).
    {
        "id": "x-rand-dual",
        "pattern": "random",
        "pattern_config": {},
        "dram": "hbm2",
        "overrides": {"dual_command": True, "bank_queue_size": 8, "tRCDWR": 12},
    },
    {
        "id": "x-mixed-stamped-dual",
        "pattern": "mixed",
        "pattern_config": {"interval_cycles": 2},
        "dram": "hbm2",
        "overrides": {"dual_command": True, "bank_queue_size": 8, "channels": 2},
    },
    # GDDR-style: four data beats per clock, a 32-ACT window that binds, PRE-to-PRE spacing, one bank group.
    {
        "id": "x-rand-gddr",
        "pattern": "random",
        "pattern_config": {},
        "dram": "ddr4-2400",
        "overrides": {
            "data_rate": 4, "bankgroups": 1, "banks_per_group": 16, "tCCD_L": 4, "tRRD_L": 4, "tWTR_L": 3,
            "t32AW": 200, "tPPD": 5, "tRCDWR": 13,
        },
    },
    # DRAMsim3's refresh: one PRE per open bank (with tPPD between them), also when caught up after idle stretches.
    {
        "id": "x-stamped-refresh-per-bank",
        "pattern": "mixed",
        "pattern_config": {"interval_cycles": 300},
        "dram": "ddr4-2400",
        "overrides": {"refresh_precharge": "per_bank", "tPPD": 3, "ranks": 2},
    },
    {
        "id": "x-rand-refresh-per-bank-dual",
        "pattern": "random",
        "pattern_config": {},
        "dram": "hbm2",
        "overrides": {"refresh_precharge": "per_bank", "dual_command": True, "tREFI": 900},
    },
    # WideIO-style: a 2-ACT window, single data rate.
    {
        "id": "x-mixed-faw2-sdr",
        "pattern": "mixed",
        "pattern_config": {},
        "dram": "ddr4-2400",
        "overrides": {"faw_window": 2, "tFAW": 14, "data_rate": 1},
    },
]  # fmt: skip


@pytest.fixture(scope="module")
def golden() -> dict[str, dict[str, str]]:
    if not GOLDEN.exists():
        pytest.skip(f"golden file {GOLDEN} not found")
    data: dict[str, dict[str, str]] = json.loads(GOLDEN.read_text())
    return data


def _check(case: dict[str, Any], golden: dict[str, dict[str, str]], tmp_path: Path) -> None:
    if case["id"] not in golden:
        pytest.skip(f"{case['id']} is not in the golden file (validation set missing when it was written?)")
    got = fingerprint(case, tmp_path)
    want = golden[case["id"]]
    diff = {k: (want.get(k), got.get(k)) for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)}
    assert not diff, f"{case['id']} differs from the golden run: {diff}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_kernel_path_identical_to_golden(case: dict[str, Any], golden: dict, tmp_path: Path) -> None:
    _check(case, golden, tmp_path)


@pytest.mark.parametrize("case", CASES + ORACLE_EXTRA, ids=lambda c: c["id"])
def test_event_driven_equals_stepping_every_cycle(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The channel wakes only when something can happen (a command becomes legal, a request arrives, a transaction
    # can move, a refresh falls due). Waking it in every cycle instead must not change a single statistic: the
    # cycles it skips are exactly those in which a step would do nothing.
    event_driven, wakeups = _replay(case, tmp_path, bounded=True)
    _core._testing.set_dram_modes(every_cycle=True)
    try:
        every_cycle, steps = _replay(case, tmp_path, bounded=True)
    finally:
        _core._testing.set_dram_modes(every_cycle=False)
    assert event_driven["pending_events"] == every_cycle["pending_events"] == "0", (
        f"{case['id']} did not finish"
    )
    diff = {k: (every_cycle.get(k), v) for k, v in event_driven.items() if every_cycle.get(k) != v}
    assert not diff, f"{case['id']}: event-driven differs from stepping every cycle: {diff}"
    # The mode really steps in more cycles (else the comparison would prove nothing).
    assert steps > wakeups


def _add_keys() -> int:
    """Add statistics that are new since the golden run, refusing if any recorded one differs."""
    golden: dict[str, dict[str, str]] = json.loads(GOLDEN.read_text())
    added: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            if case["id"] not in golden:
                continue
            got = fingerprint(case, Path(tmp))
            want = golden[case["id"]]
            changed = {k: (v, got.get(k)) for k, v in want.items() if got.get(k) != v}
            if changed:
                print(f"{case['id']}: recorded results differ, golden not changed: {changed}")
                return 1
            for k in set(got) - set(want):
                want[k] = got[k]
                added.add(k)
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"added {sorted(added)} to {len(golden)} cases")
    return 0


def main() -> int:
    if sys.argv[1:] == ["--add-keys"]:
        return _add_keys()
    if sys.argv[1:] != ["--write"]:
        print(
            "usage: python tests/test_dram_identity.py --write   (records the golden file; see the docstring)\n"
            "       python tests/test_dram_identity.py --add-keys   (adds new statistics; every recorded one must "
            "be unchanged)"
        )
        return 2
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            result[case["id"]] = fingerprint(case, Path(tmp))
            print(case["id"], result[case["id"]]["tnpu.replay.cycles"], flush=True)
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
