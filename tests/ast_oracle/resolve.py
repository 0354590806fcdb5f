"""Follow references between constants of one module to the values they stand for."""

from __future__ import annotations

import ast
import warnings
from typing import Any, Mapping

from ast_oracle.evaluate import Evaluator, combine, dotted_name
from dssync.models import UNRESOLVED, Constant

_AUG_OPS: dict[str, ast.operator] = {
    "+=": ast.Add(), "-=": ast.Sub(), "*=": ast.Mult(), "/=": ast.Div(), "//=": ast.FloorDiv(),
    "%=": ast.Mod(), "**=": ast.Pow(), "<<=": ast.LShift(), ">>=": ast.RShift(),
    "|=": ast.BitOr(), "&=": ast.BitAnd(), "^=": ast.BitXor(),
}


def parse_expression(text: str) -> ast.expr | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, mode="eval").body
    except (SyntaxError, RecursionError, ValueError, MemoryError):
        return None


def mentions(node: ast.AST) -> tuple[str, ...]:
    """The (dotted) names an expression mentions, in order of first mention."""
    found: dict[str, None] = {}
    for sub in ast.walk(node):
        name = dotted_name(sub)
        if name is not None:
            found[name] = None
    return tuple(found)


def known_references(names: tuple[str, ...], scope: str | None, known: Mapping[str, object]) -> tuple[str, ...]:
    """The constants of this module that ``names`` (from ``mentions``) stand for."""
    found: dict[str, None] = {}
    for name in names:
        for candidate in _candidates(name, scope):
            if candidate in known:
                found[candidate] = None
                break
    return tuple(found)


def _candidates(name: str, scope: str | None) -> tuple[str, ...]:
    # Inside a class body a bare name means the class attribute first, then the module global.
    return (f"{scope}.{name}", name) if scope else (name,)


class Resolver:
    """Resolves every constant of a table, transitively, with protection against cycles."""

    def __init__(self, constants: Mapping[str, Constant], nodes: Mapping[str, ast.expr] | None = None) -> None:
        self.constants = constants
        self.nodes: dict[str, ast.expr | None] = dict(nodes or {})
        self.values: dict[str, Any] = {}
        self.active: set[str] = set()

    def _node(self, text: str) -> ast.expr | None:
        if text not in self.nodes:
            self.nodes[text] = parse_expression(text)
        return self.nodes[text]

    def resolve_all(self) -> dict[str, Any]:
        for name in self.constants:
            self.resolve(name)
        return self.values

    def resolve(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if name in self.active:
            return UNRESOLVED  # a cycle: A = B, B = A
        self.active.add(name)
        try:
            value = self._compute(self.constants[name])
        finally:
            self.active.discard(name)
        self.values[name] = value
        return value

    def _lookup_for(self, scope: str | None):
        def lookup(ref: str) -> Any:
            for candidate in _candidates(ref, scope):
                if candidate in self.constants:
                    return self.resolve(candidate)
            return UNRESOLVED

        return lookup

    def _compute(self, constant: Constant) -> Any:
        scope = constant.name.rpartition(".")[0] or None
        evaluate = Evaluator(self._lookup_for(scope))
        value = constant.binding.literal  # a literal evaluates to itself: no tree needed
        if value is UNRESOLVED:
            node = self._node(constant.binding.normalized)
            if node is None:
                return UNRESOLVED
            value = evaluate(node)
        if constant.binding.index is not None and value is not UNRESOLVED:
            try:
                value = value[constant.binding.index]
            except (TypeError, IndexError, KeyError):
                return UNRESOLVED
        for aug in constant.augments:
            op = _AUG_OPS.get(aug.op)
            operand = self._node(aug.normalized)
            if value is UNRESOLVED or op is None or operand is None:
                return UNRESOLVED
            value = combine(op, value, evaluate(operand))
        return value
