"""The one walk of a module's libcst tree: every binding of a constant, with its nodes.

The scopes that can hold constants are the module body, module-level class bodies, and the
blocks of module-level ``if`` and ``try`` statements (bindings there are *conditional*).
Each binding carries libcst's nodes (the small statement, the value as written) and where
its statement stands in the module, so the table the diff reads and the rewrite that
``update`` makes come from the same bindings; each carries its line numbers, the value's
text exactly as written, and the comment that documents it.

Line numbers and the text of values come from one pass of libcst's code generator over the
module (``positions.record``).
"""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple, Sequence

import libcst as cst

from dssync._extract.comments import DocComments
from dssync._extract.evaluate import StarSlice
from dssync._extract.positions import Spans, record
from dssync._extract.unparse import normalize


class Site(NamedTuple):
    """One small statement in a scope that can bind constants.

    (The walk's records are named tuples: a dataclass costs six times as long to define, and
    these modules are imported by every cold run.)"""

    small: cst.BaseSmallStatement
    conditional: bool
    scope: str | None
    """The enclosing module-level class, if any."""
    top: int
    """The index of the statement holding it in the module's body."""
    member: int | None
    """The index of that statement in the class's indented body, for a class member."""
    part: int | None
    """Its index among the small statements of its line; None inside a compound statement
    (``if``/``try``, or a class whose body shares the ``class`` line)."""
    comment: str
    """The comment that documents it (see ``comments``)."""


class RawBinding(NamedTuple):
    """One statement's effect on one name, as the walk meets it: what the table is built from
    and, through ``site`` and ``written``, what the rewrite changes."""

    name: str
    kind: str
    """``bind`` (a new value), ``augment`` (``X += v``), ``item`` (``X[k] = v``, ``X.a = v``)
    or ``delete`` (``del X``)."""
    line: int
    end_line: int
    source: str
    value: Any
    """The expression to evaluate: libcst's node, or a ``StarSlice`` for ``*REST``."""
    conditional: bool
    site: Site
    written: cst.BaseExpression | None = None
    """The node of the value as written (for ``*REST`` and ``A, B = f()``: the whole
    right-hand side); what a rewrite replaces."""
    index: int | None = None  # type: ignore[assignment]  # shadows tuple.index, on purpose
    op: str = ""
    star: tuple[int | None, int | None] | None = None
    """For ``*REST``: the bounds of the slice it takes."""
    path: tuple[int, ...] = ()
    """Where the written value sits in the statement's right-hand side: element indexes
    through literal tuples and lists (``A, (B, C) = 1, (2, 3)`` puts C at ``(1, 1)``)."""

    @property
    def comment(self) -> str:
        return self.site.comment


def _blocks(node: cst.If | cst.Try | cst.TryStar) -> Iterator[cst.BaseSuite]:
    if type(node) is cst.If:
        yield node.body
        orelse = node.orelse
        if type(orelse) is cst.If:
            yield from _blocks(orelse)
        elif orelse is not None:
            yield orelse.body
    else:
        yield node.body
        for handler in node.handlers:  # type: ignore[union-attr]
            yield handler.body
        if node.orelse is not None:
            yield node.orelse.body
        if node.finalbody is not None:  # type: ignore[union-attr]
            yield node.finalbody.body  # type: ignore[union-attr]


def class_statements(module: cst.Module) -> Iterator[cst.ClassDef]:
    """The classes whose constants the walk reads: in the module body, or in the blocks of its
    ``if`` and ``try`` statements."""
    for stmt in module.body:
        yield from _classes_in(stmt)


def _classes_in(stmt: cst.CSTNode) -> Iterator[cst.ClassDef]:
    t = type(stmt)
    if t is cst.ClassDef:
        yield stmt  # type: ignore[misc]
    elif t is cst.If or t is cst.Try or t is cst.TryStar:
        for block in _blocks(stmt):  # type: ignore[arg-type]
            if type(block) is cst.IndentedBlock:
                for inner in block.body:
                    yield from _classes_in(inner)


class _Sites:
    """The small statements of a module that can bind constants, in source order."""

    def __init__(self, module: cst.Module, carried: str) -> None:
        self.module = module
        self.docs = DocComments(module, carried)
        self.found: list[Site] = []

    def walk(self) -> list[Site]:
        for top, stmt in enumerate(self.module.body):
            self._statement(stmt, self.module.body, top, None, None, False)
        return self.found

    def _statement(self, stmt: cst.CSTNode, body: Sequence[cst.CSTNode], top: int, member: int | None,
                   scope: str | None, conditional: bool, nested: bool = False) -> None:
        t = type(stmt)
        if t is cst.SimpleStatementLine:
            comment = self.docs.of(stmt, body)  # type: ignore[arg-type]
            for part, small in enumerate(stmt.body):  # type: ignore[attr-defined]
                self.found.append(Site(small, conditional, scope, top, member,
                                       None if nested else part, comment))
        elif t is cst.ClassDef:
            self.docs.interrupt(body)
            if scope is None:
                self._class(stmt, top, conditional, nested)  # type: ignore[arg-type]
        elif t is cst.If or t is cst.Try or t is cst.TryStar:
            self.docs.interrupt(body)
            # An ``elif`` is an If inside orelse: ``_blocks`` marks it conditional too.
            for block in _blocks(stmt):  # type: ignore[arg-type]
                self._suite(block, top, member, scope)
        else:
            self.docs.interrupt(body)

    def _class(self, node: cst.ClassDef, top: int, conditional: bool, nested: bool) -> None:
        scope = node.name.value
        suite = node.body
        if type(suite) is cst.IndentedBlock and not nested:
            for member, stmt in enumerate(suite.body):
                self._statement(stmt, suite.body, top, member, scope, conditional)
        else:
            self._suite(suite, top, None, scope, conditional)

    def _suite(self, suite: cst.BaseSuite, top: int, member: int | None, scope: str | None,
               conditional: bool = True) -> None:
        if type(suite) is cst.SimpleStatementSuite:
            comment = self.docs.trailing(suite.trailing_whitespace)
            for small in suite.body:
                self.found.append(Site(small, conditional, scope, top, member, None, comment))
            return
        for stmt in suite.body:
            self._statement(stmt, suite.body, top, member, scope, conditional, nested=True)


def _qualified(site: Site, target: cst.BaseExpression) -> str | None:
    if type(target) is cst.Name:
        return f"{site.scope}.{target.value}" if site.scope else target.value
    return None


class _Value(NamedTuple):
    node: cst.BaseExpression
    path: tuple[int, ...] = ()


class Walk:
    """The bindings of one module (or one piece of a long module, starting at ``first_line``)."""

    def __init__(self, module: cst.Module, first_line: int = 1, carried: str = "") -> None:
        self.module = module
        self.shift = first_line - 1
        sites = _Sites(module, carried)
        self.sites = sites.walk()
        self.pending = sites.docs.pending()
        """What the next piece's first statement inherits (a comment run crossing the cut)."""

    def bindings(self, *, where: bool = True) -> list[RawBinding]:
        """Every binding in source order; with ``where=False`` their lines (0) and source text
        ("") are left out, which saves writing the module out once: what a rewrite needs of a
        module whose table is already known."""
        specs = [spec for site in self.sites for spec in self._specs(site)]
        if not specs:
            return []
        spans = self._spans(specs) if where else None
        out = []
        for site, kind, value, name, extra in specs:
            line = end_line = 0
            if spans is not None:
                line = spans.line(site.small) + self.shift
                end_line = spans.end_line(_last_node(site.small)) + self.shift
            if kind == "delete":
                out.append(RawBinding(name, kind, line, end_line, "", None, site.conditional,
                                      site))
                continue
            assert value is not None
            source = spans.text(value.node) if spans is not None else ""
            evaluated: Any = value.node
            if extra.get("star") is not None:
                evaluated = StarSlice(value.node)
            out.append(RawBinding(name, kind, line, end_line, source, evaluated,
                                  site.conditional, site, value.node, extra.get("index"),
                                  extra.get("op", ""), extra.get("star"), value.path))
        return out

    def _spans(self, specs: list[tuple]) -> Spans:
        wanted: set[int] = set()
        for site, _, value, *_ in specs:
            wanted.add(id(site.small))
            wanted.add(id(_last_node(site.small)))
            if value is not None:
                wanted.add(id(value.node))
        return record(self.module, wanted)

    # -- what each statement binds ---------------------------------------------------------

    def _specs(self, site: Site) -> Iterator[tuple]:
        small = site.small
        t = type(small)
        if t is cst.Assign:
            value = _Value(small.value)  # type: ignore[attr-defined]
            for target in small.targets:  # type: ignore[attr-defined]
                yield from self._target(site, target.target, value)
        elif t is cst.AnnAssign:
            if small.value is not None:  # type: ignore[attr-defined]
                yield from self._target(site, small.target, _Value(small.value))  # type: ignore[attr-defined]
        elif t is cst.Del:
            target = small.target  # type: ignore[attr-defined]
            # ``del A, B`` names two targets; ``del (A, B)`` one, a tuple, that binds nothing.
            targets = ([e.value for e in target.elements]
                       if type(target) is cst.Tuple and not target.lpar else [target])
            for t_ in targets:
                name = _qualified(site, t_)
                if name is not None:
                    yield site, "delete", None, name, {}
        elif t is cst.AugAssign:
            name = _qualified(site, small.target)  # type: ignore[attr-defined]
            if name is not None:
                op = _AUGMENT_SYMBOLS[type(small.operator)]  # type: ignore[attr-defined]
                yield site, "augment", _Value(small.value), name, {"op": op}  # type: ignore[attr-defined]

    def _target(self, site: Site, target: cst.BaseExpression, value: _Value) -> Iterator[tuple]:
        name = _qualified(site, target)
        if name is not None:
            yield site, "bind", value, name, {}
            return
        if type(target) is cst.Tuple or type(target) is cst.List:
            yield from self._unpack(site, target, value)
            return
        base = target
        while type(base) is cst.Attribute or type(base) is cst.Subscript:
            base = base.value
        base_name = _qualified(site, base)
        if base_name is not None:
            # ``X[k] = v`` or ``X.a = v`` modifies X; the part after the name says where.
            suffix = normalize(target)[len(base.value):]  # type: ignore[attr-defined]
            yield site, "item", value, base_name, {"op": f"{suffix} ="}

    def _unpack(self, site: Site, target: cst.Tuple | cst.List, value: _Value) -> Iterator[tuple]:
        targets = list(target.elements)
        starred = any(type(e) is cst.StarredElement for e in targets)
        node = value.node
        if ((type(node) is cst.Tuple or type(node) is cst.List)
                and len(node.elements) == len(targets) and not starred
                and not any(type(e) is cst.StarredElement for e in node.elements)):
            for i, (t, element) in enumerate(zip(targets, node.elements)):
                yield from self._target(site, t.value, _Value(element.value, value.path + (i,)))
            return
        count = len(targets)
        star = next((j for j, e in enumerate(targets) if type(e) is cst.StarredElement), count)
        for i, t in enumerate(targets):
            if type(t) is cst.StarredElement:
                name = _qualified(site, t.value)
                after = count - i - 1
                if name is not None:
                    yield site, "bind", value, name, {"star": (i or None, -after if after else None)}
                continue
            name = _qualified(site, t.value)
            if name is not None:
                index = i if i < star else i - count  # after a star, count from the end
                yield site, "bind", value, name, {"index": index}


_AUGMENT_SYMBOLS = {
    cst.AddAssign: "+=", cst.SubtractAssign: "-=", cst.MultiplyAssign: "*=",
    cst.MatrixMultiplyAssign: "@=", cst.DivideAssign: "/=", cst.FloorDivideAssign: "//=",
    cst.ModuloAssign: "%=", cst.PowerAssign: "**=", cst.LeftShiftAssign: "<<=",
    cst.RightShiftAssign: ">>=", cst.BitOrAssign: "|=", cst.BitXorAssign: "^=",
    cst.BitAndAssign: "&=",
}


def _last_node(small: cst.BaseSmallStatement) -> cst.CSTNode:
    """The node a small statement ends with, before any semicolon: its end line is the
    statement's (a semicolon's white space may continue onto the next line)."""
    t = type(small)
    if t is cst.Assign or t is cst.AugAssign:
        return small.value  # type: ignore[attr-defined]
    if t is cst.AnnAssign:
        return small.value if small.value is not None else small.annotation  # type: ignore[attr-defined]
    if t is cst.Del:
        return small.target  # type: ignore[attr-defined]
    return small
