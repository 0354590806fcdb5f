"""The one way dssync parses Python source: libcst's parser, behind one gate.

Every module dssync reads (a constants module to extract, a file to rewrite, consuming code
``impact`` scans) is parsed by ``parse_module``, and the rare expression re-read from a cached
table by ``parse_expression``; both go through ``_parse``. libcst's native parser crashes the
process or recurses without bound on some text Python itself refuses (5,000 nested
parentheses, a hundred thousand unary minus signs), so text is first checked there, in one
place, and refused in one line; nothing else in dssync calls libcst's parser.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from dssync.errors import DssyncError

if TYPE_CHECKING:
    import libcst as cst

_HINT = "fix the syntax error (or check that this is the right file)"


class NotPython(DssyncError):
    """The text is not a Python module: a syntax error, with the line it is on."""


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


def _parse(text: str, path: str, first_line: int, mode: str):
    _refuse_what_python_refuses(text, path, first_line, mode)
    import libcst as cst

    try:
        return cst.parse_module(text) if mode == "exec" else cst.parse_expression(text)
    except cst.ParserSyntaxError as exc:
        raise NotPython(f"not valid Python: {_one_line(exc.message)}", path=path,
                        line=exc.raw_line + first_line - 1, column=exc.raw_column + 1,
                        hint=_HINT) from None
    except (RecursionError, MemoryError) as exc:
        raise _too_deep(exc, path) from None


def _refuse_what_python_refuses(text: str, path: str, first_line: int, mode: str) -> None:
    """Python's own compiler as the gate: what it cannot compile is not read at all (which
    also keeps libcst from the nesting that crashes it). Compiling runs nothing."""
    try:
        with warnings.catch_warnings():
            # Python's warnings about upstream's code (invalid escapes, ``1if``) are not ours
            # to print: the report is the one place dssync speaks about upstream.
            warnings.simplefilter("ignore")
            compile(text, path, mode, dont_inherit=True)
    except SyntaxError as exc:
        raise NotPython(f"not valid Python: {exc.msg}", path=path,
                        line=exc.lineno + first_line - 1 if exc.lineno else None,
                        column=exc.offset, hint=_HINT) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise _too_deep(exc, path) from None


def _too_deep(exc: BaseException, path: str) -> DssyncError:
    return DssyncError(f"cannot parse: {type(exc).__name__}: too deeply nested or too large",
                       path=path, hint="dssync refuses inputs Python itself cannot compile")


def _one_line(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= 200 else line[:197] + "..."
