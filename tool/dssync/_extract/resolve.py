"""Follow references between constants of one module to the values they stand for."""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Mapping

import libcst as cst

from dssync._extract.evaluate import AUGMENTED, Evaluator, StarSlice, combine, dotted_name
from dssync._extract.literals import Field, fold, is_string
from dssync._extract.unparse import bool_operands, call_arguments, comprehensions, subscript_items
from dssync.models import UNRESOLVED, Constant


def mentions(node: cst.BaseExpression | StarSlice) -> tuple[str, ...]:
    """The (dotted) names an expression mentions, in order of first mention.

    The order is that of a breadth-first walk of Python's own tree of the expression (the
    order dssync has always given a constant's references): nodes Python's tree has and
    libcst's does not (a keyword argument, a starred item, an f-string's field) count as a
    level of their own.
    """
    found: dict[str, None] = {}
    queue: deque = deque([node.value if type(node) is StarSlice else node])
    while queue:
        item = queue.popleft()
        if type(item) is list:  # a node of Python's tree that libcst has no node for
            queue.extend(item)
            continue
        name = dotted_name(item)
        if name is not None:
            found[name] = None
        queue.extend(_children(item))
    return tuple(found)


def _children(node: cst.CSTNode) -> list:
    """The children of ``node`` in the order of Python's tree (a list stands for a node of
    that tree libcst does not have, holding its own children)."""
    t = type(node)
    if t is cst.Name or t is cst.Integer or t is cst.Float or t is cst.Imaginary:
        return []
    if t is cst.Attribute:
        return [node.value]  # type: ignore[attr-defined]
    if t is cst.BinaryOperation:
        return [node.left, node.right]  # type: ignore[attr-defined]
    if t is cst.UnaryOperation:
        return [node.expression]  # type: ignore[attr-defined]
    if t is cst.BooleanOperation:
        return bool_operands(node)  # type: ignore[arg-type]
    if t is cst.Comparison:
        return [node.left] + [c.comparator for c in node.comparisons]  # type: ignore[attr-defined]
    if t is cst.Tuple or t is cst.List or t is cst.Set:
        return [_element(e) for e in node.elements]  # type: ignore[attr-defined]
    if t is cst.Dict:
        elements = node.elements  # type: ignore[attr-defined]
        keys = [e.key for e in elements if type(e) is cst.DictElement]
        return keys + [e.value for e in elements]
    if t is cst.Call:
        positional, keywords = call_arguments(node)  # type: ignore[arg-type]
        return ([node.func] + [[a.value] if a.star == "*" else a.value for a in positional]  # type: ignore[attr-defined]
                + [[a.value] for a in keywords])
    if t is cst.Subscript:
        items, as_tuple = subscript_items(node)  # type: ignore[arg-type]
        inside = [_slice_item(i) for i in items]
        return [node.value, inside if as_tuple else inside[0]]  # type: ignore[attr-defined]
    if is_string(node):
        folded = fold(node)  # type: ignore[arg-type]
        return [_field(p) for p in folded.parts] if folded.kind == "joined" else []
    if t is cst.IfExp:
        return [node.test, node.body, node.orelse]  # type: ignore[attr-defined]
    if t is cst.Lambda:
        params = node.params  # type: ignore[attr-defined]
        defaults = [p.default for p in [*params.posonly_params, *params.params] if p.default]
        kw_defaults = [p.default for p in params.kwonly_params if p.default]
        return [kw_defaults + defaults, node.body]  # type: ignore[attr-defined]
    if t in (cst.ListComp, cst.SetComp, cst.GeneratorExp):
        return [node.elt] + _generators(node)  # type: ignore[attr-defined]
    if t is cst.DictComp:
        return [node.key, node.value] + _generators(node)  # type: ignore[attr-defined]
    if t is cst.NamedExpr:
        return [node.target, node.value]  # type: ignore[attr-defined]
    if t is cst.Await:
        return [node.expression]  # type: ignore[attr-defined]
    if t is cst.Yield:
        value = node.value  # type: ignore[attr-defined]
        if value is None:
            return []
        return [value.item] if type(value) is cst.From else [value]
    return []


def _element(e: cst.BaseElement) -> Any:
    return [e.value] if type(e) is cst.StarredElement else e.value


def _slice_item(item: cst.CSTNode) -> Any:
    t = type(item)
    if t is cst.Slice:
        return [b for b in (item.lower, item.upper, item.step) if b is not None]  # type: ignore[attr-defined]
    if t is cst.Index:
        return [item.value] if item.star is not None else item.value  # type: ignore[attr-defined]
    return _element(item)  # type: ignore[arg-type]


def _field(part: Any) -> list:
    if not isinstance(part, Field):
        return []
    spec = [[_field(p) for p in part.spec]] if part.spec is not None else []
    return [part.expression] + spec


def _generators(node: cst.CSTNode) -> list:
    return [[c.target, c.iter] + [i.test for i in c.ifs] for c in comprehensions(node)]


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


Expression = Any
"""A libcst expression node, or a ``StarSlice``."""


class Resolver:
    """Resolves every constant of a table, transitively, with protection against cycles.

    ``nodes`` holds the expression of every value that is not a literal (and of every
    augmented assignment's operand), by its normalized text.
    """

    def __init__(self, constants: Mapping[str, Constant], nodes: Mapping[str, Expression]) -> None:
        self.constants = constants
        self.nodes = nodes
        self.values: dict[str, Any] = {}
        self.active: set[str] = set()

    def _node(self, text: str) -> Expression | None:
        return self.nodes.get(text)

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

    def _lookup_for(self, scope: str | None) -> Callable[[str], Any]:
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
            op = aug.op[:-1]  # ``+=`` -> ``+``; an item or attribute assignment is no operator
            operand = self._node(aug.normalized)
            if value is UNRESOLVED or op not in AUGMENTED or operand is None:
                return UNRESOLVED
            value = combine(op, value, evaluate(operand))
        return value
