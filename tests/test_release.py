"""The version: written once (tool/dssync/__init__.py), read by pyproject.toml, agreed on by the
CHANGELOG, the built files and the release tag (.github/scripts/check_release.py, which the
release workflow runs before it publishes)."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import dssync

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / ".github" / "scripts" / "check_release.py"


def check(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), "--root", str(root), *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_this_commit_agrees():
    done = check(ROOT)
    assert done.returncode == 0, done.stderr
    assert importlib.metadata.version("dssync") == dssync.__version__  # pyproject reads it


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of what the check reads, to edit."""
    (tmp_path / "tool" / "dssync").mkdir(parents=True)
    shutil.copy2(ROOT / "tool" / "dssync" / "__init__.py", tmp_path / "tool" / "dssync" / "__init__.py")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n### Added\n- Next things.\n\n"
        "## [1.2.0] - 2026-11-30\n\n### Added\n- The release notes.\n\n## [1.1.0] - 2026-10-01\n\n- Older.\n")
    (tmp_path / "tool" / "dssync" / "__init__.py").write_text('"""dssync."""\n\n__version__ = "1.2.0"\n')
    return tmp_path


def _dists(where: Path, version: str, *, missing: str = "") -> list[Path]:
    wheel = where / f"dssync-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for name in ("dssync/schema/drift.schema.json", "dssync/py.typed", "dssync/cli.py"):
            if name != missing:
                z.writestr(name, "")
    sdist = where / f"dssync-{version}.tar.gz"
    with tarfile.open(sdist, "w:gz") as t:
        for name in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "tool/dssync/schema/drift.schema.json",
                     "tool/dssync/py.typed", "tool/dssync/cli.py"):
            src = where / "member"
            src.write_text("")
            t.add(src, arcname=f"dssync-{version}/{name}")
    return [wheel, sdist]


def test_a_release_where_everything_agrees(tree, tmp_path):
    done = check(tree, "--tag", "v1.2.0", *map(str, _dists(tmp_path, "1.2.0")))
    assert done.returncode == 0, done.stderr
    assert "tag v1.2.0, package 1.2.0, CHANGELOG and 2 built file(s) agree" in done.stdout
    notes = check(tree, "--notes", "v1.2.0")
    assert notes.stdout == "### Added\n- The release notes.\n"


@pytest.mark.parametrize("change, args, message", [
    (None, ["--tag", "v1.3.0"], "the tag v1.3.0 does not name the package's version 1.2.0"),
    (("CHANGELOG.md", "## [1.2.0] - 2026-11-30", "## [1.2.0]"), ["--tag", "v1.2.0"], "needs its date"),
    (("CHANGELOG.md", "## [1.2.0] - 2026-11-30", "## [1.1.5] - 2026-11-30"), ["--tag", "v1.2.0"],
     "the newest release is 1.1.5, not 1.2.0"),
    (("tool/dssync/__init__.py", '"1.2.0"', '"1.1.0"'), [],
     "the package says 1.1.0 but the CHANGELOG already released 1.2.0"),
    (("CHANGELOG.md", "## [Unreleased]", "## Unreleased"), [], "the first section must be ## [Unreleased]"),
    (("CHANGELOG.md", "## [1.1.0] - 2026-10-01", "## [1.3.0] - 2026-10-01"), [], "newest first"),
    (("pyproject.toml", 'dynamic = ["version"]', 'version = "1.2.0"'), [], "the version must be dynamic"),
])
def test_disagreements_are_one_line_each(tree, change, args, message):
    if change:
        path, old, new = change
        text = (tree / path).read_text()
        assert old in text
        (tree / path).write_text(text.replace(old, new, 1))
    done = check(tree, *args)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_built_files_must_carry_the_version_and_what_users_need(tree, tmp_path):
    wrong = check(tree, "--tag", "v1.2.0", *map(str, _dists(tmp_path, "1.1.0")))
    assert wrong.returncode == 1 and "not version 1.2.0" in wrong.stderr
    other = tmp_path / "other"
    other.mkdir()
    lacking = check(tree, "--tag", "v1.2.0", *map(str, _dists(other, "1.2.0", missing="dssync/py.typed")))
    assert lacking.returncode == 1 and "lacks dssync/py.typed" in lacking.stderr
