"""``dssync vendor --tag TAG``: write configured files verbatim from upstream, and lock them."""

from __future__ import annotations

import argparse
import hashlib
from typing import TYPE_CHECKING

from dssync.commands.options import add_upstream_options
from dssync.errors import ConfigError, DssyncError

if TYPE_CHECKING:
    from dssync.config import Config
    from dssync.lock import Lock


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("vendor", help="copy the configured files verbatim from an upstream tag "
                                      "and record them in the lock file")
    p.add_argument("files", nargs="*", metavar="FILE", help="vendored files to (re)write (default: all)")
    p.add_argument("--force", action="store_true", help="overwrite files with local edits")
    add_upstream_options(p)


def run(args: argparse.Namespace) -> int:
    from dssync.atomic import check_writable, write_atomic
    from dssync.commands.targets import select_targets
    from dssync.commands.upstream import load_project_config, make_chain, resolve_tag
    from dssync.lock import LockEntry, lock_changes, make_parent, read_lock, write_lock

    config = load_project_config(args)
    if config is None:
        raise ConfigError("vendor needs a [tool.dssync] configuration",
                          hint="add [[tool.dssync.files]] entries to pyproject.toml")
    targets = select_targets(args, config)
    pairs = [(t.vendored, t.upstream) for t in targets]
    if config.license is not None and not args.files:
        pairs.append((config.license.vendored, config.license.upstream))
    lock_path = config.resolve(config.lock)
    lock = read_lock(lock_path)
    for vendored, _ in pairs:
        _refuse_local_edits(config, lock, vendored, force=args.force)
    chain = make_chain(args, config)
    tag = resolve_tag(args, chain, config)
    _, fetched = chain.fetch(tag, [upstream for _, upstream in pairs])
    for vendored, upstream in pairs:
        got = fetched[upstream]
        lock = lock.with_entry(LockEntry.from_origin(vendored, got.origin,
                                                     hashlib.sha256(got.content).hexdigest()))
    # Every file first, the lock last (a crash between them is repaired by the next run); but
    # nothing is written unless each of them can be.
    for vendored, _ in pairs:
        check_writable(config.resolve(vendored), root=config.root, parents=True)
    if lock_changes(lock_path, lock):
        check_writable(lock_path, root=config.root, parents=True)
    for vendored, upstream in pairs:
        got = fetched[upstream]
        path = config.resolve(vendored)
        make_parent(path, "the vendored file's")
        write_atomic(path, got.content, root=config.root)
        print(f"wrote {vendored} ({len(got.content)} bytes) from {got.origin.source} at {tag}, "
              f"{got.origin.identity()}")
    changed = write_lock(lock_path, lock, root=config.root)
    print(f"{'updated' if changed else 'unchanged'}: {config.lock}")
    return 0


def _refuse_local_edits(config: Config, lock: Lock, vendored: str, *, force: bool) -> None:
    from dssync.commands.status import file_sha256

    path = config.resolve(vendored)
    entry = lock.get(vendored)
    if force or entry is None:
        return
    current = file_sha256(path)
    if current is not None and current != entry.sha256:
        raise DssyncError("has local edits since it was vendored (its sha256 differs from the lock)",
                          path=vendored, hint="use 'dssync update' to keep them, or --force to discard them")
