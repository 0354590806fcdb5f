"""``dssync impact --tag TAG``: where consuming code uses constants that drifted at TAG."""

from __future__ import annotations

import argparse

from dssync.commands.options import add_report_options, add_upstream_options, add_verdict_options
from dssync.errors import DssyncError

FORMATS = ("text", "json")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "impact", help="list the uses, in consuming code, of constants that drifted upstream",
        description="Compare the vendored files with an upstream tag, then scan the project's "
                    "own Python code (default: the project root, without vendored/, hidden "
                    "directories and virtualenvs) for each removed, changed, renamed or moved "
                    "constant, and list every use with file and line. Exit status: 0 no uses, "
                    "1 uses found, 2 trouble.")
    add_report_options(p, FORMATS)
    add_verdict_options(p, finding="a use of a drifted constant")
    add_upstream_options(p)
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or directories to scan (default: the project root)")
    p.add_argument("--file", action="append", metavar="PATH",
                   help="a configured vendored file to check (repeatable; default: all); with "
                        "--upstream-path, the vendored file itself")


def run(args: argparse.Namespace) -> int:
    from dssync._api.impact import ImpactOptions, impact
    from dssync._report.analyses import render_impact
    from dssync.commands.options import project_from_args
    from dssync.commands.output import write_report

    if not args.tag:  # before the configuration is read, as the tag is what is asked for
        raise DssyncError("impact needs --tag TAG (or --tag latest)",
                          hint="the tag whose drift to look for in consuming code")
    found = impact(project_from_args(args), ImpactOptions(
        tag=args.tag, files=tuple(args.file or ()), paths=tuple(args.paths),
        upstream_path=args.upstream_path))
    write_report(render_impact(found, args.format), output=args.output, fmt=args.format)
    return 1 if found.uses else 0
