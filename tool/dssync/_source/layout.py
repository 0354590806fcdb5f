"""Where a path of one release lives in another: projects move their packages under ``src/``.

requests 2.31.0's sdist holds ``requests/__version__.py``; a later release holds
``src/requests/__version__.py``. A configured upstream path (a file, or a tree's directory) names
the file as the vendored copy knew it, so a release whose archive or tree lacks that path is
searched for the same path with a ``src/`` prefix added, or removed, before the path is called
absent. Nothing else is guessed: a path that moved anywhere else is a different file.
"""

from __future__ import annotations

from typing import Iterable

SRC = "src/"
"""The one layout move followed: ``pkg/...`` <-> ``src/pkg/...`` (the "src layout")."""


def _clean(path: str) -> str:
    return path.strip("/")


def layout_candidates(path: str) -> tuple[str, str]:
    """``path`` itself first, then the same path in the other layout."""
    path = _clean(path)
    if path.startswith(SRC):
        return path, path[len(SRC):]
    return path, SRC + path


class ReleaseLayout:
    """The files of one release (archive members or a git tree, ``/``-separated, relative to
    the project's root) and the directories they imply, for repeated look-ups."""

    def __init__(self, paths_in_release: Iterable[str]) -> None:
        self.files = frozenset(_clean(p) for p in paths_in_release if _clean(p))
        dirs: set[str] = set()
        for path in self.files:
            parts = path.split("/")
            dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
        self.dirs = frozenset(dirs)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and (_clean(path) in self.files or _clean(path) in self.dirs)

    def find(self, path: str) -> str | None:
        """Where ``path`` (a file or a directory) is in this release, following the ``src/``
        move; None when it is in neither layout. A path present as it is wins, so a release
        that holds both ``pkg/`` and ``src/pkg/`` answers with the path asked for."""
        if not _clean(path):
            return ""  # the release's root
        for candidate in layout_candidates(path):
            if candidate in self:
                return candidate
        return None
