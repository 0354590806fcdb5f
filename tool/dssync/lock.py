"""The lock file: which upstream bytes each vendored file was last synced from.

It is committed alongside the vendored code, so its formatting is stable (sorted entries,
fixed key order, two-space indent, trailing newline) and it is only rewritten when its content
changes, keeping diffs and file timestamps quiet.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any, Callable

from dssync.errors import ConfigError, DssyncError, file_in_the_way
from dssync.models import Origin

SCHEMA = "dssync.lock/2"
"""Written: each entry names the upstream it came from (``upstream_name``)."""
SCHEMA_V1 = "dssync.lock/1"
"""Read too (one upstream, entries without ``upstream_name``); the next write upgrades it."""

_REQUIRED = ("vendored", "upstream", "tag", "source", "upstream_sha256", "sha256")
_OPTIONAL = ("upstream_name", "commit", "archive", "archive_sha256")
_ORDER = ("vendored", "upstream_name", "upstream", "tag", "source", "commit", "archive",
          "archive_sha256", "upstream_sha256", "sha256")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_COMMIT_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")
_RESTORE_HINT = ("restore it from version control, or delete it and let dssync write a new one")


@dataclass(frozen=True)
class LockEntry:
    """What one vendored file was last written from: the release, the source and both hashes."""

    vendored: str
    upstream: str
    tag: str
    source: str
    """The source spec that answered, e.g. ``pypi:deepspeed``."""
    upstream_sha256: str
    """sha256 of the upstream file's bytes."""
    sha256: str
    """sha256 of the vendored file as dssync wrote it."""
    commit: str | None = None
    archive: str | None = None
    archive_sha256: str | None = None
    upstream_name: str | None = None
    """The configured upstream it came from (None only in a ``dssync.lock/1`` file whose
    project no longer configures the file)."""

    @classmethod
    def from_origin(cls, vendored: str, origin: Origin, vendored_sha256: str,
                    upstream_name: str | None = None) -> LockEntry:
        return cls(
            vendored=vendored,
            upstream_name=upstream_name,
            upstream=origin.path,
            tag=origin.tag,
            source=origin.source,
            upstream_sha256=origin.sha256,
            sha256=vendored_sha256,
            commit=origin.commit,
            archive=origin.archive,
            archive_sha256=origin.archive_sha256,
        )

    def origin(self) -> Origin:
        """Where the upstream bytes came from, to fetch (and verify) them again."""
        return Origin(source=self.source, tag=self.tag, path=self.upstream,
                      sha256=self.upstream_sha256, commit=self.commit, archive=self.archive,
                      archive_sha256=self.archive_sha256)

    def to_dict(self) -> dict[str, str]:
        data = {name: getattr(self, name) for name in _ORDER}
        return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class Lock:
    """The lock file: each vendored file's entry."""

    entries: dict[str, LockEntry] = field(default_factory=dict)
    """Keyed by vendored path (relative to the project root, ``/``-separated)."""

    def get(self, vendored: str | PurePath) -> LockEntry | None:
        return self.entries.get(_key(vendored))

    def with_entry(self, entry: LockEntry) -> Lock:
        return Lock({**self.entries, entry.vendored: entry})

    def without(self, vendored: str | PurePath) -> Lock:
        key = _key(vendored)
        return Lock({k: v for k, v in self.entries.items() if k != key})

    def __len__(self) -> int:
        return len(self.entries)

    def to_json(self) -> str:
        files = [self.entries[k].to_dict() for k in sorted(self.entries)]
        return json.dumps({"schema": SCHEMA, "files": files}, indent=2,
                          ensure_ascii=False) + "\n"


def _key(vendored: str | PurePath) -> str:
    return vendored.as_posix() if isinstance(vendored, PurePath) else vendored


def read_lock(path: Path, name_of: Callable[[str], str | None] | None = None) -> Lock:
    """The lock at ``path``; an empty lock when the file does not exist yet. ``name_of`` names
    the upstream of an entry of a ``dssync.lock/1`` file (which predates several upstreams)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Lock()
    except NotADirectoryError:
        raise ConfigError(f"cannot read the lock file: {file_in_the_way(path)} is a file, not "
                          "a directory", path=path,
                          hint="remove or rename that file, or fix the lock path") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the lock file: {exc.strerror or exc}", path=path,
                          hint="check that it is a readable file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("the lock file is not valid UTF-8", path=path,
                          hint=_RESTORE_HINT) from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"the lock file is not valid JSON: {exc.msg}", path=path,
                          line=exc.lineno, column=exc.colno, hint=_RESTORE_HINT) from None
    except _DuplicateKey as exc:
        raise ConfigError(f"the lock file repeats the key '{exc.args[0]}'", path=path,
                          hint=_RESTORE_HINT) from None
    except RecursionError:
        raise ConfigError("the lock file nests too deeply to be a dssync lock", path=path,
                          hint=_RESTORE_HINT) from None
    return _parse(doc, path, name_of)


def write_lock(path: Path, lock: Lock, *, root: Path | None = None) -> bool:
    """Write ``lock`` unless the file already holds exactly this content; True if written."""
    path = Path(path)
    if not lock_changes(path, lock):
        return False
    make_parent(path, "the lock file's")
    from dssync.atomic import write_atomic  # only writers pay for it (diff reads the lock for links)

    write_atomic(path, lock.to_json().encode("utf-8"), root=root)
    return True


def lock_changes(path: Path, lock: Lock) -> bool:
    """Whether ``write_lock(path, lock)`` would write the file."""
    try:
        return Path(path).read_bytes() != lock.to_json().encode("utf-8")
    except OSError:
        return True  # missing, or unreadable: writing will say what is wrong if it matters


def make_parent(path: Path, whose: str) -> None:
    """Create the directory ``path`` goes in, or say in one line why it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = file_in_the_way(path)
        if blocker is not None:
            raise DssyncError(f"cannot create {whose} directory: {blocker} is a file",
                              path=path, hint="remove or rename that file, or fix the "
                                              "path") from None
        raise DssyncError(f"cannot create {whose} directory: {exc.strerror or exc}",
                          path=exc.filename or path,
                          hint="check the path and permissions") from None


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _fail(path: Path, where: str, message: str) -> ConfigError:
    text = f"{where}: {message}" if where else message
    return ConfigError(text, path=path, hint=_RESTORE_HINT)


def _json_type(value: Any) -> str:
    for kind, name in ((bool, "boolean"), (str, "string"), (int, "number"), (float, "number"),
                       (list, "array"), (dict, "object"), (type(None), "null")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _parse(doc: Any, path: Path, name_of: Callable[[str], str | None] | None) -> Lock:
    if not isinstance(doc, dict):
        raise _fail(path, "", f"expected a JSON object, got {_json_type(doc)}")
    if "schema" not in doc:
        raise _fail(path, "schema", "missing")
    schema = doc["schema"]
    if schema not in (SCHEMA, SCHEMA_V1):
        raise ConfigError(f"unknown lock schema {json.dumps(schema)}; this dssync reads {SCHEMA}"
                          f" and {SCHEMA_V1}", path=path,
                          hint="upgrade dssync, or delete the lock and sync again")
    for key in doc:
        if key not in ("schema", "files"):
            raise _fail(path, key, "unknown key")
    files = doc.get("files")
    if not isinstance(files, list):
        raise _fail(path, "files", "missing" if files is None
                    else f"expected an array, got {_json_type(files)}")
    entries: dict[str, LockEntry] = {}
    for i, item in enumerate(files):
        entry = _parse_entry(item, f"files[{i}]", path, v1=schema == SCHEMA_V1)
        if entry.upstream_name is None and name_of is not None:
            entry = replace(entry, upstream_name=name_of(entry.vendored))
        if entry.vendored in entries:
            raise _fail(path, f"files[{i}].vendored", f"{entry.vendored} is listed twice")
        entries[entry.vendored] = entry
    return Lock(entries)


def _parse_entry(item: Any, where: str, path: Path, *, v1: bool = False) -> LockEntry:
    if not isinstance(item, dict):
        raise _fail(path, where, f"expected an object, got {_json_type(item)}")
    for key in item:
        if key not in _ORDER or (v1 and key == "upstream_name"):
            raise _fail(path, f"{where}.{key}", "unknown key")
    values: dict[str, str | None] = {}
    for key in _ORDER:
        value = item.get(key)
        if value is None:
            if key in _REQUIRED:
                raise _fail(path, f"{where}.{key}", "missing")
        elif not isinstance(value, str):
            raise _fail(path, f"{where}.{key}", f"expected a string, got {_json_type(value)}")
        elif not value:
            raise _fail(path, f"{where}.{key}", "is empty")
        elif key.endswith("sha256") and not _SHA256_RE.fullmatch(value):
            raise _fail(path, f"{where}.{key}", "is not a sha256 (64 lowercase hex digits)")
        elif key == "commit" and not _COMMIT_RE.fullmatch(value):
            raise _fail(path, f"{where}.{key}", "is not a full commit id")
        elif key == "upstream_name" and not _NAME_RE.fullmatch(value):
            raise _fail(path, f"{where}.{key}", f"'{value}' is not an upstream name")
        values[key] = value
    vendored = values["vendored"]
    assert vendored is not None
    normalized = posixpath.normpath(vendored)
    # The lock steers writes; a tampered entry must not point them outside the project.
    if (normalized != vendored or vendored.startswith("/") or "\\" in vendored
            or re.match(r"[A-Za-z]:", vendored)
            or normalized == ".." or normalized.startswith("../")):
        raise _fail(path, f"{where}.vendored",
                    f"'{vendored}' is not a normalized path inside the project")
    return LockEntry(**values)  # type: ignore[arg-type]
