"""Decide, from a FileDrift, exactly which nodes of the vendored module change and how.

The plan names statements by position (body, index) in the vendored module as parsed, and
value nodes by identity; the transformers that carry it out never decide anything themselves.
A drift the merge cannot carry out without guessing (a constant bound inside an ``if`` block, a
statement that also binds a constant that must stay) is listed in ``manual`` with the reason,
and left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Callable

from dssync._diff.placement import BEFORE, anchor, neighbours
from dssync.models import ConstantTable, FileDrift

if TYPE_CHECKING:  # a plan is made only once libcst has read the files (``merge.read_side``)
    import libcst as cst

    from dssync._rewrite.layout import Layout, Stmt


@dataclass(frozen=True)
class Selection:
    """``--only`` / ``--exclude``: glob patterns over (qualified) constant names."""

    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __call__(self, name: str) -> bool:
        if self.only and not any(fnmatchcase(name, p) for p in self.only):
            return False
        return not any(fnmatchcase(name, p) for p in self.exclude)


@dataclass(frozen=True)
class Insertion:
    """One upstream statement to add to the vendored file, and where."""

    body: int | None
    """The vendored body (``None``: module; else the class's module-level index)."""
    position: int
    """Insert before this statement index of that body."""
    node: cst.BaseStatement
    order: tuple[int, int]
    """Upstream's document order, to keep upstream's order among insertions at one place."""
    before: bool = False
    """Placed before the nearest following common statement (none precedes upstream): the
    blank lines and banner above that statement then go above the insertion."""


@dataclass
class MergePlan:
    """Every edit a merge makes to the vendored tree, by node identity, and the constants each
    kind of edit concerns (for the summary)."""

    values: dict[int, cst.BaseExpression] = field(default_factory=dict)
    """``id`` of a vendored value node -> the node that replaces it."""
    statements: dict[int, cst.BaseStatement] = field(default_factory=dict)
    """``id`` of a vendored statement -> upstream's, taken whole."""
    remove: dict[int | None, set[int]] = field(default_factory=dict)
    """Body -> indexes of statements to delete whole."""
    remove_smalls: dict[tuple[int | None, int], set[int]] = field(default_factory=dict)
    """(body, index) -> small statements to delete from a line that otherwise stays."""
    insertions: list[Insertion] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    manual: list[tuple[str, str]] = field(default_factory=list)
    """Drift left for a person, with the reason."""
    skipped: list[str] = field(default_factory=list)
    """Drift left out by ``--only`` / ``--exclude``."""
    kept: list[str] = field(default_factory=list)
    """Constants upstream removed that ``--keep-removed`` keeps."""
    local: list[str] = field(default_factory=list)
    """Local edits kept: changed here since the base, untouched upstream (three-way only)."""
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    """Changed here and upstream, differently: ours kept (three-way only), with the reason."""
    unresolved: list[tuple[str, str]] = field(default_factory=list)
    """Left out because the result would use a name nothing brings in, with the reason."""
    brought: list[str] = field(default_factory=list)
    """Bindings brought along from upstream so that every name resolves (``import os``)."""
    module: cst.Module | None = field(default=None, repr=False, compare=False)
    """The merged module, once the plan has been carried out and its names resolved."""

    @property
    def left(self) -> list[tuple[str, str]]:
        """Everything the update could not bring to upstream's value, with the reason."""
        return [*self.manual, *self.conflicts, *self.unresolved]

    @property
    def empty(self) -> bool:
        return not (self.values or self.statements or self.remove or self.remove_smalls
                    or self.insertions)


def _augments(table: ConstantTable, name: str) -> tuple[tuple[str, str], ...]:
    return tuple((a.op, a.normalized) for a in table[name].augments)


class _Planner:
    def __init__(self, base: Layout, base_table: ConstantTable, donor: Layout,
                 donor_table: ConstantTable, select: Callable[[str], bool]) -> None:
        self.base, self.bt = base, base_table
        self.donor, self.dt = donor, donor_table
        self.select = select
        self.plan = MergePlan()
        self.restated: set[str] = set()
        """Constants whose statements are taken whole from upstream (``_restate``)."""
        self._anchors: dict[tuple[int | None, int | None], tuple[list, list]] = {}

    # --- changed values -------------------------------------------------------------------

    def changes(self, drift: FileDrift) -> None:
        wanted = []
        for change in drift.changed:
            if change.kind != "value":
                continue  # only what it refers to changed; that change is applied on its own
            if self.select(change.name):
                wanted.append(change.name)
            else:
                self.plan.skipped.append(change.name)
        groups: dict[int, list[str]] = {}
        for name in wanted:
            groups.setdefault(id(self.base.slots[name].value), []).append(name)
        movable = set(wanted)
        for names in groups.values():
            if self.restated & set(names):
                continue  # already taken whole, with another constant's statements
            reason = self._change_blocker(names)
            if reason and not self._restate(names, movable):
                self.plan.manual += [(n, reason) for n in names]
                continue
            if not reason:
                slot = self.base.slots[names[0]]
                self.plan.values[id(slot.value)] = _fit(self.donor.slots[names[0]].value, slot.direct)
                self.plan.changed += names

    def _restate(self, names: list[str], movable: set[str]) -> bool:
        """Take the statements binding ``names`` whole from upstream, if nothing else they bind
        would change by it (``restate``)."""
        from dssync._rewrite.restate import restate

        got = restate(names, self.base, self.bt, self.donor, self.dt, movable.__contains__)
        if isinstance(got, str):
            return False
        self.restated |= got.names
        self.plan.statements.update(got.replace)
        for body, index in got.remove:
            self.plan.remove.setdefault(body, set()).add(index)
        for body, position, node, order in got.insert:
            self.plan.insertions.append(Insertion(body, position, node, order))
        self.plan.changed += sorted((got.names & movable) - set(self.plan.changed))
        return True

    def _change_blocker(self, names: list[str]) -> str | None:
        slot = self.base.slots[names[0]]
        others = [n for n in self.base.sharers(slot.value) if n not in names]
        if others:
            return f"its statement also binds {', '.join(others)}, which must stay"
        if len({self.dt[n].source for n in names}) > 1:
            return f"{', '.join(names)} share one value here but not upstream"
        for n in names:
            if self.bt[n].binding.index != self.dt[n].binding.index:
                return "it is unpacked differently upstream"
            if _augments(self.bt, n) != _augments(self.dt, n):
                return "it is modified after its assignment (+=, item or attribute) differently upstream"
        return None

    # --- removed constants ----------------------------------------------------------------

    def removals(self, drift: FileDrift, keep_removed: bool) -> set[str]:
        names: set[str] = set()
        for r in drift.removed:
            if keep_removed:
                self.plan.kept.append(r.name)
            elif self.select(r.name):
                names.add(r.name)
            else:
                self.plan.skipped.append(r.name)
        return self._settle(names, self._users_staying, self._removal_blocker)

    def _users_staying(self, chosen: set[str]) -> dict[str, list[str]]:
        """For each constant, the staying ones (not in ``chosen``) that will refer to it:
        worked out once a round, as asking it of every removal made n removals cost n * n."""
        users: dict[str, list[str]] = {}
        for name in self.bt.constants:
            if name not in chosen:
                for ref in self._final_refs(name):
                    users.setdefault(ref, []).append(name)
        return users

    def _settle(self, names: set[str], context: Callable[[set[str]], Any],
                blocker: Callable[[str, set[str], Any], str | None]) -> set[str]:
        """``names`` less those ``blocker`` refuses, asked again until it refuses no more:
        leaving one name out can block another that depended on it. The refused are left for
        a person (``plan.manual``). ``context(names)`` is what the blocker needs to know about
        the file as it would end up, worked out once a round."""
        blocked: dict[str, str] = {}
        while True:
            known = context(names)
            for name in sorted(names):
                reason = blocker(name, names, known)
                if reason:
                    blocked[name] = reason
            if not blocked.keys() & names:
                break
            names -= blocked.keys()
        self.plan.manual += sorted(blocked.items())
        return names

    def _removal_blocker(self, name: str, names: set[str],
                         users_staying: dict[str, list[str]]) -> str | None:
        for stmt, j in self.base.touches[name]:
            if stmt.nested and not _block(stmt.node):
                return "it is bound inside a one-line class"
            others = (stmt.smalls[j] if j is not None else stmt.names) - names
            if others:
                where = "if/try block" if j is None else "statement"
                return f"its {where} also binds {', '.join(sorted(others))}, which must stay"
        users = sorted(users_staying.get(name, ()))
        if users:
            return f"{', '.join(users)} still {'refers' if len(users) == 1 else 'refer'} to it"
        return None

    def _final_refs(self, name: str) -> tuple[str, ...]:
        # A constant whose change is applied will refer to what upstream's value refers to.
        if id(self.base.slots[name].value) in self.plan.values or name in self.restated:
            return self.dt[name].references
        return self.bt[name].references

    def apply_removals(self, names: set[str]) -> None:
        marked: dict[tuple[int | None, int], set[int]] = {}
        stmts: dict[tuple[int | None, int], Stmt] = {}
        for name in names:
            for stmt, j in self.base.touches[name]:
                stmts[(stmt.body, stmt.index)] = stmt
                if j is None:  # an if/try block that binds nothing else: it goes whole
                    marked[(stmt.body, stmt.index)] = set(range(len(stmt.smalls) or 1))
                else:
                    marked.setdefault((stmt.body, stmt.index), set()).add(j)
        for key, smalls in marked.items():
            if len(smalls) >= len(stmts[key].smalls):
                self.plan.remove.setdefault(key[0], set()).add(key[1])
            else:
                self.plan.remove_smalls[key] = smalls
        self.plan.removed = sorted(names, key=lambda n: self.bt[n].line)

    # --- added constants ------------------------------------------------------------------

    def additions(self, drift: FileDrift, removed: set[str]) -> None:
        names = set()
        held = _held_otherwise(self.base.module)
        for a in drift.added:
            if not self.select(a.name):
                self.plan.skipped.append(a.name)
            elif a.name in held:
                # pip's ``from pip._vendor import chardet`` against upstream's ``chardet = ...``:
                # the file's own binding is a local edit, and a second one would undo it.
                self.plan.manual.append((a.name, f"this file binds it with {held[a.name]}; "
                                                 "upstream assigns it (kept as it is here)"))
            else:
                names.add(a.name)
        names = self._settle(names, lambda chosen: (set(self.bt.constants) - removed) | chosen,
                             self._addition_blocker)
        units: dict[tuple[int | None, int], set[int] | None] = {}
        for name in names:
            for stmt, j in self.donor.touches[name]:
                if stmt.body is not None and self._class_name(stmt) not in self.base.classes:
                    units[(None, stmt.body)] = None  # the whole class is new
                elif j is None:
                    units[(stmt.body, stmt.index)] = None  # an if/try block, whole
                else:
                    units.setdefault((stmt.body, stmt.index), set()).add(j)  # type: ignore[union-attr]
        for (body, index), smalls in units.items():
            if body is not None and (None, body) in units:
                continue
            self._insert(body, index, smalls)
        self.plan.added = sorted(names, key=lambda n: self.dt[n].line)

    def _class_name(self, stmt: Stmt) -> str:
        return self.donor.bodies[None][stmt.body].class_name  # type: ignore[index,return-value]

    def _addition_blocker(self, name: str, names: set[str], final: set[str]) -> str | None:
        for stmt, j in self.donor.touches[name]:
            if stmt.nested and not _block(stmt.node):
                return "upstream binds it inside a one-line class"
            if stmt.body is not None and self._class_name(stmt) not in self.base.classes:
                others = self.donor.bodies[None][stmt.body].names - names
            else:
                others = (stmt.smalls[j] if j is not None else stmt.names) - names
            if others:
                return f"upstream's statement also binds {', '.join(sorted(others))}"
        missing = [r for r in self.dt[name].references if r not in final]
        if missing:
            return f"it refers to {', '.join(missing)}, which is not being added"
        return None

    def _insert(self, donor_body: int | None, index: int, smalls: set[int] | None) -> None:
        stmt = self.donor.bodies[donor_body][index]
        node = stmt.node
        if smalls is not None and len(smalls) < len(stmt.smalls):
            node = _only_smalls(node, sorted(smalls))  # type: ignore[arg-type]
        base_body = None if donor_body is None else self.base.classes[self._class_name(stmt)]
        position, before = self._anchor(donor_body, index, base_body)
        if base_body is not None and not before:
            position = _in_class(self.base.bodies[base_body], position, node)
        order = (index, -1) if donor_body is None else (donor_body, index)
        self.plan.insertions.append(Insertion(base_body, position, node, order, before))

    def _anchor(self, donor_body: int | None, index: int, base_body: int | None) -> tuple[int, bool]:
        """The one placement rule that reports show too (``dssync._diff.placement``)."""
        key = (donor_body, base_body)
        if key not in self._anchors:
            self._anchors[key] = neighbours([self._match(stmt, base_body)
                                             for stmt in self.donor.bodies[donor_body]])
        position, how = anchor(*self._anchors[key], index, len(self.base.bodies[base_body]))
        return position, how == BEFORE

    def _match(self, stmt: Stmt, base_body: int | None) -> list[int]:
        """Where, in the base body, the statements sharing something with ``stmt`` stand."""
        if base_body is None and stmt.class_name is not None:
            if stmt.class_name in self.base.classes:
                return [self.base.classes[stmt.class_name]]
            return []
        return [self.base.slots[n].stmt.index for n in stmt.names
                if n in self.bt and n in self.base.slots and self.base.slots[n].stmt.body == base_body]

    # --- classes left empty ---------------------------------------------------------------

    def empty_classes(self) -> None:
        """A class whose every statement goes, and that upstream no longer has, goes too."""
        receiving = {i.body for i in self.plan.insertions}
        for name, ci in self.base.classes.items():
            gone = self.plan.remove.get(ci, set())
            if (self.base.bodies[ci] and len(gone) == len(self.base.bodies[ci])
                    and ci not in receiving and name not in self.donor.classes):
                del self.plan.remove[ci]
                self.plan.remove.setdefault(None, set()).add(ci)


def _block(node: cst.BaseStatement) -> bool:
    """A compound statement the merge moves whole (``if``, ``try``, ``with``, ``for``...), as
    opposed to a class whose body shares its ``class`` line."""
    import libcst as cst

    return not isinstance(node, cst.ClassDef)


def _in_class(body: list[Stmt], position: int, node: cst.BaseStatement) -> int:
    """A field goes after its anchor's docstring, not between the two; an attribute placed at
    the end of a class goes with the other attributes, before the methods."""
    import libcst as cst

    from dssync._rewrite.docstrings import is_docstring

    if position == len(body) and not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        methods = [k for k, stmt in enumerate(body) if isinstance(stmt.node, cst.FunctionDef)]
        if methods:
            return methods[0]
    while position < len(body) and position > 0 and is_docstring(body[position].node):
        position += 1
    return position


def _fit(node: cst.BaseExpression, direct: bool) -> cst.BaseExpression:
    """Upstream's value, made valid where the vendored one stood."""
    import libcst as cst

    if not direct and isinstance(node, cst.Tuple) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def _only_smalls(line: cst.SimpleStatementLine, keep: list[int]) -> cst.SimpleStatementLine:
    import libcst as cst

    body = [line.body[j] for j in keep]
    body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    leading = line.leading_lines if keep[0] == 0 else ()
    return line.with_changes(body=body, leading_lines=leading)


def _held_otherwise(module: cst.Module) -> dict[str, str]:
    """Module-level names ``module`` binds with an import, a class or a function, and how."""
    import libcst as cst

    from dssync._rewrite.names import bound_by_import, import_of, only_small

    held: dict[str, str] = {}
    for stmt in module.body:
        if isinstance(stmt, (cst.ClassDef, cst.FunctionDef)):
            kind = "class" if isinstance(stmt, cst.ClassDef) else "def"
            held.setdefault(stmt.name.value, f"'{kind} {stmt.name.value}'")
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    for name in bound_by_import(small):
                        # Only the alias that binds it, on one line: a reason is one line.
                        line = import_of(only_small(stmt, small), name)
                        text = " ".join(cst.Module([]).code_for_node(line).split())
                        held.setdefault(name, f"'{text}'")
    return held


def plan_merge(base: Layout, base_table: ConstantTable, donor: Layout, donor_table: ConstantTable,
               drift: FileDrift, *, select: Callable[[str], bool] | None = None,
               keep_removed: bool = False) -> MergePlan:
    """How to bring ``base`` (the vendored module) to ``donor`` (upstream) for ``drift``, which
    must come from ``diff_tables(base_table, donor_table, renames=False)``: pinned names are
    already out of it."""
    planner = _Planner(base, base_table, donor, donor_table, select or Selection())
    planner.changes(drift)
    removed = planner.removals(drift, keep_removed)
    planner.apply_removals(removed)
    planner.additions(drift, removed)
    planner.empty_classes()
    return planner.plan
