"""Streaming Parquet output of a sweep (used by :func:`tnpu.sweep.sweep`; needs pyarrow, imported lazily).

Layout while a sweep runs, for ``--out results.parquet``::

    results.parquet.lock          advisory lock (flock): one writer at a time
    results.parquet.parts/
        _sweep.json               the manifest: fingerprint, evaluator, workloads, space, point count
        part-<ns>-<pid>-<n>.parquet   finished rows, a small batch per file

Each part file is written under a ``.tmp`` name, fsync'd and renamed into place (``os.replace`` is atomic), so a
``kill -9`` at any moment leaves only complete part files (and perhaps a ``.tmp`` file, deleted on resume): every
row that reached a part file survives, and the rows still in memory are recomputed on resume. When every point is
done the rows are written, in point order, to ``results.parquet`` (again ``.tmp`` + rename, the manifest in the
file's schema metadata under ``tnpu.sweep``) and only then is the parts folder removed. A kill between the two
leaves both; a resume reads both and keeps each point once.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

from tnpu._optional import optional_import
from tnpu.errors import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no lock
    fcntl = None  # type: ignore[assignment]

#: Key of the manifest in the Parquet schema metadata and name of the manifest file.
METADATA_KEY = b"tnpu.sweep"
MANIFEST = "_sweep.json"


def _pq() -> Any:
    return optional_import("pyarrow.parquet")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def table_of(rows: list[dict[str, Any]], columns: list[str], manifest: dict[str, Any] | None = None) -> Any:
    """Build a pyarrow Table with ``columns`` (in that order) from ``rows`` (missing keys are null)."""
    pa = optional_import("pyarrow")
    table = pa.table({name: pa.array([row.get(name) for row in rows]) for name in columns})
    if manifest is not None:
        table = table.replace_schema_metadata({METADATA_KEY: json.dumps(manifest, sort_keys=True).encode()})
    return table


def _write_atomic(table: Any, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    _pq().write_table(table, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """Return the sweep manifest stored in a finished sweep's Parquet file, or None if it has none."""
    meta = _pq().read_schema(path).metadata or {}
    raw = meta.get(METADATA_KEY)
    return None if raw is None else dict(json.loads(raw))


def _holder(path: Path) -> str:
    """Who holds the lock at ``path``: the pid written by the sweep that took it, and whether it still runs."""
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return f"{path} is locked (holder unknown)"
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    except PermissionError:
        alive = True
    if alive:
        return f"pid {pid} holds {path} (stop it, or wait for it to finish)"
    return f"pid {pid} took {path} and has exited, but processes it started still hold it"


def saved_points(out: str | os.PathLike[str]) -> int:
    """Points a sweep writing to ``out`` has saved so far (final file and part files), each once."""
    out = Path(out)
    ids: set[str] = set()
    sources = [out] if out.exists() else []
    sources.extend(sorted(out.with_name(out.name + ".parts").glob("part-*.parquet")))
    for path in sources:
        with contextlib.suppress(OSError, ValueError):
            ids.update(
                str(x) for x in _pq().read_table(path, columns=["point_id"]).column("point_id").to_pylist()
            )
    return len(ids)


class SweepStore:
    """The output of one sweep: rows already finished, new rows streamed to part files, the final file.

    Parameters
    ----------
    out
        The final Parquet file.
    manifest
        What identifies the sweep; ``manifest["fingerprint"]`` is compared with an existing output.
    force
        Replace an existing output of a different sweep instead of refusing.
    resume
        Keep the rows of an existing output of the same sweep (else start over).
    flush_seconds, flush_rows
        A part file is written when the oldest unwritten row is this old, or this many rows wait.
    """

    def __init__(
        self,
        out: str | os.PathLike[str],
        manifest: dict[str, Any],
        *,
        force: bool = False,
        resume: bool = True,
        flush_seconds: float = 1.0,
        flush_rows: int = 256,
    ) -> None:
        _pq()  # fail early, before any work, if pyarrow is missing
        self.out = Path(out)
        self.parts = self.out.with_name(self.out.name + ".parts")
        self.manifest = manifest
        self.flush_seconds = flush_seconds
        self.flush_rows = flush_rows
        self._pending: list[dict[str, Any]] = []
        self._pending_since = 0.0
        self._columns: list[str] = []
        self._seq = 0
        self._lock_fd: int | None = None
        if self.out.is_dir():
            raise ConfigError(f"{self.out}: is a directory; --out expects a .parquet file path")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            self._prepare(force=force, resume=resume)
        except BaseException:
            self.close()
            raise

    # -- lifetime -----------------------------------------------------------------------------------------------
    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        path = self.out.with_name(self.out.name + ".lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError(f"{self.out}: another sweep is writing this output: {_holder(path)}") from None
        # the holder's pid, for the message a second writer gets (the lock itself is the flock: it goes with the
        # processes holding it, so a killed sweep leaves no stale lock)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def close(self) -> None:
        """Release the lock (rows not yet flushed are dropped: call :meth:`flush` first)."""
        if self._lock_fd is not None:
            path = self.out.with_name(self.out.name + ".lock")
            with contextlib.suppress(OSError):
                path.unlink()
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- opening ------------------------------------------------------------------------------------------------
    def _describe(self, manifest: dict[str, Any]) -> str:
        return (
            f"{manifest.get('points', '?')} points of evaluator {manifest.get('evaluator', '?')!r} over "
            f"{', '.join(manifest.get('space', {})) or 'no parameters'}, workloads "
            f"{', '.join(manifest.get('workloads', [])) or '?'}"
        )

    def _mismatch(self, where: Path, found: dict[str, Any] | None) -> str | None:
        if found is None:
            return f"{where} exists and is not a tnpu sweep output"
        if found.get("fingerprint") != self.manifest["fingerprint"]:
            return (
                f"{where} holds a different sweep ({self._describe(found)}; this one: "
                f"{self._describe(self.manifest)})"
            )
        if found.get("tnpu_version") != self.manifest["tnpu_version"]:
            return (
                f"{where} was written by tnpu-sim {found.get('tnpu_version')}, this is "
                f"{self.manifest['tnpu_version']}: its rows may differ from what this version computes"
            )
        return None

    def _prepare(self, *, force: bool, resume: bool) -> None:
        problems = []
        if self.out.exists():
            try:
                found = read_manifest(self.out)
            except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) on non-Parquet
                found = None
                problems.append(f"{self.out} exists and is not a readable Parquet file ({exc})")
            else:
                problem = self._mismatch(self.out, found)
                if problem:
                    problems.append(problem)
        if self.parts.exists():
            manifest_path = self.parts / MANIFEST
            try:
                found = json.loads(manifest_path.read_text())
            except (OSError, ValueError):
                found = None
            problem = self._mismatch(self.parts, found)
            if problem:
                problems.append(problem)
        if problems and not force:
            raise ConfigError(
                "; ".join(problems)
                + ". Refusing to overwrite it: pass --force (force=True) to replace it, or "
                "choose another --out"
            )
        if problems or not resume:
            self._remove_outputs()
        self.parts.mkdir(exist_ok=True)
        manifest_path = self.parts / MANIFEST
        if not manifest_path.exists():
            tmp = manifest_path.with_name(MANIFEST + ".tmp")
            tmp.write_text(json.dumps(self.manifest, sort_keys=True, indent=1))
            os.replace(tmp, manifest_path)
        for leftover in self.parts.glob("*.tmp"):
            leftover.unlink()

    def _remove_outputs(self) -> None:
        if self.out.exists():
            self.out.unlink()
        if self.parts.exists():
            for path in self.parts.iterdir():
                if path.name == MANIFEST or path.name.startswith("part-") or path.name.endswith(".tmp"):
                    path.unlink()
            self.parts.rmdir()  # fails (OSError) if someone else's files are in it: nothing else is removed

    # -- rows ---------------------------------------------------------------------------------------------------
    def finished_rows(self) -> dict[str, dict[str, Any]]:
        """Rows already stored (final file, then part files), by point id, each point once."""
        rows: dict[str, dict[str, Any]] = {}
        sources: list[Path] = []
        if self.out.exists():
            sources.append(self.out)
        sources.extend(sorted(self.parts.glob("part-*.parquet")))
        for path in sources:
            try:
                table = _pq().read_table(path)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{path}: cannot read finished sweep rows: {exc}") from None
            for row in table.to_pylist():
                rows.setdefault(str(row["point_id"]), row)
        return rows

    def add(self, row: dict[str, Any], columns: Iterable[str]) -> None:
        """Queue one finished row; write a part file when enough rows wait or the oldest has waited long enough."""
        for name in columns:
            if name not in self._columns:
                self._columns.append(name)
        if not self._pending:
            self._pending_since = time.monotonic()
        self._pending.append(row)
        if len(self._pending) >= self.flush_rows:
            self.flush()
        else:
            self.tick()

    def tick(self) -> None:
        """Write the queued rows if the oldest has waited ``flush_seconds`` (call it now and then)."""
        if self._pending and time.monotonic() - self._pending_since >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the queued rows as one part file (atomically)."""
        if not self._pending:
            return
        self._seq += 1
        name = f"part-{time.time_ns():020d}-{os.getpid()}-{self._seq:06d}.parquet"
        _write_atomic(table_of(self._pending, self._columns), self.parts / name)
        self._pending = []

    def finish(self, rows: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
        """Write every row (in the given order) to the final file, remove the parts, return the rows as stored."""
        self.flush()
        table = table_of(rows, columns, self.manifest)
        _write_atomic(table, self.out)
        shutil.rmtree(self.parts)
        return list(table.to_pylist())
