"""Writing upstream's files verbatim and recording them in the lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from dssync.errors import DssyncError

if TYPE_CHECKING:
    from dssync._api.project import Project
    from dssync._source.interface import Fetched
    from dssync.config import Config
    from dssync.lock import Lock


@dataclass(frozen=True)
class VendorOptions:
    """The tag ``vendor`` copies from, and which files."""

    tag: str
    files: Sequence[str] = ()
    """Vendored files to (re)write (default: all, and the LICENSE copy)."""
    force: bool = False
    """Overwrite files with local edits."""


@dataclass(frozen=True)
class Vendored:
    """One file ``vendor`` wrote."""

    vendored: str
    size: int
    source: str
    identity: str
    """The archive or commit it came from."""
    tag: str = ""
    upstream: str = ""
    """The name of the configured upstream."""


@dataclass
class VendorResult:
    """What ``vendor`` wrote, and whether the lock changed."""

    tag: str
    written: list[Vendored]
    lock: str
    """The lock file, as configured."""
    lock_changed: bool


def vendor(project: Project, options: VendorOptions) -> VendorResult:
    """Write the chosen files verbatim from upstream at ``options.tag`` and record them in the
    lock: every file first, the lock last, and nothing unless each of them can be written
    (with several upstreams: every upstream's files fetched before any is written)."""
    import hashlib

    from dssync.atomic import check_writable, write_atomic
    from dssync.lock import LockEntry, lock_changes, make_parent, write_lock

    config = project.require_config(message="vendor needs a [tool.dssync] configuration",
                                    hint="add [[tool.dssync.files]] entries to pyproject.toml")
    project.check_tag(options.tag, "vendor")
    lock_path = config.resolve(config.lock)
    lock = project.lock()
    planned = [(sub, *_vendor_fetch(sub, files, options, lock))
               for sub, files in project.split(options.files)]
    for sub, _, files in planned:
        for vendored, got in files:
            lock = lock.with_entry(LockEntry.from_origin(vendored, got.origin,
                                                         hashlib.sha256(got.content).hexdigest(),
                                                         sub.upstream.name))
    # A crash between the files and the lock is repaired by the next run.
    for _, _, files in planned:
        for vendored, _ in files:
            check_writable(config.resolve(vendored), root=config.root, parents=True)
    if lock_changes(lock_path, lock):
        check_writable(lock_path, root=config.root, parents=True)
    written = []
    for sub, tag, files in planned:
        for vendored, got in files:
            path = config.resolve(vendored)
            make_parent(path, "the vendored file's")
            write_atomic(path, got.content, root=config.root)
            written.append(Vendored(vendored, len(got.content), got.origin.source,
                                    got.origin.identity(), tag, sub.upstream.name))
    changed = write_lock(lock_path, lock, root=config.root)
    project.lock_written(lock)
    tags = {tag for _, tag, _ in planned}
    return VendorResult(tags.pop() if len(tags) == 1 else "", written, config.lock, changed)


def _vendor_fetch(project: Project, files: Sequence[str], options: VendorOptions,
                  lock: Lock) -> tuple[str, list[tuple[str, Fetched]]]:
    """One upstream's files to vendor, fetched at its tag (nothing written)."""
    from dssync.targets import select_targets

    config = project.config
    assert config is not None
    targets = select_targets(config, files, trees_exist=False)
    chain = project.chain()
    try:
        tag = project.resolve_tag(options.tag, chain, "vendor")
        if config.trees:
            # A tree is vendored as the release has it: each file its globs take there.
            from dssync._trees import at_release

            listing = chain.list_files(tag)[1]
            targets, _ = at_release(config, listing, targets, appeared=not files)
            have = set(listing)
            explicit = {e.vendored for e in config.files}
            targets = [t for t in targets if t.upstream in have or t.vendored in explicit]
        pairs = [(t.vendored, t.upstream) for t in targets]
        if config.license is not None and not files:
            pairs.append((config.license.vendored, config.license.upstream))
        for vendored, _ in pairs:
            _refuse_local_edits(config, lock, vendored, force=options.force)
        _, fetched = chain.fetch(tag, [upstream for _, upstream in pairs])
    finally:
        chain.close()
    return tag, [(vendored, fetched[upstream]) for vendored, upstream in pairs]


def _refuse_local_edits(config: Config, lock: Lock, vendored: str, *, force: bool) -> None:
    from dssync._analyses.status import file_sha256

    entry = lock.get(vendored)
    if force or entry is None:
        return
    current = file_sha256(config.resolve(vendored))
    if current is not None and current != entry.sha256:
        raise DssyncError("has local edits since it was vendored (its sha256 differs from the lock)",
                          path=vendored, hint="use 'dssync update' to keep them, or --force to discard them")
