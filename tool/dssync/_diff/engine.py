"""Compare two constant tables by name and by meaning."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from dssync._diff.classes import find_class_renames
from dssync._diff.details import container_details, text_details
from dssync._diff.placement import placements
from dssync._diff.renames import find_renames
from dssync._diff.written import written_value
from dssync.models import (
    UNRESOLVED, Added, Changed, ConstantTable, FileDrift, Pinned, Removed,
)

if TYPE_CHECKING:
    from dssync.cache import Cache


def _values_differ(a: object, b: object) -> bool:
    if a is UNRESOLVED or b is UNRESOLVED:
        return False
    return not same_value(a, b)


def _typed(items: Iterable[object]) -> set[tuple[type, object]]:
    return {(type(x), x) for x in items}


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down: ``1 == 1.0 == True`` in Python, but a
    constant that went from ``True`` to ``1``, or from ``[True]`` to ``[1]``, did change."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return _typed(a) == _typed(b) and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, (set, frozenset)):
        return _typed(a) == _typed(b)
    if isinstance(a, float) and a != a:
        return b != b  # NaN is itself, as a constant
    return a == b


def compare_constant(old: ConstantTable, new: ConstantTable, name: str) -> Changed | None:
    o, n = old[name], new[name]
    ov, nv = old.value_of(name), new.value_of(name)
    if o is n and ov is nv:
        return None  # one object in both tables (the tables of a walk share them)
    if o.key != n.key:
        kind = "value"
    elif _values_differ(ov, nv):
        kind = "reference"
    else:
        return None
    details = container_details(ov, nv) or text_details(ov, nv)
    return Changed(name=name, kind=kind, old=o.key, new=n.key, old_line=o.line, new_line=n.line,
                   old_source=o.source, new_source=n.source, old_resolved=ov, new_resolved=nv,
                   details=details, old_written=written_value(o), new_written=written_value(n),
                   comment=n.comment or o.comment)


def diff_tables(old: ConstantTable, new: ConstantTable, *, vendored: str | None = None,
                upstream: str | None = None, pins: Mapping[str, str] | None = None,
                renames: bool = True, modules: tuple[bytes | None, bytes | None] | None = None,
                place_added: bool = True, cache: Cache | None = None) -> FileDrift:
    """``old`` is the vendored copy, ``new`` upstream; pinned names are reported, not drift.

    ``modules``, the two modules' bytes, lets a class renamed as a whole be found (their class
    statements are compared, and kept in ``cache``); without them, its constants stay removed
    and added.
    ``place_added`` works out where ``update`` would put each added constant (for reports;
    callers that only count or plan drift leave it off).
    """
    pins = pins or {}
    drift = FileDrift(vendored=vendored or old.path, upstream=upstream or new.path)
    for name, const in old.constants.items():
        if name in pins:
            continue
        if name not in new:
            drift.removed.append(Removed(name, const.key, const.line, const.source,
                                         written_value(const), const.comment))
        else:
            change = compare_constant(old, new, name)
            if change is not None:
                drift.changed.append(change)
    for name, const in new.constants.items():
        if name not in old and name not in pins:
            drift.added.append(Added(name, const.key, const.line, const.source,
                                     written_value(const), const.comment))
    if renames and drift.removed and drift.added and modules is not None:
        drift.renamed_classes = find_class_renames(old, new, drift.removed, drift.added, modules,
                                                   cache)
        _take_out(drift, {f"{c.old_name}.{m}" for c in drift.renamed_classes for m in c.constants},
                  {f"{c.new_name}.{m}" for c in drift.renamed_classes for m in c.constants})
    if renames and drift.removed and drift.added:
        drift.renamed = [replace(r, old_written=written_value(old[r.old_name]),
                                 new_written=written_value(new[r.new_name]))
                         for r in find_renames(old, new, drift.removed, drift.added)]
        _take_out(drift, {r.old_name for r in drift.renamed}, {r.new_name for r in drift.renamed})
    if place_added and drift.added:
        # After the renames: only what stays added is placed (a placement depends on the two
        # tables and the name alone, not on what else was added).
        where = placements(old, new, [a.name for a in drift.added])
        drift.added = [replace(a, placement=where.get(a.name)) for a in drift.added]
    drift.pinned = [_pinned(old, new, name, reason) for name, reason in pins.items()]
    drift.pinned.sort(key=lambda p: p.line)
    return drift


def _take_out(drift: FileDrift, gone: set[str], came: set[str]) -> None:
    """Removed ``gone`` and added ``came`` constants are reported as renamed instead."""
    drift.removed = [r for r in drift.removed if r.name not in gone]
    drift.added = [a for a in drift.added if a.name not in came]


def _pinned(old: ConstantTable, new: ConstantTable, name: str, reason: str) -> Pinned:
    local = old[name].key if name in old else None
    remote = new[name].key if name in new else None
    line = old[name].line if name in old else 0
    if name in old and name in new:
        drifted = compare_constant(old, new, name) is not None
    else:
        drifted = local != remote
    return Pinned(name=name, local=local, upstream=remote, line=line, reason=reason, drifted=drifted,
                  local_written=written_value(old[name]) if name in old else None,
                  upstream_written=written_value(new[name]) if name in new else None)
