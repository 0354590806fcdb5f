"""Finished histories, cached under the exact file contents they were built from.

A history depends on nothing but the walked paths, the tags and the content at each (tag, path),
so it is cached under a digest of those (plus the formats and dssync's and Python's versions,
as tables are): running ``dssync history`` again, with no new release upstream, reads one
entry instead of loading every table and comparing every pair of releases. Anything else that
changes (a new tag, ``--since``) is a miss, answered from the table cache as before.

Values are stored in the exact encoding of ``value_json``; an entry that is damaged is a miss.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any, Mapping

from dssync._extract.table_json import FORMAT_VERSION as TABLE_FORMAT
from dssync._extract.value_json import decode_value, encode_value
from dssync._analyses.progress import Progress
from dssync._analyses.timeline import (
    CHANGED, INTRODUCED, REINTRODUCED, REMOVED, ConstantTimeline, Event, FileHistory, History,
    build_history, history_of,
)
from dssync._analyses.walk import ABSENT, PRESENT, UNREADABLE, Walk, parse_walk
from dssync.cache import Cache

FORMAT_VERSION = 1
NAMESPACE = "histories"
_KINDS = frozenset({INTRODUCED, CHANGED, REMOVED, REINTRODUCED})
_STATUSES = frozenset({PRESENT, ABSENT, UNREADABLE})
_CHANGES = frozenset({None, "value", "reference"})


def digest(walk: Walk) -> str:
    """What a history of ``walk`` is built from: paths, tags and each content's sha256."""
    material = [list(walk.snapshots), walk.tags, [walk.contents(p) for p in walk.snapshots]]
    return hashlib.sha256(json.dumps(material).encode("utf-8")).hexdigest()


def cache_key(walk_digest: str) -> str:
    from dssync import __version__

    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return (f"history/v{FORMAT_VERSION}/tables-v{TABLE_FORMAT}/dssync-{__version__}/py{py}/"
            f"{walk_digest}")


def _event_to_json(e: Event, index: Mapping[str, int]) -> list[Any]:
    return [index[e.tag], e.kind, e.value, e.old, e.line, e.change, encode_value(e.resolved),
            encode_value(e.old_resolved), list(e.details) if e.details is not None else None]


def histories_to_json(files: list[FileHistory], tags: list[str], walk_digest: str) -> dict[str, Any]:
    index = {tag: i for i, tag in enumerate(tags)}
    return {"format": FORMAT_VERSION, "digest": walk_digest, "files": [{
        "path": f.path,
        "status": [f.status[t] for t in tags],
        "errors": [[index[t], e] for t, e in f.errors.items()],
        "constants": [[c.name, [_event_to_json(e, index) for e in c.events]]
                      for c in f.constants],
    } for f in files]}


def _optional(value: Any, kind: type) -> Any:
    if value is not None and type(value) is not kind:
        raise ValueError("malformed event")
    return value


def _event(item: Any, tags: list[str]) -> Event:
    i, kind, value, old, line, change, resolved, old_resolved, details = item
    if type(i) is not int or not 0 <= i < len(tags) or kind not in _KINDS or change not in _CHANGES:
        raise ValueError("malformed event")
    if details is not None:
        if type(details) is not list or not all(type(d) is str for d in details):
            raise ValueError("malformed event details")
        details = tuple(details)
    return Event(tags[i], kind, _optional(value, str), _optional(old, str), _optional(line, int),
                 change, resolved=decode_value(resolved), old_resolved=decode_value(old_resolved),
                 details=details)


def _file(item: Any, path: str, tags: list[str], contents: list[str | None]) -> FileHistory:
    if item["path"] != path:
        raise ValueError("a history of another file")
    status = item["status"]
    if (type(status) is not list or len(status) != len(tags)
            or any(s not in _STATUSES or (s == ABSENT) != (c is None)
                   for s, c in zip(status, contents))):
        raise ValueError("malformed status")
    errors = {}
    for i, error in item["errors"]:
        if type(i) is not int or not 0 <= i < len(tags) or type(error) is not str:
            raise ValueError("malformed error")
        errors[tags[i]] = error
    constants = []
    for name, events in item["constants"]:
        if type(name) is not str or type(events) is not list or not events:
            raise ValueError("malformed timeline")
        constants.append(ConstantTimeline(name, [_event(e, tags) for e in events]))
    return FileHistory(path=path, tags=list(tags), status=dict(zip(tags, status)),
                       constants=constants, errors=errors)


def histories_from_json(data: Any, walk: Walk, walk_digest: str) -> list[FileHistory]:
    """The file histories ``histories_to_json`` described, for ``walk``; ``ValueError`` if
    ``data`` is not one."""
    try:
        if (not isinstance(data, dict) or data.get("format") != FORMAT_VERSION
                or data.get("digest") != walk_digest):
            raise ValueError("not this history")
        items, paths = data["files"], list(walk.snapshots)
        if type(items) is not list or len(items) != len(paths):
            raise ValueError("malformed history")
        return [_file(item, path, walk.tags, walk.contents(path))
                for item, path in zip(items, paths)]
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"malformed history: {type(exc).__name__}") from None
    except RecursionError:
        raise ValueError("malformed history: nested too deeply") from None


def cached_history(walk: Walk, vendored: Mapping[str, str] | None = None, *,
                   since: str | None = None, until: str | None = None,
                   cache: Cache | None = None, progress: Progress | None = None) -> History:
    """``build_history`` of ``walk``, from ``cache`` when the same contents were walked before.

    ``walk`` may come from ``walk(parse=False)``: its contents are parsed only on a miss.
    """
    vendored = vendored or {}
    key = walk_digest = None
    if cache is not None and cache.enabled:
        walk_digest = digest(walk)
        key = cache_key(walk_digest)
        stored = cache.read_json(NAMESPACE, key)
        if stored is not None:
            try:
                files = histories_from_json(stored, walk, walk_digest)
            except ValueError:
                files = None
            if files is not None:
                for f in files:
                    f.vendored = vendored.get(f.path)
                return history_of(walk, files, since=since, until=until)
    parse_walk(walk, cache, progress)
    history = build_history(walk, vendored, since=since, until=until)
    if cache is not None and key is not None and walk_digest is not None:
        try:
            data = histories_to_json(history.files, history.tags, walk_digest)
        except (ValueError, RecursionError):
            return history  # a value that cannot be stored: built again next time
        cache.write_json(NAMESPACE, key, data, durable=False)  # derived: lost is rebuilt
    return history
