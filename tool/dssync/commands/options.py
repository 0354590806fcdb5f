"""Command-line options shared by the commands, each group added by one ``add_*_options``
function: each option is declared once, means the same everywhere, and a command that cannot
use one does not accept it. (Added to the command's own parser rather than through argparse's
parent parsers, which build and copy a parser per group: 35 parsers at every start.)"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dssync._api.project import Project, UpstreamOptions
    from dssync.cache import Cache


def add_upstream_options(p: argparse.ArgumentParser, *, with_tag: bool = True,
                         with_upstream_path: bool = True,
                         with_prereleases: bool = True) -> argparse._ArgumentGroup:
    """Where and how to read upstream; returns the group for command-specific additions. A
    command that reads no one tag (or no one file) leaves ``--tag`` (``--upstream-path``) out,
    so argparse refuses it instead of ignoring it."""
    g = p.add_argument_group("upstream")
    if with_tag:
        g.add_argument("--tag", help="the upstream release tag to read, or 'latest' (the highest "
                                     "release)")
    g.add_argument("--source", action="append", metavar="SPEC",
                   help="github:OWNER/REPO, pypi:PACKAGE or git:PATH_OR_URL (repeat to give an "
                        "order; default: the configuration's sources)")
    if with_upstream_path:
        g.add_argument("--upstream-path", metavar="PATH",
                       help="the file's path in the upstream repository (without configuration)")
    if with_prereleases:
        g.add_argument("--prereleases", action="store_true",
                       help="consider pre- and development release tags too, which PEP 440 "
                            "leaves out unless asked for" + (" (also for --tag latest)"
                                                             if with_tag else ""))
    g.add_argument("--index-url", metavar="URL", type=index_url,
                   help="package index to use instead of the one pip is configured with")
    g.add_argument("--offline", action="store_true", help="use only what is in the cache")
    g.add_argument("--cache-dir", metavar="DIR", help="cache directory (default: the platform's user cache)")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    add_download_timeout(g)
    add_project_options(g)
    return g


def add_project_options(group: argparse._ActionsContainer) -> None:
    """``--config`` and ``-v/--verbose``: every command that reads the project or upstream."""
    group.add_argument("--config", metavar="PATH", help="pyproject.toml or dssync.toml to use")
    group.add_argument("--upstream", metavar="NAME",
                       help="work on the configured upstream called NAME only (default: every "
                            "configured upstream)")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="log each upstream request to stderr (secrets redacted), and each "
                            "answer the cache gave instead")


def add_walk_options(p: argparse.ArgumentParser) -> None:
    """The options of commands that read every release tag (no ``--tag``)."""
    g = add_upstream_options(p, with_tag=False)
    g.add_argument("--since", metavar="TAG", help="first release to read (a tag or a version)")
    g.add_argument("--until", metavar="TAG", help="last release to read (a tag or a version)")
    g.add_argument("--jobs", type=int, default=8, metavar="N",
                   help="concurrent downloads from the package index (default 8; GitHub is "
                        "always read one request at a time)")


def add_files_options(p: argparse.ArgumentParser, help: str, *,
                      alias_help: str | None = None) -> None:
    """Vendored files chosen by path, the same way in every command: positional ``FILE...``,
    with ``--file PATH`` (repeatable) as an alias; ``chosen_files`` joins the two."""
    p.add_argument("files", nargs="*", metavar="FILE", help=help)
    p.add_argument("--file", dest="file_alias", action="append", default=[],
                   metavar="PATH", help=alias_help or "the same as FILE (repeatable)")


def chosen_files(args: argparse.Namespace) -> tuple[str, ...]:
    """The files named as ``FILE...`` and with ``--file``, in order."""
    return (*args.files, *args.file_alias)


def index_url(value: str) -> str:
    """``--index-url``, refused before anything runs when it is not a usable URL."""
    from dssync.urls import INDEX_SCHEMES, describe, url_problem

    problem = url_problem(value, INDEX_SCHEMES)
    if problem is not None:
        from dssync._source.redact import redact

        raise argparse.ArgumentTypeError(
            f"'{redact(value)}' is not a usable URL: {problem}; give {describe(INDEX_SCHEMES)} "
            "of a simple index")
    return value


def add_verdict_options(p: argparse.ArgumentParser, *, finding: str,
                        report_sets: bool = False, writes: str = "") -> None:
    """``-q/--quiet`` and ``--exit-zero``, for a command whose exit status 1 means a finding
    (the CLI applies both: see ``dssync.cli``); ``report_sets``: it has ``--write-reports``;
    ``writes``: what it writes instead of reports (``update``)."""
    asked = (writes or ("files asked for with --output or --write-reports are" if report_sets
                        else "a file asked for with --output is"))
    p.add_argument("-q", "--quiet", action="store_true",
                   help=f"print no report on stdout: the exit status tells ({asked} still "
                        "written, silently; errors are still one line on stderr)")
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


def upstream_options(args: argparse.Namespace) -> UpstreamOptions:
    """What the upstream options on the command line ask for (a command that has fewer of
    them gets the defaults for the rest)."""
    from dssync._api.project import UpstreamOptions

    given: dict[str, Any] = vars(args)
    return UpstreamOptions(
        sources=tuple(given.get("source") or ()), index_url=given.get("index_url"),
        download_timeout=given.get("download_timeout"),
        prereleases=bool(given.get("prereleases")), offline=bool(given.get("offline")),
        cache_dir=Path(given["cache_dir"]) if given.get("cache_dir") else None,
        use_cache=not given.get("no_cache"), verbose=bool(given.get("verbose")))


def project_from_args(args: argparse.Namespace) -> Project:
    """The project ``--config`` names (or the one found from here up), read once, with the
    command line's upstream options."""
    from dssync._api.project import Project

    project = Project.load(getattr(args, "config", None), options=upstream_options(args))
    name = getattr(args, "upstream", None)
    return project.only(name) if name is not None else project


def cache_from_args(args: argparse.Namespace) -> Cache:
    """The cache ``--cache-dir`` / ``--no-cache`` ask for (the user's cache by default)."""
    from dssync._api.project import Project

    return Project(None, upstream_options(args)).cache


def add_report_options(p: argparse.ArgumentParser, formats: tuple[str, ...], *,
                       report_sets: bool = False, format_help: str | None = None) -> None:
    p.add_argument("--format", choices=formats, default="text", help=format_help)
    where = ("write the report to PATH instead of stdout, or every report format into PATH "
             "when it is an existing directory" if report_sets
             else "write the report to PATH instead of stdout")
    p.add_argument("--output", metavar="PATH", help=where)


def add_download_timeout(group: argparse._ActionsContainer, *, configured: bool = True) -> None:
    """``configured``: the command reads a configuration, whose download-timeout applies."""
    default = "the configuration's download-timeout, else 300" if configured else "300"
    group.add_argument("--download-timeout", type=_seconds, metavar="SECONDS",
                       help="the most one download may take in all, retries included "
                            f"(default: {default})")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value
