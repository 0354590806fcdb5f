"""Where people can read upstream on the web, so that reports link the tag they compared with.

Only a GitHub repository (github.com or GitHub Enterprise) has pages dssync knows how to link:
the tree at a tag, a file at a tag and line, and the compare view between two tags. It is named
by the configuration's ``github`` key, a ``github:OWNER/REPO`` source, or a ``git:`` source
whose URL is on the same GitHub host. A package index or a local clone has no such pages.
"""

from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import urlsplit

from dssync.models import UpstreamWeb

PUBLIC_API = "https://api.github.com"
PUBLIC_WEB = "https://github.com"

_GIT_URL = re.compile(r"^(?:(?P<scheme>https?|ssh|git)://(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?/"
                      r"|[^@/]+@(?P<scp_host>[^:/]+):)(?P<repo>[^/]+/[^/]+?)(?:\.git)?/?$")


def web_root(api_url: str | None) -> str | None:
    """The web address that goes with a GitHub API address: the public one, or an
    Enterprise server's (``https://HOST/api/v3`` serves ``https://HOST``)."""
    api = (api_url or PUBLIC_API).rstrip("/")
    if api == PUBLIC_API:
        return PUBLIC_WEB
    if api.endswith("/api/v3"):
        return api[: -len("/api/v3")]
    return None


def upstream_web(specs: Iterable[str], github: str | None = None,
                 api_url: str | None = None) -> UpstreamWeb | None:
    """The repository to link, from the configured ``github`` project or the sources."""
    root = web_root(api_url)
    if root is None:
        return None
    if github:
        return UpstreamWeb(f"{root}/{github}")
    host = urlsplit(root).hostname
    for spec in specs:
        kind, _, target = spec.partition(":")
        if kind == "github" and target.count("/") == 1:
            return UpstreamWeb(f"{root}/{target}")
        if kind == "git":
            m = _GIT_URL.match(target)
            if m and (m["host"] or m["scp_host"]) == host:
                return UpstreamWeb(f"{root}/{m['repo']}")
    return None
