"""The ``dssync`` command line: parse arguments, run one command, map failures to exit codes.

Exit status follows diff(1): 0 no drift, 1 drift found, 2 trouble.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from dssync import __version__
from dssync.errors import DssyncError

EXIT_TROUBLE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_TROUBLE, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def _add_upstream_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("upstream")
    g.add_argument("--tag", help="upstream tag to compare with, or 'latest' (highest release)")
    g.add_argument("--source", action="append", metavar="SPEC",
                   help="github:OWNER/REPO, pypi:PACKAGE or git:PATH_OR_URL (repeat to give an "
                        "order; default: the configuration's sources)")
    g.add_argument("--upstream-path", metavar="PATH",
                   help="the file's path in the upstream repository (without configuration)")
    g.add_argument("--prereleases", action="store_true",
                   help="let --tag latest pick a prerelease")
    g.add_argument("--index-url", metavar="URL",
                   help="package index to use instead of the one pip is configured with")
    g.add_argument("--offline", action="store_true", help="use only what is in the cache")
    g.add_argument("--cache-dir", metavar="DIR", help="cache directory (default: the platform's user cache)")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    g.add_argument("--config", metavar="PATH", help="pyproject.toml or dssync.toml to use")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dssync", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"dssync {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log each upstream request to stderr (secrets redacted)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    diff = sub.add_parser("diff", help="report how vendored constants differ from upstream",
                          description="Compare two local files (dssync diff OLD.py NEW.py), or "
                                      "vendored files with an upstream tag (dssync diff --tag v0.9.0).")
    diff.add_argument("files", nargs="*", metavar="FILE",
                      help="OLD.py NEW.py; or, with --tag, the vendored files to check (default: all configured)")
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    diff.add_argument("--output", metavar="PATH", help="write the report here instead of stdout")
    diff.add_argument("--no-renames", action="store_true", help="report renames as removed + added")
    _add_upstream_options(diff)

    tags = sub.add_parser("tags", help="list upstream tags, newest first")
    tags.add_argument("--limit", type=int, default=0, help="show at most N tags")
    _add_upstream_options(tags)

    vendor = sub.add_parser("vendor", help="copy the configured files verbatim from an upstream tag "
                                           "and record them in the lock file")
    vendor.add_argument("files", nargs="*", metavar="FILE", help="vendored files to (re)write (default: all)")
    vendor.add_argument("--force", action="store_true", help="overwrite files with local edits")
    _add_upstream_options(vendor)
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "diff":
        from dssync.commands.diff import run
    elif args.command == "tags":
        from dssync.commands.tags import run
    elif args.command == "vendor":
        from dssync.commands.vendor import run
    else:
        build_parser().print_help(sys.stderr)
        return EXIT_TROUBLE
    return run(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except DssyncError as exc:
        print(f"dssync: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    except KeyboardInterrupt:
        print("dssync: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_TROUBLE
    except Exception as exc:  # a bug: still one line, unless asked for the traceback
        if os.environ.get("DSSYNC_DEBUG"):
            raise
        print(f"dssync: internal error: {type(exc).__name__}: {exc}; rerun with DSSYNC_DEBUG=1 "
              "for a traceback and please report it", file=sys.stderr)
        return EXIT_TROUBLE
