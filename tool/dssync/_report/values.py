"""How values are shown to people and to machines, shared by every format."""

from __future__ import annotations

import re
from typing import Any

from dssync.models import (
    UNRESOLVED, Changed, ClassRenamed, DriftReport, FileDrift, Gone, Moved, Placement, Renamed,
)

JSON_SCALARS = (str, int, float, bool, type(None))


_STRING = re.compile(r"([rRbBuUfF]{0,2})['\"]")
"""A value that is a string literal (or starts with one, concatenated); group 1 its prefix."""

# A ``\n`` escape: a backslash and an n, after an even number of backslashes (``'C:\\new'`` is
# one line: its backslash is escaped, the n is a letter).
_NEWLINE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\n")


def display(value: str, limit: int = 70, *, summarize_text: bool = True) -> str:
    """A value (normalized or as written), one line, shortened for a report line: a text of
    several lines is named by its length (``<text, N lines>``) unless ``summarize_text`` is
    off (then its escaped form, shortened)."""
    string = _STRING.match(value)
    if summarize_text and string:
        breaks = value.count("\n")  # a string written over several lines (triple quotes)
        if "r" not in string.group(1).lower():  # in a raw string ``\n`` is two characters
            breaks += len(_NEWLINE_ESCAPE.findall(value))
        if breaks:
            return f"<text, {breaks + 1} lines>"
    if "\n" in value or "\r" in value:
        value = value.replace("\r", "\\r").replace("\n", "\\n")
    return value if len(value) <= limit else value[: limit - 3] + "..."


def renamed_value(r: Renamed, *, summarize_text: bool = True) -> str:
    """A renamed constant's value as the vendored copy writes it, and as upstream writes it when
    that differs (``0x400 (upstream writes 1024)``): the value is the same either way."""
    shown = display(r.shown, summarize_text=summarize_text)
    if r.upstream_shown != r.shown:
        shown += f" (upstream writes {display(r.upstream_shown, summarize_text=summarize_text)})"
    return shown


def class_constants(c: ClassRenamed, limit: int = 5) -> str:
    """``3 constants: RECORD, COMPLETE, INVALID``: what the class rename carries along."""
    names = ", ".join(c.constants[:limit])
    if len(c.constants) > limit:
        names += f" and {len(c.constants) - limit} more"
    count = len(c.constants)
    return f"{count} constant{'s' if count != 1 else ''}: {names}"


def comment_line(comment: str, limit: int = 100) -> str:
    """A constant's documenting comment on one line (its lines joined by `` / ``), shortened."""
    text = " / ".join(comment.splitlines())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def comment_suffix(comment: str) -> str:
    """``  # comment`` to end a report line with, or nothing."""
    return f"  # {comment_line(comment)}" if comment else ""


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
        members = {k: to_json(v) for k, v in value.items()}
        return UNRESOLVED if any(m is UNRESOLVED for m in members.values()) else members
    return UNRESOLVED


def origin_line(f: FileDrift) -> str:
    if f.origin is None:
        return ""
    o = f.origin
    return f"{o.source} at {o.tag}, {o.identity()}"


def shared_origin(report: DriftReport) -> str | None:
    """``pypi:deepspeed at v0.9.0, deepspeed-0.9.0.tar.gz sha256:...`` when every file read
    upstream came from one archive or one commit: said once for the report, not per file."""
    origins = [f.origin for f in report.files if f.origin is not None]
    first = origins[0] if origins else None
    if len(origins) < 2 or first is None or not (first.commit or first.archive):
        return None
    same = {(o.source, o.tag, o.commit, o.archive, o.archive_sha256) for o in origins}
    return f"{first.source} at {first.tag}, {first.identity()}" if len(same) == 1 else None


APPEARED = "new upstream under the tree, not vendored yet ('dssync update' writes it)"
"""What a file that appeared upstream under a tree mapping is said to be, in every format."""


def gone_head(g: Gone) -> str:
    """``gone since v2.0 (vendored from v1.0, the release before)``: what is known of when."""
    if g.since:
        return f"gone since {g.since} (vendored from {g.known_at}, the release before)"
    if g.not_yet:
        return f"not yet upstream at {g.tag} (vendored from {g.known_at}, a later release)"
    if g.known_at:
        return f"gone at {g.tag} (vendored from {g.known_at}, which had it)"
    return f"gone at {g.tag}"


def gone_line(g: Gone) -> str:
    """``gone_head``, and who said so."""
    text = gone_head(g)
    if g.sources:
        text += f", according to {' and '.join(g.sources)}"
    if g.detail:
        text += f": {' '.join(g.detail.split())}"
    if g.unchecked:
        text += f"; {', '.join(g.unchecked)} could not be reached to confirm"
    return text


def upstream_line(f: FileDrift, shared: str | None = None) -> str:
    """Where a file section's upstream was read, or what is known of its absence; ``shared``
    (see ``shared_origin``) is named once above the sections, so a section says only which."""
    if f.origin is not None and shared is not None:
        return f"from the {'archive' if f.origin.archive else 'commit'} above"
    if f.origin is not None:
        return origin_line(f)
    if f.gone is not None:
        return gone_line(f.gone)
    return f"the local file {f.upstream}"


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


# -- moved constants -----------------------------------------------------------------------------


def moved_phrase(m: Moved, vendored: str) -> str:
    """The other end of a move, seen from one of its files: ``moved upstream to pkg/b.py
    (vendored as v/b.py, upstream line 2)`` or ``moved upstream from pkg/a.py (...)``."""
    if m.direction(vendored) == "out":
        return (f"moved upstream to {m.to_upstream} (vendored as {m.to_vendored}, "
                f"upstream line {m.new_line})")
    return f"moved upstream from {m.from_upstream} (vendored as {m.from_vendored}, line {m.old_line})"


def moved_line(m: Moved, vendored: str) -> int:
    """The line of ``vendored`` a move is located at: the constant's, in the file it left; where
    ``dssync update`` puts it (else line 1), in the file it went to."""
    if m.direction(vendored) == "out":
        return max(m.old_line, 1)
    return max(m.placement.line, 1) if m.placement is not None else 1


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
    """(label, URL): the upstream file at the tag, and its diff since the locked tag. A file
    gone upstream is linked where it was last known (the release it was vendored from)."""
    if report.web is None or not report.tag:
        return []
    if f.gone is None:
        out = [(f"{f.upstream} at {report.tag}", report.web.file(report.tag, f.upstream))]
    elif f.gone.known_at:
        out = [(f"{f.upstream} at {f.gone.known_at}", report.web.file(f.gone.known_at, f.upstream))]
    else:
        return []
    if f.locked_tag and f.locked_tag != report.tag:
        out.append((f"diff since {f.locked_tag}", report.web.compare(f.locked_tag, report.tag, f.upstream)))
    return out


def upstream_line_url(report: DriftReport, f: FileDrift, line: int) -> str | None:
    if f.gone is not None:
        return None
    return upstream_path_url(report, f.upstream, line)


def upstream_path_url(report: DriftReport, path: str, line: int) -> str | None:
    """The line of an upstream file at the report's tag, on the web, when upstream has pages."""
    if report.web is None or not report.tag or line < 1:
        return None
    return report.web.file(report.tag, path, line)
