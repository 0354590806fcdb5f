"""A fake package index on 127.0.0.1 that speaks the simple repository API for tests.

Project pages are served as PEP 691 JSON or PEP 503 HTML (chosen by the Accept header, or forced
with ``mode``); files are served from memory. Faults can be switched on to see how clients cope:
a wrong announced sha256, bursts of 5xx answers, truncated bodies, an HTML error page sent with
status 200, relative file URLs and yanked files.

    with FakeIndex() as index:
        index.add_sdist("widgets", "1.0", {"widgets/constants.py": b"A = 1\\n"})
        source = PackageIndexSource("widgets", ctx, index_url=index.url)
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import tarfile
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Mapping
from urllib.parse import quote, unquote

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "text/html"

# Small constants modules written for these tests: two releases of an imaginary library.
WIDGETS_CONSTANTS_1_0 = b'''"""Tunables of the imaginary widgets library."""

WIDGET_COUNT_DEFAULT = 3
SPROCKET_RATIO = 0.25
GEAR_NAMES = ("small", "large")
'''

WIDGETS_CONSTANTS_1_1 = b'''"""Tunables of the imaginary widgets library."""

WIDGET_COUNT_DEFAULT = 4
SPROCKET_RATIO = 0.25
GEAR_NAMES = ("small", "medium", "large")
FLANGE_LIMIT = WIDGET_COUNT_DEFAULT * 8
'''

LICENSE_TEXT = b"Permission is granted to use these test fixtures for any purpose.\n"

ERROR_PAGE = (b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
              b"<body><h1>Service Unavailable</h1><p>Please try again later.</p></body></html>")


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sdist_basename(project: str, version: str) -> str:
    """``name-version`` as PEP 625 spells an sdist (underscores, lowercase)."""
    return f"{canonical_name(project).replace('-', '_')}-{version}"


def build_tar(files: Mapping[str, bytes], compression: str = "gz") -> bytes:
    buffer = io.BytesIO()
    mode = f"w:{compression}" if compression else "w"
    with tarfile.open(fileobj=buffer, mode=mode) as tar:  # type: ignore[call-overload]
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 1_600_000_000
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def build_zip(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 9, 13, 12, 0, 0)), content)
    return buffer.getvalue()


def make_sdist(project: str, version: str, files: Mapping[str, bytes], *, fmt: str = "tar.gz",
               top: str | None = None) -> tuple[str, bytes]:
    """``(filename, bytes)`` of an sdist holding ``files`` under one top-level directory."""
    base = sdist_basename(project, version)
    top = base if top is None else top
    members = {f"{top}/{path}": content for path, content in files.items()}
    members.setdefault(f"{top}/PKG-INFO",
                       f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n".encode())
    if fmt == "zip":
        return f"{base}.zip", build_zip(members)
    compression = {"tar.gz": "gz", "tar.bz2": "bz2", "tar": ""}[fmt]
    return f"{base}.{fmt}", build_tar(members, compression)


class _Server(ThreadingHTTPServer):
    """A client that closes a kept-alive connection (its session closed) is not a fault of the
    server's: no traceback on stderr, where a test reading the command's stderr would see it."""

    def handle_error(self, request, client_address) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


@dataclass
class ServedFile:
    filename: str
    content: bytes
    yanked: bool | str = False
    announced_sha256: str | None = None
    """What the index claims; None means the true hash."""
    announce_hash: bool = True

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def claimed_sha256(self) -> str:
        return self.announced_sha256 or self.sha256


@dataclass
class FakeIndex:
    """A simple-API index with switchable faults. Counts every request path in ``hits``."""

    mode: str = "negotiate"
    """``negotiate`` (by Accept), ``json`` or ``html``."""
    relative_urls: bool = False
    error_page: str | None = None
    """``html``: project pages are a 200 text/html error page; ``json``: the same page, but
    labelled as PEP 691 JSON."""
    page: tuple[bytes, str] | None = None
    """Project pages are these bytes, of this content type, whatever is asked."""
    projects: dict[str, list[ServedFile]] = field(default_factory=dict)
    versions: dict[str, list[str]] = field(default_factory=dict)
    hits: Counter = field(default_factory=Counter)
    accept_headers: list[str] = field(default_factory=list)
    _failures: list[tuple[str, int]] = field(default_factory=list)
    _truncations: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- content -----------------------------------------------------------------------------

    def add_file(self, project: str, filename: str, content: bytes, *,
                 yanked: bool | str = False, announced_sha256: str | None = None,
                 announce_hash: bool = True) -> ServedFile:
        served = ServedFile(filename, content, yanked, announced_sha256, announce_hash)
        self.projects.setdefault(canonical_name(project), []).append(served)
        return served

    def add_sdist(self, project: str, version: str, files: Mapping[str, bytes], *,
                  fmt: str = "tar.gz", top: str | None = None, **options) -> ServedFile:
        filename, data = make_sdist(project, version, files, fmt=fmt, top=top)
        return self.add_file(project, filename, data, **options)

    # -- faults ------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 503, path_prefix: str = "/") -> None:
        """Answer the next ``count`` requests under ``path_prefix`` with ``status``."""
        with self._lock:
            self._failures.extend([(path_prefix, status)] * count)

    def truncate_next(self, count: int = 1, path_prefix: str = "/files/") -> None:
        """Send only half of the next ``count`` bodies under ``path_prefix``, then hang up."""
        with self._lock:
            self._truncations.extend([path_prefix] * count)

    def _take(self, queue: list, path: str):
        with self._lock:
            for i, entry in enumerate(queue):
                if path.startswith(entry if isinstance(entry, str) else entry[0]):
                    return queue.pop(i)
        return None

    # -- server ------------------------------------------------------------------------------

    @property
    def root(self) -> str:
        assert self._server is not None, "start() the index first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return f"{self.root}/simple/"

    def start(self) -> FakeIndex:
        index = self

        class Handler(_Handler):
            fake = index

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeIndex:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- pages -------------------------------------------------------------------------------

    def file_url(self, served: ServedFile) -> str:
        path = f"/files/{quote(served.filename)}"
        # Project pages live at /simple/<name>/, so ../../ reaches the server root.
        return f"../..{path}" if self.relative_urls else f"{self.root}{path}"

    def json_page(self, name: str) -> bytes:
        files = []
        for served in self.projects[name]:
            entry = {"filename": served.filename, "url": self.file_url(served),
                     "hashes": {"sha256": served.claimed_sha256} if served.announce_hash else {},
                     "size": len(served.content)}
            if served.yanked:
                entry["yanked"] = served.yanked
            files.append(entry)
        page = {"meta": {"api-version": "1.1"}, "name": name, "files": files}
        if name in self.versions:
            page["versions"] = self.versions[name]
        return json.dumps(page).encode()

    def html_page(self, name: str) -> bytes:
        lines = ["<!DOCTYPE html>", "<html>", "<head>",
                 '<meta name="pypi:repository-version" content="1.0">',
                 f"<title>Links for {html.escape(name)}</title>", "</head>", "<body>",
                 f"<h1>Links for {html.escape(name)}</h1>"]
        for served in self.projects[name]:
            href = self.file_url(served)
            if served.announce_hash:
                href += f"#sha256={served.claimed_sha256}"
            yanked = ""
            if served.yanked:
                reason = served.yanked if isinstance(served.yanked, str) else ""
                yanked = f' data-yanked="{html.escape(reason)}"'
            lines.append(f'<a href="{html.escape(href)}"{yanked}>{html.escape(served.filename)}'
                         "</a><br />")
        lines += ["</body>", "</html>"]
        return "\n".join(lines).encode()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeIndex
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - signature is fixed
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        fake = self.fake
        path = self.path.split("?", 1)[0]
        with fake._lock:
            fake.hits[path] += 1
        failure = fake._take(fake._failures, path)
        if failure is not None:
            self._send(failure[1], b"temporarily broken\n", "text/plain")
            return
        match = re.fullmatch(r"/simple/([^/]+)/", path)
        if match:
            self._project(unquote(match.group(1)))
            return
        match = re.fullmatch(r"/files/([^/]+)", path)
        if match:
            self._file(unquote(match.group(1)))
            return
        self._send(404, b"not found\n", "text/plain")

    def _project(self, name: str) -> None:
        fake = self.fake
        accept = self.headers.get("Accept", "")
        with fake._lock:
            fake.accept_headers.append(accept)
        if fake.error_page is not None:
            kind = JSON_TYPE if fake.error_page == "json" else HTML_TYPE
            self._send(200, ERROR_PAGE, kind)
            return
        if fake.page is not None:
            self._send(200, *fake.page)
            return
        if name not in fake.projects:
            self._send(404, b"not found\n", "text/plain")
            return
        as_json = fake.mode == "json" or (fake.mode == "negotiate" and JSON_TYPE in accept)
        if as_json:
            self._send(200, fake.json_page(name), JSON_TYPE)
        else:
            self._send(200, fake.html_page(name), f"{HTML_TYPE}; charset=utf-8")

    def _file(self, filename: str) -> None:
        fake = self.fake
        served = next((f for files in fake.projects.values() for f in files
                       if f.filename == filename), None)
        if served is None:
            self._send(404, b"not found\n", "text/plain")
            return
        if fake._take(fake._truncations, self.path) is not None:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(served.content)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(served.content[: len(served.content) // 2])
            self.wfile.flush()
            time.sleep(0.01)
            self.close_connection = True
            return
        self._send(200, served.content, "application/octet-stream")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
