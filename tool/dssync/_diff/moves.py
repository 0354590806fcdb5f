"""Constants that moved between configured files of one upstream release.

Upstream sometimes moves a constant from one module to another. Per file, ``diff_tables`` can
only see one removal (in the old file) and one addition (in the new). Over a whole report, a
constant removed from one file and added to another, under the same name and with the same
value, is one move. The pairing must be unambiguous: a name removed from, or added to, more than
one file is left as it is.
"""

from __future__ import annotations

from dataclasses import replace

from dssync.models import Added, DriftReport, FileDrift, Moved, Removed


def detect_moves(report: DriftReport) -> DriftReport:
    """A copy of ``report`` with each cross-file move taken out of removed/added into ``moved``
    of both files. The input report is not modified; a report whose moves are found already
    comes back the same."""
    removed_in: dict[str, list[tuple[int, Removed]]] = {}
    added_in: dict[str, list[tuple[int, Added]]] = {}
    for i, f in enumerate(report.files):
        for r in f.removed:
            removed_in.setdefault(r.name, []).append((i, r))
        for a in f.added:
            added_in.setdefault(a.name, []).append((i, a))
    moves: dict[int, list[Moved]] = {}
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
        move = Moved(name, a.value, s.vendored, s.upstream, d.vendored, d.upstream, r.line, a.line,
                     a.written, a.comment or r.comment, a.placement)
        moves.setdefault(src, []).append(move)
        moves.setdefault(dst, []).append(move)
        gone.add((src, name))
        came.add((dst, name))
    files: list[FileDrift] = []
    for i, f in enumerate(report.files):
        files.append(replace(
            f,
            removed=[r for r in f.removed if (i, r.name) not in gone],
            added=[a for a in f.added if (i, a.name) not in came],
            changed=list(f.changed), renamed=list(f.renamed), pinned=list(f.pinned),
            renamed_classes=list(f.renamed_classes), moved=list(f.moved) + moves.get(i, []),
        ))
    return replace(report, files=files, notes=list(report.notes))
