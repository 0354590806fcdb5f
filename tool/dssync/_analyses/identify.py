"""Which upstream release a vendored copy came from, by constant-level distance.

The distance to a tag is how many constants ``diff_tables`` finds added, removed or changed
(renames count as one removal and one addition: a copy that predates a rename is further from
that release). Pinned constants are local on purpose and do not count. Several tags often hold
the very same constants; the answer is then the range of consecutive tags that tie.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from dssync._diff.engine import diff_tables
from dssync._analyses.walk import PRESENT, UNREADABLE, Snapshot
from dssync.models import ConstantTable


@dataclass(frozen=True)
class Score:
    """How far one release is from the vendored copy, constant by constant."""

    tag: str
    distance: int
    added: int = 0
    removed: int = 0
    changed: int = 0


@dataclass
class Match:
    """The best-scoring tags, as runs of consecutive scored tags."""

    best: int
    ranges: list[tuple[str, str]]
    scores: list[Score]
    """Every scored tag, oldest first."""
    skipped: list[str] = field(default_factory=list)
    """Tags that could not be scored (file absent or unreadable)."""

    @property
    def exact(self) -> bool:
        return self.best == 0

    @property
    def tags(self) -> list[str]:
        return [s.tag for s in self.scores if s.distance == self.best]


def distance(vendored: ConstantTable, upstream: ConstantTable,
             pins: Mapping[str, str] | None = None, tag: str = "") -> Score:
    drift = diff_tables(vendored, upstream, pins=pins, renames=False, place_added=False)
    return Score(tag, len(drift.added) + len(drift.removed) + len(drift.changed),
                 len(drift.added), len(drift.removed), len(drift.changed))


def score_tags(vendored: ConstantTable, snapshots: Mapping[str, Snapshot], tags: Sequence[str],
               pins: Mapping[str, str] | None = None) -> tuple[list[Score], list[str]]:
    """A score for each tag where the file is present and readable; and the skipped tags."""
    scores: list[Score] = []
    skipped: list[str] = []
    memo: dict[str, Score] = {}
    for tag in tags:
        snap = snapshots.get(tag)
        if snap is None or snap.status != PRESENT or snap.table is None:
            skipped.append(tag)
            continue
        key = snap.sha256 or tag  # releases that repeat a file's bytes repeat its score
        if key not in memo:
            memo[key] = distance(vendored, snap.table, pins)
        s = memo[key]
        scores.append(Score(tag, s.distance, s.added, s.removed, s.changed))
    return scores, skipped


def combine_scores(per_file: Sequence[tuple[list[Score], list[str]]],
                   tags: Sequence[str]) -> tuple[list[Score], list[str]]:
    """Summed scores over several files, for tags every file could be scored at."""
    maps = [{s.tag: s for s in scores} for scores, _ in per_file]
    scores, skipped = [], []
    for tag in tags:
        parts = [m[tag] for m in maps if tag in m]
        if len(parts) < len(maps):
            skipped.append(tag)
            continue
        scores.append(Score(tag, sum(p.distance for p in parts), sum(p.added for p in parts),
                            sum(p.removed for p in parts), sum(p.changed for p in parts)))
    return scores, skipped


def best_match(scores: Sequence[Score], skipped: Sequence[str] = ()) -> Match | None:
    """The lowest distance and the runs of consecutive scored tags that reach it."""
    if not scores:
        return None
    best = min(s.distance for s in scores)
    ranges: list[tuple[str, str]] = []
    start: str | None = None
    last: str | None = None
    for s in scores:
        if s.distance == best:
            if start is None:
                start = s.tag
            last = s.tag
        elif start is not None:
            ranges.append((start, last))  # type: ignore[arg-type]
            start = None
    if start is not None:
        ranges.append((start, last))  # type: ignore[arg-type]
    return Match(best=best, ranges=ranges, scores=list(scores), skipped=list(skipped))


def unreadable(snapshots: Mapping[str, Snapshot]) -> list[Snapshot]:
    return [s for s in snapshots.values() if s.status == UNREADABLE]
