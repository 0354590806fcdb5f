"""``dssync diff --tag TAG``: vendored files against the same files upstream."""

from __future__ import annotations

import argparse

from dssync._diff.engine import diff_tables
from dssync.commands.local_files import shared_memo, table_from_bytes, table_from_file
from dssync.commands.targets import select_targets
from dssync.commands.upstream import load_project_config, make_chain, resolve_tag
from dssync.models import ConstantTable, DriftReport


def upstream_report(args: argparse.Namespace) -> DriftReport:
    config = load_project_config(args)
    targets = select_targets(args, config)
    chain = make_chain(args, config)
    try:
        tag = resolve_tag(args, chain, config)
        result = chain.fetch_available(tag, [t.upstream for t in targets])
    finally:
        chain.close()
    notes = [f"upstream {tag} read from {', '.join(result.answered)}"]
    files = []
    memo = shared_memo()
    for target in targets:
        old = table_from_file(target.path, chain.ctx.cache, memo)
        got = result.files.get(target.upstream)
        if got is None:
            # The file is gone upstream (or not there yet): every constant in it is drift.
            new = ConstantTable(path=f"{target.upstream}@{tag}", constants={})
            note = f"{target.upstream} does not exist upstream at {tag} according to {' and '.join(result.answered)}"
            if result.unchecked:
                note += f" ({', '.join(result.unchecked)} could not be reached to confirm)"
            notes.append(note)
        else:
            new = table_from_bytes(got.content, f"{target.upstream}@{tag}", chain.ctx.cache, memo)
        drift = diff_tables(old, new, vendored=target.vendored, upstream=target.upstream,
                            pins=target.pins, renames=not args.no_renames)
        drift.origin = got.origin if got is not None else None
        files.append(drift)
    from dssync._history.moves import detect_moves

    return detect_moves(DriftReport(files=files, tag=tag, notes=notes))
