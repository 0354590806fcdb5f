"""The history as one self-contained HTML page: a timeline per file, constants x tags.

Each row is a constant, each column a release tag; a cell marks the tag that introduced (+),
changed (~) or removed (-) the constant, and runs of tags where nothing happened are merged into
one cell. Hovering shows values (``title`` attributes). The page has no scripts and loads
nothing: its Content-Security-Policy allows only its own inline style. Header row and name
column stay in place while scrolling, which keeps 100+ tags by 400+ constants readable.
Every piece of upstream text is escaped: the page must be safe to open whatever upstream wrote.

A "changed only" switch (a checkbox that a style rule reads; still no script) hides the
constants that stayed the same at every tag read. It starts on when such rows outnumber the
events, so that five changes are not buried among 165 quiet rows. With ``--since`` the first
tag is the baseline, not a release that introduced everything in it: its column is marked so,
and a constant already there shows as present, not as introduced.
"""

from __future__ import annotations

from html import escape
from typing import Iterator

from dssync._report.values import display
from dssync.models import UNRESOLVED
from dssync._analyses.timeline import (
    CHANGED, INTRODUCED, REINTRODUCED, REMOVED, ConstantTimeline, FileHistory, History,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
TITLE_LIMIT = 300

STYLE = """
:root { color-scheme: light; --cell: 13px; --present: #cfe9d6; --added: #1f9d55; --changed: #e3a008;
        --removed: #d64545; --absent: #e6e6e6; --line: #d8d8d8; --ink: #1d2330; --muted: #5c6270; }
* { box-sizing: border-box; }
body { margin: 0; padding: 16px 20px; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto,
       "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 22px 0 4px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
p.meta, p.stats { margin: 2px 0 8px; color: var(--muted); }
ul.notes { margin: 4px 0 8px; padding-left: 18px; color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 8px 0 4px; align-items: center; }
.legend > span { display: inline-flex; align-items: center; gap: 5px; }
.legend .sw { display: inline-block; width: 14px; height: 14px; border-radius: 2px; font-style: normal;
            color: #fff; font-size: 11px; line-height: 14px; text-align: center; font-weight: 700; }
.scroll { overflow: auto; max-height: 82vh; width: fit-content; max-width: 100%; border: 1px solid var(--line); }
table { border-collapse: separate; border-spacing: 0; font-size: 12px; }
th, td { padding: 0; }
thead th { position: sticky; top: 0; z-index: 2; background: #f7f7f9; border-bottom: 1px solid var(--line);
           vertical-align: bottom; font-weight: 500; }
thead th.tag { width: var(--cell); min-width: var(--cell); max-width: var(--cell); height: 78px;
               padding: 3px 0; }
thead th.tag span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap;
                    font: 10px/1 ui-monospace, "DejaVu Sans Mono", monospace; color: var(--muted); }
thead th.tag.absent { background: repeating-linear-gradient(45deg, #eee, #eee 3px, #f7f7f9 3px, #f7f7f9 6px); }
thead th.tag.unreadable span { color: var(--removed); }
thead th.corner { left: 0; z-index: 3; text-align: left; padding: 4px 8px; min-width: 200px; }
tbody th { position: sticky; left: 0; z-index: 1; background: #fff; text-align: left; font-weight: 400;
           font: 11.5px/var(--cell) ui-monospace, "DejaVu Sans Mono", monospace; padding: 0 8px;
           max-width: 320px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
           border-right: 1px solid var(--line); }
tbody tr:hover th, tbody tr:hover td.n { background: #eef3fb; }
td { height: var(--cell); min-width: var(--cell); border-bottom: 1px solid #f0f0f0; text-align: center;
     font: 700 10px/var(--cell) ui-monospace, "DejaVu Sans Mono", monospace; color: #fff; }
td.p { background: var(--present); }
td.a { background: var(--added); }
td.c { background: var(--changed); }
td.r { background: var(--removed); }
td.n { background: #fff; }
.sw.la { background: var(--added); } .sw.lc { background: var(--changed); }
.sw.lr { background: var(--removed); } .sw.lp { background: var(--present); }
.sw.lx { background: var(--absent); }
.sw.lb { background: var(--present); box-shadow: inset 3px 0 0 var(--ink); }
tbody tr:nth-child(10n) th, tbody tr:nth-child(10n) td { border-bottom-color: #dcdcdc; }
td.b { background: var(--present); box-shadow: inset 3px 0 0 var(--ink); }
thead th.tag.baseline { background: #e9eef6; }
thead th.tag.baseline span { color: var(--ink); font-weight: 700; }
p.quiet-note { display: none; margin: 2px 0 8px; color: var(--muted); font-style: italic; }
input#changed-only { margin: 0 6px 0 0; vertical-align: middle; }
label.filter { display: inline-flex; align-items: center; margin: 6px 0 2px; font-weight: 600; cursor: pointer; }
span.filter-hint { color: var(--muted); margin-left: 8px; }
#changed-only:checked ~ section tr.quiet { display: none; }
#changed-only:checked ~ section.all-quiet .scroll { display: none; }
#changed-only:checked ~ section.all-quiet p.quiet-note { display: block; }
"""


def _cell(cls: str, text: str = "", title: str | None = None, span: int = 1) -> str:
    attrs = f' class="{cls}"'
    if span > 1:
        attrs += f' colspan="{span}"'
    if title:
        attrs += f' title="{escape(title, quote=True)}"'
    return f"<td{attrs}>{escape(text)}</td>"


def _short(value: str | None) -> str:
    return display(value or "", TITLE_LIMIT)


def _row_cells(c: ConstantTimeline, tags: list[str], baseline: str | None = None) -> Iterator[str]:
    events = {e.tag: e for e in c.events}
    run_cls: str | None = None
    run_len = 0
    run_title: str | None = None
    value: str | None = None
    present = False

    def flush() -> Iterator[str]:
        if run_len:
            yield _cell(run_cls or "n", title=run_title, span=run_len)

    for tag in tags:
        e = events.get(tag)
        if e is None:
            cls = "p" if present else "n"
            title = f"{c.name} = {_short(value)}" if present else None
            if cls == run_cls and title == run_title:
                run_len += 1
                continue
            yield from flush()
            run_cls, run_len, run_title = cls, 1, title
            continue
        yield from flush()
        run_cls, run_len, run_title = None, 0, None
        if e.kind == INTRODUCED and tag == baseline:
            # Already there when the walk began: not an introduction, it may be much older.
            yield _cell("b", "", f"{c.name} present at the baseline {tag} = {_short(e.value)}")
            present, value = True, e.value
        elif e.kind in (INTRODUCED, REINTRODUCED):
            verb = "introduced" if e.kind == INTRODUCED else "re-introduced"
            yield _cell("a", "+", f"{c.name} {verb} at {tag} = {_short(e.value)}")
            present, value = True, e.value
        elif e.kind == CHANGED:
            if e.change == "reference":
                what = f"through a reference: {_short(e.value)}"
                if e.old_resolved is not UNRESOLVED and e.resolved is not UNRESOLVED:
                    what += f" ({_short(repr(e.old_resolved))} -> {_short(repr(e.resolved))})"
            else:
                what = f"{_short(e.old)} -> {_short(e.value)}"
            yield _cell("c", "~", f"{c.name} changed at {tag} {what}")
            value = e.value
        elif e.kind == REMOVED:
            yield _cell("r", "-", f"{c.name} removed at {tag} (was {_short(e.old)})")
            present, value = False, None
    yield from flush()


def _quiet(c: ConstantTimeline, first: str | None) -> bool:
    """Present from the first tag read and the same at every tag after it."""
    return len(c.events) == 1 and c.events[0].kind == INTRODUCED and c.events[0].tag == first


def _events(f: FileHistory) -> int:
    """What a reader looks for: every event but a constant's presence at the first tag."""
    first = f.tags[0] if f.tags else None
    return sum(len(c.events) - (c.events[0].kind == INTRODUCED and c.events[0].tag == first)
               for c in f.constants)


def _file_section(f: FileHistory, index: int, baseline: str | None) -> list[str]:
    title = f.path if f.vendored is None else f"{f.path} (vendored as {f.vendored})"
    changed = sum(1 for c in f.constants if any(e.kind == CHANGED for e in c.events))
    removed = sum(1 for c in f.constants if c.removed is not None)
    first = f.tags[0] if f.tags else None
    quiet = sum(_quiet(c, first) for c in f.constants)
    hidden = f" shown ({f.hidden} more stayed the same throughout)" if f.hidden else ""
    all_quiet = bool(f.constants) and quiet == len(f.constants)
    section_class = ' class="all-quiet"' if all_quiet else ""
    out = [f'<section id="file-{index}"{section_class}>',
           f"<h2>{escape(title)}</h2>",
           f'<p class="stats">{len(f.constants)} constants{hidden}, {changed} changed at some '
           f"release, {removed} removed by the last tag; {quiet} stayed the same at every tag "
           f"read</p>"]
    if all_quiet:
        out.append(f'<p class="quiet-note">All {quiet} constants stayed the same: turn off '
                   "\u201cchanged only\u201d to list them.</p>")
    if f.errors:
        out.append('<ul class="notes">')
        out += [f"<li>skipped {escape(tag)}: {escape(err)}</li>" for tag, err in f.errors.items()]
        out.append("</ul>")
    if not f.constants:
        out.append("</section>")
        return out
    out.append('<div class="scroll"><table>')
    head = ['<thead><tr><th class="corner" scope="col">constant</th>']
    for tag in f.tags:
        status = f.status.get(tag, "present")
        cls = "tag" + ("" if status == "present" else f" {status}")
        hint = {"absent": " (file absent)", "unreadable": " (file unreadable)"}.get(status, "")
        label = tag
        if tag == baseline:
            cls += " baseline"
            hint += " (baseline: the walk starts here; what it holds is not introduced here)"
            label = f"{tag} baseline"
        head.append(f'<th class="{cls}" scope="col" title="{escape(tag + hint, quote=True)}">'
                    f"<span>{escape(label)}</span></th>")
    head.append("</tr></thead>")
    out.append("".join(head))
    out.append("<tbody>")
    for c in f.constants:
        since = "present at the baseline" if c.introduced == baseline else f"introduced {c.introduced}"
        summary = f"{c.name}: {since}, {c.changes} later event(s)"
        row_class = ' class="quiet"' if _quiet(c, first) else ""
        out.append(f'<tr{row_class}><th scope="row" title="{escape(summary, quote=True)}">{escape(c.name)}</th>'
                   + "".join(_row_cells(c, f.tags, baseline)) + "</tr>")
    out.append("</tbody></table></div></section>")
    return out


def render(history: History) -> str:
    baseline = history.tags[0] if history.since and history.tags else None
    span = (f"{len(history.tags)} release tags, {history.tags[0]} .. {history.tags[-1]}"
            if history.tags else "no tags")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>dssync history: {escape(history.source)}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Constant history</h1>",
        f'<p class="meta">upstream {escape(history.source)}: {escape(span)}</p>',
        '<div class="legend">'
        '<span><span class="sw la">+</span>introduced</span>'
        '<span><span class="sw lc">~</span>changed</span>'
        '<span><span class="sw lr">-</span>removed</span>'
        '<span><span class="sw lp"></span>present, unchanged</span>'
        '<span><span class="sw lx"></span>file absent (hatched tag)</span>'
        + ('<span><span class="sw lb"></span>present at the baseline (--since)</span>'
           if baseline else "")
        + "</div>",
    ]
    if history.notes:
        out.append('<ul class="notes">')
        out += [f"<li>{escape(n)}</li>" for n in history.notes]
        out.append("</ul>")
    rows = sum(len(f.constants) for f in history.files)
    events = sum(_events(f) for f in history.files)
    quiet = rows - sum(1 for f in history.files for c in f.constants
                       if not _quiet(c, f.tags[0] if f.tags else None))
    # Checked when quiet rows would bury the events; a plain checkbox, read by a style rule.
    checked = " checked" if rows > events else ""
    out += [f'<input type="checkbox" id="changed-only"{checked}>'
            f'<label class="filter" for="changed-only">changed only</label>'
            f'<span class="filter-hint">hides the {quiet} constants that stayed the same at '
            f"every tag read ({rows} rows, {events} events)</span>"]
    for i, f in enumerate(history.files):
        out += _file_section(f, i, baseline)
    out.append("</body></html>")
    return "\n".join(out) + "\n"
