"""Tree mappings (issue 18): a vendored directory mapped to an upstream directory, narrowed by
include/exclude globs; files appearing and disappearing upstream under it, in every command and
report format; the ``src/`` layout move followed.

Upstream ``gamma`` is a real git repository (and, for the package index, a loopback index with
the same releases as sdists):

- v1: ``gamma/a/constants.py``, ``gamma/b/constants.py``, ``gamma/b/helpers.py`` (not taken by
  the include glob), ``gamma/old/constants.py``, ``gamma/skip/constants.py`` (excluded);
- v2: ``a`` changed, ``old`` gone, ``c/constants.py`` new, ``helpers.py`` changed;
- v3: the same as v2, moved under ``src/``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from gitrepo import make_repo
from servers.index_server import FakeIndex, make_sdist
from test_cache_integrity import cli
from test_schemas import valid

from dssync._trees import glob_match
from dssync.config import load_config
from dssync.errors import ConfigError

A1, A2 = b"SIZE = 1\nNAME = 'a'\n", b"SIZE = 2\nNAME = 'a'\n"
B = b"RETRIES = 3\n"
OLD = b"LEGACY = True\n"
C = b"FRESH = 'new'\nLIMIT = 10\n"
SKIP = b"SKIPPED = 1\n"
V1 = {"gamma/a/constants.py": A1, "gamma/b/constants.py": B, "gamma/b/helpers.py": b"H = 1\n",
      "gamma/old/constants.py": OLD, "gamma/skip/constants.py": SKIP, "README": b"gamma\n"}
V2 = {**{k: v for k, v in V1.items() if k != "gamma/old/constants.py"},
      "gamma/a/constants.py": A2, "gamma/c/constants.py": C, "gamma/b/helpers.py": b"H = 2\n"}
V3 = {("src/" + k if k.startswith("gamma/") else k): v for k, v in V2.items()}

TREE = """\
[[trees]]
vendored = "third_party/gamma"
upstream = "gamma"
include = ["**/constants.py"]
exclude = ["skip/**"]
"""


def _steps(releases):
    previous: dict[str, bytes] = {}
    steps = []
    for tag, files in releases:
        step = {path: None for path in previous if path not in files}
        step.update(files)
        steps.append((tag, step))
        previous = files
    return steps


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trees")
    repo = make_repo(tmp / "gamma-git", _steps([("v1", V1), ("v2", V2), ("v3", V3)]))
    with FakeIndex() as index:
        for version, files in (("1", V1), ("2", V2), ("3", V3)):
            index.add_file("gamma", *make_sdist("gamma", version, files))
        yield {"git": repo.url, "index": index, "tmp": tmp}


def _project(world, where: Path, source: str, tree: str = TREE, extra: str = "") -> tuple[Path, list[str]]:
    root = where / "project"
    root.mkdir(parents=True)
    (root / "dssync.toml").write_text(
        f'sources = ["{source}"]\nindex-url = "{world["index"].url}"\n{extra}{tree}')
    return root, ["--cache-dir", str(where / "cache")]


@pytest.fixture(params=["git", "pypi"])
def synced(world, tmp_path, request):
    """A project whose tree was vendored at v1, from git or from the package index."""
    source = f"git:{world['git']}" if request.param == "git" else "pypi:gamma"
    root, cache = _project(world, tmp_path, source)
    code, out, err = cli(root, "vendor", "--tag", "v1", *cache)
    assert code == 0, err
    return root, cache


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / "third_party").rglob("*")
                  if p.is_file())


# --- globs and configuration -------------------------------------------------------------------


@pytest.mark.parametrize("path, glob, matches", [
    ("constants.py", "**/constants.py", True),
    ("a/b/constants.py", "**/constants.py", True),
    ("a/constants.pyc", "**/constants.py", False),
    ("a/b.py", "*.py", False),
    ("b.py", "*.py", True),
    ("skip/x/y.py", "skip/**", True),
    ("skipper/y.py", "skip/**", False),
    ("a/config.py", "a/c?nfig.py", True),
    ("a.b/c.py", "a.b/*.py", True),
])
def test_glob_semantics(path, glob, matches):
    assert glob_match(path, glob) is matches


def test_a_files_entry_inside_a_tree_overrides_it_for_its_file(tmp_path):
    (tmp_path / "dssync.toml").write_text(
        'package = "gamma"\n' + TREE + '[[files]]\nvendored = "third_party/gamma/a/constants.py"\n'
        'upstream = "gamma/a/constants.py"\npins = { SIZE = "ours" }\n')
    config = load_config(tmp_path / "dssync.toml")
    assert config.file_for("third_party/gamma/a/constants.py").pins == {"SIZE": "ours"}
    entry = config.file_for("third_party/gamma/b/constants.py")
    assert (entry.upstream, dict(entry.pins)) == ("gamma/b/constants.py", {})
    for outside in ("third_party/gamma/b/helpers.py", "third_party/gamma/skip/constants.py"):
        with pytest.raises(ConfigError, match="is not a configured vendored file"):
            config.file_for(outside)


@pytest.mark.parametrize("tree, fragment", [
    ('[[trees]]\nupstream = "gamma"\n', "trees[0].vendored: missing"),
    ('[[trees]]\nvendored = "v"\nupstream = "gamma"\ninclude = []\n', "trees[0].include: is empty"),
    ('[[trees]]\nvendored = "v"\nupstream = "gamma"\ninclude = ["../x"]\n',
     "trees[0].include[0]: '../x' may not hold '.' or '..' parts"),
    ('[[trees]]\nvendored = "v"\nupstream = "gamma"\nexclude = ["[ab]/*.py"]\n',
     "trees[0].exclude[0]: '[ab]/*.py' holds '[' or ']': tree globs have only *, ? and **"),
    ('[[trees]]\nvendored = "v"\nupstream = "gamma"\nexclude = "x"\n',
     "trees[0].exclude: expected an array of glob strings, got string"),
    ('[[trees]]\nvendored = "v"\nupstream = "gamma"\nglobs = []\n', "trees[0].globs: unknown key"),
    ('[[trees]]\nvendored = "v"\nupstream = "gamma"\n[[trees]]\nvendored = "v"\nupstream = "x"\n',
     "trees[1].vendored: v is already mapped in trees[0]"),
])
def test_a_bad_tree_is_one_line_naming_the_key(tmp_path, tree, fragment):
    (tmp_path / "dssync.toml").write_text('package = "gamma"\n' + tree)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "dssync.toml")
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_trees_of_two_upstreams_may_not_overlap(tmp_path):
    (tmp_path / "dssync.toml").write_text(
        '[[upstreams]]\nname = "one"\npackage = "one"\n[[upstreams.trees]]\nvendored = "v"\n'
        'upstream = "one"\n[[upstreams]]\nname = "two"\npackage = "two"\n[[upstreams.trees]]\n'
        'vendored = "v/two"\nupstream = "two"\n')
    with pytest.raises(ConfigError, match=r"the trees v \(one\) and v/two \(two\) overlap"):
        load_config(tmp_path / "dssync.toml")


# --- commands ----------------------------------------------------------------------------------


def test_vendor_writes_the_files_the_globs_take(synced):
    root, cache = synced
    assert _files(root) == ["third_party/gamma/a/constants.py", "third_party/gamma/b/constants.py",
                            "third_party/gamma/old/constants.py"]
    lock = json.loads((root / "dssync.lock").read_text())
    # One upstream, unnamed: named by its package, else by its repository.
    name = "gamma" if "pypi:gamma" in (root / "dssync.toml").read_text() else "gamma-git"
    assert [(f["vendored"], f["upstream"], f["upstream_name"]) for f in lock["files"]] == [
        ("third_party/gamma/a/constants.py", "gamma/a/constants.py", name),
        ("third_party/gamma/b/constants.py", "gamma/b/constants.py", name),
        ("third_party/gamma/old/constants.py", "gamma/old/constants.py", name)]
    code, out, err = cli(root, "status", *cache)
    assert code == 0 and out.endswith("3 files: 3 match the lock, 0 differ\n"), out + err


def test_diff_reports_a_file_appearing_and_one_disappearing(synced):
    root, cache = synced
    code, out, err = cli(root, "diff", "--tag", "v2", *cache)
    assert code == 1, err
    sections = out.split("\n\n")
    new = next(s for s in sections if s.startswith("third_party/gamma/c/constants.py vs"))
    assert "  new upstream under the tree, not vendored yet ('dssync update' writes it)" in new
    assert "    + FRESH = 'new'" in new and "    + LIMIT = 10" in new
    gone = next(s for s in sections if s.startswith("third_party/gamma/old/constants.py vs"))
    assert "gone since v2 (vendored from v1, the release before)" in gone
    assert "    - LEGACY = True" in gone
    assert "helpers" not in out and "skip" not in out
    assert out.rstrip().splitlines()[-1].startswith("3 of 4 files drifted:")


def test_every_format_says_a_file_appeared(synced):
    root, cache = synced
    runs = {fmt: cli(root, "diff", "--tag", "v2", "--format", fmt, *cache)
            for fmt in ("json", "markdown", "github", "sarif", "html")}
    assert all(code == 1 for code, _, _ in runs.values()), runs
    data = valid("drift", runs["json"][1])
    by_path = {f["vendored"]: f for f in data["files"]}
    assert by_path["third_party/gamma/c/constants.py"]["appeared"] is True
    assert "gone" in by_path["third_party/gamma/old/constants.py"]
    assert "appeared" not in by_path["third_party/gamma/a/constants.py"]
    assert "· **new upstream under the tree, not vendored yet" in runs["markdown"][1]
    assert "<strong>new upstream under the tree, not vendored yet" in runs["html"][1]
    sarif = json.loads(runs["sarif"][1])["runs"][0]
    [appeared] = [r for r in sarif["results"] if r["ruleId"] == "DSS009"]
    assert appeared["message"]["text"].startswith(
        "gamma/c/constants.py is new upstream at v2, under a vendored tree, with 2 constants: "
        "FRESH, LIMIT; 'dssync update' writes it to third_party/gamma/c/constants.py")
    assert "title=File added upstream%3A gamma/c/constants.py" in runs["github"][1]


def test_status_names_a_tree_file_deleted_here_missing(synced):
    root, cache = synced
    (root / "third_party/gamma/b/constants.py").unlink()
    code, out, err = cli(root, "status", *cache)
    assert code == 1, err
    assert "third_party/gamma/b/constants.py: missing (locked at v1 from" in out
    assert out.endswith("3 files: 2 match the lock, 1 differ\n")


def test_naming_files_leaves_out_what_appeared(synced):
    root, cache = synced
    code, out, err = cli(root, "diff", "--tag", "v2", "third_party/gamma/a/constants.py", *cache)
    assert code == 1, err
    assert "c/constants.py" not in out and out.rstrip().endswith(
        "1 of 1 file drifted: 0 added, 0 removed, 1 changed, 0 moved")


def test_a_tree_moved_under_src_is_followed(synced):
    root, cache = synced
    code, out, err = cli(root, "diff", "--tag", "v3", *cache)
    assert code == 1, err
    assert "third_party/gamma/a/constants.py vs src/gamma/a/constants.py" in out
    assert "third_party/gamma/c/constants.py vs src/gamma/c/constants.py" in out
    assert "~ SIZE: 1 -> 2" in out and "gone" in out.split("old/constants.py vs")[1]


def test_update_writes_what_appeared_and_keeps_what_disappeared(synced):
    root, cache = synced
    code, out, err = cli(root, "update", "--tag", "v2", *cache)
    assert code == 1, err  # the file gone upstream is left for the user
    lines = out.splitlines()
    assert "added: third_party/gamma/c/constants.py (new upstream at v2 under the tree)" in lines
    assert ("third_party/gamma/old/constants.py: kept, though gamma/old/constants.py is gone "
            "upstream at v2 (vendored from v1) (delete it, or rerun with --prune; the lock keeps "
            "its entry until then)") in lines
    assert lines[-1] == "updated: dssync.lock"
    assert (root / "third_party/gamma/c/constants.py").read_bytes() == C
    assert (root / "third_party/gamma/a/constants.py").read_bytes() == A2
    assert (root / "third_party/gamma/old/constants.py").read_bytes() == OLD
    locked = {f["vendored"]: f["tag"] for f in json.loads((root / "dssync.lock").read_text())["files"]}
    assert locked == {"third_party/gamma/a/constants.py": "v2",
                      "third_party/gamma/b/constants.py": "v2",
                      "third_party/gamma/c/constants.py": "v2",
                      "third_party/gamma/old/constants.py": "v1"}
    code, out, err = cli(root, "update", "--tag", "v2", "--prune", *cache)
    assert code == 0, out + err
    assert ("deleted: third_party/gamma/old/constants.py (gamma/old/constants.py is gone upstream "
            "at v2 (vendored from v1); --prune)") in out.splitlines()
    assert not (root / "third_party/gamma/old/constants.py").exists()
    locked = {f["vendored"] for f in json.loads((root / "dssync.lock").read_text())["files"]}
    assert "third_party/gamma/old/constants.py" not in locked
    code, out, err = cli(root, "status", *cache)
    assert code == 0, out + err
    code, out, err = cli(root, "diff", "--tag", "v2", *cache)
    assert code == 0 and out.rstrip().endswith("no drift in 3 files: 0 added, 0 removed, "
                                                "0 changed, 0 moved"), out + err


def test_update_dry_run_shows_the_new_file_and_changes_nothing(synced):
    root, cache = synced
    before = {p: (root / p).read_bytes() for p in _files(root)}
    code, out, err = cli(root, "update", "--tag", "v2", "--dry-run", *cache)
    assert code == 1
    assert "+++ b/third_party/gamma/c/constants.py" in out and "+FRESH = 'new'" in out
    assert "dssync: third_party/gamma/old/constants.py: would be kept, though" in err
    assert {p: (root / p).read_bytes() for p in _files(root)} == before
    code, out, err = cli(root, "update", "--tag", "v2", "--dry-run", "--prune", *cache)
    assert "dssync: would be deleted: third_party/gamma/old/constants.py (" in err
    assert {p: (root / p).read_bytes() for p in _files(root)} == before


def test_a_tree_whose_upstream_directory_is_gone_reports_its_files_gone(world, tmp_path):
    tree = TREE.replace('upstream = "gamma"', 'upstream = "gamma/old"').replace(
        'vendored = "third_party/gamma"', 'vendored = "third_party/old"')
    root, cache = _project(world, tmp_path, f"git:{world['git']}", tree)
    assert cli(root, "vendor", "--tag", "v1", *cache)[0] == 0
    assert _files(root) == ["third_party/old/constants.py"]
    code, out, err = cli(root, "diff", "--tag", "v2", *cache)
    assert code == 1, err
    assert "third_party/old/constants.py vs gamma/old/constants.py" in out
    assert "gone since v2" in out and "    - LEGACY = True" in out


def test_a_tree_whose_directory_is_not_there_is_a_configuration_error(synced):
    # A typo in ``vendored`` would otherwise make every command check nothing of the tree.
    root, cache = synced
    shutil.rmtree(root / "third_party")
    for command in (["diff", "--tag", "v1"], ["status"], ["update", "--tag", "v2"]):
        code, out, err = cli(root, *command, *cache)
        assert (code, out) == (2, ""), (command, out, err)
        [line] = err.splitlines()
        assert line.startswith("dssync: dssync.toml: the tree's vendored directory "
                               "third_party/gamma does not exist; correct its vendored path"), line
    # vendor is how a tree comes to be: it creates the directory.
    code, _, err = cli(root, "vendor", "--tag", "v1", *cache)
    assert code == 0, err
    assert len(_files(root)) == 3


def test_a_lock_entry_nothing_configured_claims_is_reported(synced):
    root, cache = synced
    config = root / "dssync.toml"
    config.write_text(config.read_text().replace('"third_party/gamma"', '"third_party/gamma/a"'))
    code, out, err = cli(root, "status", *cache)
    assert code == 1, err
    assert ("third_party/gamma/b/constants.py: in the lock, but no configured file, tree or "
            "LICENSE copy claims it") in out
    code, out, err = cli(root, "status", "--format", "json", *cache)
    assert code == 1, err
    doc = valid("status", out)
    states = {f["vendored"]: f["state"] for f in doc["files"]}
    assert states["third_party/gamma/b/constants.py"] == "not-configured"
    assert doc["clean"] is False


def test_a_file_entry_moved_under_src_is_followed_without_a_tree(world, tmp_path):
    files = ('[[files]]\nvendored = "v/a.py"\nupstream = "gamma/a/constants.py"\n'
             '[[files]]\nvendored = "v/old.py"\nupstream = "gamma/old/constants.py"\n')
    root, cache = _project(world, tmp_path, f"git:{world['git']}", tree=files)
    (root / "v").mkdir()
    (root / "v/old.py").write_bytes(OLD)
    (root / "v/a.py").write_bytes(A1)
    code, out, err = cli(root, "diff", "--tag", "v3", *cache)
    assert code == 1, err
    assert "v/a.py vs src/gamma/a/constants.py" in out and "~ SIZE: 1 -> 2" in out
    assert "v/old.py vs gamma/old/constants.py" in out and "gone at v3" in out
    code, out, err = cli(root, "update", "--tag", "v3", "v/a.py", *cache)
    assert code == 0, err
    assert (root / "v/a.py").read_bytes() == A2
    lock = json.loads((root / "dssync.lock").read_text())
    assert [(f["vendored"], f["upstream"], f["tag"]) for f in lock["files"]] == [
        ("v/a.py", "src/gamma/a/constants.py", "v3")]


def test_an_unreadable_directory_in_a_tree_is_said_never_skipped():
    from test_init import as_a_user

    top = Path(tempfile.mkdtemp(prefix="dssync-trees-"))
    top.chmod(0o755)
    root = top / "app"
    try:
        for path, content in (("third_party/gamma/a/constants.py", A1),
                              ("third_party/gamma/b/constants.py", B)):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(content)
        (root / "dssync.toml").write_text('sources = ["pypi:gamma"]\n' + TREE)
        (root / "third_party/gamma/b").chmod(0)
        proc = as_a_user(root, "status")
        assert (proc.returncode, proc.stdout) == (2, ""), proc.stderr
        assert proc.stderr == ("dssync: third_party/gamma/b: permission denied; make it readable "
                               "(its files are part of a configured tree)\n")
    finally:
        for directory, _, _ in os.walk(top):
            os.chmod(directory, 0o755)
        shutil.rmtree(top)
