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
The constant tables hold no method bodies, so the modules' own text is read again for the last
two checks (by libcst, a piece at a time, as extraction reads it), only when the tables already
show a candidate pair, and the answer is cached by the module's hash like its table.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Collection, Sequence

from dssync._diff.renames import scope_of
from dssync._extract.stack import deeply
from dssync.models import Added, ClassRenamed, ConstantTable, Removed

if TYPE_CHECKING:
    from dssync.cache import Cache


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


NAMESPACE = "class-shapes-1"
"""Where the cache keeps what a module's class statements are (bump on any change of shape)."""

Found = dict[str, list[tuple[int, str]]]
"""Class name -> (line of its ``class`` keyword, digest of its shape), one per statement."""


class ModuleClasses:
    """A module's class statements named in ``names``, by name, each with the line of its
    ``class`` keyword and the digest of its shape (``_extract.shape``); read from the module's
    bytes on first use, and kept in ``cache`` by the bytes' hash, so a warm run parses nothing.
    A module that does not parse has none (and so no class is ever found renamed in it)."""

    def __init__(self, data: bytes | None, names: Collection[str],
                 cache: Cache | None = None) -> None:
        self.data = data
        self.names = sorted(names)
        self.cache = cache
        self._classes: Found | None = None

    def get(self, name: str) -> list[tuple[int, str]]:
        if self._classes is None:
            self._classes = self._load() if self.data is not None else {}
        return self._classes.get(name, [])

    def _load(self) -> Found:
        assert self.data is not None
        asked = hashlib.sha256("\n".join(self.names).encode()).hexdigest()
        key = f"{hashlib.sha256(self.data).hexdigest()}:{asked}"
        if self.cache is not None:
            kept = self.cache.read_json(NAMESPACE, key)
            if isinstance(kept, dict) and _well_formed(kept):
                return {name: [(line, digest) for line, digest in items]
                        for name, items in kept.items()}
        found = _read_classes(self.data, self.names)
        if self.cache is not None:
            self.cache.write_json(NAMESPACE, key, found, durable=False)  # derived: a loss is a miss
        return found


def _well_formed(kept: Any) -> bool:
    return isinstance(kept, dict) and all(
        isinstance(items, list) and all(
            isinstance(item, list) and len(item) == 2 and type(item[0]) is int
            and isinstance(item[1], str) for item in items)
        for items in kept.values())


@deeply
def _read_classes(data: bytes, names: Collection[str]) -> Found:
    from dssync._extract.decode import decode_source
    from dssync._extract.extract import parsed_pieces
    from dssync._extract.positions import record
    from dssync._extract.shape import class_shape
    from dssync._extract.walk import class_statements
    from dssync.errors import DssyncError

    found: Found = {}
    try:
        for first, tree in parsed_pieces(decode_source(data, "<module>"), "<module>"):
            classes = [c for c in class_statements(tree) if c.name.value in names]
            if classes:
                spans = record(tree, {id(c.name) for c in classes})
                for c in classes:
                    # A shape is nested tuples of text, numbers and None: its repr is exact.
                    digest = hashlib.sha256(repr(class_shape(c)).encode()).hexdigest()
                    found.setdefault(c.name.value, []).append(
                        (spans.line(c.name) + first - 1, digest))
    except (DssyncError, RecursionError, MemoryError):
        return {}
    return found


def find_class_renames(old: ConstantTable, new: ConstantTable, removed: Sequence[Removed],
                       added: Sequence[Added], modules: tuple[bytes | None, bytes | None],
                       cache: Cache | None = None) -> list[ClassRenamed]:
    pairs = candidate_pairs(old, new, removed, added)
    if not pairs:
        return []
    names = {name for pair in pairs for name in pair}
    old_classes = ModuleClasses(modules[0], names, cache)
    new_classes = ModuleClasses(modules[1], names, cache)

    def shape(classes: ModuleClasses, name: str) -> str | None:
        found = classes.get(name)
        return found[0][1] if len(found) == 1 else None

    confirmed = []
    for gone, came in pairs:
        if old_classes.get(came) or new_classes.get(gone):
            continue  # the "new" class existed before, or the "old" one still does
        before, after = shape(old_classes, gone), shape(new_classes, came)
        if before is not None and before == after:
            confirmed.append((gone, came))
    olds = [g for g, _ in confirmed]
    news = [c for _, c in confirmed]
    renamed = []
    for gone, came in confirmed:
        if olds.count(gone) != 1 or news.count(came) != 1:
            continue  # two classes fit: which one it became is a guess
        members = [name[len(gone) + 1:] for name in old.constants if scope_of(name) == gone]
        renamed.append(ClassRenamed(gone, came, old_classes.get(gone)[0][0],
                                    new_classes.get(came)[0][0], tuple(members)))
    return renamed
