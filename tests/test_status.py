"""``dssync status`` / ``verify``: files against the lock, local edits constant by constant."""

from __future__ import annotations

import json
import shutil

import pytest

from dssync.cli import main

try:
    from test_update_cli import OTHER1, UP1, Project, project  # noqa: F401  (the fixture)
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.test_update_cli import OTHER1, UP1, Project, project  # noqa: F401


def test_all_files_match(project: Project):
    code, out, err = project.cli("status")
    assert code == 0, err
    assert out.splitlines() == [
        f"vendor/constants.py: ok, as synced at v1 from git:{project.upstream.as_posix()}",
        f"vendor/other.py: ok, as synced at v1 from git:{project.upstream.as_posix()}",
        "2 files: 2 match the lock, 0 differ",
    ]


def test_verify_is_an_alias_and_files_can_be_named(project: Project):
    code, out, _ = project.cli("verify", "vendor/other.py")
    assert code == 0
    assert out.startswith("vendor/other.py: ok") and "1 file: 1 match" in out


def test_local_edits_listed_constant_by_constant(project: Project):
    project.configure(pins='pins = { MAX = "ours" }')
    edited = (UP1.replace(b"MIN = 1", b"MIN = 5").replace(b'OLD = "x"\n', b"")
              .replace(b"MAX = 10", b"MAX = 11") + b"LOCAL = [1, 2]\n")
    project.vendored.write_bytes(edited)
    code, out, err = project.cli("status")
    assert code == 1, err
    lines = out.splitlines()
    start = lines.index(f"vendor/constants.py: modified since v1 from "
                        f"git:{project.upstream.as_posix()} (sha256 differs from the lock)")
    assert lines[start + 1:start + 5] == [
        "    ~ MIN: 1 -> 5  (line 5)",
        "    + LOCAL = [1, 2]  (added locally, line 8)",
        "    - OLD = 'x'  (removed locally)",
        # Not "10 -> 11": 10 is upstream's; what update wrote for a pin is not in the lock.
        "    = MAX = 11, upstream's at v1 is 10  (pinned: ours; line 4)",
    ]
    assert lines[-1] == "2 files: 1 match the lock, 1 differ"


def test_edits_outside_constants(project: Project):
    project.vendored.write_bytes(UP1.replace(b"# ---- Old ----", b"# ---- Old (see #12) ----"))
    code, out, _ = project.cli("status", "vendor/constants.py")
    assert code == 1
    assert "no constant differs from upstream: the edits are elsewhere" in out


def test_missing_file_and_file_not_in_the_lock(project: Project):
    (project.root / "vendor" / "other.py").unlink()
    lock = json.loads(project.lock_path.read_text())
    lock["files"] = [e for e in lock["files"] if e["vendored"] != "vendor/constants.py"]
    project.lock_path.write_text(json.dumps(lock))
    code, out, _ = project.cli("status")
    assert code == 1
    assert "vendor/constants.py: not in the lock (never synced" in out
    assert f"vendor/other.py: missing (locked at v1 from git:{project.upstream.as_posix()})" in out


def test_unavailable_upstream_says_only_that_the_hash_differs(project: Project, tmp_path):
    project.vendored.write_bytes(UP1.replace(b"MIN = 1", b"MIN = 5"))
    shutil.rmtree(tmp_path / "up")
    code, out, err = project.cli("status", "--no-cache")
    assert code == 1, err
    assert "vendor/constants.py: modified since v1" in out
    assert "    constants not compared: upstream pkg/constants.py at v1 is unavailable" in out
    assert "MIN" not in out


def test_upstream_content_that_no_longer_matches_the_lock(project: Project):
    lock = json.loads(project.lock_path.read_text())
    for entry in lock["files"]:
        entry["upstream_sha256"] = "0" * 64
    project.lock_path.write_text(json.dumps(lock))
    project.vendored.write_bytes(UP1 + b"X = 1\n")
    code, out, _ = project.cli("status", "vendor/constants.py")
    assert code == 1
    assert "no longer has the sha256 the lock recorded" in out


def test_offline_without_cache_is_trouble(project: Project):
    project.vendored.write_bytes(UP1.replace(b"MIN = 1", b"MIN = 5"))
    code, out, err = project.cli("status", "--offline", "--no-cache")
    assert code == 2 and "--offline needs the cache" in err


def test_unparsable_local_file(project: Project):
    project.vendored.write_bytes(b"MIN = (\n")
    code, out, _ = project.cli("status")
    assert code == 1 and "constants not compared: the file no longer parses" in out


@pytest.mark.parametrize("lock, message", [
    ("{not json", "the lock file is not valid JSON"),
    ('{"schema": "dssync.lock/99", "files": []}', "unknown lock schema"),
])
def test_broken_lock_is_trouble(project: Project, lock, message):
    project.lock_path.write_text(lock)
    code, out, err = project.cli("status")
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_no_configuration_is_trouble(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["status"]) == 2
    assert "status needs a [tool.dssync] configuration" in capsys.readouterr().err


def test_status_after_update_and_after_vendor(project: Project):
    assert project.cli("update", "--tag", "v2")[0] == 0
    assert project.cli("status")[0] == 0
    (project.root / "vendor" / "other.py").write_bytes(OTHER1)
    code, out, _ = project.cli("status")
    assert code == 1 and "~ A: 2 -> 1" in out


def test_a_class_renamed_locally_counts_each_of_its_constants_as_edited():
    from dssync._analyses.status import LocalState
    from dssync.models import ClassRenamed, FileDrift

    state = LocalState("vendor/c.py", None, None)
    state.edits = FileDrift("vendor/c.py", "c.py", renamed_classes=[
        ClassRenamed("TraceMode", "ZeRoTraceMode", 3, 3, ("RECORD", "COMPLETE"))])
    assert state.edited_names() == {"TraceMode.RECORD", "TraceMode.COMPLETE",
                                    "ZeRoTraceMode.RECORD", "ZeRoTraceMode.COMPLETE"}
