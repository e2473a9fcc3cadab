"""Absurd configurations get a clear error naming the field; a run that cannot finish says what is stuck.

Covers the DRAM configuration (fields, presets' TOML files, DRAMsim3 ``.ini``), the datapath configuration
(``tnpu.config``), layer shapes, compute traces with a dependency cycle and a deadlocked scheduler queue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tnpu
from tnpu.config import (
    ArchConfig,
    BufferConfig,
    ClockConfig,
    DmaConfig,
    MemoryConfig,
    PeArrayConfig,
    VectorUnitConfig,
)
from tnpu.dram import DramConfig, load_dram_config
from tnpu.errors import ConfigError, SimulationError, TraceFormatError
from tnpu.schedule import run_schedule
from tnpu.workloads import TrainingGraph, get_network
from tnpu.workloads.traces import read_compute_trace, write_compute_trace

DATA = Path(__file__).resolve().parent / "data" / "readers"
U32 = r"expected a whole number in 0\.\.4294967295"

# ------------------------------------------------------------------------------------------------------- DRAM


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bankgroups", 0, r"dram\.bankgroups: must be at least 1 \(got 0\)"),
        ("banks_per_group", 0, r"dram\.banks_per_group: must be at least 1 \(got 0\)"),
        ("rows", 2**40, rf"dram\.rows: {U32}, got 1099511627776"),
        ("rows", 0, r"dram\.rows: must be at least 1"),
        ("rows", -1, rf"dram\.rows: {U32}, got -1"),
        ("columns", -1024, rf"dram\.columns: {U32}, got -1024"),
        ("channels", 0, r"dram\.channels: must be at least 1"),
        ("ranks", 2**33, rf"dram\.ranks: {U32}, got 8589934592"),
        ("read_queue_size", 0, r"dram\.read_queue_size: must be at least 1"),
        ("bus_width", 0, r"dram\.bus_width: must be at least 1"),
        ("tck_ps", 0, r"dram\.tck_ps: must be at least 1"),
        ("tck_ps", -833, r"dram\.tck_ps: expected a whole number in 0\.\.18446744073709551615, got -833"),
        ("tck_ps", 833.5, r"dram\.tck_ps: expected a whole number, got 833\.5"),
        ("tCL", "17", r"dram\.tCL: expected a whole number, got '17'"),
        ("vdd", -1.2, r"dram\.vdd: must be >= 0"),
        ("vdd", float("nan"), r"dram\.vdd: must be >= 0"),
        ("page_policy", 3, r"dram\.page_policy: expected text, got 3"),
    ],
)
def test_absurd_dram_fields_are_named(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DramConfig().replace(**{field: value}).validate()
    with pytest.raises(ConfigError, match=message):
        load_dram_config("ddr4-2400", {field: value})


def test_an_organisation_beyond_64_address_bits_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"dram: organisation gives a capacity of 2\^\d+ B"):
        DramConfig(rows=2**31, columns=2**31, ranks=64).validate()


def test_dram_files_name_the_file_and_the_field(tmp_path: Path) -> None:
    toml = tmp_path / "zero.toml"
    toml.write_text('standard = "ddr4"\n[organisation]\nbankgroups = 0\n')
    with pytest.raises(ConfigError, match=rf"{toml}: dram\.bankgroups: must be at least 1"):
        load_dram_config(toml)
    toml.write_text("rows = 1099511627776\n")
    with pytest.raises(ConfigError, match=rf"{toml}: dram\.rows: {U32}"):
        load_dram_config(toml)
    ini = tmp_path / "d.ini"
    sample = (DATA / "DDR4_8Gb_x8_2400.ini").read_text()
    ini.write_text(sample.replace("banks_per_group = 4", "banks_per_group = 0"))
    with pytest.raises(ConfigError, match=rf"{ini}:\d+: .*banks_per_group"):
        load_dram_config(ini)
    ini.write_text(sample.replace("rows = 65536", "rows = 1099511627776"))
    with pytest.raises(ConfigError, match=rf"{ini}: "):
        load_dram_config(ini)


@pytest.mark.parametrize(
    ("tck", "message"),
    [
        ("0", r"\[timing\] tCK: must be > 0 ns"),
        ("-0.83", r"\[timing\] tCK: must be > 0 ns"),
        ("0.0001", r"\[timing\] tCK: 0\.0001 ns is not a whole number of picoseconds within 1 %"),
        ("0.0015", r"\[timing\] tCK: 0\.0015 ns is not a whole number of picoseconds within 1 %"),
        ("nan", r"\[timing\] tCK: expected a finite number"),
    ],
)
def test_dramsim3_clock_periods_that_do_not_fit_picoseconds(tmp_path: Path, tck: str, message: str) -> None:
    ini = tmp_path / "d.ini"
    ini.write_text((DATA / "DDR4_8Gb_x8_2400.ini").read_text().replace("tCK = 0.83", f"tCK = {tck}"))
    with pytest.raises(ConfigError, match=message):
        load_dram_config(ini)


def test_real_dramsim3_clock_periods_still_round_to_picoseconds(tmp_path: Path) -> None:
    ini = tmp_path / "d.ini"
    sample = (DATA / "DDR4_8Gb_x8_2400.ini").read_text()
    for tck, ps in (("0.83", 830), ("0.9375", 938), ("0.625", 625), ("1.25", 1250)):
        ini.write_text(sample.replace("tCK = 0.83", f"tCK = {tck}"))
        assert load_dram_config(ini).tck_ps == ps


# --------------------------------------------------------------------------------------------------- datapath


@pytest.mark.parametrize(
    ("arch", "message"),
    [
        (ArchConfig(pu_c=PeArrayConfig(rows=0)), r"arch\.pu_c\.rows: must be at least 1, got 0"),
        (ArchConfig(pu_c=PeArrayConfig(cols=-4)), r"arch\.pu_c\.cols: must be at least 1, got -4"),
        (ArchConfig(pu_c=PeArrayConfig(rows=2**40)), r"arch\.pu_c\.rows: must be at most 65536"),
        (ArchConfig(pu_c=PeArrayConfig(dataflow="xy")), r"arch\.pu_c\.dataflow: unknown dataflow 'xy'"),
        (ArchConfig(pu_f=VectorUnitConfig(lanes=0)), r"arch\.pu_f\.lanes: must be at least 1"),
        (
            ArchConfig(buffer=BufferConfig(capacity_bytes=0)),
            r"arch\.buffer\.capacity_bytes: must be at least 1",
        ),
        (
            ArchConfig(buffer=BufferConfig(capacity_bytes=-1)),
            r"arch\.buffer\.capacity_bytes: must be at least 1",
        ),
        (
            ArchConfig(buffer=BufferConfig(capacity_bytes=2**70)),
            r"arch\.buffer\.capacity_bytes: must be at most",
        ),
        (ArchConfig(buffer=BufferConfig(banks=0)), r"arch\.buffer\.banks: must be at least 1"),
        (ArchConfig(dma=DmaConfig(request_bytes=-1)), r"arch\.dma\.request_bytes: must be at least 0"),
        (ArchConfig(memory=MemoryConfig(queue_depth=0)), r"arch\.memory\.queue_depth: must be at least 1"),
        (
            ArchConfig(memory=MemoryConfig(bandwidth_gbps=0)),
            r"arch\.memory\.bandwidth_gbps: must be greater than 0",
        ),
        (
            ArchConfig(memory=MemoryConfig(bandwidth_gbps=1e-300)),
            r"arch\.memory\.bandwidth_gbps: .* below the",
        ),
        (ArchConfig(memory=MemoryConfig(latency_ps=2**70)), r"arch\.memory\.latency_ps: must be at most"),
        (ArchConfig(memory=MemoryConfig(latency_ps=-1)), r"arch\.memory\.latency_ps: must be at least 0"),
        (ArchConfig(clock=ClockConfig(0.0)), r"arch\.clock\.frequency_mhz: must be greater than 0"),
        (ArchConfig(clock=ClockConfig(-400.0)), r"arch\.clock\.frequency_mhz: must be greater than 0"),
        (
            ArchConfig(clock=ClockConfig(float("nan"))),
            r"arch\.clock\.frequency_mhz: expected a finite number",
        ),
        (
            ArchConfig(clock=ClockConfig(300.0)),
            r"arch\.clock\.frequency_mhz: 300\.0 MHz .* whole number of pico",
        ),
        (ArchConfig(clock=ClockConfig(1e7)), r"arch\.clock\.frequency_mhz: .* period of 0\.1 ps"),
        (ArchConfig(clock=ClockConfig(1e-300)), r"arch\.clock\.frequency_mhz: .* at most 1000000000000 ps"),
        (ArchConfig(dtype="fp7"), r"arch\.dtype: unknown data type 'fp7'"),
    ],
)
def test_absurd_datapath_configs_are_named(arch: ArchConfig, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        arch.validate()
    conv = {"kind": "conv", "n": 1, "c": 8, "k": 8, "h": 8, "w": 8, "r": 3, "s": 3}
    with pytest.raises(ConfigError, match=message):  # the simulation entry point validates the same way
        tnpu.simulate_layer(conv, "FP", arch)


def test_a_buffer_smaller_than_one_tile_says_what_one_tile_needs() -> None:
    conv = {
        "kind": "conv",
        "n": 1,
        "c": 64,
        "k": 64,
        "h": 56,
        "w": 56,
        "r": 3,
        "s": 3,
        "pad_h": 1,
        "pad_w": 1,
    }
    arch = ArchConfig(buffer=BufferConfig(capacity_bytes=64))
    with pytest.raises(ConfigError, match=r"capacity_bytes=64.*no mapping fits; the smallest tile .* needs"):
        tnpu.simulate_layer(conv, "FP", arch)


CONV = {"kind": "conv", "n": 1, "c": 16, "k": 16, "h": 14, "w": 14, "r": 3, "s": 3}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"c": 0}, r"c must be at least 1 \(got 0\)"),
        ({"k": 0}, r"k must be at least 1"),
        ({"n": 0}, r"n must be at least 1"),
        ({"h": -1}, r"layer\.h: expected a whole number >= 0"),
        ({"w": 2**40}, r"w=1099511627776 is too large"),
        ({"k": 2**62}, r"k=4611686018427387904 is too large"),
        ({"stride_h": 0}, r"stride_h must be at least 1"),
        ({"r": 100}, r"filter height r=100 .* exceeds h \+ 2\*pad_h = 14"),
        ({"kind": "pool"}, r"layer\.kind: expected 'conv' or 'linear'"),
    ],
)
def test_absurd_layer_shapes_are_named(change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tnpu.simulate_layer({**CONV, **change}, "FP")


# ---------------------------------------------------------------------------------------- runs that cannot end


def test_a_dependency_cycle_in_a_compute_trace_names_the_tasks(tmp_path: Path) -> None:
    arrays = TrainingGraph(get_network("lenet5"), batch=2).to_arrays()
    path = tmp_path / "cyclic.csv"
    write_compute_trace(arrays, path)
    lines = path.read_text().splitlines()
    # Task 0 (FP of the first layer) now waits for task 5, which depends on it through tasks 1..4.
    first = next(i for i, line in enumerate(lines) if line.startswith("0,"))
    fields = lines[first].split(",")
    fields[13] = "5"
    lines[first] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        TraceFormatError, match=r"cyclic\.csv: .*cycle through task ids 0 -> 1 -> .* -> 5 -> 0"
    ):
        read_compute_trace(path)
    # The same graph handed straight to the scheduler front end is refused too, never run.
    arrays.dep_offsets = np.concatenate(([0], arrays.dep_offsets[1:] + 1))
    arrays.dep_ids = np.concatenate(([5], arrays.dep_ids))
    with pytest.raises(ConfigError, match=r"cycle through task ids 0 -> "):
        arrays.schedule_arrays()


def test_dependencies_against_program_order_are_refused_by_the_scheduler() -> None:
    with pytest.raises(ConfigError, match=r"task 0 .* depends on task 1 .* does not come before it"):
        run_schedule(
            instance=[0, 0], layer=[0, 1], phase=[0, 0], task_class=[0, 0], dep_offsets=[0, 1, 2], dep_ids=[1, 0],
            duration_ps=[1, 1], engines=("pe",), engine_of_class=(0, 0), scheduler="inorder",
        )  # fmt: skip


def test_a_deadlocked_queue_reports_what_was_stuck() -> None:
    # reorder with a window of one instance: instance 0 cannot finish before task 1 of instance 1, which the
    # window never admits while instance 0 is in flight.
    with pytest.raises(
        SimulationError,
        match=r"simulation stuck: 2 of 3 tasks never finished under scheduler 'reorder'; first ones: "
        r"task 1 \(i1 FP layer 0\) ready, never picked; task 2 \(i0 FP layer 1\) waits for 1 tasks",
    ):
        run_schedule(
            instance=[0, 1, 0], layer=[0, 0, 1], phase=[0, 0, 0], task_class=[0, 0, 0], dep_offsets=[0, 0, 0, 1],
            dep_ids=[1], duration_ps=[10, 10, 10], engines=("pu_c", "pu_f"), engine_of_class=(0, 1),
            scheduler="reorder", window=1,
        )  # fmt: skip


def test_zero_length_tasks_pass_the_schedule_validator() -> None:
    # Found by fuzz/fuzz_task_graph: a zero-length task that ran at t, then a task that started at t on the same
    # engine, was reported as running "at once" (the validator ordered tasks by start time only).
    for scheduler in ("reorder", "split", "inorder"):
        s = run_schedule(
            instance=[0, 0, 1], layer=[0, 1, 0], phase=[0, 0, 0], task_class=[1, 0, 0], dep_offsets=[0, 0, 1, 1],
            dep_ids=[0], duration_ps=[0, 5, 0], engines=("pu_c", "pu_f"), engine_of_class=(0, 1),
            scheduler=scheduler,
        )  # fmt: skip
        assert s.makespan_ps == 5
        assert s.start_ps[1] == 0
