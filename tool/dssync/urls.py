"""Whether a URL the user gives (an option, the configuration, the environment) can be used.

Checked before anything else runs: a mistyped URL is an error even on a run that the cache
could answer without ever using it, rather than a surprise on the first run that needs it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

INDEX_SCHEMES = ("http", "https")
"""A package index is read over HTTP only: pip also reads a local directory (``file:``), but
dssync reads what an index announces (sha256 hashes, yanked releases), which a directory
does not hold."""
WEB_SCHEMES = ("http", "https")


def url_problem(value: str, schemes: tuple[str, ...]) -> str | None:
    """Why ``value`` is not a usable URL with one of ``schemes``, or None when it is."""
    if not value:
        return "it is empty"
    if any(c.isspace() or ord(c) < 32 for c in value):
        return "it contains white space or control characters"
    parts = urlsplit(value)
    if not parts.scheme:
        return "it has no scheme (such as https://)"
    if parts.scheme.lower() == "file" and "file" not in schemes:
        return "a local directory (file:) cannot be read as a package index"
    if parts.scheme.lower() not in schemes:
        return f"the scheme {parts.scheme!r} is not one of {', '.join(schemes)}"
    if not parts.hostname:
        return "it names no host"
    try:
        parts.port  # noqa: B018 (reading it is the check: urllib raises for a bad port)
    except ValueError:
        return "its port is not a number from 0 to 65535"
    return None


def describe(schemes: tuple[str, ...]) -> str:
    """``a full http or https URL``: what a hint asks for."""
    names = ", ".join(schemes[:-1]) + f" or {schemes[-1]}" if len(schemes) > 1 else schemes[0]
    return f"a full {names} URL"
