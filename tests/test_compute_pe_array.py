"""PE array and dataflows: cycles of small GEMMs worked by hand, folds, utilisation, registry errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tnpu import _core, registry
from tnpu.errors import ConfigError


def test_registry_lists_the_three_dataflows():
    assert registry.names("dataflow") == ("os", "ws", "is")


def test_unknown_dataflow_names_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown dataflow 'rs' \(known: os, ws, is\)"):
        _core.PeArray(4, 4, "rs")


def test_output_stationary_by_hand():
    # 4x4 array, C[8x4] = A[8x3] B[3x4]: M=8 on rows -> 2 folds, N=4 on cols -> 1 fold.
    # Each fold: A and B skew in over R + C - 2 = 6 cycles, stream K = 3: 9 cycles. Two folds: 18.
    c = _core.PeArray(4, 4, "os").gemm(8, 3, 4)
    assert (c.folds, c.fold_cycles, c.cycles, c.scalesim_total_cycles) == (2, 9, 18, 17)
    assert c.mapping_efficiency == 1.0
    assert c.compute_util == pytest.approx(3 / 9)
    assert c.macs == 96


def test_weight_stationary_by_hand():
    # 4x4 array, K=6 on rows -> 2 folds, N=4 on cols -> 1 fold, M=5 streams.
    # Each fold: preload 4 weight rows, fill 4 + 4 - 2, stream 5: 2*4 + 4 + 5 - 2 = 15 cycles. Two folds: 30.
    c = _core.PeArray(4, 4, "ws").gemm(5, 6, 4)
    assert (c.folds, c.fold_cycles, c.cycles) == (2, 15, 30)
    assert c.mapping_efficiency == pytest.approx((4 + 2) * 4 / (2 * 16))
    # SCALE-Sim's compute-util denominator for ws is 2R + 2C + T - 3 = 18 cycles per fold
    assert c.compute_util == pytest.approx(c.mapping_efficiency * 5 / 18)


def test_input_stationary_by_hand():
    # 4x4 array, K=4 on rows (1 fold), M=6 on cols (2 folds), N=3 streams: 2*4 + 4 + 3 - 2 = 13 per fold.
    c = _core.PeArray(4, 4, "is").gemm(6, 4, 3)
    assert (c.folds, c.fold_cycles, c.cycles) == (2, 13, 26)
    assert c.mapping_efficiency == pytest.approx(0.75)


def test_one_by_one_array_is_sequential_macs_plus_overheads():
    c = _core.PeArray(1, 1, "os").gemm(3, 5, 2)
    # 6 folds of R + C + K - 2 = 5 cycles: one MAC per cycle, no fill
    assert c.cycles == 30 == c.macs


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 64),
    cols=st.integers(1, 64),
    m=st.integers(1, 500),
    k=st.integers(1, 500),
    n=st.integers(1, 500),
    df=st.sampled_from(["os", "ws", "is"]),
)
def test_fold_model_formulas(rows, cols, m, k, n, df):
    c = _core.PeArray(rows, cols, df).gemm(m, k, n)
    sr, sc, t = {"os": (m, n, k), "ws": (k, n, m), "is": (k, m, n)}[df]
    folds = math.ceil(sr / rows) * math.ceil(sc / cols)
    fold = (rows + cols + t - 2) if df == "os" else (2 * rows + cols + t - 2)
    assert c.folds == folds
    assert c.cycles == folds * fold
    # never faster than the ideal MAC rate, and every PE does at most one MAC per cycle
    assert c.cycles >= math.ceil(m * k * n / (rows * cols))
    assert 0 < c.mapping_efficiency <= 1
    assert 0 < c.compute_util <= c.mapping_efficiency


def test_zero_dimension_is_an_error():
    with pytest.raises(ConfigError, match="M, K and N must be at least 1"):
        _core.PeArray(4, 4, "ws").gemm(0, 3, 3)


def test_sram_reads_per_dataflow():
    # ws: weights read once; inputs once per column fold; partial sums once per row fold
    c = _core.PeArray(4, 4, "ws").gemm(10, 8, 8)
    assert c.sram_b_reads == 64
    assert c.sram_a_reads == 10 * 8 * 2
    assert c.sram_c_writes == 10 * 8 * 2
    assert c.sram_c_reads == 10 * 8 * 1
    o = _core.PeArray(4, 4, "os").gemm(10, 8, 8)
    assert o.sram_c_writes == 80
    assert o.sram_c_reads == 0
