"""Where the project's own code uses constants that drifted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from dssync._api.drift import DriftOptions, drift
from dssync.errors import ConfigError, DssyncError

if TYPE_CHECKING:
    from dssync._analyses.drifted import Impact
    from dssync._api.project import Project


@dataclass(frozen=True)
class ImpactOptions:
    """The tag ``impact`` compares with, and the code it scans."""

    tag: str
    files: Sequence[str] = ()
    """Configured vendored files to check (default: all); with ``upstream_path``, the one
    vendored file."""
    paths: Sequence[str] = ()
    """Files or directories to scan (default: the project root, without vendored/)."""
    upstream_path: str | None = None


def impact(project: Project, options: ImpactOptions) -> Impact:
    """Where the project's own code uses constants that drifted at ``options.tag``."""
    from dssync._analyses.consumers import SKIPPED_DIRS, scan_paths
    from dssync._analyses.drifted import (
        Impact,
        drifted_constants,
        group_uses,
        module_targets,
        wanted_names,
    )
    from dssync.targets import select_targets

    if not options.tag:
        raise DssyncError("impact needs --tag TAG (or --tag latest)",
                          hint="the tag whose drift to look for in consuming code")
    project.check_tag(options.tag, "impact")
    if options.upstream_path and len(options.files) != 1:
        raise ConfigError("--upstream-path goes with exactly one --file (the vendored copy)",
                          hint="dssync impact --tag TAG --file VENDORED.py --source SPEC "
                               "--upstream-path PATH")
    if not options.upstream_path:
        project.require_config(hint="add one, or pass --file VENDORED.py --source SPEC "
                                    "--upstream-path PATH")
    for p in options.paths:
        if not Path(p).exists():
            raise DssyncError("no such file or directory", path=p, hint="check the path")
    root = project.root
    targets = select_targets(project.config, options.files, options.upstream_path)
    # The vendored files against the tag, exactly as ``drift`` compares them.
    report = drift(project, DriftOptions(tag=options.tag, files=options.files,
                                         upstream_path=options.upstream_path))
    source = ", ".join(dict.fromkeys(f.origin.source for f in report.files
                                     if f.origin is not None)) or "upstream"
    drifted = drifted_constants(report)
    paths = [Path(p) for p in options.paths] or [root]
    # Named directories are scanned even if called vendored; the default root is not.
    skip_dirs = SKIPPED_DIRS if not options.paths else SKIPPED_DIRS - {"vendored"}
    scan = scan_paths(paths, root, module_targets(report), wanted_names(drifted),
                      skip_dirs=skip_dirs, skip_files=[t.path for t in targets],
                      cache=project.cache)
    return Impact(tag=report.tag or options.tag, source=source, drifted=drifted,
                  uses=group_uses(scan.uses), scan=scan, notes=list(report.notes))
