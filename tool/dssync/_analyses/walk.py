"""Walk upstream's release tags: fetch the files at every tag, parse each distinct content once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from dssync._analyses.fetch import DEFAULT_WORKERS, fetch_across
from dssync._analyses.progress import NoProgress, Progress
from dssync._analyses.tags import release_tags
from dssync._source.chain import HandOvers
from dssync._source.interface import Fetched, UpstreamSource
from dssync.cache import Cache
from dssync.errors import DssyncError, NotFound, OfflineMiss, SourceUnavailable
from dssync.models import ConstantTable, Origin

PRESENT, ABSENT, UNREADABLE = "present", "absent", "unreadable"


@dataclass
class Snapshot:
    """One upstream file at one tag."""

    tag: str
    path: str
    status: str
    """``present``, ``absent`` (no such file at that tag) or ``unreadable`` (not parseable)."""
    table: ConstantTable | None = None
    sha256: str | None = None
    origin: Origin | None = None
    error: str | None = None


@dataclass
class Walk:
    """Every release's snapshot of the files walked, from the source that answered."""

    source: str
    """The spec of the source that answered."""
    tags: list[str]
    """Oldest release first."""
    snapshots: dict[str, dict[str, Snapshot]] = field(default_factory=dict)
    """upstream path -> tag -> snapshot."""
    notes: list[str] = field(default_factory=list)
    parsed: int = 0
    """How many distinct contents were parsed (or loaded from the table cache)."""
    fetched: dict[tuple[str, str], Fetched | None] = field(default_factory=dict, repr=False)
    """After ``walk(parse=False)``: each (tag, path)'s content, until ``parse_walk`` turns them
    into ``snapshots`` (which stay empty until then)."""

    def contents(self, path: str) -> list[str | None]:
        """The sha256 of ``path``'s content at each tag, None where it is absent."""
        if self.fetched:
            return [f.origin.sha256 if f is not None else None
                    for f in (self.fetched.get((tag, path)) for tag in self.tags)]
        snaps = self.snapshots.get(path, {})
        return [s.sha256 if s is not None and s.status != ABSENT else None
                for s in (snaps.get(tag) for tag in self.tags)]


def parse_snapshots(fetched: dict[tuple[str, str], Fetched | None], tags: Sequence[str],
                    paths: Sequence[str], cache: Cache | None,
                    progress: Progress) -> tuple[dict[str, dict[str, Snapshot]], int]:
    """Snapshots of every fetched pair; identical contents share one parsed table."""
    from dssync._extract.table_json import Memo, load_table

    by_sha: dict[str, ConstantTable | DssyncError] = {}
    memo = Memo()  # releases share most constants and values: each is read once
    distinct = {f.origin.sha256 for f in fetched.values() if f is not None}
    progress.start("parsing", len(distinct))
    out: dict[str, dict[str, Snapshot]] = {path: {} for path in paths}
    for tag in tags:
        for path in paths:
            got = fetched.get((tag, path))
            if got is None:
                out[path][tag] = Snapshot(tag, path, ABSENT)
                continue
            sha = got.origin.sha256
            if sha not in by_sha:
                try:
                    by_sha[sha] = load_table(got.content, f"{path}@{tag}", cache, memo)
                except DssyncError as exc:
                    by_sha[sha] = exc
                progress.advance()
            parsed = by_sha[sha]
            if isinstance(parsed, DssyncError):
                out[path][tag] = Snapshot(tag, path, UNREADABLE, sha256=sha,
                                          origin=got.origin, error=str(parsed))
            else:
                out[path][tag] = Snapshot(tag, path, PRESENT, parsed, sha, got.origin)
    return out, len(by_sha)


def parse_walk(result: Walk, cache: Cache | None, progress: Progress | None = None) -> None:
    """Parse what ``walk(parse=False)`` fetched: fills ``snapshots`` and ``parsed``."""
    if not result.fetched:
        return
    paths = list(result.snapshots)  # ``walk`` lists every path there, even unparsed
    progress = progress or NoProgress()
    try:
        result.snapshots, result.parsed = parse_snapshots(result.fetched, result.tags, paths,
                                                          cache, progress)
    finally:
        progress.stop()
    result.fetched = {}


SourceLike = UpstreamSource | Callable[[], UpstreamSource]


def walk(sources: Sequence[SourceLike], paths: Sequence[str], *, tag_format: str,
         since: str | None = None, until: str | None = None, prereleases: bool = False,
         cache: Cache | None = None, progress: Progress | None = None,
         workers: int = DEFAULT_WORKERS, log: Callable[[str], None] = lambda line: None,
         verbose: bool = False, parse: bool = True) -> Walk:
    """Every path at every release tag, from the first source that can answer for all of them.

    ``sources`` are sources, or functions that build one when its turn comes. A source that
    cannot be reached (or, offline, has not been cached) or has no release tags hands the whole
    walk to the next one, so one walk never mixes two sources' answers. With ``parse=False``
    the contents are only fetched (``Walk.fetched``), for a caller that may not need them
    parsed; ``parse_walk`` parses them later.
    """
    progress = progress or NoProgress()
    paths = list(dict.fromkeys(paths))
    misses: list[str] = []
    not_found: NotFound | None = None
    offline = False
    handovers = HandOvers(log, verbose=verbose)
    try:
        for i, item in enumerate(sources):
            source = item() if callable(item) else item
            try:
                answer = _walk_one(source, paths, tag_format=tag_format, since=since,
                                   until=until, prereleases=prereleases, cache=cache,
                                   progress=progress, workers=workers, parse=parse)
                handovers.answered()
                return answer
            except (SourceUnavailable, OfflineMiss) as exc:
                handovers.failed.append(source.spec)
                misses.append(f"{source.spec}: {exc}")
                offline = offline or isinstance(exc, OfflineMiss)
                reason = f"could not answer ({exc})"
            except NotFound as exc:
                not_found = not_found or exc
                reason = f"does not have it ({exc})"
            if i + 1 < len(sources):
                handovers.hand_over(f"dssync: {source.spec} {reason}; trying the next source")
    finally:
        progress.stop()
    if not sources:
        raise DssyncError("no upstream source to read history from",
                          hint="pass --source github:OWNER/REPO, pypi:PACKAGE or git:PATH")
    if not_found is not None:
        raise handovers.not_found(not_found)
    error = OfflineMiss if offline else SourceUnavailable
    raise error("no upstream source could answer for the history of "
                f"{', '.join(paths)}: " + " | ".join(misses),
                hint="check the network, or name another --source")


def _walk_one(source: UpstreamSource, paths: list[str], *, tag_format: str, since: str | None,
              until: str | None,
              prereleases: bool, cache: Cache | None, progress: Progress, workers: int,
              parse: bool = True) -> Walk:
    tags = release_tags(source.list_tags(), tag_format, since=since, until=until,
                        prereleases=prereleases)
    progress.start(f"reading {len(tags)} tags from {source.spec}", len(tags))
    fetched = fetch_across(source, tags, paths, workers=workers, on_tag=progress.advance)
    if parse:
        snapshots, parsed = parse_snapshots(fetched, tags, paths, cache, progress)
        result = Walk(source=source.spec, tags=tags, snapshots=snapshots, parsed=parsed)
    else:
        result = Walk(source=source.spec, tags=tags, snapshots={path: {} for path in paths},
                      fetched=fetched)
    for path in paths:
        if all(fetched.get((tag, path)) is None for tag in tags):
            result.notes.append(f"{path} exists at none of the {len(tags)} tags read from "
                                f"{source.spec}")
    return result
