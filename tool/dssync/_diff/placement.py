"""Where an added constant goes in the vendored module: the one rule that ``dssync update``
follows when it inserts the constant and that every report shows.

An added statement goes after the nearest preceding statement that both files have, else
before the nearest following one, else at the end of its body (the module's, or its class's).
``neighbours`` and ``anchor`` state that rule over positions; the rewriter's planner applies it
to libcst statements, and ``placements`` here to the statements of two constant tables, so that
a report (which must not pay for libcst) names the line where ``update`` puts the constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from dssync.models import ConstantTable, Placement


def neighbours(shared: Sequence[Sequence[int]]) -> tuple[list[int | None], list[int | None]]:
    """For each statement of upstream's body, given as the positions in the vendored body of
    the statements it shares with it: the position of the nearest shared statement before it,
    and after it. One pass each way: looking back from every addition cost n * n."""
    before: list[int | None] = []
    last: int | None = None
    for hits in shared:
        before.append(last)
        last = max(hits) if hits else last
    after: list[int | None] = []
    last = None
    for hits in reversed(shared):
        after.append(last)
        last = min(hits) if hits else last
    after.reverse()
    return before, after


AFTER, BEFORE, END = "after", "before", "end"


def anchor(before: Sequence[int | None], after: Sequence[int | None], index: int,
           end: int) -> tuple[int, str]:
    """Where upstream's statement ``index`` goes: the position in the vendored body to insert
    before, and how it was found: ``after`` the preceding shared statement, ``before`` the
    following one (none precedes it), or at the ``end`` of the body (it shares none)."""
    found = before[index]
    if found is not None:
        return found + 1, AFTER
    found = after[index]
    if found is not None:
        return found, BEFORE
    return end, END


# -- the same rule over constant tables -----------------------------------------------------


@dataclass
class _Unit:
    """A statement as a table sees it: the constants whose winning binding it holds."""

    key: tuple[str | None, int]
    """(class or None, first line): a class counts as one statement of the module body."""
    line: int
    end_line: int
    names: list[str]


def _scope(name: str) -> str | None:
    return name.split(".", 1)[0] if "." in name else None


def _bodies(table: ConstantTable) -> dict[str | None, list[_Unit]]:
    """The module body (key None) and each class body, as statements in source order."""
    bodies: dict[str | None, dict[tuple[str | None, int], _Unit]] = {None: {}}

    def add(body: dict[tuple[str | None, int], _Unit], key: tuple[str | None, int], name: str,
            line: int, end_line: int) -> None:
        unit = body.get(key)
        if unit is None:
            body[key] = _Unit(key, line, end_line, [name])
            return
        unit.names.append(name)
        if line < unit.line:
            unit.line = line
        if end_line > unit.end_line:
            unit.end_line = end_line

    for name, const in table.constants.items():
        binding = const.binding
        scope = _scope(name)
        if scope not in bodies:
            bodies[scope] = {}
        add(bodies[scope], (scope, binding.line), name, binding.line, binding.end_line)
        if scope is not None:  # the class itself is one statement of the module body
            add(bodies[None], (scope, 0), name, binding.line, binding.end_line)
    return {scope: sorted(units.values(), key=lambda u: u.line) for scope, units in bodies.items()}


def placements(vendored: ConstantTable, upstream: ConstantTable,
               added: Iterable[str]) -> dict[str, Placement]:
    """For each added name, the vendored line that ``update`` inserts it by."""
    mine, theirs = _bodies(vendored), _bodies(upstream)
    out: dict[str, Placement] = {}
    # Worked out once per body, not per addition: n additions must not cost n * n.
    shared: dict[str | None, tuple[list[int | None], list[int | None]]] = {}
    where: dict[str | None, dict[str, int]] = {}
    for name in added:
        scope = _scope(name)
        # A member of a class the vendored copy lacks arrives with its whole class.
        body = scope if scope in mine else None
        units, base = theirs[body], mine.get(body, [])
        if body not in shared:
            position = {n: i for i, unit in enumerate(base) for n in _names(unit)}
            shared[body] = neighbours([[position[n] for n in _names(u) if n in position] for u in units])
            where[body] = {n: i for i, u in enumerate(units) for n in u.names}
        out[name] = _placement(base, *anchor(*shared[body], where[body][name], len(base)), upstream)
    return out


def _names(unit: _Unit) -> list[str]:
    """What a statement is matched by: its constants, or a class by its name (as the planner
    matches a class statement to the vendored class of that name)."""
    return [f"class {unit.key[0]}"] if unit.key[1] == 0 else unit.names


def _placement(base: list[_Unit], at: int, how: str, upstream: ConstantTable) -> Placement:
    if how == BEFORE:
        return Placement(base[at].line, BEFORE, _label(base[at], upstream, first=True))
    if not base:
        return Placement(1, END, None)
    unit = base[at - 1]
    return Placement(unit.end_line, how, _label(unit, upstream, first=False))


def _label(unit: _Unit, upstream: ConstantTable, *, first: bool) -> str:
    """The statement by the constant that stands nearest the insertion and stays (names are in
    source order: ``A = 1; B = 2`` is one statement, and update may take B out of it)."""
    if unit.key[1] == 0:
        return f"class {unit.key[0]}"
    names = [n for n in unit.names if n in upstream] or unit.names
    return names[0] if first else names[-1]
