"""``dssync init``: adopt vendored copies that are already there.

Pipeline: recognise the projects in the given directories (``recognise``), confirm each on the
package index and find the release it matches best (``adopt``, ``search``), then write the
configuration (``write``) and the lock. The lock records each file's upstream bytes at the
release found and the copy's bytes as they are, so ``status`` is clean right after ``init``
and a copy's local edits show up as drift against upstream, not as edits since vendoring.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar

from dssync.errors import ConfigError, DssyncError

if TYPE_CHECKING:
    from dssync._init.adopt import Adopted, Unmatched
    from dssync._init.recognise import Candidate
    from dssync._source.interface import SourceContext
    from dssync.cache import Cache
    from dssync._api.project import UpstreamOptions
    from dssync.lock import Lock
    from dssync.models import ConstantTable

_T = TypeVar("_T")

DISCOVER_DEPTH = 6
"""How deep below the project root ``init`` without DIR looks for vendor directories."""


@dataclass(frozen=True)
class InitOptions:
    """What ``init`` looks at, and where and how it writes."""

    directories: Sequence[str] = ()
    """Directories holding vendored code (default: every vendor directory below the root)."""
    config: str | None = None
    """The file to write (default: pyproject.toml when there is one, else dssync.toml)."""
    dry_run: bool = False
    force: bool = False
    """Replace an existing dssync configuration."""
    jobs: int = 8


@dataclass
class InitResult:
    """What ``init`` found and wrote (or, with ``--dry-run``, would write)."""

    path: Path
    """The configuration file written (or that would be)."""
    text: str
    """Its whole new text."""
    lock_path: Path
    lock: Lock
    adopted: list[Adopted] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    stale_configs: dict[Path, str | None] = field(default_factory=dict)
    """The configurations ``--force`` replaces in another file: each one's new text (a
    pyproject.toml without ``[tool.dssync]``), or None to delete it."""
    stale_locks: list[Path] = field(default_factory=list)
    """The locks they name that are not the new lock: deleted."""
    written: bool = False

    @property
    def config_shown(self) -> str:
        return _shown(self.path)

    @property
    def removed_shown(self) -> list[str]:
        """What writing removes, as said to the user."""
        return [f"[tool.dssync] from {_shown(old)}" if text is not None else _shown(old)
                for old, text in self.stale_configs.items()] \
            + [_shown(old) for old in self.stale_locks]

    @property
    def lock_shown(self) -> str:
        return _shown(self.lock_path)


def _shown(path: Path) -> str:
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


def init(options: InitOptions, upstream: UpstreamOptions) -> InitResult:
    """Recognise, identify and configure; write unless ``dry_run``."""
    from dssync._init import write
    from dssync._init.adopt import Adopted
    from dssync._source.chain import Upstream, make_context
    from dssync._api.project import Project
    from dssync.config import DEFAULT_LOCK, DEFAULT_REPORTS, PYPROJECT, config_from_text

    if options.jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    path = write.target(options.config, Path.cwd()).absolute()
    root = path.parent
    before = write.replaced(root)
    if before.configs and not options.force:
        existing = before.configs[0]
        table = " ([tool.dssync])" if existing.name == PYPROJECT else ""
        raise ConfigError(f"configures dssync already{table}", path=_shown(existing),
                          hint="edit that configuration, or pass --force to replace it")
    directories = [_directory(root, d) for d in options.directories] or _discover(root)
    project = Project(None, upstream)
    ctx = make_context(Upstream(index_url=upstream.index_url,
                                download_timeout=upstream.download_timeout),
                       project.cache, offline=upstream.offline, verbose=upstream.verbose)
    candidates, unmatched = _recognise_all(root, directories, project.cache)
    adopted: list[Adopted] = []
    for outcome in _adopt_all(root, candidates, ctx, jobs=options.jobs,
                              prereleases=upstream.prereleases):
        if isinstance(outcome, Adopted):
            adopted.append(outcome)
        else:
            unmatched.append(outcome)
    data = write.settings(adopted, lock=DEFAULT_LOCK, reports=DEFAULT_REPORTS)
    text = write.merged_text(path, data, adopted)
    if adopted:
        # What init writes is read back as any later command will read it: a configuration
        # dssync would refuse is never written (nor printed by --dry-run).
        config_from_text(path, text)
    lock_path = root / DEFAULT_LOCK
    # Replaced, not added to: one configuration and one lock remain (where --config writes
    # elsewhere, the old ones go; pyproject.toml keeps all but its [tool.dssync]).
    configs, locks = before.stale(path, lock_path)
    result = InitResult(path=path, text=text,
                        lock_path=lock_path, lock=_lock(adopted, write.upstream_names(adopted)),
                        adopted=adopted, unmatched=unmatched,
                        stale_configs={old: write.without_dssync(old) if old.name == PYPROJECT
                                       else None for old in configs},
                        stale_locks=locks)
    if not adopted:
        return result
    if not options.dry_run:
        _write(result, root)
    return result


def _recognise_all(root: Path, directories: Sequence[Path],
                   cache: Cache) -> tuple[list[Candidate], list[Unmatched]]:
    """Every vendored project in ``directories``, each once, and what is not one."""
    from dssync._extract.files import shared_memo, table_from_file
    from dssync._init.adopt import Unmatched
    from dssync._init.recognise import recognise

    memo = shared_memo()

    def read_table(file: Path) -> ConstantTable | None:
        try:
            return table_from_file(file, cache, memo)
        except DssyncError:
            return None

    candidates: list[Candidate] = []
    unmatched: list[Unmatched] = []
    for directory in directories:
        found, unrecognised = recognise(root, directory, read_table)
        unmatched.extend(Unmatched(u.directory, u.reason) for u in unrecognised)
        for candidate in found:
            # The same copy named twice (a vendor directory and a package in it) is one project.
            inside = next((c.directory for c in candidates
                           if _within(candidate.directory, c.directory)), None)
            if inside is None:
                candidates.append(candidate)
            elif inside != candidate.directory:
                unmatched.append(Unmatched(candidate.directory,
                                           f"overlaps {inside}, configured already"))
    return candidates, unmatched


def _adopt_all(root: Path, candidates: Sequence[Candidate], ctx: SourceContext, *, jobs: int,
               prereleases: bool) -> list[Adopted | Unmatched]:
    """Each candidate confirmed on the package index (or why not), in order."""
    from dssync._analyses.progress import progress_for_stderr
    from dssync._extract.files import shared_memo
    from dssync._init.adopt import adopt
    from dssync._source.package_index import PackageIndexSource

    # A bar on a terminal only (a big vendor directory takes a while); nothing in pipes or CI.
    progress = progress_for_stderr()

    def adopt_one(candidate: Candidate) -> Adopted | Unmatched:
        try:
            return adopt(root, candidate, lambda name: PackageIndexSource(name, ctx), ctx,
                         workers=jobs, memo=shared_memo(), prereleases=prereleases)
        finally:
            progress.advance()

    progress.start(f"identifying {len(candidates)} vendored projects", len(candidates))
    try:
        return _each_at_once(adopt_one, candidates)
    finally:
        progress.stop()


PROJECTS_AT_ONCE = 4
"""Projects identified concurrently: most of their time is waiting for the index."""


def _each_at_once(func: Callable[[Candidate], _T], items: Sequence[Candidate]) -> list[_T]:
    """``func`` of each item, in order, a few at a time; the first error stops the rest."""
    if len(items) <= 1:
        return [func(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=PROJECTS_AT_ONCE, thread_name_prefix="dssync-init")
    try:
        return list(pool.map(func, items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/") \
        or directory.startswith(path.rstrip("/") + "/")


def _lock(adopted: Sequence[Adopted], names: Sequence[str]) -> Lock:
    from dssync.lock import Lock, LockEntry

    entries = {}
    for name, item in zip(names, adopted):
        for vendored, got in item.files.items():
            entries[vendored] = LockEntry.from_origin(vendored, got.origin, item.sha256[vendored],
                                                      upstream_name=name)
    return Lock(entries)


def _write(result: InitResult, root: Path) -> None:
    """The lock first, then what the configuration replaces goes, the configuration last: until
    it exists, a crash leaves nothing that claims the project is set up (and never two
    configurations)."""
    from dssync.atomic import check_writable, write_atomic
    from dssync.lock import write_lock

    for path in (result.lock_path, result.path, *result.stale_configs, *result.stale_locks):
        check_writable(path, root=root, parents=True)
    write_lock(result.lock_path, result.lock, root=root)
    for old, text in result.stale_configs.items():
        if text is None:
            _delete(old)
        else:
            write_atomic(old, text.encode("utf-8"), root=root)
    for old in result.stale_locks:
        _delete(old)
    write_atomic(result.path, result.text.encode("utf-8"), root=root)
    result.written = True


def _delete(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise DssyncError(f"cannot delete it: {exc.strerror or exc}", path=_shown(path),
                          hint="check the permissions, or delete it by hand") from None


def _directory(root: Path, given: str) -> Path:
    path = Path(given)
    if not path.exists():
        raise DssyncError("no such directory", path=given, hint="check the path")
    if not path.is_dir():
        raise DssyncError("is not a directory", path=given,
                          hint="name the directory that holds the vendored code")
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        raise DssyncError(f"lies outside the project ({_shown(root)})", path=given,
                          hint="run dssync init from the project root, or pass --config "
                               "PATH there") from None
    return path.absolute()


def _discover(root: Path) -> list[Path]:
    """Every vendor directory (``_vendor``, ``third_party``, ...) below ``root``, outermost
    only; virtual environments and build output are not looked in."""
    from dssync._init.recognise import CONTAINER_NAMES, SKIPPED_DIRS, unreadable

    found: list[Path] = []
    skip = SKIPPED_DIRS | {"build", "dist", "site-packages", "venv", "env"}

    def visit(directory: Path, depth: int) -> None:
        for child in sorted(p for p in directory.iterdir() if p.is_dir()):
            if child.name in skip or child.name.startswith(".") \
                    or (child / "pyvenv.cfg").exists():
                continue
            if child.name in CONTAINER_NAMES or (child / "vendor.txt").is_file():
                found.append(child)
            elif depth < DISCOVER_DEPTH:
                visit(child, depth + 1)

    try:
        visit(root, 1)
    except OSError as exc:  # a directory that cannot be read may hold vendored code: said
        raise unreadable(exc) from None
    if not found:
        raise DssyncError("no vendor directory found below the project root (looked for "
                          + ", ".join(sorted(CONTAINER_NAMES)) + ", or a vendor.txt)",
                          path=_shown(root), hint="name the directories: dssync init DIR...")
    return found
