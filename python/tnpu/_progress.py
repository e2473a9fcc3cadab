"""One progress helper for long commands (run, sweeps): a bar on a terminal, a line every few seconds elsewhere.

``enabled=None`` (the default) shows progress on stderr: on a terminal a tqdm (a core dependency) or rich bar, and
when stderr is not a terminal (a pipe, a log file, CI) a plain line every 5 s with the percent done, the rate and
the time left, once the work has taken 2 s. Commands pass ``enabled=False`` for ``--json`` and ``--quiet``.
Nothing is ever written to stdout, so progress never mixes with results.

Examples
--------
>>> from tnpu._progress import progress_bar
>>> with progress_bar(3, "points", enabled=False) as bar:
...     for _ in range(3):
...         bar.update()
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class ProgressBar(Protocol):
    """What :func:`progress_bar` yields: ``update(n)`` after ``n`` more items are done."""

    def update(self, n: int = 1) -> None:
        """Advance the bar by ``n`` items."""


class _Silent:
    def update(self, n: int = 1) -> None:
        del n


class _Lines:
    """Progress as plain lines on stderr, at most one per ``every`` seconds, after the first ``after`` seconds."""

    def __init__(self, total: int, description: str, unit: str, initial: int, every: float = 5.0) -> None:
        self._total, self._description, self._unit = max(total, 1), description, unit
        self._done = self._start_done = initial
        self._start = self._last = time.monotonic()
        self._every = every
        self._after = 2.0

    def update(self, n: int = 1) -> None:
        self._done += n
        now = time.monotonic()
        if now - self._last >= self._every and now - self._start >= self._after:
            self._last = now
            self.line(now)

    def line(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        rate = (self._done - self._start_done) / elapsed
        left = (self._total - self._done) / rate if rate > 0 else float("inf")
        eta = f"about {left:.0f} s left" if left != float("inf") else "time left unknown"
        print(
            f"{self._description}: {self._done}/{self._total} {self._unit} ({self._done / self._total:.0%}), "
            f"{rate:.3g} {self._unit}/s, {eta}",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        now = time.monotonic()
        if now - self._start >= self._after and self._last != now:
            self.line(now)


class _Rich:
    def __init__(self, progress: Any, task: Any) -> None:
        self._progress = progress
        self._task = task

    def update(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)


def stderr_is_tty() -> bool:
    """Whether standard error is an interactive terminal."""
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def _try_import(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def backend() -> str | None:
    """Name of the installed backend that :func:`progress_bar` would use: ``"tqdm"``, ``"rich"`` or None."""
    for name in ("tqdm", "rich"):
        if _try_import(name) is not None:
            return name
    return None


@contextmanager
def progress_bar(
    total: int, description: str, *, enabled: bool | None = None, initial: int = 0, unit: str = "points"
) -> Iterator[ProgressBar]:
    """Yield a progress bar on stderr over ``total`` items.

    Parameters
    ----------
    total
        Number of items.
    description
        Short label shown before the bar (e.g. ``"sweep"``).
    enabled
        ``None`` or ``True``: show it (a bar on a terminal, lines elsewhere); ``False``: never (``--json``,
        ``--quiet``).
    initial
        Items already done (e.g. points reused from a previous run).
    unit
        What an item is, for the rate ("points", "tasks").
    """
    if enabled is False:
        yield _Silent()
        return
    name = backend() if stderr_is_tty() else None
    if name is None:
        lines = _Lines(total, description, unit, initial)
        try:
            yield lines
        finally:
            lines.close()
        return
    if name == "tqdm":
        tqdm = importlib.import_module("tqdm")
        with tqdm.tqdm(
            total=total,
            initial=initial,
            desc=description,
            unit=f" {unit}",
            file=sys.stderr,
            dynamic_ncols=True,
        ) as bar:
            yield bar
    elif name == "rich":
        rp = importlib.import_module("rich.progress")
        console = importlib.import_module("rich.console").Console(stderr=True)
        with rp.Progress(console=console, transient=False) as progress:
            task = progress.add_task(description, total=total, completed=initial)
            yield _Rich(progress, task)
    else:  # pragma: no cover - backend() named one of the two
        yield _Silent()
