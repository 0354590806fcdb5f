"""``dssync diff --tag TAG``: vendored files against the same files upstream."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from dssync._diff.engine import diff_tables
from dssync.commands.local_files import read_bytes, shared_memo, table_from_bytes
from dssync.commands.targets import Target, select_targets, shown_path
from dssync.commands.upstream import (
    FetchResult,
    SourceChain,
    load_project_config,
    make_chain,
    resolve_tag,
    source_specs,
    wants_prereleases,
)
from dssync.errors import ConfigError
from dssync.models import ConstantTable, DriftReport, Gone

if TYPE_CHECKING:
    from dssync.config import Config
    from dssync.lock import Lock


def _read_lock(config: Config | None, problems: list[str]) -> Lock | None:
    """The lock file, or None (with the reason in ``problems``): it is the base of the compare
    links and says which release a file gone upstream was vendored from. A lock that cannot be
    read costs only those, not the report."""
    if config is None:
        return None
    from dssync.lock import read_lock

    try:
        return read_lock(config.resolve(config.lock))
    except ConfigError as exc:
        problems.append(str(exc))
        return None


def upstream_report(args: argparse.Namespace) -> DriftReport:
    from dssync._source.web import upstream_web

    config = load_project_config(args)
    targets = select_targets(args, config)
    chain = make_chain(args, config)
    web = upstream_web(source_specs(args, config), config.github if config is not None else None,
                       chain.ctx.github_api_url)
    problems: list[str] = []
    try:
        tag = resolve_tag(args, chain, config)
        result = chain.fetch_available(tag, [t.upstream for t in targets])
        absent = [t for t in targets if t.upstream not in result.files]
        # The lock is read only when something needs it: compare links, or a file gone upstream.
        lock = _read_lock(config, problems) if web is not None or absent else None
        gone = _gone(args, config, chain, tag, absent, result, lock)
    finally:
        chain.close()
    notes = [f"upstream {tag} read from {', '.join(result.answered)}"]
    if web is not None:
        notes += [f"no compare links: {problem}" for problem in problems]
    # The locked tags are the base of the compare links.
    locked = {v: entry.tag for v, entry in lock.entries.items()} if web is not None and lock else {}
    files = []
    memo = shared_memo()
    for target in targets:
        mine = read_bytes(target.path)
        old = table_from_bytes(mine, str(target.path), chain.ctx.cache, memo)
        got = result.files.get(target.upstream)
        if got is None:
            # The file is gone upstream (or not there yet): every constant in it is drift.
            new = ConstantTable(path=f"{target.upstream}@{tag}", constants={})
        else:
            new = table_from_bytes(got.content, f"{target.upstream}@{tag}", chain.ctx.cache, memo)
        shown = shown_path(target.path, getattr(args, "relative_to", None), target.vendored)
        drift = diff_tables(old, new, vendored=shown, upstream=target.upstream,
                            pins=target.pins, renames=not args.no_renames,
                            modules=(mine, got.content if got is not None else None))
        drift.origin = got.origin if got is not None else None
        drift.gone = gone.get(target.vendored)
        drift.locked_tag = locked.get(target.vendored)
        files.append(drift)
    from dssync._history.moves import detect_moves

    return detect_moves(DriftReport(files=files, tag=tag, notes=notes, web=web))


def _gone(args: argparse.Namespace, config: Config | None, chain: SourceChain, tag: str, absent: list[Target],
          result: FetchResult, lock: Lock | None) -> dict[str, Gone]:
    """What is known of each target no source has at ``tag``, by vendored path."""
    if not absent:
        return {}
    from dssync.commands.gone import gone_upstream, locked_tags, release_list  # (packaging)

    locked = locked_tags(lock, absent)
    fmt = chain.ctx.tag_format
    releases = release_list(lambda: chain.list_tags()[1], fmt, wants_prereleases(args, config))
    return {t.vendored: gone_upstream(tag, result.missing.get(t.upstream), result.answered,
                                      result.unchecked, locked.get(t.vendored), fmt, releases)
            for t in absent}
