"""Per-constant timelines: the tag that introduced each constant, changed it, removed it.

Consecutive tags are compared with the same rules as ``dssync diff`` (``compare_constant``), so
a transition here is exactly what ``diff_tables`` reports between the two tags. A tag where the
file is absent counts as an empty file (every constant removed there, re-introduced if the file
comes back); a tag whose file cannot be parsed is skipped, and the tags on either side of it
are compared directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from dssync._diff.engine import compare_constant
from dssync._analyses.walk import ABSENT, PRESENT, UNREADABLE, Snapshot, Walk
from dssync.models import UNRESOLVED, ConstantTable

INTRODUCED, CHANGED, REMOVED, REINTRODUCED = "introduced", "changed", "removed", "reintroduced"


@dataclass(frozen=True)
class Event:
    """One release's change to a constant."""

    tag: str
    kind: str
    """``introduced``, ``changed``, ``removed`` or ``reintroduced``."""
    value: str | None = None
    """The value (normalized source) from this tag on; None once removed."""
    old: str | None = None
    """The value before this tag (``changed`` and ``removed``)."""
    line: int | None = None
    """Where the constant is at this tag (before it, for ``removed``)."""
    change: str | None = None
    """For ``changed``: ``value`` (the expression changed) or ``reference`` (what it uses did)."""
    resolved: Any = field(default=UNRESOLVED, compare=False)
    old_resolved: Any = field(default=UNRESOLVED, compare=False)
    details: tuple[str, ...] | None = field(default=None, compare=False)
    """For a changed container or multi-line string: what changed inside it."""


@dataclass
class ConstantTimeline:
    """A constant's events, oldest release first."""

    name: str
    events: list[Event] = field(default_factory=list)

    @property
    def introduced(self) -> str:
        return self.events[0].tag

    @property
    def removed(self) -> str | None:
        """The tag that removed it for good, or None if it is present at the last tag."""
        return self.events[-1].tag if self.events[-1].kind == REMOVED else None

    @property
    def changes(self) -> int:
        """Events after the first appearance."""
        return len(self.events) - 1


@dataclass
class FileHistory:
    """One upstream file across the releases read: its constants' timelines."""

    path: str
    """The upstream path."""
    tags: list[str]
    status: dict[str, str]
    """tag -> ``present``, ``absent`` or ``unreadable``."""
    constants: list[ConstantTimeline]
    """In order of first appearance, then source order."""
    vendored: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    """tag -> why the file could not be read there."""
    hidden: int = 0
    """Constants left out of ``constants`` because they stayed the same at every tag."""

    def hide_unchanged(self) -> None:
        """Keep only constants with an event after the first tag (``--only-changed``)."""
        first = self.tags[0] if self.tags else None
        kept = [c for c in self.constants if c.changes > 0 or c.introduced != first]
        self.hidden += len(self.constants) - len(kept)
        self.constants = kept

    def timeline(self, name: str) -> ConstantTimeline:
        for t in self.constants:
            if t.name == name:
                return t
        raise KeyError(name)


@dataclass
class History:
    """What ``history`` found: every file's timelines over the releases read."""

    source: str
    tags: list[str]
    files: list[FileHistory]
    since: str | None = None
    until: str | None = None
    notes: list[str] = field(default_factory=list)


def _empty(path: str) -> ConstantTable:
    return ConstantTable(path=path, constants={})


def build_file_history(path: str, tags: Sequence[str], snapshots: Mapping[str, Snapshot],
                       vendored: str | None = None) -> FileHistory:
    timelines: dict[str, ConstantTimeline] = {}
    prev = _empty(path)
    prev_sha: str | None = None
    status: dict[str, str] = {}
    errors: dict[str, str] = {}
    for tag in tags:
        snap = snapshots.get(tag) or Snapshot(tag, path, ABSENT)
        status[tag] = snap.status
        if snap.status == UNREADABLE:
            errors[tag] = snap.error or "cannot be parsed"
            continue
        if snap.status == PRESENT and snap.sha256 is not None and snap.sha256 == prev_sha:
            continue  # the very same bytes: nothing can have changed
        table = snap.table if snap.status == PRESENT and snap.table is not None else _empty(path)
        for name, const in prev.constants.items():
            if name not in table:
                timelines[name].events.append(Event(tag, REMOVED, None, const.key, const.line,
                                                    old_resolved=prev.value_of(name)))
        for name, const in table.constants.items():
            if name not in prev:
                line = timelines.setdefault(name, ConstantTimeline(name))
                kind = REINTRODUCED if line.events else INTRODUCED
                line.events.append(Event(tag, kind, const.key, None, const.line,
                                         resolved=table.value_of(name)))
                continue
            change = compare_constant(prev, table, name)
            if change is not None:
                timelines[name].events.append(Event(
                    tag, CHANGED, change.new, change.old, change.new_line, change.kind,
                    resolved=change.new_resolved, old_resolved=change.old_resolved,
                    details=change.details))
        prev = table
        prev_sha = snap.sha256 if snap.status == PRESENT else None
    return FileHistory(path=path, tags=list(tags), status=status,
                       constants=list(timelines.values()), vendored=vendored, errors=errors)


def build_history(walk: Walk, vendored: Mapping[str, str] | None = None, *,
                  since: str | None = None, until: str | None = None) -> History:
    """Timelines for every walked path; ``vendored`` maps upstream paths to vendored names."""
    vendored = vendored or {}
    files = [build_file_history(path, walk.tags, snaps, vendored.get(path))
             for path, snaps in walk.snapshots.items()]
    return history_of(walk, files, since=since, until=until)


def history_of(walk: Walk, files: list[FileHistory], *, since: str | None = None,
               until: str | None = None) -> History:
    """The history of ``walk`` made of ``files``, built or read back from the cache."""
    return History(source=walk.source, tags=list(walk.tags), files=files, since=since,
                   until=until, notes=list(walk.notes))
