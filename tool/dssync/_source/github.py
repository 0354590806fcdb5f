"""Upstream files from GitHub: tags via the REST API, bytes via the raw host or the contents API.

A release tag is resolved to a commit once: the answer is kept in the cache's ``refs``
namespace and used from then on, online and ``--offline`` alike (a release is not expected to
move; ``--no-cache`` asks again). File bytes are cached under the commit, which never changes.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import os
import re
from typing import Any, Sequence
from urllib.parse import quote, urljoin, urlsplit

from dssync._source.http import HttpClient, HttpResponse, redact
from dssync._source.interface import Fetched, SourceContext
from dssync.errors import (
    ConfigError,
    DssyncError,
    NotFound,
    OfflineMiss,
    PathNotFound,
    SourceUnavailable,
    UpstreamError,
)
from dssync.models import Origin

_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
_RAW_HEADERS = {"Accept": "application/vnd.github.raw", "X-GitHub-Api-Version": "2022-11-28"}
_MAX_PAGES = 200
_MAX_TAG_DEPTH = 10
_OFFLINE_HINT = "run once without --offline so the cache holds it"


def _token_from_env() -> str | None:
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _valid_tag(tag: str) -> bool:
    # The parts of git's ref-name rules that could also bend the API URL.
    return bool(tag) and not (
        ".." in tag or tag.startswith(("/", "-")) or tag.endswith(("/", ".", ".lock"))
        or "//" in tag or any(c in tag for c in " ~^:?*[\\") or any(ord(c) < 32 for c in tag)
    )


def _clean_path(path: str) -> str:
    clean = path.strip().lstrip("/")
    parts = clean.split("/")
    if not clean or "\\" in clean or any(p in ("", ".", "..") for p in parts):
        raise ConfigError(f"invalid upstream path {path!r}",
                          hint="give a repository-relative path with / separators")
    return clean


def _next_link(header: str | None) -> str | None:
    if not header:
        return None
    for match in re.finditer(r"<([^>]*)>([^<]*)", header):
        rel = re.search(r'rel\s*=\s*"?([^";,]*)"?', match.group(2))
        if rel and "next" in rel.group(1).split():
            return match.group(1)
    return None


def _media_type(resp: HttpResponse) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _is_html(resp: HttpResponse) -> bool:
    if _media_type(resp) in ("text/html", "application/xhtml+xml"):
        return True
    head = resp.content[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


class GitHubSource:
    """A repository on GitHub (or GitHub Enterprise, through ``ctx.github_*_url``)."""

    kind = "github"

    def __init__(self, repo: str, ctx: SourceContext, token: str | None = None, *,
                 backoff: float = 0.5) -> None:
        name = repo.strip().strip("/").removesuffix(".git")
        if not _REPO.fullmatch(name) or any(p in (".", "..") for p in name.split("/")):
            raise ConfigError(f"invalid GitHub repository {repo!r}",
                              hint="write it as owner/name, e.g. github:microsoft/DeepSpeed")
        self.repo = name
        self.owner, self.name = name.split("/")
        self.spec = f"github:{name}"
        self.ctx = ctx
        self._token = token or _token_from_env()
        self._api = ctx.github_api_url.rstrip("/")
        self._raw = ctx.github_raw_url.rstrip("/")
        self._backoff = backoff
        self._http: HttpClient | None = None
        self._commits: dict[str, str] = {}
        self._tags: list[str] | None = None

    def __repr__(self) -> str:
        return f"GitHubSource({self.repo!r}, token={'***' if self._token else None})"

    def __enter__(self) -> GitHubSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    @property
    def http(self) -> HttpClient:
        if self._http is None:
            api = urlsplit(self._api)
            host = api.hostname or ""
            token_host = f"{host}:{api.port}" if api.port else host
            self._http = HttpClient(self.ctx, token=self._token, token_hosts=[token_host],
                                    backoff=self._backoff)
        return self._http

    @property
    def _repo_api(self) -> str:
        return f"{self._api}/repos/{quote(self.owner)}/{quote(self.name)}"

    # -- tags --------------------------------------------------------------------------------

    def list_tags(self) -> list[str]:
        if self._tags is None:
            self._tags = self.ctx.kept_names(self.spec, self._tags_asked)
        return list(self._tags)

    def _tags_asked(self) -> list[str]:
        names: list[str] = []
        url: str | None = f"{self._repo_api}/tags?per_page=100"
        seen: set[str] = set()
        while url and url not in seen and len(seen) < _MAX_PAGES:
            seen.add(url)
            resp = self._get(url, _API_HEADERS, what="its tags")
            page = self._json(resp)
            if not isinstance(page, list):
                raise SourceUnavailable(f"{self.spec}: unexpected answer listing tags from "
                                        f"{redact(url)}")
            names.extend(t["name"] for t in page
                         if isinstance(t, dict) and isinstance(t.get("name"), str))
            link = _next_link(resp.headers.get("Link"))
            url = urljoin(resp.url, link) if link else None
        return list(dict.fromkeys(names))

    def resolve(self, tag: str) -> str:
        """The commit SHA ``tag`` names, following annotated tags."""
        if tag in self._commits:
            return self._commits[tag]
        if not _valid_tag(tag):
            raise NotFound(f"{tag!r} is not a valid tag name ({self.spec})")
        key = f"{self.spec}@{tag}"
        cached = self.ctx.cache.read_json("refs", key)
        commit = cached.get("commit") if isinstance(cached, dict) else None
        if isinstance(commit, str) and _SHA.fullmatch(commit):
            self._commits[tag] = commit
            return commit
        if self.ctx.offline:
            raise OfflineMiss(f"which commit tag {tag} of {self.spec} names is not cached",
                              hint=_OFFLINE_HINT)
        url = f"{self._repo_api}/git/ref/tags/{quote(tag, safe='/')}"
        try:
            resp = self.http.get(url, headers=_API_HEADERS)
        except NotFound:
            raise self._unknown_tag(tag) from None
        obj = self._ref_object(self._json(resp), tag, url)
        for _ in range(_MAX_TAG_DEPTH):
            kind, sha = obj
            if kind == "commit":
                break
            if kind != "tag":
                raise UpstreamError(f"tag {tag} of {self.spec} points to a {kind}, not a commit")
            tag_url = f"{self._repo_api}/git/tags/{sha}"
            try:
                resp = self.http.get(tag_url, headers=_API_HEADERS)
            except NotFound:
                raise NotFound(f"tag {tag} of {self.spec}: its tag object {sha[:12]} is "
                               "missing") from None
            obj = self._ref_object(self._json(resp), tag, tag_url)
        else:
            raise UpstreamError(f"tag {tag} of {self.spec}: annotated tags nest more than "
                                f"{_MAX_TAG_DEPTH} deep")
        commit = obj[1]
        self.ctx.cache.write_json("refs", key, {"source": self.spec, "tag": tag,
                                                "commit": commit})
        self._commits[tag] = commit
        return commit

    def _ref_object(self, data: Any, tag: str, url: str) -> tuple[str, str]:
        if isinstance(data, list):  # an old API answered prefix matches with a list
            data = next((d for d in data if isinstance(d, dict)
                         and d.get("ref") == f"refs/tags/{tag}"), None)
            if data is None:
                raise self._unknown_tag(tag)
        obj = data.get("object") if isinstance(data, dict) else None
        kind = obj.get("type") if isinstance(obj, dict) else None
        sha = obj.get("sha") if isinstance(obj, dict) else None
        if not isinstance(kind, str) or not isinstance(sha, str) or not _SHA.fullmatch(sha):
            raise SourceUnavailable(f"{self.spec}: unexpected answer resolving tag {tag} from "
                                    f"{redact(url)}")
        return kind, sha

    def _unknown_tag(self, tag: str) -> NotFound:
        try:
            tags = self.list_tags()
        except NotFound as exc:
            return exc
        except DssyncError:
            return NotFound(f"tag {tag} not found in {self.spec}")
        near = difflib.get_close_matches(tag, tags, n=3, cutoff=0.6)
        if near:
            hint = "nearest existing tags: " + ", ".join(near)
        elif tags:
            hint = f"none of its {len(tags)} tags is close"
        else:
            hint = "the repository has no tags"
        return NotFound(f"tag {tag} not found in {self.spec}", hint=hint)

    # -- files -------------------------------------------------------------------------------

    def list_files(self, tag: str) -> list[str]:
        """Every file of the commit ``tag`` names, from the git trees API (recursive)."""
        commit = self.resolve(tag)
        key = f"github:{self.repo}@{commit}"
        listed = self.ctx.cache.read_json("listings", key)
        if isinstance(listed, list) and all(isinstance(p, str) for p in listed):
            return listed
        if self.ctx.offline:
            raise OfflineMiss(f"the files of {self.spec} at {tag} (commit {commit[:12]}) are not "
                              "cached", hint=_OFFLINE_HINT)
        url = f"{self._repo_api}/git/trees/{commit}?recursive=1"
        data = self._json(self.http.get(url, headers=_API_HEADERS))
        tree = data.get("tree") if isinstance(data, dict) else None
        if not isinstance(tree, list) or data.get("truncated"):
            # A truncated listing would report files as gone that are not.
            raise SourceUnavailable(f"{self.spec}: the file list at {tag} is "
                                    f"{'truncated' if isinstance(tree, list) else 'unreadable'}"
                                    f" ({redact(url)})", hint="use a git or pypi source for trees")
        names = sorted(item["path"] for item in tree
                       if isinstance(item, dict) and item.get("type") == "blob"
                       and isinstance(item.get("path"), str))
        self.ctx.cache.write_json("listings", key, names)
        return names

    def fetch(self, tag: str, paths: Sequence[str]) -> dict[str, Fetched]:
        commit = self.resolve(tag)
        out: dict[str, Fetched] = {}
        for path in paths:
            clean = _clean_path(path)
            key = f"github:{self.repo}@{commit}:{clean}"
            content = self.ctx.cache.read("blobs", key)
            if content is None:
                if self.ctx.offline:
                    raise OfflineMiss(f"{clean} of {self.spec} at {tag} (commit {commit[:12]}) "
                                      "is not cached", hint=_OFFLINE_HINT)
                content = self._download(tag, commit, clean)
                self.ctx.cache.write("blobs", key, content)
            origin = Origin(source=self.spec, tag=tag, path=clean,
                            sha256=hashlib.sha256(content).hexdigest(), commit=commit)
            out[path] = Fetched(content=content, origin=origin)
        return out

    def _download(self, tag: str, commit: str, path: str) -> bytes:
        if self._token:
            url = f"{self._repo_api}/contents/{quote(path)}?ref={commit}"
            headers = _RAW_HEADERS
        else:
            url = f"{self._raw}/{quote(self.owner)}/{quote(self.name)}/{commit}/{quote(path)}"
            headers = {}
        try:
            resp = self.http.get(url, headers=headers)
        except NotFound:
            raise PathNotFound(f"{path} does not exist in {self.spec} at tag {tag} "
                               f"(commit {commit[:12]})", upstream_path=path,
                               hint="check the upstream path in the configuration") from None
        if _is_html(resp):
            host = urlsplit(resp.url).hostname or resp.url
            raise SourceUnavailable(f"{host} served an HTML page where {path} was expected "
                                    f"(GET {redact(url)})",
                                    hint="a proxy or login page may be in the way")
        if self._token and _media_type(resp) == "application/json":
            return self._decode_contents(resp, path, tag)
        return resp.content

    def _decode_contents(self, resp: HttpResponse, path: str, tag: str) -> bytes:
        data = self._json(resp)
        if isinstance(data, list) or (isinstance(data, dict) and data.get("type") == "dir"):
            raise NotFound(f"{path} is a directory in {self.spec} at tag {tag}, not a file")
        if not isinstance(data, dict) or not isinstance(data.get("content"), str):
            raise SourceUnavailable(f"{self.spec}: unexpected contents answer for {path}")
        if data.get("encoding") != "base64":
            raise SourceUnavailable(f"{self.spec}: the contents API did not include {path} "
                                    f"(encoding {data.get('encoding')!r}); it may be too large",
                                    hint="unset GITHUB_TOKEN to download it from the raw host")
        try:
            return base64.b64decode(data["content"])
        except ValueError:
            raise SourceUnavailable(f"{self.spec}: malformed base64 content for {path}") from None

    # -- helpers -----------------------------------------------------------------------------

    def _get(self, url: str, headers: dict[str, str], *, what: str) -> HttpResponse:
        try:
            return self.http.get(url, headers=headers)
        except NotFound:
            hint = "check the name" if self._token else \
                "check the name; if the repository is private, set GITHUB_TOKEN"
            raise NotFound(f"{self.spec}: cannot read {what}: repository not found",
                           hint=hint) from None

    def _json(self, resp: HttpResponse) -> Any:
        try:
            return json.loads(resp.content)
        except RecursionError:
            raise SourceUnavailable(f"{self.spec}: {redact(resp.url)} answered with JSON "
                                    "nested too deeply to be an API answer",
                                    hint="a proxy may be in the way") from None
        except ValueError:
            kind = "an HTML page" if _is_html(resp) else "something that is not JSON"
            raise SourceUnavailable(f"{self.spec}: {redact(resp.url)} answered with {kind}",
                                    hint="a proxy or login page may be in the way") from None
