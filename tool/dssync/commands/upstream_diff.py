"""``dssync diff --tag TAG``: vendored files against the same files upstream."""

from __future__ import annotations

import argparse

from dssync._diff.engine import diff_tables
from dssync.commands.gone import gone_upstream, locked_tags, release_list
from dssync.commands.local_files import read_bytes, table_from_bytes
from dssync.commands.targets import Target, select_targets
from dssync.commands.upstream import (
    FetchResult,
    SourceChain,
    load_project_config,
    make_chain,
    resolve_tag,
    wants_prereleases,
)
from dssync.models import ConstantTable, DriftReport, Gone


def upstream_report(args: argparse.Namespace) -> DriftReport:
    config = load_project_config(args)
    targets = select_targets(args, config)
    chain = make_chain(args, config)
    try:
        tag = resolve_tag(args, chain, config)
        result = chain.fetch_available(tag, [t.upstream for t in targets])
        gone = _gone(args, config, chain, tag, targets, result)
    finally:
        chain.close()
    notes = [f"upstream {tag} read from {', '.join(result.answered)}"]
    files = []
    for target in targets:
        mine = read_bytes(target.path)
        old = table_from_bytes(mine, str(target.path), chain.ctx.cache)
        got = result.files.get(target.upstream)
        if got is None:
            # The file is gone upstream (or not there yet): every constant in it is drift.
            new = ConstantTable(path=f"{target.upstream}@{tag}", constants={})
        else:
            new = table_from_bytes(got.content, f"{target.upstream}@{tag}", chain.ctx.cache)
        drift = diff_tables(old, new, vendored=target.vendored, upstream=target.upstream,
                            pins=target.pins, renames=not args.no_renames,
                            modules=(mine, got.content if got is not None else None))
        drift.origin = got.origin if got is not None else None
        drift.gone = gone.get(target.vendored)
        files.append(drift)
    from dssync._history.moves import detect_moves

    return detect_moves(DriftReport(files=files, tag=tag, notes=notes))


def _gone(args: argparse.Namespace, config, chain: SourceChain, tag: str, targets: list[Target],
          result: FetchResult) -> dict[str, Gone]:
    """What is known of each target no source has at ``tag``, by vendored path."""
    absent = [t for t in targets if t.upstream not in result.files]
    if not absent:
        return {}
    locked = locked_tags(config, absent)
    fmt = chain.ctx.tag_format
    releases = release_list(lambda: chain.list_tags()[1], fmt, wants_prereleases(args, config))
    return {t.vendored: gone_upstream(tag, result.missing.get(t.upstream), result.answered,
                                      result.unchecked, locked.get(t.vendored), fmt, releases)
            for t in absent}
