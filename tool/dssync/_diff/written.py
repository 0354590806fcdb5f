"""Values as the source writes them, for people: ``0x023100`` stays ``0x023100``, not ``143616``.

Comparison uses the normalized form (``ast.unparse``), so ``0x10`` and ``16`` are one value and
re-wrapping a list is no drift. A reviewer, though, holds the report against the file, so a
report shows each value the way it is written, with only what cannot change its meaning folded:
- white space, line breaks and comments between tokens, and redundant parentheses, exactly as
  the normalized form folds them;
- in a string literal, the quote character (``"x"`` is shown ``'x'``, as the normalized form
  shows it) and a ``u`` prefix; upper-case prefixes are shown in lower case. Nothing that
  changes the value is touched: an ``r`` or ``b`` prefix and every escape stay as written, and
  the folded literal is checked to read back as the same value, else it is shown as written.
Numbers keep their base, underscores, exponent and case (``0o755``, ``1_000_000``, ``1E-3``).
An f-string is shown in the normalized form. A multi-line string keeps its line breaks when it
is the whole value; inside a larger value it is shown normalized (``'a\\nb'``), so a value is
one line unless it is one text.

The text is parsed on its own, never evaluated; what does not parse alone (or is too large to be
worth it) is shown in the normalized form.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
import warnings
from typing import Any, Callable

from dssync.models import Constant

MAX_SOURCE = 20_000
"""Longer values are shown normalized: a report cuts them to a few lines anyway, and a huge
literal would be parsed again only to be cut."""

_QUOTED = re.compile(r"(?P<prefix>[A-Za-z]*)(?P<quote>'''|\"\"\"|'|\")", re.ASCII)
_LINE_END = re.compile(rb"\r\n|\r|\n")


def written_value(const: Constant) -> str:
    """``const``'s value as written, built the way ``Constant.key`` builds its normalized one
    (an unpacked position, then each ``+=``)."""
    binding = const.binding
    if binding.source == binding.normalized and not const.augments:
        return binding.normalized  # written the canonical way already: nothing to read
    text = as_written(binding.source) or binding.normalized
    if binding.index is not None:
        text = f"({text})[{binding.index}]"
    for aug in const.augments:
        text = f"{text} {aug.op} {as_written(aug.source) or aug.normalized}"
    return text


@functools.lru_cache(maxsize=4096)
def as_written(source: str) -> str | None:
    """The value written as ``source``, folded as this module says; None if it cannot be read
    on its own."""
    if not source or len(source) > MAX_SOURCE:
        return None
    text = f"(\n{source}\n)"  # a value may span lines, or end in a comment
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # upstream's invalid escapes are not ours to warn of
            tree = ast.parse(text, mode="eval")
        shown = _AsWritten(_Segments(text), tree.body).visit(tree)
        return ast.unparse(shown)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


class _Segments:
    """The text of a node, by its positions (columns count UTF-8 bytes)."""

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8", "surrogatepass")
        self.starts = [0] + [m.end() for m in _LINE_END.finditer(self.data)]

    def __call__(self, node: ast.expr) -> str:
        begin = self.starts[node.lineno - 1] + node.col_offset
        end = self.starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore[operator]
        return self.data[begin:end].decode("utf-8", "surrogatepass")


class _AsWritten(ast.NodeTransformer):
    """Puts each literal's written text in place of its value. The text goes in as a ``Name``,
    which ``ast.unparse`` writes out verbatim, with no parentheses (a literal is an atom)."""

    def __init__(self, segment: Callable[[ast.expr], str], whole: ast.expr) -> None:
        self.segment = segment
        self.whole = whole

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        return node  # an f-string's parts are not literals of their own

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        if isinstance(node.value, ast.Constant):
            return node  # ``(1).real`` needs the parentheses ast.unparse gives the literal
        self.generic_visit(node)
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            return node
        written = self.segment(node)
        if isinstance(value, (str, bytes)):
            shown = _string(written, value)
            if shown is None or (("\n" in shown or "\r" in shown) and node is not self.whole):
                return node
            written = shown
        return ast.Name(id=written, ctx=ast.Load())


def _string(written: str, value: str | bytes) -> str | None:
    """A string literal (or several, concatenated) with the quotes and prefixes folded where
    that keeps the value; None if its text cannot be read."""
    try:
        tokens = [t.string for t in tokenize.generate_tokens(io.StringIO(written).readline)
                  if t.type == tokenize.STRING]
    except (tokenize.TokenError, SyntaxError):
        return None
    if not tokens:
        return None
    folded = " ".join(_fold_quotes(t) for t in tokens)
    if _reads_as(folded, value):
        return folded
    return " ".join(tokens)


def _fold_quotes(token: str) -> str:
    match = _QUOTED.match(token)
    if match is None:
        return token
    prefix, quote = match["prefix"], match["quote"]
    body = token[match.end():len(token) - len(quote)]
    folded = quote.replace('"', "'")
    if "'" in body:
        folded = quote  # the other quote would need escapes the source did not write
    return prefix.lower().replace("u", "") + folded + body + folded


def _reads_as(literal: str, value: Any) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = ast.literal_eval(literal)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return type(got) is type(value) and got == value
