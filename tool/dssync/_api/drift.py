"""Drift: vendored files against an upstream tag, and two local files against each other."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from dssync.errors import ConfigError

if TYPE_CHECKING:
    from dssync._api.project import Project
    from dssync._source.chain import FetchResult, SourceChain
    from dssync.cache import Cache
    from dssync.lock import Lock
    from dssync.models import DriftReport, Gone
    from dssync.targets import Target


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
    from dssync._diff.moves import detect_moves
    from dssync._extract.files import read_bytes, shared_memo, table_from_bytes
    from dssync._source.web import upstream_web
    from dssync._trees import fetch_targets
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
    try:
        tag = project.resolve_tag(options.tag, chain, "diff")
        # A tree is matched against the release's files: one appearing there is reported.
        targets, appeared, result = fetch_targets(
            chain, config, tag, targets, appeared=not options.files,
            trees=config is not None and bool(config.trees) and not options.upstream_path)
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
