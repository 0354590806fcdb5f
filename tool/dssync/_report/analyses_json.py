"""Machine-readable reports: ``dssync.history/1``, ``dssync.identify/1``, ``dssync.impact/1``.

Values are given as normalized source text (``value``, ``old``); the Python value is added
(``resolved``, ``old_resolved``) when JSON can say it exactly.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from typing import TYPE_CHECKING

from dssync._report.values import to_json
from dssync.models import UNRESOLVED

if TYPE_CHECKING:  # annotations only: impact's module imports libcst, history must not
    from dssync._analyses.drifted import Impact
    from dssync._analyses.identify import Match
    from dssync._analyses.timeline import Event, FileHistory, History

HISTORY_SCHEMA = "dssync.history/1"
IDENTIFY_SCHEMA = "dssync.identify/1"
IMPACT_SCHEMA = "dssync.impact/1"


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _put_value(item: dict[str, Any], key: str, value: Any) -> None:
    converted = to_json(value)
    if converted is not UNRESOLVED:
        item[key] = converted


def event_to_dict(e: Event) -> dict[str, Any]:
    item: dict[str, Any] = {"tag": e.tag, "kind": e.kind}
    for key in ("value", "old", "line", "change"):
        if getattr(e, key) is not None:
            item[key] = getattr(e, key)
    if e.value is not None:
        _put_value(item, "resolved", e.resolved)
    if e.old is not None:
        _put_value(item, "old_resolved", e.old_resolved)
    if e.details is not None:
        item["details"] = list(e.details)
    return item


def file_history_to_dict(f: FileHistory) -> dict[str, Any]:
    data: dict[str, Any] = {"path": f.path}
    if f.vendored is not None:
        data["vendored"] = f.vendored
    data["absent"] = [t for t in f.tags if f.status.get(t) == "absent"]
    data["unreadable"] = [{"tag": t, "error": e} for t, e in f.errors.items()]
    data["hidden_unchanged"] = f.hidden
    data["constants"] = [{
        "name": c.name,
        "introduced": c.introduced,
        "removed": c.removed,
        "events": [event_to_dict(e) for e in c.events],
    } for c in f.constants]
    return data


def render_history(history: History) -> str:
    return _dump({
        "schema": HISTORY_SCHEMA,
        "source": history.source,
        "since": history.since,
        "until": history.until,
        "tags": list(history.tags),
        "notes": list(history.notes),
        "files": [file_history_to_dict(f) for f in history.files],
    })


def match_to_dict(match: Match | None) -> dict[str, Any] | None:
    if match is None:
        return None
    return {
        "distance": match.best,
        "exact": match.exact,
        "ranges": [[a, b] for a, b in match.ranges],
        "tags": match.tags,
        "scores": [{"tag": s.tag, "distance": s.distance, "added": s.added,
                    "removed": s.removed, "changed": s.changed} for s in match.scores],
        "skipped": list(match.skipped),
    }


def render_identify(source: str, tags: Sequence[str],
                    results: Sequence[tuple[str, str, Match | None]],
                    combined: Match | None = None, notes: Sequence[str] = ()) -> str:
    data: dict[str, Any] = {"schema": IDENTIFY_SCHEMA, "source": source, "tags": list(tags),
                            "notes": list(notes)}
    data["files"] = [{"vendored": v, "upstream": u, "match": match_to_dict(m)}
                     for v, u, m in results]
    if combined is not None:
        data["combined"] = match_to_dict(combined)
    return _dump(data)


def render_impact(impact: Impact) -> str:
    drifted = []
    for d in impact.drifted:
        uses = impact.uses.get((d.vendored, d.name), [])
        item: dict[str, Any] = {"vendored": d.vendored, "upstream": d.upstream, "name": d.name,
                                "kind": d.kind}
        if d.old is not None:
            item["old"] = d.old
        if d.new is not None:
            item["new"] = d.new
        item["uses"] = [{"path": u.path, "line": u.line, "column": u.column,
                         "certain": u.certain, "how": u.how, "code": u.code} for u in uses]
        drifted.append(item)
    return _dump({
        "schema": IMPACT_SCHEMA,
        "tag": impact.tag,
        "source": impact.source,
        "files_scanned": impact.scan.files,
        "skipped": list(impact.scan.skipped),
        "notes": list(impact.notes),
        "uses": impact.use_count,
        "drifted": drifted,
    })
