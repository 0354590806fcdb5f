"""``dssync identify``: which upstream release a vendored copy (with no lock) came from."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from dssync.commands.history import add_walk_options, walk_upstream
from dssync.commands.options import add_report_options, add_verdict_options
from dssync.errors import ConfigError

if TYPE_CHECKING:
    from dssync.commands.targets import Target
    from dssync.config import Config

FORMATS = ("text", "json")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "identify", help="find the upstream release a vendored copy matches best",
        description="Score every upstream release tag by constant-level distance to a vendored "
                    "copy (constants added + removed + changed) and name the best tag, or the "
                    "range of consecutive tags that tie. Exit status: 0 exact match, 1 closest "
                    "match only, 2 trouble.")
    p.add_argument("vendored", nargs="?", metavar="VENDORED.py",
                   help="the copy to identify (default: every configured vendored file)")
    p.add_argument("--file", metavar="PATH",
                   help="a configured vendored file whose upstream path to compare with")
    add_report_options(p, FORMATS)
    add_verdict_options(p, finding="only a closest match (no exact one)")
    add_walk_options(p)


def select_copies(args: argparse.Namespace, config: Config | None) -> list[Target]:
    """The vendored copies to identify, as ``targets.Target`` (one named, or the configured)."""
    from dssync.commands.targets import Target

    if args.upstream_path:
        if not args.vendored:
            raise ConfigError("--upstream-path needs the vendored file to identify",
                              hint="dssync identify VENDORED.py --source SPEC --upstream-path PATH")
        return [Target(args.vendored, Path(args.vendored), args.upstream_path.strip("/"))]
    if config is None:
        raise ConfigError("no [tool.dssync] configuration found in this directory or above",
                          hint="add one, or pass VENDORED.py --source SPEC --upstream-path PATH")
    if args.file:
        entry = config.file_for(args.file)
        if args.vendored:
            return [Target(args.vendored, Path(args.vendored), entry.upstream)]
        return [Target(entry.vendored, config.resolve(entry.vendored), entry.upstream, entry.pins)]
    if args.vendored:
        entry = config.file_for(args.vendored)
        return [Target(entry.vendored, config.resolve(entry.vendored), entry.upstream, entry.pins)]
    return [Target(e.vendored, config.resolve(e.vendored), e.upstream, e.pins)
            for e in config.files]


def run(args: argparse.Namespace) -> int:
    from dssync._history.identify import best_match, combine_scores, score_tags
    from dssync.commands.local_files import table_from_file
    from dssync.commands.output import write_report
    from dssync.commands.options import cache_from_args
    from dssync.commands.upstream import load_project_config

    config = load_project_config(args)
    copies = select_copies(args, config)
    if not copies:
        raise ConfigError("the configuration lists no files",
                          hint="add [[tool.dssync.files]] entries, or name VENDORED.py")
    cache = cache_from_args(args)
    tables = [table_from_file(c.path, cache) for c in copies]  # a bad local file fails first
    walked = walk_upstream(args, config, list(dict.fromkeys(c.upstream for c in copies)))
    per_file = [score_tags(table, walked.snapshots[c.upstream], walked.tags, c.pins)
                for c, table in zip(copies, tables)]
    matches = [best_match(scores, skipped) for scores, skipped in per_file]
    combined = best_match(*combine_scores(per_file, walked.tags)) if len(copies) > 1 else None
    if args.format == "json":
        from dssync._history.report_json import render_identify

        text = render_identify(walked.source, walked.tags,
                               [(c.vendored, c.upstream, m) for c, m in zip(copies, matches)],
                               combined, walked.notes)
    else:
        from dssync._history.report_text import render_identify as render_identify_text

        text = render_identify_text(walked.source, walked.tags,
                               [(f"{c.vendored} vs upstream {c.upstream}", m)
                                for c, m in zip(copies, matches)],
                               combined, walked.notes)
    write_report(text, output=args.output, fmt=args.format)
    overall = combined if combined is not None else matches[0]
    return 0 if overall is not None and overall.exact else 1
