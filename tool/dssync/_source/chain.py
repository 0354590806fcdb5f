"""The sources of one upstream, in order: the chain that asks each in turn.

``Upstream`` is what the configuration and the command line say about one upstream (a
project lists one today; the ``Project`` holds them as a list so that several can come).
``SourceChain`` asks its sources in order, an unreachable one handing over to the next.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar

from dssync._source.interface import Fetched, SourceContext, UpstreamSource, parse_source_spec
from dssync.errors import (
    ConfigError, DssyncError, NotFound, OfflineMiss, PathNotFound, SourceUnavailable,
    UpstreamError,
)

if TYPE_CHECKING:
    from dssync.cache import Cache
    from dssync.config import Config

_T = TypeVar("_T")

SOURCE_KINDS = ("github", "pypi", "git")


_STDERR = threading.Lock()


def _stderr(line: str) -> None:
    """One line on stderr, in one write under a lock: concurrent downloads log from several
    threads, and ``print`` writes the text and its newline apart (two messages on one line)."""
    with _STDERR:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


class HandOvers:
    """The "X could not answer; trying Y" lines of one request to a chain of sources.

    With ``-v`` each is said as it happens. Otherwise it is said only once a later source
    answers (the report then comes from elsewhere than the first source): when none does, the
    error that ends the run is its one line on stderr, and a hand-over line would only repeat it.
    """

    def __init__(self, log: Callable[[str], None], *, verbose: bool) -> None:
        self._log = log
        self._verbose = verbose
        self._pending: list[str] = []
        self.failed: list[str] = []
        """The sources that could not answer at all (unreachable, not cached, refused)."""

    def hand_over(self, line: str) -> None:
        if self._verbose:
            self._log(line)
        else:
            self._pending.append(line)

    def answered(self) -> None:
        for line in self._pending:
            self._log(line)
        self._pending.clear()

    def not_found(self, exc: NotFound) -> NotFound:
        """``exc``, the answer that ends the run, naming the sources that could not be asked."""
        if self.failed:
            exc.message = f"{exc.message} ({', '.join(self.failed)} could not answer)"
        return exc


@dataclass(frozen=True)
class Upstream:
    """One upstream as the configuration and the command line say to read it."""

    given: tuple[str, ...] = ()
    """Sources named on the command line (``--source``); they replace the configured ones."""
    config: Config | None = None
    index_url: str | None = None
    """``--index-url``: beats the configuration's."""
    download_timeout: float | None = None
    """``--download-timeout``: beats the configuration's."""
    prereleases: bool = False
    """``--prereleases``; the configuration's ``prereleases = true`` says so too."""

    def specs(self) -> list[str]:
        """The sources in order: given, else configured; an error when there are none."""
        if self.given:
            return list(self.given)
        if self.config is not None:
            return self.config.source_specs()
        raise ConfigError("no upstream source: no [tool.dssync] configuration was found here",
                          hint="pass --source github:OWNER/REPO, pypi:PACKAGE or git:PATH, or add a configuration")

    @property
    def wants_prereleases(self) -> bool:
        """PEP 440: pre- and development releases only when asked for."""
        return self.prereleases or (self.config is not None and self.config.prereleases)

    @property
    def name(self) -> str:
        """What ``--upstream`` takes and reports group by."""
        return self.config.name if self.config is not None else ""

    @property
    def github(self) -> str | None:
        """The configured GitHub project (for links to upstream's web pages)."""
        return self.config.github if self.config is not None else None


def make_context(upstream: Upstream, cache: Cache, *, offline: bool = False,
                 verbose: bool = False) -> SourceContext:
    """The settings every source of ``upstream`` shares in one run."""
    ctx = SourceContext(cache=cache, offline=offline, verbose=verbose, log=_stderr)
    if offline and not cache.enabled:
        raise DssyncError("--offline needs the cache, but --no-cache was given",
                          hint="drop one of the two options")
    config = upstream.config
    if config is not None:
        ctx.tag_format = config.tag_format
        ctx.index_url = config.index_url
        if config.download_timeout is not None:
            ctx.download_timeout = config.download_timeout
        if config.github_api_url:
            ctx.github_api_url = config.github_api_url.rstrip("/")
        if config.github_raw_url:
            ctx.github_raw_url = config.github_raw_url.rstrip("/")
    if upstream.index_url:
        ctx.index_url = upstream.index_url
    if upstream.download_timeout is not None:
        ctx.download_timeout = upstream.download_timeout
    return ctx


def make_source(spec: str, ctx: SourceContext) -> UpstreamSource:
    kind, target = parse_source_spec(spec)
    if kind == "github":
        from dssync._source.github import GitHubSource

        if target.count("/") != 1 or not all(target.split("/")):
            raise DssyncError(f"bad source {spec!r}", hint="write github:OWNER/REPO")
        return GitHubSource(target, ctx)
    if kind == "pypi":
        from dssync._source.package_index import PackageIndexSource

        return PackageIndexSource(target, ctx, index_url=ctx.index_url)
    if kind == "git":
        from dssync._source.git import GitSource

        return GitSource(target, ctx)
    raise DssyncError(f"unknown source {spec!r}",
                      hint="use github:OWNER/REPO, pypi:PACKAGE or git:PATH_OR_URL")


@dataclass
class FetchResult:
    """What the sources, asked in order, gave for the files asked about at one tag."""

    files: dict[str, Fetched] = field(default_factory=dict)
    missing: dict[str, PathNotFound] = field(default_factory=dict)
    """Files no source has at the tag: they do not exist upstream (any more, or yet)."""
    answered: list[str] = field(default_factory=list)
    """The specs of the sources that answered, in the order asked."""
    unchecked: list[str] = field(default_factory=list)
    """Sources that could not be asked about the missing files (unreachable)."""


def _fetch_present(source: UpstreamSource, tag: str, paths: Sequence[str]
                   ) -> tuple[dict[str, Fetched], dict[str, PathNotFound]]:
    """``source.fetch`` for the paths it has; the ones it lacks are returned, not raised."""
    absent: dict[str, PathNotFound] = {}
    todo = list(paths)
    while todo:
        try:
            return source.fetch(tag, todo), absent
        except PathNotFound as exc:
            if exc.upstream_path not in todo:
                raise
            absent[exc.upstream_path] = exc
            todo.remove(exc.upstream_path)
    return {}, absent


class SourceChain:
    """Sources in the order to try them; an unreachable one hands over to the next.

    A source is built only when its turn comes, so a run the first source answers never
    imports (or connects to) the others.
    """

    def __init__(self, specs: Sequence[str], ctx: SourceContext) -> None:
        self.specs = list(specs)
        self.ctx = ctx
        if ctx.index_url is None and any(parse_source_spec(s)[0] == "pypi" for s in self.specs):
            _check_pip_index_url()
        self._built: dict[str, UpstreamSource] = {}
        self.answered_index = 0
        """Where in ``specs`` the source that answered last stands."""

    def source(self, spec: str) -> UpstreamSource:
        if spec not in self._built:
            self._built[spec] = make_source(spec, self.ctx)
        return self._built[spec]

    def shown(self, spec: str) -> str:
        """How a source is named in messages: never with the credentials a URL may carry."""
        from dssync._source.redact import redact

        return redact(spec)

    def _each(self, what: str, call: Callable[[UpstreamSource], _T]) -> tuple[UpstreamSource, _T]:
        misses: list[str] = []
        hints: list[str] = []
        not_found: NotFound | None = None
        refused: UpstreamError | None = None
        handovers = HandOvers(_stderr, verbose=self.ctx.verbose)
        for i, spec in enumerate(self.specs):
            try:
                source = self.source(spec)
                self.answered_index = i
                answer = call(source)
                handovers.answered()
                return source, answer
            except (SourceUnavailable, OfflineMiss) as exc:
                handovers.failed.append(self.shown(spec))
                misses.append(f"{self.shown(spec)}: {exc.brief}")
                hints += [exc.hint] if exc.hint and exc.hint not in hints else []
                reason = f"could not answer ({exc.brief})"
            except NotFound as exc:
                # Sources need not agree on what exists: an sdist lacks files a repository has,
                # a repository may have tags that were never released on the index.
                not_found = not_found or exc
                reason = f"does not have it ({exc.brief})"
            except UpstreamError as exc:
                # What one source served was refused (it failed verification, broke a limit,
                # or the server said no): another route to upstream may serve it whole.
                refused = refused or exc
                handovers.failed.append(self.shown(spec))
                misses.append(f"{self.shown(spec)}: {exc.brief}")
                hints += [exc.hint] if exc.hint and exc.hint not in hints else []
                reason = f"failed ({exc.brief})"
            if i + 1 < len(self.specs):
                handovers.hand_over(f"dssync: {self.shown(spec)} {reason}; "
                                    f"trying {self.shown(self.specs[i + 1])}")
        if refused is not None and len(misses) == 1:
            raise refused  # the one source that failed, in its own words
        if not_found is not None:
            raise handovers.not_found(not_found)
        # One hint: the sources' own when they agree on one (set GITHUB_TOKEN, raise
        # --download-timeout), else the general one.
        if self.ctx.offline:
            raise OfflineMiss(f"no cached answer for {what}: " + " | ".join(misses),
                              hint="run once without --offline to fill the cache")
        raise SourceUnavailable(f"no upstream source could answer for {what}: " + " | ".join(misses),
                                hint=hints[0] if len(hints) == 1
                                else "check the network, or name another --source")

    def list_tags(self) -> tuple[UpstreamSource, list[str]]:
        return self._each("the list of tags", lambda s: s.list_tags())

    def list_files(self, tag: str) -> tuple[UpstreamSource, list[str]]:
        """Every file at ``tag``, from the first source that can list them."""
        return self._each(f"the files at {tag}", lambda s: s.list_files(tag))

    def fetch_available(self, tag: str, paths: Sequence[str]) -> FetchResult:
        """The files that exist upstream at ``tag``, and those that exist in no source."""
        result = FetchResult()
        remaining = list(paths)
        specs = self.specs
        try:
            while remaining:
                try:
                    source, (got, absent) = self._each(f"{', '.join(remaining)} at {tag}",
                                                       lambda s: _fetch_present(s, tag, remaining))  # noqa: B023 - called at once
                except (SourceUnavailable, OfflineMiss):
                    if not result.answered:
                        raise
                    # One source said these files do not exist; no other could say otherwise.
                    result.unchecked.extend(self.specs)
                    break
                result.answered.append(source.spec)
                result.files.update(got)
                result.missing.update(absent)
                later = self.specs[self.answered_index + 1:]
                if not absent or not later:
                    break
                _stderr(f"dssync: {source.spec} has no {', '.join(absent)} at {tag}; "
                        f"trying {self.shown(later[0])}")
                remaining = list(absent)
                self.specs = later
        finally:
            self.specs = specs
        for path in result.files:
            result.missing.pop(path, None)
        return result

    def fetch(self, tag: str, paths: Sequence[str]) -> tuple[UpstreamSource, dict[str, Fetched]]:
        """Every one of ``paths`` at ``tag``; a file no source has is an error."""
        result = self.fetch_available(tag, paths)
        if result.missing:
            raise next(iter(result.missing.values()))
        return self.source(result.answered[0]), result.files

    def close(self) -> None:
        for source in self._built.values():
            close = getattr(source, "close", None)
            if close is not None:
                close()


def make_chain(upstream: Upstream, ctx: SourceContext) -> SourceChain:
    """The chain of ``upstream``'s sources, each checked to be of a known kind."""
    specs = upstream.specs()
    for spec in specs:
        if parse_source_spec(spec)[0] not in SOURCE_KINDS:
            raise DssyncError(f"unknown source {spec!r}",
                              hint="use github:OWNER/REPO, pypi:PACKAGE or git:PATH_OR_URL")
    return SourceChain(specs, ctx)


def resolve_tag(tag: str | None, chain: SourceChain, *, prereleases: bool, command: str) -> str:
    """``tag`` as given, or the highest release for ``latest``."""
    if tag is None:
        raise DssyncError(f"{command} needs the upstream tag to read",
                          hint="pass --tag TAG (or --tag latest for the highest release)")
    if tag != "latest":
        return tag
    from dssync.versions import latest_tag

    source, tags = chain.list_tags()
    latest = latest_tag(tags, chain.ctx.tag_format, include_prereleases=prereleases)
    if latest is None:
        raise NotFound(f"{source.spec} has no release tag matching {chain.ctx.tag_format!r}",
                       hint="name a tag with --tag, or set tag-format in the configuration")
    return latest


def _check_pip_index_url() -> None:
    """``PIP_INDEX_URL`` and pip's configuration files are ``--index-url`` by other names:
    checked as early, so that a run the cache answers does not hide a mistake the next run
    would stumble on."""
    import os

    from dssync.urls import INDEX_SCHEMES, describe, url_problem

    value = os.environ.get("PIP_INDEX_URL", "").strip()
    if not value:
        from dssync._source.index_url import index_url_from_files, pip_config_files

        index_url_from_files(pip_config_files())  # raises for a value that is not a URL
        return
    problem = url_problem(value, INDEX_SCHEMES) if value else None
    if problem is not None:
        from dssync._source.redact import redact

        raise ConfigError(f"PIP_INDEX_URL '{redact(value)}' is not a usable URL: {problem}",
                          hint=f"set it to {describe(INDEX_SCHEMES)}, unset it, or pass --index-url")
