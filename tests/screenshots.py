"""Screenshots of the HTML reports for the documentation, taken in headless Chromium:

    python -m tests.screenshots        # writes docs/report-desktop.png, docs/report-phone.png,
                                       # docs/history-changed-only.png

The drift report is this repository's own (``dssync diff --tag v0.9.0``), the timeline
DeepSpeed's constants modules from 0.7.0 to 0.8.3; both read upstream from the package index
(or the cache). Where it cannot be reached, the drift report falls back to tests/showcase.py
and the timeline is left as it is. The browser tests check the same pages at the same widths.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests import browser
from tests.showcase import drift_showcase

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _dssync(*args: str, output: Path) -> bool:
    done = subprocess.run([sys.executable, "-m", "dssync", *args, "--format", "html", "--output", str(output)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode not in (0, 1):
        print(f"screenshots: dssync {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}",
              file=sys.stderr)
        return False
    return True


def main() -> int:
    if not browser.available():
        print(f"screenshots: {browser.SKIP_REASON}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.html"
        if not _dssync("diff", "--tag", "v0.9.0", output=report):
            from dssync._report import html

            report.write_text(html.render(drift_showcase()), encoding="utf-8")
        with browser.Page(timeout=60) as page:
            page.goto(report, viewport=(1280, 1000))
            page.screenshot(DOCS / "report-desktop.png")
            page.goto(report, viewport=(390, 844))
            page.evaluate("document.querySelector('#file-1 table').scrollIntoView()")
            page.screenshot(DOCS / "report-phone.png")
            timeline = Path(tmp) / "history.html"
            if _dssync("history", "--since", "0.7.0", "--until", "0.8.3", output=timeline):
                page.goto(timeline, viewport=(1000, 760))
                page.screenshot(DOCS / "history-changed-only.png")
    for name in ("report-desktop.png", "report-phone.png", "history-changed-only.png"):
        print(DOCS / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
