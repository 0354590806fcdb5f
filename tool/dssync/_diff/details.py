"""Path-level explanations of how a container value (or a multi-line string) changed."""

from __future__ import annotations

from typing import Any

from dssync.models import UNRESOLVED

CONTAINERS = (dict, list, tuple, set, frozenset)
MAX_DETAILS = 50
MAX_DETAIL_SIZE = 5_000
"""deepdiff's cost grows quickly with size; beyond this, details are not worth their time."""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def container_details(old: Any, new: Any) -> tuple[str, ...] | None:
    """``root['a'][0]: 2 -> 3``-style lines from deepdiff, or None when not two containers."""
    if old is UNRESOLVED or new is UNRESOLVED:
        return None
    if not (isinstance(old, CONTAINERS) and isinstance(new, CONTAINERS)):
        return None
    from dssync._extract.bounds import value_size

    size = max(value_size(old, MAX_DETAIL_SIZE), value_size(new, MAX_DETAIL_SIZE))
    if size > MAX_DETAIL_SIZE:
        return (f"(too large to compare item by item: more than {MAX_DETAIL_SIZE} elements)",)
    try:
        lines = _deepdiff_lines(old, new)
    except Exception:  # deepdiff fails on some values (bytes keys): no details
        return None
    lines.sort(key=_path_order)
    if len(lines) > MAX_DETAILS:
        lines = lines[:MAX_DETAILS] + [f"... and {len(lines) - MAX_DETAILS} more"]
    return tuple(lines)


def _deepdiff_lines(old: Any, new: Any) -> list[str]:
    from deepdiff import DeepDiff  # heavy: only paid for when a container changed

    diff = DeepDiff(old, new, verbose_level=2, ignore_type_in_groups=[(set, frozenset)])
    lines: list[str] = []
    for path, change in diff.get("values_changed", {}).items():
        lines.append(f"{path}: {_short(change['old_value'])} -> {_short(change['new_value'])}")
    for path, change in diff.get("type_changes", {}).items():
        lines.append(f"{path}: {_short(change['old_value'])} -> {_short(change['new_value'])}")
    for kind, verb in (("dictionary_item_added", "added"), ("iterable_item_added", "added"),
                       ("set_item_added", "added"), ("dictionary_item_removed", "removed"),
                       ("iterable_item_removed", "removed"), ("set_item_removed", "removed")):
        items = diff.get(kind, {})
        if isinstance(items, dict):
            for path, value in items.items():
                lines.append(f"{path} {verb}: {_short(value)}")
        else:
            for path in items:
                lines.append(f"{path} {verb}")
    return lines


def _path_order(line: str) -> tuple[str, str]:
    return (line.split(":", 1)[0].split(" ", 1)[0], line)


def text_details(old: Any, new: Any) -> tuple[str, ...] | None:
    """Changed lines of a multi-line string (help texts and config examples), unified style."""
    if not (isinstance(old, str) and isinstance(new, str)) or ("\n" not in old and "\n" not in new):
        return None
    import difflib  # only for a changed multi-line string

    lines = [
        line.rstrip("\n")
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if not line.startswith(("---", "+++", "@@"))
    ]
    if len(lines) > MAX_DETAILS:
        lines = lines[:MAX_DETAILS] + [f"... and {len(lines) - MAX_DETAILS} more"]
    return tuple(lines)
