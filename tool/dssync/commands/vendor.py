"""``dssync vendor --tag TAG``: write configured files verbatim from upstream, and lock them."""

from __future__ import annotations

import argparse

from dssync.commands.options import add_files_options, add_upstream_options, chosen_files


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("vendor",
                       help="copy the configured files verbatim from an upstream tag and record "
                            "them in the lock file")
    add_files_options(p, "vendored files to (re)write (default: all, and the LICENSE copy)")
    add_upstream_options(p, with_upstream_path=False)
    p.add_argument("--force", action="store_true", help="overwrite files with local edits")


def run(args: argparse.Namespace) -> int:
    from dssync._api.vendor import VendorOptions, vendor
    from dssync.commands.options import project_from_args

    result = vendor(project_from_args(args), VendorOptions(
        tag=args.tag, files=chosen_files(args), force=args.force))
    for f in result.written:
        print(f"wrote {f.vendored} ({f.size} bytes) from {f.source} at {f.tag}, {f.identity}")
    print(f"{'updated' if result.lock_changed else 'unchanged'}: {result.lock}")
    return 0
