"""dssync's typed core, for the command line and for scripts alike.

Load the project once, then ask it questions; each function takes its options as a dataclass
and returns a report model (plain dataclasses, see ``dssync.models``) that the renderers in
``dssync._report`` turn into text, JSON, Markdown, SARIF or HTML::

    from dssync.api import DriftOptions, Project, drift

    project = Project.load()                      # the configuration found from here up
    report = drift(project, DriftOptions(tag="v0.9.0"))
    for file in report.files:
        print(file.vendored, file.counts())

Errors are ``dssync.errors.DssyncError`` (one line, with a hint). Nothing heavy is imported
here: each function imports the stages it needs when it runs. (The functions live in
``dssync._api``, a module per question, so that a command imports only its own.)
"""

from __future__ import annotations

from dssync._api.drift import DriftOptions, compare_files, drift, render
from dssync._api.history import HistoryOptions, history, history_each
from dssync._api.identify import Identification, IdentifyOptions, identify, identify_each
from dssync._api.impact import ImpactOptions, impact
from dssync._api.project import Project, UpstreamOptions
from dssync._api.releases import WalkOptions
from dssync._api.status import StatusOptions, status
from dssync._api.tags import TagList, TagsOptions, tags
from dssync._api.vendor import Vendored, VendorOptions, VendorResult, vendor
from dssync._init import InitOptions, InitResult, init
from dssync._update import (
    FileUpdate, UpdateOptions, UpdatePlan, UpdateResult, apply_update, plan_update,
)

__all__ = [
    "DriftOptions",
    "FileUpdate",
    "HistoryOptions",
    "Identification",
    "IdentifyOptions",
    "ImpactOptions",
    "InitOptions",
    "InitResult",
    "Project",
    "StatusOptions",
    "TagList",
    "TagsOptions",
    "UpdateOptions",
    "UpdatePlan",
    "UpdateResult",
    "UpstreamOptions",
    "VendorOptions",
    "VendorResult",
    "Vendored",
    "WalkOptions",
    "apply_update",
    "compare_files",
    "drift",
    "history",
    "history_each",
    "identify",
    "identify_each",
    "impact",
    "init",
    "plan_update",
    "render",
    "status",
    "tags",
    "vendor",
]
