"""Vector unit (PU-f) and data types."""

from __future__ import annotations

import pytest

from tnpu import _core, registry
from tnpu.errors import ConfigError


def test_matrix_vector_dot_outer():
    v = _core.VectorUnit(16)
    assert v.matvec(4096, 4096) == 256 * 4096  # 16 outputs at a time, 4096 MACs each
    assert v.matvec(17, 10) == 2 * 10
    assert v.dot(64) == 4 + 4  # 4 multiply cycles + log2(16) adder levels
    assert v.dot(0) == 0
    assert v.outer(100, 33) == 100 * 3


def test_gemm_is_matrix_vector_per_row():
    v = _core.VectorUnit(16)
    c = v.gemm(2, 100, 40)
    assert c.cycles == 2 * 3 * 100
    assert c.mapping_efficiency == pytest.approx(40 / 48)
    assert c.macs == 8000


def test_elementwise_by_elements_and_bytes():
    v = _core.VectorUnit(16)
    relu = v.elementwise("relu", 1000)
    assert (relu.cycles, relu.bytes_read, relu.bytes_written) == (63, 4000, 4000)
    pool = v.elementwise("maxpool", 100, window=4, dtype="fp16")
    assert (pool.cycles, pool.bytes_read, pool.bytes_written) == (25, 800, 200)
    wu = v.elementwise("weight_update", 32, dtype="int8")
    assert wu.cycles == 4
    assert wu.bytes_read == 64
    with pytest.raises(ConfigError, match="unknown 'softmax'"):
        v.elementwise("softmax", 10)


def test_data_types():
    assert registry.names("data_type") == ("fp32", "fp16", "bf16", "int8")
    bf16 = _core.data_type_info("bf16")
    assert (bf16.name, bf16.bytes, bf16.mac_energy_class) == ("bf16", 2, "bf16_mac")
    with pytest.raises(ConfigError, match=r"unknown data type 'fp64' \(known: fp32, fp16, bf16, int8\)"):
        _core.data_type_info("fp64")


def test_elementwise_pass_through_memory():
    import tnpu
    from tnpu.config import ArchConfig, BufferConfig

    ideal = tnpu.simulate_elementwise("relu", 16_000, memory="ideal")
    assert ideal.compute_cycles == ideal.total_cycles == 1000
    assert (ideal.dram_bytes_read, ideal.dram_bytes_written) == (64_000, 64_000)
    assert ideal.macs == 0
    assert ideal.phase == "elementwise"
    # ReLU moves 8 B per element for 1/16 cycle of work: memory-bound at 17.1 GB/s
    fixed = tnpu.simulate_elementwise("relu", 16_000)
    assert fixed.total_ps >= fixed.dram_requests * 3743
    assert fixed.stall_cycles > 0
    # pooling reads window inputs per output
    pool = tnpu.simulate_elementwise("maxpool", 1600, window=4, memory="ideal")
    assert (pool.dram_bytes_read, pool.dram_bytes_written, pool.compute_cycles) == (25_600, 6400, 400)
    # chunks fit the buffer with double buffering
    small = ArchConfig(buffer=BufferConfig(capacity_bytes=8192))
    r = tnpu.simulate_elementwise("weight_update", 10_000, small, memory="ideal")
    assert r.mapping["buffer_bytes"] <= 8192
    assert r.tiles == -(-10_000 // r.mapping["tile_m"])
    with pytest.raises(ConfigError, match="cannot hold one element"):
        tnpu.simulate_elementwise("relu", 10, ArchConfig(buffer=BufferConfig(capacity_bytes=8)))
    with pytest.raises(ConfigError, match="unknown element-wise kind 'gelu'"):
        tnpu.simulate_elementwise("gelu", 10)
