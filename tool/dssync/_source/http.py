"""HTTP GET for upstream sources: ETag revalidation, bounded retries, rate limits, size limits.

Every failure leaves as one of the errors in ``dssync.errors``; no requests/urllib3 exception
escapes. Retries live in one loop here rather than in urllib3's ``Retry``: the loop must share
one time budget between connection errors, 5xx answers, rate limits and bodies that end early
(which ``Retry`` never sees), log each wait, and give up *before* sleeping when a rate limit
resets too late to be worth waiting for.
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping
from urllib.parse import urljoin, urlsplit

from dssync import __version__
from dssync._source.redact import SECRETS, redact, register_secret
from dssync.errors import (
    DssyncError,
    NotFound,
    OfflineMiss,
    RateLimited,
    SourceUnavailable,
    UpstreamError,
)

if TYPE_CHECKING:
    from dssync._source.interface import SourceContext

__all__ = ["HttpClient", "HttpResponse", "redact", "register_secret"]

MAX_REDIRECTS = 5
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
# Headers that carry credentials: never forwarded to another host, never stored in the cache.
_SECRET_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")
_STORED_NEVER = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
"""Response headers the HTTP cache drops whatever their value."""


@dataclass(frozen=True)
class HttpResponse:
    """An answer from the network, or from the HTTP cache in its place."""

    url: str
    """The final URL, after redirects."""
    status: int
    headers: Mapping[str, str]
    """Case-insensitive."""
    content: bytes
    from_cache: bool
    """True when the server answered 304 and the body came from the HTTP cache."""


# --- the HTTP cache --------------------------------------------------------------------------

_ADAPTER_CLASS: Any = None


def _cache_adapter(directory: str) -> Any:
    """A CacheControl adapter that always asks the server and stores no credentials."""
    global _ADAPTER_CLASS
    if _ADAPTER_CLASS is None:
        _ADAPTER_CLASS = _build_adapter_class()
    return _ADAPTER_CLASS(directory)


def _credential_fragments(request: Any) -> list[str]:
    """What of the request's credentials a response could echo: each credential header's value,
    its token, a Basic password, and every registered secret."""
    fragments = set(SECRETS)
    for name in _SECRET_HEADERS:
        value = str(request.headers.get(name) or "").strip()
        if not value:
            continue
        fragments.add(value)
        token = value.split()[-1]
        fragments.add(token)
        if value.lower().startswith("basic "):
            import base64
            import binascii

            try:
                user_password = base64.b64decode(token, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                continue
            fragments.add(user_password.partition(":")[2])
    return [f for f in fragments if len(f) >= 4]


def _echoes(text: str, fragments: list[str]) -> bool:
    return any(fragment in text for fragment in fragments)


def _echoes_bytes(data: bytes, fragments: list[str]) -> bool:
    return any(fragment.encode("utf-8") in data for fragment in fragments)


def _build_adapter_class() -> Any:
    from cachecontrol import CacheControlAdapter
    from cachecontrol.caches.file_cache import FileCache
    from cachecontrol.controller import CacheController
    from cachecontrol.serialize import Serializer
    from requests.structures import CaseInsensitiveDict

    from dssync.cache import read_verified, write_entry

    class _SealedFileCache(FileCache):
        # Entries are sealed and verified like dssync's own: a damaged one is a miss, removed.
        def get(self, key: str) -> bytes | None:
            return read_verified(Path(self._fn(key)), what="HTTP cache entry")

        def set(self, key: str, value: bytes, expires: Any = None) -> None:
            write_entry(Path(self._fn(key)), value, what="HTTP cache entry")

    class _MaskedRequest:
        # CacheControl records the request's values of the headers a response ``Vary``s on;
        # GitHub varies on Authorization, so a hash stands in for the token.
        def __init__(self, request: Any) -> None:
            headers = CaseInsensitiveDict(request.headers)
            for name in _SECRET_HEADERS:
                if name in headers:
                    digest = hashlib.sha256(str(headers[name]).encode("utf-8")).hexdigest()
                    headers[name] = f"sha256:{digest}"
            self.headers = headers
            self.url = request.url

    class _Serializer(Serializer):
        def dumps(self, request: Any, response: Any, body: bytes | None = None) -> bytes:
            self._fragments = _credential_fragments(request)
            try:
                # The masked stand-in has every attribute the serializer reads.
                return super().dumps(_MaskedRequest(request), response, body)  # type: ignore[arg-type]
            finally:
                self._fragments = []

        def serialize(self, data: dict[str, Any]) -> bytes:
            # A response may echo the request's credentials in a header (a debugging proxy, an
            # API that reflects Authorization): such headers never reach the disk.
            fragments = getattr(self, "_fragments", [])
            headers = data["response"]["headers"]
            data["response"]["headers"] = {
                name: value for name, value in headers.items()
                if name.lower() not in _STORED_NEVER and not _echoes(value, fragments)}
            return super().serialize(data)

        def prepare_response(self, request: Any, cached: Any, body_file: Any = None) -> Any:
            return super().prepare_response(_MaskedRequest(request), cached,  # type: ignore[arg-type]
                                            body_file)

    class _Controller(CacheController):
        def cached_request(self, request: Any) -> Any:
            # Never answer from the cache without asking: tags move, and a 304 costs no rate
            # limit on GitHub. conditional_headers() still adds If-None-Match.
            return False

        def cache_response(self, request: Any, response_or_ref: Any, body: Any = None,
                           status_codes: Any = None) -> None:
            response = response_or_ref
            if isinstance(response_or_ref, weakref.ReferenceType):
                response = response_or_ref()
            # Without an ETag an entry could never be revalidated, so it is never used.
            if response is None or "etag" not in response.headers:
                return
            # Nor is a body that repeats the request's credentials ever stored.
            fragments = _credential_fragments(request)
            if body and fragments and _echoes_bytes(bytes(body), fragments):
                return
            super().cache_response(request, response, body, status_codes)

    class _Adapter(_WatchedAdapter, CacheControlAdapter):
        def __init__(self, directory: str) -> None:
            super().__init__(cache=_SealedFileCache(directory), controller_class=_Controller,
                             serializer=_Serializer(), max_retries=0)

    return _Adapter


def _plain_adapter() -> Any:
    from requests.adapters import HTTPAdapter

    class _Plain(_WatchedAdapter, HTTPAdapter):
        pass

    return _Plain(max_retries=0)


# --- retry bookkeeping ----------------------------------------------------------------------


class _Retry(Exception):
    """A transient failure; ``wait`` is what the server asked for, if anything."""

    def __init__(self, reason: str, *, wait: float | None = None, rate_limited: bool = False,
                 reset: float | None = None, github: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.rate_limited = rate_limited
        self.reset = reset
        self.github = github


@dataclass
class _Redirect:
    """A redirect one attempt answered: the caller follows it, deciding on each hop where the
    token may go."""

    location: str


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - time.time())


def _float_header(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers.get(name, ""))
    except ValueError:
        return None


def _looks_like_github(host: str, headers: Mapping[str, str]) -> bool:
    if "github" in host:
        return True
    return any(k.lower().startswith(("x-ratelimit-", "x-github-")) for k in headers)


def _host_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"https": 443, "http": 80}.get(parts.scheme.lower())
    return (parts.hostname or "").lower(), port


def _parse_host_entry(entry: str) -> tuple[str, int | None]:
    parts = urlsplit(entry if "//" in entry else f"//{entry}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port


def _unreachable(exc: BaseException) -> str | None:
    """Why no connection could be made at all (no point retrying), or None."""
    import socket

    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ConnectionRefusedError):
            return "connection refused"
        if isinstance(item, socket.gaierror):
            return "cannot resolve host name"
        name = type(item).__name__
        if name == "NameResolutionError":
            return "cannot resolve host name"
        text = str(item)
        if "Connection refused" in text or "[Errno 111]" in text:
            return "connection refused"
        stack.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
        stack.extend(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))
    return None


class _BearerAuth:
    """requests auth hook; being an auth object also keeps ~/.netrc from overriding it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


# --- the deadline of one download -----------------------------------------------------------

_WATCHING = threading.local()
"""The ``_Watch`` of the download this thread is making, if any."""


class _Watch:
    """The sockets one download reads from, shut down once its time is up.

    Socket timeouts bound each read, not their sum: a server sending a byte every 20 seconds
    never trips a 60-second read timeout, in the body or in the headers. A timer that shuts the
    sockets down wakes a read blocked on them, whichever phase it is in.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        _WATCHING.current = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        self._timer.join()  # gone before the command ends: see cli.run
        _WATCHING.current = None

    def add(self, sock: Any) -> None:
        with self._lock:
            if self.expired:
                _shut(sock)
            else:
                self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: Any) -> None:
    import socket

    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _watch_socket(sock: Any) -> None:
    watch = getattr(_WATCHING, "current", None)
    if watch is not None and sock is not None:
        watch.add(sock)


_POOL_CLASSES: dict[str, Any] = {}


def _watched_pool_classes() -> dict[str, Any]:
    """urllib3 connection pools whose connections hand their socket to the current watch as
    they wait for an answer."""
    if not _POOL_CLASSES:
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        class _Connection(HTTPConnection):
            def getresponse(self, *args: Any, **kwargs: Any) -> Any:
                _watch_socket(self.sock)
                return super().getresponse(*args, **kwargs)

        class _TLSConnection(HTTPSConnection):
            def getresponse(self, *args: Any, **kwargs: Any) -> Any:
                _watch_socket(self.sock)
                return super().getresponse(*args, **kwargs)

        class _Pool(HTTPConnectionPool):
            ConnectionCls = _Connection

        class _TLSPool(HTTPSConnectionPool):
            ConnectionCls = _TLSConnection

        _POOL_CLASSES.update(http=_Pool, https=_TLSPool)
    return _POOL_CLASSES


class _WatchedAdapter:
    """Mixed into requests' adapters: every pool they make, proxies' too, is watched."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[misc]
        self.poolmanager.pool_classes_by_scheme = _watched_pool_classes()  # type: ignore[attr-defined]

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(*args, **kwargs)  # type: ignore[misc]
        manager.pool_classes_by_scheme = _watched_pool_classes()
        return manager


# --- the client ------------------------------------------------------------------------------


class HttpClient:
    """GETs with caching and retries for one run; close it (or use ``with``) when done."""

    def __init__(self, ctx: SourceContext, *, token: str | None = None,
                 token_hosts: Iterable[str] = (), backoff: float = 0.5) -> None:
        self._ctx = ctx
        self._token = token or None
        register_secret(self._token)
        self._token_hosts = [_parse_host_entry(h) for h in token_hosts if h]
        self._backoff = max(0.0, backoff)
        self._session: Any = None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HttpClient(token={'***' if self._token else None})"

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _log(self, line: str) -> None:
        if self._ctx.verbose:
            self._ctx.log(redact(line))

    def _get_session(self) -> Any:
        if self._session is None:
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = f"dssync/{__version__}"
            session.max_redirects = MAX_REDIRECTS
            http_dir = self._ctx.cache.http_dir
            adapter = _cache_adapter(str(http_dir)) if http_dir is not None else \
                _plain_adapter()
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._session = session
        return self._session

    def _sends_token(self, url: str, original: str) -> bool:
        if not self._token:
            return False
        if urlsplit(original).scheme == "https" and urlsplit(url).scheme != "https":
            return False
        host, port = _host_port(url)
        return any(h == host and (p is None or p == port) for h, p in self._token_hosts)

    def get(self, url: str, *, headers: Mapping[str, str] | None = None,
            max_bytes: int = 64 * 2**20) -> HttpResponse:
        """GET ``url`` and read the whole body (at most ``max_bytes``).

        Retried within ``ctx.max_retry_seconds``: connection errors, timeouts, 500/502/503/504,
        429 and rate-limit 403s (honouring Retry-After / x-ratelimit-reset), bodies that end
        early. Raises ``NotFound`` (404/410), ``RateLimited`` (the limit resets after the
        budget), ``SourceUnavailable`` (unreachable, retries exhausted), ``UpstreamError``
        (other 4xx, too many redirects, body too large), ``OfflineMiss`` (``ctx.offline``).
        """
        if self._ctx.offline:
            raise OfflineMiss(f"{redact(url)} is needed but --offline was given",
                              hint="run once without --offline to fill the cache")
        session = self._get_session()
        started = time.monotonic()
        deadline = started + max(0.0, self._ctx.max_retry_seconds)
        limit = max(0.0, self._ctx.download_timeout)
        request_headers = dict(headers or {})
        current = url
        hops = 0
        attempt = 0
        with _Watch(limit) as watch:
            while True:
                try:
                    result = self._attempt(session, current, url, request_headers, max_bytes)
                except _Retry as retry:
                    if watch.expired:
                        raise self._too_slow(current, limit) from None
                    attempt += 1
                    wait = retry.wait if retry.wait is not None else \
                        self._backoff * 2 ** (attempt - 1)
                    now = time.monotonic()
                    if wait > deadline - now:
                        raise self._give_up(current, retry, attempt) from None
                    if wait > started + limit - now:
                        raise self._too_slow(current, limit) from None
                    self._log(f"retrying in {wait:.1f}s after {retry.reason}")
                    time.sleep(wait)
                    continue
                except DssyncError:
                    if watch.expired:  # the connection was cut under a read
                        raise self._too_slow(current, limit) from None
                    raise
                if watch.expired:
                    # Cut in its headers, an answer can look whole (an empty 200): never use it.
                    raise self._too_slow(current, limit)
                if isinstance(result, HttpResponse):
                    return result
                hops += 1
                if hops > MAX_REDIRECTS:
                    raise UpstreamError(f"GET {redact(url)}: more than {MAX_REDIRECTS} "
                                        "redirects",
                                        hint="the server redirects in a loop or too often")
                current = self._follow(current, result.location, request_headers)

    def _follow(self, current: str, location: str, request_headers: dict[str, str]) -> str:
        """Where a redirect leads; credentials stay behind when it leaves the host."""
        target = urljoin(current, location)
        if urlsplit(target).scheme not in ("http", "https"):
            raise UpstreamError(f"GET {redact(current)} redirected to a non-HTTP URL "
                                f"{redact(target)}")
        if _host_port(target) != _host_port(current):
            for name in _SECRET_HEADERS:
                for key in [k for k in request_headers if k.lower() == name.lower()]:
                    del request_headers[key]
        return target

    def _too_slow(self, url: str, limit: float) -> DssyncError:
        self._log(f"GET {redact(url)} -> gave up after {limit:g}s in all")
        return SourceUnavailable(
            f"GET {redact(url)} did not complete within {limit:g}s, the limit for one download "
            "(the server answers too slowly)",
            hint="try again later, or allow more time with --download-timeout SECONDS")

    def _give_up(self, url: str, retry: _Retry, attempts: int) -> DssyncError:
        shown = redact(url)
        host = urlsplit(url).hostname or url
        if not retry.rate_limited:
            tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
            return SourceUnavailable(f"GET {shown} failed after {tries}: {retry.reason}",
                                     hint="the server may be down or overloaded; try again later")
        when = f"; it resets at {_iso(retry.reset)}" if retry.reset is not None else ""
        if retry.github and not self._sends_token(url, url):
            hint = "set GITHUB_TOKEN (or GH_TOKEN) for a much higher limit, or try again later"
        else:
            hint = "try again after the reset time"
        return RateLimited(f"{host} rate limit exceeded (GET {shown}){when}", reset=retry.reset,
                           hint=hint)

    def _attempt(self, session: Any, url: str, original: str, headers: dict[str, str],
                 max_bytes: int) -> HttpResponse | _Redirect:
        import requests

        started = time.monotonic()
        shown = redact(url)
        host = urlsplit(url).hostname or ""
        auth = _BearerAuth(self._token) if self._sends_token(url, original) and self._token \
            else None
        try:
            resp = session.get(url, headers=headers, auth=auth, timeout=self._ctx.timeout,
                               stream=True, allow_redirects=False)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema, requests.exceptions.InvalidHeader,
                ValueError) as exc:
            raise UpstreamError(f"cannot GET {shown}: {redact(_first_line(exc))}",
                                hint="check the configured URL") from None
        except requests.exceptions.SSLError as exc:
            self._log(f"GET {shown} -> TLS error")
            raise SourceUnavailable(f"TLS error talking to {host} (GET {shown}): "
                                    f"{redact(_first_line(exc))}",
                                    hint="check the system certificates or REQUESTS_CA_BUNDLE"
                                    ) from None
        except requests.exceptions.ConnectionError as exc:
            reason = _unreachable(exc)
            if reason is not None:
                self._log(f"GET {shown} -> {reason}")
                raise SourceUnavailable(f"cannot reach {host}: {reason} (GET {shown})",
                                        hint="check the URL and the network") from None
            timed_out = isinstance(exc, requests.exceptions.ConnectTimeout)
            self._log(f"GET {shown} -> {'connect timeout' if timed_out else 'connection error'}")
            raise _Retry("connect timeout" if timed_out else "connection error") from None
        except requests.exceptions.Timeout:
            self._log(f"GET {shown} -> read timeout")
            raise _Retry("read timeout") from None
        except requests.exceptions.RequestException as exc:
            raise SourceUnavailable(f"GET {shown} failed: {redact(_first_line(exc))}") from None
        except OSError as exc:
            raise _cache_error(self._ctx, exc) from None

        try:
            return self._handle(resp, url, shown, host, max_bytes, started)
        finally:
            resp.close()
            _discard_cache_buffer(resp)

    def _handle(self, resp: Any, url: str, shown: str, host: str, max_bytes: int,
                started: float) -> HttpResponse | _Redirect:
        from requests.structures import CaseInsensitiveDict

        status = resp.status_code
        from_cache = bool(getattr(resp, "from_cache", False))
        cache_note = "no cache" if self._ctx.cache.http_dir is None else \
            ("cache hit" if from_cache else "cache miss")
        headers = CaseInsensitiveDict(resp.headers)

        if 200 <= status < 300:
            content = self._read_body(resp, shown, headers, from_cache, max_bytes)
            self._log(f"GET {shown} -> {status} ({cache_note}) {len(content)} bytes "
                      f"in {time.monotonic() - started:.2f}s")
            return HttpResponse(url=url, status=status, headers=headers, content=content,
                                from_cache=from_cache)

        self._log(f"GET {shown} -> {status} ({cache_note}) in {time.monotonic() - started:.2f}s")
        if status in _REDIRECT_STATUSES:
            location = headers.get("Location")
            if not location:
                raise UpstreamError(f"GET {shown} answered {status} without a Location")
            return _Redirect(location)
        if status in (404, 410):
            raise NotFound(f"{shown} does not exist (HTTP {status})")

        retry_after = _parse_retry_after(headers.get("Retry-After"))
        exhausted = headers.get("x-ratelimit-remaining", "").strip() == "0"
        github = _looks_like_github(host, headers)
        if status == 429 or (status == 403 and (exhausted or retry_after is not None)):
            reset = _float_header(headers, "x-ratelimit-reset") if exhausted else None
            wait = retry_after
            if wait is None and reset is not None:
                wait = max(0.0, reset - time.time()) + 1.0
            if retry_after is not None:
                reset = time.time() + retry_after
            raise _Retry(f"{status} (rate limited)" if status == 403 else str(status),
                         wait=wait, rate_limited=True, reset=reset, github=github)
        if status in _RETRY_STATUSES:
            raise _Retry(str(status), wait=retry_after)

        detail = _error_detail(resp)
        text = f"GET {shown} answered {status} {resp.reason or ''}".rstrip()
        if detail:
            text = f"{text}: {detail}"
        if 400 <= status < 500:
            hint = "check the credentials" if status in (401, 403) else None
            raise UpstreamError(text, hint=hint)
        if status == 304:
            raise UpstreamError(f"GET {shown} answered 304 but nothing is cached",
                                hint="pass --no-cache or clear the HTTP cache")
        raise SourceUnavailable(text)

    def _read_body(self, resp: Any, shown: str, headers: Mapping[str, str], from_cache: bool,
                   max_bytes: int) -> bytes:
        import requests

        declared = headers.get("Content-Length", "").strip()
        encoded = headers.get("Content-Encoding", "identity").strip().lower() not in \
            ("", "identity")
        if declared.isdigit() and not encoded and int(declared) > max_bytes:
            raise UpstreamError(f"GET {shown}: the body is larger than {max_bytes} bytes; "
                                "refusing")
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in resp.iter_content(_CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise UpstreamError(f"GET {shown}: the body is larger than {max_bytes} "
                                        "bytes; refusing")
                chunks.append(chunk)
        except requests.exceptions.ConnectionError as exc:
            reason = "read timeout" if _timed_out(exc) else "connection lost during the body"
            self._log(f"GET {shown} -> {reason}")
            raise _Retry(reason) from None
        except requests.exceptions.RequestException:
            self._log(f"GET {shown} -> body ended early")
            raise _Retry("truncated body") from None
        except OSError as exc:
            raise _cache_error(self._ctx, exc) from None
        content = b"".join(chunks)
        # urllib3 2 enforces Content-Length itself; this also covers urllib3 1.x.
        if declared.isdigit() and not encoded and not from_cache and \
                len(content) != int(declared):
            self._log(f"GET {shown} -> body ended early ({len(content)} of {declared} bytes)")
            raise _Retry("truncated body")
        return content


def _discard_cache_buffer(resp: Any) -> None:
    """Free CacheControl's copy of a body that was not read to the end, and never cache it.

    CacheControl tees every body into a temporary file and stores it once the body has been
    read in full; a body left unread (an error answer, a redirect, one over ``max_bytes``)
    would keep that file open until garbage collection.
    """
    wrapper = getattr(resp.raw, "_fp", None)
    buffer = getattr(wrapper, "_CallbackFileWrapper__buf", None)
    if wrapper is not None and buffer is not None and not buffer.closed:
        wrapper._CallbackFileWrapper__callback = None
        buffer.close()


def _timed_out(exc: BaseException) -> bool:
    from urllib3.exceptions import ReadTimeoutError

    seen: list[BaseException | None] = [exc]
    for item in seen:
        if isinstance(item, (ReadTimeoutError, TimeoutError)):
            return True
        if item is not None and len(seen) < 20:
            seen.extend(a for a in getattr(item, "args", ()) if isinstance(a, BaseException))
            seen.append(item.__cause__)
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _error_detail(resp: Any) -> str:
    """GitHub-style ``{"message": ...}`` from an error body, if short and present."""
    try:
        raw = resp.raw.read(8192, decode_content=True)
    except Exception:  # the error status is what matters; the body is a nicety
        return ""
    try:
        import json

        message = json.loads(raw).get("message")
    except Exception:
        return ""
    if not isinstance(message, str):
        return ""
    return redact(" ".join(message.split()))[:200]


def _cache_error(ctx: SourceContext, exc: OSError) -> DssyncError:
    return DssyncError(f"cannot use the HTTP cache: {exc.strerror or exc}",
                       path=exc.filename or ctx.cache.http_dir,
                       hint="check permissions, pass --cache-dir DIR or --no-cache")
