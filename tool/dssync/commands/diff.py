"""``dssync diff``: two local files, or vendored files against an upstream tag."""

from __future__ import annotations

import argparse
from pathlib import Path

from dssync._report.interface import FORMATS
from dssync.commands.options import (
    add_files_options, add_report_options, add_upstream_options, add_verdict_options,
    cache_from_args, chosen_files,
)
from dssync.commands.output import deliver, reports_directory
from dssync.errors import DssyncError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("diff", help="report how vendored constants differ from upstream",
                       description="Compare two local files (dssync diff OLD.py NEW.py), or vendored "
                                   "files with an upstream tag (dssync diff --tag v0.9.0). Exit status: "
                                   "0 no drift, 1 drift, 2 trouble.")
    add_files_options(p, "OLD.py NEW.py; or, with --tag, the vendored files to check "
                         "(default: all configured)")
    add_report_options(p, FORMATS, report_sets=True)
    add_verdict_options(p, finding="drift", report_sets=True)
    add_upstream_options(p)
    p.add_argument("--no-renames", action="store_true", help="report renames as removed + added")
    p.add_argument("--write-reports", action="store_true",
                   help="also write drift-<tag>.md/.json/.sarif/.html to the configured reports "
                        "directory, or only to DIR with --output DIR; says where on stderr")
    p.add_argument("--relative-to", metavar="DIR",
                   help="name the vendored files in reports by their path from DIR, e.g. the "
                        "repository root when the project is a subdirectory of it (annotations "
                        "and SARIF need paths from the root); default: the project root")


def run(args: argparse.Namespace) -> int:
    from dssync._api.drift import DriftOptions, compare_files, drift
    from dssync.commands.options import project_from_args

    reports_config = None
    files = chosen_files(args)
    if args.tag is None:
        if len(files) != 2:
            raise DssyncError("diff needs two files (OLD.py NEW.py), or --tag TAG to compare with "
                              "upstream", hint="see 'dssync diff --help'")
        old, new = files
        report = compare_files(old, new, renames=not args.no_renames,
                                   relative_to=args.relative_to, cache=cache_from_args(args))
        if args.write_reports:
            reports_config = project_from_args(args).config
    else:
        project = project_from_args(args)
        reports_config = project.config
        report = drift(project, DriftOptions(
            tag=args.tag, files=files, upstream_path=args.upstream_path,
            renames=not args.no_renames, relative_to=args.relative_to))
    # --output DIR is where the report set goes, --write-reports or not.
    to_directory = bool(args.output) and Path(args.output).is_dir()
    reports_dir = (reports_directory(reports_config)
                   if args.write_reports and not to_directory else None)
    deliver(report, fmt=args.format, output=args.output, reports_dir=reports_dir, quiet=args.quiet)
    return 1 if report.has_drift else 0
