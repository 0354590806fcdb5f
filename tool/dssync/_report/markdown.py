"""The report as GitHub-flavoured Markdown (job summaries, issues, pull requests)."""

from __future__ import annotations

import re

from dssync._report.text import summary_line
from dssync._report.values import (
    APPEARED,
    comment_line, display, file_links, gone_line, origin_line, placement_phrase, renamed_value,
    report_links, shared_origin, upstream_line, upstream_line_url, upstream_path_url,
)
from dssync.models import DriftReport, FileDrift, Moved, Placement

_BACKTICKS = re.compile(r"`+")


def _cell(text: str) -> str:
    """``text`` as a code span that a table cell can hold, shown exactly as written.

    Backslashes are literal inside a code span, so they stay single; a pipe needs its backslash
    even there, or it ends the cell (GFM reads the table before the spans); a backtick is kept
    by fencing the span with one more backtick than the longest run inside it."""
    if not text:
        return ""
    text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("|", "\\|")
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _text(text: str) -> str:
    """Free text (a pin's reason) in a table cell: its line breaks and pipes would end the row."""
    return text.replace("|", "\\|").replace("\r\n", "<br>").replace("\r", "<br>").replace("\n", "<br>")


def _link(label: str, url: str | None) -> str:
    return f"[{label}]({url})" if url else label


def _goes(p: Placement | None) -> str:
    if p is None:
        return ""
    text = placement_phrase(p, neighbour=False)
    return f"{text} ({_cell(p.neighbour)})" if p.neighbour else text


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


def _moved_row(m: Moved, f: FileDrift, report: DriftReport) -> list[str]:
    line = _link(str(m.new_line), upstream_path_url(report, m.to_upstream, m.new_line))
    if m.direction(f.vendored) == "out":
        where = f"out, to {_cell(m.to_upstream)} (vendored as {_cell(m.to_vendored)})"
        lines = f"{m.old_line} → {_cell(m.to_upstream)} {line}"
    else:
        where = f"in, from {_cell(m.from_upstream)} (vendored as {_cell(m.from_vendored)})"
        goes = f", goes {_goes(m.placement)}" if m.placement is not None else ""
        lines = f"{_cell(m.from_vendored)} {m.old_line} → {line}{goes}"
    return [_cell(m.name), _cell(display(m.shown)), where, lines, _note(m.comment)]


def _file(f: FileDrift, report: DriftReport, shared: str | None = None, *,
          level: int = 2) -> list[str]:
    """The file's section, its heading at ``level`` (one deeper under an upstream's)."""
    h = "#" * level
    lines = [f"{h} {_cell(f.vendored)}", ""]
    if f.origin is not None:
        where = upstream_line(f, shared) if shared else f"from {origin_line(f)}"
        upstream = f"Upstream: {_cell(f.upstream)} {where}"
    elif f.gone is not None:
        upstream = f"Upstream: {_cell(f.upstream)} is **{gone_line(f.gone)}**"
    else:
        upstream = f"Upstream: the local file {_cell(f.upstream)}"
    if f.appeared:
        upstream += f" · **{APPEARED}**"
    if f.has_drift:
        upstream += "".join(f" · {_link(label, url)}" for label, url in file_links(report, f)[1:])
    lines += [upstream, ""]
    if not f.has_drift:
        lines += ["No drift.", ""]
    if f.added:
        lines += [f"{h}# Added upstream ({len(f.added)})", ""]
        lines += _table(["Constant", "Value", "Upstream line", "Goes (dssync update)", "Comment"],
                        [[_cell(a.name), _cell(display(a.shown)),
                          _link(str(a.line), upstream_line_url(report, f, a.line)),
                          _goes(a.placement), _note(a.comment)] for a in f.added])
    if f.removed:
        lines += [f"{h}# Removed upstream ({len(f.removed)})", ""]
        lines += _table(["Constant", "Value", "Line", "Comment"],
                        [[_cell(r.name), _cell(display(r.shown)), str(r.line), _note(r.comment)]
                         for r in f.removed])
    if f.changed:
        lines += [f"{h}# Changed ({len(f.changed)})", ""]
        rows = []
        for c in f.changed:
            detail = "<br>".join(_cell(d) for d in (c.details or ()))
            rows.append([_cell(c.name), c.kind, _cell(display(c.old_shown)), _cell(display(c.new_shown)),
                         f"{c.old_line} → {_link(str(c.new_line), upstream_line_url(report, f, c.new_line))}",
                         detail, _note(c.comment)])
        lines += _table(["Constant", "Kind", "Vendored", "Upstream", "Lines", "Details", "Comment"],
                        rows)
    if f.renamed:
        lines += [f"{h}# Renamed ({len(f.renamed)})", ""]
        lines += _table(["Vendored name", "Upstream name", "Value"],
                        [[_cell(r.old_name), _cell(r.new_name), _cell(renamed_value(r))] for r in f.renamed])
    if f.renamed_classes:
        lines += [f"{h}# Classes renamed ({len(f.renamed_classes)})", "",
                  ("Each class's body is otherwise the same; its constants keep their names "
                   "within it."), ""]
        lines += _table(["Vendored class", "Upstream class", "Constants", "Lines"],
                        [[_cell(c.old_name), _cell(c.new_name), ", ".join(_cell(m) for m in c.constants),
                          f"{c.old_line} → {_link(str(c.new_line), upstream_line_url(report, f, c.new_line))}"]
                         for c in f.renamed_classes])
    if f.moved:
        lines += [f"{h}# Moved upstream ({len(f.moved)})", "",
                  "Each kept its name and value, and is listed under both of its files.", ""]
        lines += _table(["Constant", "Value", "Moved", "Lines", "Comment"],
                        [_moved_row(m, f, report) for m in f.moved])
    if f.pinned:
        lines += [f"{h}# Pinned ({len(f.pinned)})", ""]
        lines += _table(["Constant", "Local", "Upstream", "Reason", "Still differs"],
                        [[_cell(p.name), _cell(display(p.local_shown or "")), _cell(display(p.upstream_shown or "")),
                          _text(p.reason), "yes" if p.drifted else "no"] for p in f.pinned])
    return lines


def _body(report: DriftReport, level: int = 2) -> list[str]:
    lines = []
    links = report_links(report)
    if links:
        lines += [" · ".join(_link(label, url) for label, url in links), ""]
    lines += [f"> {note}" for note in report.notes]
    if report.notes:
        lines.append("")
    shared = shared_origin(report)
    if shared is not None:
        lines += [f"Upstream files from {shared}.", ""]
    for f in report.files:
        lines += _file(f, report, shared, level=level)
    return lines


def render(report: DriftReport) -> str:
    title = "# dssync drift report" + (f": {report.tag}" if report.tag else "")
    lines = [title, "", f"**{summary_line(report)}**", ""]
    if not report.groups:
        lines += _body(report)
    for group in report.groups:
        # Each upstream a section of its own: its tag, totals and links, its files below.
        lines += [f"## Upstream {_cell(str(group.upstream))} at {_cell(str(group.tag))}", "",
                  f"**{summary_line(group)}**", "", *_body(group, level=3)]
    return "\n".join(lines).rstrip("\n") + "\n"
