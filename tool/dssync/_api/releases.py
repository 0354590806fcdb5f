"""Reading a file at every release: what history and identify share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from dssync.errors import ConfigError

if TYPE_CHECKING:
    from dssync._analyses.walk import Walk
    from dssync._api.project import Project


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
