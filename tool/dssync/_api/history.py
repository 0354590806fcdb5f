"""Per constant, the release that introduced, changed and removed it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from dssync._api.releases import WalkOptions, walk_upstream
from dssync.errors import ConfigError

if TYPE_CHECKING:
    from dssync._analyses.timeline import History
    from dssync._api.project import Project


@dataclass(frozen=True)
class HistoryOptions(WalkOptions):
    """What ``history`` reads and shows."""

    files: Sequence[str] = ()
    """Configured vendored files (default: all); with ``upstream_path``, the name shown."""
    upstream_path: str | None = None
    only_changed: bool = False
    """Leave out constants that stayed the same across every release read."""


def history(project: Project, options: HistoryOptions | None = None) -> History:
    """Per constant, the release that introduced, changed and removed it."""
    from dssync._analyses.progress import progress_for_stderr
    from dssync._analyses.stored import cached_history

    options = options or HistoryOptions()
    if not options.upstream_path:
        project = project.one_for(options.files, "history")
    files = _history_files(project, options)
    # Fetched only: a history cached for the very same contents needs none of them parsed.
    walked = walk_upstream(project, [u for u, _ in files], options, parse=False)
    result = cached_history(walked, {u: v for u, v in files if v is not None},
                            since=options.since, until=options.until, cache=project.cache,
                            progress=progress_for_stderr())
    if options.only_changed:
        for f in result.files:
            f.hide_unchanged()
    return result


def history_each(project: Project,
                 options: HistoryOptions | None = None) -> list[tuple[str, History]]:
    """``history`` for each configured upstream, by name, when there are several and no file
    is named (each walks its own releases); else the one ``history`` gives."""
    options = options or HistoryOptions()
    if project.several and not (options.upstream_path or options.files):
        return [(sub.upstream.name, history(sub, options)) for sub in project.each()]
    return [(project.upstream.name, history(project, options))]


def _history_files(project: Project, options: HistoryOptions) -> list[tuple[str, str | None]]:
    """``(upstream path, vendored name or None)`` for each file to walk."""
    files = options.files
    if options.upstream_path:
        if len(files) > 1:
            raise ConfigError("--upstream-path goes with at most one --file",
                              hint="run once per file, or configure them")
        return [(options.upstream_path.strip("/"), files[0] if files else None)]
    config = project.require_config(hint="add one, or pass --source SPEC --upstream-path PATH")
    from dssync.targets import configured_files

    entries = [config.file_for(f) for f in files] if files else configured_files(config)
    if not entries:
        raise ConfigError("the configuration lists no files",
                          hint="add [[tool.dssync.files]] entries, or pass --upstream-path")
    return [(e.upstream, e.vendored) for e in entries]
