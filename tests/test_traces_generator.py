"""Trace generator and writer: pattern properties, determinism, round trips through every format, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tnpu import cli, traces
from tnpu.errors import ConfigError, TraceFormatError


def _gen(pattern: str, n: int, **kw: object) -> np.ndarray:
    return np.concatenate(list(traces.generate_dram_trace(pattern, n, **kw)))  # type: ignore[arg-type]


def _read(path: Path) -> np.ndarray:
    return np.concatenate(list(traces.read_dram_trace(path)))


def test_sequential_is_line_after_line_and_wraps_in_its_span() -> None:
    cfg = traces.PatternConfig(base_address=0x1000, span_bytes=64 * 100)
    r = _gen("sequential", 250, config=cfg)
    expected = 0x1000 + (np.arange(250) % 100) * 64
    assert np.array_equal(r["address"], expected.astype(np.uint64))
    assert not r["command"].any()
    assert np.array_equal(r["line"], np.arange(1, 251, dtype=np.uint64))


def test_random_is_aligned_inside_its_window_and_covers_it() -> None:
    cfg = traces.PatternConfig(base_address=1 << 20, span_bytes=1 << 16)
    r = _gen("random", 20_000, config=cfg)
    a = r["address"]
    assert (a % 64 == 0).all()
    assert a.min() >= 1 << 20
    assert a.max() < (1 << 20) + (1 << 16)
    assert len(np.unique(a)) == (1 << 16) // 64  # 1024 lines, 20000 draws: all hit


def test_strided_steps_by_the_stride_modulo_the_span() -> None:
    cfg = traces.PatternConfig(stride_bytes=256 << 10, span_bytes=1 << 30)
    r = _gen("strided", 5000, config=cfg)
    assert np.array_equal(r["address"], (np.arange(5000, dtype=np.uint64) * (256 << 10)) % (1 << 30))


def test_mixed_writes_about_a_third_and_write_fraction_overrides() -> None:
    r = _gen("mixed", 30_000)
    assert r["command"].mean() == pytest.approx(1 / 3, abs=0.01)
    r = _gen("random", 30_000, config=traces.PatternConfig(write_fraction=0.5))
    assert r["command"].mean() == pytest.approx(0.5, abs=0.01)


def test_dma_tile_interleaves_streams_and_the_last_one_writes() -> None:
    cfg = traces.PatternConfig(streams=3, stream_offset_bytes=1 << 28, tile_lines=4)
    r = _gen("dma_tile", 24, config=cfg)
    a = [int(x) for x in r["address"]]
    assert a[:6] == [0, 1 << 28, 2 << 28, 64, (1 << 28) + 64, (2 << 28) + 64]
    assert list(r["command"][:6]) == [0, 0, 1, 0, 0, 1]
    # tile 2 continues where tile 1 stopped: line 4 of every stream
    assert a[12:15] == [4 * 64, (1 << 28) + 4 * 64, (2 << 28) + 4 * 64]


def test_stamps_step_by_interval_cycles() -> None:
    r = _gen("sequential", 10, config=traces.PatternConfig(interval_cycles=7))
    assert list(r["stamp"]) == [7 * i for i in range(10)]


@pytest.mark.parametrize("pattern", traces.PATTERNS)
def test_output_depends_on_seed_but_not_on_chunk_size(pattern: str) -> None:
    a = _gen(pattern, 70_000, seed=5, chunk_records=1000)
    b = _gen(pattern, 70_000, seed=5, chunk_records=65_536 * 2)
    assert np.array_equal(a, b)
    if pattern in ("random", "mixed"):
        assert not np.array_equal(a, _gen(pattern, 70_000, seed=6))


@pytest.mark.parametrize("fmt", traces.FORMATS)
@pytest.mark.parametrize("gz", [False, True])
def test_every_format_round_trips_plain_and_gzip(tmp_path: Path, fmt: str, gz: bool) -> None:
    cfg = traces.PatternConfig(interval_cycles=3, span_bytes=1 << 40)
    p = tmp_path / ("t.trace.gz" if gz else "t.trace")
    n = traces.generate_dram_trace_file(p, "mixed", 3000, fmt, seed=2, config=cfg)
    assert n == 3000
    assert traces.detect_format(p) == fmt
    assert (p.read_bytes()[:2] == b"\x1f\x8b") == gz
    back = _read(p)
    ref = _gen("mixed", 3000, seed=2, config=cfg)
    assert np.array_equal(back["command"], ref["command"])
    assert np.array_equal(back["address"], ref["address"])
    assert np.array_equal(back["stamp"], ref["stamp"] if fmt == "dramsim3" else np.zeros(3000, np.uint64))


def test_writer_accepts_full_64_bit_addresses(tmp_path: Path) -> None:
    rec = np.zeros(2, dtype=traces.RECORD_DTYPE)
    rec["address"] = [0, 2**64 - 64]
    rec["command"] = [1, 0]
    rec["stamp"] = [0, 2**64 - 1]
    p = tmp_path / "big.trace"
    traces.write_dram_trace(p, rec, "dramsim3")
    assert p.read_text() == "0x0 WRITE 0\n0xffffffffffffffc0 READ 18446744073709551615\n"
    assert np.array_equal(_read(p)[["command", "address", "stamp"]], rec[["command", "address", "stamp"]])


def test_writer_rejects_bad_records(tmp_path: Path) -> None:
    rec = np.zeros(2, dtype=traces.RECORD_DTYPE)
    rec["command"] = [0, 2]
    with pytest.raises(ConfigError, match=r"commands\[1\] must be 0 \(read\) or 1 \(write\), got 2"):
        traces.write_dram_trace(tmp_path / "x.trace", rec, "ramulator1")
    bad = np.zeros(2, dtype=[("address", "<u8")])
    with pytest.raises(ConfigError, match="missing command"):
        traces.write_dram_trace(tmp_path / "x.trace", bad, "ramulator1")
    with pytest.raises(ConfigError, match="unknown trace format 'csv'"):
        traces.write_dram_trace(tmp_path / "x.trace", rec, "csv")
    with pytest.raises(TraceFormatError, match="cannot create the trace"):
        traces.write_dram_trace(tmp_path / "no" / "dir.trace", rec[:1], "ramulator1")


@pytest.mark.parametrize(
    ("pattern", "cfg", "field"),
    [
        ("sequential", traces.PatternConfig(line_bytes=0), "line_bytes"),
        ("random", traces.PatternConfig(span_bytes=32), "span_bytes"),
        ("mixed", traces.PatternConfig(write_fraction=1.5), "write_fraction"),
        ("strided", traces.PatternConfig(stride_bytes=0), "stride_bytes"),
        ("dma_tile", traces.PatternConfig(streams=0), "streams"),
        ("dma_tile", traces.PatternConfig(tile_lines=0), "tile_lines"),
    ],
)
def test_bad_pattern_parameters_name_the_field(pattern: str, cfg: traces.PatternConfig, field: str) -> None:
    with pytest.raises(ConfigError, match=f"PatternConfig.{field}: expected"):
        _gen(pattern, 10, config=cfg)


def test_unknown_pattern_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown pattern 'zigzag'; expected one of: sequential, random"):
        _gen("zigzag", 10)


def test_cli_gen_info_convert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.trace.gz"
    rc = cli.main(
        ["trace", "gen", "dma_tile", "-n", "600", "-o", str(out), "--format", "dramsim3", "--tile-lines", "8"]
    )
    assert rc == 0
    assert "wrote 600 dma_tile requests" in capsys.readouterr().out
    assert cli.main(["trace", "info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["format"], info["requests"], info["reads"], info["writes"]) == ("dramsim3", 600, 400, 200)
    conv = tmp_path / "d.r2"
    assert cli.main(["trace", "convert", str(out), str(conv), "--to", "ramulator2"]) == 0
    capsys.readouterr()
    assert np.array_equal(_read(conv)["address"], _read(out)["address"])


def test_cli_reports_a_bad_trace_as_an_error_exit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "bad.trace"
    p.write_text("LD 0x0\nLD nope\n")
    assert cli.main(["trace", "info", str(p)]) == 1
    assert "bad.trace:2: expected" in capsys.readouterr().err


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["trace", "gen", "random", "-n", "ten", "-o", "x", "--format", "dramsim3"])
    assert info.value.code == 2
    assert "expected a whole number" in capsys.readouterr().err
