"""``dssync update`` end to end: real git upstreams, real files, real subprocesses."""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from dssync.cli import main

try:
    from gitrepo import make_repo
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.gitrepo import make_repo

REPO = Path(__file__).resolve().parent.parent
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX permissions and symlinks")

UP = "pkg/constants.py"
UP1 = b'''"""Upstream 1."""

# ---- Limits ----
MAX = 10
MIN = 1

# ---- Old ----
OLD = "x"
'''
UP2 = b'''"""Upstream 2."""

# ---- Limits ----
MAX = 20
MIN = 1
NEW = 3
'''
UP3 = UP2.replace(b"MIN = 1", b"MIN = 2")
OTHER1 = b"A = 1\n"
OTHER2 = b"A = 2\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Project:
    root: Path
    upstream: Path
    capsys: object

    @property
    def vendored(self) -> Path:
        return self.root / "vendor" / "constants.py"

    @property
    def lock_path(self) -> Path:
        return self.root / "dssync.lock"

    def lock(self) -> dict:
        return {e["vendored"]: e for e in json.loads(self.lock_path.read_text())["files"]}

    def cli(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    def configure(self, pins: str = "") -> None:
        (self.root / "pyproject.toml").write_text(textwrap.dedent(f"""\
            [tool.dssync]
            sources = ["git:{self.upstream.as_posix()}"]
            lock = "dssync.lock"

            [[tool.dssync.files]]
            vendored = "vendor/constants.py"
            upstream = "{UP}"
            {pins}

            [[tool.dssync.files]]
            vendored = "vendor/other.py"
            upstream = "pkg/other.py"
            """))


@pytest.fixture
def project(tmp_path, monkeypatch, capsys) -> Project:
    make_repo(tmp_path / "up", [("v1", {UP: UP1, "pkg/other.py": OTHER1}),
                                ("v2", {UP: UP2, "pkg/other.py": OTHER2}),
                                ("v3", {UP: UP3})])
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("DSSYNC_CACHE_DIR", str(tmp_path / "cache"))
    p = Project(root, tmp_path / "up", capsys)
    p.configure()
    code, _, err = p.cli("vendor", "--tag", "v1")
    assert code == 0, err
    return p


EXPECTED_V2 = UP1.replace(b"MAX = 10", b"MAX = 20").replace(
    b"MIN = 1\n", b"MIN = 1\nNEW = 3\n").replace(b'\n# ---- Old ----\nOLD = "x"\n', b"")


# --- configured files ------------------------------------------------------------------


def test_update_merges_and_records_the_lock(project):
    code, out, err = project.cli("update", "--tag", "v2")
    assert code == 0, err
    data = project.vendored.read_bytes()
    assert data == EXPECTED_V2  # the vendored header ("Upstream 1.") stays
    assert "updated: vendor/constants.py (1 changed, 1 added, 1 removed)" in out
    assert "updated: dssync.lock" in out
    entry = project.lock()["vendor/constants.py"]
    assert entry["tag"] == "v2" and entry["source"] == f"git:{project.upstream.as_posix()}"
    assert entry["upstream_sha256"] == sha(UP2) and entry["sha256"] == sha(data)
    assert len(entry["commit"]) == 40
    assert (project.root / "vendor" / "other.py").read_bytes() == OTHER2

    before = project.lock_path.stat().st_mtime_ns
    code, out, _ = project.cli("update", "--tag", "v2")
    assert code == 0
    assert "unchanged: vendor/constants.py" in out and "unchanged: dssync.lock" in out
    assert project.lock_path.stat().st_mtime_ns == before


def test_update_one_file(project):
    code, _, err = project.cli("update", "--tag", "v2", "--file", "vendor/other.py")
    assert code == 0, err
    assert project.vendored.read_bytes() == UP1
    lock = project.lock()
    assert lock["vendor/other.py"]["tag"] == "v2" and lock["vendor/constants.py"]["tag"] == "v1"


def test_dry_run_prints_the_diff_and_writes_nothing(project):
    lock_before = project.lock_path.read_bytes()
    code, out, _ = project.cli("update", "--tag", "v2", "--dry-run", "--file", "vendor/constants.py")
    assert code == 1
    assert out.startswith("--- a/vendor/constants.py\n+++ b/vendor/constants.py\n")
    assert "-MAX = 10\n+MAX = 20\n" in out and "+NEW = 3\n" in out and '-OLD = "x"\n' in out
    assert project.vendored.read_bytes() == UP1 and project.lock_path.read_bytes() == lock_before
    project.cli("update", "--tag", "v2")
    assert project.cli("update", "--tag", "v2", "--dry-run") == (0, "", "")


def test_only_exclude_and_keep_removed(project):
    code, _, _ = project.cli("update", "--tag", "v2", "--file", "vendor/constants.py",
                             "--exclude", "MAX", "--keep-removed")
    assert code == 0
    text = project.vendored.read_text()
    assert "MAX = 10" in text and "NEW = 3" in text and 'OLD = "x"' in text
    # The lock now names v2: what was held back reads as local edits against it, and stays...
    code, out, err = project.cli("update", "--tag", "v2", "--only", "M*", "O*", "--file",
                                 "vendor/constants.py")
    assert code == 0, err
    assert "local edits kept: MAX, OLD" in out and project.vendored.read_text() == text
    # ... until --force merges as if the file were v2 itself.
    code, _, err = project.cli("update", "--tag", "v2", "--only", "M*", "O*", "--file",
                               "vendor/constants.py", "--force")
    assert code == 0
    assert project.vendored.read_bytes() == EXPECTED_V2


def test_replace_mode_mirrors_upstream(project):
    code, _, err = project.cli("update", "--tag", "v2", "--mode", "replace")
    assert code == 0, err
    assert project.vendored.read_bytes() == UP2


def test_local_edit_upstream_did_not_touch_is_kept_without_force(project):
    # MIN is 1 at v1 (the release the lock names) and at v2: the local 5 stays, no --force.
    project.vendored.write_bytes(UP1.replace(b"MIN = 1", b"MIN = 5"))
    code, out, err = project.cli("update", "--tag", "v2", "--file", "vendor/constants.py")
    assert code == 0, err
    data = project.vendored.read_bytes()
    assert data == EXPECTED_V2.replace(b"MIN = 1", b"MIN = 5")
    assert "vendor/constants.py: local edits kept: MIN" in out
    assert "1 changed, 1 added, 1 removed, 1 local edit(s) kept" in out
    assert project.lock()["vendor/constants.py"]["tag"] == "v2"
    assert project.lock()["vendor/constants.py"]["sha256"] == sha(data)


def test_conflict_is_listed_kept_and_settled_by_theirs(project):
    # MIN: 1 at v1 (the base), 5 here, 2 upstream at v3: changed on both sides, differently.
    project.vendored.write_bytes(UP1.replace(b"MIN = 1", b"MIN = 5"))
    code, out, err = project.cli("update", "--tag", "v3", "--dry-run")
    assert code == 1 and "conflict, ours kept: MIN" in err and "+MAX = 20" in out
    code, out, err = project.cli("update", "--tag", "v3", "--file", "vendor/constants.py")
    assert code == 1, err
    assert ("vendor/constants.py: conflict, ours kept: MIN (changed here and upstream, "
            "differently; --theirs takes upstream's)") in out
    data = project.vendored.read_bytes()
    assert data == UP3.replace(b"MIN = 2", b"MIN = 5").replace(b"Upstream 2", b"Upstream 1")
    # Not recorded: the lock keeps naming v1, so the conflict is still one on the next run.
    assert project.lock()["vendor/constants.py"]["tag"] == "v1"
    assert "the lock still names v1" in out
    assert project.cli("update", "--tag", "v3", "--file", "vendor/constants.py")[0] == 1
    code, out, err = project.cli("update", "--tag", "v3", "--file", "vendor/constants.py",
                                 "--theirs")
    assert code == 0, err
    assert b"MIN = 2" in project.vendored.read_bytes()
    assert project.lock()["vendor/constants.py"]["tag"] == "v3"


def test_force_overwrites_local_edits(project):
    project.vendored.write_bytes(UP1.replace(b"MIN = 1", b"MIN = 5"))
    code, _, err = project.cli("update", "--tag", "v2", "--force", "--file", "vendor/constants.py")
    assert code == 0, err
    assert project.vendored.read_bytes() == EXPECTED_V2


def test_pinned_local_edits_are_kept(project):
    project.configure(pins='pins = { MIN = "we need 5" }')
    project.vendored.write_bytes(UP1.replace(b"MIN = 1", b"MIN = 5"))
    code, _, err = project.cli("update", "--tag", "v3")
    assert code == 0, err
    data = project.vendored.read_bytes()
    assert b"MIN = 5" in data and b"MAX = 20" in data
    assert project.lock()["vendor/constants.py"]["sha256"] == sha(data)


def test_edits_outside_constants(project):
    edited = UP1.replace(b"# ---- Limits ----", b"# ---- Limits (local note) ----")
    project.vendored.write_bytes(edited)
    code, _, err = project.cli("update", "--tag", "v2", "--mode", "replace")
    assert code == 2 and "outside its constants" in err
    code, _, err = project.cli("update", "--tag", "v2")
    assert code == 0, err
    assert b"(local note)" in project.vendored.read_bytes()


def test_unverifiable_local_edits_are_refused(project):
    lock = json.loads(project.lock_path.read_text())
    for entry in lock["files"]:
        entry["tag"] = "v0.9-gone"  # upstream no longer has what the lock names
    project.lock_path.write_text(json.dumps(lock))
    project.vendored.write_bytes(UP1.replace(b"MIN = 1", b"MIN = 5"))
    code, _, err = project.cli("update", "--tag", "v2", "--file", "vendor/constants.py")
    assert code == 2 and err.count("\n") == 1
    assert "they cannot be checked" in err and "v0.9-gone" in err and "--force" in err
    assert project.vendored.read_bytes() == UP1.replace(b"MIN = 1", b"MIN = 5")
    assert project.cli("update", "--tag", "v2", "--force")[0] == 0


@posix_only
def test_read_only_file_is_a_clear_error(project):
    project.vendored.chmod(0o444)
    code, out, err = project.cli("update", "--tag", "v2", "--file", "vendor/constants.py")
    assert code == 2
    assert "vendor/constants.py" in err and "read-only" in err and "chmod u+w" in err
    assert err.count("\n") == 1
    assert project.vendored.read_bytes() == UP1
    assert project.lock()["vendor/constants.py"]["tag"] == "v1"


@posix_only
def test_permission_bits_are_kept(project):
    project.vendored.chmod(0o640)
    assert project.cli("update", "--tag", "v2")[0] == 0
    assert stat.S_IMODE(project.vendored.stat().st_mode) == 0o640


@posix_only
def test_symlink_leading_outside_the_project_is_refused(project, tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_bytes(project.vendored.read_bytes())
    project.vendored.unlink()
    project.vendored.symlink_to(outside)
    code, _, err = project.cli("update", "--tag", "v2", "--file", "vendor/constants.py")
    assert code == 2 and "symlink leads outside the project root" in err
    assert outside.read_bytes() == UP1 and project.vendored.is_symlink()
    assert project.lock()["vendor/constants.py"]["tag"] == "v1"


@posix_only
@pytest.mark.parametrize("blocked", ["vendor/other.py", "dssync.lock", "locks"])
def test_nothing_is_written_unless_every_file_can_be(project, blocked):
    """A read-only lock was found only after the vendored files were rewritten (issue 15,
    finding 8): every file update (and vendor) would write is checked first."""
    if blocked == "locks":  # the lock in a directory that cannot take it
        project.configure()
        text = (project.root / "pyproject.toml").read_text()
        (project.root / "pyproject.toml").write_text(
            text.replace('lock = "dssync.lock"', 'lock = "locks/dssync.lock"'))
        (project.root / "locks").mkdir()
        (project.root / "locks" / "dssync.lock").write_bytes(project.lock_path.read_bytes())
        (project.root / "locks").chmod(0o555)
    else:
        (project.root / blocked).chmod(0o444)
    before = {p: p.read_bytes() for p in project.root.rglob("*") if p.is_file()}
    try:
        for command in (["update", "--tag", "v2"], ["vendor", "--tag", "v2", "--force"]):
            code, out, err = project.cli(*command)
            assert code == 2 and err.count("\n") == 1, err
            assert blocked in err and "read-only" in err, err
            assert "updated" not in out and "wrote" not in out, out
            assert {p: p.read_bytes() for p in project.root.rglob("*") if p.is_file()} == before
    finally:
        if blocked == "locks":
            (project.root / "locks").chmod(0o755)


def test_files_written_before_a_failure_are_locked(project, monkeypatch):
    """A write can still fail past the checks (a full disk): the lock then records the files
    already written, and only those."""
    import dssync.atomic as atomic
    from dssync.errors import DssyncError

    real = atomic.write_atomic

    def full_disk_for_other(path, data, **kwargs):
        if Path(path).name == "other.py":
            raise DssyncError("cannot write the file: No space left on device", path=path)
        return real(path, data, **kwargs)

    monkeypatch.setattr(atomic, "write_atomic", full_disk_for_other)
    code, out, _ = project.cli("update", "--tag", "v2")
    assert code == 2
    lock = project.lock()
    assert lock["vendor/constants.py"]["tag"] == "v2"
    assert lock["vendor/constants.py"]["sha256"] == sha(project.vendored.read_bytes())
    assert lock["vendor/other.py"]["tag"] == "v1"


_CRASH = """
import sys, time
import dssync.atomic as atomic

real = atomic.write_atomic

def stalled(path, data, **kwargs):
    def hook(tmp):
        print("READY", tmp, flush=True)
        time.sleep(120)
    return real(path, data, _before_replace=hook, **kwargs)

atomic.write_atomic = stalled
from dssync.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_crash_between_write_and_rename_leaves_the_original(project):
    lock_before = project.lock_path.read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", _CRASH, "update", "--tag", "v2"],
                            cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(REPO / "tool")})
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("READY "), proc.stderr.read().decode()
        tmp = Path(line.split(" ", 1)[1].strip())
        assert tmp.read_bytes() == EXPECTED_V2  # the new content was complete on disk ...
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode != 0
    assert project.vendored.read_bytes() == UP1  # ... yet the file is still the original
    assert project.lock_path.read_bytes() == lock_before
    assert project.cli("update", "--tag", "v2")[0] == 0
    assert project.vendored.read_bytes() == EXPECTED_V2


# --- two local files -------------------------------------------------------------------


def test_two_files(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "v.py").write_bytes(UP1)
    (tmp_path / "u.py").write_bytes(UP2)
    assert main(["update", "v.py", "u.py", "--dry-run"]) == 1
    assert (tmp_path / "v.py").read_bytes() == UP1
    assert main(["update", "v.py", "u.py"]) == 0
    assert (tmp_path / "v.py").read_bytes() == EXPECTED_V2
    assert (tmp_path / "u.py").read_bytes() == UP2
    assert "updated: v.py (1 changed, 1 added, 1 removed)" in capsys.readouterr().out
    assert main(["update", "v.py", "u.py", "--dry-run"]) == 0
    assert not list(tmp_path.glob("*.dssync-tmp"))


def test_two_files_keep_crlf_and_bom(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    vendored = codecs.BOM_UTF8 + UP1.replace(b"\n", b"\r\n")
    (tmp_path / "v.py").write_bytes(vendored)
    (tmp_path / "u.py").write_bytes(UP2)
    assert main(["update", "v.py", "u.py"]) == 0
    assert (tmp_path / "v.py").read_bytes() == codecs.BOM_UTF8 + EXPECTED_V2.replace(b"\n", b"\r\n")


@posix_only
def test_two_files_symlink_outside_the_working_directory(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (tmp_path / "real.py").write_bytes(UP1)
    (work / "v.py").symlink_to(tmp_path / "real.py")
    (work / "u.py").write_bytes(UP2)
    assert main(["update", "v.py", "u.py"]) == 2
    assert "symlink leads outside the project root" in capsys.readouterr().err
    assert (tmp_path / "real.py").read_bytes() == UP1


@pytest.mark.parametrize("argv, message", [
    (["update"], "update needs --tag TAG"),
    (["update", "a.py"], "update needs --tag TAG"),
    # The form a configuration-free run suggests (VENDORED.py --source ... --upstream-path ...)
    # is taken: it fails only because there is no such source here, not on its shape.
    (["update", "--tag", "v2", "v.py", "--source", "git:nowhere", "--upstream-path", "p.py",
      "--offline"], "git repository does not exist"),
    (["update", "missing.py", "u.py"], "missing.py: no such file"),
    (["update", "v.py", "u.py", "--mode", "mirror"], "invalid choice"),
])
def test_usage_errors_are_one_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "u.py").write_bytes(UP2)
    (tmp_path / "v.py").write_bytes(UP1)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


# --- the real DeepSpeed case -----------------------------------------------------------

DS_VENDORED = REPO / "vendored" / "deepspeed" / "runtime" / "constants.py"
DS_DIFF = REPO / "docs" / "update-deepspeed-0.7.7-to-0.9.0.diff"


@pytest.mark.network
def test_deepspeed_0_7_7_to_0_9_0(tmp_path, monkeypatch, capsys):
    from dssync._source.interface import SourceContext
    from dssync._source.package_index import PackageIndexSource
    from dssync.cache import Cache, default_cache_root
    from dssync.errors import SourceUnavailable

    source = PackageIndexSource("deepspeed", SourceContext(cache=Cache(default_cache_root())))
    try:
        got = source.fetch("v0.9.0", ["deepspeed/runtime/constants.py"])
    except SourceUnavailable as exc:
        pytest.skip(f"the package index cannot be reached: {exc}")
    finally:
        source.close()
    upstream = got["deepspeed/runtime/constants.py"].content
    work = tmp_path / "vendored" / "deepspeed" / "runtime"
    work.mkdir(parents=True)
    (work / "constants.py").write_bytes(DS_VENDORED.read_bytes())
    (tmp_path / "up.py").write_bytes(upstream)
    monkeypatch.chdir(tmp_path)
    rel = "vendored/deepspeed/runtime/constants.py"
    assert main(["update", rel, "up.py", "--dry-run"]) == 1
    diff = capsys.readouterr().out
    assert main(["update", rel, "up.py"]) == 0
    text = (work / "constants.py").read_text()
    lines = text.splitlines()

    at = lines.index("ZERO_ALLOW_UNTESTED_OPTIMIZER_DEFAULT = False")
    assert lines[at + 1:at + 3] == ['ZERO_FORCE_DS_CPU_OPTIMIZER = "zero_force_ds_cpu_optimizer"',
                                    "ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT = True"]
    assert lines[-6:] == ["", "#" * 41, "# DATA PARALLELISM", "#" * 41,
                          'DATA_PARALLEL_GROUP = "data_parallel_group"', 'GLOBAL_RANK = "global_rank"']
    assert "Curriculum" not in text and "CURRICULUM" not in text
    assert "FP16_INITIAL_SCALE_POWER_DEFAULT = 16\n" in text
    assert '"initial_scale_power": 16,' in text and '"initial_scale_power": 32' not in text
    assert text.startswith('"""\nCopyright (c) Microsoft Corporation\nLicensed under the MIT license.\n"""\n')
    assert "CHECKPOINT_TAG_VALIDATION_MODES = [\n    ValidationMode.WARN,\n" in text
    # Nothing else changed: these are all the lines the diff adds and removes.
    changed = [ln for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
    banner = "#" * 41
    assert changed == [
        '+ZERO_FORCE_DS_CPU_OPTIMIZER = "zero_force_ds_cpu_optimizer"',
        "+ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT = True",
        '-  "initial_scale_power": 32,', '+  "initial_scale_power": 16,',
        "-FP16_INITIAL_SCALE_POWER_DEFAULT = 32", "+FP16_INITIAL_SCALE_POWER_DEFAULT = 16",
        "-", f"-{banner}", "-# Curriculum Learning", f"-{banner}",
        '-CURRICULUM_LEARNING = "curriculum_learning"', "-", '-CURRICULUM_ENABLED = "enabled"',
        "-CURRICULUM_ENABLED_DEFAULT = False",
        "+", f"+{banner}", "+# DATA PARALLELISM", f"+{banner}",
        '+DATA_PARALLEL_GROUP = "data_parallel_group"', '+GLOBAL_RANK = "global_rank"',
    ]
    assert main(["diff", rel, "up.py"]) == 0
    assert main(["update", rel, "up.py", "--dry-run"]) == 0
    assert DS_DIFF.read_text() == diff, "docs/update-deepspeed-0.7.7-to-0.9.0.diff is stale"
