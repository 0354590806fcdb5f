"""Writing a finished report to stdout (coloured on a terminal) or to a file."""

from __future__ import annotations

import sys
from pathlib import Path

from dssync.errors import DssyncError


def write_report(text: str, *, output: str | None, fmt: str) -> None:
    if output:
        from dssync.atomic import write_atomic

        path = Path(output)
        if path.is_dir():
            raise DssyncError("--output names a directory", path=output, hint="give a file path")
        if not path.parent.exists():
            raise DssyncError("the directory for --output does not exist", path=output,
                              hint="create it first")
        write_atomic(path, text.encode("utf-8"))
        return
    if fmt == "text" and sys.stdout.isatty():
        _write_coloured(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _write_coloured(text: str) -> None:
    from rich.console import Console
    from rich.text import Text

    from dssync._format.text import style_for

    console = Console(highlight=False, soft_wrap=True)
    for line in text.rstrip("\n").split("\n"):
        console.print(Text(line, style=style_for(line) or ""))
