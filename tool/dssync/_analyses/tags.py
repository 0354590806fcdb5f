"""Which tags a walk through upstream's history visits, oldest release first."""

from __future__ import annotations

from typing import Iterable

from packaging.version import InvalidVersion, Version

from dssync import versions
from dssync.errors import DssyncError, NotFound


def bound_version(text: str, tag_format: str, option: str) -> Version:
    """The version ``--since``/``--until`` names, written as a tag (``v0.7.0``) or bare (``0.7``)."""
    found = versions.release_version(text, tag_format)
    if found is not None:
        return found
    try:
        return Version(text)
    except InvalidVersion:
        raise DssyncError(f"{option} {text!r} is not a release tag or version",
                          hint=f"give a tag like {versions.version_to_tag('1.2.3', tag_format)!r} "
                               "or a version like 1.2") from None


def release_tags(tags: Iterable[str], tag_format: str, *, since: str | None = None,
                 until: str | None = None, prereleases: bool = False) -> list[str]:
    """Release tags in PEP 440 order, oldest first, within ``since``..``until`` (inclusive).

    Tags that do not name a version in ``tag_format`` (branches' tags, ``nightly``) are left
    out: they have no place in a release order.
    """
    tags = list(tags)
    ordered = versions.sort_tags_newest_first(tags, tag_format, include_prereleases=prereleases)
    ordered = [t for t in ordered if versions.release_version(t, tag_format) is not None]
    ordered.reverse()
    low = bound_version(since, tag_format, "--since") if since else None
    high = bound_version(until, tag_format, "--until") if until else None
    if low is not None and high is not None and low > high:
        raise DssyncError(f"--since {since} is after --until {until}",
                          hint="swap the two, or drop one")
    chosen = []
    for tag in ordered:
        version = versions.release_version(tag, tag_format)
        assert version is not None
        if (low is None or version >= low) and (high is None or version <= high):
            chosen.append(tag)
    if not chosen:
        if not ordered:
            raise NotFound(f"upstream has no release tags matching {tag_format!r}",
                           hint="set tag-format in the configuration to how upstream names "
                                "release tags")
        span = " ".join(p for p in (f"--since {since}" if since else "",
                                    f"--until {until}" if until else "") if p)
        raise NotFound(f"no release tag within {span}",
                       hint=f"upstream's releases run from {ordered[0]} to {ordered[-1]}")
    return chosen
