"""Where each constant lives in a libcst module: its statement, and the node of its value.

The merge works on statements of two kinds of body: the module's, and each module-level class's
(an indented block). A constant bound inside an ``if``/``try`` block or a one-line class body
belongs to the enclosing statement of such a body, marked ``nested``: its value can still be
replaced in place, but the statement cannot be moved or deleted without changing what the block
means.

The layout is built from the extractor's own walk (``_extract.walk``): each binding already
carries its value's node and where its statement stands, so the table the diff reads and the
nodes the rewrite changes are the same bindings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst

from dssync._extract.walk import RawBinding

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
    """One parsed module as the merge sees it: its bodies of statements, and for each constant
    the statement that binds it and the node of its value."""

    module: cst.Module
    bodies: dict[int | None, list[Stmt]]
    slots: dict[str, Slot]
    touches: dict[str, list[tuple[Stmt, int | None]]]
    """Every statement (and small-statement index) that binds or modifies a constant."""
    classes: dict[str, int]
    """Module-level classes with an indented body: name -> index in the module body."""
    raws: list[RawBinding] = field(default_factory=list)
    """The walk's bindings, in source order, to build the constant table from."""
    _by_value: dict[int, list[str]] | None = field(default=None, repr=False, compare=False)

    def sharers(self, node: cst.CSTNode) -> list[str]:
        """Constants whose winning value is this very node (``A = B = v``, ``A, B = f()``)."""
        if self._by_value is None:  # indexed once: asked for each change, a scan cost n * n
            self._by_value = {}
            for slot in self.slots.values():
                self._by_value.setdefault(id(slot.value), []).append(slot.name)
        return list(self._by_value.get(id(node), ()))


def build_layout(module: cst.Module, raws: Sequence[RawBinding]) -> Layout:
    """The layout of ``module``, whose bindings (from ``walk.Walk(module)``) are ``raws``."""
    bodies: dict[int | None, list[Stmt]] = {None: []}
    classes: dict[str, int] = {}
    for i, node in enumerate(module.body):
        is_class = isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock)
        stmt = Stmt(None, i, node, nested=not isinstance(node, cst.SimpleStatementLine) and not is_class,
                    class_name=node.name.value if is_class else None)  # type: ignore[union-attr]
        bodies[None].append(stmt)
        if isinstance(node, cst.SimpleStatementLine):
            stmt.smalls = [set() for _ in node.body]
        if is_class:
            classes.setdefault(node.name.value, i)  # type: ignore[union-attr]
            bodies[i] = []
            for k, inner in enumerate(node.body.body):  # type: ignore[union-attr]
                member = Stmt(i, k, inner, nested=not isinstance(inner, cst.SimpleStatementLine))
                if isinstance(inner, cst.SimpleStatementLine):
                    member.smalls = [set() for _ in inner.body]
                bodies[i].append(member)

    slots: dict[str, Slot] = {}
    touches: dict[str, list[tuple[Stmt, int | None]]] = {}
    for raw in raws:
        site = raw.site
        stmt = bodies[None][site.top] if site.member is None else bodies[site.top][site.member]
        touches.setdefault(raw.name, []).append((stmt, site.part))
        for owner in _owners(stmt, bodies):
            owner.names.add(raw.name)
        if site.part is not None:
            stmt.smalls[site.part].add(raw.name)
        if raw.kind == "bind":
            assert raw.written is not None
            slots[raw.name] = Slot(raw.name, raw.written, stmt, not raw.path)
    return Layout(module, bodies, slots, touches, classes, list(raws))


def _owners(stmt: Stmt, bodies: dict[int | None, list[Stmt]]) -> list[Stmt]:
    """The statement itself and, for a class member, the class statement holding it."""
    if stmt.body is None:
        return [stmt]
    return [stmt, bodies[None][stmt.body]]
