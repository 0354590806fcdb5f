"""Plain data passed between the pipeline's stages: sources -> extract -> diff -> report.

Nothing here parses, fetches or prints; the agents that build these live elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True, slots=True)
class Augment:
    """An augmented assignment (``X += ...``) that modifies an existing constant."""

    line: int
    op: str
    source: str
    normalized: str


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
class Added:
    name: str
    value: str
    line: int
    source: str
    comment: str = ""
    """The comment that documents the constant (upstream)."""


@dataclass(frozen=True)
class Removed:
    name: str
    value: str
    line: int
    source: str
    comment: str = ""
    """The comment that documents the constant (in the vendored file)."""


@dataclass(frozen=True)
class Changed:
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
    comment: str = ""
    """The comment that documents the constant: upstream's, or the vendored file's when
    upstream has none."""


@dataclass(frozen=True)
class Renamed:
    old_name: str
    new_name: str
    value: str
    old_line: int
    new_line: int
    similarity: float


@dataclass(frozen=True)
class Pinned:
    """A constant the project deliberately keeps different from upstream."""

    name: str
    local: str
    upstream: str | None
    line: int
    reason: str
    drifted: bool
    """False when the pinned value now equals upstream's and the pin could go."""


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

    @property
    def has_drift(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.renamed)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "renamed": len(self.renamed),
            "pinned": len(self.pinned),
        }


@dataclass
class DriftReport:
    """The result of one ``dssync diff`` run, over one or more file pairs."""

    files: list[FileDrift]
    tag: str | None = None
    notes: list[str] = field(default_factory=list)
    """Things the reader should know, e.g. that a source was skipped."""

    @property
    def has_drift(self) -> bool:
        return any(f.has_drift for f in self.files)

    def summary(self) -> dict[str, int]:
        total = {"files": len(self.files), "files_with_drift": 0}
        for f in self.files:
            total["files_with_drift"] += int(f.has_drift)
            for kind, n in f.counts().items():
                total[kind] = total.get(kind, 0) + n
        return total
