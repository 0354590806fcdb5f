"""What every upstream source offers: its tags, and files' bytes at a tag.

A source is one way of reaching upstream (GitHub's API, the package index, git). Sources are
tried in the configured order; a source that fails (``SourceUnavailable``, ``NotFound``, or
content it served being refused: ``IntegrityError`` and other ``UpstreamError``) lets the next
one try, with a line on stderr saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

from dssync.cache import Cache
from dssync.errors import OfflineMiss
from dssync.models import Origin


DEFAULT_DOWNLOAD_TIMEOUT = 300.0
"""Five minutes: a 200 MiB sdist (the largest accepted) at under a megabyte a second."""


@dataclass(frozen=True)
class Fetched:
    """A file's bytes and exactly where they came from."""

    content: bytes
    origin: Origin


@dataclass
class SourceContext:
    """Settings shared by all sources in one run."""

    cache: Cache
    offline: bool = False
    verbose: bool = False
    index_url: str | None = None
    """Overrides the package index pip would use."""
    github_api_url: str = "https://api.github.com"
    github_raw_url: str = "https://raw.githubusercontent.com"
    tag_format: str = "v{version}"
    """How a release version maps to an upstream tag (and back)."""
    log: Callable[[str], None] = lambda line: None
    """Where verbose request lines and fall-through notices go (stderr in the CLI)."""
    timeout: tuple[float, float] = (10.0, 60.0)
    max_retry_seconds: float = 60.0
    download_timeout: float = DEFAULT_DOWNLOAD_TIMEOUT
    """The most one download may take in all, retries included: a server that trickles its
    answer (a byte within every read timeout) is cut off here."""

    def kept_names(self, spec: str, fetch: Callable[[], list[str]], *,
                   keys: tuple[str, ...] = ()) -> list[str]:
        """The names ``fetch`` lists for ``spec`` (tags, release versions), kept in the cache
        so that ``--offline`` answers with what the last run that asked was told. ``keys`` are
        where they are kept (default: ``spec``), read in that order offline: the package index
        keeps its answers per index, and offline the index asked last serves."""
        keys = keys or (spec,)
        if not self.offline:
            names = fetch()
            for key in keys:
                self.cache.write_json("tags", key, names)
            return names
        cached = None
        for key in keys:
            cached = self.cache.read_json("tags", key)
            if isinstance(cached, list):
                break
        if not isinstance(cached, list):
            raise OfflineMiss(f"--offline: the cache does not hold the tag list of {spec}",
                              hint="run once without --offline to fill the cache")
        if self.verbose:
            self.log(f"{spec}: the cache answered with the tag list (--offline: upstream was "
                     "not asked)")
        return [name for name in cached if isinstance(name, str)]


class UpstreamSource(Protocol):
    """One place an upstream's releases can be read from: its tags, and its files at a tag."""

    kind: str
    """``github``, ``pypi`` or ``git``."""
    spec: str
    """How the user names it, e.g. ``github:microsoft/DeepSpeed``."""

    def list_tags(self) -> list[str]:
        """Every tag name upstream has, in no particular order."""
        ...

    def list_files(self, tag: str) -> list[str]:
        """Every file upstream has at ``tag`` (repository-relative, ``/``-separated; an sdist's
        below its top-level directory): what a tree mapping is matched against."""
        ...

    def fetch(self, tag: str, paths: Sequence[str]) -> dict[str, Fetched]:
        """The files at ``paths`` (repository-relative, ``/``-separated) as of ``tag``.

        Raises ``NotFound`` naming the missing tag or path, ``SourceUnavailable`` when the source
        cannot be reached, ``IntegrityError`` when content fails verification.
        """
        ...


def parse_source_spec(spec: str) -> tuple[str, str]:
    """Split ``kind:target`` into its parts; validation is the factory's job."""
    kind, sep, target = spec.partition(":")
    if not sep or not target:
        return "", spec
    return kind, target


SourceFactory = Callable[[str, SourceContext], UpstreamSource]


def local_path(target: str) -> Path:
    return Path(target).expanduser()
