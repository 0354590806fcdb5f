"""Command-line options shared by every command that reads upstream."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dssync.cache import Cache


def add_upstream_options(p: argparse.ArgumentParser, *, with_tag: bool = True,
                         with_upstream_path: bool = True) -> argparse._ArgumentGroup:
    """Where and how to read upstream; returns the group for command-specific additions. A
    command that reads no one tag (or no one file) leaves ``--tag`` (``--upstream-path``) out,
    so argparse refuses it instead of ignoring it."""
    g = p.add_argument_group("upstream")
    if with_tag:
        g.add_argument("--tag", help="upstream tag to compare with, or 'latest' (highest release)")
    g.add_argument("--source", action="append", metavar="SPEC",
                   help="github:OWNER/REPO, pypi:PACKAGE or git:PATH_OR_URL (repeat to give an "
                        "order; default: the configuration's sources)")
    if with_upstream_path:
        g.add_argument("--upstream-path", metavar="PATH",
                       help="the file's path in the upstream repository (without configuration)")
    g.add_argument("--prereleases", action="store_true",
                   help="consider pre- and development release tags too, as PEP 440 leaves them out "
                        "unless asked for (tags, --tag latest, and reading every release)")
    g.add_argument("--index-url", metavar="URL", type=index_url,
                   help="package index to use instead of the one pip is configured with")
    g.add_argument("--offline", action="store_true", help="use only what is in the cache")
    g.add_argument("--cache-dir", metavar="DIR", help="cache directory (default: the platform's user cache)")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    add_download_timeout(g)
    g.add_argument("--config", metavar="PATH", help="pyproject.toml or dssync.toml to use")
    g.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                   help="log each upstream request to stderr (secrets redacted)")
    return g


def index_url(value: str) -> str:
    """``--index-url``, refused before anything runs when it is not a usable URL."""
    from dssync.urls import INDEX_SCHEMES, describe, url_problem

    problem = url_problem(value, INDEX_SCHEMES)
    if problem is not None:
        from dssync._net.http import redact

        raise argparse.ArgumentTypeError(
            f"'{redact(value)}' is not a usable URL: {problem}; give {describe(INDEX_SCHEMES)} "
            "of a simple index")
    return value


def add_verdict_options(p: argparse.ArgumentParser, *, finding: str) -> None:
    """``-q/--quiet`` and ``--exit-zero``, for a command whose exit status 1 means a finding
    (the CLI applies both: see ``dssync.cli``)."""
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print no report on stdout: the exit status tells (files asked for "
                        "with --output or --write-reports are still written, silently; errors "
                        "are still one line on stderr)")
    p.add_argument("--exit-zero", action="store_true",
                   help=f"exit 0 even when {finding} is found (2 still means trouble)")


def positive_int(text: str) -> int:
    """A count such as ``--limit``: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give 1 or more") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number; give 1 or more")
    return value


def cache_from_args(args: argparse.Namespace) -> Cache:
    """The cache ``--cache-dir`` / ``--no-cache`` ask for (the user's cache by default)."""
    from dssync.cache import Cache, default_cache_root

    if args.no_cache:
        return Cache(None)
    return Cache(Path(args.cache_dir) if args.cache_dir else default_cache_root())


def add_report_options(p: argparse.ArgumentParser, formats: tuple[str, ...], *,
                       report_sets: bool = False) -> None:
    p.add_argument("--format", choices=formats, default="text")
    where = ("write the report to FILE instead of stdout, or every report format to an existing DIR"
             if report_sets else "write the report to FILE instead of stdout")
    p.add_argument("--output", metavar="PATH", help=where)


def add_download_timeout(group: argparse._ActionsContainer) -> None:
    group.add_argument("--download-timeout", type=_seconds, metavar="SECONDS",
                       help="the most one download may take in all, retries included "
                            "(default: the configuration's download-timeout, else 300)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value
