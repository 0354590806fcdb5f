"""Values as the source writes them, for people: ``0x023100`` stays ``0x023100``, not ``143616``.

Comparison uses the normalized form, so ``0x10`` and ``16`` are one value; reports show each
value as written (what is folded, and why, is in ``_extract.written``). Extraction keeps each
binding's written form in the table, so a report, warm or cold, reads it without parsing.
"""

from __future__ import annotations

from dssync.models import Constant


def written_value(const: Constant) -> str:
    """``const``'s value as written, built the way ``Constant.key`` builds its normalized one
    (an unpacked position, then each ``+=``)."""
    binding = const.binding
    text = binding.written or binding.normalized
    if binding.index is not None:
        text = f"({text})[{binding.index}]"
    for aug in const.augments:
        text = f"{text} {aug.op} {aug.written or aug.normalized}"
    return text
