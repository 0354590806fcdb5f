"""The one way dssync parses Python source: libcst's parser, behind one gate.

Every module dssync reads (a constants module to extract, a file to rewrite, consuming code
``impact`` scans) is parsed by ``parse_module``, and the rare expression re-read from a cached
table by ``parse_expression``; both go through ``_parse``. libcst's native parser crashes the
process or recurses without bound on some text Python itself refuses (5,000 nested
parentheses, a hundred thousand unary minus signs) and on some it accepts (a chain of 7,000
``and``), so text first passes ``guard.refuse_unparsable`` here, in one place, and is refused
in one line; nothing else in dssync calls libcst's parser. Callers bound the size first
(``decode.MAX_TOKENS``, the reader's pieces): compiling a huge module whole would take
gigabytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dssync._extract.guard import NotPython, refuse_unparsable
from dssync.errors import DssyncError

if TYPE_CHECKING:
    import libcst as cst

__all__ = ["NotPython", "parse_expression", "parse_module"]

_HINT = "fix the syntax error (or check that this is the right file)"


def parse_module(text: str, path: str, first_line: int = 1) -> cst.Module:
    """libcst's tree of ``text`` (a module, or the piece of one that starts at ``first_line``).

    Raises ``NotPython`` for a syntax error, ``DssyncError`` for text too deeply nested or too
    large to parse safely; never anything else, and never crashes on text Python refuses.
    """
    return _parse(text, path, first_line, "exec")


def parse_expression(text: str) -> cst.BaseExpression | None:
    """libcst's tree of one expression, or None if ``text`` is not one."""
    try:
        return _parse(text, "<expression>", 1, "eval")
    except DssyncError:
        return None


def _parse(text: str, path: str, first_line: int, mode: str) -> Any:
    refuse_unparsable(text, path, first_line=first_line, mode=mode)
    import libcst as cst

    try:
        return cst.parse_module(text) if mode == "exec" else cst.parse_expression(text)
    except cst.ParserSyntaxError as exc:
        raise NotPython(f"not valid Python: {_one_line(exc.message)}", path=path,
                        line=exc.raw_line + first_line - 1, column=exc.raw_column + 1,
                        hint=_HINT) from None
    except (RecursionError, MemoryError) as exc:
        raise DssyncError(f"cannot parse: {type(exc).__name__}: too deeply nested or too large",
                          path=path, hint="split the expression: deeper syntax trees exhaust the "
                                          "parser's stack") from None


def _one_line(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= 200 else line[:197] + "..."
