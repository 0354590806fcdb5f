"""Redaction, the one place that knows what a secret looks like: in any text dssync prints
(URLs with user info, token parameters, authorization values, GitHub tokens, secrets
registered by the sources), and in a URL given as a source (``redact_url``, and
``without_secret`` for the URL git may store)."""

from __future__ import annotations

import re

# --- in any text -------------------------------------------------------------------------------

SECRETS: set[str] = set()

_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s?#]+@")
"""The user info of a URL up to the last ``@`` before its path: a password may hold a raw ``@``."""
_SECRET_PARAM = re.compile(
    r"(?i)(?P<name>[?&;](?:access_token|token|private_token|api[_-]?key|key|sig|signature"
    r"|password|passwd|secret|jwt|x-amz-signature|x-amz-credential|x-amz-security-token)=)"
    r"[^&#\s'\"<>]+"
)
_AUTH_VALUE = re.compile(
    r"(?i)(?P<name>\b(?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?(?:(?:bearer|token|basic)\s+)?)"
    r"[^\s'\",;}]+"
)
_BEARER = re.compile(r"(?i)(?P<name>\bbearer\s+)[A-Za-z0-9._~+/=\-]+")
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})")


def register_secret(value: str | None) -> None:
    """Make ``redact`` scrub ``value`` wherever it appears, whatever its shape."""
    if value and len(value) >= 4:
        SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with tokens and credentials (in URLs, headers, or known secrets) replaced."""
    for secret in sorted(SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URL_USERINFO.sub(r"\g<scheme>***@", text)
    text = _SECRET_PARAM.sub(r"\g<name>***", text)
    text = _AUTH_VALUE.sub(r"\g<name>***", text)
    text = _BEARER.sub(r"\g<name>***", text)
    return _GITHUB_TOKEN.sub("***", text)


# --- in a source URL -------------------------------------------------------------------------


def _secret_part(target: str) -> tuple[str, str | None, str] | None:
    """``(scheme://, the user name that may be shown, host and path)`` of a URL whose user info
    holds a secret: a password, or for http(s) anything (a user there is often a token; None:
    nothing is shown). None when ``target`` holds no secret. The user info ends at the last
    ``@`` before the path, as git and curl read it: a password may hold a raw ``@``."""
    head, sep, rest = target.partition("://")
    netloc = rest.split("/", 1)[0]
    if not sep or "@" not in netloc:
        return None
    at = netloc.rindex("@")
    userinfo, hostpath = rest[:at], rest[at + 1:]
    if head.lower() in ("http", "https"):
        return f"{head}://", None, hostpath
    if ":" in userinfo:
        return f"{head}://", userinfo.split(":", 1)[0], hostpath
    return None


def redact_url(target: str) -> str:
    """``target`` with any password (or, for http, any token-like user) replaced by ``***``."""
    found = _secret_part(target)
    if found is None:
        return target
    head, user, hostpath = found
    return f"{head}***@{hostpath}" if user is None else f"{head}{user}:***@{hostpath}"


def without_secret(target: str) -> str:
    """``target`` without what ``redact_url`` would mask: the URL git may store and print."""
    found = _secret_part(target)
    if found is None:
        return target
    head, user, hostpath = found
    return f"{head}{hostpath}" if user is None else f"{head}{user}@{hostpath}"
