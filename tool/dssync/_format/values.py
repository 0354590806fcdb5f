"""How values are shown to people and to machines, shared by every format."""

from __future__ import annotations

from typing import Any

from dssync.models import UNRESOLVED, FileDrift

JSON_SCALARS = (str, int, float, bool, type(None))


def display(value: str, limit: int = 70) -> str:
    """A normalized value, shortened for a report line."""
    if "\\n" in value and (value.startswith(("'", '"'))):
        return f"<text, {value.count(chr(92) + 'n') + 1} lines>"
    return value if len(value) <= limit else value[: limit - 3] + "..."


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
        items = {k: to_json(v) for k, v in value.items()}
        return UNRESOLVED if any(i is UNRESOLVED for i in items.values()) else items
    return UNRESOLVED


def origin_line(f: FileDrift) -> str:
    if f.origin is None:
        return ""
    o = f.origin
    return f"{o.source} at {o.tag}, {o.identity()}"
