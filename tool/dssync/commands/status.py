"""``dssync status`` (or ``verify``): do the vendored files still hold what the lock recorded?

Exit status: 0 every file matches, 1 some differ, 2 trouble.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from dssync.commands.options import index_url

if TYPE_CHECKING:
    from dssync._analyses.status import LocalState
    from dssync.config import Config
    from dssync.lock import LockEntry
    from dssync.targets import Target


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from dssync.commands.options import add_download_timeout, add_verdict_options

    p = sub.add_parser("status", aliases=["verify"],
                       help="check that vendored files still match the lock; list local edits",
                       description="For each configured file, and the LICENSE copy: does it still "
                                   "have the sha256 the lock recorded? Local edits are listed "
                                   "constant by constant. Exit status: 0 all match, 1 some "
                                   "differ, 2 trouble.")
    p.set_defaults(command="status")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="vendored files to check (default: all configured, and the LICENSE copy)")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="json: schema dssync.status/1 (tool/dssync/schema/status.schema.json)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    add_verdict_options(p, finding="a file that differs from the lock")
    g = p.add_argument_group("upstream (to list local edits)")
    g.add_argument("--offline", action="store_true", help="use only what is in the cache")
    g.add_argument("--cache-dir", metavar="DIR", help="cache directory (default: the platform's user cache)")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    add_download_timeout(g)
    g.add_argument("--index-url", metavar="URL", type=index_url,
                   help="package index to use instead of the one pip is configured with")
    g.add_argument("--config", metavar="PATH", help="pyproject.toml or dssync.toml to use")
    g.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="log each upstream request to stderr (secrets redacted)")


FORMATS = ("text", "json")


def run(args: argparse.Namespace) -> int:
    from dssync import api
    from dssync._format.status import render, render_json
    from dssync.commands.options import project_from_args
    from dssync.commands.output import write_report

    states = api.status(project_from_args(args), api.StatusOptions(files=tuple(args.files)))
    text = render_json(states) if args.format == "json" else render(states)
    write_report(text, output=args.output, fmt=args.format)
    return 0 if all(s.matches for s in states) else 1


def inspect(args: argparse.Namespace, config: Config, target: Target,
            entry: LockEntry | None) -> LocalState:
    """# moved to dssync._analyses.status; kept for the update command until it is ported"""
    from dssync._analyses.status import inspect as inspect_target
    from dssync.api import Project
    from dssync.commands.options import upstream_options

    return inspect_target(Project(config, upstream_options(args)), target, entry)
