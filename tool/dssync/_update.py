"""``update`` as an API: plan the merges of the vendored files with upstream, then write them and
the lock. Re-exported by ``dssync.api`` (``UpdateOptions``, ``plan_update``, ``apply_update``).

Every merge is computed before anything is written, so a failure leaves every file as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from dssync.errors import ConfigError, DssyncError, file_in_the_way

if TYPE_CHECKING:
    from typing import ContextManager

    from dssync._rewrite import MergeResult
    from dssync._source.interface import Fetched
    from dssync._api.project import Project
    from dssync.config import Config
    from dssync.lock import Lock, LockEntry
    from dssync.targets import Target


@dataclass(frozen=True)
class UpdateOptions:
    """``update``: the vendored files brought to an upstream tag (or one local file merged with
    another), keeping local intent."""

    tag: str | None = None
    """A tag, or ``latest`` (the highest release); None when ``local`` is given."""
    files: Sequence[str] = ()
    """Configured vendored files to update (default: all of them, and the LICENSE copy)."""
    upstream_path: str | None = None
    """The one file's path upstream, for a file that is not configured."""
    local: tuple[str, str] | None = None
    """``(VENDORED.py, UPSTREAM.py)``: merge two local files, rewriting the first (no tag, no
    lock)."""
    only: Sequence[str] = ()
    """Apply only drift of constants matching these glob patterns (``Class.NAME`` inside
    classes)."""
    exclude: Sequence[str] = ()
    """Leave drift of constants matching these glob patterns alone."""
    mode: str = "merge"
    """``merge``: change only drifted constants; ``replace``: take upstream's file verbatim, then
    put pinned constants back."""
    keep_removed: bool = False
    """Keep constants that upstream removed."""
    theirs: bool = False
    """Settle conflicts with upstream's value (local edits upstream did not touch still stay)."""
    force: bool = False
    """Overwrite every local edit: merge as if the vendored file were the locked release."""
    prune: bool = False
    """Delete the files of a tree that upstream no longer has (and their lock entries); without
    it they are kept and reported."""


@dataclass
class FileUpdate:
    """One file's merge, and what the lock is to say of it."""

    label: str
    """How the file is named in messages (relative to the project root when configured)."""
    path: Path
    root: Path
    """The directory the file may be written under (a symlink may not lead out of it)."""
    result: MergeResult
    lock_entry: LockEntry | None = None
    """The lock entry to record once the file is written (None: the lock is not touched)."""
    held: str | None = None
    """The tag the lock keeps naming because something was left (the merge is unfinished)."""
    upstream: str | None = None
    """The name of the configured upstream it is merged with."""
    tag: str | None = None
    """The upstream tag it is merged with."""
    appeared: bool = False
    """New upstream under a tree: written whole from upstream."""

    @property
    def changed(self) -> bool:
        return self.result.changed

    @property
    def left(self) -> list[tuple[str, str]]:
        """``(constant, reason)`` for everything not brought to upstream's value."""
        return self.result.plan.left


@dataclass
class GoneFile:
    """A file of a tree that upstream no longer has: kept and reported, or deleted with
    ``prune``."""

    vendored: str
    path: Path
    upstream: str
    tag: str
    locked: str | None
    """The release the lock says it came from (None when it was never synced)."""
    pruned: bool = False
    """Deleted (``--prune``), its lock entry with it."""
    upstream_name: str | None = None

    @property
    def reason(self) -> str:
        since = f" (vendored from {self.locked})" if self.locked else ""
        return f"{self.upstream} is gone upstream at {self.tag}{since}"


@dataclass
class UpdatePlan:
    """What an update would do; nothing is written until ``apply_update``."""

    tag: str | None
    """The tag resolved (None for two local files)."""
    files: list[FileUpdate]
    lock: str | None = None
    """The lock file as configured (None for two local files, or without configuration)."""
    config: Config | None = field(default=None, repr=False)
    upstream: str | None = None
    """The name of the configured upstream merged (None for two local files)."""
    groups: list[UpdatePlan] = field(default_factory=list)
    """With several upstreams: one plan per upstream, in the configured order (``files`` then
    holds all their files)."""
    gone: list[GoneFile] = field(default_factory=list)
    """Files of a tree upstream no longer has at the tag."""

    @property
    def changed(self) -> bool:
        """Some file would be written."""
        return any(f.changed for f in self.files)

    @property
    def left(self) -> list[tuple[str, str, str]]:
        """``(file, constant, reason)`` for everything left for the user to settle (a file of
        a tree gone upstream and kept is left whole: ``*``)."""
        return ([(f.label, name, why) for f in self.files for name, why in f.left]
                + [(g.vendored, "*", g.reason) for g in self.gone if not g.pruned])

    @property
    def lock_entries(self) -> list[LockEntry]:
        """The lock entries the update records (files with something left keep theirs)."""
        return [f.lock_entry for f in self.files if f.lock_entry is not None]


@dataclass
class UpdateResult:
    """An update carried out: its plan, the files written and whether the lock changed."""

    plan: UpdatePlan
    written: list[FileUpdate]
    """The files whose content changed on disk."""
    lock_changed: bool | None
    """Whether the lock file changed; None when the update had nothing to record in it."""


# --- planning ---------------------------------------------------------------------------------


def plan_update(project: Project, options: UpdateOptions) -> UpdatePlan:
    """Every merge the update would make, computed and checked (local edits it would overwrite,
    ``only``/``exclude`` patterns that match nothing), with nothing written."""
    from dssync._rewrite import Selection

    select = Selection(tuple(options.only), tuple(options.exclude))
    if options.local is not None:
        if options.tag is not None or options.files:
            raise DssyncError("update merges two local files, or the configured files with a "
                              "tag, not both", hint="see 'dssync update --help'")
        plan = UpdatePlan(None, [_local_file(project, options, select)])
    elif options.tag is None:
        raise DssyncError("update needs a tag (the configured files), or two local files",
                          hint="see 'dssync update --help'")
    elif project.several:
        project.check_tag(options.tag, "update")
        if options.upstream_path:
            from dssync._api.drift import _refuse_upstream_path

            _refuse_upstream_path(options.upstream_path)
        groups = [_upstream_plan(sub, replace(options, files=files), select)
                  for sub, files in project.split(options.files)]
        tags = {g.tag for g in groups}
        assert project.config is not None
        plan = UpdatePlan(tags.pop() if len(tags) == 1 else None,
                          [f for g in groups for f in g.files], project.config.lock,
                          project.config, groups=groups, gone=[x for g in groups for x in g.gone])
    else:
        plan = _upstream_plan(project, options, select)
    _check_patterns(options, plan.files)
    return plan


def _check_patterns(options: UpdateOptions, files: list[FileUpdate]) -> None:
    """An --only/--exclude pattern that matches no constant that drifted is a typo (or the wrong
    tag): said before anything is written, instead of an update that quietly does nothing."""
    from fnmatch import fnmatchcase

    names: set[str] = set()
    for f in files:
        names |= f.result.drift.names()
    for option, patterns in (("--only", options.only), ("--exclude", options.exclude)):
        for pattern in patterns:
            if not any(fnmatchcase(name, pattern) for name in names):
                raise DssyncError(f"{option} {pattern!r} matches no constant that drifted",
                                  hint="check the pattern against 'dssync diff' (names are "
                                       "case-sensitive; Class.NAME inside classes)")


# --- two local files ---------------------------------------------------------------------


def _local_file(project: Project, options: UpdateOptions,
                select: Callable[[str], bool]) -> FileUpdate:
    from dssync._extract.files import read_bytes
    from dssync._rewrite import merge

    assert options.local is not None
    vendored, upstream = options.local
    config = project.config
    pins: dict[str, str] = {}
    # The files named on the command line are the scope, as with ``git diff --no-index``: one
    # outside the project is written where it is (a symlink there still may not lead away).
    root = Path(vendored).absolute().parent
    if config is not None:
        try:
            pins = dict(config.file_for(vendored).pins)
        except ConfigError:
            pass  # not a configured file: no pins
        if _inside(Path(vendored), config.root):
            root = config.root
    result = merge(read_bytes(vendored), read_bytes(upstream), vendored_path=vendored,
                   upstream_path=upstream, pins=pins, select=select,
                   keep_removed=options.keep_removed, mode=options.mode, cache=project.cache,
                   theirs=options.theirs)
    return FileUpdate(vendored, Path(vendored), root, result)


def _inside(path: Path, root: Path) -> bool:
    import os

    absolute = Path(os.path.abspath(path))
    root = Path(os.path.abspath(root))
    return absolute == root or root in absolute.parents


# --- configured files against an upstream tag -------------------------------------------


def _upstream_plan(project: Project, options: UpdateOptions,
                   select: Callable[[str], bool]) -> UpdatePlan:
    from dssync._extract.files import read_bytes
    from dssync._rewrite import merge
    from dssync._trees import fetch_targets
    from dssync.lock import LockEntry, read_lock
    from dssync.targets import select_targets

    config = project.config
    targets = select_targets(config, options.files, options.upstream_path)
    lock = read_lock(config.resolve(config.lock), project.name_of) if config is not None else None
    chain = project.chain()
    license_entry = config.license if config is not None and not options.files else None
    gone: list[Target] = []
    try:
        tag = project.resolve_tag(options.tag, chain, "update")
        # A tree is matched against the release's files: a new one is written, one gone is
        # reported (and deleted only with --prune).
        trees = config is not None and bool(config.trees) and not options.upstream_path
        licensed = [license_entry.upstream] if license_entry is not None else []
        targets, appeared, present = fetch_targets(
            chain, config, tag, targets, trees=trees, appeared=not options.files, also=licensed)
        if trees:
            assert config is not None
            gone = [t for t in targets if t.upstream in present.missing
                    and not _explicit(config, t)]
            targets = [t for t in targets if t not in gone]
        left = [present.missing[path] for path in [t.upstream for t in targets] + licensed
                if path in present.missing]
        if left:  # a file entry (or the LICENSE) upstream lacks: the update cannot be made
            raise left[0]
        fetched = present.files
    finally:
        chain.close()
    cache = project.cache
    files = []
    for target in targets:
        got = fetched[target.upstream]
        if target.vendored in appeared:
            files.append(_appeared_file(project, target, got, tag))
            continue
        if not target.path.exists():
            raise DssyncError("no such file", path=target.vendored,
                              hint=f"vendor it first: dssync vendor --tag {tag}")
        configured = config is not None and _configured(config, target, options.upstream_path)
        entry = lock.get(target.vendored) if lock is not None and configured else None
        base = _base(project, options, entry)
        result = merge(read_bytes(target.path), got.content, vendored_path=target.vendored,
                       upstream_path=f"{target.upstream}@{tag}", pins=target.pins,
                       select=select, keep_removed=options.keep_removed, mode=options.mode,
                       cache=cache, base=base, theirs=options.theirs,
                       base_path=f"{entry.upstream}@{entry.tag}" if entry is not None else "base")
        file = FileUpdate(target.vendored, target.path, project.root, result,
                          upstream=config.name if config is not None else None, tag=tag)
        if lock is not None and configured:
            if base is None:  # without the base, local edits can be neither kept nor checked
                _refuse_local_edits(project, options, target, entry, result, select)
            if result.plan.left and entry is not None:
                # As in git, a merge with something left is not recorded: the lock keeps naming
                # the base, so the next run sees the same conflicts (and --theirs can settle them)
                # rather than taking what was left for local edits.
                file.held = entry.tag
            else:
                file.lock_entry = LockEntry.from_origin(target.vendored, got.origin, result.sha256,
                                                        file.upstream)
        files.append(file)
    if license_entry is not None and config is not None:
        files.append(replace(_license_file(options, config, lock, fetched[license_entry.upstream]),
                             upstream=config.name, tag=tag))
    plan = UpdatePlan(tag, files, config.lock if config is not None else None, config,
                      upstream=config.name if config is not None else None)
    for target in gone:
        entry = lock.get(target.vendored) if lock is not None else None
        plan.gone.append(GoneFile(target.vendored, target.path, target.upstream, tag,
                                  entry.tag if entry is not None else None,
                                  pruned=options.prune, upstream_name=plan.upstream))
    return plan


def _explicit(config: Config, target: Target) -> bool:
    """Whether a ``[[files]]`` entry names the file (not only a tree): such a file gone upstream
    is an error, as it always was; a tree's is reported."""
    return any(e.vendored == target.vendored for e in config.files)


def _appeared_file(project: Project, target: Target, got: Fetched, tag: str) -> FileUpdate:
    """A file new upstream under a tree: upstream's copy, written and recorded in the lock."""
    from dssync._rewrite import MergePlan, MergeResult
    from dssync.lock import LockEntry
    from dssync.models import FileDrift

    if target.path.exists() or target.path.is_symlink():
        raise DssyncError("is new upstream under a tree, but a file the lock does not know is "
                          "already there", path=target.vendored,
                          hint="move it away, or add a [[files]] entry for it and vendor it")
    result = MergeResult(b"", got.content, "copy", MergePlan(),
                         FileDrift(target.vendored, target.upstream))
    assert project.config is not None
    file = FileUpdate(target.vendored, target.path, project.root, result,
                      upstream=project.config.name, tag=tag, appeared=True)
    file.lock_entry = LockEntry.from_origin(target.vendored, got.origin, result.sha256,
                                            project.config.name)
    return file


def _license_file(options: UpdateOptions, config: Config, lock: Lock | None,
                  got: Fetched) -> FileUpdate:
    """The vendored LICENSE becomes upstream's when upstream's changed; a copy edited here since
    the lock stays (listed), unless --force."""
    import hashlib

    from dssync._extract.files import read_bytes
    from dssync._rewrite import MergePlan, MergeResult
    from dssync.lock import LockEntry
    from dssync.models import FileDrift

    assert config.license is not None
    vendored = config.license.vendored
    path = config.resolve(vendored)
    current = read_bytes(path) if path.exists() else None
    entry = lock.get(vendored) if lock is not None else None
    edited = (current is not None and entry is not None and not options.force
              and hashlib.sha256(current).hexdigest() != entry.sha256)
    plan = MergePlan()
    data = got.content
    if edited and current is not None and current != got.content:
        data = current
        plan.manual.append((Path(config.license.upstream).name,
                            "edited here since the lock; --force replaces it with upstream's"))
    result = MergeResult(current if current is not None else b"", data, "copy", plan,
                         FileDrift(vendored, config.license.upstream))
    file = FileUpdate(vendored, path, config.root, result)
    if not plan.manual:
        file.lock_entry = LockEntry.from_origin(vendored, got.origin,
                                                hashlib.sha256(data).hexdigest(), config.name)
    return file


def _base(project: Project, options: UpdateOptions, entry: LockEntry | None) -> bytes | None:
    """The release the vendored file came from, verified against the lock (the cache usually
    has it); None with --force, in replace mode, or when it cannot be had."""
    from dssync._analyses.status import locked_upstream

    if entry is None or project.config is None or options.force or options.mode != "merge":
        return None
    content, _ = locked_upstream(project, entry)
    return content


def _configured(config: Config, target: Target, upstream_path: str | None) -> bool:
    """Whether the lock is to record the file: a configured one, read from its configured
    upstream path (a tree's file may have moved under ``src/``: still the same file)."""
    try:
        entry = config.file_for(target.vendored)
    except ConfigError:
        return False
    return not upstream_path or entry.upstream == upstream_path.strip("/")


def _refuse_local_edits(project: Project, options: UpdateOptions, target: Target,
                        entry: LockEntry | None, result: MergeResult,
                        select: Callable[[str], bool]) -> None:
    """Local edits the lock does not know about may be overwritten only with --force, or when
    the update leaves each of them alone (pinned, deselected, or not touched by the merge)."""
    from dssync._analyses.status import inspect

    if options.force or entry is None:
        return
    state = inspect(project, target, entry)
    if state.sha256 is None or state.matches:
        return
    if state.edits is None:
        raise DssyncError(f"has local edits since {entry.tag} (sha256 differs from the lock) and "
                          f"they cannot be checked: {state.note}", path=target.vendored,
                          hint="make that upstream reachable, or use --force")
    edited = state.edited_names()
    if options.mode == "replace":
        if not edited:
            raise DssyncError(f"has local edits since {entry.tag} outside its constants, which "
                              "--mode replace would discard", path=target.vendored,
                              hint="use --mode merge to keep them, or --force")
        lost = {n for n in edited if n not in target.pins and select(n)}
    else:
        plan = result.plan
        lost = edited & set(plan.changed + plan.added + plan.removed)
    if lost:
        raise DssyncError(f"has local edits since {entry.tag} that this update would overwrite: "
                          f"{', '.join(sorted(lost))}", path=target.vendored,
                          hint="pin the constants you changed, or use --force to overwrite them")


# --- applying -----------------------------------------------------------------------------------


def apply_update(project: Project, options: UpdateOptions, *,
                 on_file: Callable[[FileUpdate], None] | None = None,
                 on_lock: Callable[[str, bool], None] | None = None,
                 on_gone: Callable[[GoneFile], None] | None = None) -> UpdateResult:
    """Plan the update and write it: every file that changes, then the lock, nothing unless each
    of them can be written. A configured project is updated by one run at a time (from reading
    its lock to writing it), so the plan is made here, under that lock.

    ``on_file`` hears of each file once it is written (or found unchanged), in order;
    ``on_gone`` of each file of a tree upstream no longer has, once deleted (``prune``) or
    kept; ``on_lock`` of the lock file (as configured) and whether it changed. All are called as it
    happens, so that a failure part way still reports what was done: the files already written
    are recorded in the lock before the error goes on."""
    with _project_lock(project, options):
        plan = plan_update(project, options)
        return _write(project, plan, on_file, on_lock, on_gone)


def _project_lock(project: Project, options: UpdateOptions) -> ContextManager[object]:
    """One update of a project at a time: from reading its lock file to writing it, another
    update must not replace the files in between (its changes would look like local edits)."""
    import contextlib
    import hashlib
    import tempfile

    config = project.config
    if config is None or options.local is not None:
        return contextlib.nullcontext()
    cache = project.cache
    where = cache.root / "locks" if cache.root is not None else Path(tempfile.gettempdir())
    key = hashlib.sha256(str(config.resolve(config.lock).resolve()).encode()).hexdigest()[:32]
    return _ProjectLock(where / f"update-{key}.lock")


class _ProjectLock:
    """A file lock whose every failure (its directory is a file, say) is one clear line."""

    def __init__(self, path: Path) -> None:
        import filelock

        self.path = path
        self._lock = filelock.FileLock(str(path), timeout=600)

    def __enter__(self) -> None:
        import filelock

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except filelock.Timeout:
            raise DssyncError("another dssync update of this project has held its lock for "
                              "10 minutes", path=self.path,
                              hint="wait for it, or delete the lock file if no dssync is "
                                   "running") from None
        except OSError as exc:
            blocker = file_in_the_way(self.path)
            if blocker is not None:
                raise DssyncError("cannot take the update lock: a file stands where the cache "
                                  "needs a directory", path=blocker,
                                  hint="remove it (the cache rebuilds itself), or pass "
                                       "--cache-dir DIR") from None
            raise DssyncError(f"cannot take the update lock: {exc.strerror or exc}",
                              path=exc.filename or self.path,
                              hint="check the cache directory's permissions, or pass "
                                   "--cache-dir DIR") from None

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


def _check_writable(plan: UpdatePlan, name_of: Callable[[str], str | None]) -> None:
    """Stop before the first write if any file this update would write cannot be: each changed
    vendored file, and the lock when its content changes (a read-only lock, or a directory in
    its place, was found only after the vendored files had been rewritten)."""
    from dssync.atomic import check_writable
    from dssync.lock import lock_changes, read_lock

    for f in plan.files:
        if f.changed:
            check_writable(f.path, root=f.root, parents=f.result.mode == "copy")
    entries = plan.lock_entries
    config = plan.config
    if entries and config is not None:  # (only a configured project has lock entries)
        path = config.resolve(config.lock)
        lock = read_lock(path, name_of)
        for entry in entries:
            lock = lock.with_entry(entry)
        if lock_changes(path, lock):
            check_writable(path, root=config.root, parents=True)


def _write(project: Project, plan: UpdatePlan, on_file: Callable[[FileUpdate], None] | None,
           on_lock: Callable[[str, bool], None] | None,
           on_gone: Callable[[GoneFile], None] | None = None) -> UpdateResult:
    from dssync.atomic import write_atomic

    _check_writable(plan, project.name_of)
    result = UpdateResult(plan, [], None)
    done: list[FileUpdate] = []
    pruned: list[str] = []
    try:
        for f in plan.files:
            if f.changed:
                if f.result.mode == "copy":
                    from dssync.lock import make_parent

                    make_parent(f.path, "the vendored file's")
                write_atomic(f.path, f.result.data, root=f.root)
                result.written.append(f)
            done.append(f)
            if on_file is not None:
                on_file(f)
        for gone in plan.gone:
            if gone.pruned:
                _delete(gone.path)
                pruned.append(gone.vendored)
            if on_gone is not None:
                on_gone(gone)
    finally:
        # Files already written are recorded even when a later one fails, so that the lock
        # keeps describing what is on disk.
        entries = [f.lock_entry for f in done if f.lock_entry is not None]
        if (entries or pruned) and plan.config is not None:
            result.lock_changed = _record(entries, plan.config, project.name_of, pruned)
            project.lock_written()
            if on_lock is not None:
                on_lock(plan.config.lock, result.lock_changed)
    return result


def _delete(path: Path) -> None:
    """Delete a vendored file upstream no longer has (``--prune``); one already gone is fine."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise DssyncError(f"cannot delete: {exc.strerror or exc}", path=path,
                          hint="check the permissions, or delete it by hand") from None


def _record(entries: list[LockEntry], config: Config, name_of: Callable[[str], str | None],
            pruned: Sequence[str] = ()) -> bool:
    from dssync.lock import read_lock, write_lock

    path = config.resolve(config.lock)
    lock = read_lock(path, name_of)
    for entry in entries:
        lock = lock.with_entry(entry)
    for vendored in pruned:
        lock = lock.without(vendored)
    return write_lock(path, lock, root=config.root)
