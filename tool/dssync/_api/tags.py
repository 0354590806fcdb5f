"""Upstream's release tags, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dssync.errors import DssyncError

if TYPE_CHECKING:
    from dssync._api.project import Project


@dataclass(frozen=True)
class TagsOptions:
    """How many tags ``tags`` lists."""

    limit: int | None = None
    """At most this many tags (default: all)."""


@dataclass
class TagList:
    """Upstream's tags, in the order ``tags`` shows them."""

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
