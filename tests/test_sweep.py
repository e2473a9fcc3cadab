"""Sweeps: points and ids, the layer evaluator, executors (serial, process pool, Dask), Parquet streaming, resume."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tnpu
from tnpu import sweep as sw
from tnpu.cli import main

SPACE = {"arch.pu_c.rows": [8, 16], "memory.bandwidth_gbps": [8.55, 17.1]}
WORKLOADS = ["lenet5", "mpcnn"]


def _pq():
    return pytest.importorskip("pyarrow.parquet")


# -- points ---------------------------------------------------------------------------------------------------------


def test_points_are_the_product_with_ids_independent_of_dict_order():
    a = sw.make_points({"x.a": [1, 2, 3], "x.b": ["p", "q"]}, ["w1", "w2"], "layer")
    b = sw.make_points({"x.b": ["p", "q"], "x.a": [1, 2, 3]}, ["w1", "w2"], "layer")
    assert len(a) == 2 * 3 * 2
    assert [p["id"] for p in a] == [p["id"] for p in b]
    assert len({p["id"] for p in a}) == len(a)
    # workloads outermost, then parameters by sorted path, values in the given order
    assert [(p["workload"], p["params"]["x.a"], p["params"]["x.b"]) for p in a[:3]] == [
        ("w1", 1, "p"),
        ("w1", 1, "q"),
        ("w1", 2, "p"),
    ]
    assert sw.fingerprint(a) == sw.fingerprint(list(reversed(b)))


def test_point_id_depends_on_every_part_of_the_point():
    base = sw.point_id("layer", "lenet5", {"a": 1})
    assert base == sw.point_id("layer", "lenet5", {"a": 1})
    assert len({base, sw.point_id("other", "lenet5", {"a": 1}), sw.point_id("layer", "mpcnn", {"a": 1})}) == 3
    assert base != sw.point_id("layer", "lenet5", {"a": 2})
    assert base != sw.point_id("layer", "lenet5", {"a": 1, "b": 1})


def test_mixed_int_and_float_values_become_floats_and_scalars_are_fixed():
    points = sw.make_points({"memory.bandwidth_gbps": [8, 17.1], "batch": 2}, ["lenet5"])
    assert [p["params"]["memory.bandwidth_gbps"] for p in points] == [8.0, 17.1]
    assert all(p["params"]["batch"] == 2 for p in points)


@pytest.mark.parametrize(
    ("space", "workloads", "message"),
    [
        ({"arch.pu_c.rowz": [8]}, ["lenet5"], "space.arch.pu_c.rowz: unknown field of arch.pu_c"),
        ({"arch.gpu.rows": [8]}, ["lenet5"], "space.arch.gpu.rows: unknown part"),
        ({"frobnicate": [1]}, ["lenet5"], "space.frobnicate: unknown parameter"),
        ({"scheduler.window": [4]}, ["lenet5"], "space.scheduler.window"),
        ({"arch.pu_c.rows": []}, ["lenet5"], "space.arch.pu_c.rows: expected a non-empty list"),
        ({"arch.pu_c.rows": [8, "16"]}, ["lenet5"], "space.arch.pu_c.rows: all values must be of one type"),
        ({"arch.pu_c.rows": [8, 8]}, ["lenet5"], "space.arch.pu_c.rows: repeated value"),
        ({"arch.pu_c.rows": [0]}, ["lenet5"], "arch.pu_c.rows: must be at least 1"),
        (
            {"memory.bandwidth_gbps": [float("nan")]},
            ["lenet5"],
            "space.memory.bandwidth_gbps: expected finite",
        ),
        ({"dram.preset": ["ddr9"]}, ["lenet5"], "space.dram.preset: unknown DRAM preset 'ddr9'"),
        ({"batch": [0]}, ["lenet5"], "space.batch: expected a whole number >= 1"),
        ({"phases": ["FP,XX"]}, ["lenet5"], "space.phases"),
        ({"memory.model": ["fixed"], "arch.memory.model": ["ideal"]}, ["lenet5"], "sets the same field"),
        ({"workload": ["x"]}, ["lenet5"], "space.workload: reserved"),
        ({}, ["lenett5"], "workloads: unknown network 'lenett5'"),
        ({}, [], "workloads: expected a non-empty list"),
    ],
)
def test_bad_space_is_refused_before_anything_runs_naming_the_field(space, workloads, message):
    with pytest.raises(tnpu.ConfigError) as info:
        sw.sweep(space, workloads, sw.SerialExecutor(), progress=False)
    assert message in str(info.value)


def test_unknown_evaluator_lists_the_known_ones():
    with pytest.raises(tnpu.ConfigError, match=r"unknown evaluator 'nope' \(known: .*layer"):
        sw.sweep({}, ["lenet5"], evaluator="nope")


# -- the layer evaluator ------------------------------------------------------------------------------------------


def test_layer_evaluator_sums_the_layer_passes():
    from tnpu.config import ArchConfig, PeArrayConfig
    from tnpu.workloads import LayerKind, get_network

    (row,) = sw.sweep({"arch.pu_c.rows": 8, "phases": "FP"}, ["lenet5"], sw.SerialExecutor(), progress=False)
    arch = ArchConfig(pu_c=PeArrayConfig(rows=8))
    passes = [
        tnpu.simulate_layer(layer.layer_shape(1), "FP", arch)
        for layer in get_network("lenet5").layers
        if layer.kind in (LayerKind.CONV, LayerKind.LINEAR)
    ]
    assert row["passes"] == len(passes) == 5
    assert row["total_cycles"] == sum(p.total_cycles for p in passes)
    assert row["macs"] == sum(p.macs for p in passes) == get_network("lenet5").forward_macs
    assert row["dram_bytes_read"] == sum(p.dram_bytes_read for p in passes)
    assert (
        row["total_cycles"]
        == row["compute_cycles"] + row["stall_cycles"]
        == row["pu_c_cycles"] + row["pu_f_cycles"]
    )
    assert row["energy_j"] > row["energy_paper_j"] > 0
    assert row["error"] is None


def test_layer_evaluator_follows_the_physics():
    rows = sw.sweep(
        {"memory.bandwidth_gbps": [4.0, 17.1], "arch.pu_c.rows": [8, 32], "phases": "FP,BP,GD"},
        ["alexnet"],
        sw.SerialExecutor(),
        progress=False,
    )
    by = {(r["memory.bandwidth_gbps"], r["arch.pu_c.rows"]): r for r in rows}
    # less bandwidth: more stall, same work and traffic
    assert by[4.0, 32]["stall_cycles"] > by[17.1, 32]["stall_cycles"]
    assert by[4.0, 8]["macs"] == by[17.1, 8]["macs"]
    # a bigger PU-c array: fewer PU-c cycles, PU-f untouched
    assert by[17.1, 32]["pu_c_cycles"] < by[17.1, 8]["pu_c_cycles"]
    assert by[17.1, 32]["pu_f_cycles"] == by[17.1, 8]["pu_f_cycles"]


def test_infeasible_points_are_rows_with_the_reason():
    rows = sw.sweep({"arch.buffer.capacity_bytes": [1024, 524288]}, ["lenet5"], sw.SerialExecutor())
    small, big = rows
    assert "no mapping fits" in small["error"]
    assert small["total_cycles"] is None
    assert big["error"] is None
    assert big["total_cycles"] > 0


def test_dram_preset_selects_the_dram_model_and_its_burst():
    rows = sw.sweep({"dram.preset": ["ddr4-2400", "hbm2"], "phases": "FP"}, ["lenet5"], sw.SerialExecutor())
    assert [r["error"] for r in rows] == [None, None]
    arch = sw.layer_arch({"dram.preset": "hbm2"})
    assert arch.memory.model == "dram"
    assert arch.dma.request_bytes == arch.memory.dram.to_spec().line_bytes == 32
    assert rows[0]["time_s"] != rows[1]["time_s"]


# -- executors ------------------------------------------------------------------------------------------------------


def test_serial_process_pool_and_dask_give_identical_rows():
    serial = sw.sweep(SPACE, WORKLOADS, sw.SerialExecutor(), progress=False)
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        pooled = sw.sweep(SPACE, WORKLOADS, pool, progress=False)
    default = sw.sweep(SPACE, WORKLOADS, progress=False)  # own process pool
    assert serial == pooled == default
    assert len(serial) == 2 * 2 * 2
    assert len({r["total_cycles"] for r in serial}) > 1

    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask_rows = sw.sweep(SPACE, WORKLOADS, client.get_executor(), progress=False)
    assert dask_rows == serial


# -- Parquet output -------------------------------------------------------------------------------------------------


def test_parquet_output_has_every_point_once_and_resume_reuses_it(tmp_path):
    pq = _pq()
    out = tmp_path / "r.parquet"
    stats = sw.SweepStats()
    rows = sw.sweep(SPACE, WORKLOADS, sw.SerialExecutor(), out=out, stats=stats)
    assert (stats.points, stats.computed, stats.reused) == (8, 8, 0)
    assert out.is_file()
    assert not Path(f"{out}.parts").exists()
    assert not Path(f"{out}.lock").exists()
    table = pq.read_table(out)
    assert table.num_rows == 8
    assert sorted(table.column("point_id").to_pylist()) == sorted(
        p["id"] for p in sw.make_points(SPACE, WORKLOADS)
    )
    assert sw.read_results(out) == rows == sw.sweep(SPACE, WORKLOADS, sw.SerialExecutor())
    manifest = json.loads(table.schema.metadata[b"tnpu.sweep"])
    assert manifest["points"] == 8
    assert manifest["evaluator"] == "layer"

    again = sw.sweep(SPACE, WORKLOADS, sw.SerialExecutor(), out=out, stats=stats)
    assert (stats.computed, stats.reused) == (0, 8)
    assert again == rows

    sw.sweep(SPACE, WORKLOADS, sw.SerialExecutor(), out=out, stats=stats, resume=False)
    assert (stats.computed, stats.reused) == (8, 0)


def test_a_different_sweep_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "r.parquet"
    _pq()
    first = sw.sweep(SPACE, WORKLOADS, sw.SerialExecutor(), out=out)
    with pytest.raises(tnpu.ConfigError, match=r"holds a different sweep.*--force"):
        sw.sweep({"arch.pu_c.rows": [8]}, WORKLOADS, sw.SerialExecutor(), out=out)
    assert sw.read_results(out) == first  # untouched
    rows = sw.sweep({"arch.pu_c.rows": [8]}, WORKLOADS, sw.SerialExecutor(), out=out, force=True)
    assert sw.read_results(out) == rows
    assert len(rows) == 2

    other = tmp_path / "not_a_sweep.parquet"
    other.write_text("hello")
    with pytest.raises(tnpu.ConfigError, match="not a readable Parquet file"):
        sw.sweep(SPACE, WORKLOADS, sw.SerialExecutor(), out=other)
    assert other.read_text() == "hello"


def test_resume_after_a_kill_between_final_file_and_parts_cleanup(tmp_path):
    """A kill after the final file was renamed in but before the parts were removed: both hold the rows."""
    out = tmp_path / "r.parquet"
    pq = _pq()
    rows = sw.sweep(SPACE, WORKLOADS, sw.SerialExecutor(), out=out)
    parts = Path(f"{out}.parts")
    parts.mkdir()
    shutil.copy(out, parts / "part-0001.parquet")
    (parts / "_sweep.json").write_text(pq.read_schema(out).metadata[b"tnpu.sweep"].decode())
    (parts / "part-0002.parquet.tmp").write_bytes(b"half a file")  # a write cut short
    stats = sw.SweepStats()
    again = sw.sweep(SPACE, WORKLOADS, sw.SerialExecutor(), out=out, stats=stats)
    assert (stats.computed, stats.reused) == (0, 8)
    assert again == rows
    assert not parts.exists()


def test_a_failing_evaluator_stops_the_sweep_and_keeps_finished_rows(tmp_path):
    _pq()
    calls = []

    def flaky(point):
        calls.append(point["id"])
        if len(calls) == 3:
            raise RuntimeError("boom")
        return {"value": point["params"]["x"] * 2}

    sw.register_evaluator("test-flaky", flaky, replace=True)
    out = tmp_path / "r.parquet"
    with pytest.raises(
        tnpu.SimulationError, match=r"evaluator 'test-flaky' failed on point .*RuntimeError: boom"
    ):
        sw.sweep(
            {"x": [1, 2, 3, 4]}, ["w"], sw.SerialExecutor(), out=out, evaluator="test-flaky", flush_seconds=0
        )
    calls.clear()
    stats = sw.SweepStats()
    rows = sw.sweep(
        {"x": [1, 2, 3, 4]}, ["w"], sw.SerialExecutor(), out=out, evaluator="test-flaky", stats=stats
    )
    assert (stats.reused, stats.computed) == (2, 2)
    assert [r["value"] for r in rows] == [2, 4, 6, 8]


def test_an_evaluator_must_return_scalars_with_fresh_names():
    sw.register_evaluator("test-bad", lambda p: {"x": [1, 2]}, replace=True)
    with pytest.raises(tnpu.SimulationError, match="result 'x' is not a scalar"):
        sw.sweep({}, ["w"], sw.SerialExecutor(), evaluator="test-bad")
    sw.register_evaluator("test-clash", lambda p: {"workload": 1}, replace=True)
    with pytest.raises(tnpu.SimulationError, match="name of a parameter"):
        sw.sweep({}, ["w"], sw.SerialExecutor(), evaluator="test-clash")
    with pytest.raises(tnpu.ConfigError, match="already registered"):
        sw.register_evaluator("layer", sw.evaluate_layers)


# -- kill -9 and resume ---------------------------------------------------------------------------------------------

KILL_SPACE = {"memory.model": "dram", "batch": [1, 2, 3, 4, 5, 6, 7, 8], "arch.pu_c.rows": [8, 16, 32]}
KILL_WORKLOADS = ["lenet5", "mpcnn"]


def _finished_rows(parts: Path) -> int:
    pq = _pq()
    total = 0
    for path in parts.glob("part-*.parquet"):
        with contextlib.suppress(OSError):  # renamed away by a finishing sweep
            total += pq.read_metadata(path).num_rows
    return total


def test_a_sweep_killed_midway_resumes_with_every_point_exactly_once(tmp_path):
    _pq()
    out = tmp_path / "kill.parquet"
    parts = Path(f"{out}.parts")
    script = (
        "import concurrent.futures as cf, json, sys\n"
        "from tnpu.sweep import sweep\n"
        "space, workloads, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]\n"
        "with cf.ProcessPoolExecutor(max_workers=2) as pool:\n"
        "    sweep(space, workloads, pool, out=out, flush_seconds=0, progress=False)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, json.dumps(KILL_SPACE), json.dumps(KILL_WORKLOADS), str(out)],
        start_new_session=True,  # its own process group: the kill takes the pool workers too
    )
    total = len(sw.make_points(KILL_SPACE, KILL_WORKLOADS))
    try:
        deadline = time.monotonic() + 120
        while _finished_rows(parts) < 5:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no rows written within 120 s"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()  # killed before the end: only part files
    stored = _finished_rows(parts)
    assert 5 <= stored < total

    stats = sw.SweepStats()
    rows = sw.sweep(KILL_SPACE, KILL_WORKLOADS, sw.SerialExecutor(), out=out, stats=stats)
    assert stats.reused >= stored  # (a last part file may have landed between counting and the kill)
    assert stats.reused + stats.computed == total
    ids = [r["point_id"] for r in sw.read_results(out)]
    assert len(ids) == len(set(ids)) == total
    assert rows == sw.sweep(KILL_SPACE, KILL_WORKLOADS, sw.SerialExecutor())  # the same values as a clean run
    assert not parts.exists()


# -- spec files and the command -------------------------------------------------------------------------------------

SPEC = """\
[sweep]
workloads = ["lenet5", "mpcnn"]

[space]
"arch.pu_c.rows" = [8, 16]
memory.bandwidth_gbps = [8.55, 17.1]
"""


def test_spec_nested_tables_and_quoted_keys_are_the_same_paths(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    loaded = sw.load_spec(spec)
    assert loaded.space == SPACE
    assert loaded.workloads == WORKLOADS
    assert loaded.evaluator == "layer"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sweep]\nworkloads = ['lenet5']\nworkers = 2\n", "sweep.workers: unknown field"),
        ("[sweep]\nworkloads = []\n", "sweep.workloads: expected a non-empty list"),
        ("[space]\nbatch = [1]\n", "sweep: missing [sweep] table"),
        ("[sweep]\nworkloads = ['lenet5']\n[spaces]\n", "unknown table(s) spaces"),
        ("[sweep]\nworkloads = ['lenet5']\n[space]\n'arch.pu_c.rowz' = [1]\n", "space.arch.pu_c.rowz"),
        (
            "[sweep]\nworkloads = ['lenet5']\n[space]\n'arch.pu_c.rows' = [1]\n[space.arch.pu_c]\nrows = [2]\n",
            "space.arch.pu_c.rows: given twice",
        ),
        ("[sweep]\nworkloads = ['alexnett']\n", "sweep.workloads: unknown network 'alexnett'"),
        (
            "[sweep]\nworkloads = ['lenet5']\nevaluator = 'nope'\n",
            "sweep.evaluator: unknown evaluator 'nope'",
        ),
        ("[sweep\n", "not valid TOML"),
    ],
)
def test_bad_spec_files_name_the_file_and_field(tmp_path, capsys, text, message):
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    with pytest.raises(tnpu.ConfigError) as info:
        sw.load_spec(spec)
    assert str(info.value).startswith(f"{spec}: ")
    assert message in str(info.value)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o.parquet")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


def test_sweep_command_runs_resumes_and_refuses_a_different_sweep(tmp_path, capsys):
    _pq()
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    out = tmp_path / "r.parquet"
    assert main(["sweep", str(spec), "--workers", "2", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["points"], result["computed"], result["reused"]) == (8, 8, 0)
    assert result["rows"] == sw.read_results(out)
    assert main(["sweep", str(spec), "--workers", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "8 points (0 computed, 8 reused, 0 infeasible)" in text
    assert "lenet5" in text
    spec.write_text(SPEC.replace("[8, 16]", "[8, 32]"))
    assert main(["sweep", str(spec), "--workers", "1", "--out", str(out), "--quiet"]) == 1
    assert "holds a different sweep" in capsys.readouterr().err
    assert main(["sweep", str(spec), "--workers", "1", "--out", str(out), "--quiet", "--force"]) == 0
    assert "8 points (8 computed" in capsys.readouterr().out


def test_example_spec_is_valid():
    spec = sw.load_spec(Path(__file__).resolve().parents[1] / "examples" / "sweep_layers.toml")
    assert len(sw.make_points(spec.space, spec.workloads)) == 108
