"""One layer pass end to end: lowering, tiling, DRAM traffic against the closed form, timing, capacity errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tnpu
from tnpu import _core
from tnpu.config import ArchConfig, BufferConfig, MemoryConfig, PeArrayConfig
from tnpu.errors import ConfigError

CONV = {"kind": "conv", "n": 1, "c": 64, "k": 64, "h": 56, "w": 56, "r": 3, "s": 3, "pad_h": 1, "pad_w": 1}
FC = {"kind": "linear", "n": 1, "c": 4096, "k": 4096}


def shape(**kw) -> _core.LayerShape:
    s = _core.LayerShape()
    for key, value in kw.items():
        setattr(s, key, value)
    return s


# ---------------------------------------------------------------------------------------------------- lowering
def test_lowering_shapes_per_phase():
    conv = shape(kind="conv", n=2, c=16, k=32, h=10, w=10, r=3, s=3, pad_h=1, pad_w=1)
    assert _core.lower(conv, "FP").gemm == (2 * 100, 16 * 9, 32)
    assert _core.lower(conv, "BP").gemm == (2 * 100, 32 * 9, 16)
    assert _core.lower(conv, "GD").gemm == (16 * 9, 2 * 100, 32)
    assert _core.lower(conv, "GD").operands == ("X", "dY", "dW")
    fc = shape(kind="linear", n=8, c=100, k=10)
    assert _core.lower(fc, "FP").gemm == (8, 100, 10)
    assert _core.lower(fc, "BP").gemm == (8, 10, 100)
    assert _core.lower(fc, "GD").gemm == (10, 8, 100)
    grouped = shape(kind="conv", c=8, k=8, h=5, w=5, r=3, s=3, groups=4)
    assert _core.lower(grouped, "FP").gemm == (9, 2 * 9, 2)
    assert _core.lower(grouped, "FP").groups == 4


def test_macs_equal_across_phases():
    for phase in ("FP", "BP", "GD"):
        r = tnpu.simulate_layer(CONV, phase, memory="ideal")
        assert r.macs == 64 * 64 * 9 * 56 * 56


def test_bad_shapes_name_the_field():
    with pytest.raises(ConfigError, match=r"layer 'x': groups=3 must divide c=8"):
        tnpu.simulate_layer({"kind": "conv", "c": 8, "k": 8, "h": 4, "w": 4, "groups": 3}, name="x")
    with pytest.raises(ConfigError, match="filter height r=5"):
        tnpu.simulate_layer({"kind": "conv", "c": 1, "k": 1, "h": 3, "w": 3, "r": 5, "s": 1})
    with pytest.raises(ConfigError, match=r"layer\.kind"):
        tnpu.simulate_layer({"kind": "pool", "c": 1, "k": 1})
    with pytest.raises(ConfigError, match="unknown field"):
        tnpu.simulate_layer({"kind": "linear", "c": 1, "k": 1, "stride": 2})
    with pytest.raises(ConfigError, match="phase"):
        tnpu.simulate_layer(FC, "WU")


def test_accepts_dict_object_and_layer_shape():
    class Linear:
        name = "fc_obj"

        def layer_shape(self, batch: int = 1) -> dict:
            return {"kind": "linear", "n": batch, "c": 64, "k": 32}

    a = tnpu.simulate_layer(Linear(), memory="ideal")
    b = tnpu.simulate_layer({"kind": "linear", "c": 64, "k": 32}, memory="ideal")
    c = tnpu.simulate_layer(shape(kind="linear", c=64, k=32), memory="ideal")
    assert a.layer == "fc_obj"
    assert a.total_cycles == b.total_cycles == c.total_cycles == 2 * 64  # ceil(32 / 16) * 64


# ------------------------------------------------------------------------------------------ exact small cases
def test_fc_single_tile_fixed_memory_by_hand():
    # PU-f, 16 lanes, FC 16 -> 16, fp32. One tile: loads X (64 B = 1 request) and W (1 KiB = 16 requests).
    # Requests start every 3743 ps from 0; the 17th starts at 16 * 3743 = 59888 and completes 100 ns later.
    # Compute: 16 cycles of 2500 ps. The store (1 request) starts at 199888 and completes at 299888.
    arch = ArchConfig(memory=MemoryConfig(model="fixed", bandwidth_gbps=17.1, latency_ps=100_000))
    assert arch.memory.issue_interval_ps == 3743
    r = tnpu.simulate_layer({"kind": "linear", "c": 16, "k": 16}, "FP", arch)
    assert r.compute_cycles == 16
    assert r.total_ps == 59_888 + 100_000 + 40_000 + 100_000
    assert r.total_cycles == math.ceil(299_888 / 2500) == 120
    assert r.stall_cycles == 120 - 16
    assert (r.dram_bytes_read, r.dram_bytes_written, r.dram_requests) == (64 + 1024, 64, 18)


def test_ideal_memory_has_no_stall_and_counts_traffic():
    r = tnpu.simulate_layer(CONV, "FP", memory="ideal")
    assert r.stall_cycles == 0
    assert r.total_cycles == r.compute_cycles
    assert r.dram_bytes_read > 0
    assert r.dram_bytes_written == 64 * 56 * 56 * 4


# ------------------------------------------------------------------------------- traffic equals closed form
def closed_form(m, k, n, tm, tk, tn, order, bpe=4):
    """DRAM bytes of a dense GEMM tiling, derived independently of the C++ code."""
    trips = {"m": math.ceil(m / tm), "k": math.ceil(k / tk), "n": math.ceil(n / tn)}
    inner = next((d for d in reversed(order) if trips[d] > 1), order[-1])
    a = m * k * (1 if inner == "n" else trips["n"])
    b = k * n * (1 if inner == "m" else trips["m"])
    cw = m * n * (1 if inner == "k" else trips["k"])
    cr = m * n * (0 if inner == "k" else trips["k"] - 1)
    return {"a_read": a * bpe, "b_read": b * bpe, "c_read": cr * bpe, "c_write": cw * bpe}


@pytest.mark.parametrize("order", ["mnk", "nmk", "mkn", "kmn", "nkm", "knm"])
@pytest.mark.parametrize("memory", ["ideal", "fixed"])
def test_dram_bytes_equal_closed_form_fc(order, memory):
    # FC GD on PU-c with a batch: M = out, K = batch, N = in; tiles are whole 64-byte requests.
    layer = {"kind": "linear", "n": 32, "c": 256, "k": 128}
    tm, tk, tn = 64, 16, 64
    r = tnpu.simulate_layer(layer, "GD", memory=memory, engine="pu_c", mapping=(tm, tk, tn, order))
    expect = closed_form(128, 32, 256, tm, tk, tn, order)
    assert r.dram_bytes_by_operand == expect
    assert r.dram_bytes_read == expect["a_read"] + expect["b_read"] + expect["c_read"]
    assert r.dram_bytes_written == expect["c_write"]
    assert r.mapping["analytic_dram_bytes"] == sum(expect.values())


def test_dram_bytes_equal_closed_form_conv_1x1():
    # A 1x1 convolution's im2col is the input itself; tiles of whole output rows touch exactly their pixels.
    layer = {"kind": "conv", "n": 1, "c": 64, "k": 128, "h": 16, "w": 16}
    r = tnpu.simulate_layer(layer, "FP", memory="fixed", mapping=(64, 32, 32, "kmn"))
    assert r.dram_bytes_by_operand == closed_form(256, 64, 128, 64, 32, 32, "kmn")


def test_conv_halo_is_fetched_per_tile():
    # 3x3 conv, pad 1, tiles of 4 output rows (4 x 16 pixels) touch 6 input rows, 5 at the borders.
    layer = {
        "kind": "conv",
        "n": 1,
        "c": 16,
        "k": 16,
        "h": 16,
        "w": 16,
        "r": 3,
        "s": 3,
        "pad_h": 1,
        "pad_w": 1,
    }
    r = tnpu.simulate_layer(layer, "FP", memory="ideal", mapping=(64, 144, 16, "mnk"))
    rows = 5 + 6 + 6 + 5
    assert r.dram_bytes_by_operand["a_read"] == 16 * rows * 16 * 4


def test_search_minimises_traffic():
    # an unbounded compute slack: the search minimises DRAM bytes alone
    arch = ArchConfig(buffer=BufferConfig(capacity_bytes=128 * 1024), mapping_compute_slack=1e6)
    best = tnpu.simulate_layer(CONV, "FP", arch, memory="ideal")
    assert best.mapping["buffer_bytes"] <= 128 * 1024
    for mapping in [
        (256, 64, 64, "mnk"),
        (3136, 16, 16, "knm"),
        (512, 576, 16, "nmk"),
        (128, 576, 64, "mnk"),
    ]:
        try:
            other = tnpu.simulate_layer(CONV, "FP", arch, memory="ideal", mapping=mapping)
        except ConfigError:
            continue
        assert (
            best.dram_bytes_read + best.dram_bytes_written <= other.dram_bytes_read + other.dram_bytes_written
        )


# ----------------------------------------------------------------------------------------------------- timing
def test_conv_compute_bound_fc_memory_bound_on_tnpu():
    conv = tnpu.simulate_layer(CONV, "FP")
    fc = tnpu.simulate_layer(FC, "FP")
    assert conv.engine == "pe_array"
    assert fc.engine == "vector_unit"
    assert conv.stall_cycles < 0.02 * conv.total_cycles
    # 16 lanes x 4 B x 400 MHz = 25.6 GB/s of weights against a 17.1 GB/s bus: about 1.5x the compute time
    assert fc.total_cycles / fc.compute_cycles == pytest.approx(25.6 / 17.1, rel=0.02)


def test_halving_bandwidth_slows_fc_not_conv():
    half = ArchConfig(memory=MemoryConfig(bandwidth_gbps=17.1 / 2))
    conv, conv_half = tnpu.simulate_layer(CONV, "FP"), tnpu.simulate_layer(CONV, "FP", half)
    fc, fc_half = tnpu.simulate_layer(FC, "FP"), tnpu.simulate_layer(FC, "FP", half)
    assert conv_half.total_cycles < 1.02 * conv.total_cycles
    assert fc_half.total_cycles > 1.9 * fc.total_cycles


def test_bounded_outstanding_requests_limit_bandwidth():
    # 100 ns latency and 4 requests in flight: at most 4 x 64 B per 100 ns = 2.56 GB/s, well under the bus
    slow = ArchConfig(dma=tnpu.config.DmaConfig(max_outstanding=4))
    fast = tnpu.simulate_layer(FC, "FP")
    r = tnpu.simulate_layer(FC, "FP", slow)
    assert r.total_ps >= (r.dram_requests / 4) * 100_000
    assert r.total_cycles > 5 * fast.total_cycles


def test_sram_accesses_per_operand():
    r = tnpu.simulate_layer({"kind": "linear", "c": 16, "k": 16}, "FP", memory="ideal")
    # word = 16 B: the DMA writes X (64 B) and W (1 KiB) into the buffer, the unit reads W once and X once
    assert r.sram_accesses["filter"] == {"reads": 64, "writes": 64}
    assert r.sram_accesses["ifmap"] == {"reads": 4, "writes": 4}
    assert r.sram_accesses["ofmap"]["writes"] == 4


def test_deterministic():
    a = tnpu.simulate_layer(CONV, "BP").as_dict()
    b = tnpu.simulate_layer(CONV, "BP").as_dict()
    assert a == b


def test_dtype_sets_bytes():
    fp32 = tnpu.simulate_layer(FC, "FP", memory="ideal")
    fp16 = tnpu.simulate_layer(FC, "FP", ArchConfig(dtype="fp16"), memory="ideal")
    assert fp16.dram_bytes_read == pytest.approx(fp32.dram_bytes_read / 2, rel=0.01)


# ----------------------------------------------------------------------------------------------- capacity
def test_capacity_error_names_layer_and_buffer():
    tiny = ArchConfig(buffer=BufferConfig(capacity_bytes=1024, name="gbuf"))
    with pytest.raises(ConfigError, match=r"layer 'conv2_1' FP: buffer 'gbuf' \(capacity_bytes=1024"):
        tnpu.simulate_layer(CONV, "FP", tiny, name="conv2_1")


def test_given_mapping_that_does_not_fit_is_an_error():
    small = ArchConfig(buffer=BufferConfig(capacity_bytes=64 * 1024))
    with pytest.raises(ConfigError, match=r"layer 'fc' FP: buffer 'global_buffer'.*does not fit"):
        tnpu.simulate_layer(FC, "FP", small, mapping=(1, 4096, 4096, "mnk"), name="fc")


def test_partitioned_buffer_error_names_the_partition():
    part = ArchConfig(buffer=BufferConfig(capacity_bytes=4096, shared=False))
    with pytest.raises(ConfigError, match="partition"):
        tnpu.simulate_layer(CONV, "FP", part, name="c")


def test_all_phases_run_on_both_engines():
    small_conv = {"kind": "conv", "n": 2, "c": 8, "k": 16, "h": 12, "w": 12, "r": 3, "s": 3, "stride_h": 2}
    small_conv["stride_w"] = 2
    for phase in ("FP", "BP", "GD"):
        for engine in ("pu_c", "pu_f"):
            r = tnpu.simulate_layer(small_conv, phase, engine=engine)
            assert r.total_cycles >= r.compute_cycles > 0
            assert r.dram_bytes_written > 0


def test_arch_dataflow_changes_cycles():
    ws = ArchConfig(pu_c=PeArrayConfig(dataflow="ws"))
    a = tnpu.simulate_layer(CONV, "FP", memory="ideal")
    b = tnpu.simulate_layer(CONV, "FP", ws, memory="ideal")
    assert a.dataflow == "os"
    assert b.dataflow == "ws"
    assert a.compute_cycles != b.compute_cycles


def test_threads_give_the_serial_results():
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(CONV, "FP"), (FC, "FP"), (CONV, "GD"), (FC, "BP")]
    serial = [tnpu.simulate_layer(layer, phase).as_dict() for layer, phase in jobs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = list(pool.map(lambda job: tnpu.simulate_layer(*job).as_dict(), jobs))
    assert threaded == serial


def test_layer_activity_feeds_the_energy_model():
    from tnpu.energy import EnergyTable, energy_breakdown
    from tnpu.layer import layer_activity

    r = tnpu.simulate_layer(CONV, "FP")
    table = EnergyTable()
    e = energy_breakdown(layer_activity(r), table)
    assert e["mac.pu_c"] == pytest.approx(r.macs * table.mac_pj)
    assert e["dram"] == pytest.approx((r.dram_bytes_read + r.dram_bytes_written) * 8 * table.dram_pj_per_bit)
    assert e["sram.global_buffer"] > 0
    assert e["total_paper_pj"] < e["total_pj"]


def test_mapping_objectives():
    big = {
        "kind": "conv",
        "n": 1,
        "c": 256,
        "k": 256,
        "h": 56,
        "w": 56,
        "r": 3,
        "s": 3,
        "pad_h": 1,
        "pad_w": 1,
    }
    base = ArchConfig(pu_c=PeArrayConfig(rows=128, cols=128, dataflow="ws"), buffer=BufferConfig(4 << 20))
    whole = _core.PeArray(128, 128, "ws").gemm(56 * 56, 9 * 256, 256).cycles
    # ideal memory: "time" minimises compute cycles (M whole: SCALE-Sim's cycles)
    by_time = tnpu.simulate_layer(big, "FP", base.replace(mapping_objective="time"), memory="ideal")
    assert by_time.compute_cycles == whole
    # "traffic" with a loose compute slack splits M to save bytes and pays a weight preload per tile
    loose = tnpu.simulate_layer(big, "FP", base.replace(mapping_compute_slack=1.0), memory="ideal")
    assert loose.mapping["analytic_dram_bytes"] < by_time.mapping["analytic_dram_bytes"]
    assert whole < loose.compute_cycles <= 2 * whole
    # the default 5 % slack keeps the compute within 5 % of the fastest mapping
    default = tnpu.simulate_layer(big, "FP", base, memory="ideal")
    assert default.compute_cycles <= 1.05 * whole
    assert default.mapping["analytic_dram_bytes"] >= loose.mapping["analytic_dram_bytes"]
    # with a memory, "time" minimises max(compute, bytes / bandwidth)
    bytes_per_cycle = 64 * 2500 / base.memory.issue_interval_ps

    def estimate(r):
        return max(r.compute_cycles, r.mapping["analytic_dram_bytes"] / bytes_per_cycle)

    a = tnpu.simulate_layer(big, "FP", base)
    b = tnpu.simulate_layer(big, "FP", base.replace(mapping_objective="time"))
    assert estimate(b) <= estimate(a)
    with pytest.raises(ConfigError, match=r"arch\.mapping_objective: unknown objective 'speed'"):
        tnpu.simulate_layer(big, "FP", base.replace(mapping_objective="speed"))
    with pytest.raises(ConfigError, match=r"arch\.mapping_compute_slack: must be >= 0"):
        tnpu.simulate_layer(big, "FP", base.replace(mapping_compute_slack=-1.0))


def test_absurd_sizes_are_errors_not_hangs():
    with pytest.raises(ConfigError, match="too large"):
        tnpu.simulate_layer({"kind": "linear", "n": 1, "c": 2**31, "k": 4})
    with pytest.raises(ConfigError, match="too large to simulate"):
        tnpu.simulate_layer({"kind": "linear", "n": 2**30, "c": 2**30, "k": 2**30})
    with pytest.raises(ConfigError, match="too large"):
        _core.PeArray(16, 16, "os").gemm(2**41, 1, 1)
    with pytest.raises(ConfigError, match=r"layer\.c: expected a whole number >= 0 \(below 2\^63\)"):
        tnpu.simulate_layer({"kind": "linear", "c": 2**70, "k": 1})
    with pytest.raises(ConfigError, match="tiles is too many"):
        tnpu.simulate_layer(
            {"kind": "linear", "n": 8, "c": 4096, "k": 4096}, memory="ideal", mapping=(1, 1, 1, "mnk")
        )
    # a large but sane layer plans quickly (the search bounds the tiles per axis)
    r = tnpu.simulate_layer({"kind": "linear", "n": 4096, "c": 65536, "k": 65536}, "FP", memory="ideal")
    assert r.tiles <= 2**26


@settings(max_examples=30, deadline=None)
@given(
    m=st.integers(1, 8).map(lambda x: 16 * x),
    k=st.integers(1, 8).map(lambda x: 16 * x),
    n=st.integers(1, 8).map(lambda x: 16 * x),
    tiles=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
    order=st.sampled_from(["mnk", "nmk", "mkn", "kmn", "nkm", "knm"]),
    phase=st.sampled_from(["FP", "BP", "GD"]),
)
def test_property_traffic_and_timing(m, k, n, tiles, order, phase):
    # FC layer whose pass GEMM is (m, k, n) for the phase; tile sizes multiples of 16 elements (64 B in fp32)
    layer = {
        "FP": {"kind": "linear", "n": m, "c": k, "k": n},
        "BP": {"kind": "linear", "n": m, "c": n, "k": k},
        "GD": {"kind": "linear", "n": k, "c": n, "k": m},
    }[phase]
    tm, tk, tn = (16 * t for t in tiles)
    fixed = tnpu.simulate_layer(layer, phase, engine="pu_c", mapping=(tm, tk, tn, order))
    ideal = tnpu.simulate_layer(layer, phase, engine="pu_c", mapping=(tm, tk, tn, order), memory="ideal")
    assert fixed.gemm == (m, k, n)
    expect = closed_form(m, k, n, tm, tk, tn, order)
    assert fixed.dram_bytes_by_operand == ideal.dram_bytes_by_operand == expect
    assert fixed.dram_bytes_read + fixed.dram_bytes_written == sum(expect.values())
    assert fixed.compute_cycles == ideal.compute_cycles == ideal.total_cycles
    # memory time: at least the bus time of every request, plus one latency
    bus_ps = fixed.dram_requests * 3743
    assert fixed.total_ps >= max(bus_ps, fixed.compute_cycles * 2500)
    assert fixed.stall_cycles > 0


def test_double_buffering_overlaps_loads_with_compute():
    mapping = (224, 576, 32, "mnk")
    db = tnpu.simulate_layer(CONV, "FP", mapping=mapping)
    single = tnpu.simulate_layer(
        CONV, "FP", ArchConfig(buffer=BufferConfig(double_buffering=False)), mapping=mapping
    )
    assert db.compute_cycles == single.compute_cycles
    assert db.dram_bytes_read == single.dram_bytes_read
    # without a second buffer every tile waits for its own loads: at least one memory latency per tile
    assert single.total_ps - db.total_ps >= (db.tiles - 2) * 100_000
    assert db.mapping["buffer_bytes"] == 2 * single.mapping["buffer_bytes"]


def test_accumulate_reads_every_output_tile_once_more():
    # per-sample FC GD (outer product) accumulating dW in DRAM: dW is read and written once per sample
    layer = {"kind": "linear", "n": 1, "c": 256, "k": 128}
    plain = tnpu.simulate_layer(layer, "GD", memory="ideal", mapping=(64, 1, 64, "mnk"))
    acc = tnpu.simulate_layer(layer, "GD", memory="ideal", mapping=(64, 1, 64, "mnk"), accumulate=True)
    assert plain.dram_bytes_by_operand["c_read"] == 0
    assert acc.dram_bytes_by_operand["c_read"] == acc.dram_bytes_by_operand["c_write"] == 128 * 256 * 4
    assert acc.mapping["analytic_c_read_bytes"] == 128 * 256 * 4
    # with k split and not innermost, partial sums are read T_k - 1 times plus once for the accumulation
    layer_b = {"kind": "linear", "n": 32, "c": 64, "k": 64}
    r = tnpu.simulate_layer(layer_b, "GD", memory="fixed", mapping=(16, 16, 64, "kmn"), accumulate=True)
    assert r.dram_bytes_by_operand["c_read"] == 64 * 64 * 4 * 2
    fixed = tnpu.simulate_layer(layer, "GD", accumulate=True)
    assert fixed.stall_cycles > tnpu.simulate_layer(layer, "GD").stall_cycles


def test_dram_model_end_to_end():
    # the DMA drives the cycle-level DRAM controller: one DDR4-2133 x64 channel is TNPU's 17.06 GB/s bus
    dram = ArchConfig(memory=MemoryConfig(model="dram", dram="ddr4-2133"))
    conv, fc = tnpu.simulate_layer(CONV, "FP", dram), tnpu.simulate_layer(FC, "FP", dram)
    fixed_fc = tnpu.simulate_layer(FC, "FP")
    assert conv.memory_model == fc.memory_model == "dram"
    assert conv.stall_cycles < 0.02 * conv.total_cycles  # compute-bound
    assert fc.stall_cycles > 0.4 * fc.compute_cycles  # memory-bound
    # the same plan moves the same bytes whatever the memory model
    assert fc.dram_bytes_read == fixed_fc.dram_bytes_read
    # a real DRAM (refresh, row misses, bus turnarounds) is slower than the ideal bus at the same peak
    assert fc.total_cycles > fixed_fc.total_cycles
    # a slower part (DDR3-1600, 12.8 GB/s) slows the FC pass, not the conv pass
    slow = ArchConfig(memory=MemoryConfig(model="dram", dram="ddr3-1600"))
    assert tnpu.simulate_layer(FC, "FP", slow).total_cycles > 1.05 * fc.total_cycles
    assert tnpu.simulate_layer(CONV, "FP", slow).total_cycles < 1.02 * conv.total_cycles
    assert tnpu.simulate_layer(FC, "FP", dram).as_dict() == fc.as_dict()  # deterministic


def test_dram_model_errors():
    with pytest.raises(ConfigError, match=r"arch\.memory\.dram"):
        tnpu.simulate_layer(FC, "FP", ArchConfig(memory=MemoryConfig(model="dram", dram="ddr9-9999")))
    wrong = ArchConfig(memory=MemoryConfig(model="dram"), dma=tnpu.config.DmaConfig(request_bytes=128))
    with pytest.raises(ConfigError, match=r"arch\.dma\.request_bytes: 128 must equal the DRAM burst"):
        tnpu.simulate_layer(FC, "FP", wrong)
