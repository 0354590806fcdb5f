"""Classes renamed as a whole: ``class TraceMode(Enum)`` became ``class ZeRoTraceMode(Enum)``.

A constant lives in a scope, its module or one class, and a rename never crosses scopes. When
upstream renames a class, though, every constant in it would show as removed under the old name
and added under the new one; one finding says it better. A pair of classes counts as one class
renamed when all of these hold:
- the old class is in the vendored module only, the new one in upstream's only, each defined
  once (at module level, or in a module-level ``if``/``try`` block);
- every constant of the old class is removed and every constant of the new one added, with the
  same names and the same values on both sides;
- the two ``class`` statements are the same but for the name: bases, keywords, decorators and
  the whole body (methods too, comments and formatting aside), with the class's own name read
  as the new one wherever it names itself (``super(TraceMode, self)``);
- the pairing is unambiguous: no other class qualifies for either side.
The constant tables hold no method bodies, so the modules' own text is parsed for the last two
checks, and only when the tables already show a candidate pair.
"""

from __future__ import annotations

import ast
import warnings
from typing import Iterator, Sequence

from dssync._diff.renames import scope_of
from dssync.models import Added, ClassRenamed, ConstantTable, Removed

_SELF = "<the class itself>"
"""What a class's own name becomes when bodies are compared: no identifier can be this."""

_TRY = tuple(t for t in (getattr(ast, "Try", None), getattr(ast, "TryStar", None)) if t)


def _members(table: ConstantTable) -> dict[str, dict[str, str]]:
    """Each class scope's constants: member name -> the value's normalized source."""
    scopes: dict[str, dict[str, str]] = {}
    for name, const in table.constants.items():
        scope = scope_of(name)
        if scope:
            scopes.setdefault(scope, {})[name[len(scope) + 1:]] = const.key
    return scopes


def candidate_pairs(old: ConstantTable, new: ConstantTable, removed: Sequence[Removed],
                    added: Sequence[Added]) -> list[tuple[str, str]]:
    """``(old class, new class)`` pairs the constant tables allow: each class only on its side,
    all of its constants removed (or added), the same names with the same values."""
    gone_names = {r.name for r in removed}
    came_names = {a.name for a in added}
    old_scopes, new_scopes = _members(old), _members(new)
    came: dict[frozenset, list[str]] = {}
    for scope, members in new_scopes.items():
        if scope not in old_scopes and all(f"{scope}.{m}" in came_names for m in members):
            came.setdefault(frozenset(members.items()), []).append(scope)
    pairs = []
    for scope, members in old_scopes.items():
        if scope in new_scopes or not all(f"{scope}.{m}" in gone_names for m in members):
            continue
        pairs += [(scope, target) for target in came.get(frozenset(members.items()), ())]
    return pairs


def _blocks(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    if isinstance(stmt, ast.If):
        yield from (stmt.body, stmt.orelse)
    elif isinstance(stmt, _TRY):
        yield stmt.body  # type: ignore[attr-defined]
        for handler in stmt.handlers:  # type: ignore[attr-defined]
            yield handler.body
        yield from (stmt.orelse, stmt.finalbody)  # type: ignore[attr-defined]


def _class_statements(body: list[ast.stmt]) -> Iterator[ast.ClassDef]:
    """The classes whose constants the extractor reads: module level, or in ``if``/``try``."""
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            yield stmt
        for block in _blocks(stmt):
            yield from _class_statements(block)


class ModuleClasses:
    """A module's class statements by name, parsed from its bytes on first use; a module that
    does not parse has none (and so no class is ever found renamed in it)."""

    def __init__(self, data: bytes | None) -> None:
        self.data = data
        self._classes: dict[str, list[ast.ClassDef]] | None = None

    def get(self, name: str) -> list[ast.ClassDef]:
        if self._classes is None:
            self._classes = {}
            if self.data is not None:
                for node in _class_statements(_parse(self.data)):
                    self._classes.setdefault(node.name, []).append(node)
        return self._classes.get(name, [])


def _parse(data: bytes) -> list[ast.stmt]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # upstream's warnings are not ours to print
            return ast.parse(data).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []


class _OwnName(ast.NodeTransformer):
    """Reads a class's own name, inside its statement, as ``_SELF``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id == self.name:
            node.id = _SELF
        return node


def _shape(node: ast.ClassDef) -> str:
    """The class statement without its name: bases, keywords, decorators and body, with no
    positions, comments or formatting. The node is not needed again, so it is edited in place."""
    own = node.name
    node.name = _SELF
    _OwnName(own).visit(node)
    return ast.dump(node)


def find_class_renames(old: ConstantTable, new: ConstantTable, removed: Sequence[Removed],
                       added: Sequence[Added], modules: tuple[bytes | None, bytes | None]
                       ) -> list[ClassRenamed]:
    pairs = candidate_pairs(old, new, removed, added)
    if not pairs:
        return []
    old_classes, new_classes = ModuleClasses(modules[0]), ModuleClasses(modules[1])
    shapes: dict[tuple[int, str], str] = {}

    def shape(side: int, classes: ModuleClasses, name: str) -> str | None:
        found = classes.get(name)
        if len(found) != 1:
            return None
        if (side, name) not in shapes:
            shapes[(side, name)] = _shape(found[0])
        return shapes[(side, name)]

    confirmed = []
    for gone, came in pairs:
        if old_classes.get(came) or new_classes.get(gone):
            continue  # the "new" class existed before, or the "old" one still does
        before, after = shape(0, old_classes, gone), shape(1, new_classes, came)
        if before is not None and before == after:
            confirmed.append((gone, came))
    olds = [g for g, _ in confirmed]
    news = [c for _, c in confirmed]
    renamed = []
    for gone, came in confirmed:
        if olds.count(gone) != 1 or news.count(came) != 1:
            continue  # two classes fit: which one it became is a guess
        members = [name[len(gone) + 1:] for name in old.constants if scope_of(name) == gone]
        renamed.append(ClassRenamed(gone, came, old_classes.get(gone)[0].lineno,
                                    new_classes.get(came)[0].lineno, tuple(members)))
    return renamed
