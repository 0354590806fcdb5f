"""Headless Chromium for tests: load a local page, read its DOM, screenshot it, and see every
network request it makes.

Two ways in, lightest first:

* ``dump_dom(page)`` and ``screenshot(page, png)`` run Chromium once with ``--dump-dom`` or
  ``--screenshot``, and need nothing but the browser.
* ``Page`` speaks the Chrome DevTools protocol over ``--remote-debugging-pipe`` (file
  descriptors 3 and 4, NUL-separated JSON): no driver, no websocket library. It records the
  page's network requests (``Network.requestWillBeSent``) and console/CSP messages, and
  evaluates JavaScript in the page to read the DOM.

Every run gets a fresh profile in a temporary directory, and the flags below keep Chromium's own
background traffic (updates, sync, field trials) off, so what ``Page.requests`` shows is the
page's doing.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars")
SKIP_REASON = f"headless Chromium ({CHROMIUM}) is not installed; apt-get install chromium"


def available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


def artifacts_dir() -> Path:
    """Where browser tests leave their screenshots: ``$DSSYNC_TEST_ARTIFACTS``, default
    ``build/test-artifacts/``."""
    path = Path(os.environ.get("DSSYNC_TEST_ARTIFACTS") or ROOT / "build" / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


OVERFLOW_JS = "document.documentElement.scrollWidth - window.innerWidth"
"""How many CSS pixels the page is wider than the window: > 0 means a sideways scroll bar."""

BROKEN_WORDS_JS = r"""(selector => {
  // Every place where the text of a matched element wraps to a new line, unless the line ends
  // with '_', '.', '/' or a space: a name must break between its words, never inside one.
  const bad = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.getClientRects().length) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let prev = null, node;
    while ((node = walker.nextNode())) {
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect) continue;
        if (prev && rect.top > prev.top + rect.height / 2 && !/[_./\s]/.test(prev.ch))
          bad.push(el.textContent + ': broken between ' + JSON.stringify(prev.ch + node.data[i]));
        prev = {top: rect.top, ch: node.data[i]};
      }
    }
  }
  return bad;
})"""
"""Call with a CSS selector: ``page.evaluate(f"{BROKEN_WORDS_JS}('code.name')")``."""

WRAPPED_JS = r"""(selector => Array.from(document.querySelectorAll(selector)).filter(el => {
  const tops = new Set();
  for (const r of el.getClientRects()) tops.add(Math.round(r.top));
  return tops.size > 1;
}).map(el => el.textContent))"""
"""The texts of the matched elements that take more than one line."""


def page_url(page: str | Path) -> str:
    """A local file as a ``file://`` URL; a URL as given."""
    text = str(page)
    return text if "://" in text or text.startswith(("about:", "data:")) else Path(page).resolve().as_uri()


def _run_once(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="dssync-chromium-") as profile:
        return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)


def dump_dom(page: str | Path, *, timeout: float = 60.0) -> str:
    """The DOM after load, serialized, as ``chromium --dump-dom`` prints it."""
    done = _run_once(["--dump-dom", page_url(page)], timeout)
    if done.returncode != 0:
        raise RuntimeError(f"chromium --dump-dom exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def screenshot(page: str | Path, png: str | Path, *, size: tuple[int, int] = (1280, 900),
               timeout: float = 60.0) -> Path:
    png = Path(png).resolve()
    done = _run_once([f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", page_url(page)],
                     timeout)
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium --screenshot exited {done.returncode}: {done.stderr[-2000:]}")
    return png


class DevToolsError(RuntimeError):
    pass


class Page:
    """One Chromium page under DevTools control. Use as a context manager::

        with Page(timeout=30) as page:
            page.goto("report.html")
            rows = page.evaluate("document.querySelectorAll('tr').length")
            assert page.requests == []   # nothing but the page itself was requested
    """

    def __init__(self, *, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._buffer = b""
        self._session: str | None = None
        self._url: str | None = None
        self._profile = tempfile.mkdtemp(prefix="dssync-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_fds() -> None:  # in the child: Chromium reads commands on 3, writes on 4
            # Through fresh copies first: one pipe end may itself be 3 or 4.
            read_end, write_end = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # Python's own descriptors are not inheritable (PEP 446): only 3 and 4 pass.
            preexec_fn=wire_fds, close_fds=False)  # noqa: PLW1509 - only os.dup2 runs there
        os.close(to_chrome_r)
        os.close(from_chrome_w)

    # -- the protocol -------------------------------------------------------------------------

    def _send(self, method: str, params: dict | None = None, *, session: bool = True) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self._session:
            message["sessionId"] = self._session
        os.write(self._to_chrome, json.dumps(message).encode("utf-8") + b"\0")
        return self._next_id

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DevToolsError(f"Chromium did not answer within {self.timeout} s")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 16)
                if not chunk:
                    raise DevToolsError("Chromium closed the DevTools pipe (did it crash?)")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, *, session: bool = True) -> dict[str, Any]:
        """Send a command and return its result; events that arrive meanwhile are recorded."""
        wanted = self._send(method, params, session=session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event["method"] == method:
                return event
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read_message(deadline)
            if "method" in message:
                self.events.append(message)
                if message["method"] == method:
                    return message

    # -- what tests use -----------------------------------------------------------------------

    def goto(self, page: str | Path, *, settle: float = 0.3,
             viewport: tuple[int, int] | None = None) -> None:
        """Open ``page`` in a new tab with network and console recording on, and wait for its
        load event, then ``settle`` seconds more for late requests. ``viewport`` (width,
        height in CSS pixels) lays the page out as a screen of that size would, a phone's
        (width below 600) as a mobile browser does: it honours the page's viewport meta tag."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True},
                             session=False)
        self._session = attached["sessionId"]
        for domain in ("Network.enable", "Page.enable", "Log.enable", "Runtime.enable"):
            self.call(domain)
        if viewport is not None:
            width, height = viewport
            self.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        self._url = page_url(page)
        self.events.clear()
        self.call("Page.navigate", {"url": self._url})
        self.wait_for("Page.loadEventFired")
        end = time.monotonic() + settle
        while time.monotonic() < end:  # collect whatever the page starts after load
            try:
                message = self._read_message(min(end, time.monotonic() + 0.05))
            except DevToolsError:
                continue
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression evaluated in the page."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise DevToolsError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    @property
    def requests(self) -> list[str]:
        """URLs the page requested, besides the page itself (blocked attempts count too)."""
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"
                and e["params"]["request"]["url"] != self._url]

    @property
    def messages(self) -> list[str]:
        """Console and browser log lines, e.g. Content-Security-Policy violations."""
        out = [e["params"]["entry"].get("text", "") for e in self.events if e["method"] == "Log.entryAdded"]
        out += [" ".join(str(a.get("value", a.get("description", ""))) for a in e["params"].get("args", []))
                for e in self.events if e["method"] == "Runtime.consoleAPICalled"]
        return out

    def screenshot(self, png: str | Path, *, full_page: bool = False) -> Path:
        """The viewport as a PNG; ``full_page`` captures the whole page, however long."""
        import base64

        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = self.call("Page.captureScreenshot", params)["data"]
        png = Path(png)
        png.write_bytes(base64.b64decode(data))
        return png

    # -- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        try:
            if self._proc.poll() is None:
                try:
                    self._send("Browser.close", session=False)
                    self._proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    self._proc.kill()
                    self._proc.wait(timeout=5)
        finally:
            for fd in (self._to_chrome, self._from_chrome):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
