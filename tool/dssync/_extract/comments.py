"""The comment that documents a constant, read from libcst's tree.

A constant's documentation is the comment lines directly above its statement (no blank line
between) or, when there are none, the ones above the run of assignments it belongs to: in

    # FP16 initial dynamic scale loss power
    FP16_INITIAL_SCALE_POWER = "initial_scale_power"
    FP16_INITIAL_SCALE_POWER_DEFAULT = 32

both constants are documented by the comment. A blank line or a compound statement (a class,
an ``if``) ends a run. The comment at the end of the statement's line comes last. Rule lines
(``#####``) and tool pragmas (``# noqa``, ``# type: ignore``) are not documentation and are
left out.
"""

from __future__ import annotations

import re
from typing import Sequence

import libcst as cst

_PRAGMA = re.compile(r"(noqa|type:|pragma\b|fmt:|pylint:|nosec|isort:|ruff:)", re.I)
_DECORATION = "-=*~#_+"


def comment_text(lines: Sequence[str]) -> str:
    """The words of comment lines (``# text``), one line each, without ``#`` and rules."""
    out = []
    for raw in lines:
        text = raw.lstrip("#")
        if text.startswith(":"):  # ``#: doc``, Sphinx's mark for an attribute's documentation
            text = text[1:]
        text = text.strip().strip(_DECORATION).strip()
        if text and any(c.isalnum() for c in text) and not _PRAGMA.match(text):
            out.append(text)
    return "\n".join(out)


def _above(lines: Sequence[cst.EmptyLine]) -> list[str]:
    """The comment lines at the end of ``lines``, up to the last blank line."""
    found: list[str] = []
    for line in reversed(lines):
        if line.comment is None:
            break
        found.append(line.comment.value)
    found.reverse()
    return found


class DocComments:
    """The documenting comment of each statement line of one module, in walk order.

    ``inherited`` is what the piece of the same module just before this one left pending
    (``pending``; a long module is parsed in pieces): a run of assignments may cross the cut.
    """

    def __init__(self, module: cst.Module, inherited: str = "") -> None:
        self.module = module
        self.runs: dict[int, str] = {}
        """By body (``id`` of its statement list): the comment of the run going on."""
        self.runs[id(module.body)] = "" if module.header else inherited

    def of(self, stmt: cst.SimpleStatementLine, body: Sequence[cst.CSTNode]) -> str:
        leading: Sequence[cst.EmptyLine] = stmt.leading_lines
        if body is self.module.body and body and stmt is body[0]:
            leading = [*self.module.header, *leading]  # libcst keeps a file's first lines apart
        above = _above(leading)
        key = id(body)
        if above:
            run = comment_text(above)
        elif leading:
            run = ""  # a blank line starts a run of its own
        else:
            run = self.runs.get(key, "")
        self.runs[key] = run
        return _joined(run, self.trailing(stmt.trailing_whitespace))

    def interrupt(self, body: Sequence[cst.CSTNode]) -> None:
        """A compound statement stands in ``body``: the run of assignments ends there."""
        self.runs[id(body)] = ""

    @staticmethod
    def trailing(whitespace: cst.TrailingWhitespace) -> str:
        comment = whitespace.comment
        return comment_text([comment.value]) if comment is not None else ""

    def pending(self) -> str:
        """What a statement right after this module's text would inherit."""
        module = self.module
        after = list(module.footer) if module.body else [*module.header, *module.footer]
        if after:
            above = _above(after)
            return comment_text(above) if above else ""
        return self.runs.get(id(module.body), "")


def _joined(*parts: str) -> str:
    return "\n".join(p for p in parts if p)
