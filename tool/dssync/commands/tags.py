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
    add_upstream_options(p, with_tag=False, with_upstream_path=False)
    p.add_argument("--limit", type=positive_int, metavar="N",
                   help="show at most N tags (default: all)")


def run(args: argparse.Namespace) -> int:
    from dssync._api.tags import TagsOptions, tags
    from dssync.commands.options import project_from_args

    project = project_from_args(args)
    for sub in project.each():
        found = tags(sub, TagsOptions(limit=args.limit))
        whose = ""
        if project.several:
            # Each upstream's tags under its name; --upstream NAME lists one's, bare.
            whose = f" of {sub.upstream.name}"
            print(f"upstream {sub.upstream.name}:")
            print("\n".join(f"  {tag}" for tag in found.tags))
        else:
            print("\n".join(found.tags))
        if found.hidden:
            # On stderr: what stdout lists stays exactly the tags a script asked for.
            print(f"dssync: {len(found.hidden)} pre- or development release tag"
                  f"{'s' if len(found.hidden) != 1 else ''}{whose} not listed (newest "
                  f"{found.hidden[0]}); --prereleases lists them", file=sys.stderr)
    return 0
