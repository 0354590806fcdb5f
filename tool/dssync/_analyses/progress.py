"""A progress bar on a terminal, and nothing anywhere else (pipes, files, CI logs)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.progress import TaskID


class Progress(Protocol):
    """Something that shows how far a long task has come: started with its total, advanced
    step by step, stopped at the end."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def stop(self) -> None: ...


class NoProgress:
    """Shows nothing: where there is no terminal to draw on."""

    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def stop(self) -> None:
        pass


class TerminalProgress:
    """rich's bar on stderr; safe to advance from worker threads (rich locks internally)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self._task: TaskID | None = None
        self._running = False

    def start(self, label: str, total: int) -> None:
        if not self._running:
            self._bar.start()
            self._running = True
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._bar.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, n)

    def stop(self) -> None:
        if self._running:
            self._bar.stop()
            self._running = False


def progress_for_stderr() -> Progress:
    try:
        interactive = sys.stderr.isatty()
    except (AttributeError, ValueError):
        interactive = False
    return TerminalProgress() if interactive else NoProgress()
