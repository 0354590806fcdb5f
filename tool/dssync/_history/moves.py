"""Constants that moved between configured files of one upstream release.

Upstream sometimes moves a constant from one module to another. Per file, ``diff_tables`` can
only see one removal (in the old file) and one addition (in the new). Over a whole report, a
constant removed from one file and added to another, under the same name and with the same
value, is one move. The pairing must be unambiguous: a name removed from, or added to, more than
one file is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from dssync.models import Added, DriftReport, FileDrift, Removed


@dataclass(frozen=True)
class Moved:
    name: str
    value: str
    """The normalized value, the same in both files."""
    from_vendored: str
    from_upstream: str
    to_vendored: str
    to_upstream: str
    old_line: int
    """Line in the vendored file it was removed from."""
    new_line: int
    """Line in the upstream file it was added to."""
    written: str = ""
    """The value as upstream writes it, for people."""


@dataclass
class MovedDriftReport(DriftReport):
    """A ``DriftReport`` whose moved constants are listed in ``moved``, not as removed + added."""

    moved: list[Moved] = field(default_factory=list)

    @property
    def has_drift(self) -> bool:
        return bool(self.moved) or any(f.has_drift for f in self.files)

    def summary(self) -> dict[str, int]:
        total = super().summary()
        total["moved"] = len(self.moved)
        return total


def detect_moves(report: DriftReport) -> MovedDriftReport:
    """A copy of ``report`` with each cross-file move taken out of removed/added into ``moved``.

    A note per move is added too, so formats that do not know ``moved`` still show it.
    The input report is not modified.
    """
    removed_in: dict[str, list[tuple[int, Removed]]] = {}
    added_in: dict[str, list[tuple[int, Added]]] = {}
    for i, f in enumerate(report.files):
        for r in f.removed:
            removed_in.setdefault(r.name, []).append((i, r))
        for a in f.added:
            added_in.setdefault(a.name, []).append((i, a))
    moves: list[Moved] = []
    gone: set[tuple[int, str]] = set()
    came: set[tuple[int, str]] = set()
    for name, removals in removed_in.items():
        additions = added_in.get(name, [])
        if len(removals) != 1 or len(additions) != 1:
            continue
        (src, r), (dst, a) = removals[0], additions[0]
        if src == dst or r.value != a.value:
            continue
        s, d = report.files[src], report.files[dst]
        moves.append(Moved(name, a.value, s.vendored, s.upstream, d.vendored, d.upstream,
                           r.line, a.line, a.written))
        gone.add((src, name))
        came.add((dst, name))
    files: list[FileDrift] = []
    for i, f in enumerate(report.files):
        files.append(replace(
            f,
            removed=[r for r in f.removed if (i, r.name) not in gone],
            added=[a for a in f.added if (i, a.name) not in came],
            changed=list(f.changed), renamed=list(f.renamed), pinned=list(f.pinned),
        ))
    notes = list(report.notes)
    notes += [f"{m.name} moved from {m.from_upstream} to {m.to_upstream} (same value "
              f"{m.written or m.value})" for m in moves]
    previous = list(getattr(report, "moved", []))
    return MovedDriftReport(files=files, tag=report.tag, notes=notes, web=report.web,
                            moved=previous + moves)
