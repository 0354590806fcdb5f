"""``dssync history``: per constant, the release that introduced, changed and removed it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from dssync.commands.options import (
    add_files_options, add_report_options, add_walk_options, chosen_files,
)

if TYPE_CHECKING:
    pass

FORMATS = ("text", "json", "html")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "history",
        help="walk every upstream release and show when each constant changed",
        description="Read the upstream file at every release tag, oldest first, and report per "
                    "constant the tag that introduced it, each tag that changed its value "
                    "(old -> new) and the tag that removed it. Works from the configuration, "
                    "or with --source SPEC --upstream-path PATH alone.")
    add_files_options(p, "configured vendored files (default: all); with --upstream-path, just "
                         "the name shown for the one file")
    add_report_options(p, FORMATS)
    add_walk_options(p)
    p.add_argument("--only-changed", action="store_true",
                   help="leave out constants that stayed the same across every tag read")


def walk_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--since``, ``--until`` and ``--jobs`` as ``WalkOptions`` fields."""
    return {"since": args.since, "until": args.until, "jobs": args.jobs}


def run(args: argparse.Namespace) -> int:
    from dssync._api.history import HistoryOptions, history_each
    from dssync._report.analyses import render_histories
    from dssync.commands.options import project_from_args
    from dssync.commands.output import write_report

    project = project_from_args(args)
    options = HistoryOptions(files=chosen_files(args), upstream_path=args.upstream_path,
                             only_changed=args.only_changed, **walk_options(args))
    if args.format == "html" and project.several and not (options.files or options.upstream_path):
        render_histories([], "html")  # refused before any release is read
    found = history_each(project, options)
    write_report(render_histories(found, args.format), output=args.output, fmt=args.format)
    return 0
