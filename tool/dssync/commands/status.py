"""``dssync status`` (or ``verify``): do the vendored files still hold what the lock recorded?

Exit status: 0 every file matches, 1 some differ, 2 trouble.
"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from dssync.commands.options import (
        add_files_options, add_report_options, add_upstream_options, add_verdict_options,
    )

    p = sub.add_parser("status", aliases=["verify"],
                       help="check that vendored files still match the lock; list local edits",
                       description="For each configured file, and the LICENSE copy: does it still "
                                   "have the sha256 the lock recorded? Local edits are listed "
                                   "constant by constant. Exit status: 0 all match, 1 some "
                                   "differ, 2 trouble.")
    add_files_options(p, "vendored files to check (default: all configured, and the LICENSE copy)")
    add_report_options(p, FORMATS, format_help="json: schema dssync.status/1 "
                                                "(tool/dssync/schema/status.schema.json)")
    add_verdict_options(p, finding="a file that differs from the lock")
    # Upstream is read only to list local edits: as the lock recorded it, so no tag to pick.
    add_upstream_options(p, with_tag=False, with_upstream_path=False, with_prereleases=False)
    p.set_defaults(command="status")


FORMATS = ("text", "json")


def run(args: argparse.Namespace) -> int:
    from dssync._api.status import StatusOptions, status
    from dssync._report.analyses import render_status
    from dssync.commands.options import chosen_files, project_from_args
    from dssync.commands.output import write_report

    states = status(project_from_args(args), StatusOptions(files=chosen_files(args)))
    write_report(render_status(states, args.format), output=args.output, fmt=args.format)
    return 0 if all(s.matches for s in states) else 1

