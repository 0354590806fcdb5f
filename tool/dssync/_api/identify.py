"""Which upstream release each vendored copy came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dssync._api.releases import WalkOptions, walk_upstream
from dssync.errors import NO_CONFIG, ConfigError

if TYPE_CHECKING:
    from dssync._analyses.identify import Match
    from dssync._api.project import Project
    from dssync.config import Config
    from dssync.targets import Target


@dataclass(frozen=True)
class IdentifyOptions(WalkOptions):
    """Which copy ``identify`` scores, and against which releases."""

    vendored: str | None = None
    """The copy to identify (default: every configured vendored file)."""
    file: str | None = None
    """A configured vendored file whose upstream path to compare ``vendored`` with."""
    upstream_path: str | None = None


@dataclass
class Identification:
    """The release each copy matches best, and all of them together."""

    source: str
    tags: list[str]
    """Every release tag read, oldest first."""
    matches: list[tuple[Target, Match | None]]
    combined: Match | None
    """The best release for every copy at once (only with several copies)."""
    notes: list[str]

    @property
    def exact(self) -> bool:
        overall = self.combined if self.combined is not None else self.matches[0][1]
        return overall is not None and overall.exact


def identify(project: Project, options: IdentifyOptions | None = None) -> Identification:
    """Which upstream release each vendored copy (with or without a lock) came from."""
    from dssync._analyses.identify import best_match, combine_scores, score_tags
    from dssync._extract.files import table_from_file

    options = options or IdentifyOptions()
    if not options.upstream_path:
        named = options.file or options.vendored
        project = project.one_for([named] if named else [], "identify")
    copies = _copies(project.config, options)
    if not copies:
        raise ConfigError("the configuration lists no files",
                          hint="add [[tool.dssync.files]] entries, or name VENDORED.py")
    tables = [table_from_file(c.path, project.cache) for c in copies]  # a bad local file first
    walked = walk_upstream(project, list(dict.fromkeys(c.upstream for c in copies)), options)
    per_file = [score_tags(table, walked.snapshots[c.upstream], walked.tags, c.pins)
                for c, table in zip(copies, tables)]
    matches = [best_match(scores, skipped) for scores, skipped in per_file]
    combined = best_match(*combine_scores(per_file, walked.tags)) if len(copies) > 1 else None
    return Identification(walked.source, walked.tags, list(zip(copies, matches)), combined,
                          walked.notes)


def identify_each(project: Project,
                  options: IdentifyOptions | None = None) -> list[tuple[str, Identification]]:
    """``identify`` for each configured upstream, by name, when there are several and no file
    is named (each reads its own releases); else the one ``identify`` gives."""
    options = options or IdentifyOptions()
    if project.several and not (options.upstream_path or options.file or options.vendored):
        return [(sub.upstream.name, identify(sub, options)) for sub in project.each()]
    return [(project.upstream.name, identify(project, options))]


def _copies(config: Config | None, options: IdentifyOptions) -> list[Target]:
    """The vendored copies to identify (one named, or the configured)."""
    from dssync.targets import Target

    if options.upstream_path:
        if not options.vendored:
            raise ConfigError("--upstream-path needs the vendored file to identify",
                              hint="dssync identify VENDORED.py --source SPEC --upstream-path PATH")
        return [Target(options.vendored, Path(options.vendored), options.upstream_path.strip("/"))]
    if config is None:
        raise ConfigError(NO_CONFIG,
                          hint="add one, or pass VENDORED.py --source SPEC --upstream-path PATH")
    if options.file:
        entry = config.file_for(options.file)
        if options.vendored:
            return [Target(options.vendored, Path(options.vendored), entry.upstream)]
        return [Target(entry.vendored, config.resolve(entry.vendored), entry.upstream, entry.pins)]
    if options.vendored:
        entry = config.file_for(options.vendored)
        return [Target(entry.vendored, config.resolve(entry.vendored), entry.upstream, entry.pins)]
    from dssync.targets import configured_files

    return [Target(e.vendored, config.resolve(e.vendored), e.upstream, e.pins)
            for e in configured_files(config)]
