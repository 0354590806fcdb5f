"""``dssync init [DIR...]``: configure dssync for vendored copies that are already there.

Exit status: 0 every directory configured, 1 configured but some directory could not be
matched (listed with the reason), 2 trouble (nothing matched, an existing configuration
without --force, bad input).
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from dssync.commands.options import add_download_timeout

    p = sub.add_parser(
        "init", help="adopt vendored copies already in the project: find each on the package "
                     "index, identify its release, write the configuration and the lock",
        description="Recognise the vendored projects in DIR... (package directories, a "
                    "project directory above its package, vendor directories with their "
                    "vendor.txt), find each on the package index, identify the release it "
                    "matches best (narrowed by any version hint), and write the configuration "
                    "and the lock. Nothing is asked interactively. Exit status: 0 all "
                    "configured, 1 some directory could not be matched, 2 trouble.")
    p.add_argument("directories", nargs="*", metavar="DIR",
                   help="directories holding vendored code (default: every vendor directory, "
                        "such as _vendor or third_party, below the current one)")
    p.add_argument("--config", metavar="PATH",
                   help="the file to write: a dssync.toml, or a pyproject.toml to add "
                        "[tool.dssync] to (default: pyproject.toml when there is one, else "
                        "dssync.toml)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the configuration on stdout (and what was found on stderr) "
                        "instead of writing it and the lock")
    p.add_argument("--force", action="store_true",
                   help="replace an existing dssync configuration and its lock (in the file it is "
                        "in, unless --config names the other one: then the old one is "
                        "removed, and pyproject.toml keeps all but [tool.dssync])")
    g = p.add_argument_group("upstream")
    from dssync.commands.options import index_url

    g.add_argument("--index-url", metavar="URL", type=index_url,
                   help="package index to use instead of the one pip is configured with")
    g.add_argument("--prereleases", action="store_true",
                   help="consider pre- and development releases too, which PEP 440 leaves out "
                        "unless asked for")
    g.add_argument("--jobs", type=int, default=8, metavar="N",
                   help="concurrent downloads from the package index (default 8)")
    g.add_argument("--offline", action="store_true", help="use only what is in the cache")
    g.add_argument("--cache-dir", metavar="DIR",
                   help="cache directory (default: the platform's user cache)")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    add_download_timeout(g, configured=False)
    g.add_argument("-v", "--verbose", action="store_true",
                   help="log each upstream request to stderr (secrets redacted), and each "
                        "answer the cache gave instead")


def run(args: argparse.Namespace) -> int:
    from dssync._init import InitOptions, init
    from dssync._report.init import render_init
    from dssync.commands.options import upstream_options
    from dssync.errors import DssyncError

    result = init(InitOptions(directories=args.directories, config=args.config,
                              dry_run=args.dry_run, force=args.force, jobs=args.jobs),
                  upstream_options(args))
    found = render_init(result)
    if args.dry_run:
        sys.stderr.write(found)
    else:
        sys.stdout.write(found)
    if not result.adopted:
        raise DssyncError("nothing to configure: no directory matched a project on the "
                          "package index", hint="see the reasons above; name other "
                                                "directories, or --index-url")
    removed = ", ".join(result.removed_shown)
    if args.dry_run:
        if removed:
            sys.stderr.write(f"would remove {removed} (--force, replaced by "
                             f"{result.config_shown})\n")
        sys.stdout.write(result.text)
    else:
        count = len(result.adopted)
        print(f"wrote {result.config_shown} ({count} upstream{'s' if count != 1 else ''}) "
              f"and {result.lock_shown} ({len(result.lock)} files)"
              + (f"; removed {removed}" if removed else ""))
    return 1 if result.unmatched else 0
