"""``dssync tags``: upstream's tags, newest release first."""

from __future__ import annotations

import argparse
import sys

from dssync.commands.options import add_upstream_options, positive_int


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tags", help="list upstream tags, newest first",
                       description="List upstream's tags: releases newest first by PEP 440, then "
                                   "tags that name no release. Pre- and development releases "
                                   "only with --prereleases (or prereleases = true).")
    p.add_argument("--limit", type=positive_int, metavar="N",
                   help="show at most N tags (default: all)")
    add_upstream_options(p, with_tag=False, with_upstream_path=False)


def run(args: argparse.Namespace) -> int:
    from dssync.commands.upstream import load_project_config, make_chain, wants_prereleases
    from dssync.versions import prerelease_tags, sort_tags_newest_first

    config = load_project_config(args)
    chain = make_chain(args, config)
    try:
        _, tags = chain.list_tags()
    finally:
        chain.close()
    fmt = chain.ctx.tag_format
    include = wants_prereleases(args, config)
    ordered = sort_tags_newest_first(tags, fmt, include_prereleases=include)
    if args.limit is not None:
        ordered = ordered[: args.limit]
    print("\n".join(ordered))
    hidden = [] if include else prerelease_tags(tags, fmt)
    if hidden:
        # On stderr: what stdout lists stays exactly the tags a script asked for.
        print(f"dssync: {len(hidden)} pre- or development release tag"
              f"{'s' if len(hidden) != 1 else ''} not listed (newest {hidden[0]}); "
              "--prereleases lists them", file=sys.stderr)
    return 0
