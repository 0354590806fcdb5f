"""Find every module-level binding of a constant in the standard AST of a module.

The scopes that can hold constants are the module body, module-level class bodies, and the
blocks of module-level ``if`` and ``try`` statements (bindings there are *conditional*). Each
value's text as written is cut from the source by the AST's positions (``slices``), so reading
a module needs nothing slower than ``ast.parse``; the rewriter pairs these same sites with
libcst's statements when it needs the concrete syntax.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from ast_oracle.slices import SourceSlicer


@dataclass(frozen=True)
class Site:
    """One simple statement in a scope that can bind constants."""

    node: ast.stmt
    conditional: bool
    scope: str | None
    """The enclosing module-level class, if any."""


@dataclass(frozen=True)
class RawBinding:
    name: str
    kind: str
    """``bind`` (a new value), ``augment`` (``X += v``), ``item`` (``X[k] = v``, ``X.a = v``)
    or ``delete`` (``del X``)."""
    line: int
    end_line: int
    source: str
    value: ast.expr
    conditional: bool
    index: int | None = None
    op: str = ""
    path: tuple[int, ...] = ()
    """Where the written value sits in the statement's right-hand side: element indexes
    through literal tuples and lists (``A, (B, C) = 1, (2, 3)`` puts C at ``(1, 1)``)."""


def _blocks(node: ast.stmt) -> Iterator[list[ast.stmt]]:
    if isinstance(node, ast.If):
        yield node.body
        if node.orelse:
            yield node.orelse
    else:
        yield node.body  # type: ignore[attr-defined]
        for handler in node.handlers:  # type: ignore[attr-defined]
            yield handler.body
        yield node.orelse  # type: ignore[attr-defined]
        yield node.finalbody  # type: ignore[attr-defined]


_TRY = tuple(t for t in (getattr(ast, "Try", None), getattr(ast, "TryStar", None)) if t)
_SKIPPED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.For, ast.AsyncFor, ast.While,
            ast.With, ast.AsyncWith) + ((ast.Match,) if hasattr(ast, "Match") else ())


def sites(body: list[ast.stmt], conditional: bool = False, scope: str | None = None) -> Iterator[Site]:
    """The simple statements of a module body that can bind constants, in source order."""
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            if scope is None:
                yield from sites(stmt.body, conditional, stmt.name)
        elif isinstance(stmt, (ast.If, *_TRY)):
            # An ``elif`` is an If inside orelse: the recursion below marks it conditional too.
            for block in _blocks(stmt):
                yield from sites(block, True, scope)
        elif isinstance(stmt, _SKIPPED):
            continue
        else:
            yield Site(stmt, conditional, scope)


_AUGMENT_OPS = {
    ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.MatMult: "@=", ast.Div: "/=",
    ast.FloorDiv: "//=", ast.Mod: "%=", ast.Pow: "**=", ast.LShift: "<<=", ast.RShift: ">>=",
    ast.BitOr: "|=", ast.BitXor: "^=", ast.BitAnd: "&=",
}


@dataclass(frozen=True)
class _Value:
    """A value node with the offsets of its neighbours, to cut its text by."""

    node: ast.expr
    left: int
    right: int
    path: tuple[int, ...] = ()


class BindingCollector:
    """Turns the assignment statements among the sites into raw bindings, in source order."""

    def __init__(self, slicer: SourceSlicer, first_line: int = 1) -> None:
        self.slicer = slicer
        self.shift = first_line - 1
        """The sites' line numbers count from the start of a piece of the module."""

    def collect(self, site_iter: Iterator[Site]) -> Iterator[RawBinding]:
        end = self.slicer.end
        for site in site_iter:
            a = site.node
            if isinstance(a, ast.Assign):
                value = _Value(a.value, end(a.targets[-1]), end(a))
                for target in a.targets:
                    yield from self._target(site, target, value)
            elif isinstance(a, ast.AnnAssign):
                if a.value is not None:
                    yield from self._target(site, a.target, _Value(a.value, end(a.annotation), end(a)))
            elif isinstance(a, ast.Delete):
                for target in a.targets:
                    name = self._qualified(site, target)
                    if name is not None:
                        yield RawBinding(name, "delete", a.lineno + self.shift,
                                         (a.end_lineno or a.lineno) + self.shift, "",
                                         target, site.conditional)
            elif isinstance(a, ast.AugAssign):
                name = self._qualified(site, a.target)
                if name is not None:
                    yield self._raw(site, name, "augment", _Value(a.value, end(a.target), end(a)),
                                    op=_AUGMENT_OPS[type(a.op)])

    @staticmethod
    def _qualified(site: Site, target: ast.expr) -> str | None:
        if isinstance(target, ast.Name):
            return f"{site.scope}.{target.id}" if site.scope else target.id
        return None

    def _raw(self, site: Site, name: str, kind: str, value: _Value, *,
             node: ast.expr | None = None, index: int | None = None, op: str = "") -> RawBinding:
        stmt = site.node
        return RawBinding(
            name=name,
            kind=kind,
            line=stmt.lineno + self.shift,
            end_line=(stmt.end_lineno or stmt.lineno) + self.shift,
            source=self.slicer.value_text(value.node, value.left, value.right),
            value=value.node if node is None else node,
            conditional=site.conditional,
            index=index,
            op=op,
            path=value.path,
        )

    def _target(self, site: Site, target: ast.expr, value: _Value) -> Iterator[RawBinding]:
        name = self._qualified(site, target)
        if name is not None:
            yield self._raw(site, name, "bind", value)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            yield from self._unpack(site, target, value)
            return
        base = target
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            base = base.value
        base_name = self._qualified(site, base) if isinstance(base, ast.Name) else None
        if base_name is not None:
            # ``X[k] = v`` or ``X.a = v`` modifies X; the part after the name says where.
            suffix = ast.unparse(target)[len(base.id):]  # type: ignore[attr-defined]
            yield self._raw(site, base_name, "item", value, op=f"{suffix} =")

    def _elements(self, value: _Value) -> list[_Value]:
        """The elements of a literal tuple or list value, each with its neighbours' offsets."""
        elts = value.node.elts  # type: ignore[attr-defined]
        start, end = self.slicer.start, self.slicer.end
        bounds = [start(value.node)] + [end(e) for e in elts]
        rights = [start(e) for e in elts[1:]] + [end(value.node)]
        return [_Value(e, bounds[i], rights[i], value.path + (i,)) for i, e in enumerate(elts)]

    def _unpack(self, site: Site, target: ast.Tuple | ast.List, value: _Value) -> Iterator[RawBinding]:
        targets = target.elts
        starred = any(isinstance(e, ast.Starred) for e in targets)
        node = value.node
        literal = (
            isinstance(node, (ast.Tuple, ast.List))
            and len(node.elts) == len(targets)
            and not starred
            and not any(isinstance(e, ast.Starred) for e in node.elts)
        )
        if literal:
            for t, element in zip(targets, self._elements(value)):
                yield from self._target(site, t, element)
            return
        count = len(targets)
        for i, t in enumerate(targets):
            if isinstance(t, ast.Starred):
                # ``*REST`` takes a slice; the evaluator leaves slices unresolved.
                name = self._qualified(site, t.value)
                after = count - i - 1
                part = ast.Subscript(value=node, slice=ast.Slice(
                    lower=ast.Constant(i) if i else None,
                    upper=ast.Constant(-after) if after else None), ctx=ast.Load())
                if name is not None:
                    yield self._raw(site, name, "bind", value, node=part)
                continue
            name = self._qualified(site, t)
            if name is not None:
                star = next((j for j, e in enumerate(targets) if isinstance(e, ast.Starred)), count)
                index = i if i < star else i - count  # after a star, count from the end
                yield self._raw(site, name, "bind", value, index=index)
