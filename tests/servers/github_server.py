"""A fake GitHub (REST API + raw content host) on 127.0.0.1 for tests, with fault injection.

Two real HTTP/1.1 servers share one state: ``api_url`` answers ``/repos/...`` like the REST API
(tags with Link pagination, git refs, annotated tag objects, contents with the raw media type
or a base64 JSON body), ``raw_url`` serves ``/{owner}/{repo}/{commit}/{path}``. Every 200 has an
ETag and ``If-None-Match`` gets a 304; API answers carry GitHub's rate-limit headers.

Faults are queued with ``inject`` (or the helpers ``fail_next``, ``rate_limit_next``,
``exhaust_rate_limit``, ``truncate_next``, ``html_next``, ``slow_next``, ``drop_next``) and
each is consumed by the next matching request. ``closed_port_url()`` gives a URL nobody
listens on.

Use the ``github_server`` fixture, or ``with FakeGitHub() as gh: ...``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterable, Mapping
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

FileMap = Mapping[str, "bytes | str"]


@dataclass
class Recorded:
    """One request a fake server received."""

    server: str
    """``api`` or ``raw``."""
    method: str
    path: str
    """The path with its query string, as sent."""
    headers: dict[str, str]
    status: int

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Fault:
    """What to do instead of (or to) the next ``times`` matching responses.

    kind: ``status`` (answer ``status``), ``rate_limit`` (429 + Retry-After), ``exhausted``
    (403 + x-ratelimit-remaining: 0), ``truncate`` (declare a longer Content-Length and close),
    ``html`` (an HTML page as 200), ``slow`` (sleep ``delay`` first), ``reset`` (close the
    connection without answering).
    """

    kind: str
    times: int = 1
    server: str | None = None
    path: str | None = None
    """Only requests whose path contains this string."""
    status: int = 503
    retry_after: str | None = None
    reset: float | None = None
    delay: float = 0.0


@dataclass
class FakeRepo:
    owner: str
    name: str
    private: bool = False
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    tags: dict[str, tuple[str, str]] = field(default_factory=dict)
    """tag name -> (object type, sha) as the ref points."""
    tag_objects: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    """annotated tag object sha -> (tag name, target type, target sha)."""
    commit_of: dict[str, str] = field(default_factory=dict)
    """tag name -> the commit it finally names."""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class FakeGitHub:
    def __init__(self, *, api_prefix: str = "", token: str | None = None) -> None:
        self.api_prefix = "/" + api_prefix.strip("/") if api_prefix.strip("/") else ""
        self.token = token
        """When set, private repos need ``Authorization: Bearer <token>``."""
        self.repos: dict[str, FakeRepo] = {}
        self.faults: list[Fault] = []
        self.redirects: list[tuple[str, str, str, int]] = []
        self.requests: list[Recorded] = []
        self.contents_raw = True
        """False: the contents API ignores the raw media type and answers base64 JSON."""
        self.chunked = False
        """True: 200 bodies are sent with chunked transfer coding, without Content-Length."""
        self.echo_credentials = False
        """True: API answers repeat the request's Authorization in headers (as a debugging
        proxy or a careless API would): ``Authorization``, ``X-Echo-Authorization``, a cookie,
        and the token inside a longer header."""
        self.rate_limit = 60
        self.rate_used = 0
        self.rate_reset = int(time.time()) + 3600
        self._lock = threading.Lock()
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self._bases: dict[str, str] = {}

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        for name in ("api", "raw"):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self, name))
            server.daemon_threads = True
            server.block_on_close = False
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"fake-github-{name}", daemon=True)
            thread.start()
            self._servers[name] = server
            host, port = server.server_address[:2]
            self._bases[name] = f"http://{host}:{port}"
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _base(self, name: str) -> str:
        return self._bases[name]  # still known after stop(), for "nothing answers" tests

    @property
    def api_url(self) -> str:
        return self._base("api") + self.api_prefix

    @property
    def raw_url(self) -> str:
        return self._base("raw")

    @property
    def api_host(self) -> str:
        return urlsplit(self._base("api")).netloc

    # -- content ----------------------------------------------------------------------------

    def add_repo(self, full_name: str, tags: Mapping[str, FileMap], *,
                 annotated: Iterable[str] | Mapping[str, int] = (),
                 private: bool = False) -> FakeRepo:
        """A repo whose ``tags`` each name a commit holding the given files.

        ``annotated`` names tags made as annotated tag objects; a mapping gives how many tag
        objects are chained (2: a tag of a tag).
        """
        owner, name = full_name.split("/")
        repo = FakeRepo(owner, name, private=private)
        depth = dict(annotated) if isinstance(annotated, Mapping) else dict.fromkeys(annotated, 1)
        with self._lock:
            self.repos[full_name.lower()] = repo
            for tag, files in tags.items():
                self._set_tag(repo, tag, files, depth.get(tag, 0))
        return repo

    def move_tag(self, full_name: str, tag: str, files: FileMap, *, annotated: int = 0) -> str:
        """Point ``tag`` at a new commit holding ``files``; returns the commit."""
        repo = self.repos[full_name.lower()]
        with self._lock:
            return self._set_tag(repo, tag, files, annotated, salt=str(time.time_ns()))

    def _set_tag(self, repo: FakeRepo, tag: str, files: FileMap, depth: int,
                 salt: str = "") -> str:
        data = {p: (c.encode("utf-8") if isinstance(c, str) else bytes(c))
                for p, c in files.items()}
        listing = "".join(f"{p}\0{hashlib.sha256(c).hexdigest()}\n"
                          for p, c in sorted(data.items()))
        commit = _sha1(f"commit {repo.full_name} {tag} {salt}\n{listing}")
        repo.commits[commit] = data
        target = ("commit", commit)
        for level in range(depth):
            obj = _sha1(f"tag {repo.full_name} {tag} {salt} {level}")
            repo.tag_objects[obj] = (tag, target[0], target[1])
            target = ("tag", obj)
        repo.tags[tag] = target
        repo.commit_of[tag] = commit
        return commit

    # -- faults -----------------------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def fail_next(self, times: int = 1, status: int = 503, **match: str) -> Fault:
        return self.inject(Fault("status", times, status=status, **match))

    status_next = fail_next

    def rate_limit_next(self, times: int = 1, retry_after: str = "1", **match: str) -> Fault:
        return self.inject(Fault("rate_limit", times, retry_after=retry_after, **match))

    def exhaust_rate_limit(self, times: int = 1, reset: float | None = None,
                           **match: str) -> Fault:
        reset = reset if reset is not None else time.time() + 3 * 3600
        return self.inject(Fault("exhausted", times, reset=reset, **match))

    def truncate_next(self, times: int = 1, **match: str) -> Fault:
        return self.inject(Fault("truncate", times, **match))

    def html_next(self, times: int = 1, **match: str) -> Fault:
        return self.inject(Fault("html", times, **match))

    def slow_next(self, times: int = 1, delay: float = 1.0, **match: str) -> Fault:
        return self.inject(Fault("slow", times, delay=delay, **match))

    def drop_next(self, times: int = 1, **match: str) -> Fault:
        """Close the connection without answering."""
        return self.inject(Fault("reset", times, **match))

    def add_redirect(self, prefix: str, target: str, *, server: str = "api",
                     status: int = 301) -> None:
        """Requests to ``server`` whose path starts with ``prefix`` go to ``target`` + rest."""
        with self._lock:
            self.redirects.append((server, prefix, target, status))

    def _take_fault(self, server: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times <= 0:
                    continue
                if fault.server not in (None, server):
                    continue
                if fault.path is not None and fault.path not in path:
                    continue
                fault.times -= 1
                return fault
        return None

    # -- inspection -------------------------------------------------------------------------

    def requests_to(self, server: str | None = None, contains: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests
                    if (server is None or r.server == server)
                    and (contains is None or contains in r.path)]

    def _record(self, item: Recorded) -> None:
        with self._lock:
            self.requests.append(item)

    @staticmethod
    def closed_port_url() -> str:
        """An http URL on 127.0.0.1 where nothing listens (connections are refused)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        return f"http://127.0.0.1:{port}"

    # -- answers ----------------------------------------------------------------------------

    def _authorized(self, headers: Mapping[str, str]) -> str:
        """``ok``, ``none`` (no credentials, or the server checks none) or ``bad``."""
        if self.token is None:
            return "none"
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if value is None:
            return "none"
        scheme, _, credential = value.partition(" ")
        if scheme.lower() in ("bearer", "token") and credential == self.token:
            return "ok"
        return "bad"

    def _visible(self, full_name: str, auth: str) -> FakeRepo | None:
        repo = self.repos.get(full_name.lower())
        if repo is None or (repo.private and auth != "ok"):
            return None
        return repo

    def answer_api(self, path: str, query: dict[str, list[str]], headers: Mapping[str, str],
                   ) -> tuple[int, list[tuple[str, str]], bytes]:
        auth = self._authorized(headers)
        if auth == "bad":
            return _json(401, {"message": "Bad credentials",
                               "documentation_url": "https://docs.github.com/rest"})
        if self.api_prefix:
            if not path.startswith(self.api_prefix + "/"):
                return _not_found_json()
            path = path[len(self.api_prefix):]
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/(.*)", path)
        if not m:
            return _not_found_json()
        repo = self._visible(f"{unquote(m[1])}/{unquote(m[2])}", auth)
        if repo is None:
            return _not_found_json()
        rest = m[3]
        repo_api = f"{self.api_url}/repos/{repo.owner}/{repo.name}"
        if rest == "tags":
            return self._tags_page(repo, repo_api, query)
        if rest.startswith("git/ref/tags/"):
            tag = unquote(rest[len("git/ref/tags/"):])
            if tag not in repo.tags:
                return _not_found_json()
            kind, sha = repo.tags[tag]
            kind_path = "tags" if kind == "tag" else "commits"
            return _json(200, {
                "ref": f"refs/tags/{tag}",
                "node_id": "REF_" + sha[:8],
                "url": f"{repo_api}/git/refs/tags/{quote(tag)}",
                "object": {"sha": sha, "type": kind, "url": f"{repo_api}/git/{kind_path}/{sha}"},
            })
        if rest.startswith("git/tags/"):
            sha = rest[len("git/tags/"):]
            if sha not in repo.tag_objects:
                return _not_found_json()
            tag, kind, target = repo.tag_objects[sha]
            kind_path = "tags" if kind == "tag" else "commits"
            return _json(200, {
                "node_id": "TAG_" + sha[:8], "sha": sha, "tag": tag,
                "message": f"release {tag}\n", "url": f"{repo_api}/git/tags/{sha}",
                "tagger": {"name": "Release Bot", "email": "bot@example.invalid",
                           "date": "2024-01-01T00:00:00Z"},
                "object": {"sha": target, "type": kind,
                           "url": f"{repo_api}/git/{kind_path}/{target}"},
                "verification": {"verified": False, "reason": "unsigned"},
            })
        if rest.startswith("git/trees/"):
            commit = rest[len("git/trees/"):]
            if commit not in repo.commits:
                return _not_found_json()
            recursive = (query.get("recursive") or [""])[0] not in ("", "0", "false")
            paths = sorted(repo.commits[commit])
            if not recursive:
                paths = [p for p in paths if "/" not in p]
            return _json(200, {"sha": commit, "url": f"{repo_api}/git/trees/{commit}",
                               "tree": [{"path": p, "mode": "100644", "type": "blob",
                                         "size": len(repo.commits[commit][p])} for p in paths],
                               "truncated": False})
        if rest.startswith("contents/"):
            file_path = unquote(rest[len("contents/"):])
            ref = (query.get("ref") or [""])[0]
            commit = ref if ref in repo.commits else repo.commit_of.get(ref)
            if commit is None or file_path not in repo.commits[commit]:
                return _not_found_json()
            content = repo.commits[commit][file_path]
            accept = next((v for k, v in headers.items() if k.lower() == "accept"), "")
            if self.contents_raw and "raw" in accept:
                return 200, [("Content-Type", "application/vnd.github.raw")], content
            encoded = base64.encodebytes(content).decode("ascii")
            return _json(200, {
                "type": "file", "encoding": "base64", "size": len(content),
                "name": file_path.rsplit("/", 1)[-1], "path": file_path,
                "content": encoded, "sha": hashlib.sha1(b"blob %d\0" % len(content)
                                                        + content).hexdigest(),
                "url": f"{repo_api}/contents/{quote(file_path)}?ref={ref}",
                "download_url": f"{self.raw_url}/{repo.owner}/{repo.name}/{commit}/"
                                f"{quote(file_path)}",
            })
        return _not_found_json()

    def _tags_page(self, repo: FakeRepo, repo_api: str, query: dict[str, list[str]],
                   ) -> tuple[int, list[tuple[str, str]], bytes]:
        per_page = min(100, max(1, int((query.get("per_page") or ["30"])[0])))
        page = max(1, int((query.get("page") or ["1"])[0]))
        names = list(reversed(list(repo.tags)))
        last = max(1, -(-len(names) // per_page))
        chunk = names[(page - 1) * per_page: page * per_page]
        body = [{
            "name": name,
            "commit": {"sha": repo.commit_of[name],
                       "url": f"{repo_api}/commits/{repo.commit_of[name]}"},
            "zipball_url": f"{repo_api}/zipball/refs/tags/{quote(name)}",
            "tarball_url": f"{repo_api}/tarball/refs/tags/{quote(name)}",
            "node_id": "REF_" + repo.commit_of[name][:8],
        } for name in chunk]
        links = []
        # GitHub's Link URLs use the repository id; any absolute URL will do here.
        base = f"{self.api_url}/repos/{repo.owner}/{repo.name}/tags?per_page={per_page}"
        if page > 1:
            links.append(f'<{base}&page={page - 1}>; rel="prev"')
        if page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
            links.append(f'<{base}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{base}&page=1>; rel="first"')
        status, headers, payload = _json(200, body)
        if links:
            headers.append(("Link", ", ".join(links)))
        return status, headers, payload

    def answer_raw(self, path: str, headers: Mapping[str, str],
                   ) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = path.lstrip("/").split("/", 3)
        not_found = (404, [("Content-Type", "text/plain; charset=utf-8")], b"404: Not Found")
        if len(parts) < 4:
            return not_found
        owner, name, ref, file_path = (unquote(p) for p in parts)
        repo = self.repos.get(f"{owner}/{name}".lower())
        if repo is None or repo.private:
            return not_found
        commit = ref if ref in repo.commits else repo.commit_of.get(ref)
        if commit is None or file_path not in repo.commits[commit]:
            return not_found
        return 200, [("Content-Type", "text/plain; charset=utf-8")], repo.commits[commit][file_path]

    def rate_headers(self, remaining: int | None = None, reset: float | None = None,
                     ) -> list[tuple[str, str]]:
        left = max(0, self.rate_limit - self.rate_used) if remaining is None else remaining
        return [
            ("x-ratelimit-limit", str(self.rate_limit)),
            ("x-ratelimit-remaining", str(left)),
            ("x-ratelimit-reset", str(int(reset if reset is not None else self.rate_reset))),
            ("x-ratelimit-used", str(self.rate_limit - left)),
            ("x-ratelimit-resource", "core"),
        ]


def _json(status: int, value: object) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json; charset=utf-8")], \
        json.dumps(value, indent=1).encode("utf-8")


def _not_found_json() -> tuple[int, list[tuple[str, str]], bytes]:
    return _json(404, {"message": "Not Found",
                       "documentation_url": "https://docs.github.com/rest",
                       "status": "404"})


_HTML_PAGE = (b"<!DOCTYPE html>\n<html lang=\"en\"><head><title>Sign in</title></head>"
              b"<body><form action=\"/login\">Please sign in to continue.</form></body></html>\n")


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    bare = etag.removeprefix("W/")
    return any(tag.strip() == "*" or tag.strip().removeprefix("W/") == bare
               for tag in if_none_match.split(","))


def _make_handler(gh: FakeGitHub, server_name: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeGitHub/1.0"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def handle(self) -> None:
            try:
                super().handle()
            except (TimeoutError, ConnectionError):
                pass  # the client went away (as clients under test should be able to)

        def do_GET(self) -> None:
            try:
                self._serve()
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _serve(self) -> None:
            split = urlsplit(self.path)
            headers = dict(self.headers.items())
            # Recorded on arrival (status 0 until answered) so slow answers are visible too.
            self._recorded = Recorded(server_name, self.command, self.path, headers, 0)
            gh._record(self._recorded)
            fault = gh._take_fault(server_name, self.path)

            for server, prefix, target, status in list(gh.redirects):
                if server == server_name and split.path.startswith(prefix):
                    location = target + self.path[len(prefix):]
                    self._record(headers, status)
                    self._send(status, [("Location", location)], b"")
                    return

            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
                fault = None
            if fault is not None and fault.kind == "reset":
                self._record(headers, 0)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return

            is_api = server_name == "api"
            extra = [("x-github-request-id", f"F00D:{len(gh.requests):04X}")]
            credential = headers.get("Authorization") or headers.get("authorization")
            if gh.echo_credentials and is_api and credential:
                token = credential.partition(" ")[2]
                extra += [("Authorization", credential), ("X-Echo-Authorization", credential),
                          ("Set-Cookie", f"session={token}; HttpOnly"),
                          ("X-Debug", f"request from 127.0.0.1 with token={token} accepted")]
            if is_api:
                extra += [("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP"),
                          ("Vary", "Accept-Encoding, Accept, X-Requested-With")]

            if fault is not None and fault.kind in ("status", "rate_limit", "exhausted"):
                if fault.kind == "status":
                    status, fheaders, body = _json(fault.status, {"message": "fault injected"})
                    fheaders += gh.rate_headers() if is_api else []
                elif fault.kind == "rate_limit":
                    status, fheaders, body = _json(429, {"message": "secondary rate limit"})
                    fheaders += [("Retry-After", str(fault.retry_after))]
                    fheaders += gh.rate_headers() if is_api else []
                else:
                    status, fheaders, body = _json(403, {
                        "message": "API rate limit exceeded for 127.0.0.1.",
                        "documentation_url": "https://docs.github.com/rest"})
                    fheaders += gh.rate_headers(remaining=0, reset=fault.reset)
                self._record(headers, status)
                self._send(status, fheaders + extra, body)
                return
            if fault is not None and fault.kind == "html":
                self._record(headers, 200)
                self._send(200, [("Content-Type", "text/html; charset=utf-8")] + extra,
                           _HTML_PAGE)
                return

            if is_api:
                status, rheaders, body = gh.answer_api(split.path, parse_qs(split.query),
                                                       headers)
                rheaders += [("Cache-Control", "private, max-age=60, s-maxage=60")]
            else:
                status, rheaders, body = gh.answer_raw(split.path, headers)
                rheaders += [("Cache-Control", "max-age=300")]
            rheaders += extra

            if status == 200:
                digest = hashlib.sha256(body).hexdigest()[:40]
                etag = f'W/"{digest}"' if is_api else f'"{digest}"'
                rheaders.append(("ETag", etag))
                if _etag_matches(self.headers.get("If-None-Match"), etag):
                    if is_api:
                        rheaders += gh.rate_headers()
                    self._record(headers, 304)
                    self._send(304, [(k, v) for k, v in rheaders
                                     if k.lower() != "content-type"], None)
                    return
            if is_api:
                with gh._lock:
                    gh.rate_used = min(gh.rate_limit - 1, gh.rate_used + 1)
                rheaders += gh.rate_headers()
            self._record(headers, status)
            truncate = fault is not None and fault.kind == "truncate"
            self._send(status, rheaders, body, truncate=truncate)

        def _record(self, headers: dict[str, str], status: int) -> None:
            self._recorded.status = status

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes | None, *,
                  truncate: bool = False) -> None:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            if body is None:  # 304: no body, no length
                self.end_headers()
                return
            if gh.chunked and status == 200 and not truncate:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(body), 1000):
                    piece = body[start:start + 1000]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            declared = len(body) + (512 if truncate else 0)
            self.send_header("Content-Length", str(declared))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            if truncate:
                # The peer is owed more bytes; closing now is a connection lost mid-body.
                self.close_connection = True

    return Handler


@pytest.fixture
def github_server():
    """A started ``FakeGitHub``; stopped after the test."""
    with FakeGitHub() as gh:
        yield gh
