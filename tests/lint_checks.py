"""What a maintainer runs on a module ``update`` wrote: pyflakes for undefined names,
pycodestyle for blank-line errors (E30x)."""

from __future__ import annotations

import io
from pathlib import Path

import pycodestyle
from pyflakes.api import check as pyflakes_check
from pyflakes.reporter import Reporter


def undefined_names(data: bytes) -> set[str]:
    out = io.StringIO()
    pyflakes_check(data.decode("utf-8"), "module.py", Reporter(out, out))
    return {line.split("'")[1] for line in out.getvalue().splitlines() if "undefined name" in line}


def e30_errors(path: Path) -> int:
    style = pycodestyle.StyleGuide(select=["E30"], quiet=True)
    return style.check_files([str(path)]).total_errors
