"""Trees: a vendored directory mapped to an upstream directory, narrowed by globs.

A tree's files are those its globs take, on either side: the vendored files on disk, and the
files of the upstream directory at the tag read. One only upstream has appeared there; one only
vendored has disappeared upstream.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from dataclasses import replace
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from dssync._source.chain import FetchResult, SourceChain
    from dssync.config import Config, TreeEntry
    from dssync.targets import Target


@lru_cache(maxsize=256)
def _compile(glob: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]+/)*")  # any number of directories, none included
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out))


def glob_match(relpath: str, glob: str) -> bool:
    """Whether ``relpath`` (``/``-separated) matches ``glob``: ``*`` and ``?`` stay within one
    path part, ``**`` crosses any number of them (``**/x.py`` is ``x.py`` at any depth, the top
    included)."""
    return _compile(glob).fullmatch(relpath) is not None


def vendored_files(config: Config, tree: TreeEntry, *, must_exist: bool = True) -> list[str]:
    """The vendored files of ``tree`` on disk that its globs take, relative to the project root,
    sorted. A directory that is not there is a mistake in the configuration (a typo would make
    the audit check nothing, silently) unless ``must_exist`` is off (``vendor`` creates it); one
    that cannot be read is an error, never skipped."""
    from dssync.config import display_path
    from dssync.errors import ConfigError, DssyncError

    base = config.resolve(tree.vendored)
    if not base.is_dir():
        if not must_exist and not base.exists():
            return []
        raise ConfigError(f"the tree's vendored directory {tree.vendored} "
                          + ("is not a directory" if base.exists() else "does not exist"),
                          path=display_path(config.path),
                          hint="correct its vendored path (from the project root), or run "
                               "'dssync vendor' to fetch the tree")

    def unreadable(exc: OSError) -> None:
        where = display_path(Path(exc.filename)) if exc.filename else None
        what = ("permission denied" if isinstance(exc, PermissionError)
                else f"cannot read it: {exc.strerror or exc}")
        raise DssyncError(what, path=where,
                          hint="make it readable (its files are part of a configured tree)")

    found = []
    for dirpath, dirnames, filenames in os.walk(base, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        rel_dir = Path(dirpath).relative_to(base).as_posix()
        for name in filenames:
            inner = name if rel_dir == "." else f"{rel_dir}/{name}"
            if tree.takes(inner):
                found.append(f"{tree.vendored}/{inner}")
    return sorted(found)


def upstream_files(tree: TreeEntry, paths_in_release: Iterable[str],
                   upstream_dir: str | None = None) -> dict[str, str]:
    """The files of ``tree`` in a release, vendored path -> upstream path. ``upstream_dir`` is
    where the tree's directory is in that release (it may have moved under ``src/``)."""
    top = tree.upstream if upstream_dir is None else upstream_dir
    prefix = top + "/" if top else ""
    found = {}
    for path in paths_in_release:
        if not path.startswith(prefix):
            continue
        inner = path[len(prefix):]
        if inner and tree.takes(inner):
            found[f"{tree.vendored}/{inner}"] = path
    return dict(sorted(found.items()))


def at_release(config: Config, listing: Iterable[str], targets: Sequence[Target], *,
               appeared: bool = True) -> tuple[list[Target], set[str]]:
    """``targets`` as they are in a release whose files are ``listing``: a tree's file (and a
    file entry) at its path in that release, the ``src/`` layout move followed; and, with
    ``appeared``, a target for each file of a tree that upstream has and the project does not
    (their vendored paths are returned too). A target upstream lacks stays as configured: the
    report says it is gone."""
    from dssync._source.layout import ReleaseLayout
    from dssync.targets import Target

    layout = ReleaseLayout(listing)
    explicit = {e.vendored for e in config.files}
    in_trees: dict[str, str] = {}
    for tree in config.trees:
        where = layout.find(tree.upstream)
        if where is not None:
            in_trees.update(upstream_files(tree, sorted(layout.files), where))
    placed = []
    for target in targets:
        if target.vendored not in explicit and target.vendored in in_trees:
            target = replace(target, upstream=in_trees[target.vendored])
        else:
            moved = layout.find(target.upstream)
            if moved:
                target = replace(target, upstream=moved)
        placed.append(target)
    new: set[str] = set()
    if appeared:
        have = {t.vendored for t in placed}
        for vendored, upstream in in_trees.items():
            if vendored not in have:
                placed.append(Target(vendored, config.resolve(vendored), upstream))
                new.add(vendored)
    return placed, new


def fetch_targets(chain: SourceChain, config: Config | None, tag: str,
                  targets: Sequence[Target], *, trees: bool, appeared: bool,
                  also: Sequence[str] = ()) -> tuple[list[Target], set[str], FetchResult]:
    """``targets`` placed in the release at ``tag`` and fetched, with the upstream paths in
    ``also``: with ``trees``, each tree matched against the release's listing (``at_release``;
    the vendored paths of files that appeared are returned); without, a file absent at the tag
    read from the other layout if it moved there (``follow_src``). What is still absent is in
    the result's ``missing``: the caller says whether that is gone or an error."""
    appeared_paths: set[str] = set()
    if trees:
        assert config is not None
        targets, appeared_paths = at_release(config, chain.list_files(tag)[1], targets,
                                             appeared=appeared)
    result = chain.fetch_available(tag, [t.upstream for t in targets] + list(also))
    if result.missing and not trees:
        targets = follow_src(chain, tag, targets, result)
    return list(targets), appeared_paths, result


def follow_src(chain: SourceChain, tag: str, targets: Sequence[Target],
               result: FetchResult) -> list[Target]:
    """``targets`` with each one absent at ``tag`` but present in the other layout (moved under
    ``src/``, or out of it) read from there: its target names the path it was read from, and
    ``result`` holds the file instead of its absence. A source that cannot list the release's
    files leaves them absent (the report says gone, as before)."""
    from dssync._source.layout import ReleaseLayout
    from dssync.errors import DssyncError

    absent = [t for t in targets if t.upstream in result.missing]
    if not absent:
        return list(targets)
    try:
        layout = ReleaseLayout(chain.list_files(tag)[1])
    except DssyncError:
        return list(targets)
    moved: dict[str, str] = {}
    for target in absent:
        found = layout.find(target.upstream)
        if found and found != target.upstream:
            moved[target.upstream] = found
    if not moved:
        return list(targets)
    again = chain.fetch_available(tag, sorted(set(moved.values())))
    result.files.update(again.files)
    for old, new in moved.items():
        if new in again.files:
            result.missing.pop(old, None)
    return [replace(t, upstream=moved[t.upstream])
            if t.upstream in moved and moved[t.upstream] in again.files else t for t in targets]
