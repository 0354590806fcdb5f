"""The report as GitHub-flavoured Markdown (job summaries, issues, pull requests)."""

from __future__ import annotations

from dssync._format.text import summary_line
from dssync._format.values import comment_line, display, origin_line
from dssync.models import DriftReport, FileDrift


def _cell(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")
    return f"`{text}`" if text else ""


def _note(comment: str) -> str:
    """A comment in a table cell: plain text, with Markdown's own characters made inert."""
    text = comment_line(comment)
    for ch in "\\|`*_<>[]":
        text = text.replace(ch, "\\" + ch)
    return text


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out + [""]


def _file(f: FileDrift) -> list[str]:
    lines = [f"## `{f.vendored}`", ""]
    upstream = f"Upstream: `{f.upstream}`"
    if f.origin is not None:
        upstream += f" from {origin_line(f)}"
    lines += [upstream, ""]
    if not f.has_drift:
        lines += ["No drift.", ""]
    if f.added:
        lines += [f"### Added upstream ({len(f.added)})", ""]
        lines += _table(["Constant", "Value", "Upstream line", "Comment"],
                        [[_cell(a.name), _cell(display(a.value)), str(a.line), _note(a.comment)]
                         for a in f.added])
    if f.removed:
        lines += [f"### Removed upstream ({len(f.removed)})", ""]
        lines += _table(["Constant", "Value", "Line", "Comment"],
                        [[_cell(r.name), _cell(display(r.value)), str(r.line), _note(r.comment)]
                         for r in f.removed])
    if f.changed:
        lines += [f"### Changed ({len(f.changed)})", ""]
        rows = []
        for c in f.changed:
            detail = "<br>".join(_cell(d) for d in (c.details or ()))
            rows.append([_cell(c.name), c.kind, _cell(display(c.old)), _cell(display(c.new)),
                         f"{c.old_line} → {c.new_line}", detail, _note(c.comment)])
        lines += _table(["Constant", "Kind", "Vendored", "Upstream", "Lines", "Details", "Comment"],
                        rows)
    if f.renamed:
        lines += [f"### Renamed ({len(f.renamed)})", ""]
        lines += _table(["Vendored name", "Upstream name", "Value"],
                        [[_cell(r.old_name), _cell(r.new_name), _cell(display(r.value))] for r in f.renamed])
    if f.pinned:
        lines += [f"### Pinned ({len(f.pinned)})", ""]
        lines += _table(["Constant", "Local", "Upstream", "Reason", "Still differs"],
                        [[_cell(p.name), _cell(display(p.local or "")), _cell(display(p.upstream or "")),
                          p.reason.replace("|", "\\|"), "yes" if p.drifted else "no"] for p in f.pinned])
    return lines


def render(report: DriftReport) -> str:
    title = "# dssync drift report" + (f": {report.tag}" if report.tag else "")
    lines = [title, "", f"**{summary_line(report)}**", ""]
    lines += [f"> {note}" for note in report.notes]
    if report.notes:
        lines.append("")
    for f in report.files:
        lines += _file(f)
    return "\n".join(lines).rstrip("\n") + "\n"
