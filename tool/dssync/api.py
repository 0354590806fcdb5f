"""dssync's typed core, for the command line and for scripts alike.

Load the project once, then ask it questions; each function takes its options as a dataclass
and returns a report model (plain dataclasses, see ``dssync.models``) that the renderers in
``dssync._report`` turn into text, JSON, Markdown, SARIF or HTML::

    from dssync.api import DriftOptions, Project, drift

    project = Project.load()                      # the configuration found from here up
    report = drift(project, DriftOptions(tag="v0.9.0"))
    for file in report.files:
        print(file.vendored, file.counts())

Errors are ``dssync.errors.DssyncError`` (one line, with a hint). Nothing heavy is imported
here: each function imports the stages it needs when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from dssync._init import InitOptions, InitResult, init
from dssync._update import (
    FileUpdate, UpdateOptions, UpdatePlan, UpdateResult, apply_update, plan_update,
)
from dssync.errors import NO_CONFIG, ConfigError, DssyncError

if TYPE_CHECKING:
    from dssync._analyses.status import LocalState
    from dssync._analyses.drifted import Impact
    from dssync._analyses.identify import Match
    from dssync._analyses.timeline import History
    from dssync._analyses.walk import Walk
    from dssync._source.chain import FetchResult, SourceChain, Upstream
    from dssync._source.interface import Fetched, SourceContext
    from dssync.cache import Cache
    from dssync.config import Config
    from dssync.lock import Lock
    from dssync.models import DriftReport, Gone
    from dssync.targets import Target

__all__ = [
    "DriftOptions",
    "FileUpdate",
    "HistoryOptions",
    "Identification",
    "IdentifyOptions",
    "ImpactOptions",
    "InitOptions",
    "InitResult",
    "Project",
    "StatusOptions",
    "TagList",
    "TagsOptions",
    "UpdateOptions",
    "UpdatePlan",
    "UpdateResult",
    "UpstreamOptions",
    "VendorOptions",
    "Vendored",
    "apply_update",
    "compare_files",
    "drift",
    "history",
    "identify",
    "impact",
    "init",
    "plan_update",
    "render",
    "status",
    "tags",
    "vendor",
]


# --- the project ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpstreamOptions:
    """How to reach upstream, beyond (or instead of) what the configuration says."""

    sources: tuple[str, ...] = ()
    """``github:OWNER/REPO``, ``pypi:PACKAGE`` or ``git:PATH_OR_URL`` in the order to try;
    empty: the configured sources."""
    index_url: str | None = None
    download_timeout: float | None = None
    """Seconds one download may take in all; None: the configuration's, else 300."""
    prereleases: bool = False
    """Consider pre- and development releases too (PEP 440 leaves them out)."""
    offline: bool = False
    """Use only what is in the cache."""
    cache_dir: Path | None = None
    """None: the platform's user cache (or ``DSSYNC_CACHE_DIR``)."""
    use_cache: bool = True
    verbose: bool = False
    """Log each upstream request to stderr (secrets redacted)."""


class Project:
    """A project's configuration, lock and upstreams, read once and shared by every question
    asked in one run."""

    def __init__(self, config: Config | None, options: UpstreamOptions | None = None) -> None:
        from dssync._source.chain import Upstream

        self.config = config
        self.options = options or UpstreamOptions()
        views = config.views() if config is not None else (None,)
        # One per configured upstream, in the configuration's order.
        self.upstreams: list[Upstream] = [Upstream(
            given=self.options.sources, config=view, index_url=self.options.index_url,
            download_timeout=self.options.download_timeout,
            prereleases=self.options.prereleases) for view in views]
        self._cache: Cache | None = None
        self._lock: Lock | None = None
        self._whole: Config | None = config
        """The whole configuration (every upstream), which names the entries of an old lock."""

    @property
    def several(self) -> bool:
        """Whether this project follows more than one upstream."""
        return len(self.upstreams) > 1

    def only(self, name: str) -> Project:
        """The same project narrowed to the upstream called ``name`` (sharing cache and lock)."""
        config = self.require_config(hint="--upstream NAME names a configured upstream; add a "
                                          "configuration, or pass --config PATH")
        view = config.upstream_named(name)
        narrowed = Project(view, self.options)
        narrowed._cache, narrowed._whole = self._cache, self._whole
        return narrowed

    def each(self) -> list[Project]:
        """One project per upstream, in order (just this one when it follows one)."""
        if not self.several:
            return [self]
        assert self.config is not None
        views = self.config.views()
        if self.options.sources:
            raise ConfigError("--source with several upstreams configured needs --upstream NAME",
                              hint="name the upstream the sources replace: "
                                   + ", ".join(f"--upstream {v.name}" for v in views))
        return [self.only(view.name) for view in views]

    def one_for(self, files: Sequence[str], command: str) -> Project:
        """The one upstream ``command`` reads: the only one, or the one that all ``files``
        come from; with several and no files, an error asking for ``--upstream``."""
        if not self.several:
            return self
        groups = self.split(files) if files else []
        if len(groups) == 1:
            return groups[0][0]
        assert self.config is not None
        names = ", ".join(v.name for v in self.config.views())
        why = "the files named come from several" if files else "several are configured"
        raise ConfigError(f"{command} reads one upstream's releases, and {why} ({names})",
                          hint="add --upstream NAME")

    def split(self, files: Sequence[str]) -> list[tuple[Project, tuple[str, ...]]]:
        """The upstreams to work on for the vendored ``files`` (all when none is named), each
        with the files of its own; an unconfigured file is an error naming it."""
        if not self.several or not files:
            return [(p, tuple(files)) for p in self.each()]
        assert self.config is not None
        mine: dict[str, list[str]] = {}
        for f in files:
            owner = self.config.upstream_of(f)
            if owner is None:
                self.config.file_for(f)  # the error that names the configured files
                raise AssertionError(f)  # pragma: no cover - file_for raised
            mine.setdefault(owner.name, []).append(f)
        return [(p, tuple(mine[p.upstream.name])) for p in self.each()
                if p.upstream.name in mine]

    def check_tag(self, tag: str | None, command: str) -> None:
        """An explicit tag names one upstream's release: with several, ``--upstream`` says
        which (``latest`` is each one's latest)."""
        if self.several and tag is not None and tag != "latest":
            assert self.config is not None
            names = ", ".join(v.name for v in self.config.views())
            raise DssyncError(f"{command} --tag {tag}: several upstreams are configured ({names})",
                              hint="add --upstream NAME for the one the tag belongs to, or use "
                                   "--tag latest for each one's latest")

    @classmethod
    def load(cls, config: str | Path | None = None, *, start: str | Path | None = None,
             options: UpstreamOptions | None = None) -> Project:
        """The project configured in ``config`` (a file, or a directory holding one), or the one
        found from ``start`` (default: the current directory) upward; a project without
        configuration when there is none to find."""
        from dssync.config import load_config

        found = load_config(Path(config) if config else None,
                            start=Path(start) if start is not None else Path.cwd())
        return cls(found, options)

    @property
    def upstream(self) -> Upstream:
        return self.upstreams[0]

    @property
    def root(self) -> Path:
        """Where relative paths start: the configuration's directory, else the current one."""
        return self.config.root if self.config is not None else Path.cwd()

    @property
    def cache(self) -> Cache:
        if self._cache is None:
            import os

            from dssync.cache import Cache, check_cache_root, default_cache_root

            opts = self.options
            if not opts.use_cache:
                self._cache = Cache(None)
            else:
                root = Path(opts.cache_dir) if opts.cache_dir else default_cache_root()
                check_cache_root(root, chosen=bool(opts.cache_dir
                                                   or os.environ.get("DSSYNC_CACHE_DIR")))
                self._cache = Cache(root)
        return self._cache

    def require_config(self, hint: str, message: str = NO_CONFIG) -> Config:
        """The configuration; without one, an error saying ``message`` and ``hint``."""
        if self.config is None:
            raise ConfigError(message, hint=hint)
        return self.config

    def lock(self) -> Lock:
        """The lock file (read once); an error without a configuration."""
        if self._lock is None:
            from dssync.lock import read_lock

            config = self.require_config(hint="add one, or pass --config PATH")
            self._lock = read_lock(config.resolve(config.lock), self.name_of)
        return self._lock

    def name_of(self, vendored: str) -> str | None:
        """The upstream whose file ``vendored`` is, in the whole configuration: it names the
        entries of an old lock (``dssync.lock/1``), whichever upstream this project is."""
        whole = self._whole or self.config
        return whole.name_of(vendored) if whole is not None else None

    def context(self, upstream: Upstream | None = None) -> SourceContext:
        import dssync._source.chain as chain

        return chain.make_context(upstream or self.upstream, self.cache,
                                  offline=self.options.offline, verbose=self.options.verbose)

    def chain(self, upstream: Upstream | None = None) -> SourceChain:
        """The sources of ``upstream`` (default: the first) in order; close it when done."""
        from dssync._source.chain import make_chain

        upstream = upstream or self.upstream
        return make_chain(upstream, self.context(upstream))

    def resolve_tag(self, tag: str | None, chain: SourceChain, command: str) -> str:
        """``tag``, or the highest release for ``latest``."""
        from dssync._source.chain import resolve_tag

        return resolve_tag(tag, chain, prereleases=self.upstream.wants_prereleases,
                           command=command)


# --- drift ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftOptions:
    """``drift``: the vendored files against an upstream tag."""

    tag: str
    """A tag, or ``latest`` (the highest release)."""
    files: Sequence[str] = ()
    """Vendored files to check (default: every configured one)."""
    upstream_path: str | None = None
    """The one file's path upstream, for a file that is not configured."""
    renames: bool = True
    """Pair a removed and an added constant of the same value as a rename."""
    relative_to: str | None = None
    """Name vendored files by their path from this directory (default: the project root)."""


def render(report: DriftReport, fmt: str = "text") -> str:
    """A drift report in one of the formats ``dssync diff --format`` writes: ``text``,
    ``json``, ``markdown``, ``github``, ``sarif`` or ``html``."""
    from dssync._report.interface import get_formatter

    return get_formatter(fmt)(report)


def compare_files(old: str | Path, new: str | Path, *, renames: bool = True,
                  relative_to: str | None = None, cache: Cache | None = None) -> DriftReport:
    """Two local files, constant by constant (``old`` plays the vendored copy)."""
    from dssync._diff.engine import diff_tables
    from dssync._extract.files import read_bytes, shared_memo, table_from_bytes
    from dssync.models import DriftReport
    from dssync.targets import shown_path

    memo = shared_memo()
    old_bytes, new_bytes = read_bytes(old), read_bytes(new)
    old_table = table_from_bytes(old_bytes, str(old), cache, memo)
    new_table = table_from_bytes(new_bytes, str(new), cache, memo)
    file = diff_tables(old_table, new_table, vendored=shown_path(old, relative_to, str(old)),
                       upstream=str(new), renames=renames, modules=(old_bytes, new_bytes),
                       cache=cache)
    return DriftReport(files=[file])


def drift(project: Project, options: DriftOptions) -> DriftReport:
    """Every chosen vendored file against the same file upstream at ``options.tag``, with
    constants moved between files detected; a file gone upstream is all drift."""
    from dssync._diff.engine import diff_tables
    from dssync._extract.files import read_bytes, shared_memo, table_from_bytes
    from dssync._diff.moves import detect_moves
    from dssync._source.web import upstream_web
    from dssync.models import ConstantTable, DriftReport
    from dssync.targets import select_targets, shown_path

    if project.several:
        project.check_tag(options.tag, "diff")
        _refuse_upstream_path(options.upstream_path)
        return DriftReport.grouped([drift(sub, replace(options, files=files))
                                    for sub, files in project.split(options.files)])
    config = project.config
    targets = select_targets(config, options.files, options.upstream_path)
    chain = project.chain()
    web = upstream_web(project.upstream.specs(), project.upstream.github, chain.ctx.github_api_url)
    problems: list[str] = []
    appeared: set[str] = set()
    try:
        tag = project.resolve_tag(options.tag, chain, "diff")
        if config is not None and config.trees and not options.upstream_path:
            # A tree is matched against the release's files: one appearing there is reported.
            from dssync._trees import at_release

            targets, appeared = at_release(config, chain.list_files(tag)[1], targets,
                                           appeared=not options.files)
        result = chain.fetch_available(tag, [t.upstream for t in targets])
        if result.missing and not (config is not None and config.trees):
            # A file absent at the tag may have moved under src/ (a tree's was followed above).
            from dssync._trees import follow_src

            targets = follow_src(chain, tag, targets, result)
        absent = [t for t in targets if t.upstream not in result.files]
        # The lock is read only when something needs it: compare links, or a file gone upstream.
        lock = _lock_or_none(project, problems) if web is not None or absent else None
        gone = _gone(project, chain, tag, absent, result, lock)
    finally:
        chain.close()
    notes = [f"upstream {tag} read from {', '.join(result.answered)}"]
    if web is not None:
        notes += [f"no compare links: {problem}" for problem in problems]
    # The locked tags are the base of the compare links.
    locked = {v: entry.tag for v, entry in lock.entries.items()} if web is not None and lock else {}
    files = []
    memo = shared_memo()
    cache = chain.ctx.cache
    for target in targets:
        # A file new upstream has no vendored copy yet: compared as an empty module.
        mine = b"" if target.vendored in appeared else read_bytes(target.path)
        old = table_from_bytes(mine, str(target.path), cache, memo)
        got = result.files.get(target.upstream)
        if got is None:
            # The file is gone upstream (or not there yet): every constant in it is drift.
            new = ConstantTable(path=f"{target.upstream}@{tag}", constants={})
        else:
            new = table_from_bytes(got.content, f"{target.upstream}@{tag}", cache, memo)
        shown = shown_path(target.path, options.relative_to, target.vendored)
        file = diff_tables(old, new, vendored=shown, upstream=target.upstream,
                           pins=target.pins, renames=options.renames,
                           modules=(mine, got.content if got is not None else None),
                           cache=cache)
        file.origin = got.origin if got is not None else None
        file.gone = gone.get(target.vendored)
        file.locked_tag = locked.get(target.vendored)
        file.appeared = target.vendored in appeared
        files.append(file)
    return detect_moves(DriftReport(files=files, tag=tag, notes=notes, web=web,
                                    upstream=project.upstream.name or None))


def _refuse_upstream_path(upstream_path: str | None) -> None:
    """``--upstream-path`` reads one file of one upstream: with several, which one?"""
    if upstream_path:
        raise ConfigError("--upstream-path with several upstreams configured needs --upstream "
                          "NAME", hint="add --upstream NAME, or --config a configuration of one")


def _lock_or_none(project: Project, problems: list[str]) -> Lock | None:
    """The lock file, or None (with the reason in ``problems``): it is the base of the compare
    links and says which release a file gone upstream was vendored from. A lock that cannot be
    read costs only those, not the report."""
    if project.config is None:
        return None
    try:
        return project.lock()
    except ConfigError as exc:
        problems.append(str(exc))
        return None


def _gone(project: Project, chain: SourceChain, tag: str, absent: list[Target],
          result: FetchResult, lock: Lock | None) -> dict[str, Gone]:
    """What is known of each target no source has at ``tag``, by vendored path."""
    if not absent:
        return {}
    from dssync._diff.gone import gone_upstream, locked_tags, release_list  # (packaging)

    locked = locked_tags(lock, absent)
    fmt = chain.ctx.tag_format
    releases = release_list(lambda: chain.list_tags()[1], fmt, project.upstream.wants_prereleases)
    return {t.vendored: gone_upstream(tag, result.missing.get(t.upstream), result.answered,
                                      result.unchecked, locked.get(t.vendored), fmt, releases)
            for t in absent}


# --- tags -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagsOptions:
    limit: int | None = None
    """At most this many tags (default: all)."""


@dataclass
class TagList:
    tags: list[str]
    """Releases newest first (PEP 440), then tags that name no release."""
    hidden: list[str] = field(default_factory=list)
    """Pre- and development release tags left out, newest first (none with ``prereleases``)."""


def tags(project: Project, options: TagsOptions | None = None) -> TagList:
    """Upstream's tags, newest release first."""
    from dssync.versions import prerelease_tags, sort_tags_newest_first

    options = options or TagsOptions()
    project = project.one_for((), "tags")
    if options.limit is not None and options.limit < 1:
        raise DssyncError(f"a limit of {options.limit} lists nothing", hint="give 1 or more")
    chain = project.chain()
    try:
        _, names = chain.list_tags()
    finally:
        chain.close()
    fmt = chain.ctx.tag_format
    include = project.upstream.wants_prereleases
    ordered = sort_tags_newest_first(names, fmt, include_prereleases=include)
    if options.limit is not None:
        ordered = ordered[: options.limit]
    return TagList(ordered, [] if include else prerelease_tags(names, fmt))


# --- status -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusOptions:
    files: Sequence[str] = ()
    """Vendored files to check (default: every configured one, and the LICENSE copy)."""


def status(project: Project, options: StatusOptions | None = None) -> list[LocalState]:
    """Each vendored file against the lock; a modified one compared, constant by constant,
    with upstream as locked (when that can still be had)."""
    from dssync._analyses.status import LocalState, file_sha256, inspect
    from dssync.targets import select_targets

    options = options or StatusOptions()
    config = project.require_config(
        message="status needs a [tool.dssync] configuration and its lock file",
        hint="run it inside the project, or pass --config PATH")
    if project.several:
        return [state for sub, files in project.split(options.files)
                for state in status(sub, StatusOptions(files=files))]
    targets = select_targets(config, options.files)
    lock = project.lock()
    if config.trees and not options.files:
        # A tree's files are found on disk: one the lock records that is no longer there is
        # missing, not forgotten.
        from dssync.targets import Target

        listed = {t.vendored for t in targets}
        licensed = config.license.vendored if config.license is not None else None
        targets += [Target(v, config.resolve(v), e.upstream) for v, e in lock.entries.items()
                    if v not in listed and v != licensed and config.owns(v)]
    states = [inspect(project, t, lock.get(t.vendored)) for t in targets]
    if config.license is not None and not options.files:
        # vendor records the LICENSE copy in the lock too: it is checked by its hash.
        vendored = config.license.vendored
        states.append(LocalState(vendored, lock.get(vendored),
                                 file_sha256(config.resolve(vendored)), kind="license"))
    for state in states:
        state.upstream = config.name
    return states


# --- reading every release: history and identify -----------------------------------------------


@dataclass(frozen=True)
class WalkOptions:
    """Which releases to read, and how."""

    since: str | None = None
    """First release to read (a tag or a version)."""
    until: str | None = None
    """Last release to read (a tag or a version)."""
    jobs: int = 8
    """Concurrent downloads from the package index (GitHub is read one request at a time)."""


def walk_upstream(project: Project, paths: Sequence[str], walk_options: WalkOptions, *,
                  parse: bool = True) -> Walk:
    """The files at ``paths`` at every release tag, from the project's sources in order; with
    ``parse=False`` the contents are only fetched."""
    from functools import partial

    from dssync._analyses.progress import progress_for_stderr
    from dssync._analyses.walk import walk
    from dssync._source.chain import _stderr

    if walk_options.jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    chain = project.chain()
    try:
        # Each source is built only when its turn comes, as everywhere else.
        sources = [partial(chain.source, spec) for spec in chain.specs]
        return walk(sources, paths, tag_format=chain.ctx.tag_format, since=walk_options.since,
                    until=walk_options.until, prereleases=project.upstream.wants_prereleases,
                    cache=chain.ctx.cache, progress=progress_for_stderr(),
                    workers=walk_options.jobs, log=_stderr,
                    verbose=chain.ctx.verbose, parse=parse)
    finally:
        chain.close()


@dataclass(frozen=True)
class HistoryOptions(WalkOptions):
    files: Sequence[str] = ()
    """Configured vendored files (default: all); with ``upstream_path``, the name shown."""
    upstream_path: str | None = None
    only_changed: bool = False
    """Leave out constants that stayed the same across every release read."""


def history(project: Project, options: HistoryOptions | None = None) -> History:
    """Per constant, the release that introduced, changed and removed it."""
    from dssync._analyses.progress import progress_for_stderr
    from dssync._analyses.stored import cached_history

    options = options or HistoryOptions()
    if not options.upstream_path:
        project = project.one_for(options.files, "history")
    files = _history_files(project, options)
    # Fetched only: a history cached for the very same contents needs none of them parsed.
    walked = walk_upstream(project, [u for u, _ in files], options, parse=False)
    result = cached_history(walked, {u: v for u, v in files if v is not None},
                            since=options.since, until=options.until, cache=project.cache,
                            progress=progress_for_stderr())
    if options.only_changed:
        for f in result.files:
            f.hide_unchanged()
    return result


def _history_files(project: Project, options: HistoryOptions) -> list[tuple[str, str | None]]:
    """``(upstream path, vendored name or None)`` for each file to walk."""
    files = options.files
    if options.upstream_path:
        if len(files) > 1:
            raise ConfigError("--upstream-path goes with at most one --file",
                              hint="run once per file, or configure them")
        return [(options.upstream_path.strip("/"), files[0] if files else None)]
    config = project.require_config(hint="add one, or pass --source SPEC --upstream-path PATH")
    from dssync.targets import configured_files

    entries = [config.file_for(f) for f in files] if files else configured_files(config)
    if not entries:
        raise ConfigError("the configuration lists no files",
                          hint="add [[tool.dssync.files]] entries, or pass --upstream-path")
    return [(e.upstream, e.vendored) for e in entries]


@dataclass(frozen=True)
class IdentifyOptions(WalkOptions):
    vendored: str | None = None
    """The copy to identify (default: every configured vendored file)."""
    file: str | None = None
    """A configured vendored file whose upstream path to compare ``vendored`` with."""
    upstream_path: str | None = None


@dataclass
class Identification:
    """The release each copy matches best, and all of them together."""

    source: str
    tags: list[str]
    """Every release tag read, oldest first."""
    matches: list[tuple[Target, Match | None]]
    combined: Match | None
    """The best release for every copy at once (only with several copies)."""
    notes: list[str]

    @property
    def exact(self) -> bool:
        overall = self.combined if self.combined is not None else self.matches[0][1]
        return overall is not None and overall.exact


def identify(project: Project, options: IdentifyOptions | None = None) -> Identification:
    """Which upstream release each vendored copy (with or without a lock) came from."""
    from dssync._extract.files import table_from_file
    from dssync._analyses.identify import best_match, combine_scores, score_tags

    options = options or IdentifyOptions()
    if not options.upstream_path:
        named = options.file or options.vendored
        project = project.one_for([named] if named else [], "identify")
    copies = _copies(project.config, options)
    if not copies:
        raise ConfigError("the configuration lists no files",
                          hint="add [[tool.dssync.files]] entries, or name VENDORED.py")
    tables = [table_from_file(c.path, project.cache) for c in copies]  # a bad local file first
    walked = walk_upstream(project, list(dict.fromkeys(c.upstream for c in copies)), options)
    per_file = [score_tags(table, walked.snapshots[c.upstream], walked.tags, c.pins)
                for c, table in zip(copies, tables)]
    matches = [best_match(scores, skipped) for scores, skipped in per_file]
    combined = best_match(*combine_scores(per_file, walked.tags)) if len(copies) > 1 else None
    return Identification(walked.source, walked.tags, list(zip(copies, matches)), combined,
                          walked.notes)


def _copies(config: Config | None, options: IdentifyOptions) -> list[Target]:
    """The vendored copies to identify (one named, or the configured)."""
    from dssync.targets import Target

    if options.upstream_path:
        if not options.vendored:
            raise ConfigError("--upstream-path needs the vendored file to identify",
                              hint="dssync identify VENDORED.py --source SPEC --upstream-path PATH")
        return [Target(options.vendored, Path(options.vendored), options.upstream_path.strip("/"))]
    if config is None:
        raise ConfigError(NO_CONFIG,
                          hint="add one, or pass VENDORED.py --source SPEC --upstream-path PATH")
    if options.file:
        entry = config.file_for(options.file)
        if options.vendored:
            return [Target(options.vendored, Path(options.vendored), entry.upstream)]
        return [Target(entry.vendored, config.resolve(entry.vendored), entry.upstream, entry.pins)]
    if options.vendored:
        entry = config.file_for(options.vendored)
        return [Target(entry.vendored, config.resolve(entry.vendored), entry.upstream, entry.pins)]
    from dssync.targets import configured_files

    return [Target(e.vendored, config.resolve(e.vendored), e.upstream, e.pins)
            for e in configured_files(config)]


# --- impact -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactOptions:
    tag: str
    files: Sequence[str] = ()
    """Configured vendored files to check (default: all); with ``upstream_path``, the one
    vendored file."""
    paths: Sequence[str] = ()
    """Files or directories to scan (default: the project root, without vendored/)."""
    upstream_path: str | None = None


def impact(project: Project, options: ImpactOptions) -> Impact:
    """Where the project's own code uses constants that drifted at ``options.tag``."""
    from dssync._analyses.consumers import SKIPPED_DIRS, scan_paths
    from dssync._analyses.drifted import (
        Impact, drifted_constants, group_uses, module_targets, wanted_names,
    )
    from dssync.targets import select_targets

    if not options.tag:
        raise DssyncError("impact needs --tag TAG (or --tag latest)",
                          hint="the tag whose drift to look for in consuming code")
    project.check_tag(options.tag, "impact")
    if options.upstream_path and len(options.files) != 1:
        raise ConfigError("--upstream-path goes with exactly one --file (the vendored copy)",
                          hint="dssync impact --tag TAG --file VENDORED.py --source SPEC "
                               "--upstream-path PATH")
    if not options.upstream_path:
        project.require_config(hint="add one, or pass --file VENDORED.py --source SPEC "
                                    "--upstream-path PATH")
    for p in options.paths:
        if not Path(p).exists():
            raise DssyncError("no such file or directory", path=p, hint="check the path")
    root = project.root
    targets = select_targets(project.config, options.files, options.upstream_path)
    # The vendored files against the tag, exactly as ``drift`` compares them.
    report = drift(project, DriftOptions(tag=options.tag, files=options.files,
                                         upstream_path=options.upstream_path))
    source = ", ".join(dict.fromkeys(f.origin.source for f in report.files
                                     if f.origin is not None)) or "upstream"
    drifted = drifted_constants(report)
    paths = [Path(p) for p in options.paths] or [root]
    # Named directories are scanned even if called vendored; the default root is not.
    skip_dirs = SKIPPED_DIRS if not options.paths else SKIPPED_DIRS - {"vendored"}
    scan = scan_paths(paths, root, module_targets(report), wanted_names(drifted),
                      skip_dirs=skip_dirs, skip_files=[t.path for t in targets],
                      cache=project.cache)
    return Impact(tag=report.tag or options.tag, source=source, drifted=drifted,
                  uses=group_uses(scan.uses), scan=scan, notes=list(report.notes))


# --- vendor -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VendorOptions:
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
    project._lock = lock
    tags = {tag for _, tag, _ in planned}
    return VendorResult(tags.pop() if len(tags) == 1 else "", written, config.lock, changed)


def _vendor_fetch(project: Project, files: Sequence[str], options: VendorOptions,
                  lock: Lock) -> tuple[str, list[tuple[str, Fetched]]]:
    """One upstream's files to vendor, fetched at its tag (nothing written)."""
    from dssync.targets import select_targets

    config = project.config
    assert config is not None
    targets = select_targets(config, files)
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
