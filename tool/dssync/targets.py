"""Which vendored files a command works on, and their upstream counterparts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from dssync.errors import NO_CONFIG, ConfigError, DssyncError

if TYPE_CHECKING:
    from dssync.config import Config, FileEntry


@dataclass(frozen=True)
class Target:
    """A vendored file to compare, with the upstream path it is compared to."""

    vendored: str
    """As the user and the reports name it (relative to the project root when configured)."""
    path: Path
    """Where it is on disk."""
    upstream: str
    pins: Mapping[str, str] = field(default_factory=dict)


def select_targets(config: Config | None, files: Sequence[str],
                   upstream_path: str | None = None, *, trees_exist: bool = True) -> list[Target]:
    """The configured files named (all of them when none is), or with ``upstream_path`` the
    one file named, unconfigured. ``trees_exist`` off: a tree's directory may not be there yet
    (``vendor`` creates it)."""
    if upstream_path:
        if len(files) != 1:
            raise DssyncError("--upstream-path goes with exactly one vendored file",
                              hint="dssync diff VENDORED.py --tag TAG --source SPEC --upstream-path PATH")
        entry = _configured(config, files[0])
        return [Target(files[0], Path(files[0]), upstream_path.strip("/"),
                       entry.pins if entry is not None and entry.upstream == upstream_path else {})]
    if config is None:
        raise ConfigError(NO_CONFIG,
                          hint="add one, or name the file: VENDORED.py --source SPEC --upstream-path PATH")
    if files:
        entries = [config.file_for(f) for f in files]
    else:
        entries = [e for view in config.views()
                   for e in configured_files(view, trees_exist=trees_exist)]
    return [Target(e.vendored, config.resolve(e.vendored), e.upstream, e.pins) for e in entries]


def configured_files(config: Config, *, trees_exist: bool = True) -> list[FileEntry]:
    """One upstream's files: its entries, then the files of its trees on disk that no entry
    names (an entry inside a tree overrides the tree for its file)."""
    entries = list(config.files)
    if config.trees:
        from dssync._trees import vendored_files

        named = {e.vendored for e in entries}
        for tree in config.trees:
            entries += [config.file_for(v)
                        for v in vendored_files(config, tree, must_exist=trees_exist)
                        if v not in named]
    return entries


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
