"""SCALE-Sim topology CSVs import as layers whose shapes and MACs are SCALE-Sim's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tnpu
from tnpu.workloads import Phase, from_scalesim_topology

COMPUTE = Path(__file__).resolve().parents[2] / "shared" / "validation" / "compute"


@pytest.mark.skipif(not COMPUTE.exists(), reason="../shared/validation/compute is not beside the repository")
def test_reference_topology_imports_with_scalesims_macs():
    layers = from_scalesim_topology(COMPUTE / "topologies" / "layers.csv")
    refs = json.loads((COMPUTE / "references.json").read_text())
    records = refs["records"] if isinstance(refs, dict) and "records" in refs else refs
    macs = {r["layer"]: r["macs"] for r in records if "layer" in r and "macs" in r}
    assert [layer.name for layer in layers] == [
        "conv3x3_28_c16_k32",
        "conv3x3_14_c64_k64",
        "conv1x1_14_c64_k128",
        "conv3x3_7_c128_k128",
        "gemm_M64_K128_N96",
    ]
    for layer in layers:
        assert layer.macs(Phase.FP) == macs[layer.name]


def test_conv_and_gemm_rows(tmp_path):
    conv = tmp_path / "conv.csv"
    conv.write_text(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
        "c1,227,227,11,11,3,96,4,\n"
    )
    (c1,) = from_scalesim_topology(conv)
    assert c1.out_shape == (96, 55, 55)
    assert c1.macs(Phase.FP) == 96 * 55 * 55 * 11 * 11 * 3
    shape = c1.layer_shape(batch=2)
    assert (shape["n"], shape["c"], shape["k"], shape["stride_h"]) == (2, 3, 96, 4)
    gemm = tmp_path / "gemm.csv"
    gemm.write_text("Layer, M, N, K,\ng1,64,96,128,\n")
    (g1,) = from_scalesim_topology(gemm)
    assert g1.macs(Phase.FP) == 64 * 96 * 128


def test_bad_topology_names_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
        "c1,x,227,11,11,3,96,4,\n"
    )
    with pytest.raises(tnpu.ConfigError, match=r"bad\.csv"):
        from_scalesim_topology(bad)
