"""Everything a command needs to read upstream: configuration, sources in order, the tag."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from dssync._source.interface import Fetched, SourceContext, UpstreamSource, parse_source_spec
from dssync.cache import Cache, default_cache_root
from dssync.errors import (
    ConfigError, DssyncError, NotFound, OfflineMiss, SourceUnavailable,
)

SOURCE_KINDS = ("github", "pypi", "git")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def load_project_config(args: argparse.Namespace):
    from dssync.config import load_config

    explicit = Path(args.config) if getattr(args, "config", None) else None
    return load_config(explicit, start=Path.cwd())


def make_context(args: argparse.Namespace, config) -> SourceContext:
    if args.no_cache:
        cache = Cache(None)
    else:
        cache = Cache(Path(args.cache_dir) if args.cache_dir else default_cache_root())
    ctx = SourceContext(cache=cache, offline=args.offline, verbose=getattr(args, "verbose", False),
                        log=_stderr)
    if args.offline and not cache.enabled:
        raise DssyncError("--offline needs the cache, but --no-cache was given",
                          hint="drop one of the two options")
    if config is not None:
        ctx.tag_format = config.tag_format
        ctx.index_url = config.index_url
        if config.github_api_url:
            ctx.github_api_url = config.github_api_url.rstrip("/")
        if config.github_raw_url:
            ctx.github_raw_url = config.github_raw_url.rstrip("/")
    if args.index_url:
        ctx.index_url = args.index_url
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
class SourceChain:
    """Sources in the order to try them; an unreachable one hands over to the next."""

    sources: list[UpstreamSource]
    ctx: SourceContext

    def _each(self, what: str, call):
        misses: list[str] = []
        for i, source in enumerate(self.sources):
            try:
                return source, call(source)
            except (SourceUnavailable, OfflineMiss) as exc:
                misses.append(f"{source.spec}: {exc}")
                if i + 1 < len(self.sources):
                    _stderr(f"dssync: {source.spec} could not answer ({exc}); trying "
                            f"{self.sources[i + 1].spec}")
        if self.ctx.offline:
            raise OfflineMiss(f"no cached answer for {what}: " + " | ".join(misses),
                              hint="run once without --offline to fill the cache")
        raise SourceUnavailable(f"no upstream source could answer for {what}: " + " | ".join(misses),
                                hint="check the network, or name another --source")

    def list_tags(self) -> tuple[UpstreamSource, list[str]]:
        return self._each("the list of tags", lambda s: s.list_tags())

    def fetch(self, tag: str, paths: Sequence[str]) -> tuple[UpstreamSource, dict[str, Fetched]]:
        return self._each(f"{', '.join(paths)} at {tag}", lambda s: s.fetch(tag, paths))


def source_specs(args: argparse.Namespace, config) -> list[str]:
    if args.source:
        return list(args.source)
    if config is not None:
        return config.source_specs()
    raise ConfigError("no upstream source: no [tool.dssync] configuration was found here",
                      hint="pass --source github:OWNER/REPO, pypi:PACKAGE or git:PATH, or add a configuration")


def make_chain(args: argparse.Namespace, config) -> SourceChain:
    ctx = make_context(args, config)
    return SourceChain([make_source(spec, ctx) for spec in source_specs(args, config)], ctx)


def resolve_tag(args: argparse.Namespace, chain: SourceChain, config) -> str:
    tag = args.tag
    if tag != "latest":
        return tag
    from dssync.versions import latest_tag

    include = args.prereleases or bool(config is not None and config.prereleases)
    source, tags = chain.list_tags()
    latest = latest_tag(tags, chain.ctx.tag_format, include_prereleases=include)
    if latest is None:
        raise NotFound(f"{source.spec} has no release tag matching {chain.ctx.tag_format!r}",
                       hint="name a tag with --tag, or set tag-format in the configuration")
    return latest
