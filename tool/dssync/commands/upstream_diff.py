"""``dssync diff --tag TAG``: vendored files against the same files upstream."""

from __future__ import annotations

import argparse

from dssync._diff.engine import diff_tables
from dssync.commands.local_files import table_from_bytes, table_from_file
from dssync.commands.targets import select_targets
from dssync.commands.upstream import load_project_config, make_chain, resolve_tag
from dssync.models import DriftReport


def upstream_report(args: argparse.Namespace) -> DriftReport:
    config = load_project_config(args)
    targets = select_targets(args, config)
    chain = make_chain(args, config)
    tag = resolve_tag(args, chain, config)
    source, fetched = chain.fetch(tag, [t.upstream for t in targets])
    files = []
    for target in targets:
        got = fetched[target.upstream]
        old = table_from_file(target.path)
        new = table_from_bytes(got.content, f"{target.upstream}@{tag}")
        drift = diff_tables(old, new, vendored=target.vendored, upstream=target.upstream,
                            pins=target.pins, renames=not args.no_renames)
        drift.origin = got.origin
        files.append(drift)
    return DriftReport(files=files, tag=tag, notes=[f"upstream {tag} read from {source.spec}"])
