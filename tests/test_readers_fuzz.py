"""Property tests of every reader of user files not covered by test_traces_fuzz.py: compute traces (CSV, npz),
DRAMsim3 ``.ini``, Ramulator 1 ``.cfg``, TOML DRAM configs, SCALE-Sim topology CSVs and ``.cfg`` files.

Inputs are the valid samples (``traces/compute``, ``tests/data/readers``, the bundled presets) with random byte edits
(flip, insert, delete), with one field replaced by an awkward token, or random bytes. Only the documented exception
may come out -- ``TraceFormatError`` for traces, ``ConfigError`` for configs, both naming the file -- and whatever
loads must be valid. CI runs a fixed (derandomized) set of examples in a few seconds per test;
``TNPU_FUZZ_EXAMPLES=5000 pytest tests/test_readers_fuzz.py`` runs a longer, random search.
"""

from __future__ import annotations

import io
import os
import re
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tnpu.dram import load_dram_config
from tnpu.errors import ConfigError, TraceFormatError
from tnpu.scalesim import read_config, read_topology
from tnpu.workloads.scalesim_topology import from_scalesim_topology
from tnpu.workloads.traces import read_compute_trace, read_compute_trace_npz

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "readers"
_LONG = int(os.environ.get("TNPU_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(
    max_examples=_LONG or 150,
    derandomize=not _LONG,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Tokens that break parsers: empty, signs, the 64-bit edges, 2^40, huge and non-finite numbers, separators, junk.
AWKWARD = [
    "", " ", "0", "-1", "-0", "1", "2", "3", "7", "1099511627776", "4294967296", "9223372036854775808",
    "18446744073709551616", "9" * 5000, "0.0001", "1e309", "nan", "inf", "-inf", "0x10", "1_000", "x", "true",
    "\x00", "\ufeff", "é", ",", ";", "#", "[", "]", "=", ":", '"', "'", "\\", "\t", "\r", "{}", "[]", "DDR5", "os",
]  # fmt: skip
_edits = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6)


def byte_edit(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Apply (operation, position, byte) edits: 0 replaces, 1 inserts, 2 deletes a byte."""
    out = bytearray(data)
    for op, pos, value in edits:
        if op == 1 or not out:
            out.insert(pos % (len(out) + 1), value)
        elif op == 0:
            out[pos % len(out)] = value
        else:
            del out[pos % len(out)]
    return bytes(out)


def token_edit(text: str, line: int, field: int, token: str, sep: str) -> str:
    """Replace field ``field`` (split on ``sep``) of line ``line`` by ``token``."""
    lines = text.split("\n")
    i = line % len(lines)
    parts = lines[i].split(sep)
    parts[field % len(parts)] = token
    lines[i] = sep.join(parts)
    return "\n".join(lines)


@st.composite
def mutated(draw: st.DrawFn, sample: bytes, seps: tuple[str, ...]) -> bytes:
    """The sample with a field replaced by an awkward token, some byte edits, both, or random bytes."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=2000))
    data = sample
    if kind <= 6:
        for _ in range(draw(st.integers(1, 3))):
            sep = draw(st.sampled_from(seps))
            pos = draw(st.tuples(st.integers(0, 1 << 16), st.integers(0, 64)))
            data = token_edit(data.decode("utf-8"), *pos, draw(st.sampled_from(AWKWARD)), sep).encode("utf-8")
    if kind >= 5:
        data = byte_edit(data, draw(_edits))
    return data


def check(
    path: Path,
    data: bytes,
    read: Callable[[Path], object],
    error: type[Exception],
    ok: Callable[[object], None],
) -> None:
    """Write ``data`` to ``path`` and read it: ``error`` naming the file, or a result that passes ``ok``."""
    path.write_bytes(data)
    try:
        result = read(path)
    except error as exc:
        message = str(exc)
    else:
        ok(result)
        return
    assert str(path) in message, f"message does not name the file: {message}"


# ----------------------------------------------------------------------------------------------- compute traces

COMPUTE_CSV = (REPO / "traces" / "compute" / "lenet5_b2.csv").read_bytes()


def _valid_arrays(arrays: object) -> None:
    arrays.validate()  # type: ignore[attr-defined]
    assert len(arrays.dep_offsets) == len(arrays) + 1  # type: ignore[attr-defined, arg-type]


@SETTINGS
@given(data=mutated(COMPUTE_CSV, (",", " ", ":")))
def test_compute_trace_csv(tmp_path: Path, data: bytes) -> None:
    check(tmp_path / "t.csv", data, read_compute_trace, TraceFormatError, _valid_arrays)


def _npz_content() -> dict[str, np.ndarray]:
    with np.load(REPO / "traces" / "compute" / "lenet5_b2.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


NPZ = _npz_content()
_npz_values = st.sampled_from(
    [
        np.array([], dtype=np.int64),
        np.array([-1, 0, 1]),
        np.array([2**63 - 1], dtype=np.int64),
        np.array([2**64 - 1], dtype=np.uint64),
        np.array([0.5, np.nan]),
        np.array(["x", "y"]),
        np.array([[1, 2], [3, 4]]),
        np.array(7),
        np.array("tnpu compute trace"),
        np.array("{not json"),
        np.array(True),
    ]
)


@SETTINGS
@given(
    key=st.sampled_from(sorted(NPZ)),
    action=st.integers(0, 4),
    replacement=_npz_values,
    index=st.integers(0, 1 << 16),
    value=st.integers(-(2**63), 2**63 - 1),
    compressed=st.booleans(),
    edits=_edits,
)
def test_compute_trace_npz(tmp_path: Path, key, action, replacement, index, value, compressed, edits) -> None:
    content = dict(NPZ)
    if action == 0:
        del content[key]
    elif action == 1:
        content[key] = replacement
    elif action == 2 and content[key].size and content[key].dtype.kind in "iu":
        col = content[key].astype(np.int64).copy()
        col.flat[index % col.size] = value
        content[key] = col
    elif action == 3:
        content[key] = content[key][: index % (content[key].size + 1)] if content[key].ndim else content[key]
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **content)
    data = buf.getvalue()
    if action == 4:
        data = byte_edit(data, edits)
    check(tmp_path / "t.npz", data, read_compute_trace_npz, TraceFormatError, _valid_arrays)


# ------------------------------------------------------------------------------------------------- DRAM configs

INI = (DATA / "DDR4_8Gb_x8_2400.ini").read_bytes()
RAM1 = (DATA / "ramulator1_DDR4_2400U_8Gb_x8_2rank.cfg").read_bytes()
PRESET = resources.files("tnpu").joinpath("presets", "dram", "ddr4-2400.toml").read_bytes()


def _valid_dram(cfg: object) -> None:
    cfg.validate()  # type: ignore[attr-defined]
    assert cfg.capacity_bytes > 0  # type: ignore[attr-defined]


@SETTINGS
@given(data=mutated(INI, ("=", " ")))
def test_dramsim3_ini(tmp_path: Path, data: bytes) -> None:
    check(tmp_path / "d.ini", data, load_dram_config, ConfigError, _valid_dram)


@SETTINGS
@given(data=mutated(RAM1, ("=", " ")))
def test_ramulator1_cfg(tmp_path: Path, data: bytes) -> None:
    check(tmp_path / "r.cfg", data, load_dram_config, ConfigError, _valid_dram)


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float) and not np.isfinite(v):
        return "nan" if v != v else ("inf" if v > 0 else "-inf")
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + "}"
    return repr(v)


_TOML_SAMPLE = tomllib.loads(PRESET.decode("utf-8"))
_TOML_KEYS = [(t, k) for t, v in _TOML_SAMPLE.items() if isinstance(v, dict) for k in v] + [
    ("", k) for k, v in _TOML_SAMPLE.items() if not isinstance(v, dict)
]
_toml_values = st.one_of(
    st.sampled_from(
        [0, -1, 1, 3, 2**40, 2**63 - 1, -(2**63), 0.0, -0.5, 1e300, float("nan"), float("inf"), True]
    ),
    st.sampled_from(["", "ddr5", "open", "none", "x" * 300, [], [1], {}, {"a": 1}]),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True),
)


@SETTINGS
@given(
    changes=st.lists(st.tuples(st.sampled_from(_TOML_KEYS), _toml_values), max_size=4),
    extra=st.sampled_from([None, ("", "no_such_field"), ("timing", "tXYZ"), ("", "description")]),
    edits=_edits,
    raw=st.booleans(),
)
def test_toml_dram_config(tmp_path: Path, changes, extra, edits, raw: bool) -> None:
    tables: dict[str, dict[str, object]] = {"": {}}
    for table, body in _TOML_SAMPLE.items():
        if isinstance(body, dict):
            tables[table] = dict(body)
        else:
            tables[""][table] = body
    for (table, key), value in changes + ([(extra, 1)] if extra else []):
        tables.setdefault(table, {})[key] = value
    lines = [f"{k} = {_toml_value(v)}" for k, v in tables.pop("").items()]
    for table, body in tables.items():
        lines += [f"[{table}]"] + [f"{k} = {_toml_value(v)}" for k, v in body.items()]
    data = "\n".join(lines).encode("utf-8")
    if raw:
        data = byte_edit(data, edits)
    check(tmp_path / "c.toml", data, load_dram_config, ConfigError, _valid_dram)


# --------------------------------------------------------------------------------------------------- SCALE-Sim

TOPOLOGY = (DATA / "scalesim_conv_topology.csv").read_bytes()
GEMM_TOPOLOGY = (
    b"Layer, M, N, K, Batch Size,\nqkv, 128, 768, 2304, 1,\nproj, 128, 768, 768, 2,\nfc, 1, 1000, 4096,,\n"
)
SCALESIM_CFG = (DATA / "scalesim_array16x16_os.cfg").read_bytes()


def _valid_topology(layers: object) -> None:
    assert isinstance(layers, list)
    assert layers
    for layer in layers:
        assert layer.ofmap_h >= 1
        assert layer.ofmap_w >= 1
        assert min(layer.gemm) >= 1


@SETTINGS
@given(data=st.one_of(mutated(TOPOLOGY, (",",)), mutated(GEMM_TOPOLOGY, (",",))))
def test_scalesim_topology(tmp_path: Path, data: bytes) -> None:
    check(tmp_path / "topo.csv", data, read_topology, ConfigError, _valid_topology)
    try:
        convs = from_scalesim_topology(tmp_path / "topo.csv")
    except ConfigError:
        return
    assert all(c.out_channels >= 1 for c in convs)


def _valid_scalesim_cfg(cfg: object) -> None:
    assert cfg.array_rows >= 1
    assert cfg.array_cols >= 1
    assert cfg.dataflow in ("os", "ws", "is")  # type: ignore[attr-defined]


@SETTINGS
@given(data=mutated(SCALESIM_CFG, (":", " ")))
def test_scalesim_config(tmp_path: Path, data: bytes) -> None:
    check(tmp_path / "s.cfg", data, read_config, ConfigError, _valid_scalesim_cfg)


@pytest.mark.parametrize(
    "name", sorted(p.name for p in DATA.iterdir() if p.suffix in (".ini", ".cfg", ".csv"))
)
def test_the_samples_themselves_load(name: str) -> None:
    # The fuzz tests above start from these: they must be valid, or the mutations test nothing useful.
    path = DATA / name
    if name.startswith("scalesim_") and name.endswith(".cfg"):
        assert read_config(path).array_rows == 16
    elif name.endswith(".csv"):
        assert len(read_topology(path)) == len(re.findall(r"\n\w", path.read_text()))
    else:
        load_dram_config(path).validate()


# ------------------------------------------------------------------------------------------ accelerator presets

ACCEL_PRESET = resources.files("tnpu").joinpath("presets", "tnpu.toml").read_bytes()
ACCEL_TOKENS = st.sampled_from(
    ['"matrix"', '["vector"]', "[]", "{}", '"x"', "-1", "0", "1e400", "nan", "true", '"ws"', "2.0", "65537"]
)


@st.composite
def accel_mutated(draw: st.DrawFn) -> bytes:
    """The TNPU preset with values replaced by awkward TOML values, byte edits, or random bytes."""
    text = ACCEL_PRESET.decode("utf-8")
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.binary(max_size=1500))
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        if "=" in lines[i] and not lines[i].lstrip().startswith("#"):
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(ACCEL_TOKENS)}"
    data = "\n".join(lines).encode("utf-8")
    if kind >= 3:
        data = byte_edit(data, draw(_edits))
    return data


def _valid_accelerator(cfg: object) -> None:
    cfg.validate()  # type: ignore[attr-defined]


@SETTINGS
@given(data=accel_mutated())
def test_accelerator_preset_toml(tmp_path: Path, data: bytes) -> None:
    from tnpu.accelerator import load_accelerator

    check(tmp_path / "a.toml", data, load_accelerator, ConfigError, _valid_accelerator)
