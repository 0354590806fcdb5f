"""Plain data passed between the pipeline's stages: sources -> extract -> diff -> report.

Nothing here parses, fetches or prints; the agents that build these live elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote


class _Unresolved:
    """Marker for a value that cannot be known without running code."""

    _instance: _Unresolved | None = None

    def __new__(cls) -> _Unresolved:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNRESOLVED"

    def __reduce__(self) -> str:
        return "UNRESOLVED"


UNRESOLVED: Any = _Unresolved()


@dataclass(frozen=True, slots=True)
class Binding:
    """One place in a module that binds a constant's name."""

    line: int
    end_line: int
    source: str
    """The value expression exactly as written."""
    normalized: str
    """The value with formatting, comments and quote style removed."""
    conditional: bool = False
    """True when the binding sits inside a module-level ``if`` or ``try`` block."""
    index: int | None = None
    """For ``A, B = expr`` with a non-literal ``expr``: the position this name takes."""
    literal: Any = field(default=UNRESOLVED, compare=False)
    """The Python value when the expression is a literal, else ``UNRESOLVED``."""
    comment: str = ""
    """The comment that documents the binding's statement: the comment lines directly above
    it or above the run of assignments it belongs to, then the one at the end of its line;
    one line of text each, without ``#`` (``""`` when there is none)."""
    written: str = field(default="", compare=False)
    """The value as written, for people (``0x10``; see ``_extract.written``); ``""`` where that
    is the normalized text, or not known. Derived from ``source``, so never compared."""


@dataclass(frozen=True, slots=True)
class Augment:
    """An augmented assignment (``X += ...``) that modifies an existing constant."""

    line: int
    op: str
    source: str
    normalized: str
    written: str = field(default="", compare=False)
    """As ``Binding.written``."""


@dataclass(frozen=True, slots=True)
class Constant:
    """A module-level (or module-level class-level) name bound to a value."""

    name: str
    """``NAME`` or ``Class.NAME``."""
    binding: Binding
    """The binding that wins: the last one in source order."""
    references: tuple[str, ...] = ()
    """Names of other constants, in this module, that the value mentions."""
    bindings: tuple[Binding, ...] = ()
    """Every binding of the name in source order (the winner is the last)."""
    augments: tuple[Augment, ...] = ()

    @property
    def line(self) -> int:
        return self.binding.line

    @property
    def end_line(self) -> int:
        return self.binding.end_line

    @property
    def source(self) -> str:
        return self.binding.source

    @property
    def normalized(self) -> str:
        return self.binding.normalized

    @property
    def conditional(self) -> bool:
        return self.binding.conditional

    @property
    def comment(self) -> str:
        return self.binding.comment

    @property
    def key(self) -> str:
        """What two constants must share to count as having the same source value."""
        text = self.binding.normalized
        if self.binding.index is not None:
            text = f"({text})[{self.binding.index}]"
        for aug in self.augments:
            text = f"{text} {aug.op} {aug.normalized}"
        return text


@dataclass
class ConstantTable:
    """Every constant of one module, keyed by name, in source order of the winning binding."""

    path: str
    constants: dict[str, Constant]
    sha256: str = ""
    resolved: dict[str, Any] = field(default_factory=dict)
    """Each constant's value with same-module references followed; ``UNRESOLVED`` if unknown."""

    def __contains__(self, name: str) -> bool:
        return name in self.constants

    def __getitem__(self, name: str) -> Constant:
        return self.constants[name]

    def __len__(self) -> int:
        return len(self.constants)

    def names(self) -> list[str]:
        return list(self.constants)

    def value_of(self, name: str) -> Any:
        return self.resolved.get(name, UNRESOLVED)


@dataclass(frozen=True)
class Origin:
    """Where a piece of upstream content came from, precisely enough to fetch it again."""

    source: str
    """The source spec that answered, e.g. ``github:microsoft/DeepSpeed`` or ``pypi:deepspeed``."""
    tag: str
    path: str
    sha256: str
    """sha256 of the file's bytes."""
    commit: str | None = None
    archive: str | None = None
    """The release archive's file name, for package-index sources."""
    archive_sha256: str | None = None

    def identity(self) -> str:
        """The immutable thing that was read: a commit or an archive hash."""
        if self.commit:
            return f"commit {self.commit}"
        if self.archive:
            return f"{self.archive} sha256:{self.archive_sha256}"
        return f"sha256:{self.sha256}"

    def to_dict(self) -> dict[str, Any]:
        data = {
            "source": self.source,
            "tag": self.tag,
            "path": self.path,
            "sha256": self.sha256,
            "commit": self.commit,
            "archive": self.archive,
            "archive_sha256": self.archive_sha256,
        }
        return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class Gone:
    """The upstream file does not exist at the tag compared with: every constant is removed."""

    tag: str
    sources: tuple[str, ...]
    """The sources asked that do not have it."""
    detail: str = ""
    """What the source that was asked last said (``pkg/x.py is not in pkg-2.0.tar.gz, ...``)."""
    unchecked: tuple[str, ...] = ()
    """Sources that could not be reached to confirm."""
    known_at: str | None = None
    """A release known to have the file: the one the lock says it was vendored from."""
    since: str | None = None
    """The first release without the file, when that is known (the release after ``known_at``
    is ``tag`` itself)."""
    not_yet: bool = False
    """True when the file came upstream only later: ``known_at`` is a later release than ``tag``."""


@dataclass(frozen=True)
class Placement:
    """Where ``dssync update`` puts an added constant, as a line of the vendored file."""

    line: int
    relation: str
    """``after`` (below ``neighbour``, the nearest preceding constant both files have),
    ``before`` (above ``neighbour``: no shared constant precedes it upstream) or ``end`` (at the
    end of the module or class, below ``neighbour`` when there is one)."""
    neighbour: str | None
    """The vendored constant (or ``class NAME``) it is placed by."""


@dataclass(frozen=True)
class Added:
    """A constant upstream has and the vendored file does not."""

    name: str
    value: str
    """The normalized value, what comparison uses (``16`` for ``0x10``)."""
    line: int
    """The line upstream."""
    source: str
    written: str = ""
    """The value as the source writes it, for people (``0x10``); empty when not known."""
    comment: str = ""
    """The comment that documents the constant (upstream)."""
    placement: Placement | None = None
    """Where ``update`` would put it in the vendored file (``diff_tables`` works it out)."""

    @property
    def shown(self) -> str:
        return self.written or self.value


@dataclass(frozen=True)
class Removed:
    """A constant the vendored file has and upstream no longer does."""

    name: str
    value: str
    """The normalized value, what comparison uses (``16`` for ``0x10``)."""
    line: int
    source: str
    written: str = ""
    """The value as the source writes it, for people (``0x10``); empty when not known."""
    comment: str = ""
    """The comment that documents the constant (in the vendored file)."""

    @property
    def shown(self) -> str:
        return self.written or self.value


@dataclass(frozen=True)
class Changed:
    """A constant both sides have, with another value (or, ``kind`` ``reference``, the same
    expression naming something that changed)."""

    name: str
    kind: str
    """``value``: the expression changed; ``reference``: it did not, but what it refers to did."""
    old: str
    new: str
    old_line: int
    new_line: int
    old_source: str = ""
    new_source: str = ""
    old_resolved: Any = UNRESOLVED
    new_resolved: Any = UNRESOLVED
    details: tuple[str, ...] | None = None
    """Path-level differences for container values, e.g. ``root['a'][0]: 2 -> 3``."""
    old_written: str = ""
    new_written: str = ""
    """Each side's value as its source writes it, for people; empty when not known."""
    comment: str = ""
    """The comment that documents the constant: upstream's, or the vendored file's when
    upstream has none."""

    @property
    def old_shown(self) -> str:
        return self.old_written or self.old

    @property
    def new_shown(self) -> str:
        return self.new_written or self.new


@dataclass(frozen=True)
class Renamed:
    """A removed and an added constant taken for one renamed: same value, similar name."""

    old_name: str
    new_name: str
    value: str
    old_line: int
    new_line: int
    similarity: float
    old_written: str = ""
    new_written: str = ""
    """The (same) value as each side writes it, for people; empty when not known."""

    @property
    def shown(self) -> str:
        """The value as the vendored copy writes it."""
        return self.old_written or self.value

    @property
    def upstream_shown(self) -> str:
        return self.new_written or self.value


@dataclass(frozen=True)
class ClassRenamed:
    """A module-level class upstream renamed as a whole: its statement is the same but for the
    name (read as the new name wherever the class names itself)."""

    old_name: str
    new_name: str
    old_line: int
    new_line: int
    constants: tuple[str, ...]
    """The names of its constants within the class (``RECORD``), in the vendored file's order;
    as ``Old.RECORD`` and ``New.RECORD`` they are neither removed nor added."""


@dataclass(frozen=True)
class Moved:
    """A constant upstream moved from one configured file to another, under the same name and
    with the same value: neither removed from the first nor added to the second. The same entry
    is listed in both files' sections (``direction`` tells which end a file is)."""

    name: str
    value: str
    """The normalized value, the same in both files."""
    from_vendored: str
    from_upstream: str
    """The file pair it left: the vendored file defines it, upstream's no longer does."""
    to_vendored: str
    to_upstream: str
    """The file pair it went to: upstream's defines it, the vendored file does not yet."""
    old_line: int
    """Its line in ``from_vendored``."""
    new_line: int
    """Its line in ``to_upstream``."""
    written: str = ""
    """The value as upstream writes it, for people; empty when not known."""
    comment: str = ""
    """The comment that documents it upstream, or in the vendored file when upstream has none."""
    placement: Placement | None = None
    """Where ``dssync update`` puts it in ``to_vendored``."""

    @property
    def shown(self) -> str:
        return self.written or self.value

    def direction(self, vendored: str) -> str:
        """``out`` in the section of the file it left, ``in`` in the one it went to."""
        return "out" if vendored == self.from_vendored else "in"


@dataclass(frozen=True)
class Pinned:
    """A constant the project deliberately keeps different from upstream."""

    name: str
    local: str | None
    upstream: str | None
    line: int
    reason: str
    drifted: bool
    """False when the pinned value now equals upstream's and the pin could go."""
    local_written: str | None = None
    upstream_written: str | None = None
    """Each side's value as its source writes it, for people; None when not known."""

    @property
    def local_shown(self) -> str | None:
        return self.local_written or self.local

    @property
    def upstream_shown(self) -> str | None:
        return self.upstream_written or self.upstream


def _ref(tag: str) -> str:
    # A tag may hold '/', '@' or '+': kept as written; what a URL cannot hold is escaped.
    return quote(tag, safe="/@+")


@dataclass(frozen=True)
class UpstreamWeb:
    """Upstream's repository on the web (GitHub or GitHub Enterprise), for reports to link."""

    url: str
    """e.g. ``https://github.com/microsoft/DeepSpeed``"""

    def tree(self, tag: str) -> str:
        return f"{self.url}/tree/{_ref(tag)}"

    def file(self, tag: str, path: str, line: int | None = None) -> str:
        return f"{self.url}/blob/{_ref(tag)}/{quote(path)}" + (f"#L{line}" if line else "")

    def compare(self, base: str, tag: str, path: str | None = None) -> str:
        """The compare view between two tags; with ``path``, opened at that file's diff (GitHub
        names a file's anchor by the sha256 of its path)."""
        url = f"{self.url}/compare/{_ref(base)}...{_ref(tag)}"
        if path:
            url += "#diff-" + hashlib.sha256(path.encode("utf-8")).hexdigest()
        return url


@dataclass
class FileDrift:
    """How one vendored file differs from its upstream counterpart."""

    vendored: str
    upstream: str
    added: list[Added] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    pinned: list[Pinned] = field(default_factory=list)
    origin: Origin | None = None
    """Where the upstream file was read, for a file read from an upstream source."""
    renamed_classes: list[ClassRenamed] = field(default_factory=list)
    gone: Gone | None = None
    """Set instead of ``origin`` when the file does not exist upstream at the tag."""
    locked_tag: str | None = None
    """The tag the lock file says the vendored file was last synced from."""
    moved: list[Moved] = field(default_factory=list)
    """Constants upstream moved out of this file or into it (see ``Moved``)."""
    appeared: bool = False
    """A file new upstream under a tree mapping, with no vendored copy yet: every constant in
    it is added (``dssync update`` writes it)."""

    @property
    def has_drift(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.renamed
                    or self.renamed_classes or self.moved or self.appeared)

    def names(self) -> set[str]:
        """Every constant name a finding touches, on either side (renames and renamed classes
        under both names, ``Class.NAME`` for each constant a renamed class carries)."""
        return ({a.name for a in self.added} | {r.name for r in self.removed}
                | {c.name for c in self.changed} | {m.name for m in self.moved}
                | {r.old_name for r in self.renamed} | {r.new_name for r in self.renamed}
                | {f"{name}.{m}" for c in self.renamed_classes for name in (c.old_name, c.new_name)
                   for m in c.constants})

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "renamed": len(self.renamed),
            "renamed_classes": len(self.renamed_classes),
            "pinned": len(self.pinned),
            "moved": len(self.moved),
        }


@dataclass
class DriftReport:
    """The result of one ``dssync diff`` run, over one or more file pairs."""

    files: list[FileDrift]
    tag: str | None = None
    notes: list[str] = field(default_factory=list)
    """Things the reader should know, e.g. that a source was skipped."""
    web: UpstreamWeb | None = None
    """Where upstream can be read on the web, when it has such pages."""
    upstream: str | None = None
    """The name of the configured upstream read (None without a configuration)."""
    groups: list[DriftReport] = field(default_factory=list)
    """With several upstreams: one report per upstream, in the configured order (``files``
    then holds all their files, ``tag`` the tag they share, if they do)."""

    @classmethod
    def grouped(cls, reports: list[DriftReport]) -> DriftReport:
        """One report of several upstreams' reports, grouped by upstream."""
        if len(reports) == 1:
            return reports[0]
        tags = {r.tag for r in reports}
        return cls(files=[f for r in reports for f in r.files],
                   tag=tags.pop() if len(tags) == 1 else None,
                   notes=[note if r.upstream is None else f"{r.upstream}: {note}"
                          for r in reports for note in r.notes],
                   groups=list(reports))

    @property
    def has_drift(self) -> bool:
        return any(f.has_drift for f in self.files)

    @property
    def moved(self) -> list[Moved]:
        """Every move once (each is listed in the sections of both its files), in file order."""
        return list(dict.fromkeys(m for f in self.files for m in f.moved))

    def summary(self) -> dict[str, int]:
        """Totals over the files; ``moved`` counts each move once, though two files list it."""
        total = {"files": len(self.files), "files_with_drift": 0}
        for f in self.files:
            total["files_with_drift"] += int(f.has_drift)
            for kind, n in f.counts().items():
                total[kind] = total.get(kind, 0) + n
        if self.files:
            total["moved"] = len(self.moved)
        return total
