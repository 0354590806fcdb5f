"""A tiny, bounded interpreter for constant expressions, over libcst's expression nodes.

It never runs upstream code: it understands literals, names of other constants, string and
number arithmetic, ``%`` formatting and f-strings, and gives up (``UNRESOLVED``) on anything
else. Every operation that could allocate without bound is checked first.
"""

from __future__ import annotations

import operator
import re
from typing import Any, Callable, Sequence

import libcst as cst

from dssync._extract.literals import Field, Part, fold, number_value
from dssync._extract.unparse import BINARY, CONSTANT_NAMES, subscript_items
from dssync._extract.bounds import MAX_SIZE, value_size
from dssync._extract.value_json import canonical_set
from dssync.models import UNRESOLVED

MAX_FORMAT_WIDTH = 10_000
MAX_INT_BITS = 4096

Lookup = Callable[[str], Any]

_NUMBER_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
    "<<": operator.lshift,
    ">>": operator.rshift,
    "|": operator.or_,
    "&": operator.and_,
    "^": operator.xor,
}
"""By operator symbol; ``@`` has no meaning for numbers."""
AUGMENTED = frozenset(_NUMBER_OPS)
"""The operators of the augmented assignments the resolver follows (``X += ...``)."""

_DIGITS = re.compile(r"\d+")
_CONSTANTS = {"True": True, "False": False, "None": None}


def dotted_name(node: cst.CSTNode) -> str | None:
    """``A`` for a name, ``A.B`` for an attribute of a name; None for anything else (``True``
    is a constant, not a name)."""
    if type(node) is cst.Name:
        return None if node.value in CONSTANT_NAMES else node.value
    if type(node) is cst.Attribute:
        value = node.value
        if type(value) is cst.Name and value.value not in CONSTANT_NAMES:
            return f"{value.value}.{node.attr.value}"
    return None


class StarSlice:
    """What ``*REST`` takes in ``A, *REST = value``: a slice, which the evaluator leaves
    unresolved (after resolving what ``value`` refers to, as it would to slice it)."""

    __slots__ = ("value",)

    def __init__(self, value: cst.BaseExpression) -> None:
        self.value = value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, complex))


def _sized_ok(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() <= MAX_INT_BITS
    if isinstance(value, (str, bytes)):
        return len(value) <= MAX_SIZE
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return value_size(value) <= MAX_SIZE
    return True


def _format_is_bounded(spec: str) -> bool:
    # ``*`` takes the width from the arguments, where it cannot be checked in advance.
    return "*" not in spec and all(int(d) <= MAX_FORMAT_WIDTH for d in _DIGITS.findall(spec))


def _binop(op: str, left: Any, right: Any) -> Any:
    if op == "%" and isinstance(left, str):
        if not _format_is_bounded(left) or not _plain(right):
            return UNRESOLVED
        return left % right
    if op == "+" and type(left) is type(right) and isinstance(left, (str, bytes, list, tuple)):
        if len(left) + len(right) > MAX_SIZE:
            return UNRESOLVED
        return left + right
    if op == "*" and isinstance(left, (str, bytes, list, tuple)) != isinstance(right, (str, bytes, list, tuple)):
        seq, count = (left, right) if isinstance(left, (str, bytes, list, tuple)) else (right, left)
        if not isinstance(count, int) or len(seq) * max(count, 0) > MAX_SIZE:
            return UNRESOLVED
        return seq * count
    if not (_is_number(left) and _is_number(right)):
        return UNRESOLVED
    if op == "**" and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and right * max(abs(left).bit_length(), 1) > MAX_INT_BITS:
            return UNRESOLVED
    if op == "<<" and isinstance(right, int) and right > MAX_INT_BITS:
        return UNRESOLVED
    func = _NUMBER_OPS.get(op)
    if func is None:
        return UNRESOLVED
    return func(left, right)


def _plain(value: Any) -> bool:
    """Values whose formatting cannot call back into code or explode in size."""
    if value_size(value) > MAX_SIZE:
        return False
    return _plain_types(value)


def _plain_types(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_plain_types(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_types(v) for k, v in value.items())
    return value is None or isinstance(value, (str, int, float, bool))


class Evaluator:
    """Evaluates one expression; ``lookup`` answers for names (None: literals only)."""

    def __init__(self, lookup: Lookup | None) -> None:
        self.lookup = lookup

    def __call__(self, node: cst.BaseExpression | StarSlice) -> Any:
        try:
            value = self._eval(node)
        except (ArithmeticError, LookupError, ValueError, TypeError, RecursionError, MemoryError):
            return UNRESOLVED
        if value is not UNRESOLVED and not _sized_ok(value):
            return UNRESOLVED
        return value

    def _eval(self, node: Any) -> Any:
        method = _METHODS.get(type(node))
        if method is None:
            return UNRESOLVED
        return method(self, node)

    def _all(self, items: Sequence[cst.BaseElement]) -> list[Any] | None:
        """The values of a display's elements; None if one is starred or unresolved."""
        return self._values([i.value if type(i) is cst.Element else None for i in items])

    def _values(self, nodes: list[Any]) -> list[Any] | None:
        """The values of ``nodes`` in order; None at the first unresolved one (or None)."""
        values = []
        for node in nodes:
            v = UNRESOLVED if node is None else self._eval(node)
            if v is UNRESOLVED:
                return None
            values.append(v)
        return values

    def _number(self, node: cst.BaseNumber) -> Any:
        return number_value(node)

    def _string(self, node: cst.BaseExpression) -> Any:
        folded = fold(node)
        if folded.kind != "joined":
            return folded.value
        if self.lookup is None:
            return UNRESOLVED
        return self._joined(folded.parts)

    def _ellipsis(self, node: cst.Ellipsis) -> Any:
        return UNRESOLVED

    def _name(self, node: cst.Name) -> Any:
        if node.value in _CONSTANTS:
            return _CONSTANTS[node.value]
        return self.lookup(node.value) if self.lookup else UNRESOLVED

    def _attribute(self, node: cst.Attribute) -> Any:
        name = dotted_name(node)
        return self.lookup(name) if (self.lookup and name) else UNRESOLVED

    def _unary(self, node: cst.UnaryOperation) -> Any:
        value = self._eval(node.expression)
        if not _is_number(value):
            return UNRESOLVED
        op = type(node.operator)
        if op is cst.Minus:
            return -value
        if op is cst.Plus:
            return +value
        if self.lookup is None:
            return UNRESOLVED  # only unary plus/minus count as part of a literal
        if op is cst.BitInvert and isinstance(value, int):
            return ~value
        if op is cst.Not:
            return not value
        return UNRESOLVED

    def _binary(self, node: cst.BinaryOperation) -> Any:
        op = BINARY[type(node.operator)]
        if self.lookup is None:
            return self._complex_literal(node, op)
        left = self._eval(node.left)
        if left is UNRESOLVED:
            return UNRESOLVED
        right = self._eval(node.right)
        if right is UNRESOLVED:
            return UNRESOLVED
        return _binop(op, left, right)

    def _complex_literal(self, node: cst.BinaryOperation, op: str) -> Any:
        # ``1+2j`` is the one binary operation a literal may contain (as in ast.literal_eval).
        if op not in ("+", "-"):
            return UNRESOLVED
        left, right = self._eval(node.left), self._eval(node.right)
        if isinstance(left, (int, float)) and isinstance(right, complex):
            return left + right if op == "+" else left - right
        return UNRESOLVED

    def _tuple(self, node: cst.Tuple) -> Any:
        values = self._all(node.elements)
        return tuple(values) if values is not None else UNRESOLVED

    def _list(self, node: cst.List) -> Any:
        values = self._all(node.elements)
        return values if values is not None else UNRESOLVED

    def _set(self, node: cst.Set) -> Any:
        values = self._all(node.elements)
        if values is None:
            return UNRESOLVED
        return canonical_set(values)

    def _dict(self, node: cst.Dict) -> Any:
        if any(type(e) is not cst.DictElement for e in node.elements):
            return UNRESOLVED  # ``**other`` unpacking
        # All keys first, then the values, as Python's tree holds them.
        keys = self._values([e.key for e in node.elements])  # type: ignore[attr-defined]
        values = self._values([e.value for e in node.elements])
        if keys is None or values is None:
            return UNRESOLVED
        return dict(zip(keys, values))

    def _joined(self, parts: tuple[Part, ...]) -> Any:
        out = []
        for part in parts:
            value = part if isinstance(part, str) else self._field(part)
            if not isinstance(value, str):
                return UNRESOLVED
            out.append(value)
        return "".join(out)

    def _field(self, part: Field) -> Any:
        value = self._eval(part.expression)
        if value is UNRESOLVED or not _plain(value):
            return UNRESOLVED
        spec = ""
        if part.spec is not None:
            spec = self._joined(part.spec)
            if not isinstance(spec, str) or not _format_is_bounded(spec):
                return UNRESOLVED
        if part.conversion == "r":
            value = repr(value)
        elif part.conversion == "a":
            value = ascii(value)
        elif part.conversion == "s":
            value = str(value)
        return format(value, spec)

    def _subscript(self, node: cst.Subscript) -> Any:
        if self.lookup is None:
            return UNRESOLVED
        container = self._eval(node.value)
        items, as_tuple = subscript_items(node)
        if as_tuple:
            values = self._values([i.value if type(i) is cst.Element or (
                type(i) is cst.Index and i.star is None) else None for i in items])
            index = tuple(values) if values is not None else UNRESOLVED
        elif type(items[0]) is cst.Index:
            index = self._eval(items[0].value)
        else:
            index = UNRESOLVED  # a slice
        if isinstance(container, (str, bytes, list, tuple)) and isinstance(index, int):
            return container[index]
        if isinstance(container, dict):
            try:
                return container[index]
            except (KeyError, TypeError):
                return UNRESOLVED
        return UNRESOLVED

    def _star_slice(self, node: StarSlice) -> Any:
        self._eval(node.value)
        return UNRESOLVED


_METHODS: dict[type, Callable[[Evaluator, Any], Any]] = {
    cst.Integer: Evaluator._number, cst.Float: Evaluator._number,
    cst.Imaginary: Evaluator._number, cst.SimpleString: Evaluator._string,
    cst.ConcatenatedString: Evaluator._string, cst.FormattedString: Evaluator._string,
    cst.Ellipsis: Evaluator._ellipsis, cst.Name: Evaluator._name,
    cst.Attribute: Evaluator._attribute, cst.UnaryOperation: Evaluator._unary,
    cst.BinaryOperation: Evaluator._binary, cst.Tuple: Evaluator._tuple,
    cst.List: Evaluator._list, cst.Set: Evaluator._set, cst.Dict: Evaluator._dict,
    cst.Subscript: Evaluator._subscript, StarSlice: Evaluator._star_slice,
}


def combine(op: str, left: Any, right: Any) -> Any:
    """``left <op> right`` for two already-resolved values, within the same bounds."""
    if left is UNRESOLVED or right is UNRESOLVED:
        return UNRESOLVED
    try:
        value = _binop(op, left, right)
    except (ArithmeticError, LookupError, ValueError, TypeError, MemoryError):
        return UNRESOLVED
    return value if value is UNRESOLVED or _sized_ok(value) else UNRESOLVED


def literal_value(node: cst.BaseExpression | StarSlice) -> Any:
    """The Python value of a literal expression, or ``UNRESOLVED`` if it is not a literal."""
    return Evaluator(None)(node)
