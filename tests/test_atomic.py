from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import dssync
from dssync.atomic import write_atomic
from dssync.errors import DssyncError

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX permissions and symlinks")


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".dssync-tmp"))


def test_creates_and_replaces(tmp_path):
    target = tmp_path / "a.py"
    write_atomic(target, b"one\n")
    assert target.read_bytes() == b"one\n"
    write_atomic(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    assert _leftovers(tmp_path) == []


@posix_only
def test_keeps_permission_bits_of_existing_file(tmp_path):
    target = tmp_path / "tool.sh"
    target.write_bytes(b"old")
    target.chmod(0o751)
    write_atomic(target, b"new", mode=0o600)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o751


@posix_only
def test_does_not_carry_setuid_bit(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"old")
    target.chmod(0o4755)
    write_atomic(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


@posix_only
def test_mode_applies_to_new_file(tmp_path):
    target = tmp_path / "new.py"
    write_atomic(target, b"x", mode=0o640)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@posix_only
def test_new_file_default_mode_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.py", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.py").stat().st_mode) == 0o640


@posix_only
def test_read_only_file_is_refused(tmp_path):
    target = tmp_path / "ro.py"
    target.write_bytes(b"old")
    target.chmod(0o444)
    with pytest.raises(DssyncError) as info:
        write_atomic(target, b"new")
    message = str(info.value)
    assert "read-only" in message and "chmod u+w" in message and "\n" not in message
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


@posix_only
def test_read_only_directory_is_refused(tmp_path):
    directory = tmp_path / "pkg"
    directory.mkdir()
    target = directory / "c.py"
    target.write_bytes(b"old")
    directory.chmod(0o555)
    try:
        with pytest.raises(DssyncError) as info:
            write_atomic(target, b"new")
        message = str(info.value)
        assert "directory" in message and "read-only" in message and "chmod u+w" in message
        assert target.read_bytes() == b"old"
        assert _leftovers(directory) == []
    finally:
        directory.chmod(0o755)


def test_missing_directory_is_a_dssync_error(tmp_path):
    with pytest.raises(DssyncError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "f.py", b"x")


def test_directory_as_target_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(DssyncError, match="is a directory"):
        write_atomic(tmp_path / "d", b"x")


def test_outside_root_is_refused(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    with pytest.raises(DssyncError, match="outside the project root"):
        write_atomic(tmp_path / "elsewhere.py", b"x", root=root)
    with pytest.raises(DssyncError, match="outside the project root"):
        write_atomic(root / ".." / "elsewhere.py", b"x", root=root)
    assert not (tmp_path / "elsewhere.py").exists()


@posix_only
def test_symlink_leading_outside_root_is_refused(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    outside = tmp_path / "secret.py"
    outside.write_bytes(b"precious")
    link = root / "link.py"
    link.symlink_to(outside)
    with pytest.raises(DssyncError, match="symlink leads outside") as info:
        write_atomic(link, b"evil", root=root)
    assert "\n" not in str(info.value)
    assert outside.read_bytes() == b"precious"
    assert link.is_symlink()
    assert _leftovers(tmp_path) == [] and _leftovers(root) == []


@posix_only
def test_dangling_symlink_leading_outside_root_is_refused(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    (root / "link.py").symlink_to(tmp_path / "not-yet.py")
    with pytest.raises(DssyncError, match="symlink leads outside"):
        write_atomic(root / "link.py", b"evil", root=root)
    assert not (tmp_path / "not-yet.py").exists()


@posix_only
def test_symlinked_parent_leading_outside_root_is_refused(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "vendored").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DssyncError, match="symlink leads outside"):
        write_atomic(root / "vendored" / "c.py", b"evil", root=root)
    assert list(outside.iterdir()) == []


@posix_only
def test_symlink_inside_root_replaces_its_target(tmp_path):
    root = tmp_path / "project"
    (root / "real").mkdir(parents=True)
    target = root / "real" / "c.py"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = root / "c.py"
    link.symlink_to(Path("real") / "c.py")
    write_atomic(link, b"new", root=root)
    assert link.is_symlink()
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@posix_only
def test_root_that_is_itself_a_symlink_is_fine(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(real, target_is_directory=True)
    write_atomic(alias / "f.py", b"x", root=alias)
    assert (real / "f.py").read_bytes() == b"x"


def test_exception_before_replace_keeps_original_and_removes_temp(tmp_path):
    target = tmp_path / "c.py"
    target.write_bytes(b"old")
    seen = []

    def boom(tmp: Path) -> None:
        seen.append(tmp.read_bytes())
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new", _before_replace=boom)
    assert seen == [b"new"]  # the hook really ran between write and rename
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_failed_write_keeps_original_and_removes_temp(tmp_path):
    target = tmp_path / "c.py"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_crash_between_write_and_rename_leaves_original_intact(tmp_path):
    target = tmp_path / "c.py"
    target.write_bytes(b"old content\n")
    script = textwrap.dedent("""
        import os, sys
        from pathlib import Path
        from dssync.atomic import write_atomic
        write_atomic(Path(sys.argv[1]), b"new content\\n",
                     _before_replace=lambda tmp: os._exit(17))
        sys.exit(0)
    """)
    env = dict(os.environ)
    package_parent = str(Path(dssync.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-c", script, str(target)], env=env,
                            capture_output=True, timeout=60)
    assert result.returncode == 17, result.stderr.decode()
    assert target.read_bytes() == b"old content\n"
    # The process died after the new content was fully written but before the rename: the
    # complete temporary file is what a crash leaves behind, never a half-written target.
    leftovers = _leftovers(tmp_path)
    assert len(leftovers) == 1
    assert (tmp_path / leftovers[0]).read_bytes() == b"new content\n"
