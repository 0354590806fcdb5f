"""``dssync diff``: two local files, or vendored files against an upstream tag."""

from __future__ import annotations

import argparse
from pathlib import Path

from dssync._format.interface import FORMATS
from dssync.commands.local_files import read_bytes, shared_memo, table_from_bytes
from dssync.commands.options import add_report_options, add_upstream_options, add_verdict_options
from dssync.commands.output import deliver, reports_directory
from dssync.commands.targets import shown_path
from dssync.errors import DssyncError
from dssync.models import DriftReport


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("diff", help="report how vendored constants differ from upstream",
                       description="Compare two local files (dssync diff OLD.py NEW.py), or vendored "
                                   "files with an upstream tag (dssync diff --tag v0.9.0). Exit status: "
                                   "0 no drift, 1 drift, 2 trouble.")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="OLD.py NEW.py; or, with --tag, the vendored files to check (default: all configured)")
    add_report_options(p, FORMATS, report_sets=True)
    p.add_argument("--no-renames", action="store_true", help="report renames as removed + added")
    p.add_argument("--write-reports", action="store_true",
                   help="also write drift-<tag>.md/.json/.sarif/.html to the configured reports "
                        "directory, or only to DIR with --output DIR; says where on stderr")
    p.add_argument("--relative-to", metavar="DIR",
                   help="name the vendored files in reports by their path from DIR, e.g. the "
                        "repository root when the project is a subdirectory of it (annotations "
                        "and SARIF need paths from the root); default: the project root")
    add_verdict_options(p, finding="drift")
    add_upstream_options(p)


def run(args: argparse.Namespace) -> int:
    if args.tag is None:
        report = _local_report(args)
    else:
        from dssync.commands.upstream_diff import upstream_report

        report = upstream_report(args)
    # --output DIR is where the report set goes, --write-reports or not.
    to_directory = bool(args.output) and Path(args.output).is_dir()
    reports_dir = reports_directory(args) if args.write_reports and not to_directory else None
    deliver(report, fmt=args.format, output=args.output, reports_dir=reports_dir, quiet=args.quiet)
    return 1 if report.has_drift else 0


def _local_report(args: argparse.Namespace) -> DriftReport:
    if len(args.files) != 2:
        raise DssyncError("diff needs two files (OLD.py NEW.py), or --tag TAG to compare with upstream",
                          hint="see 'dssync diff --help'")
    from dssync._diff.engine import diff_tables

    from dssync.commands.options import cache_from_args

    cache = cache_from_args(args)
    old_path, new_path = args.files
    memo = shared_memo()
    old_bytes, new_bytes = read_bytes(old_path), read_bytes(new_path)
    old = table_from_bytes(old_bytes, old_path, cache, memo)
    new = table_from_bytes(new_bytes, new_path, cache, memo)
    drift = diff_tables(old, new, vendored=shown_path(old_path, args.relative_to, old_path),
                        upstream=new_path, renames=not args.no_renames, modules=(old_bytes, new_bytes))
    return DriftReport(files=[drift])
