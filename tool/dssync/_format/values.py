"""How values are shown to people and to machines, shared by every format."""

from __future__ import annotations

import re
from typing import Any

from dssync.models import UNRESOLVED, ClassRenamed, FileDrift, Gone, Renamed

JSON_SCALARS = (str, int, float, bool, type(None))


_STRING = re.compile(r"[rRbBuUfF]{0,2}['\"]")
"""A value that is a string literal (or starts with one, concatenated)."""


def display(value: str, limit: int = 70) -> str:
    """A value (normalized or as written), one line, shortened for a report line: a text of
    several lines is named by its length."""
    escaped_breaks = value.count(chr(92) + "n")
    breaks = value.count("\n")
    if (escaped_breaks or breaks) and _STRING.match(value):
        return f"<text, {escaped_breaks + breaks + 1} lines>"
    if breaks or "\r" in value:
        value = value.replace("\r", "\\r").replace("\n", "\\n")
    return value if len(value) <= limit else value[: limit - 3] + "..."


def renamed_value(r: Renamed) -> str:
    """A renamed constant's value as the vendored copy writes it, and as upstream writes it when
    that differs (``0x400 (upstream writes 1024)``): the value is the same either way."""
    shown = display(r.shown)
    if r.upstream_shown != r.shown:
        shown += f" (upstream writes {display(r.upstream_shown)})"
    return shown


def class_constants(c: ClassRenamed, limit: int = 5) -> str:
    """``3 constants: RECORD, COMPLETE, INVALID``: what the class rename carries along."""
    names = ", ".join(c.constants[:limit])
    if len(c.constants) > limit:
        names += f" and {len(c.constants) - limit} more"
    count = len(c.constants)
    return f"{count} constant{'s' if count != 1 else ''}: {names}"


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


def upstream_line(f: FileDrift) -> str:
    """Where a file section's upstream was read, or what is known of its absence."""
    if f.origin is not None:
        return origin_line(f)
    if f.gone is not None:
        return gone_line(f.gone)
    return f"the local file {f.upstream}"
