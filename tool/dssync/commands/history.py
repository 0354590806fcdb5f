"""``dssync history``: per constant, the release that introduced, changed and removed it."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Sequence

from dssync.commands.options import add_report_options, add_upstream_options
from dssync.errors import ConfigError

if TYPE_CHECKING:
    from dssync._history.timeline import History
    from dssync._history.walk import Walk
    from dssync.cache import Cache
    from dssync.config import Config

FORMATS = ("text", "json", "html")


def add_walk_options(p: argparse.ArgumentParser) -> None:
    """The options of commands that read every release tag (no ``--tag``)."""
    g = add_upstream_options(p, with_tag=False)
    g.add_argument("--since", metavar="TAG", help="first release to read (a tag or a version)")
    g.add_argument("--until", metavar="TAG", help="last release to read (a tag or a version)")
    g.add_argument("--jobs", type=int, default=8, metavar="N",
                   help="concurrent downloads from the package index (default 8; GitHub is "
                        "always read one request at a time)")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "history", help="walk every upstream release and show when each constant changed",
        description="Read the upstream file at every release tag, oldest first, and report per "
                    "constant the tag that introduced it, each tag that changed its value "
                    "(old -> new) and the tag that removed it. Works from the configuration, "
                    "or with --source SPEC --upstream-path PATH alone.")
    p.add_argument("--file", action="append", metavar="PATH",
                   help="a configured vendored file (repeatable; default: all configured files); "
                        "with --upstream-path, just the name shown for it")
    p.add_argument("--only-changed", action="store_true",
                   help="leave out constants that stayed the same across every tag read")
    add_report_options(p, FORMATS)
    add_walk_options(p)


def history_files(args: argparse.Namespace, config: Config | None) -> list[tuple[str, str | None]]:
    """``(upstream path, vendored name or None)`` for each file to walk."""
    files: Sequence[str] = args.file or []
    if args.upstream_path:
        if len(files) > 1:
            raise ConfigError("--upstream-path goes with at most one --file",
                              hint="run once per file, or configure them")
        return [(args.upstream_path.strip("/"), files[0] if files else None)]
    if config is None:
        raise ConfigError("no [tool.dssync] configuration found in this directory or above",
                          hint="add one, or pass --source SPEC --upstream-path PATH")
    entries = [config.file_for(f) for f in files] if files else list(config.files)
    if not entries:
        raise ConfigError("the configuration lists no files",
                          hint="add [[tool.dssync.files]] entries, or pass --upstream-path")
    return [(e.upstream, e.vendored) for e in entries]


def stderr_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def walk_upstream(args: argparse.Namespace, config: Config | None, paths: Sequence[str]) -> Walk:
    """The walk over every release tag, from the configured (or given) sources in order."""
    return walk_with_cache(args, config, paths)[0]


def walk_with_cache(args: argparse.Namespace, config: Config | None, paths: Sequence[str], *,
                    parse: bool = True) -> tuple[Walk, Cache]:
    """``walk_upstream``, and the cache it used; with ``parse=False`` the contents are only
    fetched (see ``walk``)."""
    from functools import partial

    from dssync._history.progress import progress_for_stderr
    from dssync._history.walk import walk
    from dssync.commands.upstream import make_chain, wants_prereleases

    if args.jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    chain = make_chain(args, config)
    prereleases = wants_prereleases(args, config)
    try:
        # Each source is built only when its turn comes, as everywhere else.
        sources = [partial(chain.source, spec) for spec in chain.specs]
        return walk(sources, paths, tag_format=chain.ctx.tag_format, since=args.since,
                    until=args.until, prereleases=prereleases, cache=chain.ctx.cache,
                    progress=progress_for_stderr(), workers=args.jobs, log=stderr_line,
                    parse=parse), chain.ctx.cache
    finally:
        chain.close()


def run(args: argparse.Namespace) -> int:
    from dssync._history.progress import progress_for_stderr
    from dssync._history.stored import cached_history
    from dssync.commands.output import write_report
    from dssync.commands.upstream import load_project_config

    config = load_project_config(args)
    files = history_files(args, config)
    # Fetched only: a history cached for the very same contents needs none of them parsed.
    result, cache = walk_with_cache(args, config, [u for u, _ in files], parse=False)
    history = cached_history(result, {u: v for u, v in files if v is not None},
                             since=args.since, until=args.until, cache=cache,
                             progress=progress_for_stderr())
    if args.only_changed:
        for f in history.files:
            f.hide_unchanged()
    write_report(render(history, args.format), output=args.output,
                 fmt=args.format)
    return 0


def render(history: History, fmt: str) -> str:
    if fmt == "json":
        from dssync._history.report_json import render_history
    elif fmt == "html":
        from dssync._format.history_html import render as render_history
    else:
        from dssync._history.report_text import render_history
    return render_history(history)
