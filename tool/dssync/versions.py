"""Map upstream tags to PEP 440 versions and order them.

Tags are names chosen by upstream (``v0.14.2``, ``0.14.2``, ``release-0.14.2``); a configured
``tag_format`` with one ``{version}`` placeholder says how a version sits inside a tag. Tags that
do not fit the format or do not hold a PEP 440 version still exist upstream; they are kept, but
sort after every version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from dssync.errors import ConfigError

if TYPE_CHECKING:
    from packaging.version import Version

PLACEHOLDER = "{version}"


def _split_format(tag_format: str) -> tuple[str, str]:
    if tag_format.count(PLACEHOLDER) != 1:
        raise ConfigError(
            f"tag-format {tag_format!r} must contain {PLACEHOLDER} exactly once",
            hint='use e.g. "v{version}" for tags like v1.2.3, or "{version}" for 1.2.3',
        )
    prefix, _, suffix = tag_format.partition(PLACEHOLDER)
    return prefix, suffix


def tag_to_version(tag: str, tag_format: str = "v{version}") -> str | None:
    """The version text inside ``tag``, or None when the tag does not fit the format."""
    prefix, suffix = _split_format(tag_format)
    if len(tag) <= len(prefix) + len(suffix):
        return None
    if not (tag.startswith(prefix) and tag.endswith(suffix)):
        return None
    return tag[len(prefix) : len(tag) - len(suffix)]


def version_to_tag(version: str, tag_format: str = "v{version}") -> str:
    prefix, suffix = _split_format(tag_format)
    return f"{prefix}{version}{suffix}"


def _parse(text: str) -> Version | None:
    # packaging is imported on first use: reading a cached release answers no version question.
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None


def release_version(tag: str, tag_format: str = "v{version}") -> Version | None:
    """The PEP 440 version ``tag`` names, or None if it is not a version tag in this format."""
    text = tag_to_version(tag, tag_format)
    return _parse(text) if text is not None else None


def _versioned(tags: Iterable[str], tag_format: str) -> tuple[list[tuple[Version, str]], list[str]]:
    versioned: list[tuple[Version, str]] = []
    other: list[str] = []
    for tag in tags:
        version = release_version(tag, tag_format)
        if version is None:
            other.append(tag)
        else:
            versioned.append((version, tag))
    return versioned, other


def sort_tags_newest_first(
    tags: Iterable[str], tag_format: str = "v{version}", include_prereleases: bool = True
) -> list[str]:
    """Version tags by PEP 440, newest first, then the other tags by name.

    With ``include_prereleases=False`` pre- and dev releases are left out entirely. Two tags
    naming the same version (``v1.0`` and ``v1.0.0``) are ordered by name so the result is
    stable.
    """
    versioned, other = _versioned(tags, tag_format)
    if not include_prereleases:
        versioned = [(v, t) for v, t in versioned if not v.is_prerelease]
    return _newest_first(versioned) + sorted(other)


def _newest_first(versioned: list[tuple[Version, str]]) -> list[str]:
    versioned = sorted(versioned, key=lambda item: item[1])
    versioned.sort(key=lambda item: item[0], reverse=True)
    return [t for _, t in versioned]


def prerelease_tags(tags: Iterable[str], tag_format: str = "v{version}") -> list[str]:
    """The tags naming a pre- or development release (``v1.0rc1``, ``v0.3.1.dev8``), newest
    first: the ones PEP 440 leaves out unless they are asked for."""
    versioned, _ = _versioned(tags, tag_format)
    return _newest_first([(v, t) for v, t in versioned if v.is_prerelease])


def latest_tag(
    tags: Iterable[str], tag_format: str = "v{version}", include_prereleases: bool = False
) -> str | None:
    """The tag of the highest release, or None when no tag qualifies."""
    ordered = sort_tags_newest_first(tags, tag_format, include_prereleases)
    if not ordered or release_version(ordered[0], tag_format) is None:
        return None
    return ordered[0]


def _loose_version(text: str, tag_format: str) -> Version | None:
    """A version for a tag or for what a user typed, who may have left out the prefix."""
    inner = tag_to_version(text, tag_format)
    version = _parse(inner) if inner is not None else None
    return version if version is not None else _parse(text)


def _release_tuple(version: Version, width: int) -> tuple[int, ...]:
    return tuple(version.release) + (0,) * (width - len(version.release))


def nearest_tags(
    wanted: str, tags: Iterable[str], n: int = 3, tag_format: str = "v{version}"
) -> list[str]:
    """Up to ``n`` existing tags a user who typed ``wanted`` most likely meant.

    When ``wanted`` reads as a version, tags are ranked by how many leading release components
    they share with it, then by the distance at the first component that differs (so for 0.9.5
    the suggestions are 0.9.4 and 0.9.6 before 0.10.0); final releases beat prereleases on ties.
    Otherwise, and when no tag reads as a version, names are compared by similarity.
    """
    tags = list(dict.fromkeys(tags))
    if n <= 0 or not tags:
        return []
    target = _loose_version(wanted, tag_format)
    if target is not None:
        candidates = []
        for tag in tags:
            version = _loose_version(tag, tag_format)
            if version is not None:
                candidates.append((version, tag))
        if candidates:
            width = max(len(target.release), *(len(v.release) for v, _ in candidates))
            goal = _release_tuple(target, width)

            def rank(item: tuple[Version, str]) -> tuple:
                version, tag = item
                parts = _release_tuple(version, width)
                common = 0
                while common < width and parts[common] == goal[common]:
                    common += 1
                gap = abs(parts[common] - goal[common]) if common < width else 0
                return (-common, gap, version != target, version.is_prerelease, tag)

            candidates.sort(key=rank)
            return [tag for _, tag in candidates[:n]]
    import difflib

    matches = difflib.get_close_matches(wanted, tags, n=n, cutoff=0.6)
    if not matches:
        matches = difflib.get_close_matches(wanted, tags, n=n, cutoff=0.3)
    return matches
