"""Replay every validation trace with the peer's own config file and compare with what the peer reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tnpu.dram import load_dram_config, replay_dram

VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "validation" / "dram"
REFERENCES = VALIDATION / "references.json"
# Drain-time tolerance per peer, on the peer's own config file (issue 3).
TOLERANCE = {"DRAMsim3": 0.05, "Ramulator1": 0.10}

pytestmark = pytest.mark.skipif(not REFERENCES.exists(), reason=f"validation set not found at {VALIDATION}")


def _records() -> list[dict]:
    if not REFERENCES.exists():
        return []
    data = json.loads(REFERENCES.read_text())
    return [r for r in data["records"] if r["tool"] in TOLERANCE]


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], object]:
    out = {}
    for r in _records():
        cfg = load_dram_config(VALIDATION / r["config_file"])
        out[(r["trace"], r["tool"])] = replay_dram(VALIDATION / r["trace_file"], cfg)
    return out


@pytest.mark.parametrize("record", _records(), ids=lambda r: f"{r['trace']}-{r['tool']}")
def test_drain_time_matches_peer(record: dict, results: dict) -> None:
    res = results[(record["trace"], record["tool"])]
    assert res.requests == record["requests"]
    assert res.reads == record["reads"]
    assert res.writes == record["writes"]
    error = res.cycles / record["drain_cycles"] - 1
    assert abs(error) <= TOLERANCE[record["tool"]], (
        f"{record['trace']} vs {record['tool']}: {res.cycles} cycles, reference {record['drain_cycles']} "
        f"({100 * error:+.1f} %)"
    )
    # Bandwidth follows from the same drain time; check it against the peer's figure with its own tCK.
    ours_gbps = res.bytes / (res.cycles * record["tCK_ns"])
    assert ours_gbps == pytest.approx(record["bandwidth_GBps"], rel=TOLERANCE[record["tool"]])


@pytest.mark.parametrize("record", _records(), ids=lambda r: f"{r['trace']}-{r['tool']}")
def test_read_latency_matches_peer(record: dict, results: dict) -> None:
    # Same queue sizes as the peer (read from its config), so the latency under load is comparable.
    res = results[(record["trace"], record["tool"])]
    assert res.avg_read_latency_cycles == pytest.approx(record["avg_read_latency_cycles"], rel=0.10)


@pytest.mark.parametrize("record", _records(), ids=lambda r: f"{r['trace']}-{r['tool']}")
def test_row_hits_match_peer(record: dict, results: dict) -> None:
    res = results[(record["trace"], record["tool"])]
    # Row hits differ by a handful out of tens of thousands (refresh timing); allow 2 % of the requests.
    assert abs(res.row_hits - record["row_hits"]) <= 0.02 * record["requests"] + 5


def _dramsim3_records() -> list[dict]:
    return [r for r in _records() if r["tool"] == "DRAMsim3" and "total_energy_pJ" in r]


@pytest.mark.parametrize("record", _dramsim3_records(), ids=lambda r: r["trace"])
def test_energy_matches_dramsim3(record: dict, results: dict) -> None:
    # DRAMsim3 accumulates V x mA x memory cycles and prints it as pJ ("if we convert cycles to ns then it's
    # exactly pJ", configuration.cc): that is pJ only for tCK = 1 ns. Ours is pJ, so compare ours / tCK_ns.
    res = results[(record["trace"], record["tool"])]
    tck_ns = res.tck_ps / 1000
    assert res.energy_pj / tck_ns == pytest.approx(record["total_energy_pJ"], rel=0.02)
