"""The report for people: grouped by kind, old -> new, with line numbers."""

from __future__ import annotations

from dssync._report.values import (
    APPEARED, class_constants, comment_suffix, display, file_links, moved_phrase, placement_phrase, renamed_value,
    report_links, shared_origin, upstream_line,
)
from dssync.models import Added, DriftReport, FileDrift, Moved


def _added_where(a: Added) -> str:
    goes = f", goes {placement_phrase(a.placement, neighbour=False)}" if a.placement else ""
    return f"(upstream line {a.line}{goes})"


def _moved_where(m: Moved, vendored: str) -> str:
    if m.direction(vendored) == "out":
        return f"(line {m.old_line})"
    goes = f", goes {placement_phrase(m.placement, neighbour=False)}" if m.placement else ""
    return f"(upstream line {m.new_line}{goes})"


def _file_lines(f: FileDrift, report: DriftReport, shared: str | None) -> list[str]:
    head = f"{f.vendored} vs {f.upstream}"
    lines = [head, f"  upstream: {upstream_line(f, shared)}"]
    if f.appeared:
        lines.append(f"  {APPEARED}")
    if f.has_drift:
        lines += [f"  {label}: {url}" for label, url in file_links(report, f)[1:]]
    if not f.has_drift:
        lines.append("  no drift")
    if f.added:
        lines.append(f"  added ({len(f.added)})")
        lines += [f"    + {a.name} = {display(a.shown)}  {_added_where(a)}{comment_suffix(a.comment)}"
                  for a in f.added]
    if f.removed:
        lines.append(f"  removed ({len(f.removed)})")
        lines += [f"    - {r.name} = {display(r.shown)}  (line {r.line}){comment_suffix(r.comment)}"
                  for r in f.removed]
    if f.changed:
        lines.append(f"  changed ({len(f.changed)})")
        for c in f.changed:
            note = " [reference]" if c.kind == "reference" else ""
            lines.append(f"    ~ {c.name}: {display(c.old_shown)} -> {display(c.new_shown)}  "
                         f"(line {c.old_line} -> {c.new_line}){note}{comment_suffix(c.comment)}")
            lines += [f"        {d}" for d in c.details or ()]
    if f.renamed:
        lines.append(f"  renamed ({len(f.renamed)})")
        lines += [f"    > {r.old_name} -> {r.new_name} = {renamed_value(r)}  (line {r.old_line} -> {r.new_line})"
                  for r in f.renamed]
    if f.renamed_classes:
        lines.append(f"  classes renamed ({len(f.renamed_classes)})")
        lines += [f"    > class {c.old_name} renamed to {c.new_name}, its body otherwise the same "
                  f"({class_constants(c)})  (line {c.old_line} -> {c.new_line})"
                  for c in f.renamed_classes]
    if f.moved:
        lines.append(f"  moved ({len(f.moved)})")
        lines += [f"    > {m.name} = {display(m.shown)}  {_moved_where(m, f.vendored)} "
                  f"{moved_phrase(m, f.vendored)}{comment_suffix(m.comment)}" for m in f.moved]
    if f.pinned:
        lines.append(f"  pinned ({len(f.pinned)})")
        for p in f.pinned:
            state = "differs from upstream" if p.drifted else "now equals upstream; the pin could go"
            lines.append(f"    = {p.name}: local {display(p.local_shown or '<absent>')}, upstream "
                         f"{display(p.upstream_shown or '<absent>')}: {state} (reason: {p.reason})")
    return lines


def count_phrase(kind: str, n: int) -> str:
    """``3 added``, ``1 class renamed``: a count of one kind of finding, in words."""
    if kind == "renamed_classes":
        return f"{n} class{'es' if n != 1 else ''} renamed"
    return f"{n} {kind}"


def summary_line(report: DriftReport) -> str:
    """``1 of 6 files drifted: 4 added, 3 removed, 2 changed, 0 moved`` (renames and pins
    when there are any); ``no drift in 6 files: ...`` when none did."""
    s = report.summary()
    files = f"{s['files']} file" + ("s" if s["files"] != 1 else "")
    parts = [count_phrase(k, s.get(k, 0)) for k in ("added", "removed", "changed", "moved")]
    parts += [count_phrase(k, s[k]) for k in ("renamed", "renamed_classes", "pinned") if s.get(k)]
    verdict = f"{s['files_with_drift']} of {files} drifted" if report.has_drift else f"no drift in {files}"
    if report.groups:
        verdict += f" in {len(report.groups)} upstreams"
    return f"{verdict}: " + ", ".join(parts)


def group_heading(report: DriftReport) -> str:
    """``upstream NAME at TAG``: where one upstream's part of a grouped report starts."""
    return f"upstream {report.upstream} at {report.tag}"


def _body(report: DriftReport) -> list[str]:
    lines: list[str] = []
    for note in report.notes:
        lines.append(f"note: {note}")
    lines += [f"{label}: {url}" for label, url in report_links(report)]
    shared = shared_origin(report)
    if shared is not None:
        lines.append(f"upstream files from: {shared}")
    for f in report.files:
        lines += _file_lines(f, report, shared)
        lines.append("")
    return lines


def render(report: DriftReport) -> str:
    if not report.groups:
        return "\n".join([*_body(report), summary_line(report)]) + "\n"
    lines: list[str] = []
    for group in report.groups:
        lines += [group_heading(group), *_body(group), f"{group.upstream}: {summary_line(group)}",
                  ""]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


STYLES = (("    + ", "green"), ("    - ", "red"), ("    ~ ", "yellow"), ("    > ", "cyan"),
          ("    = ", "magenta"), ("        +", "green"), ("        -", "red"))


def style_for(line: str) -> str | None:
    """The colour of a report line on a terminal, from its marker."""
    for prefix, style in STYLES:
        if line.startswith(prefix):
            return style
    if line and not line.startswith(" "):
        return "bold"
    return None
