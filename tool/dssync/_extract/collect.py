"""Find every module-level binding of a constant, with libcst and the standard AST in lockstep.

libcst gives the concrete syntax: which statements bind what, and each value exactly as written.
The standard AST of the same text gives, cheaply, what libcst would need its slow metadata pass
for: line numbers, and the canonical form of each value. Both trees are walked by the same
rules (module body, module-level class bodies, and the blocks of module-level ``if`` and
``try``), so the n-th simple statement of one is the n-th of the other.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

import libcst as cst

from dssync.errors import DssyncError


@dataclass(frozen=True)
class Site:
    """One simple statement in a scope that can bind constants."""

    cst_node: cst.BaseSmallStatement
    ast_node: ast.stmt
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


def _cst_sites(body, conditional: bool, scope: str | None) -> Iterator[tuple[cst.BaseSmallStatement, bool, str | None]]:
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                yield small, conditional, scope
        elif isinstance(stmt, cst.BaseSmallStatement):
            yield stmt, conditional, scope
        elif isinstance(stmt, cst.ClassDef):
            if scope is None:
                yield from _cst_sites(stmt.body.body, conditional, stmt.name.value)
        elif isinstance(stmt, (cst.If, cst.Try, cst.TryStar)):
            for block in _cst_blocks(stmt):
                yield from _cst_sites(block.body, True, scope)


def _ast_blocks(node: ast.stmt) -> Iterator[list[ast.stmt]]:
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


_AST_TRY = tuple(t for t in (getattr(ast, "Try", None), getattr(ast, "TryStar", None)) if t)
_AST_SKIPPED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.For, ast.AsyncFor, ast.While,
                ast.With, ast.AsyncWith) + ((ast.Match,) if hasattr(ast, "Match") else ())


def _ast_sites(body: list[ast.stmt], conditional: bool, scope: str | None) -> Iterator[tuple[ast.stmt, bool, str | None]]:
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            if scope is None:
                yield from _ast_sites(stmt.body, conditional, stmt.name)
        elif isinstance(stmt, ast.If) or isinstance(stmt, _AST_TRY):
            # An ``elif`` is an If inside orelse: the recursion below marks it conditional too.
            for block in _ast_blocks(stmt):
                yield from _ast_sites(block, True, scope)
        elif isinstance(stmt, _AST_SKIPPED):
            continue
        else:
            yield stmt, conditional, scope


_CST_TO_AST_NAMES = {"Del": "Delete"}
"""Statement classes the two libraries name differently."""


def sites(module: cst.Module, body: list[ast.stmt], path: str) -> Iterator[Site]:
    """Pairs of the same statement in libcst's ``module`` and in the AST statements ``body``."""
    cst_iter = _cst_sites(module.body, False, None)
    ast_iter = _ast_sites(body, False, None)
    for (c_node, cond, scope), (a_node, _, a_scope) in zip(cst_iter, ast_iter):
        c_name = type(c_node).__name__
        if _CST_TO_AST_NAMES.get(c_name, c_name) != type(a_node).__name__ or scope != a_scope:
            raise DssyncError(
                f"internal error: syntax trees disagree at {type(c_node).__name__} vs "
                f"{type(a_node).__name__}",
                path=path,
                line=a_node.lineno,
                hint="please report this file to the dssync developers",
            )
        yield Site(c_node, a_node, cond, scope)


class BindingCollector:
    """Turns the assignment statements among the sites into raw bindings, in source order."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def collect(self, site_iter: Iterator[Site]) -> Iterator[RawBinding]:
        for site in site_iter:
            a, c = site.ast_node, site.cst_node
            if isinstance(a, ast.Assign) and isinstance(c, cst.Assign):
                for a_target, c_target in zip(a.targets, c.targets):
                    yield from self._target(site, a_target, c_target.target, a.value, c.value)
            elif isinstance(a, ast.AnnAssign) and isinstance(c, cst.AnnAssign):
                if a.value is not None and c.value is not None:
                    yield from self._target(site, a.target, c.target, a.value, c.value)
            elif isinstance(a, ast.Delete) and isinstance(c, cst.Del):
                for target in a.targets:
                    name = self._qualified(site, target)
                    if name is not None:
                        yield RawBinding(name, "delete", a.lineno, a.end_lineno or a.lineno, "",
                                         target, site.conditional)
            elif isinstance(a, ast.AugAssign) and isinstance(c, cst.AugAssign):
                name = self._qualified(site, a.target)
                if name is not None:
                    yield self._raw(site, name, "augment", a.value, c.value,
                                    op=self.code(c.operator).strip())

    @staticmethod
    def _qualified(site: Site, target: ast.expr) -> str | None:
        if isinstance(target, ast.Name):
            return f"{site.scope}.{target.id}" if site.scope else target.id
        return None

    def _raw(self, site: Site, name: str, kind: str, a_value: ast.expr, c_value: cst.BaseExpression,
             *, index: int | None = None, op: str = "") -> RawBinding:
        stmt = site.ast_node
        return RawBinding(
            name=name,
            kind=kind,
            line=stmt.lineno,
            end_line=stmt.end_lineno or stmt.lineno,
            source=self.code(c_value),
            value=a_value,
            conditional=site.conditional,
            index=index,
            op=op,
        )

    def _target(self, site: Site, a_target: ast.expr, c_target: cst.BaseExpression,
                a_value: ast.expr, c_value: cst.BaseExpression) -> Iterator[RawBinding]:
        name = self._qualified(site, a_target)
        if name is not None:
            yield self._raw(site, name, "bind", a_value, c_value)
            return
        if isinstance(a_target, (ast.Tuple, ast.List)) and isinstance(c_target, (cst.Tuple, cst.List)):
            yield from self._unpack(site, a_target, c_target, a_value, c_value)
            return
        base = a_target
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            base = base.value
        base_name = self._qualified(site, base) if isinstance(base, ast.Name) else None
        if base_name is not None:
            # ``X[k] = v`` or ``X.a = v`` modifies X; the part after the name says where.
            suffix = ast.unparse(a_target)[len(base.id):]  # type: ignore[attr-defined]
            yield self._raw(site, base_name, "item", a_value, c_value, op=f"{suffix} =")

    def _unpack(self, site: Site, a_target, c_target, a_value, c_value) -> Iterator[RawBinding]:
        a_elts, c_elts = a_target.elts, [e.value for e in c_target.elements]
        starred = any(isinstance(e, ast.Starred) for e in a_elts)
        literal = (
            isinstance(a_value, (ast.Tuple, ast.List))
            and isinstance(c_value, (cst.Tuple, cst.List))
            and len(a_value.elts) == len(a_elts)
            and not starred
            and not any(isinstance(e, ast.Starred) for e in a_value.elts)
        )
        if literal:
            for a_t, c_t, a_v, c_v in zip(a_elts, c_elts, a_value.elts, (e.value for e in c_value.elements)):
                yield from self._target(site, a_t, c_t, a_v, c_v)
            return
        count = len(a_elts)
        for i, (a_t, c_t) in enumerate(zip(a_elts, c_elts)):
            if isinstance(a_t, ast.Starred):
                # ``*REST`` takes a slice; the evaluator leaves slices unresolved.
                name = self._qualified(site, a_t.value)
                after = count - i - 1
                part = ast.Subscript(value=a_value, slice=ast.Slice(
                    lower=ast.Constant(i) if i else None,
                    upper=ast.Constant(-after) if after else None), ctx=ast.Load())
                if name is not None:
                    yield self._raw(site, name, "bind", part, c_value)
                continue
            name = self._qualified(site, a_t)
            if name is not None:
                star = next((j for j, e in enumerate(a_elts) if isinstance(e, ast.Starred)), count)
                index = i if i < star else i - count  # after a star, count from the end
                yield self._raw(site, name, "bind", a_value, c_value, index=index)
