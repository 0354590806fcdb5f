"""``dssync update``: rewrite vendored files in place to an upstream tag, keeping local intent.

``dssync update --tag TAG`` updates the configured files (or those named with ``--file``) and
records the result in the lock; ``dssync update VENDORED.py UPSTREAM.py`` merges two local
files, rewriting the first. Every merge is computed before anything is written, so a failure
leaves every file as it was.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dssync.commands.options import add_upstream_options
from dssync.errors import ConfigError, DssyncError, file_in_the_way

if TYPE_CHECKING:
    from typing import Callable, ContextManager

    from dssync._rewrite import MergeResult
    from dssync._source.interface import Fetched
    from dssync.commands.targets import Target
    from dssync.config import Config
    from dssync.lock import Lock, LockEntry


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "update", help="rewrite vendored files to an upstream tag, constant by constant",
        description="Bring vendored files to an upstream tag (dssync update --tag TAG), or merge "
                    "two local files (dssync update VENDORED.py UPSTREAM.py, rewriting the first). "
                    "Changed constants take upstream's value, added ones go where upstream has "
                    "them, removed ones go with their own comments; everything else stays byte "
                    "for byte. With a lock, the release it names is the base of a three-way "
                    "merge: local edits upstream did not touch stay, constants changed on both "
                    "sides are conflicts (ours kept, listed). Exit status: 0 done, the result "
                    "matches upstream apart from pins and kept local edits; 1 something was "
                    "left (conflicts, names nothing binds; each listed with the reason) or, "
                    "with --dry-run, something would change; 2 trouble.")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="VENDORED.py UPSTREAM.py (without --tag)")
    p.add_argument("--file", dest="only_files", action="append", metavar="PATH", default=[],
                   help="with --tag: update only this configured file (repeatable)")
    p.add_argument("--only", nargs="+", action="extend", metavar="NAME", default=[],
                   help="apply only drift of constants matching these glob patterns "
                        "(Class.NAME for class constants)")
    p.add_argument("--exclude", nargs="+", action="extend", metavar="NAME", default=[],
                   help="leave drift of constants matching these glob patterns alone")
    p.add_argument("--dry-run", action="store_true",
                   help="print a unified diff of what would be written; write nothing")
    p.add_argument("--mode", choices=("merge", "replace"), default="merge",
                   help="merge: change only drifted constants (default); replace: take "
                        "upstream's file verbatim, then put pinned constants back")
    p.add_argument("--keep-removed", action="store_true",
                   help="keep constants that upstream removed")
    p.add_argument("--theirs", action="store_true",
                   help="settle conflicts (constants changed here and upstream) with upstream's "
                        "value; local edits upstream did not touch still stay")
    p.add_argument("--force", action="store_true",
                   help="overwrite every local edit: merge as if the vendored file were the "
                        "release the lock names")
    add_upstream_options(p)


@dataclass
class _Job:
    label: str
    """How the file is named in messages (relative to the project root when configured)."""
    path: Path
    root: Path
    result: object
    """The ``MergeResult``."""
    lock_entry: LockEntry | None = None
    held: str | None = None
    """The tag the lock keeps naming because something was left (the merge is unfinished)."""


def run(args: argparse.Namespace) -> int:
    from dssync._rewrite import Selection

    select = Selection(tuple(args.only), tuple(args.exclude))
    if args.tag is None:
        if len(args.files) != 2 or args.only_files:
            raise DssyncError("update needs --tag TAG (the configured files), or two files: "
                              "VENDORED.py UPSTREAM.py", hint="see 'dssync update --help'")
        return _finish(args, [_local_job(args, select)], None)
    if args.files:
        raise DssyncError("with --tag, name configured files with --file PATH",
                          hint=f"dssync update --tag {args.tag} --file {args.files[0]}")
    with _project_lock(args):
        jobs, config = _upstream_jobs(args, select)
        return _finish(args, jobs, config)


def _finish(args: argparse.Namespace, jobs: list[_Job], config: Config | None) -> int:
    _check_patterns(args, jobs)
    if args.dry_run:
        return _show(jobs)
    _write(jobs, config)
    return 1 if any(job.result.plan.left for job in jobs) else 0  # type: ignore[attr-defined]


def _check_patterns(args: argparse.Namespace, jobs: list[_Job]) -> None:
    """An --only/--exclude pattern that matches no constant that drifted is a typo (or the wrong
    tag): said before anything is written, instead of an update that quietly does nothing."""
    from fnmatch import fnmatchcase

    names: set[str] = set()
    for job in jobs:
        names |= job.result.drift.names()  # type: ignore[attr-defined]
    for option, patterns in (("--only", args.only), ("--exclude", args.exclude)):
        for pattern in patterns:
            if not any(fnmatchcase(name, pattern) for name in names):
                raise DssyncError(f"{option} {pattern!r} matches no constant that drifted",
                                  hint="check the pattern against 'dssync diff' (names are "
                                       "case-sensitive; Class.NAME inside classes)")


def _project_lock(args: argparse.Namespace) -> ContextManager[object]:
    """One update of a project at a time: from reading its lock file to writing it, another
    update must not replace the files in between (its changes would look like local edits).
    A dry run writes nothing, so it takes no lock."""
    import contextlib
    import hashlib
    import tempfile

    from dssync.commands.options import cache_from_args
    from dssync.commands.upstream import load_project_config

    config = load_project_config(args)
    if config is None or args.dry_run:
        return contextlib.nullcontext()
    cache = cache_from_args(args)
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


# --- two local files ---------------------------------------------------------------------


def _local_job(args: argparse.Namespace, select: Callable[[str], bool]) -> _Job:
    from dssync._rewrite import merge
    from dssync.commands.local_files import read_bytes
    from dssync.commands.options import cache_from_args
    from dssync.commands.upstream import load_project_config

    vendored, upstream = args.files
    config = load_project_config(args)
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
                   keep_removed=args.keep_removed, mode=args.mode, cache=cache_from_args(args),
                   theirs=args.theirs)
    return _Job(vendored, Path(vendored), root, result)


def _inside(path: Path, root: Path) -> bool:
    import os

    absolute = Path(os.path.abspath(path))
    root = Path(os.path.abspath(root))
    return absolute == root or root in absolute.parents


# --- configured files against an upstream tag -------------------------------------------


def _upstream_jobs(args: argparse.Namespace,
                   select: Callable[[str], bool]) -> tuple[list[_Job], Config | None]:
    from dssync._rewrite import merge
    from dssync.commands.local_files import read_bytes
    from dssync.commands.targets import select_targets
    from dssync.commands.options import cache_from_args
    from dssync.commands.upstream import load_project_config, make_chain, resolve_tag
    from dssync.lock import LockEntry, read_lock

    config = load_project_config(args)
    picked = argparse.Namespace(files=args.only_files, upstream_path=args.upstream_path)
    targets = select_targets(picked, config)
    lock = read_lock(config.resolve(config.lock)) if config is not None else None
    chain = make_chain(args, config)
    license_entry = config.license if config is not None and not args.only_files else None
    wanted = [t.upstream for t in targets] + ([license_entry.upstream] if license_entry else [])
    try:
        tag = resolve_tag(args, chain, config)
        _, fetched = chain.fetch(tag, wanted)
    finally:
        chain.close()
    cache = cache_from_args(args)
    jobs = []
    for target in targets:
        got = fetched[target.upstream]
        if not target.path.exists():
            raise DssyncError("no such file", path=target.vendored,
                              hint=f"vendor it first: dssync vendor --tag {tag}")
        entry = (lock.get(target.vendored) if lock is not None and config is not None
                 and _configured(config, target) else None)
        base = _base(args, config, entry)
        result = merge(read_bytes(target.path), got.content, vendored_path=target.vendored,
                       upstream_path=f"{target.upstream}@{tag}", pins=target.pins,
                       select=select, keep_removed=args.keep_removed, mode=args.mode,
                       cache=cache, base=base, theirs=args.theirs,
                       base_path=f"{entry.upstream}@{entry.tag}" if entry is not None else "base")
        job = _Job(target.vendored, target.path, config.root if config else Path.cwd(), result)
        if lock is not None and config is not None and _configured(config, target):
            if base is None:  # without the base, local edits can be neither kept nor checked
                _refuse_local_edits(args, config, target, entry, result, select)
            if result.plan.left and entry is not None:
                # As in git, a merge with something left is not recorded: the lock keeps naming
                # the base, so the next run sees the same conflicts (and --theirs can settle them)
                # rather than taking what was left for local edits.
                job.held = entry.tag
            else:
                job.lock_entry = LockEntry.from_origin(target.vendored, got.origin, result.sha256)
        jobs.append(job)
    if license_entry is not None and config is not None:
        jobs.append(_license_job(args, config, lock, fetched[license_entry.upstream]))
    return jobs, config


def _license_job(args: argparse.Namespace, config: Config, lock: Lock | None,
                 got: Fetched) -> _Job:
    """The vendored LICENSE becomes upstream's when upstream's changed; a copy edited here since
    the lock stays (listed), unless --force."""
    import hashlib

    from dssync._rewrite import MergePlan, MergeResult
    from dssync.commands.local_files import read_bytes
    from dssync.lock import LockEntry
    from dssync.models import FileDrift

    assert config.license is not None
    vendored = config.license.vendored
    path = config.resolve(vendored)
    current = read_bytes(path) if path.exists() else None
    entry = lock.get(vendored) if lock is not None else None
    edited = (current is not None and entry is not None and not args.force
              and hashlib.sha256(current).hexdigest() != entry.sha256)
    plan = MergePlan()
    data = got.content
    if edited and current is not None and current != got.content:
        data = current
        plan.manual.append((Path(config.license.upstream).name,
                            "edited here since the lock; --force replaces it with upstream's"))
    result = MergeResult(current if current is not None else b"", data, "copy", plan,
                         FileDrift(vendored, config.license.upstream))
    job = _Job(vendored, path, config.root, result)
    if not plan.manual:
        job.lock_entry = LockEntry.from_origin(vendored, got.origin, hashlib.sha256(data).hexdigest())
    return job


def _base(args: argparse.Namespace, config: Config | None,
          entry: LockEntry | None) -> bytes | None:
    """The release the vendored file came from, verified against the lock (the cache usually
    has it); None with --force, in replace mode, or when it cannot be had."""
    from dssync._analyses.status import locked_upstream
    from dssync.commands.upstream import project_of

    if entry is None or config is None or args.force or args.mode != "merge":
        return None
    content, _ = locked_upstream(project_of(args, config), entry)
    return content


def _configured(config: Config, target: Target) -> bool:
    return any(e.vendored == target.vendored and e.upstream == target.upstream
               for e in config.files)


def _refuse_local_edits(args: argparse.Namespace, config: Config, target: Target,
                        entry: LockEntry | None, result: MergeResult,
                        select: Callable[[str], bool]) -> None:
    """Local edits the lock does not know about may be overwritten only with --force, or when
    the update leaves each of them alone (pinned, deselected, or not touched by the merge)."""
    from dssync.commands.status import inspect

    if args.force or entry is None:
        return
    state = inspect(args, config, target, entry)
    if state.sha256 is None or state.matches:
        return
    if state.edits is None:
        raise DssyncError(f"has local edits since {entry.tag} (sha256 differs from the lock) and "
                          f"they cannot be checked: {state.note}", path=target.vendored,
                          hint="make that upstream reachable, or use --force")
    edited = state.edited_names()
    if args.mode == "replace":
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


# --- output ------------------------------------------------------------------------------


def _text(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").lstrip("\ufeff").splitlines(keepends=True)


def unified_diff(job: _Job) -> str:
    import difflib

    result = job.result
    label = job.label.replace("\\", "/").lstrip("/")  # an absolute path: a/tmp/x.py, not a//tmp
    lines = difflib.unified_diff(_text(result.original), _text(result.data),  # type: ignore[attr-defined]
                                 f"a/{label}", f"b/{label}")
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _notes(job: _Job) -> list[str]:
    plan = job.result.plan  # type: ignore[attr-defined]
    notes = [f"{job.label}: left for you to merge: {name} ({why})" for name, why in plan.manual]
    notes += [f"{job.label}: conflict, ours kept: {name} ({why}; --theirs takes upstream's)"
              for name, why in plan.conflicts]
    notes += [f"{job.label}: left out: {name} ({why})" for name, why in plan.unresolved]
    if plan.local:
        notes.append(f"{job.label}: local edits kept: {', '.join(plan.local)}")
    if plan.brought:
        notes.append(f"{job.label}: brought along so that every name resolves: "
                     f"{'; '.join(plan.brought)}")
    if job.held is not None:
        notes.append(f"{job.label}: the lock still names {job.held} until what was left is "
                     "settled (edit the file, pin, or rerun with --theirs)")
    if plan.skipped:
        notes.append(f"{job.label}: left out by --only/--exclude: {', '.join(sorted(plan.skipped))}")
    return notes


def _summary(job: _Job) -> str:
    result = job.result
    plan = result.plan  # type: ignore[attr-defined]
    if result.mode == "copy":  # type: ignore[attr-defined]
        what = "upstream's copy"
    elif result.mode == "replace":  # type: ignore[attr-defined]
        kept = len(plan.changed) + len(plan.added) + len(plan.removed)
        what = f"replaced with upstream, {kept} local constant(s) kept"
    else:
        what = (f"{len(plan.changed)} changed, {len(plan.added)} added, "
                f"{len(plan.removed)} removed")
        if plan.kept:
            what += f", {len(plan.kept)} kept (--keep-removed)"
        if plan.local:
            what += f", {len(plan.local)} local edit(s) kept"
        if plan.left:
            what += f", {len(plan.left)} left"
    verb = "updated" if result.changed else "unchanged"  # type: ignore[attr-defined]
    return f"{verb}: {job.label} ({what})"


def _show(jobs: list[_Job]) -> int:
    for job in jobs:
        sys.stdout.write(unified_diff(job))
        for note in _notes(job):
            print(f"dssync: {note}", file=sys.stderr)
    sys.stdout.flush()
    return 1 if any(job.result.changed or job.result.plan.left  # type: ignore[attr-defined]
                    for job in jobs) else 0


def _check_writable(jobs: list[_Job], config: Config | None) -> None:
    """Stop before the first write if any file this update would write cannot be: each changed
    vendored file, and the lock when its content changes (a read-only lock, or a directory in
    its place, was found only after the vendored files had been rewritten)."""
    from dssync.atomic import check_writable
    from dssync.lock import lock_changes, read_lock

    for job in jobs:
        if job.result.changed:  # type: ignore[attr-defined]
            check_writable(job.path, root=job.root,
                           parents=job.result.mode == "copy")  # type: ignore[attr-defined]
    entries = [job.lock_entry for job in jobs if job.lock_entry is not None]
    if entries and config is not None:  # (only a configured project has lock entries)
        path = config.resolve(config.lock)
        lock = read_lock(path)
        for entry in entries:
            lock = lock.with_entry(entry)
        if lock_changes(path, lock):
            check_writable(path, root=config.root, parents=True)


def _write(jobs: list[_Job], config: Config | None) -> None:
    from dssync.atomic import write_atomic

    _check_writable(jobs, config)
    done: list[_Job] = []
    try:
        for job in jobs:
            if job.result.changed:  # type: ignore[attr-defined]
                if job.result.mode == "copy":  # type: ignore[attr-defined]
                    from dssync.lock import make_parent

                    make_parent(job.path, "the vendored file's")
                write_atomic(job.path, job.result.data, root=job.root)  # type: ignore[attr-defined]
            done.append(job)
            print(_summary(job))
            for note in _notes(job):
                print(note)
    finally:
        # Files already written are recorded even when a later one fails, so that the lock
        # keeps describing what is on disk.
        entries = [job.lock_entry for job in done if job.lock_entry is not None]
        if entries and config is not None:
            _record(entries, config)


def _record(entries: list[LockEntry], config: Config) -> None:
    from dssync.lock import read_lock, write_lock

    path = config.resolve(config.lock)
    lock = read_lock(path)
    for entry in entries:
        lock = lock.with_entry(entry)
    changed = write_lock(path, lock, root=config.root)
    print(f"{'updated' if changed else 'unchanged'}: {config.lock}")
