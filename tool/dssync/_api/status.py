"""Each vendored file against the lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from dssync._analyses.status import LocalState
    from dssync._api.project import Project
    from dssync.config import Config


@dataclass(frozen=True)
class StatusOptions:
    """Which vendored files ``status`` checks."""

    files: Sequence[str] = ()
    """Vendored files to check (default: every configured one, and the LICENSE copy)."""


def status(project: Project, options: StatusOptions | None = None) -> list[LocalState]:
    """Each vendored file against the lock; a modified one compared, constant by constant,
    with upstream as locked (when that can still be had)."""
    from dssync._analyses.status import LocalState, file_sha256, inspect
    from dssync.targets import select_targets

    options = options or StatusOptions()
    config = project.require_config(
        message="status needs a [tool.dssync] configuration and its lock file",
        hint="run it inside the project, or pass --config PATH")
    if project.several:
        states = [state for sub, files in project.split(options.files)
                  for state in status(sub, StatusOptions(files=files))]
        return states + _unclaimed(project, config) if not options.files else states
    targets = select_targets(config, options.files)
    lock = project.lock()
    if config.trees and not options.files:
        # A tree's files are found on disk: one the lock records that is no longer there is
        # missing, not forgotten.
        from dssync.targets import Target

        listed = {t.vendored for t in targets}
        licensed = config.license.vendored if config.license is not None else None
        targets += [Target(v, config.resolve(v), e.upstream) for v, e in lock.entries.items()
                    if v not in listed and v != licensed and config.owns(v)]
    states = [inspect(project, t, lock.get(t.vendored)) for t in targets]
    if config.license is not None and not options.files:
        # vendor records the LICENSE copy in the lock too: it is checked by its hash.
        vendored = config.license.vendored
        states.append(LocalState(vendored, lock.get(vendored),
                                 file_sha256(config.resolve(vendored)), kind="license"))
    for state in states:
        state.upstream = config.name
    return states + _unclaimed(project, config) if not options.files else states


def _unclaimed(project: Project, config: Config) -> list[LocalState]:
    """Lock entries that no configured file, tree or LICENSE copy claims: a configuration that
    lost them (a typo in a path) would otherwise check less than the lock says is vendored.
    Only for the whole configuration (one upstream chosen by name claims only its own)."""
    from dssync._analyses.status import LocalState, file_sha256

    if config.whole is not None:
        return []
    lock = project.lock()
    return [LocalState(v, entry, file_sha256(config.resolve(v)), configured=False)
            for v, entry in lock.entries.items() if config.name_of(v) is None]
