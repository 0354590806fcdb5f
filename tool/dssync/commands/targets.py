"""Which vendored files a command works on, and their upstream counterparts."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from dssync.errors import ConfigError, DssyncError

if TYPE_CHECKING:
    from dssync.config import Config, FileEntry


@dataclass(frozen=True)
class Target:
    vendored: str
    """As the user and the reports name it (relative to the project root when configured)."""
    path: Path
    """Where it is on disk."""
    upstream: str
    pins: Mapping[str, str] = field(default_factory=dict)


def select_targets(args: argparse.Namespace, config: Config | None) -> list[Target]:
    if args.upstream_path:
        if len(args.files) != 1:
            raise DssyncError("--upstream-path goes with exactly one vendored file",
                              hint="dssync diff VENDORED.py --tag TAG --source SPEC --upstream-path PATH")
        entry = _configured(config, args.files[0])
        return [Target(args.files[0], Path(args.files[0]), args.upstream_path.strip("/"),
                       entry.pins if entry is not None and entry.upstream == args.upstream_path else {})]
    if config is None:
        raise ConfigError("no [tool.dssync] configuration found in this directory or above",
                          hint="add one, or name the file: VENDORED.py --source SPEC --upstream-path PATH")
    entries = [config.file_for(f) for f in args.files] if args.files else list(config.files)
    return [Target(e.vendored, config.resolve(e.vendored), e.upstream, e.pins) for e in entries]


def _configured(config: Config | None, path: str) -> FileEntry | None:
    if config is None:
        return None
    try:
        return config.file_for(path)
    except ConfigError:
        return None


def shown_path(path: str | Path, relative_to: str | None, default: str) -> str:
    """How reports name a vendored file: ``default``, or with ``--relative-to DIR`` its path
    from DIR, which must hold it."""
    if not relative_to:
        return default
    base = Path(relative_to).resolve()
    if not base.is_dir():
        raise DssyncError("--relative-to names no directory", path=relative_to,
                          hint="give the repository root (in a workflow: $GITHUB_WORKSPACE)")
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        raise DssyncError(f"{path} is outside the --relative-to directory {relative_to}",
                          hint="give a directory that holds the project, e.g. the repository root") from None
