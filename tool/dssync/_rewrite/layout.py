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
from typing import Iterator

import libcst as cst

from dssync._extract.collect import BindingCollector, RawBinding, Site, sites
from dssync._extract.slices import SourceSlicer
from dssync.errors import DssyncError

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
    _by_value: dict[int, list[str]] | None = field(default=None, repr=False, compare=False)

    def sharers(self, node: cst.CSTNode) -> list[str]:
        """Constants whose winning value is this very node (``A = B = v``, ``A, B = f()``)."""
        if self._by_value is None:  # indexed once: asked for each change, a scan cost n * n
            self._by_value = {}
            for slot in self.slots.values():
                self._by_value.setdefault(id(slot.value), []).append(slot.name)
        return list(self._by_value.get(id(node), ()))


def _cst_blocks(node: cst.CSTNode) -> Iterator[cst.BaseSuite]:
    if isinstance(node, cst.If):
        yield node.body
        if isinstance(node.orelse, cst.If):
            yield from _cst_blocks(node.orelse)
        elif node.orelse is not None:
            yield node.orelse.body
    elif isinstance(node, (cst.Try, cst.TryStar)):
        yield node.body
        for handler in node.handlers:
            yield handler.body
        if node.orelse is not None:
            yield node.orelse.body
        if node.finalbody is not None:
            yield node.finalbody.body


def _cst_sites(body, scope: str | None = None) -> Iterator[tuple[cst.BaseSmallStatement, str | None]]:
    """libcst's twin of ``collect.sites``: the same statements, walked by the same rules."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                yield small, scope
        elif isinstance(stmt, cst.BaseSmallStatement):
            yield stmt, scope
        elif isinstance(stmt, cst.ClassDef):
            if scope is None:
                yield from _cst_sites(stmt.body.body, stmt.name.value)
        elif isinstance(stmt, (cst.If, cst.Try, cst.TryStar)):
            for block in _cst_blocks(stmt):
                yield from _cst_sites(block.body, scope)


_CST_TO_AST_NAMES = {"Del": "Delete"}
"""Statement classes the two libraries name differently."""


def _paired_sites(module: cst.Module, tree: ast.Module, path: str) -> Iterator[tuple[Site, cst.BaseSmallStatement]]:
    """Each site of the AST with the same statement in libcst's ``module``."""
    for (c_node, scope), site in zip(_cst_sites(module.body), sites(tree.body)):
        c_name = type(c_node).__name__
        if _CST_TO_AST_NAMES.get(c_name, c_name) != type(site.node).__name__ or scope != site.scope:
            raise DssyncError(
                f"internal error: syntax trees disagree at {c_name} vs {type(site.node).__name__}",
                path=path,
                line=site.node.lineno,
                hint="please report this file to the dssync developers",
            )
        yield site, c_node


def _written_value(small: cst.BaseSmallStatement, path: tuple[int, ...]) -> cst.BaseExpression:
    """The libcst node of a value the collector found at ``path`` in ``small``'s right side."""
    node = small.value  # type: ignore[attr-defined]
    for i in path:
        node = node.elements[i].value
    return node


class _SlotCollector(BindingCollector):
    """The extractor's own walk, remembering the site each binding came from."""

    def __init__(self, slicer: SourceSlicer) -> None:
        super().__init__(slicer)
        self.found: list[tuple[RawBinding, Site]] = []

    def _raw(self, site, name, kind, value, **kwargs):  # type: ignore[override]
        raw = super()._raw(site, name, kind, value, **kwargs)
        self.found.append((raw, site))
        return raw


def _small_statements(node: cst.CSTNode):
    if isinstance(node, cst.BaseSmallStatement):
        yield node
        return
    if isinstance(node, (cst.FunctionDef, cst.BaseExpression)):
        return
    for child in node.children:
        yield from _small_statements(child)


def build_layout(module: cst.Module, tree: ast.Module, text: str, path: str) -> Layout:
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

    paired = list(_paired_sites(module, tree, path))
    cst_of = {id(site.node): small for site, small in paired}
    collector = _SlotCollector(SourceSlicer(text))
    raws = list(collector.collect(site for site, _ in paired))
    slots: dict[str, Slot] = {}
    touches: dict[str, list[tuple[Stmt, int | None]]] = {}
    for raw, site in collector.found:
        small = cst_of[id(site.node)]
        stmt, j = where[id(small)]
        touches.setdefault(raw.name, []).append((stmt, j))
        for owner in _owners(stmt, bodies):
            owner.names.add(raw.name)
        if j is not None:
            stmt.smalls[j].add(raw.name)
        if raw.kind == "bind":
            slots[raw.name] = Slot(raw.name, _written_value(small, raw.path), stmt, not raw.path)
    return Layout(module, bodies, slots, touches, classes, raws)


def _owners(stmt: Stmt, bodies: dict[int | None, list[Stmt]]) -> list[Stmt]:
    """The statement itself and, for a class member, the class statement holding it."""
    if stmt.body is None:
        return [stmt]
    return [stmt, bodies[None][stmt.body]]
