"""Do the vendored files still hold what the lock recorded? (``dssync status``)

A file whose sha256 differs from the lock's was edited since the last sync. To say how, constant
by constant, the upstream file the lock names is fetched again (the cache usually has it) and
compared with the file; when it cannot be had, only the hash difference is reported.
Exit status: 0 every file matches, 1 some differ, 2 trouble.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dssync.errors import ConfigError, DssyncError, file_in_the_way
from dssync.models import FileDrift

if TYPE_CHECKING:
    from dssync._api.project import Project
    from dssync.lock import LockEntry
    from dssync.targets import Target


@dataclass
class LocalState:
    """One vendored file against its lock entry."""

    vendored: str
    locked: object | None
    """The ``LockEntry``, or None when the file was never synced."""
    sha256: str | None
    """Of the file as it is now; None when it is missing."""
    edits: FileDrift | None = None
    """Upstream as locked (old) against the file now (new), pins apart; None if not known."""
    note: str | None = None
    """Why ``edits`` is unknown."""
    pins: dict[str, str] = field(default_factory=dict)
    kind: str = "constants"
    """``constants``, or ``license``: the upstream LICENSE copy, checked by its hash only."""
    upstream: str | None = None
    """The name of the configured upstream the file comes from."""
    configured: bool = True
    """False for a lock entry that nothing in the configuration claims any more."""

    @property
    def state(self) -> str:
        """``ok``, ``modified``, ``missing``, ``not-locked`` or ``not-configured``."""
        if not self.configured:
            return "not-configured"
        if self.locked is None:
            return "not-locked"
        if self.sha256 is None:
            return "missing"
        return "ok" if self.matches else "modified"

    @property
    def edited_pins(self) -> list:
        """Pinned constants whose value differs from upstream as locked (``Pinned``)."""
        return [p for p in self.edits.pinned if p.drifted] if self.edits is not None else []

    @property
    def matches(self) -> bool:
        return (self.configured and self.locked is not None
                and self.sha256 == self.locked.sha256)  # type: ignore[attr-defined]

    def edited_names(self) -> set[str]:
        return self.edits.names() if self.edits is not None else set()


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise DssyncError("is a directory, not a vendored file", path=path,
                          hint="remove the directory, or fix the path in the configuration"
                          ) from None
    except NotADirectoryError:
        raise DssyncError(f"cannot be a file: {file_in_the_way(path) or path.parent} is not a "
                          "directory", path=path,
                          hint="remove or rename that file, or fix the path in the "
                               "configuration") from None
    except OSError as exc:
        raise DssyncError(f"cannot read: {exc.strerror or exc}", path=path,
                          hint="check the file's permissions") from None


def locked_upstream(project: Project, entry: LockEntry) -> tuple[bytes | None, str | None]:
    """The upstream bytes the lock entry records, or None and the reason they are unavailable.
    The lock's own source is asked first, then the configured ones."""
    from dssync._source.chain import SourceChain

    specs = [entry.source]
    try:
        specs += [s for s in project.upstream.specs() if s != entry.source]
    except ConfigError:
        pass
    chain = SourceChain(specs, project.context())
    try:
        _, fetched = chain.fetch(entry.tag, [entry.upstream])
    except DssyncError as exc:  # unreachable, gone, not cached offline, misconfigured source
        return None, f"upstream {entry.upstream} at {entry.tag} is unavailable ({exc})"
    finally:
        chain.close()
    content = fetched[entry.upstream].content
    if hashlib.sha256(content).hexdigest() != entry.upstream_sha256:
        return None, (f"upstream {entry.upstream} at {entry.tag} no longer has the sha256 the lock"
                      " recorded")
    return content, None


def inspect(project: Project, target: Target, entry: LockEntry | None) -> LocalState:
    """How ``target`` (a ``Target``) stands against its lock ``entry``."""
    state = LocalState(target.vendored, entry, file_sha256(target.path), pins=dict(target.pins))
    if entry is None or state.sha256 is None or state.matches:
        return state
    content, why = locked_upstream(project, entry)
    if content is None:
        state.note = why
        return state
    from dssync._diff.engine import diff_tables
    from dssync._extract.files import read_bytes, table_from_bytes

    cache = project.cache
    try:
        mine = read_bytes(target.path)
        current = table_from_bytes(mine, str(target.path), cache)
    except DssyncError as exc:
        state.note = f"the file no longer parses ({exc})"
        return state
    old = table_from_bytes(content, f"{entry.upstream}@{entry.tag}", cache)
    state.edits = diff_tables(old, current, vendored=target.vendored, upstream=entry.upstream,
                              pins=target.pins, modules=(content, mine), place_added=False,
                              cache=cache)
    return state
