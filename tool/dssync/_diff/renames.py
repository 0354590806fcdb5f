"""Decide which removed + added pairs are really one constant under a new name.

A pair counts as a rename when all of these hold:
- both are in the same scope: both module-level, or both in the same class. Two classes that
  each hold ``_orig_layer_class = None`` do not share a constant; a class renamed as a whole
  is its own finding (``classes.find_class_renames``), decided before this;
- both values are the same (resolved values when both resolve, else the normalized source);
- the names are similar: difflib's ratio over the words of the names within their scope (split at ``_``, ``.`` and
  camel-case humps, so ``FP16_LOSS_SCALE`` -> ``FP16_LOSS_SCALE_VALUE`` is 0.86) is at least
  ``SIMILARITY`` (0.6), or ``SIMILARITY_COMMON`` (0.75) when the value is one many constants
  share (``True``, ``False``, ``None``, ``0``, ``1``, ``-1``, ``""``, empty containers), since
  an equal value then says little;
- the pairing is unambiguous: each is the other's only best candidate.
Anything less certain stays a plain removal and addition. Whole words matter, not letters:
``AMP_ENABLED_DEFAULT`` and ``TORCH_AUTOCAST_ENABLED_DEFAULT`` share a suffix, not a meaning.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from dssync.models import UNRESOLVED, Added, ConstantTable, Removed, Renamed

SIMILARITY = 0.6
SIMILARITY_COMMON = 0.75
_COMMON_VALUES: tuple[object, ...] = (True, False, None, 0, 1, -1, "", (), [], {})
_WORDS = r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+"
"""Compiled on first use (by ``re``'s own cache): most diffs have no rename candidate."""


def _value_key(table: ConstantTable, name: str) -> tuple[str, Any]:
    value = table.value_of(name)
    if value is not UNRESOLVED:
        return ("value", repr(value))
    return ("source", table[name].key)


def words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(_WORDS, name)]


def similarity(a: str, b: str) -> float:
    import difflib  # only when two names could be a rename (most diffs have none)

    return difflib.SequenceMatcher(None, words(a), words(b), autojunk=False).ratio()


def _threshold(table: ConstantTable, name: str) -> float:
    value = table.value_of(name)
    common = value is not UNRESOLVED and any(
        type(value) is type(c) and value == c for c in _COMMON_VALUES)
    return SIMILARITY_COMMON if common else SIMILARITY


def scope_of(name: str) -> str:
    """The class a constant's name puts it in (``Class.NAME``), or ``""`` at module level."""
    return name.rpartition(".")[0]


def find_renames(old: ConstantTable, new: ConstantTable, removed: Sequence[Removed],
                 added: Sequence[Added]) -> list[Renamed]:
    by_value: dict[tuple[str, str, Any], list[Added]] = {}
    for item in added:
        by_value.setdefault((scope_of(item.name), *_value_key(new, item.name)), []).append(item)
    best_for_removed: dict[str, list[tuple[float, Added]]] = {}
    best_for_added: dict[str, list[tuple[float, Removed]]] = {}
    for r in removed:
        threshold = _threshold(old, r.name)
        for a in by_value.get((scope_of(r.name), *_value_key(old, r.name)), ()):
            # The scope is shared: only the words within it say anything.
            score = similarity(r.name.rpartition(".")[2], a.name.rpartition(".")[2])
            if score >= threshold:
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
