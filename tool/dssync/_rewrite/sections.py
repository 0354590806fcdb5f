"""Which comment lines above a statement are its own, and which head a whole section.

libcst keeps the comment and blank lines above a statement as its ``leading_lines``. Read top
down they are: blank lines that separate it from what came before; possibly a section banner
(everything up to the last rule line such as ``#####`` or ``# ---- Title ----``); detached
lines (comments followed by a blank line); and the statement's own comments, directly above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import libcst as cst

_RULE = re.compile(r"#+\s*[-=#*~_+]{3,}")


def is_rule(line: cst.EmptyLine) -> bool:
    return line.comment is not None and bool(_RULE.match(line.comment.value))


def is_blank(line: cst.EmptyLine) -> bool:
    return line.comment is None


@dataclass(frozen=True)
class Leading:
    """A statement's leading lines cut in the four parts the module docstring names, in order."""

    blanks: tuple[cst.EmptyLine, ...]
    banner: tuple[cst.EmptyLine, ...]
    detached: tuple[cst.EmptyLine, ...]
    own: tuple[cst.EmptyLine, ...]


def split_leading(lines: Sequence[cst.EmptyLine]) -> Leading:
    lines = tuple(lines)
    start = 0
    while start < len(lines) and is_blank(lines[start]):
        start += 1
    rest = lines[start:]
    rules = [k for k, line in enumerate(rest) if is_rule(line)]
    cut = rules[-1] + 1 if rules else 0
    banner, after = rest[:cut], rest[cut:]
    own_start = len(after)
    while own_start > 0 and not is_blank(after[own_start - 1]):
        own_start -= 1
    return Leading(lines[:start], banner, after[:own_start], after[own_start:])


def opens_section(stmt: cst.BaseStatement) -> bool:
    return any(is_rule(line) for line in getattr(stmt, "leading_lines", ()))


def banner_text(lines: Sequence[cst.EmptyLine]) -> tuple[str, ...]:
    return tuple(line.comment.value.strip() for line in lines if line.comment is not None)


def comments_only(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    return [line for line in lines if not is_blank(line)]
