"""The HTML timeline of ``dssync history``: structure, safety, size, and what a browser shows.

The browser test opens the page of a real 120-release history in headless Chromium (through
tests/browser.py), checks that it loads nothing else and that header and names stay put while
scrolling, saves the screenshot as a test artifact (``$DSSYNC_TEST_ARTIFACTS``, default
``build/test-artifacts/``) and checks, pixel by pixel, that the timeline's cells were drawn.
"""

from __future__ import annotations

import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests import browser
from tests.test_history import CONST, build_repo, evolve, git_walk

from dssync import cli
from dssync._report.history_html import CSP, render
from dssync._analyses.timeline import (
    CHANGED, INTRODUCED, REINTRODUCED, REMOVED, ConstantTimeline, Event, FileHistory, History,
    build_history,
)
from dssync.cache import Cache

ROOT = Path(__file__).resolve().parents[1]
COLOURS = {"introduced": (0x1F, 0x9D, 0x55), "changed": (0xE3, 0xA0, 0x08),
           "removed": (0xD6, 0x45, 0x45), "present": (0xCF, 0xE9, 0xD6)}


# -- a tiny HTML reader ---------------------------------------------------------------------------


class Page(HTMLParser):
    """Collects what the tests look at: tags seen, attributes, table rows and their cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[dict[str, str | None]]] = []
        self.header: list[dict[str, str | None]] = []
        self.text: list[str] = []
        self._in_head_row = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "thead":
            self._in_head_row = True
        elif tag == "tbody":
            self._in_head_row = False
        elif tag == "tr" and not self._in_head_row:
            self.rows.append([])
        elif tag == "td" and self.rows:
            self.rows[-1].append(attributes)
        elif tag == "th" and self._in_head_row and attributes.get("class", "").startswith("tag"):
            self.header.append(attributes)

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


# -- a large synthetic history ---------------------------------------------------------------------


def synthetic(tags: int = 110, constants: int = 420) -> History:
    names = [f"tag{i}" for i in range(tags)]
    timelines = []
    for c in range(constants):
        start = c % 17
        events = [Event(names[start], INTRODUCED, f"'v{c}'", line=c + 1)]
        for k in range(start + 7, tags, 23 + c % 11):
            events.append(Event(names[k], CHANGED, f"'v{c}.{k}'", events[-1].value, c + 1, "value"))
        if c % 5 == 0 and start + 60 < tags:
            events.append(Event(names[start + 60], REMOVED, None, events[-1].value, c + 1))
            if c % 10 == 0 and start + 80 < tags:
                events.append(Event(names[start + 80], REINTRODUCED, "0", line=c + 1))
        timelines.append(ConstantTimeline(f"CONSTANT_WITH_A_LONGISH_NAME_{c}", events))
    status = {t: "present" for t in names}
    status[names[min(40, tags - 1)]] = "absent"
    return History(source="git:synthetic", tags=names,
                   files=[FileHistory("pkg/constants.py", names, status, timelines,
                                      vendored="vendored/pkg/constants.py")])


def test_large_timeline_is_compact_and_every_row_spans_every_tag():
    history = synthetic()
    html = render(history)
    assert len(html) < 1_500_000  # runs of quiet tags are merged into one cell
    page = parse(html)
    assert len(page.header) == 110
    assert len(page.rows) == 420
    for row in page.rows:
        assert sum(int(td.get("colspan") or 1) for td in row) == 110
    kinds = {td.get("class") for row in page.rows for td in row}
    assert kinds == {"a", "c", "r", "p", "n"}
    assert "absent" in page.header[40]["class"]


def test_cells_carry_values_in_titles():
    history = synthetic(tags=30, constants=12)
    page = parse(render(history))
    row = page.rows[3]  # CONSTANT_..._3: introduced at tag3, changed at tag10
    titles = [td.get("title") for td in row]
    assert "CONSTANT_WITH_A_LONGISH_NAME_3 introduced at tag3 = 'v3'" in titles
    assert "CONSTANT_WITH_A_LONGISH_NAME_3 changed at tag10 'v3' -> 'v3.10'" in titles
    assert "CONSTANT_WITH_A_LONGISH_NAME_3 = 'v3'" in titles  # the quiet run between them


def test_page_is_self_contained_and_escapes_upstream_text():
    hostile = "'</td><script>alert(1)</script><img src=https://evil.example/x.png>'"
    history = History(source="git:<b>x</b>", tags=["v1", "v2"], files=[FileHistory(
        "a/<i>.py", ["v1", "v2"], {"v1": "present", "v2": "present"},
        [ConstantTimeline("X", [Event("v1", INTRODUCED, hostile, line=1),
                                Event("v2", CHANGED, "1", hostile, 1, "value")])])],
        notes=["<script>note</script>"])
    html = render(history)
    page = parse(html)
    seen = {tag for tag, _ in page.tags}
    assert "script" not in seen and "img" not in seen and "b" not in seen and "i" not in seen
    assert "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html.replace("https://evil", "")
    metas = [a for t, a in page.tags if t == "meta" and a.get("http-equiv")]
    assert metas == [{"http-equiv": "Content-Security-Policy", "content": CSP}]
    assert "default-src 'none'" in CSP and "script-src" not in CSP
    for link_tag in ("link", "iframe", "object", "embed", "base"):
        assert link_tag not in seen
    assert "position: sticky" in html  # headers and names stay while scrolling


# -- in a real browser -----------------------------------------------------------------------------


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 0xFF
            elif f == 2:
                line[x] = (line[x] + b) & 0xFF
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r) for r in rows] if bpp == 3 else [
        b"".join(r[i:i + 3] for i in range(0, len(r), 4)) for r in rows]


def count_colours(rows: list[bytes]) -> dict[str, int]:
    wanted = {bytes(v): k for k, v in COLOURS.items()}
    counts = dict.fromkeys(COLOURS, 0)
    for row in rows:
        for i in range(0, len(row), 3):
            kind = wanted.get(row[i:i + 3])
            if kind:
                counts[kind] += 1
    return counts


def test_timeline_in_headless_chromium(tmp_path, capsys):
    if not browser.available():
        pytest.skip(browser.SKIP_REASON)
    evo = evolve(seed=7, releases=120)
    repo = build_repo(tmp_path / "up", evo)
    page_file = tmp_path / "history.html"
    code = cli.main(["history", "--source", f"git:{repo.path}", "--upstream-path", CONST,
                     "--file", "vendored/lib/constants.py", "--format", "html", "--output",
                     str(page_file), "--no-cache"])
    assert code == 0, capsys.readouterr().err
    parsed = parse(page_file.read_text(encoding="utf-8"))
    assert len(parsed.header) == 120

    png = browser.artifacts_dir() / "history-timeline.png"
    png.unlink(missing_ok=True)
    with browser.Page(timeout=30) as page:
        page.goto(page_file)
        page.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        assert page.requests == []  # self-contained: nothing but the page itself is loaded
        assert not [m for m in page.messages if "Content Security Policy" in m], page.messages
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        assert page.evaluate("document.querySelectorAll('tbody tr').length") == \
            len(parsed.rows)
        page.screenshot(png)
        # Scrolled down and right, the tag row and the name column stay where they were.
        where = page.evaluate("""(() => {
            const box = document.querySelector('.scroll');
            const tag = box.querySelector('thead th.tag');
            const name = box.querySelector('tbody tr:nth-child(40) th');
            box.scrollTop = 200; box.scrollLeft = 300;
            const b = box.getBoundingClientRect();
            return {scrolled: [box.scrollTop, box.scrollLeft],
                    tagTop: tag.getBoundingClientRect().top - b.top,
                    nameLeft: name.getBoundingClientRect().left - b.left};
        })()""")
        assert where["scrolled"] == [200, 300]
        assert abs(where["tagTop"] - 1) <= 1 and abs(where["nameLeft"] - 1) <= 1, where
    width, height, rows = read_png(png.read_bytes())
    assert (width, height) == (1400, 900)
    counts = count_colours(rows)
    # Each kind of cell is visible on screen, the quiet runs most of all.
    assert counts["present"] > 20_000, counts
    assert min(counts["introduced"], counts["changed"], counts["removed"]) > 300, counts


def test_history_walk_renders_without_a_browser(tmp_path):
    evo = evolve(seed=5, releases=20, start=3)
    repo = build_repo(tmp_path / "up", evo)
    history = build_history(git_walk(repo.path, Cache(None)))
    page = parse(render(history))
    assert len(page.header) == 20
    assert len(page.rows) == len(history.files[0].constants)
    for row in page.rows:
        assert sum(int(td.get("colspan") or 1) for td in row) == 20


# -- "changed only" and the baseline ---------------------------------------------------------------


def quiet_history(quiet: int = 40, since: str | None = "v1") -> History:
    """Five events among ``quiet`` constants that stayed the same, and a second file whose
    constants all stayed the same."""
    tags = ["v1", "v2", "v3", "v4"]
    status = dict.fromkeys(tags, "present")
    lines = [ConstantTimeline(f"STEADY_{i}", [Event("v1", INTRODUCED, str(i), line=i + 1)]) for i in range(quiet)]
    lines += [
        ConstantTimeline("CHANGED_ONCE", [Event("v1", INTRODUCED, "1", line=90),
                                          Event("v3", CHANGED, "2", "1", 90, "value")]),
        ConstantTimeline("GONE", [Event("v1", INTRODUCED, "'x'", line=91), Event("v2", REMOVED, None, "'x'", 91)]),
        ConstantTimeline("NEWER", [Event("v2", INTRODUCED, "3", line=92)]),
        ConstantTimeline("BACK", [Event("v1", INTRODUCED, "4", line=93), Event("v2", REMOVED, None, "4", 93),
                                  Event("v4", REINTRODUCED, "4", line=93)]),
    ]
    still = [ConstantTimeline(f"OTHER_{i}", [Event("v1", INTRODUCED, str(i), line=i + 1)]) for i in range(3)]
    return History(source="git:example", tags=tags, since=since, files=[
        FileHistory("pkg/constants.py", tags, status, lines), FileHistory("pkg/other.py", tags, status, still)])


def test_quiet_rows_are_marked_and_the_filter_starts_on_when_they_outnumber_the_events():
    page = render(quiet_history())
    parsed = parse(page)
    (box,) = [a for t, a in parsed.tags if t == "input"]
    assert box["id"] == "changed-only" and box["type"] == "checkbox" and "checked" in box
    rows = [a for t, a in parsed.tags if t == "tr" and a.get("class") == "quiet"]
    assert len(rows) == 40 + 3  # CHANGED_ONCE, GONE, NEWER and BACK have events after v1
    assert "hides the 43 constants that stayed the same at every tag read (47 rows, 5 events)" in page
    # As many events as rows: everything is shown to begin with.
    few = quiet_history(quiet=0)
    few.files = few.files[:1]
    (box,) = [a for t, a in parse(render(few)).tags if t == "input"]
    assert "checked" not in box


def test_since_makes_the_first_tag_a_baseline_not_an_introduction():
    parsed = parse(render(quiet_history(since="v1")))
    assert "baseline" in parsed.header[0]["class"] and "baseline" not in parsed.header[1]["class"]
    first_cells = [row[0] for row in parsed.rows]
    # Nothing is "introduced" at the baseline: what it holds may be much older.
    assert {td["class"] for td in first_cells if td.get("class") != "n"} == {"b"}
    assert any(td["class"] == "a" for row in parsed.rows for td in row)  # NEWER, at v2
    steady = parsed.rows[0][0]
    assert steady["title"] == "STEADY_0 present at the baseline v1 = 0"
    # Without --since the first tag read is the first release: its constants were introduced there.
    plain = parse(render(quiet_history(since=None)))
    assert "baseline" not in plain.header[0]["class"]
    assert plain.rows[0][0]["class"] == "a"


def test_changed_only_filter_in_headless_chromium(tmp_path):
    if not browser.available():
        pytest.skip(browser.SKIP_REASON)
    page_file = tmp_path / "history.html"
    page_file.write_text(render(quiet_history()), encoding="utf-8")
    visible = ("Array.from(document.querySelectorAll('tbody tr'))"
               ".filter(r => getComputedStyle(r).display !== 'none').map(r => r.querySelector('th').textContent)")
    shown = "getComputedStyle(document.querySelector('#file-1 .scroll')).display !== 'none'"
    with browser.Page(timeout=30) as page:
        page.goto(page_file, viewport=(1000, 700))
        assert page.evaluate("document.getElementById('changed-only').checked") is True
        assert page.evaluate(visible) == ["CHANGED_ONCE", "GONE", "NEWER", "BACK"]
        # A file whose constants all stayed the same says so instead of an empty table.
        assert page.evaluate(shown) is False
        assert page.evaluate("getComputedStyle(document.querySelector('#file-1 .quiet-note')).display") == "block"
        page.screenshot(browser.artifacts_dir() / "history-changed-only.png")
        page.evaluate("document.querySelector('label[for=changed-only]').click()")
        assert page.evaluate("document.getElementById('changed-only').checked") is False
        assert len(page.evaluate(visible)) == 44 + 3
        assert page.evaluate(shown) is True
        assert page.requests == []
