"""Finding the best-matching release without reading every release.

A project can have hundreds of releases, each an archive to download. Scoring them all to
identify one copy is what ``dssync identify`` does for a single file; ``init`` adopts whole
trees of several projects in one go, so it searches instead:

- with a version hint (``vendor.txt``, ``__version__``), that release is scored first, and an
  exact match there ends the search (one archive); otherwise its two neighbours are, and when
  both are worse the search ends there (three archives);
- otherwise, a spread sample of releases across the whole list (oldest and newest included),
  then, round after round, a spread sample of the releases between the best one's nearest scored
  neighbours, until none is left unscored there. A copy drifts further from upstream the further
  the release is from its own, so the best release lies between those neighbours; ties (a file
  unchanged over several releases) are followed to both ends, so the whole tied range is known.

Scores are compared as tuples, lower is better; ``exact`` says whether a score ends the search.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

K = tuple[int, ...]
"""A release's score: compared as a tuple, lower is better."""

SPREAD = 8
"""Releases scored per round: the archives of one round are downloaded concurrently."""


@dataclass
class Found:
    """Where the search over the releases ended: the best score and the releases that tie for it."""

    best: K
    tied: list[int]
    """Indices (into the release list) of every scored release with the best score, in order."""
    scored: dict[int, K] = field(default_factory=dict)
    rounds: int = 0

    @property
    def newest(self) -> int:
        return self.tied[-1]


def spread(lo: int, hi: int, count: int) -> list[int]:
    """Up to ``count`` indices spread evenly over ``lo..hi`` (both ends included)."""
    if hi < lo:
        return []
    if hi - lo + 1 <= count:
        return list(range(lo, hi + 1))
    step = (hi - lo) / (count - 1)
    return sorted({lo + round(step * i) for i in range(count)})


def search(count: int, score: Callable[[Sequence[int]], Mapping[int, K]], *,
           hint: int | None = None, exact: Callable[[K], bool] = lambda key: False,
           width: int = SPREAD) -> Found | None:
    """The best-scoring of ``count`` releases (index 0 the oldest), asking ``score`` for a few
    indices at a time; None when ``score`` could score none (it leaves out those it cannot)."""
    scored: dict[int, K] = {}
    asked: set[int] = set()
    rounds = 0

    def run(indices: Sequence[int]) -> None:
        nonlocal rounds
        fresh = [i for i in dict.fromkeys(indices) if i not in asked and 0 <= i < count]
        if fresh:
            rounds += 1
            asked.update(fresh)
            scored.update(score(fresh))

    if hint is not None:
        run([hint])
        if hint in scored and exact(scored[hint]):
            return Found(scored[hint], [hint], dict(scored), rounds)
        # The hint is near, if not right: its two neighbours first. When both score worse,
        # the hinted release is the best (three archives); otherwise the search goes on from
        # the better side as usual.
        run([hint - 1, hint + 1])
    if not scored:
        run(spread(0, count - 1, width))
    while scored:
        best = min(scored.values())
        tied = sorted(i for i, k in scored.items() if k == best)
        lower = [i for i in asked if i < tied[0]]
        upper = [i for i in asked if i > tied[-1]]
        lo = max(lower) + 1 if lower else 0
        hi = min(upper) - 1 if upper else count - 1
        todo = [i for i in range(lo, hi + 1) if i not in asked]
        if not todo:
            return Found(best, tied, dict(scored), rounds)
        run([todo[i] for i in spread(0, len(todo) - 1, width)])
    return None
