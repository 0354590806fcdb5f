"""The report for people: grouped by kind, old -> new, with line numbers."""

from __future__ import annotations

from dssync._format.values import comment_suffix, display, origin_line
from dssync.models import DriftReport, FileDrift


def _file_lines(f: FileDrift) -> list[str]:
    head = f"{f.vendored} vs {f.upstream}"
    lines = [head]
    if f.origin is not None:
        lines.append(f"  upstream: {origin_line(f)}")
    if not f.has_drift:
        lines.append("  no drift")
    if f.added:
        lines.append(f"  added ({len(f.added)})")
        lines += [f"    + {a.name} = {display(a.value)}  (upstream line {a.line})"
                  f"{comment_suffix(a.comment)}" for a in f.added]
    if f.removed:
        lines.append(f"  removed ({len(f.removed)})")
        lines += [f"    - {r.name} = {display(r.value)}  (line {r.line}){comment_suffix(r.comment)}"
                  for r in f.removed]
    if f.changed:
        lines.append(f"  changed ({len(f.changed)})")
        for c in f.changed:
            note = " [reference]" if c.kind == "reference" else ""
            lines.append(f"    ~ {c.name}: {display(c.old)} -> {display(c.new)}  "
                         f"(line {c.old_line} -> {c.new_line}){note}{comment_suffix(c.comment)}")
            lines += [f"        {d}" for d in c.details or ()]
    if f.renamed:
        lines.append(f"  renamed ({len(f.renamed)})")
        lines += [f"    > {r.old_name} -> {r.new_name} = {display(r.value)}  (line {r.old_line} -> {r.new_line})"
                  for r in f.renamed]
    if f.pinned:
        lines.append(f"  pinned ({len(f.pinned)})")
        for p in f.pinned:
            state = "differs from upstream" if p.drifted else "now equals upstream; the pin could go"
            lines.append(f"    = {p.name}: local {display(p.local or '<absent>')}, upstream "
                         f"{display(p.upstream or '<absent>')}: {state} (reason: {p.reason})")
    return lines


def summary_line(report: DriftReport) -> str:
    s = report.summary()
    files = f"{s['files']} file" + ("s" if s["files"] != 1 else "")
    parts = [f"{s.get(k, 0)} {k}" for k in ("added", "removed", "changed", "renamed")]
    if s.get("pinned"):
        parts.append(f"{s['pinned']} pinned")
    verdict = "drift" if report.has_drift else "no drift"
    return f"{verdict}: {files}, " + ", ".join(parts)


def render(report: DriftReport) -> str:
    lines: list[str] = []
    for note in report.notes:
        lines.append(f"note: {note}")
    for f in report.files:
        lines += _file_lines(f)
        lines.append("")
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
