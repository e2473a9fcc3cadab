"""Property tests of the trace readers: random and mutated input gives a clean parse or TraceFormatError, never a
crash or a hang, and what parses agrees with a small reference parser written from traces/README.md."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tnpu import _core, traces
from tnpu.errors import TraceFormatError

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
U64 = 1 << 64
DRAMSIM3_READ = {b"P_MEM_RD", b"P_FETCH"}
DRAMSIM3_WRITE = {b"P_MEM_WR", b"BOFF"}


def _hex(tok: bytes, prefix_optional: bool) -> int | None:
    body = tok[2:] if tok[:2] in (b"0x", b"0X") else (tok if prefix_optional else None)
    if not body or not re.fullmatch(rb"[0-9a-fA-F]+", body):
        return None
    return int(body, 16)


def _dec(tok: bytes) -> int | None:
    return int(tok) if re.fullmatch(rb"[0-9]+", tok) else None


def _ref_line(line: bytes, fmt: str) -> tuple[int, int, int] | str | None:
    """Reference parse of one line: (command, address, stamp), None for a skipped line, or 'error'."""
    toks = line.split()
    if not toks or toks[0].startswith(b"#"):
        return None
    if fmt == "dramsim3":
        if len(toks) != 3:
            return "error"
        cmd = toks[1]
        if cmd.upper() == b"READ" or cmd in DRAMSIM3_READ:
            c = 0
        elif cmd.upper() == b"WRITE" or cmd in DRAMSIM3_WRITE:
            c = 1
        else:
            return "error"
        if not re.fullmatch(rb"[0-9]+", toks[2]) or int(toks[2]) >= U64:
            return "error"
        a = _hex(toks[0], True)
        return "error" if a is None or a >= U64 else (c, a, int(toks[2]))
    if fmt == "ramulator1":
        if len(toks) != 2 or toks[1] not in (b"R", b"W"):
            return "error"
        a = _hex(toks[0], True)
        return "error" if a is None or a >= U64 else (int(toks[1] == b"W"), a, 0)
    if len(toks) != 2 or toks[0] not in (b"LD", b"ST"):
        return "error"
    tok = toks[1]
    a = _hex(tok, False) if tok[:2] in (b"0x", b"0X") else _dec(tok)
    return "error" if a is None or a >= U64 else (int(toks[0] == b"ST"), a, 0)


SMALL_BUFFER = 2 * 4096 + 2  # the smallest read buffer: many refills, lines cut at every position


def _read_all(path: Path, fmt: str | None, *, small_buffer: bool = False) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    if small_buffer:
        reader = _core.DramTraceReader(str(path), format=fmt or "auto", buffer_bytes=SMALL_BUFFER)
        while True:
            c, a, s, _lines = reader.read_chunk(5)
            if len(c) == 0:
                return out
            out += [(int(x), int(y), int(z)) for x, y, z in zip(c, a, s, strict=True)]
    for chunk in traces.read_dram_trace(path, fmt, chunk_records=7):
        out += [(int(c), int(a), int(s)) for c, a, s in chunk[["command", "address", "stamp"]]]
    return out


def _outcome(path: Path, fmt: str | None) -> list[tuple[int, int, int]] | str:
    """The records, or the TraceFormatError message; any other exception fails the test."""
    try:
        return _read_all(path, fmt)
    except TraceFormatError as e:
        return str(e)


# Lines near the grammar: valid tokens of every format, numbers at the 64-bit edge, junk and blanks.
_tokens = st.sampled_from(
    [b"READ", b"WRITE", b"read", b"Write", b"R", b"W", b"LD", b"ST", b"P_MEM_WR", b"BOFF", b"#", b"#x", b"0x",
     b"0x40", b"0X1f", b"ffff", b"12", b"0", b"-1", b"0x10000000000000000", b"0xffffffffffffffff",
     b"18446744073709551615", b"18446744073709551616", b"99999999999999999999999", b"\x00", b"\xff", b"1e3"]
)  # fmt: skip
_hexnum = st.integers(0, U64 - 1).map(lambda v: b"0x%x" % v)
_decnum = st.integers(0, U64 + 5).map(lambda v: b"%d" % v)
_seps = st.sampled_from([b" ", b"\t", b"  ", b" \t "])
_addr = st.one_of(
    _hexnum,
    st.integers(0, U64 - 1).map(lambda v: b"%X" % v),
    st.integers(0, U64 - 1).map(lambda v: b"0X%x" % v),
    st.sampled_from([b"0x10000000000000000", b"0x0000000000000000000040"]),
)
_valid_for = {
    "dramsim3": st.tuples(_addr, st.sampled_from([b"READ", b"WRITE", b"read", b"P_FETCH", b"BOFF"]), _decnum),
    "ramulator1": st.tuples(_addr, st.sampled_from([b"R", b"W"])),
    "ramulator2": st.tuples(st.sampled_from([b"LD", b"ST"]), st.one_of(_addr, _decnum)),
}
_valid_tokens = st.one_of(*_valid_for.values()).map(list)
_junk_tokens = st.lists(st.one_of(_tokens, _hexnum, _decnum), min_size=0, max_size=4)


@st.composite
def _line(draw: st.DrawFn, fmt: str | None = None) -> bytes:
    """A line of format `fmt` (most often), of another format, or junk; sometimes with one token mutated."""
    kind = draw(st.integers(0, 9))
    if fmt is not None and kind < 7:
        toks = list(draw(_valid_for[fmt]))
    else:
        toks = draw(st.one_of(_valid_tokens, _junk_tokens))
    if toks and draw(st.integers(0, 9)) == 0:  # mutate one token
        toks[draw(st.integers(0, len(toks) - 1))] = draw(st.one_of(_tokens, _decnum))
    seps = draw(st.lists(_seps, min_size=len(toks), max_size=len(toks)))
    lead = draw(st.sampled_from([b"", b" ", b"\t"]))
    crlf = draw(st.sampled_from([b"", b"\r"]))
    return lead + b"".join(t + s for t, s in zip(toks, seps, strict=True)).rstrip() + crlf


@SETTINGS
@given(data=st.data(), fmt=st.sampled_from(traces.FORMATS))
def test_near_grammar_lines_agree_with_the_reference_parser(
    tmp_path: Path, data: st.DataObject, fmt: str
) -> None:
    lines = data.draw(st.lists(_line(fmt), min_size=0, max_size=12))
    p = tmp_path / "f.trace"
    p.write_bytes(b"\n".join(lines))
    expected: list[tuple[int, int, int]] = []
    error_line = None
    for i, line in enumerate(lines, start=1):
        r = _ref_line(line, fmt)
        if r == "error":
            error_line = i
            break
        if isinstance(r, tuple):
            expected.append(r)
    if error_line is None and not expected:
        with pytest.raises(TraceFormatError, match="empty trace"):
            _read_all(p, fmt)
    elif error_line is not None:
        with pytest.raises(TraceFormatError, match=rf"f\.trace:{error_line}: expected .*, got '"):
            _read_all(p, fmt)
    else:
        assert _read_all(p, fmt) == expected


@SETTINGS
@given(
    data=st.data(),
    fmt=st.sampled_from(traces.FORMATS),
    pad=st.integers(0, 3 * SMALL_BUFFER),
    detect=st.booleans(),
)
def test_refills_at_every_position_change_nothing(
    tmp_path: Path, data: st.DataObject, fmt: str, pad: int, detect: bool
) -> None:
    # Comment padding moves the lines across the boundaries of a small buffer; results must equal the 1 MiB buffer.
    lines = data.draw(st.lists(_line(fmt), min_size=1, max_size=200))
    padding = b"".join(b"#" + b"p" * 40 + b"\n" for _ in range(pad // 42)) + b"\n" * (pad % 42)
    p = tmp_path / "pad.trace"
    p.write_bytes(padding + b"\n".join(lines))
    fmt_arg = None if detect else fmt
    big: object
    small: object
    try:
        big = _read_all(p, fmt_arg)
    except TraceFormatError as e:
        big = str(e)
    try:
        small = _read_all(p, fmt_arg, small_buffer=True)
    except TraceFormatError as e:
        small = str(e)
    assert small == big
    gz = tmp_path / "pad.trace"  # same name, so that error messages compare equal
    gz.write_bytes(gzip.compress(p.read_bytes(), compresslevel=1))
    try:
        packed: object = _read_all(gz, fmt_arg, small_buffer=True)
    except TraceFormatError as e:
        packed = str(e)
    assert packed == big


@SETTINGS
@given(data=st.binary(max_size=3000), fmt=st.sampled_from([None, *traces.FORMATS]))
def test_arbitrary_bytes_never_crash(tmp_path: Path, data: bytes, fmt: str | None) -> None:
    p = tmp_path / "junk.trace"
    p.write_bytes(data)
    outcome = _outcome(p, fmt)
    if isinstance(outcome, str):
        assert outcome.startswith(str(p))
    else:
        assert outcome  # a clean parse has at least one record (else: empty-trace error)


@SETTINGS
@given(
    valid=st.lists(st.tuples(st.integers(0, 1), st.integers(0, U64 - 1), st.integers(0, U64 - 1)), min_size=1,
                   max_size=40),
    fmt=st.sampled_from(traces.FORMATS),
    cut=st.integers(0, 2000),
    flip=st.integers(0, 255),
)  # fmt: skip
def test_mutated_valid_traces_and_their_gzip_behave(
    tmp_path: Path, valid: list[tuple[int, int, int]], fmt: str, cut: int, flip: int
) -> None:
    rec = np.zeros(len(valid), dtype=traces.RECORD_DTYPE)
    rec["command"], rec["address"], rec["stamp"] = zip(*valid, strict=True)
    p = tmp_path / "v.trace"
    traces.write_dram_trace(p, rec, fmt)
    expected = [(c, a, s if fmt == "dramsim3" else 0) for c, a, s in valid]
    assert _read_all(p, None) == expected
    # gzip == plain
    gz = tmp_path / "v.trace.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    assert _read_all(gz, fmt) == expected
    # one byte changed: a clean parse or a TraceFormatError, nothing else
    data = bytearray(p.read_bytes())
    data[cut % len(data)] = flip
    p.write_bytes(bytes(data))
    _outcome(p, fmt)
    # a damaged gzip stream: same rule
    blob = bytearray(gz.read_bytes())
    blob[cut % len(blob)] ^= flip or 1
    gz.write_bytes(bytes(blob))
    _outcome(gz, fmt)


def test_a_huge_line_without_newline_stops_quickly(tmp_path: Path) -> None:
    p = tmp_path / "zeros.trace"
    p.write_bytes(b"\x00" * (3 << 20))
    with pytest.raises(TraceFormatError, match=r":1: expected a line of at most 4096 bytes"):
        _core.DramTraceReader(str(p))
