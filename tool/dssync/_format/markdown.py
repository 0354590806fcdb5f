"""The report as GitHub-flavoured Markdown (job summaries, issues, pull requests)."""

from __future__ import annotations

from dssync._format.text import summary_line
from dssync._format.values import display, gone_line, origin_line, renamed_value
from dssync.models import DriftReport, FileDrift


def _cell(text: str) -> str:
    """``text`` as a code span in a table cell. A code span shows backslashes as they are
    (``'\\d'`` stays ``'\\d'``); only a pipe, which would end the cell, is escaped, and the table
    reader takes its escape back out. A backslash before a pipe is doubled so that it does not
    escape the escape."""
    text = text.replace("\\|", "\\\\|").replace("|", "\\|").replace("`", "'")
    return f"`{text}`" if text else ""


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out + [""]


def _file(f: FileDrift) -> list[str]:
    lines = [f"## `{f.vendored}`", ""]
    if f.origin is not None:
        upstream = f"Upstream: `{f.upstream}` from {origin_line(f)}"
    elif f.gone is not None:
        upstream = f"Upstream: `{f.upstream}` is **{gone_line(f.gone)}**"
    else:
        upstream = f"Upstream: the local file `{f.upstream}`"
    lines += [upstream, ""]
    if not f.has_drift:
        lines += ["No drift.", ""]
    if f.added:
        lines += [f"### Added upstream ({len(f.added)})", ""]
        lines += _table(["Constant", "Value", "Upstream line"],
                        [[_cell(a.name), _cell(display(a.shown)), str(a.line)] for a in f.added])
    if f.removed:
        lines += [f"### Removed upstream ({len(f.removed)})", ""]
        lines += _table(["Constant", "Value", "Line"],
                        [[_cell(r.name), _cell(display(r.shown)), str(r.line)] for r in f.removed])
    if f.changed:
        lines += [f"### Changed ({len(f.changed)})", ""]
        rows = []
        for c in f.changed:
            detail = "<br>".join(_cell(d) for d in (c.details or ()))
            rows.append([_cell(c.name), c.kind, _cell(display(c.old_shown)), _cell(display(c.new_shown)),
                         f"{c.old_line} → {c.new_line}", detail])
        lines += _table(["Constant", "Kind", "Vendored", "Upstream", "Lines", "Details"], rows)
    if f.renamed:
        lines += [f"### Renamed ({len(f.renamed)})", ""]
        lines += _table(["Vendored name", "Upstream name", "Value"],
                        [[_cell(r.old_name), _cell(r.new_name), _cell(renamed_value(r))] for r in f.renamed])
    if f.renamed_classes:
        lines += [f"### Classes renamed ({len(f.renamed_classes)})", "",
                  ("Each class's body is otherwise the same; its constants keep their names "
                   "within it."), ""]
        lines += _table(["Vendored class", "Upstream class", "Constants", "Lines"],
                        [[_cell(c.old_name), _cell(c.new_name), ", ".join(_cell(m) for m in c.constants),
                          f"{c.old_line} → {c.new_line}"] for c in f.renamed_classes])
    if f.pinned:
        lines += [f"### Pinned ({len(f.pinned)})", ""]
        lines += _table(["Constant", "Local", "Upstream", "Reason", "Still differs"],
                        [[_cell(p.name), _cell(display(p.local_shown or "")), _cell(display(p.upstream_shown or "")),
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
