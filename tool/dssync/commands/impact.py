"""``dssync impact --tag TAG``: where consuming code uses constants that drifted at TAG."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from dssync.commands.options import add_upstream_options, add_verdict_options
from dssync.errors import ConfigError, DssyncError

if TYPE_CHECKING:
    from dssync.models import DriftReport
    from dssync.config import Config

FORMATS = ("text", "json")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "impact", help="list the uses, in consuming code, of constants that drifted upstream",
        description="Compare the vendored files with an upstream tag, then scan the project's "
                    "own Python code (default: the project root, without vendored/, hidden "
                    "directories and virtualenvs) for each removed, changed, renamed or moved "
                    "constant, and list every use with file and line. Exit status: 0 no uses, "
                    "1 uses found, 2 trouble.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or directories to scan (default: the project root)")
    p.add_argument("--file", action="append", metavar="PATH",
                   help="a configured vendored file to check (repeatable; default: all); with "
                        "--upstream-path, the vendored file itself")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--output", metavar="PATH", help="write the report here instead of stdout")
    add_verdict_options(p, finding="a use of a drifted constant")
    add_upstream_options(p)


def _check_files(args: argparse.Namespace, config: Config | None) -> None:
    if args.upstream_path and len(args.file or []) != 1:
        raise ConfigError("--upstream-path goes with exactly one --file (the vendored copy)",
                          hint="dssync impact --tag TAG --file VENDORED.py --source SPEC "
                               "--upstream-path PATH")
    if not args.upstream_path and config is None:
        raise ConfigError("no [tool.dssync] configuration found in this directory or above",
                          hint="add one, or pass --file VENDORED.py --source SPEC "
                               "--upstream-path PATH")


def drift_report(args: argparse.Namespace) -> DriftReport:
    """The vendored files against the tag, exactly as ``dssync diff --tag`` compares them,
    with moves between files detected."""
    from dssync.commands.upstream_diff import upstream_report

    diff_args = argparse.Namespace(**vars(args))
    diff_args.files = list(args.file or [])
    diff_args.no_renames = False
    return upstream_report(diff_args)


def run(args: argparse.Namespace) -> int:
    from dssync._history.consumers import SKIPPED_DIRS, scan_paths
    from dssync._history.drifted import (
        Impact, drifted_constants, group_uses, module_targets, wanted_names,
    )
    from dssync.commands.output import write_report
    from dssync.commands.options import cache_from_args
    from dssync.commands.upstream import load_project_config

    if not args.tag:
        raise DssyncError("impact needs --tag TAG (or --tag latest)",
                          hint="the tag whose drift to look for in consuming code")
    config = load_project_config(args)
    _check_files(args, config)
    root = config.root if config is not None else Path.cwd()
    for p in args.paths:
        if not Path(p).exists():
            raise DssyncError("no such file or directory", path=p, hint="check the path")
    from dssync.commands.targets import select_targets

    targets = select_targets(argparse.Namespace(files=list(args.file or []),
                                                upstream_path=args.upstream_path), config)
    report = drift_report(args)
    source = ", ".join(dict.fromkeys(f.origin.source for f in report.files
                                     if f.origin is not None)) or "upstream"
    drifted = drifted_constants(report)
    paths = [Path(p) for p in args.paths] or [root]
    # Named directories are scanned even if called vendored; the default root is not.
    skip_dirs = SKIPPED_DIRS if not args.paths else SKIPPED_DIRS - {"vendored"}
    scan = scan_paths(paths, root, module_targets(report), wanted_names(drifted),
                      skip_dirs=skip_dirs, skip_files=[t.path for t in targets],
                      cache=cache_from_args(args))
    impact = Impact(tag=report.tag or args.tag, source=source, drifted=drifted,
                    uses=group_uses(scan.uses), scan=scan, notes=list(report.notes))
    if args.format == "json":
        from dssync._history.report_json import render_impact
    else:
        from dssync._history.report_text import render_impact
    write_report(render_impact(impact), output=args.output, fmt=args.format)
    return 1 if impact.uses else 0
