"""PEP 8 blank lines around what a merge puts into a body: two around a module-level class or
function (E302, E305), one before a method (E301). Only the statements a merge placed, and the
one after each, are looked at; the rest of the file keeps its own spacing."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst


def _is_definition(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, (cst.ClassDef, cst.FunctionDef))


def blank_lines_before(stmt: cst.BaseStatement) -> int:
    """The blank lines that open the lines above ``stmt`` (before any comment among them)."""
    count = 0
    for line in getattr(stmt, "leading_lines", ()):
        if line.comment is not None:
            break
        count += 1
    return count


def _wanted(body: Sequence[cst.BaseStatement], i: int, top_level: bool) -> int:
    if i == 0:
        return 0
    if top_level:
        return 2 if _is_definition(body[i]) or _is_definition(body[i - 1]) else 0
    return 1 if _is_definition(body[i]) or _is_definition(body[i - 1]) else 0


def pep8_blank_lines(body: Sequence[cst.BaseStatement], placed: set[int],
                     top_level: bool) -> list[cst.BaseStatement]:
    """``body`` with at least the blank lines PEP 8 asks for above each statement of ``placed``
    and above the statement following each."""
    out = list(body)
    for i in sorted({j for p in placed for j in (p, p + 1) if j < len(out)}):
        need = _wanted(out, i, top_level) - blank_lines_before(out[i])
        if need > 0:
            stmt = out[i]
            lines = [cst.EmptyLine() for _ in range(need)]
            out[i] = stmt.with_changes(leading_lines=[*lines, *getattr(stmt, "leading_lines", ())])
    return out
