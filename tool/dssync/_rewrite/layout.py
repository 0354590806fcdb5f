"""Where each constant lives in a libcst module: its statement, and the node of its value.

The merge works on statements of two kinds of body: the module's, and each module-level class's
(an indented block). A constant bound inside an ``if``/``try`` block or a one-line class body
belongs to the enclosing statement of such a body, marked ``nested``: its value can still be
replaced in place, but the statement cannot be moved or deleted without changing what the block
means.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import libcst as cst

from dssync._extract.collect import BindingCollector, RawBinding, Site, sites

@dataclass
class Stmt:
    """One statement directly in a module or class body."""

    body: int | None
    index: int
    node: cst.BaseStatement
    nested: bool = False
    """The constants here sit inside an ``if``/``try`` block or a one-line class body."""
    class_name: str | None = None
    """Set for a module-level class with an indented body."""
    names: set[str] = field(default_factory=set)
    """Every constant bound or modified anywhere in the statement (qualified names)."""
    smalls: list[set[str]] = field(default_factory=list)
    """For a simple statement line: the names each of its small statements binds or modifies."""


@dataclass(frozen=True)
class Slot:
    """The winning binding of a constant: the value node a change replaces."""

    name: str
    value: cst.BaseExpression
    stmt: Stmt
    direct: bool
    """The node is the whole right-hand side (not one element of a literal unpacking)."""


@dataclass
class Layout:
    module: cst.Module
    bodies: dict[int | None, list[Stmt]]
    slots: dict[str, Slot]
    touches: dict[str, list[tuple[Stmt, int | None]]]
    """Every statement (and small-statement index) that binds or modifies a constant."""
    classes: dict[str, int]
    """Module-level classes with an indented body: name -> index in the module body."""
    raws: list[RawBinding] = field(default_factory=list)
    """The extractor's raw bindings, in source order, to build the constant table from."""

    def sharers(self, node: cst.CSTNode) -> list[str]:
        """Constants whose winning value is this very node (``A = B = v``, ``A, B = f()``)."""
        return [s.name for s in self.slots.values() if s.value is node]


class _SlotCollector(BindingCollector):
    """The extractor's own walk, remembering which libcst nodes each binding came from."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__(module)
        self.found: list[tuple[RawBinding, Site, cst.BaseExpression]] = []

    def _raw(self, site, name, kind, a_value, c_value, *, index=None, op=""):  # type: ignore[override]
        raw = super()._raw(site, name, kind, a_value, c_value, index=index, op=op)
        self.found.append((raw, site, c_value))
        return raw


def _small_statements(node: cst.CSTNode):
    if isinstance(node, cst.BaseSmallStatement):
        yield node
        return
    if isinstance(node, (cst.FunctionDef, cst.BaseExpression)):
        return
    for child in node.children:
        yield from _small_statements(child)


def build_layout(module: cst.Module, tree: ast.Module, path: str) -> Layout:
    bodies: dict[int | None, list[Stmt]] = {None: []}
    where: dict[int, tuple[Stmt, int | None]] = {}
    classes: dict[str, int] = {}

    def register(stmt: Stmt) -> None:
        if isinstance(stmt.node, cst.SimpleStatementLine):
            stmt.smalls = [set() for _ in stmt.node.body]
            for j, small in enumerate(stmt.node.body):
                where[id(small)] = (stmt, j)
        else:
            for small in _small_statements(stmt.node):
                where[id(small)] = (stmt, None)

    for i, node in enumerate(module.body):
        is_class = isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock)
        stmt = Stmt(None, i, node, nested=not isinstance(node, cst.SimpleStatementLine) and not is_class,
                    class_name=node.name.value if is_class else None)
        bodies[None].append(stmt)
        register(stmt)
        if is_class:
            classes.setdefault(node.name.value, i)
            bodies[i] = []
            for k, inner in enumerate(node.body.body):
                member = Stmt(i, k, inner, nested=not isinstance(inner, cst.SimpleStatementLine))
                bodies[i].append(member)
                register(member)

    collector = _SlotCollector(module)
    raws = list(collector.collect(sites(module, tree.body, path)))
    slots: dict[str, Slot] = {}
    touches: dict[str, list[tuple[Stmt, int | None]]] = {}
    for raw, site, c_value in collector.found:
        stmt, j = where[id(site.cst_node)]
        touches.setdefault(raw.name, []).append((stmt, j))
        for owner in _owners(stmt, bodies):
            owner.names.add(raw.name)
        if j is not None:
            stmt.smalls[j].add(raw.name)
        if raw.kind == "bind":
            direct = getattr(site.cst_node, "value", None) is c_value
            slots[raw.name] = Slot(raw.name, c_value, stmt, direct)
    return Layout(module, bodies, slots, touches, classes, raws)


def _owners(stmt: Stmt, bodies: dict[int | None, list[Stmt]]) -> list[Stmt]:
    """The statement itself and, for a class member, the class statement holding it."""
    if stmt.body is None:
        return [stmt]
    return [stmt, bodies[None][stmt.body]]
