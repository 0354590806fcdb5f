"""``dssync status`` as text, and as JSON (schema ``dssync.status/1``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dssync._analyses.status import LocalState
    from dssync.models import FileDrift, Pinned

SCHEMA = "dssync.status/1"


def _edit_lines(e: FileDrift, pinned: list[Pinned], tag: str) -> list[str]:
    from dssync._report.values import display

    lines = [f"    ~ {c.name}: {display(c.old_shown)} -> {display(c.new_shown)}  (line {c.new_line})"
             for c in e.changed]
    lines += [f"    + {a.name} = {display(a.shown)}  (added locally, line {a.line})" for a in e.added]
    lines += [f"    - {r.name} = {display(r.shown)}  (removed locally)" for r in e.removed]
    lines += [f"    > {r.old_name} -> {r.new_name}  (renamed locally, line {r.new_line})"
              for r in e.renamed]
    lines += [f"    > class {c.old_name} -> {c.new_name}  (renamed locally, line {c.new_line})"
              for c in e.renamed_classes]
    # The diff's old side is upstream as locked (a pin's "local"), its new side the file now.
    # Not "old -> new": what update wrote for a pin is its kept value, which the lock does not
    # record, so upstream's is named as upstream's.
    lines += [f"    = {p.name} = {display(p.upstream_shown or '<absent>')}, upstream's at {tag} "
              f"is {display(p.local_shown or '<absent>')}  (pinned: {p.reason}; line {p.line})"
              for p in pinned]
    if not e.has_drift and pinned:
        lines.append(f"    no unpinned constant differs from upstream: the edits are in the pinned "
                     f"{'constant' if len(pinned) == 1 else 'constants'} above, or outside the "
                     "constants")
    elif not e.has_drift:
        lines.append("    no constant differs from upstream: the edits are elsewhere"
                     " (comments, formatting, code)")
    return lines


def render(states: list[LocalState]) -> str:
    lines: list[str] = []
    several = len({s.upstream for s in states}) > 1
    last: str | None = None
    for s in states:
        if several and s.upstream != last:
            # Grouped by upstream, in the configured order, each group under its name.
            last = s.upstream
            lines.append(f"upstream {s.upstream}:" if s.upstream else "not configured:")
        entry = s.locked
        what = " (the LICENSE copy)" if s.kind == "license" else ""
        if not s.configured:
            lines.append(f"{s.vendored}: in the lock, but no configured file, tree or LICENSE copy "
                         "claims it (configure it again, or delete its entry from the lock)")
            continue
        if entry is None:
            lines.append(f"{s.vendored}{what}: not in the lock (never synced; run 'dssync vendor' or "
                         "'dssync update')")
            continue
        since = f"{entry.tag} from {entry.source}"  # type: ignore[attr-defined]
        if s.sha256 is None:
            lines.append(f"{s.vendored}{what}: missing (locked at {since})")
            continue
        if s.matches:
            lines.append(f"{s.vendored}{what}: ok, as synced at {since}")
            continue
        lines.append(f"{s.vendored}{what}: modified since {since} (sha256 differs from the lock)")
        if s.kind == "license":
            continue
        if s.edits is None:
            lines.append(f"    constants not compared: {s.note}")
            continue
        lines += _edit_lines(s.edits, s.edited_pins, entry.tag)  # type: ignore[attr-defined]
    ok = sum(s.matches for s in states)
    lines.append(f"{len(states)} file{'s' if len(states) != 1 else ''}: {ok} match the lock, "
                 f"{len(states) - ok} differ")
    return "\n".join(lines) + "\n"


def _edits_to_dict(s: LocalState) -> dict[str, Any]:
    e = s.edits
    assert e is not None
    return {
        "changed": [{"name": c.name, "locked": c.old, "now": c.new, "locked_as_written": c.old_shown,
                     "now_as_written": c.new_shown, "line": c.new_line} for c in e.changed],
        "added": [{"name": a.name, "value": a.value, "as_written": a.shown, "line": a.line}
                  for a in e.added],
        "removed": [{"name": r.name, "value": r.value, "as_written": r.shown} for r in e.removed],
        "renamed": [{"old_name": r.old_name, "new_name": r.new_name, "line": r.new_line}
                    for r in e.renamed],
        "renamed_classes": [{"old_name": c.old_name, "new_name": c.new_name, "line": c.new_line,
                             "constants": list(c.constants)} for c in e.renamed_classes],
        "pinned": [{"name": p.name, "reason": p.reason, "locked": p.local, "now": p.upstream,
                    "line": p.line} for p in s.edited_pins],
        "elsewhere": not e.has_drift and not s.edited_pins,
    }


def render_json(states: list[LocalState]) -> str:
    import json

    files = []
    for s in states:
        locked = s.locked.to_dict() if s.locked is not None else None  # type: ignore[attr-defined]
        item: dict[str, Any] = {"vendored": s.vendored, "kind": s.kind, "state": s.state, "sha256": s.sha256,
                                "locked": locked}
        if s.upstream:
            item["upstream_name"] = s.upstream
        if s.state == "modified" and s.kind == "constants":
            item["edits"] = _edits_to_dict(s) if s.edits is not None else None
            if s.note:
                item["note"] = s.note
        files.append(item)
    ok = sum(s.matches for s in states)
    data = {"schema": SCHEMA, "files": files,
            "summary": {"files": len(states), "match": ok, "differ": len(states) - ok},
            "clean": ok == len(states)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
