"""Datapath configuration: defaults of the TNPU setup, validation messages naming the field."""

from __future__ import annotations

import dataclasses

import pytest

from tnpu import _core, registry
from tnpu.config import (
    ArchConfig,
    BufferConfig,
    ClockConfig,
    DmaConfig,
    MemoryConfig,
    PeArrayConfig,
    VectorUnitConfig,
    tnpu_arch,
)
from tnpu.errors import ConfigError


def test_tnpu_defaults():
    a = tnpu_arch()
    a.validate()
    assert (a.pu_c.rows, a.pu_c.cols, a.pu_f.lanes) == (16, 16, 16)
    assert a.clock.period_ps == 2500
    assert a.dtype == "fp32"
    assert a.memory.bandwidth_gbps == 17.1
    assert a.memory.issue_interval_ps == 3743  # 64 B / 17.1 GB/s = 3742.7 ps


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ArchConfig().dtype = "fp16"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("arch", "message"),
    [
        (ArchConfig(pu_c=PeArrayConfig(rows=0)), r"arch\.pu_c\.rows: must be at least 1, got 0"),
        (ArchConfig(pu_c=PeArrayConfig(cols=2.5)), r"arch\.pu_c\.cols: expected a whole number"),  # type: ignore[arg-type]
        (ArchConfig(pu_c=PeArrayConfig(dataflow="rs")), r"arch\.pu_c\.dataflow: unknown dataflow 'rs'"),
        (ArchConfig(pu_f=VectorUnitConfig(lanes=-1)), r"arch\.pu_f\.lanes"),
        (ArchConfig(buffer=BufferConfig(capacity_bytes=0)), r"arch\.buffer\.capacity_bytes"),
        (
            ArchConfig(buffer=BufferConfig(shared=False, ifmap_fraction=0.6, filter_fraction=0.6)),
            r"arch\.buffer: ifmap_fraction \+ filter_fraction \+ ofmap_fraction",
        ),
        (ArchConfig(dma=DmaConfig(max_outstanding=0)), r"arch\.dma\.max_outstanding"),
        (ArchConfig(memory=MemoryConfig(model="hbm9")), r"arch\.memory\.model: unknown memory model 'hbm9'"),
        (ArchConfig(memory=MemoryConfig(bandwidth_gbps=0)), r"arch\.memory\.bandwidth_gbps: must be greater"),
        (ArchConfig(clock=ClockConfig(frequency_mhz=333.0)), r"arch\.clock\.frequency_mhz: .*whole number"),
        (ArchConfig(dtype="fp64"), r"arch\.dtype: unknown data type 'fp64'"),
    ],
)
def test_validation_names_the_field(arch, message):
    with pytest.raises(ConfigError, match=message):
        arch.validate()


def test_to_cpp_carries_every_part():
    a = ArchConfig(
        pu_c=PeArrayConfig(rows=8, cols=4, dataflow="is"),
        buffer=BufferConfig(capacity_bytes=4096, shared=False),
        memory=MemoryConfig(model="ideal", bandwidth_gbps=32.0),
        dtype="bf16",
    )
    c = a.to_cpp("vector_unit")
    assert isinstance(c, _core.PassConfig)
    assert (c.engine, c.pe_array.rows, c.pe_array.cols, c.pe_array.dataflow) == ("vector_unit", 8, 4, "is")
    assert (c.buffer.capacity_bytes, c.buffer.shared) == (4096, False)
    assert (c.memory.model, c.memory.issue_interval_ps) == ("ideal", 2000)
    assert (c.dtype, c.clock_period_ps) == ("bf16", 2500)
    c.validate()


def test_engine_and_memory_registries():
    assert registry.names("engine") == ("pe_array", "vector_unit")
    assert registry.names("memory_model")[:2] == ("ideal", "fixed")
    c = ArchConfig().to_cpp("pe_array")
    c.engine = "npu"
    with pytest.raises(ConfigError, match=r"engine: unknown engine 'npu' \(known: pe_array, vector_unit\)"):
        c.validate()
    c.engine = "pe_array"
    c.memory.model = "hbm"
    with pytest.raises(ConfigError, match=r"memory\.model: unknown memory model 'hbm' \(known: ideal, fixed"):
        c.validate()
