"""How big a resolved value may be, and how its size is counted: the evaluator's bounds, read
also where values are compared (``_diff.details``), which must not import the parser for it."""

from __future__ import annotations

from typing import Any

MAX_SIZE = 1_000_000
"""Largest string, bytes or container a resolved value may be."""
ELEMENT_WEIGHT = 10
"""So that a resolved container holds at most MAX_SIZE / ELEMENT_WEIGHT (100,000) elements."""
MAX_DEPTH = 32
"""Deepest nesting of containers a resolved value may have: comparing, printing and diffing
values recurse, and a chain like ``A1 = (A0,)``, ``A2 = (A1,)``... nests without limit."""


def value_size(value: Any, budget: int = MAX_SIZE) -> int:
    """How big ``value`` is: its characters plus ``ELEMENT_WEIGHT`` per element, counting a
    shared part once per use (as printing or comparing it would); stops once past ``budget``.
    Containers nested deeper than ``MAX_DEPTH`` count as over the budget."""
    total = 0
    stack = [(value, 0)]
    while stack and total <= budget:
        item, depth = stack.pop()
        total += ELEMENT_WEIGHT
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, (dict, list, tuple, set, frozenset)):
            if depth >= MAX_DEPTH:
                return budget + 1
            stack.extend((child, depth + 1) for child in item)
            if isinstance(item, dict):
                stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3
    return total
