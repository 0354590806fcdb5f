"""A tiny, bounded interpreter for constant expressions, over the standard library's AST.

It never runs upstream code: it understands literals, names of other constants, string and
number arithmetic, ``%`` formatting and f-strings, and gives up (``UNRESOLVED``) on anything
else. Every operation that could allocate without bound is checked first.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Any, Callable

from dssync.models import UNRESOLVED

MAX_SIZE = 1_000_000
"""Largest string, bytes or container a resolved value may be."""
ELEMENT_WEIGHT = 10
"""So that a resolved container holds at most MAX_SIZE / ELEMENT_WEIGHT (100,000) elements."""
MAX_DEPTH = 32
"""Deepest nesting of containers a resolved value may have: comparing, printing and diffing
values recurse, and a chain like ``A1 = (A0,)``, ``A2 = (A1,)``... nests without limit."""
MAX_FORMAT_WIDTH = 10_000
MAX_INT_BITS = 4096

Lookup = Callable[[str], Any]

_NUMBER_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
}

_DIGITS = re.compile(r"\d+")


def dotted_name(node: ast.AST) -> str | None:
    """``A`` for a name, ``A.B`` for an attribute of a name; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, complex))


def value_size(value: Any, budget: int = MAX_SIZE) -> int:
    """How big ``value`` is: its characters plus ``ELEMENT_WEIGHT`` per element, counting a
    shared part once per use (as printing or comparing it would); stops once past ``budget``.
    Containers nested deeper than ``MAX_DEPTH`` count as over the budget."""
    total = 0
    stack = [(value, 0)]
    while stack and total <= budget:
        item, depth = stack.pop()
        total += ELEMENT_WEIGHT
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, (dict, list, tuple, set, frozenset)):
            if depth >= MAX_DEPTH:
                return budget + 1
            stack.extend((child, depth + 1) for child in item)
            if isinstance(item, dict):
                stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3
    return total


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


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    if isinstance(op, ast.Mod) and isinstance(left, str):
        if not _format_is_bounded(left) or not _plain(right):
            return UNRESOLVED
        return left % right
    if isinstance(op, ast.Add) and type(left) is type(right) and isinstance(left, (str, bytes, list, tuple)):
        if len(left) + len(right) > MAX_SIZE:
            return UNRESOLVED
        return left + right
    if isinstance(op, ast.Mult) and (isinstance(left, (str, bytes, list, tuple))
                                     != isinstance(right, (str, bytes, list, tuple))):
        seq, count = (left, right) if isinstance(left, (str, bytes, list, tuple)) else (right, left)
        if not isinstance(count, int) or len(seq) * max(count, 0) > MAX_SIZE:
            return UNRESOLVED
        return seq * count
    if not (_is_number(left) and _is_number(right)):
        return UNRESOLVED
    if isinstance(op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and right * max(abs(left).bit_length(), 1) > MAX_INT_BITS:
            return UNRESOLVED
    if isinstance(op, ast.LShift) and isinstance(right, int) and right > MAX_INT_BITS:
        return UNRESOLVED
    func = _NUMBER_OPS.get(type(op))
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

    def __call__(self, node: ast.AST) -> Any:
        try:
            value = self._eval(node)
        except (ArithmeticError, LookupError, ValueError, TypeError, RecursionError, MemoryError):
            return UNRESOLVED
        if value is not UNRESOLVED and not _sized_ok(value):
            return UNRESOLVED
        return value

    def _eval(self, node: ast.AST) -> Any:
        method = getattr(self, "_eval_" + type(node).__name__, None)
        if method is None:
            return UNRESOLVED
        return method(node)

    def _all(self, nodes: list[ast.expr]) -> list[Any] | None:
        values = []
        for n in nodes:
            if isinstance(n, ast.Starred):
                return None
            v = self._eval(n)
            if v is UNRESOLVED:
                return None
            values.append(v)
        return values

    def _eval_Constant(self, node: ast.Constant) -> Any:
        if node.value is Ellipsis:
            return UNRESOLVED
        return node.value

    def _eval_Name(self, node: ast.Name) -> Any:
        return self.lookup(node.id) if self.lookup else UNRESOLVED

    def _eval_Attribute(self, node: ast.Attribute) -> Any:
        name = dotted_name(node)
        return self.lookup(name) if (self.lookup and name) else UNRESOLVED

    def _eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self._eval(node.operand)
        if not _is_number(value):
            return UNRESOLVED
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return +value
        if self.lookup is None:
            return UNRESOLVED  # only unary plus/minus count as part of a literal
        if isinstance(node.op, ast.Invert) and isinstance(value, int):
            return ~value
        if isinstance(node.op, ast.Not):
            return not value
        return UNRESOLVED

    def _eval_BinOp(self, node: ast.BinOp) -> Any:
        if self.lookup is None:
            return self._complex_literal(node)
        left = self._eval(node.left)
        if left is UNRESOLVED:
            return UNRESOLVED
        right = self._eval(node.right)
        if right is UNRESOLVED:
            return UNRESOLVED
        return _binop(node.op, left, right)

    def _complex_literal(self, node: ast.BinOp) -> Any:
        # ``1+2j`` is the one binary operation a literal may contain (as in ast.literal_eval).
        if not isinstance(node.op, (ast.Add, ast.Sub)):
            return UNRESOLVED
        left, right = self._eval(node.left), self._eval(node.right)
        if isinstance(left, (int, float)) and isinstance(right, complex):
            return left + right if isinstance(node.op, ast.Add) else left - right
        return UNRESOLVED

    def _eval_Tuple(self, node: ast.Tuple) -> Any:
        values = self._all(node.elts)
        return tuple(values) if values is not None else UNRESOLVED

    def _eval_List(self, node: ast.List) -> Any:
        values = self._all(node.elts)
        return values if values is not None else UNRESOLVED

    def _eval_Set(self, node: ast.Set) -> Any:
        values = self._all(node.elts)
        if values is None:
            return UNRESOLVED
        return frozenset(values)

    def _eval_Dict(self, node: ast.Dict) -> Any:
        if any(k is None for k in node.keys):
            return UNRESOLVED  # ``**other`` unpacking
        keys = self._all(node.keys)  # type: ignore[arg-type]
        values = self._all(node.values)
        if keys is None or values is None:
            return UNRESOLVED
        return dict(zip(keys, values))

    def _eval_JoinedStr(self, node: ast.JoinedStr) -> Any:
        if self.lookup is None:
            return UNRESOLVED
        parts = []
        for part in node.values:
            value = self._eval(part)
            if not isinstance(value, str):
                return UNRESOLVED
            parts.append(value)
        return "".join(parts)

    def _eval_FormattedValue(self, node: ast.FormattedValue) -> Any:
        value = self._eval(node.value)
        if value is UNRESOLVED or not _plain(value):
            return UNRESOLVED
        spec = ""
        if node.format_spec is not None:
            spec = self._eval(node.format_spec)
            if not isinstance(spec, str) or not _format_is_bounded(spec):
                return UNRESOLVED
        if node.conversion == ord("r"):
            value = repr(value)
        elif node.conversion == ord("a"):
            value = ascii(value)
        elif node.conversion == ord("s"):
            value = str(value)
        return format(value, spec)

    def _eval_Subscript(self, node: ast.Subscript) -> Any:
        if self.lookup is None:
            return UNRESOLVED
        container = self._eval(node.value)
        index = self._eval(node.slice)
        if isinstance(container, (str, bytes, list, tuple)) and isinstance(index, int):
            return container[index]
        if isinstance(container, dict):
            try:
                return container[index]
            except (KeyError, TypeError):
                return UNRESOLVED
        return UNRESOLVED


def combine(op: ast.operator, left: Any, right: Any) -> Any:
    """``left <op> right`` for two already-resolved values, within the same bounds."""
    if left is UNRESOLVED or right is UNRESOLVED:
        return UNRESOLVED
    try:
        value = _binop(op, left, right)
    except (ArithmeticError, LookupError, ValueError, TypeError, MemoryError):
        return UNRESOLVED
    return value if value is UNRESOLVED or _sized_ok(value) else UNRESOLVED


def literal_value(node: ast.AST) -> Any:
    """The Python value of a literal expression, or ``UNRESOLVED`` if it is not a literal."""
    return Evaluator(None)(node)
