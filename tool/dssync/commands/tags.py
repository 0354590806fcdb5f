"""``dssync tags``: upstream's tags, newest release first."""

from __future__ import annotations

import argparse

from dssync.commands.options import add_upstream_options


def add_parser(sub) -> None:
    p = sub.add_parser("tags", help="list upstream tags, newest first")
    p.add_argument("--limit", type=int, default=0, help="show at most N tags")
    add_upstream_options(p)


def run(args: argparse.Namespace) -> int:
    from dssync.commands.upstream import load_project_config, make_chain
    from dssync.versions import sort_tags_newest_first

    config = load_project_config(args)
    chain = make_chain(args, config)
    _, tags = chain.list_tags()
    ordered = sort_tags_newest_first(tags, chain.ctx.tag_format)
    if args.limit > 0:
        ordered = ordered[: args.limit]
    print("\n".join(ordered))
    return 0
