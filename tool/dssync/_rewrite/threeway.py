"""Three-way: which side each drifting constant takes, given the release the vendored file came
from (the *base*, named by the lock).

Changed upstream only -> upstream's; changed here only -> ours, kept as a local edit; changed
on both sides differently -> a conflict: ours stays and it is listed, unless ``--theirs``
decides. The same holds for constants added or removed on either side. Without a base (two
local files) the vendored file is its own base: every difference is upstream's to take.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dssync._diff.engine import compare_constant
from dssync.models import ConstantTable, FileDrift


@dataclass
class Sides:
    """What the base says of the drift: the local edits kept, and the conflicts."""

    keep: dict[str, str] = field(default_factory=dict)
    """Constant -> why ours stays: a local edit upstream did not touch (as a pin)."""
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    """Constants changed on both sides, with what each side did."""


def _same(a: ConstantTable, b: ConstantTable, name: str) -> bool:
    change = compare_constant(a, b, name)
    return change is None or change.kind != "value"  # only what it refers to differs


def settle(base: ConstantTable, ours: ConstantTable, theirs: ConstantTable,
           drift: FileDrift) -> Sides:
    """Sort ``drift`` (ours against theirs, pins out) by the side that changed."""
    sides = Sides()

    def decide(name: str, ours_changed: bool, theirs_changed: bool, what: str) -> None:
        if not ours_changed:
            return  # upstream's change: taken
        if not theirs_changed:
            sides.keep[name] = "local edit"
        else:
            sides.conflicts.append((name, what))

    for change in drift.changed:
        if change.kind != "value":
            continue
        name = change.name
        if name not in base:
            decide(name, True, True, "added here and upstream with different values")
        else:
            decide(name, not _same(base, ours, name), not _same(base, theirs, name),
                   "changed here and upstream, differently")
    for added in drift.added:  # upstream has it, ours does not
        name = added.name
        if name in base:
            decide(name, True, not _same(base, theirs, name), "removed here, changed upstream")
    for removed in drift.removed:  # ours has it, upstream does not
        name = removed.name
        if name not in base:
            decide(name, True, False, "")
        else:
            decide(name, not _same(base, ours, name), True, "changed here, removed upstream")
    return sides
