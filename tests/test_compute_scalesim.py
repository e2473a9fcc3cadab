"""The PE-array cycle model against SCALE-Sim v3's own numbers (shared/validation/compute/references.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tnpu
from tnpu import _core
from tnpu.cli import main
from tnpu.config import ArchConfig, BufferConfig, PeArrayConfig

VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "validation" / "compute"
REFS = VALIDATION / "references.json"

needs_refs = pytest.mark.skipif(
    not REFS.is_file(), reason=f"SCALE-Sim references not found at {REFS} (the shared/ folder is absent)"
)


def _records() -> list[dict]:
    if not REFS.is_file():
        return []
    return json.loads(REFS.read_text())["records"]


def _gemm(rec: dict) -> tuple[int, int, int]:
    t = rec["topology_row"]
    p = (t["ifmap_h"] - t["filter_h"]) // t["stride"] + 1
    q = (t["ifmap_w"] - t["filter_w"]) // t["stride"] + 1
    return p * q, t["filter_h"] * t["filter_w"] * t["channels"], t["num_filter"]


@needs_refs
def test_references_cover_both_dataflows_and_arrays():
    recs = _records()
    assert len(recs) >= 20
    assert {r["dataflow"] for r in recs} == {"os", "ws"}
    assert {(r["array_rows"], r["array_cols"]) for r in recs} == {(16, 16), (32, 32)}


@needs_refs
@pytest.mark.parametrize("rec", _records(), ids=lambda r: f"{r['config']}:{r['layer']}")
def test_pe_array_equals_scalesim(rec):
    array = _core.PeArray(rec["array_rows"], rec["array_cols"], rec["dataflow"])
    m, k, n = _gemm(rec)
    c = array.gemm(m, k, n)
    assert c.macs == rec["macs"]
    assert c.scalesim_total_cycles == rec["total_cycles"]
    assert round(c.overall_util * 100, 4) == rec["overall_util_pct"]
    assert round(c.mapping_efficiency * 100, 4) == rec["mapping_efficiency_pct"]
    assert round(c.compute_util * 100, 4) == rec["compute_util_pct"]


@needs_refs
@pytest.mark.parametrize("cfg", sorted({r["config"] for r in _records()}))
def test_layer_cycles_command_equals_compute_report(cfg, capsys):
    recs = [r for r in _records() if r["config"] == cfg]
    topo = VALIDATION / "topologies" / "layers.csv"
    rc = main(["layer-cycles", "--topology", str(topo), "--config", str(VALIDATION / cfg), "--json"])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["layer"] for r in rows] == [r["layer"] for r in sorted(recs, key=lambda r: r["layer_id"])]
    by_name = {r["layer"]: r for r in recs}
    for row in rows:
        ref = by_name[row["layer"]]
        assert set(row) == {
            "layer",
            "total_cycles",
            "stall_cycles",
            "overall_util_pct",
            "mapping_efficiency_pct",
            "compute_util_pct",
        }
        assert row["total_cycles"] == ref["total_cycles"]
        assert row["stall_cycles"] == ref["stall_cycles"]
        for key in ("overall_util_pct", "mapping_efficiency_pct", "compute_util_pct"):
            assert round(row[key], 4) == ref[key]


@needs_refs
def test_layer_cycles_text_has_compute_report_columns(capsys):
    cfg = VALIDATION / "configs" / "array16x16_os.cfg"
    topo = VALIDATION / "topologies" / "layers.csv"
    assert main(["layer-cycles", "--topology", str(topo), "--config", str(cfg)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0]
        == "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %"
    )
    first = _records()[0]
    assert lines[1].startswith(f"{first['layer']}, {first['total_cycles']}, 0, ")


@needs_refs
@pytest.mark.parametrize("rec", _records()[::3], ids=lambda r: f"{r['config']}:{r['layer']}")
def test_simulate_layer_ideal_memory_equals_scalesim(rec):
    """A whole layer through tiling, the engine and ideal memory gives SCALE-Sim's cycles when it is one tile."""
    t = rec["topology_row"]
    layer = {
        "kind": "conv",
        "n": 1,
        "c": t["channels"],
        "k": t["num_filter"],
        "h": t["ifmap_h"],
        "w": t["ifmap_w"],
        "r": t["filter_h"],
        "s": t["filter_w"],
        "stride_h": t["stride"],
        "stride_w": t["stride"],
    }
    arch = ArchConfig(
        pu_c=PeArrayConfig(rows=rec["array_rows"], cols=rec["array_cols"], dataflow=rec["dataflow"]),
        buffer=BufferConfig(capacity_bytes=64 << 20),
    )
    r = tnpu.simulate_layer(layer, "FP", arch, memory="ideal", name=rec["layer"])
    assert r.tiles == 1
    assert r.stall_cycles == 0
    assert r.scalesim_total_cycles == rec["total_cycles"]
    assert round(r.mapping_efficiency * 100, 4) == rec["mapping_efficiency_pct"]
    assert round(r.compute_util * 100, 4) == rec["compute_util_pct"]
    assert r.macs == rec["macs"]
