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

import threading
from typing import TYPE_CHECKING, Any, Callable

from dssync._extract.guard import NotPython, refuse_uncompilable, refuse_unparsable, shallow
from dssync.errors import DssyncError

if TYPE_CHECKING:
    import libcst as cst

__all__ = ["NotPython", "parse_expression", "parse_module"]

_HINT = "fix the syntax error (or check that this is the right file)"

PARSER_STACK = 64 << 20
"""Stack for compiling and parsing text deeper than ``guard.SHALLOW``. Measured on CPython
3.11 and libcst 1.9: libcst's parser takes some 1.2 KB a chained ``and`` (600 KB at the bound
of 500), 2 MB for 199 nested brackets, 3 MB for 99 nested blocks (Python's limit); ``compile``
with the raised recursion limit overflows a 1 MB stack on hostile text (it stops within 2 MB).
64 MB leaves a wide margin, and only the pages touched are ever used."""

_STACK_SIZE = threading.Lock()


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
    import libcst as cst

    parse = cst.parse_module if mode == "exec" else cst.parse_expression

    def guarded() -> Any:
        refuse_unparsable(text, path, first_line=first_line, mode=mode)
        return parse(text)

    try:
        if shallow(text):  # nearly all text: checked and parsed where it is
            refuse_uncompilable(text, path, first_line, mode)
            return parse(text)
        return _on_a_large_stack(guarded)
    except cst.ParserSyntaxError as exc:
        raise NotPython(f"not valid Python: {_one_line(exc.message)}", path=path,
                        line=exc.raw_line + first_line - 1, column=exc.raw_column + 1,
                        hint=_HINT) from None
    except (RecursionError, MemoryError) as exc:
        raise DssyncError(f"cannot parse: {type(exc).__name__}: too deeply nested or too large",
                          path=path, hint="split the expression: deeper syntax trees exhaust the "
                                          "parser's stack") from None


def _on_a_large_stack(work: Callable[[], Any]) -> Any:
    """``work()`` on a thread with ``PARSER_STACK`` bytes of stack: libcst's native parser and
    Python's compiler recurse on the C stack (the compiler as deep as three times the
    recursion limit, which ``stack.deep_recursion`` raises), and what the guard lets through may
    need more than a thread's (or a small main thread's) stack holds."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # raised again on the caller's thread
            outcome.append((False, exc))

    with _STACK_SIZE:  # the size applies to threads started while it is set
        previous = threading.stack_size(PARSER_STACK)
        try:
            worker = threading.Thread(target=run, name="dssync-parse", daemon=True)
            worker.start()
        finally:
            threading.stack_size(previous)
    worker.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _one_line(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= 200 else line[:197] + "..."
