"""Whole statements for changes a value node cannot carry: an unpacking, ``X += ...``, a
statement binding several constants that all change.

The statements that bind or modify the changed constants, here and upstream, are gathered with
every other constant they bind, until the set closes. If each other constant has the same
value on both sides or changes too, our statements are replaced by upstream's, pair by pair in
each body (ours keep their leading comments), extra ones of ours go and extra ones of upstream's
come after the last of ours. Anything else stays a constant-level blocker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dssync._diff.engine import compare_constant
from dssync.models import ConstantTable

if TYPE_CHECKING:
    import libcst as cst

    from dssync._rewrite.layout import Layout, Stmt


@dataclass
class Restatement:
    """Our statements that become upstream's, whole, so that a set of constants takes upstream's
    values together."""

    names: set[str]
    """The constants it brings to upstream's value."""
    replace: dict[int, cst.BaseStatement] = field(default_factory=dict)
    """``id`` of our statement -> upstream's."""
    remove: list[tuple[int | None, int]] = field(default_factory=list)
    insert: list[tuple[int | None, int, cst.BaseStatement, tuple[int, int]]] = field(default_factory=list)
    """(our body, position, upstream's statement, upstream's order)."""


def _code(node: cst.BaseStatement) -> str:
    import libcst as cst

    return cst.Module([]).code_for_node(node.with_changes(leading_lines=[]))


def _units(layout: Layout, names: set[str]) -> list[Stmt]:
    seen: dict[int, Stmt] = {}
    for name in names:
        for stmt, _ in layout.touches.get(name, ()):
            seen.setdefault(id(stmt), stmt)
    return sorted(seen.values(), key=lambda s: (-1 if s.body is None else s.body, s.index))


def _bound(stmt: Stmt) -> set[str]:
    return set(stmt.names)


def restate(names: list[str], base: Layout, bt: ConstantTable, donor: Layout,
            dt: ConstantTable, movable: Callable[[str], bool]) -> Restatement | str:
    """The restatement that takes ``names`` to upstream's, or why there is none. ``movable(n)``
    says whether constant ``n`` may change in the same go (it drifts and is selected)."""
    closure = set(names)
    while True:
        ours, theirs = _units(base, closure), _units(donor, closure)
        grown = closure.union(*map(_bound, ours), *map(_bound, theirs))
        if grown == closure:
            break
        closure = grown
    for n in sorted(closure - set(names)):
        if n not in bt or n not in dt:
            return f"its statements also bind {n}, which is added or removed upstream"
        change = compare_constant(bt, dt, n)
        if change is not None and change.kind == "value" and not movable(n):
            return f"its statements also bind {n}, which is left as it is"
    out = Restatement(closure)
    by_body: dict[str | None, tuple[list[Stmt], list[Stmt]]] = {}
    for stmt in ours:
        by_body.setdefault(_class_of(base, stmt), ([], []))[0].append(stmt)
    for stmt in theirs:
        by_body.setdefault(_class_of(donor, stmt), ([], []))[1].append(stmt)
    for cls, (mine, up) in by_body.items():
        if cls is not None and cls not in base.classes:
            return f"upstream binds it in class {cls}, which this file does not have"
        if not mine:
            return "upstream binds it where this file has nothing of it"
        body = None if cls is None else base.classes[cls]
        for a, b in zip(mine, up):
            if _code(a.node) != _code(b.node):
                out.replace[id(a.node)] = b.node.with_changes(
                    leading_lines=getattr(a.node, "leading_lines", ()))
        for a in mine[len(up):]:
            out.remove.append((body, a.index))
        for b in up[len(mine):]:
            order = (b.index, -1) if b.body is None else (b.body, b.index)
            out.insert.append((body, mine[-1].index + 1, b.node, order))
    return out


def _class_of(layout: Layout, stmt: Stmt) -> str | None:
    if stmt.body is None:
        return None
    return layout.bodies[None][stmt.body].class_name
