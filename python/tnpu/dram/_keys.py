"""What the config-file readers share: how a key that has no effect is reported, and "did you mean"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tnpu.dram.config import DramConfig
from tnpu.errors import ConfigError


@dataclass(frozen=True, slots=True)
class IgnoredKey:
    """A key of a peer's config file that has no effect in tnpu-sim, and why."""

    where: str  # "[timing] tCKE (line 21)" or "line 9: cpu_tick"
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def _distance(a: str, b: str) -> int:
    """Edit distance with adjacent transpositions (optimal string alignment): ``tRDC`` -> ``tRCD`` is 1."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def nearest(key: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``key`` (case-insensitive), if any is close: ``tRDC`` -> ``tRCD``.

    Closest: the fewest edits (a swap of two neighbours counts as one), then the same letters (a swap rather than
    another letter), then difflib's similarity. Close: at most a third of the key's letters edited, or similar
    by difflib (ratio 0.6 or more).
    """
    low = key.lower()
    best: tuple[int, int, float] | None = None
    choice = None
    for c in dict.fromkeys(candidates):
        cl = c.lower()
        ratio = difflib.SequenceMatcher(None, low, cl).ratio()
        dist = _distance(low, cl)
        if dist > max(1, len(low) // 3) and ratio < 0.6:
            continue
        score = (dist, 0 if sorted(low) == sorted(cl) else 1, -ratio)
        if best is None or score < best:
            best, choice = score, c
    return choice


def did_you_mean(key: str, candidates: Iterable[str]) -> str:
    """Return `` (did you mean X?)`` for the nearest candidate, or ``""``."""
    best = nearest(key, candidates)
    return f" (did you mean {best}?)" if best else ""


def summary(ignored: list[IgnoredKey], peer: str) -> str:
    """Return the one line that stands for every ignored key (``--verbose`` and the JSON list them)."""
    reasons: dict[str, int] = {}
    for k in ignored:
        reasons[k.reason] = reasons.get(k.reason, 0) + 1
    kinds = "; ".join(f"{n} {r}" for r, n in sorted(reasons.items(), key=lambda x: (-x[1], x[0])))
    return (
        f"{len(ignored)} key{'s' if len(ignored) != 1 else ''} of this {peer} file have no effect here "
        f"({kinds}); --verbose lists them"
    )


def peer_config(
    values: dict[str, Any], path: Path, *, source: str, notes: list[str], ignored: list[IgnoredKey], peer: str
) -> DramConfig:
    """Build and validate the DramConfig a peer's file gives, with its notes and the one summary of ignored keys."""
    if ignored:
        notes = [*notes, summary(ignored, peer)]
    cfg = DramConfig().replace(
        **values, source=source, notes=tuple(notes), ignored_keys=tuple(str(k) for k in ignored)
    )
    try:
        cfg.validate()
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return cfg
