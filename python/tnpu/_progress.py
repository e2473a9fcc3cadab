"""One progress bar helper for long commands (sweeps, reproduce): tqdm or rich when installed, else silent.

A bar is shown only when it is asked for and stderr is a terminal: ``enabled=None`` means "if stderr is a tty",
and commands pass ``enabled=False`` for ``--json`` and ``--quiet``. Nothing is ever written to stdout, so a bar
never mixes with results. Install one of the backends with the ``progress`` extra (``pip install
"tnpu-sim[progress]"``, tqdm); without either backend the bar is silently absent.

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
    total: int, description: str, *, enabled: bool | None = None, initial: int = 0
) -> Iterator[ProgressBar]:
    """Yield a progress bar on stderr over ``total`` items.

    Parameters
    ----------
    total
        Number of items.
    description
        Short label shown before the bar (e.g. ``"sweep"``).
    enabled
        ``None``: show it when stderr is a tty; ``False``: never (``--json``, ``--quiet``); ``True``: show it even
        when stderr is not a tty (still only if a backend is installed).
    initial
        Items already done (e.g. points reused from a previous run).
    """
    show = stderr_is_tty() if enabled is None else enabled
    name = backend() if show else None
    if name == "tqdm":
        tqdm = importlib.import_module("tqdm")
        with tqdm.tqdm(
            total=total, initial=initial, desc=description, unit="pt", file=sys.stderr, dynamic_ncols=True
        ) as bar:
            yield bar
    elif name == "rich":
        rp = importlib.import_module("rich.progress")
        console = importlib.import_module("rich.console").Console(stderr=True)
        with rp.Progress(console=console, transient=False) as progress:
            task = progress.add_task(description, total=total, completed=initial)
            yield _Rich(progress, task)
    else:
        yield _Silent()
