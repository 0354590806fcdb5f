from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePosixPath

import pytest

from dssync.errors import ConfigError
from dssync.lock import SCHEMA, Lock, LockEntry, read_lock, write_lock
from dssync.models import Origin


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


PYPI = LockEntry(
    vendored="vendored/deepspeed/runtime/constants.py",
    upstream="deepspeed/runtime/constants.py",
    tag="v0.7.7",
    source="pypi:deepspeed",
    upstream_sha256=sha("upstream"),
    sha256=sha("vendored"),
    archive="deepspeed-0.7.7.tar.gz",
    archive_sha256=sha("archive"),
    upstream_name="deepspeed",
)
GITHUB = LockEntry(
    vendored="vendored/deepspeed/comm/constants.py",
    upstream="deepspeed/comm/constants.py",
    tag="v0.7.7",
    source="github:microsoft/DeepSpeed",
    upstream_sha256=sha("u2"),
    sha256=sha("v2"),
    commit="a" * 40,
    upstream_name="deepspeed",
)

EXPECTED = f"""{{
  "schema": "dssync.lock/2",
  "files": [
    {{
      "vendored": "vendored/deepspeed/comm/constants.py",
      "upstream_name": "deepspeed",
      "upstream": "deepspeed/comm/constants.py",
      "tag": "v0.7.7",
      "source": "github:microsoft/DeepSpeed",
      "commit": "{"a" * 40}",
      "upstream_sha256": "{sha("u2")}",
      "sha256": "{sha("v2")}"
    }},
    {{
      "vendored": "vendored/deepspeed/runtime/constants.py",
      "upstream_name": "deepspeed",
      "upstream": "deepspeed/runtime/constants.py",
      "tag": "v0.7.7",
      "source": "pypi:deepspeed",
      "archive": "deepspeed-0.7.7.tar.gz",
      "archive_sha256": "{sha("archive")}",
      "upstream_sha256": "{sha("upstream")}",
      "sha256": "{sha("vendored")}"
    }}
  ]
}}
"""


def test_stable_formatting_is_independent_of_insertion_order():
    a = Lock().with_entry(PYPI).with_entry(GITHUB)
    b = Lock().with_entry(GITHUB).with_entry(PYPI)
    assert a.to_json() == b.to_json() == EXPECTED


def test_empty_lock():
    assert Lock().to_json() == '{\n  "schema": "dssync.lock/2",\n  "files": []\n}\n'
    assert len(Lock()) == 0


def test_round_trip(tmp_path):
    path = tmp_path / "dssync.lock"
    lock = Lock().with_entry(PYPI).with_entry(GITHUB)
    assert write_lock(path, lock) is True
    assert path.read_text(encoding="utf-8") == EXPECTED
    again = read_lock(path)
    assert again == lock
    assert again.get(PYPI.vendored) == PYPI
    assert again.get(PurePosixPath(GITHUB.vendored)) == GITHUB
    assert again.get("missing.py") is None


def test_with_entry_does_not_mutate_and_replaces():
    lock = Lock().with_entry(PYPI)
    newer = LockEntry(**{**PYPI.to_dict(), "tag": "v0.8.0"})
    updated = lock.with_entry(newer)
    assert lock.get(PYPI.vendored).tag == "v0.7.7"
    assert updated.get(PYPI.vendored).tag == "v0.8.0"
    assert len(updated) == 1
    assert updated.without(PYPI.vendored).entries == {}


def test_null_keys_are_accepted_when_reading(tmp_path):
    path = tmp_path / "dssync.lock"
    entry = {**GITHUB.to_dict(), "archive": None, "archive_sha256": None}
    path.write_text(json.dumps({"schema": SCHEMA, "files": [entry]}))
    assert read_lock(path).get(GITHUB.vendored) == GITHUB


def test_null_keys_are_omitted_when_writing():
    data = json.loads(Lock().with_entry(GITHUB).to_json())
    assert "archive" not in data["files"][0] and "archive_sha256" not in data["files"][0]


def test_missing_file_is_an_empty_lock(tmp_path):
    assert read_lock(tmp_path / "nope.lock") == Lock()


def test_no_rewrite_when_unchanged(tmp_path):
    path = tmp_path / "dssync.lock"
    lock = Lock().with_entry(PYPI)
    assert write_lock(path, lock) is True
    past = 1_000_000_000
    os.utime(path, ns=(past * 10**9, past * 10**9))
    inode = path.stat().st_ino
    assert write_lock(path, Lock().with_entry(PYPI)) is False
    assert path.stat().st_mtime_ns == past * 10**9
    assert path.stat().st_ino == inode
    assert write_lock(path, lock.with_entry(GITHUB)) is True
    assert path.stat().st_mtime_ns != past * 10**9
    assert read_lock(path) == lock.with_entry(GITHUB)


def test_reformatted_file_is_rewritten(tmp_path):
    path = tmp_path / "dssync.lock"
    lock = Lock().with_entry(PYPI)
    path.write_text(json.dumps(json.loads(lock.to_json())))  # same data, one line
    assert write_lock(path, lock) is True
    assert path.read_text() == lock.to_json()


def test_write_lock_creates_directory(tmp_path):
    path = tmp_path / "locks" / "dssync.lock"
    assert write_lock(path, Lock().with_entry(PYPI)) is True
    assert read_lock(path).get(PYPI.vendored) == PYPI


def test_from_origin_and_back():
    origin = Origin(source="pypi:deepspeed", tag="v0.7.7", path="deepspeed/runtime/constants.py",
                    sha256=sha("upstream"), archive="deepspeed-0.7.7.tar.gz",
                    archive_sha256=sha("archive"))
    entry = LockEntry.from_origin("vendored/deepspeed/runtime/constants.py", origin,
                                  sha("vendored"), "deepspeed")
    assert entry == PYPI
    assert entry.origin() == origin
    git = Origin(source="github:microsoft/DeepSpeed", tag="v0.7.7",
                 path="deepspeed/comm/constants.py", sha256=sha("u2"), commit="a" * 40)
    assert LockEntry.from_origin(GITHUB.vendored, git, sha("v2"), "deepspeed") == GITHUB


def _error(tmp_path: Path, content: str | bytes) -> ConfigError:
    path = tmp_path / "dssync.lock"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_lock(path)
    text = str(info.value)
    assert text.startswith(str(path)) and "\n" not in text
    return info.value


def test_malformed_json_names_line_and_column(tmp_path):
    error = _error(tmp_path, '{\n  "schema": "dssync.lock/1",\n  "files": [,]\n}\n')
    assert (error.line, error.column) == (3, 13)
    assert "not valid JSON" in str(error)


def test_unknown_schema(tmp_path):
    error = _error(tmp_path, '{"schema": "dssync.lock/3", "files": []}')
    assert 'unknown lock schema "dssync.lock/3"' in str(error)
    assert "dssync.lock/2 and dssync.lock/1" in str(error)
    assert "upgrade dssync" in str(error)


def _v1(*entries: LockEntry) -> str:
    files = [{k: v for k, v in e.to_dict().items() if k != "upstream_name"} for e in entries]
    return json.dumps({"schema": "dssync.lock/1", "files": files}, indent=2) + "\n"


def test_a_version_1_lock_is_read_its_entries_named_by_the_configuration(tmp_path):
    path = tmp_path / "dssync.lock"
    path.write_text(_v1(PYPI, GITHUB), encoding="utf-8")
    names = {PYPI.vendored: "deepspeed"}
    lock = read_lock(path, names.get)
    assert lock.get(PYPI.vendored) == PYPI
    # A file the configuration no longer names keeps no upstream name.
    assert lock.get(GITHUB.vendored).upstream_name is None
    assert read_lock(path).get(PYPI.vendored).upstream_name is None


def test_a_version_1_lock_is_rewritten_as_version_2_on_the_next_write(tmp_path):
    path = tmp_path / "dssync.lock"
    path.write_text(_v1(PYPI, GITHUB), encoding="utf-8")
    lock = read_lock(path, lambda vendored: "deepspeed")
    assert write_lock(path, lock) is True
    assert path.read_text(encoding="utf-8") == EXPECTED
    assert write_lock(path, read_lock(path)) is False


def test_a_version_1_entry_cannot_name_an_upstream(tmp_path):
    doc = json.dumps({"schema": "dssync.lock/1", "files": [PYPI.to_dict()]})
    assert "files[0].upstream_name: unknown key" in str(_error(tmp_path, doc))


def _doc(**entry_changes) -> str:
    entry = {**PYPI.to_dict(), **entry_changes}
    return json.dumps({"schema": SCHEMA, "files": [entry]})


@pytest.mark.parametrize("content, fragment", [
    (b"\xff\xfe", "not valid UTF-8"),
    ("", "not valid JSON"),
    ("[]", "expected a JSON object, got array"),
    ('{"files": []}', "schema: missing"),
    ('{"schema": "dssync.lock/1"}', "files: missing"),
    ('{"schema": "dssync.lock/1", "files": {}}', "files: expected an array, got object"),
    ('{"schema": "dssync.lock/1", "files": [], "extra": 1}', "extra: unknown key"),
    ('{"schema": "dssync.lock/1", "schema": "dssync.lock/1", "files": []}',
     "repeats the key 'schema'"),
    ('{"schema": "dssync.lock/1", "files": [3]}', "files[0]: expected an object, got number"),
    (_doc(tag=None), "files[0].tag: missing"),
    (_doc(tag=7), "files[0].tag: expected a string, got number"),
    (_doc(source=""), "files[0].source: is empty"),
    (_doc(sha256="abc"), "files[0].sha256: is not a sha256"),
    (_doc(upstream_sha256="A" * 64), "files[0].upstream_sha256: is not a sha256"),
    (_doc(commit="deadbeef"), "files[0].commit: is not a full commit id"),
    (_doc(upstream_name="a b"), "files[0].upstream_name: 'a b' is not an upstream name"),
    (_doc(surprise="x"), "files[0].surprise: unknown key"),
    (_doc(vendored="../../etc/passwd"), "files[0].vendored: '../../etc/passwd' is not a normalized"),
    (_doc(vendored="/etc/passwd"), "files[0].vendored:"),
    (_doc(vendored="a/./b.py"), "files[0].vendored:"),
    (json.dumps({"schema": SCHEMA, "files": [PYPI.to_dict(), PYPI.to_dict()]}),
     "files[1].vendored: vendored/deepspeed/runtime/constants.py is listed twice"),
])
def test_malformed_lock(tmp_path, content, fragment):
    assert fragment in str(_error(tmp_path, content))


def test_lock_that_is_a_directory(tmp_path):
    (tmp_path / "dssync.lock").mkdir()
    with pytest.raises(ConfigError, match="cannot read the lock file"):
        read_lock(tmp_path / "dssync.lock")
