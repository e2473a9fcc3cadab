"""A single layer pass is a one-engine accelerator running one task (issue 17): same figures as simulate_training on
that machine, and a typed result (``_core.PassResult``) behind the public ``LayerResult``."""

from __future__ import annotations

import numpy as np
import pytest

import tnpu
from tnpu import _core
from tnpu.config import ArchConfig, MemoryConfig
from tnpu.layer import MAPPING_FIELDS, to_layer_shape

CONV = {"kind": "conv", "n": 1, "c": 32, "k": 64, "h": 28, "w": 28, "r": 3, "s": 3, "pad_h": 1, "pad_w": 1}


def _one_engine(arch: ArchConfig, engine: str) -> _core.AcceleratorConfig:
    """The machine of a single pass, written out by hand: one engine owning the whole buffer."""
    m = _core.AcceleratorConfig()
    if engine == "pe_array":
        e = _core.AcceleratorEngine(
            engine, array_rows=arch.pu_c.rows, array_cols=arch.pu_c.cols, dataflow=arch.pu_c.dataflow
        )
    else:
        e = _core.AcceleratorEngine(engine, lanes=arch.pu_f.lanes)
    m.engines = [e]
    m.engine_of_class = [0, 0]
    m.pass_config = arch.to_cpp(engine)
    m.gd_accumulate = False
    m.address_slots = 1
    return m


def _one_task(layer: _core.AcceleratorLayer, phase: int, task_class: int, work: tuple[int, int, int]):
    ops, b_in, b_out = work
    return _core.TrainingWorkload(
        instance=np.zeros(1, dtype=np.uint32),
        layer=np.zeros(1, dtype=np.uint32),
        phase=np.array([phase], dtype=np.uint8),
        task_class=np.array([task_class], dtype=np.uint8),
        dep_offsets=np.zeros(2, dtype=np.uint64),
        dep_ids=np.zeros(0, dtype=np.uint32),
        vector_ops=np.array([ops], dtype=np.uint64),
        bytes_in=np.array([b_in], dtype=np.uint64),
        bytes_out=np.array([b_out], dtype=np.uint64),
        layers=[layer],
    )


@pytest.mark.parametrize("model", ["fixed", "dram"])
@pytest.mark.parametrize(("phase", "engine"), [("FP", "pe_array"), ("BP", "pe_array"), ("GD", "vector_unit")])
def test_a_layer_pass_is_the_one_engine_accelerator_running_one_task(model, phase, engine):
    arch = ArchConfig(memory=MemoryConfig(model=model))
    shape = to_layer_shape(CONV)
    single = _core.simulate_pass(shape, phase, arch.to_cpp(engine), "conv")
    batch = _core.simulate_training(
        _one_task(
            _core.AcceleratorLayer("conv", True, shape),
            int(_core.Phase[phase]),
            engine != "pe_array",
            (0, 0, 0),
        ),
        _one_engine(arch, engine),
    )
    assert single.total_ps == batch.makespan_ps > single.compute_cycles * arch.to_cpp().clock_period_ps
    assert single.macs == int(batch.macs[0]) == shape.macs
    assert (single.dram_bytes_read, single.dram_bytes_written) == (
        batch.dram_bytes_read,
        batch.dram_bytes_written,
    )
    assert single.dram_requests == batch.dram_requests
    assert single.tiles == int(batch.tiles[0])
    assert single.pes == int(batch.pes[0])
    assert single.engine == engine


def test_an_elementwise_pass_is_one_elementwise_task():
    arch = ArchConfig(memory=MemoryConfig(model="dram"))
    r = tnpu.simulate_elementwise("relu", 50_000, arch)
    unit = _core.VectorUnit(arch.pu_f.lanes).elementwise("relu", 50_000)
    batch = _core.simulate_training(
        _one_task(_core.AcceleratorLayer("relu"), 0, 1, (50_000, unit.bytes_read, unit.bytes_written)),
        _one_engine(arch, "vector_unit"),
    )
    assert r.total_ps == batch.makespan_ps
    assert r.dram_bytes_read + r.dram_bytes_written == batch.dram_bytes_read + batch.dram_bytes_written > 0
    assert r.tiles == int(batch.tiles[0])
    assert r.mapping["tile_m"] * r.tiles >= 50_000


def test_simulate_pass_returns_a_typed_result_that_layer_result_mirrors():
    r = _core.simulate_pass(to_layer_shape(CONV), "FP", ArchConfig().to_cpp(), "conv")
    assert isinstance(r, _core.PassResult)
    assert isinstance(r.mapping, _core.Mapping)
    assert r.gemm == (28 * 28, 32 * 9, 64)
    assert r.operands == ("X", "W", "Y")
    assert r.total_cycles == r.compute_cycles + r.stall_cycles
    assert r.scalesim_total_cycles == r.total_cycles - 1
    assert len(r.sram_reads) == len(r.sram_writes) == len(_core.SRAM_OPERANDS) == 3
    layer = tnpu.simulate_layer(CONV, "FP", name="conv")
    assert layer.total_ps == r.total_ps
    assert layer.gemm == r.gemm
    assert layer.mapping == {name: getattr(r.mapping, name) for name in MAPPING_FIELDS}
    assert layer.mapping["analytic_dram_bytes"] == sum(
        layer.mapping[f"analytic_{x}_bytes"] for x in ("a_read", "b_read", "c_read", "c_write")
    )
    assert layer.sram_accesses["filter"]["reads"] == r.sram_reads[1] > 0
    assert sum(layer.dram_bytes_by_operand.values()) == r.dram_bytes_read + r.dram_bytes_written
    with pytest.raises(AttributeError):
        r.total_ps = 0  # read-only


def test_a_given_mapping_and_accumulation_reach_the_one_task():
    given = tnpu.simulate_layer(CONV, "FP", mapping=(98, 32, 16, "nkm"), memory="ideal")
    assert (given.mapping["tile_m"], given.mapping["tile_n"], given.mapping["order"]) == (98, 16, "nkm")
    plain = tnpu.simulate_layer(CONV, "FP", memory="ideal")
    summed = tnpu.simulate_layer(CONV, "FP", memory="ideal", accumulate=True)
    assert plain.dram_bytes_by_operand["c_read"] == 0 < summed.dram_bytes_by_operand["c_read"]
