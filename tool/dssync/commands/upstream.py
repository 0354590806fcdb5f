"""Everything a command needs to read upstream: configuration, sources in order, the tag."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar

from dssync._source.interface import Fetched, SourceContext, UpstreamSource, parse_source_spec
from dssync.commands.options import cache_from_args
from dssync.errors import (
    ConfigError, DssyncError, NotFound, OfflineMiss, PathNotFound, SourceUnavailable,
    UpstreamError,
)

if TYPE_CHECKING:
    from dssync.config import Config

_T = TypeVar("_T")

SOURCE_KINDS = ("github", "pypi", "git")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def load_project_config(args: argparse.Namespace) -> Config | None:
    from dssync.config import load_config

    explicit = Path(args.config) if getattr(args, "config", None) else None
    return load_config(explicit, start=Path.cwd())


def make_context(args: argparse.Namespace, config: Config | None) -> SourceContext:
    cache = cache_from_args(args)
    ctx = SourceContext(cache=cache, offline=args.offline, verbose=getattr(args, "verbose", False),
                        log=_stderr)
    if args.offline and not cache.enabled:
        raise DssyncError("--offline needs the cache, but --no-cache was given",
                          hint="drop one of the two options")
    if config is not None:
        ctx.tag_format = config.tag_format
        ctx.index_url = config.index_url
        if config.download_timeout is not None:
            ctx.download_timeout = config.download_timeout
        if config.github_api_url:
            ctx.github_api_url = config.github_api_url.rstrip("/")
        if config.github_raw_url:
            ctx.github_raw_url = config.github_raw_url.rstrip("/")
    if args.index_url:
        ctx.index_url = args.index_url
    if getattr(args, "download_timeout", None) is not None:
        ctx.download_timeout = args.download_timeout
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
        from dssync._net.http import redact

        return redact(spec)

    def _each(self, what: str, call: Callable[[UpstreamSource], _T]) -> tuple[UpstreamSource, _T]:
        misses: list[str] = []
        hints: list[str] = []
        not_found: NotFound | None = None
        refused: UpstreamError | None = None
        for i, spec in enumerate(self.specs):
            try:
                source = self.source(spec)
                self.answered_index = i
                return source, call(source)
            except (SourceUnavailable, OfflineMiss) as exc:
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
                misses.append(f"{self.shown(spec)}: {exc.brief}")
                hints += [exc.hint] if exc.hint and exc.hint not in hints else []
                reason = f"failed ({exc.brief})"
            if i + 1 < len(self.specs):
                _stderr(f"dssync: {self.shown(spec)} {reason}; trying {self.shown(self.specs[i + 1])}")
        if refused is not None and len(misses) == 1:
            raise refused  # the one source that failed, in its own words
        if not_found is not None:
            raise not_found
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


def source_specs(args: argparse.Namespace, config: Config | None) -> list[str]:
    if args.source:
        return list(args.source)
    if config is not None:
        return config.source_specs()
    raise ConfigError("no upstream source: no [tool.dssync] configuration was found here",
                      hint="pass --source github:OWNER/REPO, pypi:PACKAGE or git:PATH, or add a configuration")


def make_chain(args: argparse.Namespace, config: Config | None) -> SourceChain:
    ctx = make_context(args, config)
    specs = source_specs(args, config)
    for spec in specs:
        if parse_source_spec(spec)[0] not in SOURCE_KINDS:
            raise DssyncError(f"unknown source {spec!r}",
                              hint="use github:OWNER/REPO, pypi:PACKAGE or git:PATH_OR_URL")
    return SourceChain(specs, ctx)


def _check_pip_index_url() -> None:
    """``PIP_INDEX_URL`` and pip's configuration files are ``--index-url`` by other names:
    checked as early, so that a run the cache answers does not hide a mistake the next run
    would stumble on."""
    import os

    from dssync.urls import INDEX_SCHEMES, describe, url_problem

    value = os.environ.get("PIP_INDEX_URL", "").strip()
    if not value:
        from dssync._net.index_url import index_url_from_files, pip_config_files

        index_url_from_files(pip_config_files())  # raises for a value that is not a URL
        return
    problem = url_problem(value, INDEX_SCHEMES) if value else None
    if problem is not None:
        from dssync._net.http import redact

        raise ConfigError(f"PIP_INDEX_URL '{redact(value)}' is not a usable URL: {problem}",
                          hint=f"set it to {describe(INDEX_SCHEMES)}, unset it, or pass --index-url")


def wants_prereleases(args: argparse.Namespace, config: Config | None) -> bool:
    """PEP 440: pre- and development releases only when asked for (``--prereleases`` or the
    configuration's ``prereleases = true``)."""
    return bool(getattr(args, "prereleases", False) or (config is not None and config.prereleases))


def resolve_tag(args: argparse.Namespace, chain: SourceChain, config: Config | None) -> str:
    tag = args.tag
    if tag is None:
        raise DssyncError(f"{args.command} needs the upstream tag to read",
                          hint="pass --tag TAG (or --tag latest for the highest release)")
    if tag != "latest":
        return tag
    from dssync.versions import latest_tag

    source, tags = chain.list_tags()
    latest = latest_tag(tags, chain.ctx.tag_format, include_prereleases=wants_prereleases(args, config))
    if latest is None:
        raise NotFound(f"{source.spec} has no release tag matching {chain.ctx.tag_format!r}",
                       hint="name a tag with --tag, or set tag-format in the configuration")
    return latest
