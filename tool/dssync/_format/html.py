"""The report as one self-contained HTML page: inline CSS, no script, nothing to fetch.

The page is often opened from a CI artifact, off-line or in a locked-down viewer, and carries
upstream text; so it loads nothing at all, and a Content-Security-Policy says so to the browser:
only the page's own stylesheet (allowed by its hash) may apply.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Any, Iterable

from dssync._format.text import summary_line
from dssync._format.values import origin_line
from dssync.models import UNRESOLVED, Changed, DriftReport, FileDrift

VALUE_LIMIT = 4000
"""Longer values are cut: a page of megabytes helps nobody."""

CSS = """\
:root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #59636e; --line: #d1d9e0;
  --head: #f6f8fa; --add: #dafbe1; --del: #ffebe9; --chg: #fff8c5; --ren: #ddf4ff; --pin: #fbefff; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --head: #151b23;
    --add: #12261e; --del: #25171c; --chg: #272115; --ren: #121d2f; --pin: #211a2e; } }
body { font: 14px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg);
  margin: 0 auto; padding: 1rem 2rem; max-width: 110rem; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
p.verdict { font-weight: 600; }
p.note, p.origin, footer { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--head); }
table.summary { width: auto; }
table.summary td { text-align: right; }
td.value { width: 28%; }
td.notes { min-width: 16rem; }
h2 code { font-size: 1.05rem; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 20rem; overflow: auto;
  font: 12px/1.4 ui-monospace, monospace; }
code { font: 12px/1.4 ui-monospace, monospace; overflow-wrap: anywhere; }
span.absent { color: var(--muted); font-style: italic; }
tr.added td.kind { background: var(--add); }
tr.removed td.kind { background: var(--del); }
tr.changed-value td.kind, tr.changed-reference td.kind { background: var(--chg); }
tr.renamed td.kind { background: var(--ren); }
tr.pinned td.kind { background: var(--pin); }
ul.details { margin: 0; padding-left: 1rem; }
"""

CSP = ("default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'; font-src 'none'; "
       "script-src 'none'; connect-src 'none'; media-src 'none'; object-src 'none'; "
       "frame-src 'none'; worker-src 'none'; manifest-src 'none'; base-uri 'none'; form-action 'none'")

KIND_LABELS = {"added": "added upstream", "removed": "removed upstream", "changed-value": "value changed",
               "changed-reference": "referenced value changed", "renamed": "renamed upstream",
               "pinned": "pinned"}


def csp() -> str:
    digest = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
    return CSP.format(digest=digest)


def _pre(text: str) -> str:
    if len(text) > VALUE_LIMIT:
        text = text[:VALUE_LIMIT] + f"\n... ({len(text) - VALUE_LIMIT} more characters)"
    return f"<pre>{escape(text)}</pre>"


def _absent(what: str = "absent") -> str:
    return f'<span class="absent">{escape(what)}</span>'


def _line(n: int) -> str:
    return str(n) if n > 0 else ""


def _resolved(value: Any) -> str:
    return "unknown" if value is UNRESOLVED else repr(value)


def _row(kind: str, name: str, old: str, new: str, lines: str, notes: str) -> str:
    return (f'<tr class="{kind}" data-kind="{kind}" data-name="{escape(name)}">'
            f'<td class="kind">{escape(KIND_LABELS[kind])}</td><td class="name"><code>{escape(name)}</code></td>'
            f'<td class="value old">{old}</td><td class="value new">{new}</td>'
            f'<td class="lines">{escape(lines)}</td><td class="notes">{notes}</td></tr>')


def _comment(comment: str) -> str:
    """The constant's documenting comment, as a note of its row."""
    return f'<p class="comment"># {escape(comment)}</p>' if comment else ""


def _changed_row(c: Changed) -> str:
    details = "".join(f"<li><code>{escape(d)}</code></li>" for d in c.details or ())
    notes = _comment(c.comment) + (f'<ul class="details">{details}</ul>' if details else "")
    if c.kind == "reference":
        old = _pre(f"{c.old}\n= {_resolved(c.old_resolved)}")
        new = _pre(f"{c.new}\n= {_resolved(c.new_resolved)}")
        kind = "changed-reference"
    else:
        old, new, kind = _pre(c.old), _pre(c.new), "changed-value"
    return _row(kind, c.name, old, new, f"{_line(c.old_line)} → {_line(c.new_line)}", notes)


def _rows(f: FileDrift) -> Iterable[str]:
    for c in f.changed:
        yield _changed_row(c)
    for r in f.removed:
        yield _row("removed", r.name, _pre(r.value), _absent(), f"{r.line} → —", _comment(r.comment))
    for rn in f.renamed:
        yield _row("renamed", f"{rn.old_name} → {rn.new_name}", _pre(rn.value), _pre(rn.value),
                   f"{rn.old_line} → {rn.new_line}", escape(f"similarity {rn.similarity:.2f}"))
    for a in f.added:
        yield _row("added", a.name, _absent(), _pre(a.value), f"— → {a.line}", _comment(a.comment))
    for p in f.pinned:
        state = "still differs from upstream" if p.drifted else "now equals upstream; the pin could go"
        yield _row("pinned", p.name, _pre(p.local) if p.local is not None else _absent(),
                   _pre(p.upstream) if p.upstream is not None else _absent(),
                   _line(p.line), escape(f"{p.reason} ({state})"))


def _file_section(i: int, f: FileDrift) -> list[str]:
    out = [f'<section class="file" id="file-{i}">',
           f"<h2><code>{escape(f.vendored)}</code></h2>",
           f'<p class="origin">Upstream <code>{escape(f.upstream)}</code>'
           + (f" from {escape(origin_line(f))}" if f.origin is not None else "") + "</p>"]
    counts = ", ".join(f"{n} {kind}" for kind, n in f.counts().items() if n)
    if not f.has_drift:
        out.append(f'<p class="verdict">No drift.{" " + escape(counts) if counts else ""}</p>')
    else:
        out.append(f'<p class="verdict">{escape(counts)}</p>')
    rows = list(_rows(f))
    if rows:
        out += ["<table class=\"drift\"><thead><tr><th>Kind</th><th>Constant</th><th>Vendored</th>"
                "<th>Upstream</th><th>Lines (vendored → upstream)</th><th>Notes</th></tr></thead><tbody>"]
        out += rows
        out.append("</tbody></table>")
    out.append("</section>")
    return out


def _summary_table(report: DriftReport) -> list[str]:
    s = report.summary()
    keys = ("files", "files_with_drift", "added", "removed", "changed", "renamed", "pinned")
    out = ['<table class="summary"><tbody>']
    out += [f'<tr data-key="{k}"><th>{escape(k.replace("_", " "))}</th><td>{s.get(k, 0)}</td></tr>'
            for k in keys]
    out.append("</tbody></table>")
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
    out += [f'<p class="note">{escape(note)}</p>' for note in report.notes]
    out += _summary_table(report)
    if len(report.files) > 1:
        out.append('<nav><ul class="files">')
        out += [f'<li><a href="#file-{i}"><code>{escape(f.vendored)}</code></a></li>'
                for i, f in enumerate(report.files, 1)]
        out.append("</ul></nav>")
    out.append("</header>")
    out.append("<main>")
    for i, f in enumerate(report.files, 1):
        out += _file_section(i, f)
    out += ["</main>", "<footer><p>Written by dssync. Values are shown as normalized source "
                       "expressions; a referenced value shows what it evaluates to.</p></footer>",
            "</body>", "</html>"]
    return "\n".join(out) + "\n"
