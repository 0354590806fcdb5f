"""Text reports of history, identify and impact, for people.

Event lines start with the markers ``dssync diff`` uses (``+``, ``~``, ``-``), so they get the
same colours on a terminal.
"""

from __future__ import annotations

from typing import Sequence

from dssync._report.values import display
from dssync._analyses.drifted import CHANGED, MOVED, REMOVED, RENAMED, Drifted, Impact
from dssync._analyses.identify import Match, Score
from dssync._analyses.timeline import (
    CHANGED as EV_CHANGED, INTRODUCED, REINTRODUCED, ConstantTimeline, Event, FileHistory,
    History,
)
from dssync._analyses.walk import ABSENT
from dssync.models import UNRESOLVED


def tag_runs(tags: Sequence[str], chosen: set[str]) -> list[str]:
    """Consecutive chosen tags as ``first..last`` runs, in ``tags`` order."""
    runs: list[list[str]] = []
    previous_chosen = False
    for tag in tags:
        if tag in chosen:
            if previous_chosen:
                runs[-1].append(tag)
            else:
                runs.append([tag])
        previous_chosen = tag in chosen
    return [r[0] if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs]


def span(tags: Sequence[str]) -> str:
    if not tags:
        return "no tags"
    n = f"{len(tags)} release tag" + ("s" if len(tags) != 1 else "")
    return f"{n}, {tags[0]}" if len(tags) == 1 else f"{n}, {tags[0]} .. {tags[-1]}"


# -- history ---------------------------------------------------------------------------------


def _event_line(f: FileHistory, history: History, e: Event) -> str:
    tag = f"{e.tag:<10}"
    if e.kind == INTRODUCED:
        verb = "present from" if (history.since and e.tag == f.tags[0]) else "introduced"
        return f"    + {tag} {verb} = {display(e.value or '')}  (line {e.line})"
    if e.kind == REINTRODUCED:
        return f"    + {tag} re-introduced = {display(e.value or '')}  (line {e.line})"
    if e.kind == EV_CHANGED:
        if e.change == "reference":
            values = ""
            if e.old_resolved is not UNRESOLVED and e.resolved is not UNRESOLVED:
                values = f": {display(repr(e.old_resolved))} -> {display(repr(e.resolved))}"
            return f"    ~ {tag} changed through a reference: {display(e.value or '')}{values}"
        return f"    ~ {tag} changed: {display(e.old or '')} -> {display(e.value or '')}"
    return f"    - {tag} removed (was {display(e.old or '')})"


def _file_history(f: FileHistory, history: History) -> list[str]:
    head = f.path if f.vendored is None else f"{f.path} (vendored as {f.vendored})"
    lines = [f"history of {head}"]
    absent = {t for t, s in f.status.items() if s == ABSENT}
    if absent:
        lines.append(f"  file absent at: {', '.join(tag_runs(f.tags, absent))}")
    for tag, error in f.errors.items():
        lines.append(f"  skipped {tag}: {error}")
    changed = sum(1 for c in f.constants if any(e.kind == EV_CHANGED for e in c.events))
    removed = sum(1 for c in f.constants if c.removed is not None)
    hidden = f" ({f.hidden} more stayed the same throughout, not shown)" if f.hidden else ""
    # With --since, the first tag read is a baseline, not where constants appeared: what came
    # within the window is counted, and listed apart from (and before) the baseline.
    first = f.tags[0] if f.tags else None
    came = [c for c in f.constants if c.events[0].kind == INTRODUCED and c.introduced != first]
    added = f"{len(came)} added, " if history.since else ""
    lines.append(f"  {len(f.constants)} constants{hidden}; {added}{changed} changed at some "
                 f"release, {removed} removed by the last tag")
    quiet = [c for c in f.constants if len(c.events) == 1]
    for c in f.constants:
        if len(c.events) > 1:
            lines.append(f"  {c.name}")
            for e in c.events:
                lines.append(_event_line(f, history, e))
                lines += [f"        {d}" for d in e.details or ()]
    if quiet and history.since:
        new = [c for c in quiet if c.introduced != first]
        baseline = [c for c in quiet if c.introduced == first]
        if new:
            lines.append(f"  added within the window ({len(new)}), unchanged since, by the tag "
                         "that introduced them:")
            lines += _quiet_lines(new)
        if baseline:
            lines.append(f"  present from {first}, the first tag read, and unchanged "
                         f"({len(baseline)}):")
            lines += _quiet_lines(baseline)
    elif quiet:
        lines.append(f"  unchanged since they appeared ({len(quiet)}), by the tag that "
                     "introduced them:")
        lines += _quiet_lines(quiet)
    return lines


def _quiet_lines(constants: list[ConstantTimeline]) -> list[str]:
    return [f"    + {c.events[0].tag:<10} {c.name} = {display(c.events[0].value or '')}"
            for c in constants]


def render_history(history: History) -> str:
    lines = [f"upstream {history.source}: {span(history.tags)}"]
    lines += [f"note: {n}" for n in history.notes]
    for f in history.files:
        lines.append("")
        lines += _file_history(f, history)
    return "\n".join(lines) + "\n"


# -- identify --------------------------------------------------------------------------------


def _score_detail(s: Score) -> str:
    parts = [f"{n} {k}" for k, n in (("added", s.added), ("removed", s.removed),
                                       ("changed", s.changed)) if n]
    return f"distance {s.distance}" + (f": {', '.join(parts)}" if parts else "")


def _ranges(match: Match) -> str:
    return ", ".join(a if a == b else f"{a} .. {b}" for a, b in match.ranges)


def identify_lines(title: str, match: Match | None, tags: Sequence[str],
                   runners_up: int = 3) -> list[str]:
    lines = [title]
    if match is None:
        lines.append("  no release tag could be compared (the file is absent or unreadable "
                     "at every tag)")
        return lines
    best = next(s for s in match.scores if s.distance == match.best)
    if match.exact:
        lines.append(f"  exact match: {_ranges(match)} (distance 0)")
    else:
        lines.append(f"  closest: {_ranges(match)} ({_score_detail(best)})")
    others = sorted((s for s in match.scores if s.distance != match.best),
                    key=lambda s: s.distance)[:runners_up]
    if others:
        lines.append("  next: " + "; ".join(f"{s.tag} ({_score_detail(s)})" for s in others))
    if match.skipped:
        lines.append(f"  not compared (file absent or unreadable): "
                     f"{', '.join(tag_runs(tags, set(match.skipped)))}")
    return lines


def render_identify(source: str, tags: Sequence[str],
                    results: Sequence[tuple[str, Match | None]],
                    combined: Match | None = None, notes: Sequence[str] = ()) -> str:
    lines = [f"upstream {source}: {span(tags)}"]
    lines += [f"note: {n}" for n in notes]
    for title, match in results:
        lines.append("")
        lines += identify_lines(title, match, tags)
    if combined is not None:
        lines.append("")
        lines += identify_lines(f"all {len(results)} files together", combined, tags)
    return "\n".join(lines) + "\n"


# -- impact ----------------------------------------------------------------------------------


def _drift_title(d: Drifted) -> str:
    if d.kind == REMOVED:
        return f"removed {d.name} (was {display(d.old or '')})"
    if d.kind == CHANGED:
        return f"changed {d.name}: {display(d.old or '')} -> {display(d.new or '')}"
    if d.kind == RENAMED:
        return f"renamed {d.name} -> {d.new}"
    if d.kind == MOVED:
        return f"moved {d.name} to {d.new}"
    return f"{d.kind} {d.name}"


def render_impact(impact: Impact) -> str:
    lines = [f"impact of upstream {impact.tag} ({impact.source}) on consuming code"]
    lines += [f"note: {n}" for n in impact.notes]
    lines += [f"skipped: {s}" for s in impact.scan.skipped]
    by_file: dict[str, list] = {}
    for d in impact.used:
        by_file.setdefault(d.vendored, []).append(d)
    for vendored, items in by_file.items():
        lines.append("")
        lines.append(vendored)
        for d in items:
            marker = "-" if d.kind in (REMOVED, RENAMED, MOVED) else "~"
            lines.append(f"    {marker} {_drift_title(d)}")
            for u in impact.uses[(d.vendored, d.name)]:
                may = "" if u.certain else "may use (star import): "
                lines.append(f"        {may}{u.path}:{u.line}: {u.code}")
    unused = len(impact.drifted) - len(impact.used)
    files = len({u.path for uses in impact.uses.values() for u in uses})
    lines.append("")
    lines.append(f"{impact.use_count} use(s) of {len(impact.used)} drifted constant(s) in {files} "
                 f"file(s); {unused} other drifted constant(s) unused; "
                 f"{impact.scan.files} file(s) scanned")
    return "\n".join(lines) + "\n"
