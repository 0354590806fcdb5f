"""The normalized text of a value: libcst's expression written out the way Python 3.11's
``ast.unparse`` writes the same expression.

Two values whose texts differ only in formatting (line breaks, spaces, comments, parentheses
that change nothing, quote style, ``0x10`` for ``16``, implicit string concatenation) get one
normalized text; a value that means something else gets another. The rules are those of
``ast.unparse`` in Python 3.11, which dssync used before libcst became its one parser, so that
tables, caches and reports read the same: precedence decides the parentheses, numbers and
strings are written as ``repr`` writes their values, and f-strings choose their quotes to avoid
backslashes. Unlike ``ast.unparse``, the text does not depend on the Python that runs dssync.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Sequence

import libcst as cst

from dssync._extract.literals import Field, Part, fold, number_value

(NAMED_EXPR, TUPLE, YIELD, TEST, OR, AND, NOT, CMP, EXPR, BXOR, BAND, SHIFT, ARITH, TERM,
 FACTOR, POWER, AWAIT, ATOM) = range(1, 19)
"""Binding strengths, loosest first: an operand written in a place that binds more tightly than
its own operator is parenthesized."""
BOR = EXPR

_INFINITY = "1e309"
"""How an infinite float is written: a literal that overflows to infinity."""

_SINGLE_QUOTES = ("'", '"')
_MULTI_QUOTES = ('"""', "'''")
_ALL_QUOTES = (*_SINGLE_QUOTES, *_MULTI_QUOTES)

_UNARY = {cst.Minus: ("-", FACTOR), cst.Plus: ("+", FACTOR), cst.BitInvert: ("~", FACTOR),
          cst.Not: ("not", NOT)}
BINARY = {cst.Add: "+", cst.Subtract: "-", cst.Multiply: "*", cst.MatrixMultiply: "@",
          cst.Divide: "/", cst.Modulo: "%", cst.LeftShift: "<<", cst.RightShift: ">>",
          cst.BitOr: "|", cst.BitXor: "^", cst.BitAnd: "&", cst.FloorDivide: "//",
          cst.Power: "**"}
"""libcst's binary operators by their symbol."""
_BINARY_STRENGTH = {"+": ARITH, "-": ARITH, "*": TERM, "@": TERM, "/": TERM, "%": TERM,
                    "//": TERM, "<<": SHIFT, ">>": SHIFT, "|": BOR, "^": BXOR, "&": BAND,
                    "**": POWER}
_COMPARE = {cst.Equal: "==", cst.NotEqual: "!=", cst.LessThan: "<", cst.LessThanEqual: "<=",
            cst.GreaterThan: ">", cst.GreaterThanEqual: ">=", cst.Is: "is", cst.IsNot: "is not",
            cst.In: "in", cst.NotIn: "not in"}
CONSTANT_NAMES = frozenset({"True", "False", "None"})
"""Names the parser makes constants, not references."""


class Unwritable(ValueError):
    """A value ``ast.unparse`` cannot write either (a backslash needed inside an f-string's
    replacement field before Python 3.12)."""


def normalize(node: cst.BaseExpression) -> str:
    """The normalized text of ``node``."""
    return Writer(False).write(node, TEST)


def star_slice(node: cst.BaseExpression, lower: int | None, upper: int | None,
               writer: Writer | None = None) -> str:
    """The normalized text of ``node[lower:upper]`` (what ``*REST`` takes in an unpacking), or
    ``writer``'s text of it."""
    bounds = f"{'' if lower is None else lower}:{'' if upper is None else upper}"
    return f"{(writer or Writer(False)).write(node, ATOM)}[{bounds}]"


def _strength(parts: int) -> int:
    return min(parts, ATOM)


def _wrap(text: str, outer: int, own: int) -> str:
    return f"({text})" if outer > own else text


def bool_operands(node: cst.BooleanOperation) -> list[cst.BaseExpression]:
    """``a and b and c`` is one operation of three operands, as Python parses it; a
    parenthesized operand stays one operand."""
    operands = [node.right]
    op = type(node.operator)
    left = node.left
    while type(left) is cst.BooleanOperation and type(left.operator) is op and not left.lpar:
        operands.append(left.right)
        left = left.left
    operands.append(left)
    operands.reverse()
    return operands


def comprehensions(node: Any) -> list[cst.CompFor]:
    out = []
    comp = node.for_in
    while comp is not None:
        out.append(comp)
        comp = comp.inner_for_in
    return out


def call_arguments(node: cst.Call) -> tuple[list[cst.Arg], list[cst.Arg]]:
    """Positional arguments (``*args`` among them) and keyword ones (``**kwargs`` among them),
    each in written order: Python keeps the two apart, and writes the positional ones first."""
    positional = [a for a in node.args if a.keyword is None and a.star != "**"]
    keywords = [a for a in node.args if a.keyword is not None or a.star == "**"]
    return positional, keywords


def subscript_items(node: cst.Subscript) -> tuple[list[cst.BaseSlice | cst.BaseElement], bool]:
    """The subscript's items, and whether Python reads them as a tuple (``x[a, b]``, ``x[*a]``,
    or ``x[(a, b)]`` whose tuple is written without its parentheses)."""
    elements: list[cst.BaseSlice | cst.BaseElement] = [e.slice for e in node.slice]
    if len(node.slice) == 1 and type(node.slice[0].comma) is cst.Comma:  # ``x[a,]``
        return elements, True
    if len(elements) == 1 and type(elements[0]) is cst.Index and elements[0].star is None:
        value = elements[0].value
        if type(value) is cst.Tuple and value.elements:
            return list(value.elements), True
        return elements, False
    if len(elements) == 1 and type(elements[0]) is cst.Slice:
        return elements, False
    return elements, True


class Writer:
    """Writes an expression in the normalized form. A subclass changes how some nodes are
    written (``written``: literals as their source spells them) by overriding their methods and
    naming them in its own ``methods`` table."""

    methods: dict[type, Callable[..., str]]
    """The method that writes each type of node (set below the class)."""

    def __init__(self, avoid_backslashes: bool) -> None:
        self.avoid = avoid_backslashes
        """Inside an f-string's replacement field: strings are written without backslashes."""

    def write(self, node: cst.CSTNode, outer: int) -> str:
        method = self.methods.get(type(node))
        if method is None:
            raise Unwritable(f"cannot write a {type(node).__name__}")
        return method(self, node, outer)

    def in_field(self) -> Writer:
        """The same writer, inside an f-string's replacement field."""
        inner = copy.copy(self)
        inner.avoid = True
        return inner

    def _items(self, items: Sequence[cst.CSTNode]) -> str:
        """Comma-separated, with the trailing comma a one-item tuple needs."""
        if len(items) == 1:
            return self._item(items[0]) + ","
        return ", ".join(self._item(i) for i in items)

    def _item(self, item: cst.CSTNode) -> str:
        t = type(item)
        if t is cst.StarredElement:
            return "*" + self.write(item.value, EXPR)  # type: ignore[attr-defined]
        if t is cst.Element:
            return self.write(item.value, TEST)  # type: ignore[attr-defined]
        if t is cst.Index:
            if item.star is not None:  # type: ignore[attr-defined]
                return "*" + self.write(item.value, EXPR)  # type: ignore[attr-defined]
            return self.write(item.value, TEST)  # type: ignore[attr-defined]
        if t is cst.Slice:
            return self._slice(item)  # type: ignore[arg-type]
        return self.write(item, TEST)

    def _slice(self, node: cst.Slice) -> str:
        text = self.write(node.lower, TEST) if node.lower is not None else ""
        text += ":"
        if node.upper is not None:
            text += self.write(node.upper, TEST)
        if node.step is not None:
            text += ":" + self.write(node.step, TEST)
        return text

    # -- atoms ---------------------------------------------------------------------------

    def name(self, node: cst.Name, outer: int) -> str:
        return node.value

    def number(self, node: cst.BaseNumber, outer: int) -> str:
        return constant_text(number_value(node))

    def string(self, node: cst.BaseExpression, outer: int) -> str:
        folded = fold(node)
        if folded.kind == "joined":
            return self._joined(folded.parts)
        if folded.kind == "bytes":
            return repr(folded.value)
        prefix = "u" if folded.u_prefix else ""
        if self.avoid:
            return prefix + _without_backslashes(folded.value)  # type: ignore[arg-type]
        return prefix + repr(folded.value)

    def ellipsis(self, node: cst.Ellipsis, outer: int) -> str:
        return "..."

    def attribute(self, node: cst.Attribute, outer: int) -> str:
        value = node.value
        # ``3.real`` would read as a float; Python writes ``3 .real`` (``True`` is an int too).
        space = " " if type(value) is cst.Integer or (
            type(value) is cst.Name and value.value in ("True", "False")) else ""
        return f"{self.write(value, ATOM)}{space}.{node.attr.value}"

    def call(self, node: cst.Call, outer: int) -> str:
        positional, keywords = call_arguments(node)
        args = []
        for a in positional:
            args.append("*" + self.write(a.value, EXPR) if a.star == "*" else self.write(a.value, TEST))
        for a in keywords:
            prefix = "**" if a.keyword is None else f"{a.keyword.value}="
            args.append(prefix + self.write(a.value, TEST))
        return f"{self.write(node.func, ATOM)}({', '.join(args)})"

    def subscript(self, node: cst.Subscript, outer: int) -> str:
        items, as_tuple = subscript_items(node)
        inside = self._items(items) if as_tuple else self._item(items[0])
        return f"{self.write(node.value, ATOM)}[{inside}]"

    # -- displays ------------------------------------------------------------------------

    def tuple(self, node: cst.Tuple, outer: int) -> str:
        if not node.elements:
            return "()"
        return _wrap(self._items(node.elements), outer, TUPLE)

    def list(self, node: cst.List, outer: int) -> str:
        return "[" + ", ".join(self._item(e) for e in node.elements) + "]"

    def set(self, node: cst.Set, outer: int) -> str:
        return "{" + ", ".join(self._item(e) for e in node.elements) + "}"

    def dict(self, node: cst.Dict, outer: int) -> str:
        items = []
        for e in node.elements:
            if type(e) is cst.StarredDictElement:
                items.append("**" + self.write(e.value, EXPR))
            else:
                items.append(f"{self.write(e.key, TEST)}: {self.write(e.value, TEST)}")  # type: ignore[attr-defined]
        return "{" + ", ".join(items) + "}"

    def _generators(self, node: cst.BaseComp) -> str:
        out = []
        for comp in comprehensions(node):
            out.append(" async for " if comp.asynchronous is not None else " for ")
            out.append(self.write(comp.target, TUPLE))
            out.append(" in ")
            out.append(self.write(comp.iter, OR))
            for cond in comp.ifs:
                out.append(" if " + self.write(cond.test, OR))
        return "".join(out)

    def list_comp(self, node: cst.ListComp, outer: int) -> str:
        return f"[{self.write(node.elt, TEST)}{self._generators(node)}]"

    def set_comp(self, node: cst.SetComp, outer: int) -> str:
        return f"{{{self.write(node.elt, TEST)}{self._generators(node)}}}"

    def generator(self, node: cst.GeneratorExp, outer: int) -> str:
        return f"({self.write(node.elt, TEST)}{self._generators(node)})"

    def dict_comp(self, node: cst.DictComp, outer: int) -> str:
        return (f"{{{self.write(node.key, TEST)}: {self.write(node.value, TEST)}"
                f"{self._generators(node)}}}")

    # -- operators -----------------------------------------------------------------------

    def unary(self, node: cst.UnaryOperation, outer: int) -> str:
        symbol, own = _UNARY[type(node.operator)]
        space = "" if own == FACTOR else " "
        return _wrap(f"{symbol}{space}{self.write(node.expression, own)}", outer, own)

    def binary(self, node: cst.BinaryOperation, outer: int) -> str:
        symbol = BINARY[type(node.operator)]
        own = _BINARY_STRENGTH[symbol]
        left, right = (own + 1, own) if symbol == "**" else (own, own + 1)
        text = f"{self.write(node.left, left)} {symbol} {self.write(node.right, right)}"
        return _wrap(text, outer, own)

    def boolean(self, node: cst.BooleanOperation, outer: int) -> str:
        word, own = ("and", AND) if type(node.operator) is cst.And else ("or", OR)
        # Each operand after the first binds one step more tightly, as ast.unparse has it
        # (so ``a and not b`` is written ``a and (not b)``).
        parts = [self.write(v, _strength(own + i + 1))
                 for i, v in enumerate(bool_operands(node))]
        return _wrap(f" {word} ".join(parts), outer, own)

    def compare(self, node: cst.Comparison, outer: int) -> str:
        text = self.write(node.left, CMP + 1)
        for target in node.comparisons:
            text += f" {_COMPARE[type(target.operator)]} {self.write(target.comparator, CMP + 1)}"
        return _wrap(text, outer, CMP)

    def if_exp(self, node: cst.IfExp, outer: int) -> str:
        text = (f"{self.write(node.body, OR)} if {self.write(node.test, OR)} else "
                f"{self.write(node.orelse, TEST)}")
        return _wrap(text, outer, TEST)

    def lambda_(self, node: cst.Lambda, outer: int) -> str:
        params = self._parameters(node.params)
        head = f"lambda {params}" if params else "lambda"
        return _wrap(f"{head}: {self.write(node.body, TEST)}", outer, TEST)

    def _parameters(self, p: cst.Parameters) -> str:
        out: list[str] = []
        positional = list(p.posonly_params) + list(p.params)
        for i, param in enumerate(positional, 1):
            text = param.name.value
            if param.default is not None:
                text += "=" + self.write(param.default, TEST)
            out.append(text)
            if i == len(p.posonly_params):
                out[-1] += ", /"
        star = p.star_arg
        if isinstance(star, cst.Param) or p.kwonly_params:
            out.append("*" + (star.name.value if isinstance(star, cst.Param) else ""))
        for param in p.kwonly_params:
            text = param.name.value
            if param.default is not None:
                text += "=" + self.write(param.default, TEST)
            out.append(text)
        if p.star_kwarg is not None:
            out.append("**" + p.star_kwarg.name.value)
        return ", ".join(out)

    def named(self, node: cst.NamedExpr, outer: int) -> str:
        text = f"{self.write(node.target, ATOM)} := {self.write(node.value, ATOM)}"
        return _wrap(text, outer, NAMED_EXPR)

    def await_(self, node: cst.Await, outer: int) -> str:
        return _wrap(f"await {self.write(node.expression, ATOM)}", outer, AWAIT)

    def yield_(self, node: cst.Yield, outer: int) -> str:
        value = node.value
        if value is None:
            text = "yield"
        elif type(value) is cst.From:
            text = f"yield from {self.write(value.item, ATOM)}"
        else:
            text = f"yield {self.write(value, ATOM)}"
        return _wrap(text, outer, YIELD)

    # -- f-strings -----------------------------------------------------------------------

    def _joined(self, parts: Sequence[Part]) -> str:
        if self.avoid:
            return "f" + _without_backslashes("".join(self._inner(p) for p in parts))
        # Constant parts may use escapes (``\n``), replacement fields may not: choose a quote
        # every part can live with, else fall back to ``repr``'s escapes in triple quotes.
        written = [(self._inner(p), isinstance(p, str)) for p in parts]
        quotes: list[str] = list(_ALL_QUOTES)
        out = []
        for text, constant in written:
            text, usable = _quoted(text, quotes, escape_whitespace=constant)
            out.append(text)
            if set(usable).isdisjoint(quotes):
                quotes = ["'''"]
                out = [repr('"' + t)[2:-1] for t, _ in written]
                break
            quotes = usable
        return f"f{quotes[0]}{''.join(out)}{quotes[0]}"

    def _inner(self, part: Part) -> str:
        if isinstance(part, str):
            return part.replace("{", "{{").replace("}", "}}")
        return self._field(part)

    def _field(self, part: Field) -> str:
        expr = self.in_field().write(part.expression, TEST + 1)
        if "\\" in expr:
            raise Unwritable("a backslash inside an f-string's replacement field")
        text = "{" + (" " if expr.startswith("{") else "") + expr
        if part.conversion:
            text += "!" + part.conversion
        if part.spec is not None:
            text += ":" + "".join(self._inner(p) for p in part.spec)
        return text + "}"


def constant_text(value: object) -> str:
    if isinstance(value, (float, complex)):
        return repr(value).replace("inf", _INFINITY).replace("nan", f"({_INFINITY}-{_INFINITY})")
    return repr(value)


def _escaped(c: str, escape_whitespace: bool) -> str:
    if not escape_whitespace and c in "\n\t":
        return c
    if c == "\\" or not c.isprintable():
        return c.encode("unicode_escape").decode("ascii")
    return c


def _quoted(text: str, quotes: Sequence[str], escape_whitespace: bool = False
            ) -> tuple[str, list[str]]:
    """``text`` escaped for a string literal with as few backslashes as the quotes allow, and
    the quotes it can be written in (preferred first)."""
    escaped = "".join(_escaped(c, escape_whitespace) for c in text)
    usable = [q for q in quotes if q in _MULTI_QUOTES] if "\n" in escaped else list(quotes)
    usable = [q for q in usable if q not in escaped]
    if not usable:
        literal = repr(text)
        quote = next((q for q in quotes if literal[0] in q), literal[0])
        return literal[1:-1], [quote]
    if escaped:
        usable.sort(key=lambda q: q[0] == escaped[-1])
        if usable[0][0] == escaped[-1]:  # a triple quote would be closed by the last character
            escaped = escaped[:-1] + "\\" + escaped[-1]
    return escaped, usable


def _without_backslashes(text: str) -> str:
    body, quotes = _quoted(text, _ALL_QUOTES)
    return f"{quotes[0]}{body}{quotes[0]}"


Writer.methods = {
    cst.Name: Writer.name, cst.Integer: Writer.number, cst.Float: Writer.number,
    cst.Imaginary: Writer.number, cst.SimpleString: Writer.string,
    cst.ConcatenatedString: Writer.string, cst.FormattedString: Writer.string,
    cst.Ellipsis: Writer.ellipsis, cst.Attribute: Writer.attribute, cst.Call: Writer.call,
    cst.Subscript: Writer.subscript, cst.Tuple: Writer.tuple, cst.List: Writer.list,
    cst.Set: Writer.set, cst.Dict: Writer.dict, cst.ListComp: Writer.list_comp,
    cst.SetComp: Writer.set_comp, cst.GeneratorExp: Writer.generator,
    cst.DictComp: Writer.dict_comp, cst.UnaryOperation: Writer.unary,
    cst.BinaryOperation: Writer.binary, cst.BooleanOperation: Writer.boolean,
    cst.Comparison: Writer.compare, cst.IfExp: Writer.if_exp, cst.Lambda: Writer.lambda_,
    cst.NamedExpr: Writer.named, cst.Await: Writer.await_, cst.Yield: Writer.yield_,
}
