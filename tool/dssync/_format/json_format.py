"""The machine-readable report: schema ``dssync.drift/1`` (see schema/drift.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from dssync._format.values import to_json
from dssync.models import UNRESOLVED, DriftReport, FileDrift

SCHEMA = "dssync.drift/1"


def _with_values(item: dict[str, Any], **values: Any) -> dict[str, Any]:
    for key, value in values.items():
        converted = to_json(value)
        if converted is not UNRESOLVED:
            item[key] = converted
    return item


def file_to_dict(f: FileDrift) -> dict[str, Any]:
    data: dict[str, Any] = {"vendored": f.vendored, "upstream": f.upstream}
    if f.origin is not None:
        data["origin"] = f.origin.to_dict()
    data["added"] = [{"name": a.name, "value": a.value, "line": a.line, "comment": a.comment}
                     for a in f.added]
    data["removed"] = [{"name": r.name, "value": r.value, "line": r.line, "comment": r.comment}
                       for r in f.removed]
    data["changed"] = []
    for c in f.changed:
        item = {"name": c.name, "kind": c.kind, "old": c.old, "new": c.new,
                "old_line": c.old_line, "new_line": c.new_line, "comment": c.comment}
        if c.details is not None:
            item["details"] = list(c.details)
        data["changed"].append(_with_values(item, old_value=c.old_resolved, new_value=c.new_resolved))
    data["renamed"] = [{"old_name": r.old_name, "new_name": r.new_name, "value": r.value,
                        "old_line": r.old_line, "new_line": r.new_line,
                        "similarity": r.similarity} for r in f.renamed]
    data["pinned"] = [{"name": p.name, "local": p.local, "upstream": p.upstream, "line": p.line,
                       "reason": p.reason, "drifted": p.drifted} for p in f.pinned]
    return data


def report_to_dict(report: DriftReport) -> dict[str, Any]:
    data: dict[str, Any] = {"schema": SCHEMA}
    if report.tag is not None:
        data["tag"] = report.tag
    data["files"] = [file_to_dict(f) for f in report.files]
    data["summary"] = report.summary()
    data["drift"] = report.has_drift
    if report.notes:
        data["notes"] = list(report.notes)
    return data


def render(report: DriftReport) -> str:
    from dssync._format.interface import encodable

    return encodable(json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n")
