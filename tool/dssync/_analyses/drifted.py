"""The constants whose update would touch consuming code, from a drift report, and their uses.

Only constants the vendored copy has can be used by consumers today: removed, changed, renamed
(under the old name) and moved ones. Added constants cannot be in use yet, and pinned ones stay
as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from dssync._analyses.consumers import Scan, Use
from dssync._analyses.modules import ModuleTarget, dotted_name
from dssync.models import DriftReport

REMOVED, CHANGED, RENAMED, MOVED = "removed", "changed", "renamed", "moved"


@dataclass(frozen=True)
class Drifted:
    """A constant whose drift can break the code that uses it."""

    vendored: str
    """The vendored file, as configured; also the key uses are filed under."""
    upstream: str
    name: str
    kind: str
    """``removed``, ``changed``, ``renamed`` or ``moved``."""
    old: str | None = None
    new: str | None = None
    """For ``changed``: the new value; ``renamed``: the new name; ``moved``: the new file."""


@dataclass
class Impact:
    """Drifted constants at one tag and the project's uses of each."""

    tag: str
    source: str
    drifted: list[Drifted]
    uses: dict[tuple[str, str], list[Use]]
    """(vendored file, constant name) -> uses, for drifted constants that have any."""
    scan: Scan
    notes: list[str] = field(default_factory=list)

    @property
    def used(self) -> list[Drifted]:
        return [d for d in self.drifted if (d.vendored, d.name) in self.uses]

    @property
    def use_count(self) -> int:
        return sum(len(u) for u in self.uses.values())


def drifted_constants(report: DriftReport) -> list[Drifted]:
    out: list[Drifted] = []
    for f in report.files:
        for r in f.removed:
            out.append(Drifted(f.vendored, f.upstream, r.name, REMOVED, r.value))
        for c in f.changed:
            out.append(Drifted(f.vendored, f.upstream, c.name, CHANGED, c.old, c.new))
        for n in f.renamed:
            out.append(Drifted(f.vendored, f.upstream, n.old_name, RENAMED, n.value, n.new_name))
        for k in f.renamed_classes:
            # Code uses the constants (TraceMode.RECORD), each now under the new class's name.
            out += [Drifted(f.vendored, f.upstream, f"{k.old_name}.{m}", RENAMED, None,
                            f"{k.new_name}.{m}") for m in k.constants]
    for m in report.moved:
        out.append(Drifted(m.from_vendored, m.from_upstream, m.name, MOVED, m.value,
                           m.to_upstream))
    return out


def module_targets(report: DriftReport) -> list[ModuleTarget]:
    """Each vendored file under its vendored and its upstream dotted names."""
    targets = []
    for f in report.files:
        names = tuple(dict.fromkeys(n for n in (dotted_name(f.vendored), dotted_name(f.upstream))
                                    if n))
        targets.append(ModuleTarget(key=f.vendored, names=names))
    return targets


def wanted_names(drifted: Sequence[Drifted]) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = {}
    for d in drifted:
        wanted.setdefault(d.vendored, set()).add(d.name)
    return wanted


def group_uses(uses: Sequence[Use]) -> dict[tuple[str, str], list[Use]]:
    grouped: dict[tuple[str, str], list[Use]] = {}
    for u in sorted(uses, key=lambda u: (u.path, u.line, u.column)):
        grouped.setdefault((u.target, u.name), []).append(u)
    return grouped
