"""Decide which removed + added pairs are really one constant under a new name.

A pair counts as a rename when all of these hold:
- both values are the same (resolved values when both resolve, else the normalized source);
- the names are similar: difflib's ratio over the names is at least ``SIMILARITY`` (0.6);
- the pairing is unambiguous: each is the other's only best candidate.
Anything less certain stays a plain removal and addition.
"""

from __future__ import annotations

import difflib
from typing import Any, Sequence

from dssync.models import UNRESOLVED, Added, ConstantTable, Removed, Renamed

SIMILARITY = 0.6


def _value_key(table: ConstantTable, name: str) -> tuple[str, Any]:
    value = table.value_of(name)
    if value is not UNRESOLVED:
        return ("value", repr(value))
    return ("source", table[name].key)


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def find_renames(old: ConstantTable, new: ConstantTable, removed: Sequence[Removed],
                 added: Sequence[Added]) -> list[Renamed]:
    by_value: dict[tuple[str, Any], list[Added]] = {}
    for item in added:
        by_value.setdefault(_value_key(new, item.name), []).append(item)
    best_for_removed: dict[str, list[tuple[float, Added]]] = {}
    best_for_added: dict[str, list[tuple[float, Removed]]] = {}
    for r in removed:
        for a in by_value.get(_value_key(old, r.name), ()):
            score = similarity(r.name, a.name)
            if score >= SIMILARITY:
                best_for_removed.setdefault(r.name, []).append((score, a))
                best_for_added.setdefault(a.name, []).append((score, r))
    renames = []
    for r in removed:
        candidates = best_for_removed.get(r.name)
        if not candidates:
            continue
        top = max(s for s, _ in candidates)
        winners = [a for s, a in candidates if s == top]
        if len(winners) != 1:
            continue
        a = winners[0]
        back = best_for_added[a.name]
        back_top = max(s for s, _ in back)
        if [x for s, x in back if s == back_top] != [r]:
            continue
        renames.append(Renamed(r.name, a.name, a.value, r.line, a.line, round(top, 3)))
    return renames
