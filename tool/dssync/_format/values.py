"""How values are shown to people and to machines, shared by every format."""

from __future__ import annotations

import re
from typing import Any

from dssync.models import UNRESOLVED, Changed, DriftReport, FileDrift, Placement

JSON_SCALARS = (str, int, float, bool, type(None))


# A ``\n`` escape in a normalized string: a backslash and an n, after an even number of
# backslashes (``'C:\\new'`` is one line: its backslash is escaped, the n is a letter).
_NEWLINE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\n")


def display(value: str, limit: int = 70, *, summarize_text: bool = True) -> str:
    """A normalized value, shortened for a report line; a text of several lines as
    ``<text, N lines>`` unless ``summarize_text`` is off (then its escaped form, shortened)."""
    if summarize_text and value.startswith(("'", '"')):
        breaks = len(_NEWLINE_ESCAPE.findall(value))
        if breaks:
            return f"<text, {breaks + 1} lines>"
    return value if len(value) <= limit else value[: limit - 3] + "..."


def to_json(value: Any) -> Any:
    """A resolved value as JSON, or UNRESOLVED when JSON cannot say it exactly."""
    if value is UNRESOLVED:
        return UNRESOLVED
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return UNRESOLVED
    if isinstance(value, JSON_SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        items = [to_json(v) for v in value]
        return UNRESOLVED if any(i is UNRESOLVED for i in items) else items
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return UNRESOLVED
        items = {k: to_json(v) for k, v in value.items()}
        return UNRESOLVED if any(i is UNRESOLVED for i in items.values()) else items
    return UNRESOLVED


def origin_line(f: FileDrift) -> str:
    if f.origin is None:
        return ""
    o = f.origin
    return f"{o.source} at {o.tag}, {o.identity()}"


# -- where an added constant goes --------------------------------------------------------------


def placement_phrase(p: Placement, *, neighbour: bool = True) -> str:
    """``after line 74 (ZERO_ALLOW_UNTESTED_OPTIMIZER_DEFAULT)``: where ``update`` puts it."""
    if p.neighbour is None:
        return "at the end of the file"
    named = f" ({p.neighbour})" if neighbour else ""
    if p.relation == "before":
        return f"before line {p.line}{named}"
    where = f"after line {p.line}{named}"
    return f"at the end, {where}" if p.relation == "end" else where


# -- multi-line text values ----------------------------------------------------------------------


def is_text_change(c: Changed) -> bool:
    """A change of a string value that has more than one line on either side."""
    old, new = c.old_resolved, c.new_resolved
    return isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new)


def changed_line(c: Changed) -> int:
    """The line of the vendored file where a multi-line string first differs from upstream's
    (its n-th line is found in the value's source as written); else the constant's line."""
    if not is_text_change(c):
        return c.old_line
    import difflib

    old = c.old_resolved.splitlines()
    ops = difflib.SequenceMatcher(None, old, c.new_resolved.splitlines(), autojunk=False).get_opcodes()
    first = next(((i1, i2) for op, i1, i2, _, _ in ops if op != "equal"), None)
    if first is None or not old:
        return c.old_line
    index = min(first[0], len(old) - 1)  # an insertion after the last line points at the last
    wanted = old[index]
    if not wanted.strip():
        return c.old_line
    seen = old[:index].count(wanted)
    for offset, text in enumerate(c.old_source.splitlines()):
        if wanted in text:
            if seen == 0:
                return c.old_line + offset
            seen -= 1
    return c.old_line


# -- links to upstream's pages ---------------------------------------------------------------------


def report_links(report: DriftReport) -> list[tuple[str, str]]:
    """(label, URL): the upstream tag, and the compare view from each locked tag to it."""
    if report.web is None or not report.tag:
        return []
    out = [(f"upstream {report.tag}", report.web.tree(report.tag))]
    bases = sorted({f.locked_tag for f in report.files if f.locked_tag and f.locked_tag != report.tag})
    out += [(f"changes {base}...{report.tag}", report.web.compare(base, report.tag)) for base in bases]
    return out


def file_links(report: DriftReport, f: FileDrift) -> list[tuple[str, str]]:
    """(label, URL): the upstream file at the tag, and its diff since the locked tag."""
    if report.web is None or not report.tag:
        return []
    out = [(f"{f.upstream} at {report.tag}", report.web.file(report.tag, f.upstream))]
    if f.locked_tag and f.locked_tag != report.tag:
        out.append((f"diff since {f.locked_tag}", report.web.compare(f.locked_tag, report.tag, f.upstream)))
    return out


def upstream_line_url(report: DriftReport, f: FileDrift, line: int) -> str | None:
    if report.web is None or not report.tag or line < 1:
        return None
    return report.web.file(report.tag, f.upstream, line)
