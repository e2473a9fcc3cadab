"""Compute traces: a serialised training workload, one task per record.

Two formats hold the same content (see ``traces/README.md``, section "Compute traces"):

- **CSV** (``.csv``): ``#`` comment lines with ``key: value`` metadata, a header row, then one task per row with
  the columns of :data:`CSV_COLUMNS`; ``phase`` and ``kind`` are text (``FP``, ``conv``), ``layer`` is the layer name,
  ``deps`` holds the ids of the task's dependencies separated by spaces, and ``start_cycle``/``end_cycle`` are empty
  when no timing was recorded.
- **npz** (``.npz``): a compressed numpy archive with one array per column, the CSR dependency arrays and the layer
  names; loaded without pickle.

Both readers check every record, then validate the graph in C++ (unique ids, every dependency produced by a task of
the trace, no cycle). Errors are :class:`tnpu.errors.TraceFormatError` naming the file, and the line (CSV) or the
task ids involved.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from tnpu.errors import ConfigError, TraceFormatError
from tnpu.workloads.layers import LayerKind, Phase
from tnpu.workloads.training import TASK_DTYPE, TaskArrays

#: Format tag written in the first comment line of a CSV trace and in the ``format`` entry of an npz trace.
FORMAT_TAG = "tnpu compute trace"
FORMAT_VERSION = 1

#: Columns of a CSV compute trace, in the order the writer emits them.
CSV_COLUMNS = (
    "id",
    "instance",
    "phase",
    "layer",
    "kind",
    "m",
    "n",
    "k",
    "macs",
    "vector_ops",
    "bytes_in",
    "bytes_out",
    "stash_bytes",
    "deps",
    "start_cycle",
    "end_cycle",
)
#: Columns a CSV trace must have; the others default to 0 (``macs``: ``m*n*k``; cycles: not recorded).
REQUIRED_COLUMNS = ("id", "phase", "layer", "kind", "deps")
_INT_COLUMNS = ("instance", "m", "n", "k", "macs", "vector_ops", "bytes_in", "bytes_out", "stash_bytes")
_NPZ_COLUMNS = tuple(name for name in TASK_DTYPE.names or ())
#: Largest value of each integer column (its type in TASK_DTYPE; ``id`` and ``deps`` are int64).
_COLUMN_MAX = {name: int(np.iinfo(TASK_DTYPE[name]).max) for name in _NPZ_COLUMNS}


def _check_writable_names(names: tuple[str, ...]) -> None:
    for name in names:
        if not name or any(ch in name for ch in ",\n\r") or name != name.strip():
            raise ConfigError(
                f"layer name {name!r} cannot be written to a CSV trace (no commas, newlines or padding)"
            )


def write_compute_trace_csv(arrays: TaskArrays, path: str | os.PathLike[str]) -> None:
    """Write ``arrays`` as a CSV compute trace.

    Parameters
    ----------
    arrays
        The tasks (e.g. ``TrainingGraph.to_arrays()``).
    path
        Destination file.
    """
    _check_writable_names(arrays.layer_names)
    t = arrays.tasks
    lines = [f"# {FORMAT_TAG} v{FORMAT_VERSION}"]
    for key, value in arrays.meta.items():
        lines.append(f"# {key}: {value}")
    lines.append(f"# layers: {','.join(arrays.layer_names)}")
    lines.append(",".join(CSV_COLUMNS))
    phases = [p.name for p in Phase]
    kinds = [k.label for k in LayerKind]
    for i in range(len(arrays)):
        r = t[i]
        deps = " ".join(str(int(d)) for d in arrays.deps(i))
        start = "" if r["start_cycle"] < 0 else str(int(r["start_cycle"]))
        end = "" if r["end_cycle"] < 0 else str(int(r["end_cycle"]))
        lines.append(
            f"{r['id']},{r['instance']},{phases[r['phase']]},{arrays.layer_names[r['layer']]},{kinds[r['layer_kind']]},"
            f"{r['m']},{r['n']},{r['k']},{r['macs']},{r['vector_ops']},{r['bytes_in']},{r['bytes_out']},"
            f"{r['stash_bytes']},{deps},{start},{end}"
        )
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _parse_meta_value(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def read_compute_trace_csv(path: str | os.PathLike[str]) -> TaskArrays:
    """Read a CSV compute trace.

    Raises
    ------
    TraceFormatError
        ``path:line: expected ..., got '...'`` for a malformed line; ``path: ...`` naming the task ids for a
        dependency on a missing task or a dependency cycle.
    """
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TraceFormatError(
            f"{where}: expected a UTF-8 text file ({exc.reason} at byte {exc.start})"
        ) from None
    meta: dict[str, Any] = {}
    declared_layers: list[str] | None = None
    header: list[str] | None = None
    rows: list[tuple[int, ...]] = []
    offsets = [0]
    deps: list[int] = []
    layer_index: dict[str, int] = {}
    layer_names: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            body = line[1:].strip()
            if header is None and ":" in body:
                key, _, value = body.partition(":")
                key, value = key.strip(), value.strip()
                if key == "layers":
                    declared_layers = [n for n in value.split(",") if n]
                    layer_names = list(declared_layers)
                    layer_index = {n: i for i, n in enumerate(layer_names)}
                    if len(layer_index) != len(layer_names):
                        raise TraceFormatError(
                            f"{where}:{lineno}: expected unique layer names, got '{value}'"
                        )
                else:
                    meta[key] = _parse_meta_value(value)
            continue
        fields = [f.strip() for f in line.split(",")]
        if header is None:
            header = fields
            unknown = [c for c in header if c not in CSV_COLUMNS]
            if unknown:
                raise TraceFormatError(
                    f"{where}:{lineno}: expected column names among {', '.join(CSV_COLUMNS)}, got '{unknown[0]}'"
                )
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise TraceFormatError(
                    f"{where}:{lineno}: expected a header with column '{missing[0]}', got '{line}'"
                )
            if len(set(header)) != len(header):
                raise TraceFormatError(f"{where}:{lineno}: expected each column once, got '{line}'")
            continue
        if len(fields) != len(header):
            raise TraceFormatError(
                f"{where}:{lineno}: expected {len(header)} fields, got {len(fields)}: '{line}'"
            )
        rec = dict(zip(header, fields, strict=True))

        def integer(name: str, default: int, rec: dict[str, str] = rec, lineno: int = lineno) -> int:
            value = rec.get(name, "")
            if value == "":
                number = default
            else:
                try:
                    number = int(value)
                except ValueError:
                    raise TraceFormatError(
                        f"{where}:{lineno}: expected a whole number for {name}, got '{value}'"
                    ) from None
                if number < 0:
                    raise TraceFormatError(f"{where}:{lineno}: expected {name} >= 0, got '{value}'")
            if number > _COLUMN_MAX[name]:  # the column's type (a default such as m*n*k may not fit either)
                raise TraceFormatError(
                    f"{where}:{lineno}: expected {name} at most {_COLUMN_MAX[name]}, got '{value or number}'"
                )
            return number

        tid = integer("id", -1)
        if tid < 0:
            raise TraceFormatError(f"{where}:{lineno}: expected a task id, got an empty field")
        phase_text = rec["phase"].upper()
        if phase_text not in Phase.__members__:
            raise TraceFormatError(f"{where}:{lineno}: expected phase FP, BP, GD or WU, got '{rec['phase']}'")
        try:
            kind = LayerKind.from_label(rec["kind"])
        except ValueError as exc:
            raise TraceFormatError(f"{where}:{lineno}: {exc}") from None
        layer = rec["layer"]
        if not layer:
            raise TraceFormatError(f"{where}:{lineno}: expected a layer name, got an empty field")
        if layer not in layer_index:
            if declared_layers is not None:
                raise TraceFormatError(
                    f"{where}:{lineno}: expected a layer listed in '# layers:', got '{layer}'"
                )
            layer_index[layer] = len(layer_names)
            layer_names.append(layer)
        m, n, k = integer("m", 0), integer("n", 0), integer("k", 0)
        values = {name: integer(name, 0) for name in _INT_COLUMNS}
        macs = integer("macs", m * n * k)
        start, end = integer("start_cycle", -1), integer("end_cycle", -1)
        for dep in rec["deps"].split():
            try:
                dep_id = int(dep)
                if not -(2**63) <= dep_id < 2**63:
                    raise ValueError(dep)
                deps.append(dep_id)
            except ValueError:
                raise TraceFormatError(
                    f"{where}:{lineno}: expected dependency ids separated by spaces, got '{rec['deps']}'"
                ) from None
        offsets.append(len(deps))
        rows.append(
            (
                tid,
                values["instance"],
                int(Phase[phase_text]),
                layer_index[layer],
                int(kind),
                m,
                n,
                k,
                macs,
                values["vector_ops"],
                values["bytes_in"],
                values["bytes_out"],
                values["stash_bytes"],
                start,
                end,
            )
        )
    if header is None:
        raise TraceFormatError(f"{where}: expected a header line ({','.join(CSV_COLUMNS)}), got no data")
    tasks = np.array(rows, dtype=TASK_DTYPE) if rows else np.zeros(0, dtype=TASK_DTYPE)
    arrays = TaskArrays(
        tasks, np.array(offsets, np.int64), np.array(deps, np.int64), tuple(layer_names), meta
    )
    _validate(arrays, where)
    return arrays


def _validate(arrays: TaskArrays, where: str) -> None:
    try:
        arrays.validate()
    except (ConfigError, OverflowError, ValueError) as exc:
        if isinstance(exc, TraceFormatError):
            raise
        raise TraceFormatError(f"{where}: {exc}") from None


def write_compute_trace_npz(arrays: TaskArrays, path: str | os.PathLike[str]) -> None:
    """Write ``arrays`` as a compressed npz compute trace (one array per column; no pickled objects)."""
    content: dict[str, Any] = {name: np.ascontiguousarray(arrays.tasks[name]) for name in _NPZ_COLUMNS}
    content |= {
        "format": np.array(FORMAT_TAG),
        "version": np.array(FORMAT_VERSION, dtype=np.int64),
        "meta": np.array(json.dumps(arrays.meta, sort_keys=True)),
        "layer_names": np.array(arrays.layer_names, dtype=str),
        "dep_offsets": arrays.dep_offsets.astype(np.int64),
        "dep_ids": arrays.dep_ids.astype(np.int64),
    }
    with Path(path).open("wb") as f:
        np.savez_compressed(f, **content)


def read_compute_trace_npz(path: str | os.PathLike[str]) -> TaskArrays:
    """Read an npz compute trace.

    Raises
    ------
    TraceFormatError
        For a file that is not such an archive, a missing or mistyped array, or an invalid graph (naming task ids).
    """
    where = str(path)
    try:
        # Open the file ourselves: np.load leaves it open when the archive is broken.
        with Path(path).open("rb") as f:
            data = np.load(f, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise TypeError("a single .npy array, not an archive")
            with data:
                content = {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, zlib.error, TypeError, ValueError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise TraceFormatError(f"{where}: expected a numpy .npz archive ({exc})") from None
    for name in ("format", "version", "meta"):
        if name in content and content[name].ndim != 0:
            raise TraceFormatError(
                f"{where}: expected '{name}' as a single value, got shape {content[name].shape}"
            )
    if str(content.get("format", "")) != FORMAT_TAG:
        raise TraceFormatError(f"{where}: expected format '{FORMAT_TAG}', got '{content.get('format', '')}'")
    version = content.get("version")
    if version is None or version.dtype.kind not in "iu" or int(version) != FORMAT_VERSION:
        raise TraceFormatError(f"{where}: expected version {FORMAT_VERSION}, got {version}")
    needed = (*_NPZ_COLUMNS, "dep_offsets", "dep_ids", "layer_names")
    for name in needed:
        if name not in content:
            raise TraceFormatError(f"{where}: expected an array '{name}', found none")
    n = content["id"].shape[0] if content["id"].ndim == 1 else -1
    tasks = np.zeros(max(n, 0), dtype=TASK_DTYPE)
    for name in _NPZ_COLUMNS:
        col = content[name]
        if col.ndim != 1 or col.shape[0] != n or not np.issubdtype(col.dtype, np.integer):
            raise TraceFormatError(
                f"{where}: expected '{name}' as {n} whole numbers, got {col.dtype} {col.shape}"
            )
        info = np.iinfo(TASK_DTYPE[name])
        if col.size and (int(col.min()) < info.min or int(col.max()) > info.max):
            raise TraceFormatError(f"{where}: values of '{name}' do not fit {TASK_DTYPE[name]}")
        tasks[name] = col
    for name in ("dep_offsets", "dep_ids"):
        col = content[name]
        if col.ndim != 1 or not np.issubdtype(col.dtype, np.integer):
            raise TraceFormatError(
                f"{where}: expected '{name}' as whole numbers, got {col.dtype} {col.shape}"
            )
    names = content["layer_names"]
    if names.ndim != 1 or names.dtype.kind != "U":
        raise TraceFormatError(f"{where}: expected 'layer_names' as text, got {names.dtype}")
    try:
        meta = json.loads(str(content.get("meta", "{}")))
    except json.JSONDecodeError as exc:
        raise TraceFormatError(f"{where}: expected 'meta' as JSON ({exc})") from None
    arrays = TaskArrays(
        tasks,
        content["dep_offsets"].astype(np.int64),
        content["dep_ids"].astype(np.int64),
        tuple(str(s) for s in names),
        meta if isinstance(meta, dict) else {},
    )
    _validate(arrays, where)
    return arrays


def write_compute_trace(arrays: TaskArrays, path: str | os.PathLike[str]) -> None:
    """Write a compute trace; the format follows the suffix (``.csv`` or ``.npz``)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        write_compute_trace_csv(arrays, path)
    elif suffix == ".npz":
        write_compute_trace_npz(arrays, path)
    else:
        raise ConfigError(f"compute trace '{path}': expected a .csv or .npz file name")


def read_compute_trace(path: str | os.PathLike[str]) -> TaskArrays:
    """Read a compute trace; the format follows the suffix (``.csv`` or ``.npz``)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return read_compute_trace_csv(path)
    if suffix == ".npz":
        return read_compute_trace_npz(path)
    raise TraceFormatError(f"{path}: expected a .csv or .npz compute trace")
