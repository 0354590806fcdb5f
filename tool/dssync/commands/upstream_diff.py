"""``dssync diff --tag TAG``: vendored files against the same files upstream."""

from __future__ import annotations

import argparse

from dssync._diff.engine import diff_tables
from dssync.commands.local_files import table_from_bytes, table_from_file
from dssync.commands.targets import select_targets, shown_path
from dssync.commands.upstream import load_project_config, make_chain, resolve_tag, source_specs
from dssync.errors import ConfigError
from dssync.models import ConstantTable, DriftReport


def _locked_tags(config, notes: list[str]) -> dict[str, str]:
    """Vendored path -> the tag its lock entry records: the base of the compare links. A lock
    that cannot be read costs only those links, not the report."""
    if config is None:
        return {}
    from dssync.lock import read_lock

    try:
        lock = read_lock(config.resolve(config.lock))
    except ConfigError as exc:
        notes.append(f"no compare links: {exc}")
        return {}
    return {vendored: entry.tag for vendored, entry in lock.entries.items()}


def upstream_report(args: argparse.Namespace) -> DriftReport:
    from dssync._source.web import upstream_web

    config = load_project_config(args)
    targets = select_targets(args, config)
    chain = make_chain(args, config)
    try:
        tag = resolve_tag(args, chain, config)
        result = chain.fetch_available(tag, [t.upstream for t in targets])
    finally:
        chain.close()
    notes = [f"upstream {tag} read from {', '.join(result.answered)}"]
    web = upstream_web(source_specs(args, config), config.github if config is not None else None,
                       chain.ctx.github_api_url)
    # The locked tags are the base of the compare links: only read when there are links.
    locked = _locked_tags(config, notes) if web is not None else {}
    files = []
    for target in targets:
        old = table_from_file(target.path, chain.ctx.cache)
        got = result.files.get(target.upstream)
        if got is None:
            # The file is gone upstream (or not there yet): every constant in it is drift.
            new = ConstantTable(path=f"{target.upstream}@{tag}", constants={})
            note = f"{target.upstream} does not exist upstream at {tag} according to {' and '.join(result.answered)}"
            if result.unchecked:
                note += f" ({', '.join(result.unchecked)} could not be reached to confirm)"
            notes.append(note)
        else:
            new = table_from_bytes(got.content, f"{target.upstream}@{tag}", chain.ctx.cache)
        shown = shown_path(target.path, getattr(args, "relative_to", None), target.vendored)
        drift = diff_tables(old, new, vendored=shown, upstream=target.upstream,
                            pins=target.pins, renames=not args.no_renames)
        drift.origin = got.origin if got is not None else None
        drift.locked_tag = locked.get(target.vendored)
        files.append(drift)
    from dssync._history.moves import detect_moves

    return detect_moves(DriftReport(files=files, tag=tag, notes=notes, web=web))
