"""Upstream files read from a release's sdist on the package index pip uses.

The index is asked for the project's file list (PEP 691 JSON, or PEP 503 HTML from older
indexes); the sdist of the release a tag names is downloaded once, checked against the sha256 the
index announced, and cached under that hash. Which archive a tag maps to is cached as well, so
``--offline`` can answer without the index.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence
from urllib.parse import unquote, urljoin, urlsplit

from dssync.errors import (
    IntegrityError,
    NotFound,
    OfflineMiss,
    PathNotFound,
    RateLimited,
    SourceUnavailable,
    UpstreamError,
)
from dssync.models import Origin
from dssync._source.archive import archive_suffix, list_members, read_members, safe_name
from dssync._source.interface import Fetched, SourceContext
from dssync.versions import tag_to_version, version_to_tag

if TYPE_CHECKING:
    from dssync._source.http import HttpClient

ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_JSON_TYPES = ("application/vnd.pypi.simple.v1+json", "application/json")
_HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "text/html", "")
_SUFFIX_PREFERENCE = (".tar.gz", ".zip", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

DEFAULT_MAX_ARCHIVE_BYTES = 200 * 2**20


@dataclass(frozen=True)
class IndexFile:
    """One file the index lists for the project."""

    filename: str
    url: str
    sha256: str | None
    yanked: bool = False
    yanked_reason: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Listing:
    """A project's page on the package index: its files, and the versions PEP 700 lists."""

    files: tuple[IndexFile, ...]
    versions: tuple[str, ...] = ()


def sdist_version(filename: str, project: str) -> str | None:
    """The version of ``project`` an sdist ``filename`` holds, or None if it is not one.

    Accepts every spelling of the name that normalizes the same (``DeepSpeed-``, ``deep_speed-``
    as PEP 625 writes it), and versions that themselves contain ``-`` (old sdists).
    """
    suffix = archive_suffix(filename)
    if suffix is None:
        return None
    from packaging.utils import canonicalize_name  # PEP 503 names; packaging.tags is heavy

    stem = filename[: -len(suffix)]
    want = canonicalize_name(project)
    for match in re.finditer("-", stem):
        if canonicalize_name(stem[: match.start()]) == want:
            version = stem[match.end():]
            return version or None
    return None


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _sha256_of(hashes: Any) -> str | None:
    if isinstance(hashes, dict):
        value = hashes.get("sha256")
        if isinstance(value, str) and _SHA256.match(value.lower()):
            return value.lower()
    return None


def parse_json_page(body: bytes, page_url: str) -> Listing:
    """A PEP 691 project page; raises ValueError if it is not one."""
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise ValueError("no 'files' list")
    meta = data.get("meta")
    if isinstance(meta, dict):
        _check_api_version(str(meta.get("api-version", "1.0")))
    files = []
    for entry in data["files"]:
        if not isinstance(entry, dict):
            continue
        filename, url = entry.get("filename"), entry.get("url")
        if not isinstance(filename, str) or not isinstance(url, str):
            continue
        yanked = entry.get("yanked", False)
        size = entry.get("size")
        files.append(IndexFile(
            filename=filename,
            url=urljoin(page_url, url),
            sha256=_sha256_of(entry.get("hashes")),
            yanked=bool(yanked),
            yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        ))
    listed = data.get("versions")
    versions = tuple(v for v in listed if isinstance(v, str)) if isinstance(listed, list) else ()
    return Listing(tuple(files), versions)


def _check_api_version(version: str) -> None:
    major = version.split(".", 1)[0]
    if major != "1":
        raise ValueError(f"unsupported simple API version {version}")


def _anchor_parser() -> Any:
    """A parser for PEP 503 pages; html.parser is imported only when an index serves HTML."""
    from html.parser import HTMLParser

    class _AnchorParser(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.base: str | None = None
            self.api_version: str | None = None
            self.anchors: list[tuple[dict[str, str | None], str]] = []
            self._open: dict[str, str | None] | None = None
            self._text: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            attributes = dict(attrs)
            if tag == "base" and attributes.get("href") and self.base is None:
                self.base = attributes["href"]
            elif tag == "meta" and attributes.get("name") == "pypi:repository-version":
                self.api_version = attributes.get("content") or "1.0"
            elif tag == "a":
                self._close()
                self._open, self._text = attributes, []

        def handle_data(self, data: str) -> None:
            if self._open is not None:
                self._text.append(data)

        def handle_endtag(self, tag: str) -> None:
            if tag == "a":
                self._close()

        def _close(self) -> None:
            if self._open is not None:
                self.anchors.append((self._open, "".join(self._text).strip()))
            self._open, self._text = None, []

    return _AnchorParser()


def parse_html_page(body: bytes, page_url: str, charset: str = "utf-8") -> Listing:
    """A PEP 503 project page; raises ValueError if it does not look like one."""
    parser = _anchor_parser()
    parser.feed(body.decode(charset or "utf-8", errors="replace"))
    parser.close()
    parser._close()
    if parser.api_version is not None:
        _check_api_version(parser.api_version)
    base = urljoin(page_url, parser.base) if parser.base else page_url
    files = []
    for attributes, text in parser.anchors:
        href = attributes.get("href")
        if not href:
            continue
        url = urljoin(base, href)
        parts = urlsplit(url)
        filename = text or unquote(parts.path.rsplit("/", 1)[-1])
        kind, _, digest = parts.fragment.partition("=")
        sha256 = digest.lower() if kind == "sha256" and _SHA256.match(digest.lower()) else None
        yanked = "data-yanked" in attributes
        reason = attributes.get("data-yanked") or None
        files.append(IndexFile(filename=filename, url=parts._replace(fragment="").geturl(),
                               sha256=sha256, yanked=yanked, yanked_reason=reason))
    if not files and parser.api_version is None:
        # An index page always carries links or its version tag; a bare page is a proxy's or
        # server's error page sent with status 200.
        raise ValueError("HTML without file links or a repository-version tag")
    return Listing(tuple(files))


def _version_key(version: str) -> Any:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        return None


class PackageIndexSource:
    """Release sdists on the package index pip would install ``package`` from."""

    kind = "pypi"

    def __init__(
        self,
        package: str,
        ctx: SourceContext,
        index_url: str | None = None,
        *,
        http: HttpClient | None = None,
        max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES,
    ) -> None:
        self.package = package
        self.spec = f"pypi:{package}"
        self.ctx = ctx
        self._explicit_index = index_url or ctx.index_url
        self._index_url: str | None = None
        self._cache_key: str | None = None
        self._http = http
        self._own_http = http is None
        self.max_archive_bytes = max_archive_bytes
        self._listing: Listing | None = None
        self._last_archive: tuple[str, bytes] | None = None

    # -- public ------------------------------------------------------------------------------

    @functools.cached_property
    def name(self) -> str:
        """The project's PEP 503 name (packaging.utils imports packaging.tags, which a run the
        cache answers does not need)."""
        from packaging.utils import canonicalize_name

        return canonicalize_name(self.package)

    @property
    def index_url(self) -> str:
        if self._index_url is None:
            from dssync._source.index_url import resolve_index_url

            self._index_url = resolve_index_url(self._explicit_index)
        return self._index_url

    def list_tags(self) -> list[str]:
        # Versions, not tags, are kept: a changed tag_format still applies to a cached list.
        return [self._tag_for(v)
                for v in self.ctx.kept_names(self.spec, self._usable_versions,
                                             keys=(self._cache_spec, self.spec))]

    def ref_key(self, tag: str) -> str:
        """The cache key of what ``tag`` resolved to on this index (namespace ``refs``)."""
        return f"{self._cache_spec}@{tag}"

    @property
    def _cache_spec(self) -> str:
        """What the cache keeps this index's answers under: another index may list other
        releases and other archives under the same names, so its answers are its own (pip is
        not imported to learn its default)."""
        if self._cache_key is None:
            from dssync._source.index_url import chosen_index_url

            chosen = chosen_index_url(self._explicit_index)
            if chosen is None:
                which = "pip-default"
            else:
                # Credentials are not part of which index it is (a rotated token keeps the cache).
                parts = urlsplit(chosen.strip())
                where = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
                which = hashlib.sha256(where.rstrip("/").encode()).hexdigest()[:16]
            self._cache_key = f"{self.spec} index:{which}"
        return self._cache_key

    def _usable_versions(self) -> list[str]:
        by_version: dict[str, bool] = {}
        for file in self._get_listing().files:
            version = sdist_version(file.filename, self.name)
            if version is not None:
                by_version[version] = by_version.get(version, False) or not file.yanked
        # Like pip, a release whose every sdist is yanked is not offered unless asked for exactly.
        return [v for v, usable in by_version.items() if usable]

    def fetch(self, tag: str, paths: Sequence[str]) -> dict[str, Fetched]:
        version = self._version_for(tag)
        filename, sha256, url = self._resolve(tag, version)
        found = self._cached_members(sha256, paths)
        missing = [p for p in paths if p not in found]
        if found and self.ctx.verbose:
            self.ctx.log(f"{self.spec}: the cache answered with {', '.join(found)}, read earlier "
                         f"out of {filename} (sha256 verified: {sha256})")
        if missing and self._known_absent(sha256, filename, missing[0]):
            if url is not None:
                self._remember(tag, filename, sha256)
            raise self._not_in_archive(missing[0], filename, version, tag)
        if missing:
            filename, sha256, url, data, fresh = self._archive(tag, version, filename, sha256,
                                                               url)
            members = read_members(data, filename, missing, strip_components=1)
            # Cached only now: an archive that is refused (links, a bomb) leaves the cache
            # exactly as it was. One that lacks a path is a sound release without that file:
            # it is kept, so a later run (offline too) finds the same answer without the index.
            self._keep(tag, filename, sha256, url, data if fresh else None)
            absent = []
            for path in missing:
                content = members.get(safe_name(path) or "")
                if content is None:
                    # A true answer about an immutable archive: kept, so a warm history or
                    # identify does not read and hash the whole archive again to relearn it.
                    self.ctx.cache.write_json("absent", f"{sha256}:{path}",
                                              {"archive": filename}, durable=False)
                    absent.append(path)
                    continue
                # Every member read is kept, also when another path is missing: the caller
                # asks again for those alone.
                self.ctx.cache.write("members", f"{sha256}:{path}", content)
                found[path] = content
            if absent:
                raise self._not_in_archive(absent[0], filename, version, tag)
        elif url is not None:
            # The index was asked and named an archive whose files are all cached: that answer
            # is fresh again.
            self._remember(tag, filename, sha256)
        return {
            path: Fetched(found[path], Origin(
                source=self.spec, tag=tag, path=path,
                sha256=hashlib.sha256(found[path]).hexdigest(),
                archive=filename, archive_sha256=sha256,
            ))
            for path in paths
        }

    def list_files(self, tag: str) -> list[str]:
        """Every file of the release's sdist, below its top-level directory."""
        version = self._version_for(tag)
        filename, sha256, url = self._resolve(tag, version)
        listed = self.ctx.cache.read_json("listings", sha256)
        if isinstance(listed, list) and all(isinstance(p, str) for p in listed):
            if self.ctx.verbose:
                self.ctx.log(f"{self.spec}: the cache answered with the files of {filename}, "
                             f"listed earlier (sha256 verified: {sha256})")
            if url is not None:
                self._remember(tag, filename, sha256)
            return listed
        filename, sha256, url, data, fresh = self._archive(tag, version, filename, sha256, url)
        names = list_members(data, filename, strip_components=1)
        self._keep(tag, filename, sha256, url, data if fresh else None)
        self.ctx.cache.write_json("listings", sha256, names)
        return names

    def _archive(self, tag: str, version: str, filename: str, sha256: str, url: str | None,
                 ) -> tuple[str, str, str | None, bytes, bool]:
        """The release's verified sdist: ``(filename, sha256, url, bytes, fresh)``, from the
        cache when it holds a good copy (``fresh`` False), else downloaded."""
        data = self._kept(sha256)
        if data is None and url is None and not self.ctx.offline:
            # The cache named the archive, but holds no good copy (never kept, or damaged
            # and just removed): ask the index where it is.
            filename, sha256, url = self._resolve(tag, version, reuse=False)
            data = self._kept(sha256)
        fresh = data is None
        if data is None:
            data = self._download_verified(tag, filename, sha256, url)
        return filename, sha256, url, data, fresh

    def _keep(self, tag: str, filename: str, sha256: str, url: str | None,
              fresh: bytes | None) -> None:
        """Keep a newly downloaded archive, and which archive the tag names when the index
        said so."""
        if fresh is not None:
            self.ctx.cache.write("archives", sha256, fresh)
        if url is not None:
            self._remember(tag, filename, sha256)

    def _known_absent(self, sha256: str, filename: str, path: str) -> bool:
        """Whether an earlier run found ``path`` missing from this (verified) archive."""
        if self.ctx.cache.read_json("absent", f"{sha256}:{path}") is None:
            return False
        if self.ctx.verbose:
            self.ctx.log(f"{self.spec}: the cache answered that {path} is not in {filename} "
                         f"(found so earlier in the archive sha256:{sha256})")
        return True

    def _not_in_archive(self, path: str, filename: str, version: str, tag: str) -> PathNotFound:
        return PathNotFound(
            f"{path} is not in {filename}, the sdist of {self.package} {version} "
            f"(tag {tag}) on the package index", upstream_path=path,
            hint="an sdist holds only the files packaged for release; "
                 "try a github or git source for other files")

    def _cached_members(self, sha256: str, paths: Sequence[str]) -> dict[str, bytes]:
        """Files already read out of this (verified) archive on an earlier run."""
        found = {}
        for path in paths:
            content = self.ctx.cache.read("members", f"{sha256}:{path}")
            if content is not None:
                found[path] = content
        return found

    def close(self) -> None:
        if self._http is not None and self._own_http:
            self._http.close()
            self._http = None

    # -- tags <-> versions -------------------------------------------------------------------

    def _tag_for(self, version: str) -> str:
        return version_to_tag(version, self.ctx.tag_format)

    def _version_for(self, tag: str) -> str:
        version = tag_to_version(tag, self.ctx.tag_format)
        if version is not None:
            return version
        raise NotFound(
            f"tag {tag!r} does not fit the tag format {self.ctx.tag_format!r}, so it names no "
            f"release of {self.package} on the package index",
            hint=f"pass a tag like {self._tag_for('1.2.3')!r} or change tag-format in the configuration")

    # -- index -------------------------------------------------------------------------------

    def _client(self) -> HttpClient:
        if self._http is None:
            from dssync._source.http import HttpClient

            self._http = HttpClient(self.ctx)
        return self._http

    def _where(self) -> str:
        from dssync._source.redact import redact

        return redact(self.index_url)

    def _get_listing(self) -> Listing:
        if self._listing is not None:
            return self._listing
        page = f"{self.index_url.rstrip('/')}/{self.name}/"
        try:
            response = self._client().get(page, headers={"Accept": ACCEPT})
        except NotFound:
            raise NotFound(f"the package index {self._where()} has no project {self.name!r}",
                           hint="check the package name in the source spec, or --index-url"
                           ) from None
        content_type, _, params = _header(response.headers, "content-type").partition(";")
        content_type = content_type.strip().lower()
        charset = "utf-8"
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            if content_type in _JSON_TYPES:
                listing = parse_json_page(response.content, response.url)
            elif content_type in _HTML_TYPES:
                listing = parse_html_page(response.content, response.url, charset)
            else:
                raise ValueError(f"content type {content_type!r}")
        except RecursionError:
            raise SourceUnavailable(
                f"the package index {self._where()} answered for {self.name} with a page "
                "nested too deeply to be a project page",
                hint="check --index-url / PIP_INDEX_URL; a proxy may be returning an error page"
            ) from None
        except (ValueError, LookupError) as exc:
            detail = " ".join(str(exc).split())
            raise SourceUnavailable(
                f"the package index {self._where()} did not answer with a project page for "
                f"{self.name} ({detail})",
                hint="check --index-url / PIP_INDEX_URL; a proxy may be returning an error page"
            ) from None
        self._listing = listing
        return listing

    def _resolve(self, tag: str, version: str, *, reuse: bool = True) -> tuple[str, str, str | None]:
        """``(archive filename, sha256, url or None)`` of the sdist ``tag`` names.

        The URL is None when the answer came from the cache. A release's files on a package
        index cannot be replaced (only yanked), so a tag once resolved to an archive hash is
        never asked about again; ``reuse=False`` asks all the same (the archive itself is gone
        from the cache and must be downloaded).
        """
        reuse = reuse or self.ctx.offline
        ref = self.ctx.cache.read_json("refs", self.ref_key(tag)) if reuse else None
        if self.ctx.offline and not _is_ref(ref):
            # Offline no index is asked: the answer of the index asked last serves.
            ref = self.ctx.cache.read_json("refs", f"{self.spec}@{tag}")
        if isinstance(ref, dict) and _is_ref(ref):
            if self.ctx.verbose:
                why = ("--offline: the index was not asked" if self.ctx.offline
                       else f"a release does not change; the index {self._where()} was not asked")
                self.ctx.log(f"{self.spec}: the cache answered that {tag} is {ref['archive']} ({why})")
            return ref["archive"], ref["sha256"], None
        if self.ctx.offline:
            raise OfflineMiss(
                f"--offline: the cache does not record which sdist {self.spec} tag {tag} is",
                hint="run once without --offline to fill the cache")
        chosen = self._choose_sdist(version)
        if chosen.sha256 is None:
            # Unverifiable is not wrong: another source may still give verified content.
            raise SourceUnavailable(
                f"the package index {self._where()} announces no sha256 for {chosen.filename}, "
                "so it cannot be verified",
                hint="use an index that publishes sha256 hashes (--index-url)")
        if chosen.yanked:
            why = f": {chosen.yanked_reason}" if chosen.yanked_reason else ""
            self.ctx.log(f"note: {chosen.filename} is yanked on the package index{why}")
        return chosen.filename, chosen.sha256, chosen.url

    def _choose_sdist(self, version: str) -> IndexFile:
        files = self._get_listing().files
        sdists = [(f, v) for f in files
                  if (v := sdist_version(f.filename, self.name)) is not None]
        matches = [f for f, v in sdists if v == version]
        if not matches:
            wanted = _version_key(version)
            if wanted is not None:
                matches = [f for f, v in sdists if _version_key(v) == wanted]
        if matches:
            def rank(file: IndexFile) -> tuple[bool, int]:
                suffix = archive_suffix(file.filename) or ""
                order = (_SUFFIX_PREFERENCE.index(suffix) if suffix in _SUFFIX_PREFERENCE
                         else len(_SUFFIX_PREFERENCE))
                return file.yanked, order

            return min(matches, key=rank)
        if self._has_other_files(version, files):
            raise NotFound(
                f"{self.package} {version} has no sdist on the package index, only built "
                "distributions, so its sources cannot be read there",
                hint="use a github or git source for this release")
        nearest = self._nearest(version, {v for _, v in sdists})
        listed = f"nearest versions: {', '.join(nearest)}" if nearest else "it lists none"
        raise NotFound(
            f"the package index has no sdist of {self.package} {version}; {listed}",
            hint="check the tag, and tag-format in the configuration")

    def _has_other_files(self, version: str, files: Sequence[IndexFile]) -> bool:
        from packaging.utils import canonicalize_name

        if version in self._get_listing().versions:
            return True
        wanted = _version_key(version)
        for file in files:
            # Built distributions are named name-version-...; only the version matters here.
            parts = file.filename.split("-")
            if len(parts) < 3 or canonicalize_name(parts[0]) != self.name:
                continue
            if parts[1] == version or (wanted is not None and _version_key(parts[1]) == wanted):
                return True
        return False

    @staticmethod
    def _nearest(version: str, available: set[str], count: int = 5) -> list[str]:
        keyed = sorted((k, v) for v in available if (k := _version_key(v)) is not None)
        ordered = [v for _, v in keyed]
        wanted = _version_key(version)
        if wanted is None:
            return ordered[-count:]
        import bisect

        at = bisect.bisect_left([k for k, _ in keyed], wanted)
        start = max(0, min(at - count // 2, len(ordered) - count))
        return ordered[start: start + count]

    # -- archives ----------------------------------------------------------------------------

    def _kept(self, sha256: str) -> bytes | None:
        """The archive, from this run or the cache (which checks it against its sha256)."""
        held = self._last_archive
        if held is not None and held[0] == sha256:
            return held[1]
        cached = self.ctx.cache.read("archives", sha256)
        if cached is not None and self.ctx.verbose:
            self.ctx.log(f"{self.spec}: the cache answered with the archive sha256:{sha256} "
                         "(verified)")
        if cached is not None:
            self._last_archive = (sha256, cached)
        return cached

    def _download_verified(self, tag: str, filename: str, sha256: str, url: str | None) -> bytes:
        """The archive from the index, checked against the sha256 the index announced."""
        if url is None:  # offline: only the cache may answer
            raise OfflineMiss(
                f"--offline: {filename} ({self.spec} tag {tag}) is not in the cache",
                hint="run once without --offline to fill the cache")
        size = self._announced_size(filename)
        if size is not None and size > self.max_archive_bytes:
            raise UpstreamError(f"{filename} is {size} bytes, more than the "
                                f"{self.max_archive_bytes}-byte limit for an sdist")
        if self.ctx.verbose:
            from dssync._source.redact import redact

            self.ctx.log(f"pypi: downloading {filename} from {redact(url)}")
        data = self._download(filename, url)
        got = hashlib.sha256(data).hexdigest()
        if got != sha256:
            raise IntegrityError(
                f"{filename} from the package index does not match the sha256 the index "
                f"announced: expected {sha256}, got {got}",
                hint="nothing was cached; retry, and report it to the index if it persists")
        # Kept for this run: a second fetch (of the files the first did not find) reuses it.
        self._last_archive = (sha256, data)
        return data

    def _announced_size(self, filename: str) -> int | None:
        listing = self._listing
        if listing is None:
            return None
        return next((f.size for f in listing.files if f.filename == filename), None)

    def _download(self, filename: str, url: str) -> bytes:
        try:
            # dssync keeps its own copy under the verified hash; a second one in the HTTP cache
            # would only double the disk used.
            response = self._client().get(url, headers={"Cache-Control": "no-store"},
                                          max_bytes=self.max_archive_bytes)
        except UpstreamError as exc:
            # The client's message may carry the file URL (with tokens); keep it out of errors.
            if self.ctx.verbose:
                self.ctx.log(f"pypi: download of {filename} failed: {exc}")
            if isinstance(exc, RateLimited):
                raise RateLimited(f"the package index's file host is rate-limiting the "
                                  f"download of {filename}", reset=exc.reset,
                                  hint="wait and retry") from None
            if isinstance(exc, (NotFound, SourceUnavailable)):
                what = "is missing" if isinstance(exc, NotFound) else "could not be downloaded"
                raise SourceUnavailable(
                    f"{filename}, listed by the package index, {what}",
                    hint="retry later, or pass --verbose for details") from None
            raise UpstreamError(f"the download of {filename} from the package index failed",
                                hint="pass --verbose for details") from None
        return response.content

    def _remember(self, tag: str, filename: str, sha256: str) -> None:
        answer = {"archive": filename, "sha256": sha256, "checked_at": time.time()}
        self.ctx.cache.write_json("refs", self.ref_key(tag), answer)
        self.ctx.cache.write_json("refs", f"{self.spec}@{tag}", answer)  # for --offline


def _is_ref(ref: object) -> bool:
    """A cached tag answer as ``_remember`` writes it."""
    return (isinstance(ref, dict) and isinstance(ref.get("archive"), str)
            and isinstance(ref.get("sha256"), str))
