"""Errors a user can act on. Each renders as one line and maps to exit status 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class DssyncError(Exception):
    """A problem with the input or the environment, not a bug in dssync.

    Rendered as ``where: what; hint`` on one line of stderr; the CLI exits with 2.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.hint = hint

    @property
    def where(self) -> str:
        parts = [p for p in (self.path, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    @property
    def brief(self) -> str:
        """Where and what, without the hint: for a line that is not the run's last word (the
        hint belongs to the error that ends the run, said once)."""
        text = " ".join(self.message.split())
        return f"{self.where}: {text}" if self.where else text

    def __str__(self) -> str:
        text = self.brief
        if self.hint:
            text = f"{text}; {' '.join(self.hint.split())}"
        return text


def file_in_the_way(path: str | Path) -> Path | None:
    """The nearest parent of ``path`` that exists but is not a directory: why ``path`` can be
    neither read nor created (an error then names that file, not ``path``)."""
    for parent in Path(path).parents:
        if parent.is_dir():
            return None
        if parent.exists() or parent.is_symlink():
            return parent
    return None


class ConfigError(DssyncError):
    """The configuration is missing, malformed or names unknown keys."""


class UpstreamError(DssyncError):
    """An upstream source answered, definitively, that it cannot give what was asked."""


class NotFound(UpstreamError):
    """The tag, release or file does not exist upstream."""


class PathNotFound(NotFound):
    """The tag exists, but the file ``path`` does not exist upstream at that tag."""

    def __init__(self, message: str, *, upstream_path: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.upstream_path = upstream_path


class SourceUnavailable(UpstreamError):
    """The source could not be reached or did not answer usefully; the next source may."""


class RateLimited(SourceUnavailable):
    """The source refuses further requests until ``reset`` (a Unix time), if known."""

    def __init__(self, message: str, *, reset: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reset = reset


class IntegrityError(UpstreamError):
    """Downloaded content does not match the hash its publisher announced."""


class OfflineMiss(DssyncError):
    """``--offline`` was given and the cache does not hold what is needed."""
