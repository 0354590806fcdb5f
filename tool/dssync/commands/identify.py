"""``dssync identify``: which upstream release a vendored copy (with no lock) came from."""

from __future__ import annotations

import argparse

from dssync.commands.history import walk_options
from dssync.commands.options import add_report_options, add_verdict_options, add_walk_options

FORMATS = ("text", "json")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "identify",
        help="find the upstream release a vendored copy matches best",
        description="Score every upstream release tag by constant-level distance to a vendored "
                    "copy (constants added + removed + changed) and name the best tag, or the "
                    "range of consecutive tags that tie. Exit status: 0 exact match, 1 closest "
                    "match only, 2 trouble.")
    add_report_options(p, FORMATS)
    add_verdict_options(p, finding="only a closest match (no exact one)")
    add_walk_options(p)
    p.add_argument("vendored", nargs="?", metavar="VENDORED.py",
                   help="the copy to identify (default: every configured vendored file)")
    p.add_argument("--file", metavar="PATH",
                   help="a configured vendored file whose upstream path to compare with")


def run(args: argparse.Namespace) -> int:
    from dssync._api.identify import IdentifyOptions, identify_each
    from dssync.commands.options import project_from_args
    from dssync.commands.output import write_report

    found = identify_each(project_from_args(args), IdentifyOptions(
        vendored=args.vendored, file=args.file, upstream_path=args.upstream_path,
        **walk_options(args)))
    from dssync._report.analyses import render_identifications

    text = render_identifications(found, args.format)
    write_report(text, output=args.output, fmt=args.format)
    return 0 if all(one.exact for _, one in found) else 1
