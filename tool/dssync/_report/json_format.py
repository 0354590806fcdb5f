"""The machine-readable report: schema ``dssync.drift/1`` (see schema/drift.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from dssync._report.values import file_links, report_links, to_json
from dssync.models import UNRESOLVED, Added, DriftReport, FileDrift, Gone, Moved, Placement

SCHEMA = "dssync.drift/1"


def _with_values(item: dict[str, Any], **values: Any) -> dict[str, Any]:
    for key, value in values.items():
        converted = to_json(value)
        if converted is not UNRESOLVED:
            item[key] = converted
    return item


def gone_to_dict(g: Gone) -> dict[str, Any]:
    data: dict[str, Any] = {"tag": g.tag, "sources": list(g.sources), "unchecked": list(g.unchecked),
                            "not_yet": g.not_yet}
    for key, value in (("detail", g.detail), ("known_at", g.known_at), ("since", g.since)):
        if value:
            data[key] = value
    return data


def file_source(f: FileDrift) -> dict[str, Any]:
    """The file pair, and where upstream was read (``origin``) or that it is ``gone``."""
    data: dict[str, Any] = {"vendored": f.vendored, "upstream": f.upstream}
    if f.origin is not None:
        data["origin"] = f.origin.to_dict()
    if f.gone is not None:
        data["gone"] = gone_to_dict(f.gone)
    if f.appeared:
        data["appeared"] = True
    return data


def _links(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"label": label, "url": url} for label, url in pairs]


def _insertion(p: Placement) -> dict[str, Any]:
    return {"line": p.line, "relation": p.relation, "neighbour": p.neighbour}


def _added(a: Added) -> dict[str, Any]:
    item: dict[str, Any] = {"name": a.name, "value": a.value, "as_written": a.shown, "line": a.line,
                            "comment": a.comment}
    if a.placement is not None:
        item["insertion"] = _insertion(a.placement)
    return item


def _moved(m: Moved, vendored: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": m.name, "value": m.value, "as_written": m.shown, "comment": m.comment,
        "direction": m.direction(vendored),
        "from": {"vendored": m.from_vendored, "upstream": m.from_upstream, "line": m.old_line},
        "to": {"vendored": m.to_vendored, "upstream": m.to_upstream, "line": m.new_line},
    }
    if m.placement is not None:
        item["insertion"] = _insertion(m.placement)
    return item


def file_to_dict(f: FileDrift, report: DriftReport | None = None) -> dict[str, Any]:
    data = file_source(f)
    if f.locked_tag is not None:
        data["locked_tag"] = f.locked_tag
    links = file_links(report, f) if report is not None else []
    if links:
        data["links"] = _links(links)
    data["added"] = [_added(a) for a in f.added]
    data["removed"] = [{"name": r.name, "value": r.value, "as_written": r.shown, "line": r.line,
                        "comment": r.comment} for r in f.removed]
    data["changed"] = []
    for c in f.changed:
        item = {"name": c.name, "kind": c.kind, "old": c.old, "new": c.new,
                "old_as_written": c.old_shown, "new_as_written": c.new_shown,
                "old_line": c.old_line, "new_line": c.new_line, "comment": c.comment}
        if c.details is not None:
            item["details"] = list(c.details)
        data["changed"].append(_with_values(item, old_value=c.old_resolved, new_value=c.new_resolved))
    data["renamed"] = [{"old_name": r.old_name, "new_name": r.new_name, "value": r.value,
                        "old_as_written": r.shown, "new_as_written": r.upstream_shown,
                        "old_line": r.old_line, "new_line": r.new_line,
                        "similarity": r.similarity} for r in f.renamed]
    data["renamed_classes"] = [{"old_name": c.old_name, "new_name": c.new_name,
                                "old_line": c.old_line, "new_line": c.new_line,
                                "constants": list(c.constants)} for c in f.renamed_classes]
    data["pinned"] = [{"name": p.name, "local": p.local, "upstream": p.upstream,
                       "local_as_written": p.local_shown, "upstream_as_written": p.upstream_shown,
                       "line": p.line, "reason": p.reason, "drifted": p.drifted} for p in f.pinned]
    data["moved"] = [_moved(m, f.vendored) for m in f.moved]
    return data


def _group(report: DriftReport) -> dict[str, Any]:
    """One upstream's part of a grouped report (its files carry its name)."""
    data: dict[str, Any] = {"name": report.upstream, "tag": report.tag}
    links = report_links(report)
    if links:
        data["links"] = _links(links)
    data["files"] = [f.vendored for f in report.files]
    data["summary"] = report.summary()
    data["drift"] = report.has_drift
    if report.notes:
        data["notes"] = list(report.notes)
    return data


def report_to_dict(report: DriftReport) -> dict[str, Any]:
    data: dict[str, Any] = {"schema": SCHEMA}
    if report.tag is not None:
        data["tag"] = report.tag
    links = report_links(report)
    if links:
        data["links"] = _links(links)
    if report.groups:
        # Several upstreams: each one's tag, links and totals, and its name on each of its files.
        data["upstreams"] = [_group(g) for g in report.groups]
        data["files"] = [{**file_to_dict(f, g), "upstream_name": g.upstream}
                         for g in report.groups for f in g.files]
    else:
        data["files"] = [file_to_dict(f, report) for f in report.files]
    data["summary"] = report.summary()
    data["drift"] = report.has_drift
    if report.notes:
        data["notes"] = list(report.notes)
    return data


def render(report: DriftReport) -> str:
    from dssync._report.interface import encodable

    return encodable(json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n")
