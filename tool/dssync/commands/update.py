"""``dssync update``: rewrite vendored files in place to an upstream tag, keeping local intent.

``dssync update --tag TAG`` updates the configured files (or those named with ``--file``) and
records the result in the lock; ``dssync update VENDORED.py UPSTREAM.py`` merges two local
files, rewriting the first. The work is ``dssync.api.plan_update`` / ``apply_update``; this
module turns the command line into ``UpdateOptions`` and the result into text.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from dssync.commands.options import add_upstream_options, add_verdict_options
from dssync.errors import DssyncError

if TYPE_CHECKING:
    from dssync._update import GoneFile
    from dssync._update import FileUpdate, UpdateOptions


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "update",
        help="rewrite vendored files to an upstream tag, constant by constant",
        description="Bring vendored files to an upstream tag (dssync update --tag TAG), or merge "
                    "two local files (dssync update VENDORED.py UPSTREAM.py, rewriting the first). "
                    "Changed constants take upstream's value, added ones go where upstream has "
                    "them, removed ones go with their own comments; everything else stays byte "
                    "for byte. With a lock, the release it names is the base of a three-way "
                    "merge: local edits upstream did not touch stay, constants changed on both "
                    "sides are conflicts (ours kept, listed). Exit status: 0 done, the result "
                    "matches upstream apart from pins and kept local edits; 1 something was "
                    "left (conflicts, names nothing binds; each listed with the reason) or, "
                    "with --dry-run, something would change; 2 trouble.")
    add_upstream_options(p)
    add_verdict_options(p, finding="something left (or, with --dry-run, something to change)",
                        writes="the files and the lock are")
    # Not the shared FILE.../--file pair: here the positionals are two local files to merge,
    # and --file names configured files to update to a tag.
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="VENDORED.py UPSTREAM.py (without --tag)")
    p.add_argument("--file", dest="only_files", action="append", metavar="PATH", default=[],
                   help="with --tag: update only this configured file (repeatable)")
    p.add_argument("--only", nargs="+", action="extend", metavar="NAME", default=[],
                   help="apply only drift of constants matching these glob patterns "
                        "(Class.NAME for class constants)")
    p.add_argument("--exclude", nargs="+", action="extend", metavar="NAME", default=[],
                   help="leave drift of constants matching these glob patterns alone")
    p.add_argument("--dry-run", action="store_true",
                   help="print a unified diff of what would be written; write nothing")
    p.add_argument("--mode", choices=("merge", "replace"), default="merge",
                   help="merge: change only drifted constants (default); replace: take "
                        "upstream's file verbatim, then put pinned constants back")
    p.add_argument("--keep-removed", action="store_true",
                   help="keep constants that upstream removed")
    p.add_argument("--theirs", action="store_true",
                   help="settle conflicts (constants changed here and upstream) with upstream's "
                        "value; local edits upstream did not touch still stay")
    p.add_argument("--force", action="store_true",
                   help="overwrite every local edit: merge as if the vendored file were the "
                        "release the lock names")
    p.add_argument("--prune", action="store_true",
                   help="delete the files of a tree mapping that upstream no longer has (and "
                        "their lock entries); without it they are kept and listed")


def run(args: argparse.Namespace) -> int:
    from dssync._update import apply_update, plan_update
    from dssync._report.update import gone_line, notes, summary, unified_diff
    from dssync.commands.options import project_from_args

    options = _options(args)
    project = project_from_args(args)
    # With several upstreams, each one's files come under a line naming it and its tag.
    heading = UpstreamHeading(project.several)
    if args.dry_run:
        plan = plan_update(project, options)
        for file in plan.files:
            heading.before(file, sys.stderr)
            sys.stdout.write(unified_diff(file))
            for note in notes(file):
                print(f"dssync: {note}", file=sys.stderr)
        for gone in plan.gone:
            print(f"dssync: {gone_line(gone, dry_run=True)}", file=sys.stderr)
        sys.stdout.flush()
        return 1 if plan.changed or plan.left else 0

    def written(file: FileUpdate) -> None:
        heading.before(file, sys.stdout)
        print(summary(file))
        for note in notes(file):
            print(note)

    def locked(lock: str, changed: bool) -> None:
        print(f"{'updated' if changed else 'unchanged'}: {lock}")

    def kept_or_deleted(file: GoneFile) -> None:
        print(gone_line(file))

    result = apply_update(project, options, on_file=written, on_lock=locked,
                              on_gone=kept_or_deleted)
    return 1 if result.plan.left else 0


class UpstreamHeading:
    """``upstream NAME at TAG:`` before the first file of each upstream, with several."""

    def __init__(self, several: bool) -> None:
        self.several = several
        self.last: str | None = None

    def before(self, file: FileUpdate, stream: TextIO) -> None:
        if self.several and file.upstream != self.last:
            self.last = file.upstream
            print(f"upstream {file.upstream} at {file.tag}:", file=stream)


def _options(args: argparse.Namespace) -> UpdateOptions:
    """The options the command line asks for; a tag and two files are refused here, before the
    configuration is read, in the command line's own terms."""
    from dataclasses import replace

    from dssync._update import UpdateOptions

    merge = UpdateOptions(only=tuple(args.only), exclude=tuple(args.exclude), mode=args.mode,
                          keep_removed=args.keep_removed, theirs=args.theirs, force=args.force,
                          prune=args.prune)
    if args.tag is None:
        if len(args.files) != 2 or args.only_files:
            raise DssyncError("update needs --tag TAG (the configured files), or two files: "
                              "VENDORED.py UPSTREAM.py", hint="see 'dssync update --help'")
        return replace(merge, local=(args.files[0], args.files[1]))
    # With --tag, FILE... are the vendored files, as for diff (--file is their alias).
    return replace(merge, tag=args.tag, files=(*args.only_files, *args.files),
                   upstream_path=args.upstream_path)
