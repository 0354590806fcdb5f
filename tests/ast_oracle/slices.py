"""The text of a value exactly as written, cut from the source by the standard AST's positions.

The AST places an expression without the parentheses around it, and counts columns in UTF-8
bytes; a value "as written" keeps its parentheses (``X = (\\n "a"\\n "b"\\n)`` shows all four
lines, as libcst's ``code_for_node`` does), so the parentheses that enclose exactly the value are
found in the text on either side of it. That text, between the value and its neighbours (the
``=`` before it, a comma, the end of the statement), holds no string: only parentheses,
operators, white space, line continuations and comments, so it is read with plain string
operations, not a tokenizer.
"""

from __future__ import annotations

import ast
import re

_LINE_END = re.compile(r"\r\n|\r|\n")
"""Python's own line ends; a form feed or U+2028 does not end a line for its tokenizer."""

_BLANK_BEFORE = frozenset(" \t\f\\\r\n(")
_BLANK_AFTER = frozenset(" \t\f\\\r\n)")


def line_starts(text: str) -> list[int]:
    """The offset where each line of ``text`` starts (``[0]`` for one line)."""
    return [0] + [m.end() for m in _LINE_END.finditer(text)]


class SourceSlicer:
    """Offsets and slices of one module's text, by AST positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)

    def offset(self, lineno: int, col_byte: int) -> int:
        """The index in ``text`` of the AST position (1-based line, UTF-8 byte column)."""
        start = self.starts[lineno - 1]
        if col_byte == 0:
            return start
        head = self.text[start:start + col_byte]
        if head.isascii():
            return start + col_byte
        end = self.starts[lineno] if lineno < len(self.starts) else len(self.text)
        line = self.text[start:end].encode("utf-8", "surrogatepass")
        return start + len(line[:col_byte].decode("utf-8", "surrogatepass"))

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def value_text(self, node: ast.expr, left: int, right: int) -> str:
        """``node``'s text with the parentheses enclosing it, looking no further than the
        offsets ``left`` (where its left neighbour ends) and ``right`` (where the right one
        starts)."""
        begin, finish = self.start(node), self.end(node)
        opens = _parens_before(_without_comments(self.text[left:begin]))
        closes = _parens_after(_without_comments(self.text[finish:right]))
        wrapped = min(len(opens), len(closes))
        if wrapped:
            begin = left + opens[-wrapped]
            finish = finish + closes[wrapped - 1] + 1
        return self.text[begin:finish]


def _without_comments(gap: str) -> str:
    """``gap`` with each comment blanked out, offsets kept (a gap between tokens holds no
    string, so every ``#`` in it starts a comment)."""
    if "#" not in gap:
        return gap
    return re.sub(r"#[^\r\n]*", lambda m: " " * len(m.group()), gap)


def _parens_before(gap: str) -> list[int]:
    """Offsets of the parentheses in the blank-and-paren run that ends ``gap``."""
    found = []
    for i in range(len(gap) - 1, -1, -1):
        ch = gap[i]
        if ch not in _BLANK_BEFORE:
            break
        if ch == "(":
            found.append(i)
    found.reverse()
    return found


def _parens_after(gap: str) -> list[int]:
    """Offsets of the parentheses in the blank-and-paren run that starts ``gap``."""
    found = []
    for i, ch in enumerate(gap):
        if ch not in _BLANK_AFTER:
            break
        if ch == ")":
            found.append(i)
    return found
