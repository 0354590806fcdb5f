"""Every report format turns a DriftReport into text; the CLI decides where it goes."""

from __future__ import annotations

import importlib
from typing import Callable

from dssync.models import DriftReport

Formatter = Callable[[DriftReport], str]

_MODULES = {
    "text": "dssync._report.text",
    "json": "dssync._report.json_format",
    "markdown": "dssync._report.markdown",
    "github": "dssync._report.github",
    "sarif": "dssync._report.sarif",
    "html": "dssync._report.html",
}
FORMATS = tuple(_MODULES)

REPORT_FILES = (("markdown", ".md"), ("json", ".json"), ("sarif", ".sarif"), ("html", ".html"))
"""The formats written to a reports directory, with their file name suffixes."""


def get_formatter(name: str) -> Formatter:
    render = importlib.import_module(_MODULES.get(name, _MODULES["text"])).render

    def writable(report: DriftReport) -> str:
        return encodable(render(report))

    return writable


def encodable(text: str) -> str:
    """``text`` that can be written as UTF-8: upstream strings may hold lone surrogates
    (``'\\ud800'``), which become backslash escapes (valid in JSON strings too)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
