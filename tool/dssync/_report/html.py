"""The report as one self-contained HTML page: inline CSS, no script, nothing to fetch.

The page is often opened from a CI artifact, off-line or in a locked-down viewer, and carries
upstream text; so it loads nothing at all, and a Content-Security-Policy says so to the browser:
only the page's own stylesheet (allowed by its hash) may apply. Links to upstream's pages (the
tag, the compare view, a file's line) are plain links: following one is the reader's choice.

It reads on a phone as on a desktop: below 48rem each row of the tables becomes a card whose
cells carry their column's name. Constant names break only between their words (after ``_`` or
``.``), never inside one; a value of several lines is a code block whose changed lines are marked
(``<del>`` on the vendored side, ``<ins>`` upstream).
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import re
from html import escape
from typing import Any, Iterable

from dssync._report.text import count_phrase, summary_line
from dssync._report.values import (
    APPEARED,
    class_constants, file_links, gone_line, is_text_change, moved_phrase, origin_line, placement_phrase,
    report_links, shared_origin, upstream_line, upstream_line_url, upstream_path_url,
)
from dssync.models import UNRESOLVED, Added, Changed, DriftReport, FileDrift, Moved

VALUE_LIMIT = 4000
"""Longer values are cut: a page of megabytes helps nobody."""

CSS = """\
:root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --line: #d1d9e0;
  --head: #f6f8fa; --add: #dafbe1; --del: #ffebe9; --chg: #fff8c5; --ren: #ddf4ff; --pin: #fbefff;
  --link: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --head: #151b23;
    --add: #12261e; --del: #25171c; --chg: #272115; --ren: #121d2f; --pin: #211a2e; --link: #4493f8; } }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg);
  margin: 0 auto; padding: 1rem 2rem; max-width: 110rem; }
a { color: var(--link); }
h1 { font-size: 1.6rem; margin-bottom: .25rem; overflow-wrap: anywhere; }
h2, h3.file { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
h2.upstream { font-size: 1.35rem; border-bottom-width: 3px; }
p.verdict { font-weight: 600; }
p.note, p.origin, p.links, footer { color: var(--muted); }
p.origin, p.links { overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
table.drift { table-layout: fixed; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top;
  min-width: 0; }
thead th { background: var(--head); }
table.summary { width: auto; }
table.summary td { text-align: right; }
col.kind { width: 8rem; } col.name { width: 24%; } col.lines { width: 7.5rem; } col.notes { width: 16%; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
h2 code, h3.file code { font-size: 1.05rem; }
.path { overflow-wrap: anywhere; }
.name { overflow-wrap: normal; word-break: normal; hyphens: none; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 20rem; overflow: auto; }
pre.lines > span, pre.lines > del, pre.lines > ins { display: block; min-height: 1.4em;
  text-decoration: none; padding-left: 2ch; text-indent: -2ch; }
pre.lines > del { background: var(--del); }
pre.lines > ins { background: var(--add); }
pre.lines > del::before { content: "- "; } pre.lines > ins::before { content: "+ "; }
pre.lines > span::before { content: "  "; }
span.absent { color: var(--muted); font-style: italic; }
tr.added td.kind { background: var(--add); }
tr.removed td.kind { background: var(--del); }
tr.changed-value td.kind, tr.changed-reference td.kind { background: var(--chg); }
tr.renamed td.kind, tr.renamed-class td.kind, tr.moved td.kind { background: var(--ren); }
tr.pinned td.kind { background: var(--pin); }
ul.details { margin: 0; padding-left: 1rem; }
p.comment { margin: 0 0 .25rem; color: var(--muted); overflow-wrap: anywhere; }
ul.files { padding-left: 1.2rem; }
@media (max-width: 48rem) {
  body { padding: .75rem; }
  table.drift, table.drift tbody, table.drift tr, table.drift td { display: block; width: 100%; }
  table.drift colgroup, table.drift thead { display: none; }
  table.drift tr { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 .75rem; }
  table.drift td { border: 0; border-top: 1px solid var(--line); }
  table.drift td:first-child { border-top: 0; }
  table.drift td::before { content: attr(data-label); display: block; font-size: 11px;
    color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
  table.drift td.kind::before { content: none; }
  table.drift td:empty { display: none; }
}
"""

CSP = ("default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; font-src 'none'; "
       "script-src 'none'; connect-src 'none'; media-src 'none'; object-src 'none'; "
       "frame-src 'none'; worker-src 'none'; manifest-src 'none'; base-uri 'none'; form-action 'none'")

KIND_LABELS = {"added": "added upstream", "removed": "removed upstream", "changed-value": "value changed",
               "changed-reference": "referenced value changed", "renamed": "renamed upstream",
               "renamed-class": "class renamed upstream", "moved": "moved upstream", "pinned": "pinned"}
COLUMNS = (("kind", "Kind"), ("name", "Constant"), ("old", "Vendored"), ("new", "Upstream"),
           ("lines", "Lines (vendored → upstream)"), ("notes", "Notes"))

_WORD_END = re.compile(r"(?<=[_.])(?=.)")
_PATH_PART_END = re.compile(r"(?<=/)(?=.)")


def csp() -> str:
    digest = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
    return CSP.format(digest=digest)


def _name(name: str) -> str:
    """A constant's name that a narrow column breaks only between words: after ``_`` or ``.``."""
    return '<code class="name">' + "<wbr>".join(escape(part) for part in _WORD_END.split(name)) + "</code>"


def _path(path: str) -> str:
    return '<code class="path">' + "<wbr>".join(escape(part) for part in _PATH_PART_END.split(path)) + "</code>"


def _link(text: str, url: str | None) -> str:
    if not url:
        return escape(text)
    return f'<a href="{escape(url)}" rel="noopener noreferrer">{escape(text)}</a>'


def _cut(text: str) -> str:
    if len(text) > VALUE_LIMIT:
        return text[:VALUE_LIMIT] + f"\n... ({len(text) - VALUE_LIMIT} more characters)"
    return text


def _pre(text: str) -> str:
    return f"<pre>{escape(_cut(text))}</pre>"


def _absent(what: str = "absent") -> str:
    return f'<span class="absent">{escape(what)}</span>'


def _line(n: int) -> str:
    return str(n) if n > 0 else ""


def _resolved(value: Any) -> str:
    return "unknown" if value is UNRESOLVED else repr(value)


# -- values of several lines ---------------------------------------------------------------------


def _multiline(c: Changed) -> tuple[list[str], list[str]] | None:
    """The two sides of a change as lines, when either has more than one: a text's own lines,
    else the value's source as written."""
    if is_text_change(c):
        return c.old_resolved.split("\n"), c.new_resolved.split("\n")
    if "\n" in c.old_source or "\n" in c.new_source:
        return c.old_source.split("\n"), c.new_source.split("\n")
    return None


def _marked(lines: list[str], changed: set[int], tag: str) -> str:
    out, size = [], 0
    for i, line in enumerate(lines):
        size += len(line) + 1
        if size > VALUE_LIMIT:
            out.append(f"<span>... ({len(lines) - i} more lines)</span>")
            break
        element = tag if i in changed else "span"
        out.append(f"<{element}>{escape(line)}</{element}>")
    return '<pre class="lines">' + "".join(out) + "</pre>"


def _code_blocks(old: list[str], new: list[str]) -> tuple[str, str]:
    """Both sides as code blocks, the lines that differ marked on each."""
    gone: set[int] = set()
    came: set[int] = set()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op != "equal":
            gone.update(range(i1, i2))
            came.update(range(j1, j2))
    return _marked(old, gone, "del"), _marked(new, came, "ins")


# -- rows ------------------------------------------------------------------------------------------


def _row(kind: str, name: str, old: str, new: str, lines: str, notes: str) -> str:
    cells = dict(zip((key for key, _ in COLUMNS),
                     (escape(KIND_LABELS[kind]), _name(name), old, new, lines, notes)))
    tds = "".join(f'<td class="{key}{" value" if key in ("old", "new") else ""}" '
                  f'data-label="{escape(label)}">{cells[key]}</td>' for key, label in COLUMNS)
    return f'<tr class="{kind}" data-kind="{kind}" data-name="{escape(name)}">{tds}</tr>'


def _lines(old: int, new: int, url: str | None) -> str:
    return f"{escape(_line(old) or '—')} → {_link(_line(new) or '—', url)}"


def _comment(comment: str) -> str:
    """The constant's documenting comment, as a note of its row."""
    return f'<p class="comment"># {escape(comment)}</p>' if comment else ""


def _changed_row(c: Changed, f: FileDrift, report: DriftReport) -> str:
    details = "".join(f"<li><code>{escape(d)}</code></li>" for d in c.details or ())
    notes = f'<ul class="details">{details}</ul>' if details else ""
    lines = _lines(c.old_line, c.new_line, upstream_line_url(report, f, c.new_line))
    if c.kind == "reference":
        old = _pre(f"{c.old_shown}\n= {_resolved(c.old_resolved)}")
        new = _pre(f"{c.new_shown}\n= {_resolved(c.new_resolved)}")
        return _row("changed-reference", c.name, old, new, lines, _comment(c.comment) + notes)
    sides = _multiline(c)
    if sides is not None:
        old, new = _code_blocks(*sides)
        if is_text_change(c):
            notes = ""  # the marked lines say what the line diff in the details would
    else:
        old, new = _pre(c.old_shown), _pre(c.new_shown)
    return _row("changed-value", c.name, old, new, lines, _comment(c.comment) + notes)


def _added_notes(a: Added | Moved) -> str:
    if a.placement is None:
        return ""
    p = a.placement
    where = escape(placement_phrase(p, neighbour=False))
    if p.neighbour:
        where += f" ({_name(p.neighbour)})"
    return f"dssync update puts it {where}"


def _rows(f: FileDrift, report: DriftReport) -> Iterable[str]:
    for c in f.changed:
        yield _changed_row(c, f, report)
    for r in f.removed:
        yield _row("removed", r.name, _pre(r.shown), _absent(), _lines(r.line, 0, None),
                   _comment(r.comment))
    for rn in f.renamed:
        yield _row("renamed", f"{rn.old_name} → {rn.new_name}", _pre(rn.shown), _pre(rn.upstream_shown),
                   _lines(rn.old_line, rn.new_line, upstream_line_url(report, f, rn.new_line)),
                   escape(f"similarity {rn.similarity:.2f}"))
    for k in f.renamed_classes:
        yield _row("renamed-class", f"class {k.old_name} → {k.new_name}", _pre(f"class {k.old_name}"),
                   _pre(f"class {k.new_name}"),
                   _lines(k.old_line, k.new_line, upstream_line_url(report, f, k.new_line)),
                   escape(f"body otherwise the same; {class_constants(k)}"))
    for a in f.added:
        yield _row("added", a.name, _absent(), _pre(a.shown),
                   _lines(0, a.line, upstream_line_url(report, f, a.line)),
                   _comment(a.comment) + _added_notes(a))
    for m in f.moved:
        out = m.direction(f.vendored) == "out"
        old = _pre(m.shown) if out else _absent(f"in {m.from_vendored}")
        new = _absent(f"in {m.to_upstream}") if out else _pre(m.shown)
        notes = escape(moved_phrase(m, f.vendored))
        if not out and m.placement is not None:
            notes += f"; {_added_notes(m)}"
        yield _row("moved", m.name, old, new,
                   _lines(m.old_line, m.new_line, upstream_path_url(report, m.to_upstream, m.new_line)),
                   _comment(m.comment) + notes)
    for p in f.pinned:
        state = "still differs from upstream" if p.drifted else "now equals upstream; the pin could go"
        yield _row("pinned", p.name, _pre(p.local_shown) if p.local_shown is not None else _absent(),
                   _pre(p.upstream_shown) if p.upstream_shown is not None else _absent(),
                   escape(_line(p.line)), escape(f"{p.reason} ({state})"))


def _file_section(i: int, f: FileDrift, report: DriftReport, shared: str | None = None, *,
                  heading: str = "h2") -> list[str]:
    origin = f'<p class="origin">Upstream {_path(f.upstream)}'
    if f.origin is not None and shared is not None:
        origin += f" {escape(upstream_line(f, shared))}"
    elif f.origin is not None:
        origin += f" from {escape(origin_line(f))}"
    elif f.gone is not None:
        origin += f": <strong>{escape(gone_line(f.gone))}</strong>"
    else:
        origin += ", the local file"
    if f.appeared:
        origin += f" · <strong>{escape(APPEARED)}</strong>"
    if f.has_drift:
        origin += "".join(f" · {_link(label, url)}" for label, url in file_links(report, f))
    tag = heading if heading == "h2" else f'{heading} class="file"'
    out = [f'<section class="file" id="file-{i}">',
           f"<{tag}>{_path(f.vendored)}</{heading}>", origin + "</p>"]
    counts = ", ".join(count_phrase(kind, n) for kind, n in f.counts().items() if n)
    if not f.has_drift:
        out.append(f'<p class="verdict">No drift.{" " + escape(counts) if counts else ""}</p>')
    else:
        out.append(f'<p class="verdict">{escape(counts)}</p>')
    rows = list(_rows(f, report))
    if rows:
        out.append('<table class="drift"><colgroup>'
                   + "".join(f'<col class="{key}">' for key, _ in COLUMNS) + "</colgroup><thead><tr>"
                   + "".join(f"<th>{escape(label)}</th>" for _, label in COLUMNS) + "</tr></thead><tbody>")
        out += rows
        out.append("</tbody></table>")
    out.append("</section>")
    return out


def _summary_table(report: DriftReport) -> list[str]:
    s = report.summary()
    keys = ("files", "files_with_drift", "added", "removed", "changed", "moved", "renamed",
            "renamed_classes", "pinned")
    out = ['<table class="summary"><tbody>']
    out += [f'<tr data-key="{k}"><th>{escape(k.replace("_", " "))}</th><td>{s.get(k, 0)}</td></tr>'
            for k in keys]
    out.append("</tbody></table>")
    return out


def _context(report: DriftReport) -> list[str]:
    """The links to upstream, the notes and where the files were read (shared by all)."""
    out = []
    links = report_links(report)
    if links:
        out.append('<p class="links">' + " · ".join(_link(label, url) for label, url in links) + "</p>")
    out += [f'<p class="note">{escape(note)}</p>' for note in report.notes
            if not report.groups]  # a grouped report's notes are its upstreams'
    shared = shared_origin(report) if not report.groups else None
    if shared is not None:
        out.append(f'<p class="origin">Upstream files from {escape(shared)}</p>')
    return out


def render(report: DriftReport) -> str:
    title = "dssync drift report" + (f": {report.tag}" if report.tag else "")
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{escape(csp())}">',
           '<meta name="referrer" content="no-referrer">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{escape(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
           f"<header><h1>{escape(title)}</h1>",
           f'<p class="verdict" id="verdict">{escape(summary_line(report))}</p>']
    out += _context(report)
    out += _summary_table(report)
    numbered = list(enumerate(report.files, 1))
    if len(report.files) > 1:
        out.append('<nav><ul class="files">')
        out += [f'<li><a href="#file-{i}">{_path(f.vendored)}</a></li>' for i, f in numbered]
        out.append("</ul></nav>")
    out.append("</header>")
    out.append("<main>")
    if not report.groups:
        shared = shared_origin(report)
        for i, f in numbered:
            out += _file_section(i, f, report, shared)
    first = 1
    for group in report.groups:
        # Each upstream a section: its tag, verdict, links and notes, then its files.
        name = escape(str(group.upstream))
        out += [f'<section class="upstream" id="upstream-{name}">',
                f'<h2 class="upstream">Upstream {name} at {escape(str(group.tag))}</h2>',
                f'<p class="verdict">{escape(summary_line(group))}</p>', *_context(group)]
        shared = shared_origin(group)
        for i, f in enumerate(group.files, first):
            out += _file_section(i, f, group, shared, heading="h3")
        first += len(group.files)
        out.append("</section>")
    out += ["</main>", "<footer><p>Written by dssync. Values are shown as the source writes them, "
                       "white space, comments and quote style folded (a changed value written over "
                       "several lines as those lines, a text of several lines as its lines, the "
                       "changed ones marked); they are compared by meaning, so 0x10 and 16 are one "
                       "value. A referenced value shows what it evaluates to.</p></footer>",
            "</body>", "</html>"]
    return "\n".join(out) + "\n"
