"""Every report format turns a DriftReport into text; the CLI decides where it goes."""

from __future__ import annotations

from typing import Callable

from dssync.models import DriftReport

Formatter = Callable[[DriftReport], str]

FORMATS = ("text", "json", "markdown")


def get_formatter(name: str) -> Formatter:
    if name == "json":
        from dssync._format.json_format import render
    elif name == "markdown":
        from dssync._format.markdown import render
    else:
        from dssync._format.text import render
    return render
