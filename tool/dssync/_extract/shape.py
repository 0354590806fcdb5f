"""The shape of a statement: what Python's own syntax tree would say of it, read from libcst's.

libcst keeps every space, comment, line break and redundant parenthesis; two statements that
differ only in those have one shape. Expressions are written by the normalizer
(``unparse``), so ``0x10`` and ``16``, ``"x"`` and ``'x'`` are one shape as they are one
value; a body is its statements, however they are laid out (``a = 1; b = 2`` on one line or
two), and ``elif`` is an ``else`` holding an ``if``, as Python reads it. A shape is nested
tuples, compared with ``==``.

A class's shape leaves its own name out and reads each use of that name as an expression
(``super(TraceMode, self)``, ``TraceMode.RECORD``) as one placeholder, so a class renamed with
nothing else changed keeps its shape. Names the grammar makes identifiers rather than
expressions (a method's name, a parameter, a keyword argument, an attribute after its dot, an
imported name) are not uses of it.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import libcst as cst

from dssync._extract.literals import code_of
from dssync._extract.unparse import TEST, Writer

SELF = "<the class itself>"
"""What a class's own name is read as: no identifier can be this."""

_LAYOUT = (cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine,
           cst.Comment, cst.Newline, cst.Comma, cst.Semicolon, cst.Colon, cst.AssignEqual,
           cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
           cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.MaybeSentinel)
"""What a statement's text holds beyond its shape: white space, comments, punctuation."""

_LAYOUT_TEXT = frozenset({"indent"})
"""Plain-text fields that hold layout (an indented block's own indentation)."""

_IDENTIFIERS = frozenset({
    (cst.FunctionDef, "name"), (cst.ClassDef, "name"), (cst.Param, "name"), (cst.Arg, "keyword"),
    (cst.ImportAlias, "name"), (cst.ImportAlias, "asname"), (cst.ImportFrom, "module"),
    (cst.NameItem, "name"), (cst.ExceptHandler, "name"), (cst.ExceptStarHandler, "name"),
})
"""Fields holding a name the grammar makes an identifier, not an expression."""


def class_shape(node: cst.ClassDef) -> tuple:
    """The shape of a ``class`` statement without its name, its own name read as ``SELF``."""
    return _Shapes(node.name.value).node(node, skip="name")


class _Names(Writer):
    """The normalizer, reading the class's own name as ``SELF`` wherever it is an expression."""

    def __init__(self, own: str) -> None:
        super().__init__(False)
        self.own = own

    def name(self, node: cst.Name, outer: int) -> str:
        return SELF if node.value == self.own else node.value

    methods = {**Writer.methods, cst.Name: name}  # noqa: RUF012 - one dispatch table per class


class _Shapes:
    def __init__(self, own: str) -> None:
        self.writer = _Names(own)

    def node(self, node: cst.CSTNode, skip: str = "") -> Any:
        if isinstance(node, cst.BaseExpression):
            return self.expression(node)
        if isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            return self.body(node)
        kind = type(node)
        out: list[Any] = [kind.__name__]
        for f in fields(node):
            value = getattr(node, f.name)
            if f.name == skip or f.name in _LAYOUT_TEXT or isinstance(value, _LAYOUT):
                continue
            if (kind, f.name) in _IDENTIFIERS:
                out.append((f.name, _identifier(value)))
            elif kind is cst.If and f.name == "orelse" and value is not None:
                # ``elif`` is an ``else`` whose body is one ``if``, as Python reads it.
                out.append((f.name, ("body", (self.node(value),)) if type(value) is cst.If
                            else self.body(value.body)))
            elif kind is cst.ImportFrom and f.name == "relative":
                out.append((f.name, len(value)))  # the dots are the level
            else:
                out.append((f.name, self.value(value)))
        return tuple(out)

    def value(self, value: Any) -> Any:
        if isinstance(value, cst.CSTNode):
            return self.node(value)
        if isinstance(value, (list, tuple)):
            return tuple(self.node(v) for v in value if not isinstance(v, _LAYOUT))
        return value  # plain text (``*`` of a parameter), or None

    def body(self, suite: cst.BaseSuite) -> tuple:
        """A body's statements, however they are laid out on lines."""
        out: list[Any] = []
        for stmt in suite.body:
            if type(stmt) is cst.SimpleStatementLine:
                out += [self.node(small) for small in stmt.body]
            else:
                out.append(self.node(stmt))
        return ("body", tuple(out))

    def expression(self, node: cst.BaseExpression) -> tuple:
        try:
            return ("expression", self.writer.write(node, TEST))
        except ValueError:  # ``Unwritable``: compared by its text, white space folded
            return ("code", " ".join(code_of(node).split()))


def _identifier(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is cst.AsName:
        return _identifier(value.name)
    if type(value) is cst.Attribute:
        return f"{_identifier(value.value)}.{value.attr.value}"
    if type(value) is cst.Name:
        return value.value
    return " ".join(code_of(value).split())
