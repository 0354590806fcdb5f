"""``--format html`` (one self-contained page), the report files that ``--output DIR`` and
``--write-reports`` write, and the text report's golden file.

The page is opened in Debian's headless Chromium, which must find the expected table rows and
see no network request; those tests skip only when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests import browser
from tests.golden.fixture import INJECTION, NASTY, ODD_PATH, check_golden, fixed_report
from tests.showcase import LONG_NAMES, drift_showcase

from dssync._format import html, text
from dssync.cli import main
from dssync.commands.output import report_stem
from dssync.models import DriftReport, FileDrift

needs_chromium = pytest.mark.skipif(not browser.available(), reason=browser.SKIP_REASON)

URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "data", "poster", "background",
                  "cite", "longdesc", "manifest", "ping", "xlink:href"}


class _Page(HTMLParser):
    """Every tag with its attributes, and the text of <style> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _parsed(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def test_golden():
    check_golden("drift.html", html.render(fixed_report()))


def test_text_golden():
    check_golden("drift.txt", text.render(fixed_report()))


def test_values_are_escaped():
    page = html.render(fixed_report())
    tags = [tag for tag, _ in _parsed(page).tags]
    assert "script" not in tags and "b" not in tags  # upstream markup stays text
    assert "&lt;script&gt;x&lt;/script&gt; &amp; &quot;q&quot;" in page
    assert html.escape(ODD_PATH) in page.replace("<wbr>", "")  # paths may break after a '/'
    assert html.escape(f"{INJECTION} (now equals upstream; the pin could go)") in page


def test_self_contained_with_a_strict_csp():
    page = html.render(fixed_report())
    parsed = _parsed(page)
    metas = [a for tag, a in parsed.tags if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(metas) == 1
    policy = dict(part.strip().split(" ", 1) for part in metas[0]["content"].split(";"))
    assert policy["default-src"] == "'none'" and policy["img-src"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'none'"
    (css,) = parsed.styles
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    assert policy["style-src"] == f"'sha256-{digest}'"  # only this very stylesheet may apply
    web = fixed_report().web.url + "/"
    for tag, attrs in parsed.tags:
        assert tag not in {"script", "link", "img", "iframe", "object", "embed", "base", "form"}
        assert "style" not in attrs  # an inline style attribute would need 'unsafe-inline'
        for name, value in attrs.items():
            if name in URL_ATTRIBUTES:
                # In the page, or a link (never a load) to upstream's own pages.
                upstream_link = tag == "a" and name == "href" and value.startswith(web) \
                    and attrs["rel"] == "noopener noreferrer"
                assert value.startswith("#") or upstream_link, f"<{tag} {name}={value!r}> points outside the page"
    assert "url(" not in css and "@import" not in css


def test_summary_and_tables():
    parsed = _parsed(html.render(fixed_report()))
    rows = [a for tag, a in parsed.tags if tag == "tr" and "data-kind" in a]
    assert [(r["data-kind"], r["data-name"]) for r in rows] == [
        ("changed-value", "TIMEOUT"), ("changed-value", "CONFIG"), ("changed-reference", "ENDPOINT"),
        ("changed-value", "HELP"), ("changed-value", "SEP"), ("removed", "OLD_FLAG"),
        ("renamed", "MAX_SIZ → MAX_SIZE"), ("renamed-class", "class TraceMode → ZeRoTraceMode"),
        ("added", "NEW_MODE"), ("added", "WEIRD"), ("added", "TEXT"), ("moved", "SHARED_KEY"),
        ("pinned", "PINNED_OK"), ("pinned", "PINNED_DIFF"),
        ("changed-value", "RATIO"), ("moved", "SHARED_KEY")]
    sections = [a["id"] for tag, a in parsed.tags if tag == "section"]
    assert sections == ["file-1", "file-2", "file-3", "file-4"]


def _open_report_page(tmp_path: Path) -> Path:
    page = tmp_path / "drift-v2.0.0.html"
    page.write_text(html.render(fixed_report()), encoding="utf-8")
    return page


ROWS_JS = """Array.from(document.querySelectorAll('tr[data-kind]')).map(tr => ({
  kind: tr.dataset.kind, name: tr.dataset.name,
  old: tr.querySelector('td.old').innerText, new: tr.querySelector('td.new').innerText}))"""


@pytest.fixture(scope="module")
def chromium():
    if not browser.available():
        pytest.skip(browser.SKIP_REASON)
    with browser.Page(timeout=30) as page:
        yield page


@needs_chromium
def test_chromium_finds_the_rows_and_makes_no_request(chromium, tmp_path):
    chromium.goto(_open_report_page(tmp_path))
    rows = {(r["kind"], r["name"]): r for r in chromium.evaluate(ROWS_JS)}
    assert len(rows) == 15  # SHARED_KEY's move is a row in both its files
    assert (rows[("changed-value", "TIMEOUT")]["old"], rows[("changed-value", "TIMEOUT")]["new"]) == ("30", "60")
    assert rows[("added", "WEIRD")]["old"] == "absent"
    assert rows[("added", "WEIRD")]["new"] == NASTY  # shown as text, markup and all
    assert rows[("changed-reference", "ENDPOINT")]["new"] == "BASE + '/x'\n= 'v2/x'"
    assert rows[("removed", "OLD_FLAG")]["new"] == "absent"
    assert chromium.evaluate("document.querySelectorAll('script, img, link, iframe').length") == 0
    verdict = chromium.evaluate("document.getElementById('verdict').innerText")
    assert verdict.startswith("2 of 4 files drifted: ")
    # The stylesheet applied (the CSP allowed it by hash): the table has collapsed borders.
    assert chromium.evaluate("getComputedStyle(document.querySelector('table')).borderCollapse") == "collapse"
    assert chromium.requests == []
    assert not [m for m in chromium.messages if "Content Security Policy" in m]


class _Recorder(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []  # noqa: RUF012 - shared on purpose: the test reads it off the class

    def do_GET(self):  # noqa: N802 - the http.server API
        type(self).paths.append(self.path)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@needs_chromium
def test_the_request_check_can_fail(chromium, tmp_path):
    """A control: a page that does load something from a loopback server is caught."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/pixel.png"
        page = tmp_path / "leaky.html"
        page.write_text(f'<!DOCTYPE html><html><body><img src="{url}"></body></html>')
        chromium.goto(page)
        assert chromium.requests == [url]
        assert _Recorder.paths == ["/pixel.png"]
        # The same page under dssync's policy: the load is refused before it leaves the browser.
        _Recorder.paths.clear()
        page.write_text(f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
                        f'content="{html.csp()}"></head><body><img src="{url}"></body></html>')
        chromium.goto(page)
        assert _Recorder.paths == []
    finally:
        server.shutdown()
        server.server_close()


@needs_chromium
def test_dump_dom_and_screenshot(tmp_path):
    page = _open_report_page(tmp_path)
    dom = browser.dump_dom(page)
    assert dom.count('data-kind="added"') == 3 and dom.count('data-kind="renamed-class"') == 1
    png = browser.screenshot(page, tmp_path / "report.png", size=(1000, 700))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- a desktop's and a phone's width ------------------------------------------------------------

NAMES = "td.name code.name, td.notes code.name"


@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
def test_report_fits_the_width_and_keeps_names_whole(width, tmp_path):
    """At a desktop's and a phone's width: no sideways scrolling, no name broken inside a word,
    multi-line values as code blocks with the changed lines marked."""
    page = tmp_path / "report.html"
    page.write_text(html.render(drift_showcase()), encoding="utf-8")
    with browser.Page(timeout=30) as chromium:
        chromium.goto(page, viewport=(width, 900))
        assert chromium.evaluate("window.innerWidth") == width
        assert chromium.evaluate(browser.OVERFLOW_JS) <= 0
        assert chromium.evaluate(f"{browser.BROKEN_WORDS_JS}({NAMES!r})") == []
        wrapped = chromium.evaluate(f"{browser.WRAPPED_JS}({NAMES!r})")
        if width == 390:
            # The check above had work to do: the longest names take two lines on a phone...
            assert LONG_NAMES[0] in wrapped
            # ...where each row is a card, its cells labelled with their column's name.
            assert chromium.evaluate("getComputedStyle(document.querySelector('table.drift thead')).display") == "none"
            assert chromium.evaluate("getComputedStyle(document.querySelector('td.old'), '::before').content") \
                == '"Vendored"'
        else:  # a desktop has room for names of up to 40 characters on one line
            wrapped = chromium.evaluate(f"{browser.WRAPPED_JS}('td.name code.name')")
            assert wrapped and all(len(name) > 40 for name in wrapped), wrapped
        blocks = chromium.evaluate("""Array.from(document.querySelectorAll('tr[data-name="FP16_FORMAT"] pre.lines'))
            .map(pre => ({del: Array.from(pre.querySelectorAll('del')).map(e => e.textContent),
                          ins: Array.from(pre.querySelectorAll('ins')).map(e => e.textContent),
                          lines: pre.children.length}))""")
        assert blocks == [{"del": ['  "initial_scale_power": 32,'], "ins": [], "lines": 11},
                          {"del": [], "ins": ['  "initial_scale_power": 16,'], "lines": 11}]
        assert chromium.requests == []
        chromium.screenshot(browser.artifacts_dir() / f"report-{width}px.png", full_page=True)


@needs_chromium
def test_the_width_checks_can_fail(tmp_path):
    """A control: a name broken inside a word and a page wider than the window are caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width">'
                    '<style>td { width: 80px; } code { overflow-wrap: anywhere; }</style></head><body>'
                    '<table><tr><td><code class="name">ABCDEFGHIJKLMNOPQRSTUVWXYZ_A</code></td></tr></table>'
                    '<pre>' + "x" * 200 + "</pre></body></html>", encoding="utf-8")
    with browser.Page(timeout=30) as chromium:
        chromium.goto(page, viewport=(390, 600))
        assert chromium.evaluate(browser.OVERFLOW_JS) > 0
        assert chromium.evaluate(f"{browser.BROKEN_WORDS_JS}('code.name')")


# -- report files --------------------------------------------------------------------------------


@pytest.mark.parametrize("tag, stem", [("v2.0.0", "drift-v2.0.0"), (None, "drift-local"),
                                       ("release/1.0+rc 1", "drift-release-1.0+rc-1"),
                                       ("../..", "drift-local")])
def test_report_stem(tag, stem):
    assert report_stem(tag) == stem


@pytest.fixture
def modules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    Path("old.py").write_text("A = 1\nB = 'x'\n")
    Path("new.py").write_text("A = 2\nC = 3\n")
    return tmp_path


def _stems(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_output_dir_gets_every_report(modules, capsys):
    out = modules / "out"
    out.mkdir()
    assert main(["diff", "old.py", "new.py", "--format", "github", "--output", str(out)]) == 1
    assert _stems(out) == ["drift-local.html", "drift-local.json", "drift-local.md", "drift-local.sarif"]
    assert capsys.readouterr().out.startswith("::warning file=old.py,line=1,")  # --format still to stdout
    assert json.loads((out / "drift-local.json").read_text())["drift"] is True
    assert json.loads((out / "drift-local.sarif").read_text())["version"] == "2.1.0"
    assert (out / "drift-local.md").read_text().startswith("# dssync drift report")
    assert (out / "drift-local.html").read_text().startswith("<!DOCTYPE html>")
    # Stable names: a second run replaces the files, it does not add any.
    assert main(["diff", "old.py", "new.py", "--output", str(out)]) == 1
    assert len(list(out.iterdir())) == 4


def test_output_file_still_gets_one_report(modules, capsys):
    assert main(["diff", "old.py", "new.py", "--format", "html", "--output", "page.html"]) == 1
    assert Path("page.html").read_text().startswith("<!DOCTYPE html>")
    assert capsys.readouterr().out == ""
    assert main(["diff", "old.py", "new.py", "--output", "missing/report.txt"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_write_reports_uses_the_configured_directory(modules, capsys):
    Path("pyproject.toml").write_text(
        '[tool.dssync]\nreports = "audit/reports"\nsources = ["git:upstream"]\n\n'
        '[[tool.dssync.files]]\nvendored = "old.py"\nupstream = "old.py"\n')
    assert main(["diff", "old.py", "new.py", "--write-reports", "--format", "json"]) == 1
    reports = modules / "audit" / "reports"
    assert _stems(reports) == ["drift-local.html", "drift-local.json", "drift-local.md", "drift-local.sarif"]
    assert json.loads(capsys.readouterr().out)["drift"] is True


def test_write_reports_without_configuration_uses_reports_here(modules):
    assert main(["diff", "old.py", "new.py", "--write-reports"]) == 1
    assert len(list((modules / "reports").iterdir())) == 4


def test_no_drift_report_set(modules):
    out = modules / "out"
    out.mkdir()
    assert main(["diff", "old.py", "old.py", "--output", str(out)]) == 0
    page = (out / "drift-local.html").read_text()
    assert "No drift." in page and "<tr data-key=\"files\"><th>files</th><td>1</td></tr>" in page


def test_empty_report_renders():
    page = html.render(DriftReport(files=[FileDrift(vendored="a.py", upstream="a.py")]))
    assert "<title>dssync drift report</title>" in page and "No drift." in page
