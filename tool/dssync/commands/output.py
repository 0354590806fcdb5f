"""Writing a finished report: to stdout (coloured on a terminal) or a file, as a set of files
in a reports directory, and to GitHub's job summary."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dssync.errors import DssyncError
from dssync.models import DriftReport

if TYPE_CHECKING:
    from dssync.config import Config

STEP_SUMMARY_LIMIT = 1024 * 1024
"""GitHub refuses a step's summary from 1 MiB on, and then shows none of it."""

_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._+-]+")


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

    from dssync._report.text import style_for

    console = Console(highlight=False, soft_wrap=True)
    for line in text.rstrip("\n").split("\n"):
        console.print(Text(line, style=style_for(line) or ""))


def report_stem(tag: str | None) -> str:
    """``drift-<tag>``; a tag's characters that are unsafe in a file name become ``-``."""
    name = _UNSAFE_IN_NAME.sub("-", tag).strip(".-") if tag else ""
    return f"drift-{name or 'local'}"


def write_report_set(report: DriftReport, directory: Path) -> list[Path]:
    """The report in every file format, under stable names; an existing file is replaced."""
    from dssync._report.interface import REPORT_FILES, get_formatter
    from dssync.atomic import write_atomic

    tag = report.tag
    if tag is None and report.groups:
        # Several upstreams at different tags: each one's name and tag, in order.
        tag = "_".join(f"{g.upstream}-{g.tag}" for g in report.groups)
    stem = report_stem(tag)
    written = []
    for fmt, suffix in REPORT_FILES:
        path = directory / f"{stem}{suffix}"
        write_atomic(path, get_formatter(fmt)(report).encode("utf-8"))
        written.append(path)
    return written


def reports_directory(config: Config | None) -> Path:
    """``--write-reports``: the configured ``reports`` directory (``reports`` beside the
    configuration, or in the current directory without one), created when missing."""
    from dssync.config import DEFAULT_REPORTS

    directory = config.resolve(config.reports) if config is not None else Path(DEFAULT_REPORTS)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DssyncError(f"cannot create the reports directory: {exc.strerror}", path=directory,
                          hint="set reports = \"DIR\" in the configuration, or use --output DIR") from None
    return directory


def truncate_markdown(text: str, limit: int) -> str:
    """``text`` cut at a line boundary so that it and a closing note fit in ``limit`` bytes."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    note = ("\n> **Note:** this report was cut to fit GitHub's 1 MiB job summary limit; "
            "the whole report is in the `drift-<tag>.md` report file (`--write-reports`).\n")
    budget = limit - len(note.encode("utf-8"))
    if budget <= 0:
        return ""
    head = data[:budget].decode("utf-8", errors="ignore")
    cut = head.rfind("\n")
    return (head[: cut + 1] if cut >= 0 else "") + note


def append_step_summary(markdown: str, path: str, *, limit: int = STEP_SUMMARY_LIMIT) -> None:
    """Add the report to the job summary, keeping the file under ``limit`` bytes. A summary that
    cannot be written is reported on stderr: it must not turn a drift verdict into trouble."""
    target = Path(path)
    try:
        used = target.stat().st_size if target.exists() else 0
        text = truncate_markdown(markdown, limit - used - 1)
        if not text:
            print(f"dssync: no room left in the job summary ({path}); not adding the report",
                  file=sys.stderr)
            return
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        print(f"dssync: cannot write the job summary {path}: {exc.strerror or exc}", file=sys.stderr)


def shown_directory(directory: Path) -> str:
    """A directory as a message names it: from the current directory when it is below it."""
    try:
        return directory.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return str(directory)


def deliver(report: DriftReport, *, fmt: str, output: str | None, reports_dir: Path | None = None,
            quiet: bool = False) -> None:
    """Everything ``diff`` writes: the report set first (so a failure there stops before any
    verdict is printed), then ``fmt`` to stdout or to ``output``, then the job summary.

    The set goes to one place only: ``output`` when it names a directory, else ``reports_dir``
    (``--write-reports``); where it went is said on stderr unless ``quiet``."""
    from dssync._report.interface import get_formatter

    directory = reports_dir
    if output and Path(output).is_dir():
        directory, output = Path(output), None
    if directory is not None:
        written = write_report_set(report, directory)
        if not quiet:
            names = ", ".join(path.name for path in written)
            print(f"dssync: wrote {names} to {shown_directory(directory)}/", file=sys.stderr)
    write_report(get_formatter(fmt)(report), output=output, fmt=fmt)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        append_step_summary(get_formatter("markdown")(report), summary)
