"""DRAM trace readers: each format's syntax, detection, gzip, line policy and every error message kind."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tnpu import _core, traces
from tnpu.errors import ConfigError, TraceFormatError

VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "validation" / "dram" / "traces"


def _write(tmp_path: Path, text: str | bytes, name: str = "t.trace") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def _records(path: Path, fmt: str | None = None, **kw: object) -> np.ndarray:
    chunks = list(traces.read_dram_trace(path, fmt, **kw))  # type: ignore[arg-type]
    return np.concatenate(chunks) if chunks else np.empty(0, dtype=traces.RECORD_DTYPE)


def _as_tuples(r: np.ndarray) -> list[tuple[int, int, int, int]]:
    return [(int(x["command"]), int(x["address"]), int(x["stamp"]), int(x["line"])) for x in r]


def test_dramsim3_lines_parse_with_their_stamps(tmp_path: Path) -> None:
    p = _write(tmp_path, "0x40 READ 0\n0X1F80 WRITE 12\nabc read 13\n0x0 write 99\n0x80 P_MEM_WR 100\n")
    assert _as_tuples(_records(p)) == [
        (0, 0x40, 0, 1),
        (1, 0x1F80, 12, 2),
        (0, 0xABC, 13, 3),  # DRAMsim3 reads addresses as hex with or without 0x
        (1, 0, 99, 4),
        (1, 0x80, 100, 5),
    ]
    assert traces.detect_format(p) == "dramsim3"


def test_ramulator1_lines_parse_without_stamps(tmp_path: Path) -> None:
    p = _write(tmp_path, "0x40 R\n0xffffffffffffffc0 W\n1000 R\n")
    assert _as_tuples(_records(p)) == [(0, 0x40, 0, 1), (1, 0xFFFFFFFFFFFFFFC0, 0, 2), (0, 0x1000, 0, 3)]
    assert traces.detect_format(p) == "ramulator1"


def test_ramulator2_addresses_are_hex_with_0x_and_decimal_without(tmp_path: Path) -> None:
    p = _write(tmp_path, "LD 0x40\nST 0x80\nLD 4096\n")
    assert _as_tuples(_records(p)) == [(0, 0x40, 0, 1), (1, 0x80, 0, 2), (0, 4096, 0, 3)]
    assert traces.detect_format(p) == "ramulator2"


def test_blank_lines_comments_crlf_tabs_and_a_missing_final_newline(tmp_path: Path) -> None:
    p = _write(tmp_path, "# a comment\n\n  \t\n\t0x40\tR  \r\n   # indented comment\n0x80 W")
    assert _as_tuples(_records(p)) == [(0, 0x40, 0, 4), (1, 0x80, 0, 6)]


def test_detection_skips_leading_comments_and_keeps_line_numbers(tmp_path: Path) -> None:
    p = _write(tmp_path, "# header\n\nST 0x10\n")
    reader = _core.DramTraceReader(str(p))
    assert reader.format == "ramulator2"
    commands, addresses, _stamps, lines = reader.read_chunk(10)
    assert list(commands) == [1]
    assert list(addresses) == [0x10]
    assert list(lines) == [3]


def test_chunks_are_full_except_the_last(tmp_path: Path) -> None:
    p = _write(tmp_path, "".join(f"0x{i * 64:x} R\n" for i in range(10)))
    sizes = [len(c) for c in traces.read_dram_trace(p, chunk_records=4)]
    assert sizes == [4, 4, 2]


def test_lines_spanning_the_reader_buffer_are_read_whole(tmp_path: Path) -> None:
    # More than one 1 MiB buffer of lines: every boundary position inside a line must be handled.
    n = 120_000
    p = _write(tmp_path, "".join(f"0x{i * 64:x} READ {i}\n" for i in range(n)))
    r = _records(p)
    assert len(r) == n
    assert np.array_equal(r["address"], np.arange(n, dtype=np.uint64) * 64)
    assert np.array_equal(r["stamp"], np.arange(n, dtype=np.uint64))
    assert np.array_equal(r["line"], np.arange(1, n + 1, dtype=np.uint64))


_CANONICAL = {
    "dramsim3": lambda i: f"0x{i * 64:x} {'WRITE' if i % 3 == 0 else 'READ'} {i}\n",
    "ramulator1": lambda i: f"0x{i * 64:x} {'W' if i % 3 == 0 else 'R'}\n",
    "ramulator2": lambda i: f"{'ST' if i % 3 == 0 else 'LD'} 0x{i * 64:x}\n",
}


@pytest.mark.parametrize("fmt", ["dramsim3", "ramulator1", "ramulator2"])
def test_records_read_ahead_in_batches_keep_line_records_and_error_order(tmp_path: Path, fmt: str) -> None:
    # The reader parses runs of canonical lines ahead (hundreds at a time); what it returns, its line and records
    # counts after each record, and where a bad line stops it must be as if it read one line at a time.
    lines = [_CANONICAL[fmt](i) for i in range(700)]
    lines[100] = "# a comment in the middle\n"
    lines[101] = lines[101].replace(" ", "  ", 1)  # not canonical: the general parser, same record
    lines[600] = "garbage line here\n"
    p = _write(tmp_path, "".join(lines), "b.trace")
    reader = _core.DramTraceReader(str(p), format=fmt)
    expected_lines = [n + 1 for n in range(600) if n != 100]
    seen: list[int] = []
    for _ in range(len(expected_lines) // 7):
        _c, _a, _s, got = reader.read_chunk(7)
        seen += [int(x) for x in got]
        assert reader.records == len(seen)
        assert reader.line == seen[-1]
    _c, _a, _s, got = reader.read_chunk(len(expected_lines) - len(seen))
    seen += [int(x) for x in got]
    assert seen == expected_lines
    assert reader.line == 600
    with pytest.raises(TraceFormatError, match=r"b\.trace:601: expected "):
        reader.read_chunk(1)


def test_a_decreasing_stamp_deep_in_a_batch_is_reported_at_its_line(tmp_path: Path) -> None:
    text = "".join(f"0x{i * 64:x} READ {i if i != 450 else 3}\n" for i in range(500))
    p = _write(tmp_path, text)
    assert int(_records(p)["stamp"][450]) == 3
    message = _error(tmp_path, text, None, monotonic_stamps=True)
    assert ":451: expected a stamp >= 449" in message


@pytest.mark.parametrize("fmt", ["dramsim3", "ramulator1", "ramulator2"])
def test_gzip_reads_the_same_records_as_plain(tmp_path: Path, fmt: str) -> None:
    records = np.concatenate(list(traces.generate_dram_trace("mixed", 5000, seed=3)))
    plain = tmp_path / "t.trace"
    packed = tmp_path / "t.trace.gz"
    traces.write_dram_trace(plain, records, fmt)
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    reader = _core.DramTraceReader(str(packed))
    assert reader.gzip
    assert reader.format == fmt
    assert np.array_equal(_records(plain), _records(packed))


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path) -> None:
    p = _write(tmp_path, gzip.compress(b"LD 0x40\n"), name="no_suffix.txt")
    assert _as_tuples(_records(p)) == [(0, 0x40, 0, 1)]


@pytest.mark.skipif(not VALIDATION.is_dir(), reason="shared validation traces not present")
@pytest.mark.parametrize("pattern", ["a_seq_read", "d_rand_mix", "f_dma_tile"])
def test_the_three_formats_of_each_validation_trace_agree(pattern: str) -> None:
    per_format = {f: _records(VALIDATION / f"{pattern}.{f}.trace.gz") for f in traces.FORMATS}
    ref = per_format["dramsim3"]
    assert len(ref) > 10_000
    for fmt in ("ramulator1", "ramulator2"):
        assert traces.detect_format(VALIDATION / f"{pattern}.{fmt}.trace.gz") == fmt
        assert np.array_equal(per_format[fmt]["command"], ref["command"])
        assert np.array_equal(per_format[fmt]["address"], ref["address"])


def _validation_files() -> list[tuple[str, str, dict[str, object]]]:
    refs = VALIDATION.parent / "references.json"
    if not refs.is_file():
        return []
    traces_meta = json.loads(refs.read_text())["traces"]
    return [(fmt, rel, meta) for meta in traces_meta.values() for fmt, rel in meta["files"].items()]


@pytest.mark.skipif(not VALIDATION.is_dir(), reason="shared validation traces not present")
@pytest.mark.parametrize(
    ("fmt", "rel", "meta"), _validation_files(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_validation_traces_read_as_the_references_describe_them(
    fmt: str, rel: str, meta: dict[str, object]
) -> None:
    s = traces.scan_dram_trace(VALIDATION.parent / rel)
    assert s["format"] == fmt
    assert (s["requests"], s["reads"], s["writes"]) == (meta["requests"], meta["reads"], meta["writes"])
    assert s["max_address"] == meta["max_addr"]
    if fmt == "dramsim3":
        assert s["last_stamp_cycles"] == meta["last_stamp"]


# --- errors ------------------------------------------------------------------------------------------------------


def _error(tmp_path: Path, text: str | bytes, fmt: str | None = None, **kw: object) -> str:
    p = _write(tmp_path, text)
    with pytest.raises(TraceFormatError) as info:
        _records(p, fmt, **kw)
    message = str(info.value)
    assert message.startswith(str(p))
    return message


@pytest.mark.parametrize(
    ("fmt", "text", "line", "expected", "got"),
    [
        ("dramsim3", "0x40 READ 0\n0x40 READ\n", 2, "a time stamp in memory cycles", "0x40 READ"),
        ("dramsim3", "0x40 FETCH 3\n", 1, "READ or WRITE", "FETCH"),
        ("dramsim3", "0x4g READ 3\n", 1, "a hexadecimal address", "0x4g"),
        ("dramsim3", "0x READ 3\n", 1, "a hexadecimal address", "0x"),
        ("dramsim3", "0x40 READ 3x\n", 1, "a decimal memory-cycle stamp", "3x"),
        ("dramsim3", "0x40 READ -3\n", 1, "a decimal memory-cycle stamp", "-3"),
        (
            "dramsim3",
            "0x40 READ 18446744073709551616\n",
            1,
            "a stamp that fits in 64 bits",
            "18446744073709551616",
        ),
        ("dramsim3", "0x40 READ 3 extra\n", 1, "end of line after the stamp", "0x40 READ 3 extra"),
        (
            "dramsim3",
            "0x10000000000000000 READ 3\n",
            1,
            "an address that fits in 64 bits",
            "0x10000000000000000",
        ),
        ("ramulator1", "0x40 R\n0x80 X\n", 2, "R or W", "X"),
        ("ramulator1", "0x40\n", 1, "`0xADDR R|W` (ramulator1)", "0x40"),
        ("ramulator1", "0x40 R 5\n", 1, "`0xADDR R|W` (ramulator1)", "0x40 R 5"),
        ("ramulator1", "zz R\n", 1, "a hexadecimal address", "zz"),
        ("ramulator2", "LD 0x40\nLOAD 0x80\n", 2, "LD or ST", "LOAD"),
        ("ramulator2", "ST\n", 1, "`LD|ST 0xADDR` (ramulator2)", "ST"),
        ("ramulator2", "LD 12ab\n", 1, "hexadecimal with 0x, or decimal", "12ab"),
        (
            "ramulator2",
            "LD 99999999999999999999\n",
            1,
            "an address that fits in 64 bits",
            "99999999999999999999",
        ),
    ],
)
def test_each_malformed_line_names_file_line_expectation_and_text(
    tmp_path: Path, fmt: str, text: str, line: int, expected: str, got: str
) -> None:
    message = _error(tmp_path, text, fmt)
    assert re.match(rf"^.*t\.trace:{line}: expected .*, got '.*'$", message), message
    assert expected in message
    assert f"got '{got}'" in message


def test_detection_failure_lists_the_known_formats(tmp_path: Path) -> None:
    message = _error(tmp_path, "# c\nhello world foo bar\n")
    assert ":2: expected a request line in a known format" in message
    for fmt in traces.FORMATS:
        assert fmt in message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n  \n"])
@pytest.mark.parametrize("fmt", [None, "dramsim3", "ramulator2"])
def test_an_empty_trace_is_an_error(tmp_path: Path, text: str, fmt: str | None) -> None:
    assert "empty trace" in _error(tmp_path, text, fmt)


def test_decreasing_stamps_are_accepted_unless_monotonic_is_asked(tmp_path: Path) -> None:
    text = "0x0 READ 10\n0x40 READ 5\n"
    assert list(_records(_write(tmp_path, text))["stamp"]) == [10, 5]
    message = _error(tmp_path, text, None, monotonic_stamps=True)
    assert ":2: expected a stamp >= 10" in message
    assert "got '5'" in message


def test_non_printable_bytes_are_escaped_in_messages(tmp_path: Path) -> None:
    message = _error(tmp_path, b"0x40 R\n\x00\xff R\n", "ramulator1")
    assert "got '\\x00\\xff'" in message


def test_a_line_longer_than_the_limit_is_an_error(tmp_path: Path) -> None:
    message = _error(tmp_path, "0x40 R\n" + "0" * 10_000 + " R\n", "ramulator1")
    assert ":2: expected a line of at most 4096 bytes" in message
    assert message.endswith("...'")


def test_a_missing_file_is_a_trace_error(tmp_path: Path) -> None:
    with pytest.raises(TraceFormatError, match=r"nope\.trace: cannot open the trace: No such file"):
        traces.detect_format(tmp_path / "nope.trace")


def test_a_directory_is_a_trace_error(tmp_path: Path) -> None:
    with pytest.raises(TraceFormatError, match="cannot read the trace"):
        traces.detect_format(tmp_path)


def test_truncated_gzip_is_an_error_not_a_silent_short_trace(tmp_path: Path) -> None:
    body = gzip.compress("".join(f"0x{i * 64:x} R\n" for i in range(50_000)).encode())
    p = _write(tmp_path, body[: len(body) // 2], "cut.gz")
    with pytest.raises(TraceFormatError, match="corrupt or truncated gzip"):
        _records(p)


def test_unknown_format_name_lists_the_valid_ones(tmp_path: Path) -> None:
    p = _write(tmp_path, "LD 0x0\n")
    known = r"\(known: dramsim3, ramulator1, ramulator2\)"
    with pytest.raises(ConfigError, match="trace format: unknown trace format 'usimm' " + known):
        _records(p, "usimm")
    with pytest.raises(ConfigError, match="trace format: unknown trace format 'usimm' " + known):
        _core.DramTraceReader(str(p), format="usimm")
    with pytest.raises(ConfigError, match="did you mean 'ramulator1'"):
        _records(p, "ramulator")


def test_errors_are_value_errors() -> None:
    assert issubclass(TraceFormatError, ValueError)
    assert issubclass(ConfigError, ValueError)


def _feed_fifo(fifo: Path, data: bytes) -> threading.Thread:
    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), open(fifo, "wb") as f:
            f.write(data)

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return t


def test_a_plain_trace_can_come_through_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    feeder = _feed_fifo(fifo, b"0x40 R\n0x80 W\n")
    assert _as_tuples(_records(fifo)) == [(0, 0x40, 0, 1), (1, 0x80, 0, 2)]
    feeder.join(timeout=10)


def test_gzip_through_a_pipe_is_a_clear_error(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    feeder = _feed_fifo(fifo, gzip.compress(b"LD 0x0\n" * 1000))
    with pytest.raises(TraceFormatError, match="gzip input must be a regular file, not a pipe"):
        _records(fifo)
    feeder.join(timeout=10)


def test_a_reader_used_from_two_threads_refuses_the_second(tmp_path: Path) -> None:
    # Thread A blocks inside read_chunk on a FIFO with the GIL released; a second call must be refused, not race.

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    fd_holder: list[int] = []
    opener = threading.Thread(target=lambda: fd_holder.append(os.open(fifo, os.O_WRONLY)), daemon=True)
    opener.start()
    reader_box: list[object] = []
    maker = threading.Thread(
        target=lambda: reader_box.append(_core.DramTraceReader(str(fifo), format="ramulator2")), daemon=True
    )
    maker.start()
    opener.join(timeout=10)
    os.write(fd_holder[0], b"LD 0x40\n")
    maker.join(timeout=10)
    reader = reader_box[0]
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(len(reader.read_chunk(100)[0])), daemon=True)  # type: ignore[attr-defined]
    worker.start()
    deadline = time.monotonic() + 30
    while not reader.busy and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    assert reader.busy  # type: ignore[attr-defined]  # the worker waits for bytes inside read_chunk, GIL released
    try:
        with pytest.raises(RuntimeError, match="DramTraceReader: already in use by another thread"):
            reader.read_chunk(1)  # type: ignore[attr-defined]
    finally:
        os.write(fd_holder[0], b"ST 0x80\n")
        os.close(fd_holder[0])
        worker.join(timeout=10)
    assert result == [2]


@pytest.mark.parametrize("fmt", traces.FORMATS)
def test_scan_summarises_what_the_chunked_reader_reads(tmp_path: Path, fmt: str) -> None:
    cfg = traces.PatternConfig(interval_cycles=5)
    p = tmp_path / "m.trace.gz"
    traces.generate_dram_trace_file(p, "mixed", 4000, fmt, seed=9, config=cfg)
    r = _records(p)
    s = traces.scan_dram_trace(p)
    assert s["format"] == fmt
    assert s["gzip"] is True
    assert (s["requests"], s["reads"], s["writes"]) == (
        4000,
        int((r["command"] == 0).sum()),
        int(r["command"].sum()),
    )
    assert (s["min_address"], s["max_address"]) == (int(r["address"].min()), int(r["address"].max()))
    if fmt == "dramsim3":
        assert (s["first_stamp_cycles"], s["last_stamp_cycles"], s["max_stamp_cycles"]) == (
            0,
            3999 * 5,
            3999 * 5,
        )
    else:
        assert s["first_stamp_cycles"] is None


def test_scan_reports_errors_like_the_reader(tmp_path: Path) -> None:
    p = _write(tmp_path, "0x0 READ 4\n0x40 READ 2\n")
    assert traces.scan_dram_trace(p)["max_stamp_cycles"] == 4
    with pytest.raises(TraceFormatError, match=r"t\.trace:2: expected a stamp >= 4"):
        traces.scan_dram_trace(p, monotonic_stamps=True)


@pytest.mark.parametrize("cut", [-3, -1, 0, 1, 5])
def test_detection_when_the_first_request_line_straddles_a_buffer_refill(tmp_path: Path, cut: int) -> None:
    # More than one 1 MiB buffer of comments, then the first request line across the refill boundary.
    filler = 1 << 20
    comment = b"#" + b"c" * 62 + b"\n"
    head = comment * (filler // len(comment))
    head += b"#" * (filler + cut - len(head) - 1) + b"\n" if filler + cut - len(head) > 0 else b""
    p = _write(tmp_path, head + b"LD 0x40\nST 0x80\n")
    n_lines = head.count(b"\n")
    reader = _core.DramTraceReader(str(p))
    assert reader.format == "ramulator2"
    commands, addresses, _s, lines = reader.read_chunk(10)
    assert list(commands) == [0, 1]
    assert list(addresses) == [0x40, 0x80]
    assert list(lines) == [n_lines + 1, n_lines + 2]


@pytest.mark.parametrize("n", [0, -1, 1 << 40])
def test_chunk_size_is_checked(tmp_path: Path, n: int) -> None:
    p = _write(tmp_path, "LD 0x0\n")
    with pytest.raises(ConfigError, match=r"chunk_records: expected 1\.\.268435456"):
        next(traces.read_dram_trace(p, chunk_records=n))
    if n >= 0:
        with pytest.raises(ConfigError, match=r"max_records: expected 1\.\.268435456"):
            _core.DramTraceReader(str(p)).read_chunk(n)
