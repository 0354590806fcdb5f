"""A damaged cache never becomes a wrong vendored file (issue 15, findings 1 and 2).

Emptied archive members or GitHub blobs once made ``dssync update`` delete every constant of
the vendored file and record the sha256 of empty content in the lock, and ``dssync status``
then said "ok"; truncated ones made every later run fail with "not valid Python", blaming
upstream. A damaged archive whose tag answer was still fresh was "downloaded again" by an
``--offline`` path that had not been asked for. Now every cache read is verified, a damaged
entry is removed and fetched again in the same run, and the result is what a run with an empty
cache writes.

The CLI runs in process against the loopback package index and GitHub of ``tests/servers``;
``World`` builds the project and the caches the tests (and the property test in
``test_properties.py``) start from, for three sources: the index, GitHub, and a git URL (a real
repository, read through the clone dssync keeps in its cache).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dssync.cache import _slot, unseal
from dssync.cli import main

try:
    from gitrepo import allow_partial_clone, make_repo
    from servers.github_server import FakeGitHub
    from servers.index_server import FakeIndex, make_sdist
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.gitrepo import allow_partial_clone, make_repo
    from tests.servers.github_server import FakeGitHub
    from tests.servers.index_server import FakeIndex, make_sdist

PATH = "pkg/constants.py"
V1 = (b'"""Widget tunables."""\n\n# ---- sizes ----\nCOUNT = 3\nRATIO = 0.25\n'
      b'NAMES = ("small", "large")\nTABLE = {b"k": 1, "nested": {"a": [1, 2]}}\n')
V2 = (b'"""Widget tunables."""\n\n# ---- sizes ----\nCOUNT = 4\nRATIO = 0.25\n'
      b'NAMES = ("small", "medium", "large")\nTABLE = {b"k": 2, "nested": {"a": [1, 3]}}\n'
      b'LIMIT = COUNT * 8\n')
LICENSE = b"Use freely.\n"
REPO = "acme/widgets"
PACKAGE = "widgets"
SOURCES = ("pypi", "github", "git")


def cli(cwd: Path, *args: str) -> tuple[int, str, str]:
    """``dssync ARGS`` in this process, in ``cwd``: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(previous)
    return code, out.getvalue(), err.getvalue()


def entries(cache: Path) -> list[Path]:
    """The cache's entries (not its locks), in a stable order."""
    return sorted(p for p in cache.rglob("*")
                  if p.is_file() and not p.name.endswith(".lock")
                  and p.relative_to(cache).parts[0] != "locks")


@dataclass
class World:
    """Servers holding releases 1 and 2, and for each source a project synced at v1."""

    tmp: Path
    index: FakeIndex
    gh: FakeGitHub
    git_url: str = ""
    """A real repository with the same releases, read through a cached clone."""
    projects: dict[str, Path] = field(default_factory=dict)
    warm: dict[str, Path] = field(default_factory=dict)
    """A cache after ``vendor --tag v1`` and ``diff --tag v2``."""
    expected: dict[str, dict[str, bytes]] = field(default_factory=dict)
    """What ``update --tag v2`` writes with an empty cache: relative path -> bytes."""

    def configure(self, project: Path, source: str) -> None:
        project.mkdir(parents=True, exist_ok=True)
        spec = {"pypi": f"pypi:{PACKAGE}", "github": f"github:{REPO}",
                "git": f"git:{self.git_url}"}[source]
        (project / "dssync.toml").write_text(
            f'sources = ["{spec}"]\nlock = "dssync.lock"\n'
            f'index-url = "{self.index.url}"\n'
            f'github-api-url = "{self.gh.api_url}"\ngithub-raw-url = "{self.gh.raw_url}"\n'
            'license = { upstream = "LICENSE", vendored = "vendor/LICENSE" }\n'
            f'[[files]]\nvendored = "vendor/constants.py"\nupstream = "{PATH}"\n')

    def reset(self, source: str, where: Path) -> tuple[Path, Path]:
        """``copy``, made cheaply over an earlier copy: only what differs is written again."""
        project, cache = where / "project", where / "cache"
        if not project.exists():
            return self.copy(source, where)
        for origin, copy in ((self.projects[source], project), (self.warm[source], cache)):
            _mirror(origin, copy)
        return project, cache

    def copy(self, source: str, where: Path, *, warm: bool = True) -> tuple[Path, Path]:
        """A fresh copy of the project synced at v1, and of the warm (or an empty) cache."""
        project, cache = where / "project", where / "cache"
        for path in (project, cache):
            if path.exists():
                shutil.rmtree(path)
        shutil.copytree(self.projects[source], project, symlinks=True)
        if warm:
            shutil.copytree(self.warm[source], cache, symlinks=True)
        else:
            cache.mkdir()
        return project, cache


def _mirror(origin: Path, copy: Path) -> None:
    """Make the tree ``copy`` hold exactly the files of ``origin``."""
    wanted = {p.relative_to(origin): p for p in origin.rglob("*") if p.is_file()}
    parents = {parent for rel in wanted for parent in rel.parents}
    for path in sorted(copy.rglob("*"), reverse=True):  # the deepest first
        rel = path.relative_to(copy)
        if path.is_symlink() or not path.is_dir():
            if not (rel in wanted and path.is_file() and not path.is_symlink()):
                path.unlink()
        elif rel not in parents:
            shutil.rmtree(path)
    for rel, path in wanted.items():
        target = copy / rel
        data = path.read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def files_of(project: Path) -> dict[str, bytes]:
    return {p.relative_to(project).as_posix(): p.read_bytes()
            for p in sorted(project.rglob("*")) if p.is_file()}


def build_world(tmp: Path, index: FakeIndex, gh: FakeGitHub) -> World:
    for version, content in (("1", V1), ("2", V2)):
        index.add_file(PACKAGE, *make_sdist(PACKAGE, version, {PATH: content, "LICENSE": LICENSE}))
    gh.add_repo(REPO, {"v1": {PATH: V1, "LICENSE": LICENSE}, "v2": {PATH: V2, "LICENSE": LICENSE}})
    repo = make_repo(tmp / "upstream-git", [("v1", {PATH: V1, "LICENSE": LICENSE}),
                                            ("v2", {PATH: V2, "LICENSE": LICENSE})])
    allow_partial_clone(repo.path)
    world = World(tmp, index, gh, repo.url)
    for source in SOURCES:
        project, cache = tmp / source / "project", tmp / source / "cache"
        world.configure(project, source)
        assert cli(project, "vendor", "--tag", "v1", "--cache-dir", str(cache))[0] == 0
        world.projects[source] = tmp / source / "synced"
        shutil.copytree(project, world.projects[source])
        assert cli(project, "diff", "--tag", "v2", "--cache-dir", str(cache))[0] == 1
        world.warm[source] = cache
        fresh, empty = world.copy(source, tmp / source / "fresh", warm=False)
        code, _, err = cli(fresh, "update", "--tag", "v2", "--cache-dir", str(empty))
        assert code == 0 and err == "", err
        world.expected[source] = files_of(fresh)
        assert world.expected[source]["vendor/constants.py"] != V1
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with FakeIndex() as index, FakeGitHub() as gh:
        yield build_world(tmp_path_factory.mktemp("cache-integrity"), index, gh)


def _lock(project: Path) -> dict:
    return {e["vendored"]: e for e in json.loads((project / "dssync.lock").read_text())["files"]}


# --- finding 1: emptied or truncated members and blobs --------------------------------------


@pytest.mark.parametrize("source,namespace", [("pypi", "members"), ("github", "blobs")])
@pytest.mark.parametrize("damage", ["empty", "half"])
def test_damaged_upstream_files_in_the_cache_are_fetched_again(world, tmp_path, source,
                                                               namespace, damage):
    project, cache = world.copy(source, tmp_path)
    damaged = [p for p in entries(cache) if p.relative_to(cache).parts[0] == namespace]
    assert damaged
    for path in damaged:
        data = path.read_bytes()
        path.write_bytes(b"" if damage == "empty" else data[: len(data) // 2])
    code, out, err = cli(project, "update", "--tag", "v2", "--cache-dir", str(cache))
    assert (code, err) == (0, ""), err
    assert files_of(project) == world.expected[source]
    # The damaged entry the run needed (v2's file) was replaced by a whole one; the others
    # (v1's) wait, damaged, for a run that reads them.
    assert V2 in [unseal(p.read_bytes(), p.name) for p in damaged if p.exists()]
    entry = _lock(project)["vendor/constants.py"]
    assert entry["upstream_sha256"] == hashlib.sha256(V2).hexdigest()
    # status agrees, with this cache and with none.
    for args in (["--cache-dir", str(cache)], ["--no-cache"]):
        code, out, _ = cli(project, "status", *args)
        # (the LICENSE copy the lock records is checked too)
        assert code == 0 and "2 files: 2 match the lock" in out, out


def test_a_truncated_entry_does_not_blame_upstream_on_every_later_run(world, tmp_path):
    project, cache = world.copy("pypi", tmp_path)
    for path in entries(cache):
        if path.relative_to(cache).parts[0] == "members":
            path.write_bytes(path.read_bytes()[:-10])
    for _ in range(2):
        code, out, err = cli(project, "diff", "--tag", "v2", "--cache-dir", str(cache))
        assert code == 1 and "not valid Python" not in err and "LIMIT" in out, err


# --- finding 2: a damaged archive whose tag answer is fresh ----------------------------------


def test_a_damaged_archive_is_downloaded_again_although_its_tag_answer_is_fresh(world, tmp_path):
    project, cache = world.copy("pypi", tmp_path)
    served = next(f for f in world.index.projects[PACKAGE] if f.filename.endswith("-2.tar.gz"))
    archive = cache / "archives" / _slot(served.sha256)[:2] / _slot(served.sha256)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    before = world.index.hits[f"/files/{served.filename}"]
    # The license of v2 was never read: only the archive can give it.
    code, _, err = cli(project, "vendor", "--tag", "v2", "--cache-dir", str(cache))
    assert (code, err) == (0, ""), err
    assert (project / "vendor" / "LICENSE").read_bytes() == LICENSE
    assert (project / "vendor" / "constants.py").read_bytes() == V2
    assert world.index.hits[f"/files/{served.filename}"] == before + 1
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == served.sha256


# --- status -----------------------------------------------------------------------------------


def test_status_lists_local_edits_from_upstream_fetched_again_past_a_damaged_cache(world,
                                                                                   tmp_path):
    project, cache = world.copy("pypi", tmp_path)
    vendored = project / "vendor" / "constants.py"
    vendored.write_bytes(vendored.read_bytes().replace(b"COUNT = 3", b"COUNT = 30"))
    for path in entries(cache):  # every copy of upstream v1, and every parsed table
        if path.relative_to(cache).parts[0] in ("members", "tables", "archives"):
            path.write_bytes(b"\0" * path.stat().st_size)
    code, out, err = cli(project, "status", "--cache-dir", str(cache))
    assert code == 1, err
    assert "~ COUNT: 3 -> 30" in out, out
    assert "constants not compared" not in out, out
