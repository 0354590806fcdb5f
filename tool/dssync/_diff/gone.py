"""What is known about a configured file that does not exist upstream at the tag compared with.

The sources that were asked say it is not there. The lock says which release the file was
vendored from, so it existed then; when that release is the one right before the tag, the file
is gone since the tag itself. Nothing more is fetched to find out: walking the releases in
between is what ``dssync history`` is for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

from dssync.targets import Target
from dssync.errors import DssyncError, PathNotFound
from dssync.models import Gone
from dssync.versions import release_version, sort_tags_newest_first

if TYPE_CHECKING:
    from dssync.lock import Lock


def locked_tags(lock: Lock | None, targets: Sequence[Target]) -> dict[str, str]:
    """The release each target was vendored from, when the lock records it for the same
    upstream path. Without a lock (none, or one that cannot be read) less is known."""
    if lock is None:
        return {}
    found = {}
    for target in targets:
        entry = lock.get(target.vendored)
        if entry is not None and entry.upstream == target.upstream:
            found[target.vendored] = entry.tag
    return found


def gone_upstream(tag: str, missing: PathNotFound | None, answered: Sequence[str],
                  unchecked: Sequence[str], known_at: str | None, tag_format: str,
                  releases: Callable[[], list[str] | None] | None) -> Gone:
    """``releases`` lists upstream's release tags, or None when they cannot be listed; it is
    asked only when the lock's release and ``tag`` are both releases, the lock's the earlier."""
    detail = missing.message if missing is not None else ""
    here = release_version(tag, tag_format)
    known = release_version(known_at, tag_format) if known_at and known_at != tag else None
    if here is None or known is None:
        return Gone(tag, tuple(answered), detail, tuple(unchecked))
    since = None
    listed = releases() if known < here and releases is not None else None
    if listed is not None:
        between = [t for t in listed
                   if (v := release_version(t, tag_format)) is not None and known < v < here]
        since = tag if not between else None
    return Gone(tag, tuple(answered), detail, tuple(unchecked), known_at, since,
                not_yet=known > here)


def release_list(list_tags: Callable[[], list[str]], tag_format: str,
                 prereleases: bool) -> Callable[[], list[str] | None]:
    """Upstream's release tags, listed once however many files ask; None when no source can
    list them (then less is known, and the report goes on)."""
    listed: list[list[str] | None] = []

    def releases() -> list[str] | None:
        if not listed:
            try:
                listed.append(sort_tags_newest_first(list_tags(), tag_format, prereleases))
            except DssyncError:
                listed.append(None)
        return listed[0]

    return releases
