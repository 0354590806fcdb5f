"""Problems a user can fix are one line naming the file and what to do, never "internal error"
(issue 15, finding 7); a source that fails hands over to the next.

Each case was "internal error ... please report it" before: an index page of 200,000 ``[``
(and the next source was never tried), a lock file of nested brackets, a deeply nested TOML
configuration, ``vendor`` onto a path that is a directory, a cache directory replaced by a
file, ``dssync vendor`` without ``--tag``. The CLI runs in process (``test_cache_integrity``'s
world: a loopback package index and GitHub, a project synced at v1).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from servers.github_server import FakeGitHub
from servers.index_server import JSON_TYPE, FakeIndex
from test_cache_integrity import PACKAGE, REPO, build_world, cli


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with FakeIndex() as index, FakeGitHub() as gh:
        yield build_world(tmp_path_factory.mktemp("user-errors"), index, gh)


def _one_line(code: int, err: str, *words: str) -> str:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dssync: "), err
    assert "internal error" not in err and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def project(world, tmp_path):
    project, cache = world.copy("pypi", tmp_path)
    return project, ["--cache-dir", str(cache)]


def _sources(project: Path, *sources: str) -> None:
    toml = project / "dssync.toml"
    text = toml.read_text()
    start = text.index("sources = ")
    end = text.index("\n", start)
    toml.write_text(text[:start] + "sources = " + json.dumps(list(sources)) + text[end:])


# --- a source that cannot be parsed hands over ---------------------------------------------------


def test_an_index_page_nested_too_deeply_hands_over_to_the_next_source(world, project):
    root, cache = project
    _sources(root, f"pypi:{PACKAGE}", f"github:{REPO}")
    shutil.rmtree(cache[1])  # nothing cached: the index must be asked
    world.index.page = (b"[" * 200_000, JSON_TYPE)
    try:
        code, out, err = cli(root, "diff", "--tag", "v2", *cache)
        assert code == 1 and "LIMIT" in out, err
        [line] = err.splitlines()
        assert "nested too deeply" in line and f"trying github:{REPO}" in line, line
        _sources(root, f"pypi:{PACKAGE}")
        code, _, err = cli(root, "diff", "--tag", "v2", *cache)
        _one_line(code, err, "nested too deeply", "index")
    finally:
        world.index.page = None


def test_a_github_answer_nested_too_deeply_hands_over_to_the_next_source(world, project):
    root, cache = project
    _sources(root, f"github:{REPO}", f"pypi:{PACKAGE}")
    shutil.rmtree(cache[1])
    world.gh.repos[REPO].tags["v2"] = ("commit", "0" * 40)  # answers below are replaced
    original = world.gh.answer_api

    def deep(path, query, headers):
        return 200, [("Content-Type", "application/json")], b"[" * 200_000

    world.gh.answer_api = deep
    try:
        code, out, err = cli(root, "diff", "--tag", "v2", *cache)
    finally:
        world.gh.answer_api = original
        world.gh.repos[REPO].tags["v2"] = ("commit", world.gh.repos[REPO].commit_of["v2"])
    assert code == 1 and "LIMIT" in out, err
    [line] = err.splitlines()
    assert "nested too deeply" in line and f"trying pypi:{PACKAGE}" in line, line


def test_content_one_source_serves_wrong_is_refused_and_the_next_source_answers(world, project):
    """An sdist that does not match the sha256 its index announced stopped the run although
    GitHub, configured next, could answer: the index is named as failing, GitHub answers."""
    root, cache = project
    _sources(root, f"pypi:{PACKAGE}", f"github:{REPO}")
    shutil.rmtree(cache[1])
    served = next(f for f in world.index.projects[PACKAGE] if f.filename.endswith("-2.tar.gz"))
    served.announced_sha256 = "0" * 64
    try:
        code, out, err = cli(root, "diff", "--tag", "v2", *cache)
        assert code == 1 and "LIMIT" in out, err
        [line] = err.splitlines()
        assert "does not match the sha256" in line and f"trying github:{REPO}" in line, line
        _sources(root, f"pypi:{PACKAGE}")  # alone, it fails in its own words
        code, _, err = cli(root, "diff", "--tag", "v2", *cache)
        _one_line(code, err, "does not match the sha256 the index announced")
    finally:
        served.announced_sha256 = None


# --- files of the project -----------------------------------------------------------------------


@pytest.mark.parametrize("command", [["status"], ["update", "--tag", "v2"],
                                     ["vendor", "--tag", "v2"]])
def test_a_lock_file_of_nested_brackets(project, command):
    root, cache = project
    (root / "dssync.lock").write_text("[" * 200_000)
    code, _, err = cli(root, *command, *cache)
    _one_line(code, err, "dssync.lock", "nests too deeply", "restore it")


@pytest.mark.parametrize("command", [["status"], ["diff", "--tag", "v2"]])
def test_a_deeply_nested_toml_configuration(project, command):
    root, cache = project
    with (root / "dssync.toml").open("a") as toml:
        toml.write("deep = " + "[" * 100_000 + "]" * 100_000 + "\n")
    code, _, err = cli(root, *command, *cache)
    _one_line(code, err, "dssync.toml", "nests too deeply")


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_vendor_onto_a_directory(project, force):
    root, cache = project
    target = root / "vendor" / "constants.py"
    target.unlink()
    target.mkdir()
    code, _, err = cli(root, "vendor", "--tag", "v2", *force, *cache)
    _one_line(code, err, "vendor/constants.py", "directory")
    code, _, err = cli(root, "update", "--tag", "v2", *cache)
    _one_line(code, err, "vendor/constants.py", "directory")
    assert target.is_dir() and not any(target.iterdir())


def test_vendor_where_a_file_stands_for_a_directory(project):
    root, cache = project
    shutil.rmtree(root / "vendor")
    (root / "vendor").write_text("not a directory\n")
    for force in ([], ["--force"]):
        code, _, err = cli(root, "vendor", "--tag", "v2", *force, *cache)
        _one_line(code, err, "vendor")


@pytest.mark.parametrize("where", ["root", "locks", "members", "http"])
@pytest.mark.parametrize("command", [["diff", "--tag", "v2"], ["update", "--tag", "v2"],
                                     ["vendor", "--tag", "v2", "--force"], ["status"]])
def test_a_cache_directory_replaced_by_a_file(project, where, command):
    root, cache = project
    cache_dir = Path(cache[1])
    blocked = cache_dir if where == "root" else cache_dir / where
    if blocked.exists():
        shutil.rmtree(blocked)
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("not a directory\n")
    if command == ["status"]:  # an edited file, so that status reads upstream
        (root / "vendor" / "constants.py").write_bytes(b"COUNT = 30\n")
    code, out, err = cli(root, *command, *cache)
    assert "internal error" not in err and "Traceback" not in err, err
    if code == 2:
        line = _one_line(code, err)
        assert str(blocked) in line, line
        if where == "root":  # the user's file, not the cache's: not to be removed
            assert "remove it" not in line and "choose another --cache-dir" in line, line
        else:  # inside the cache, dssync's own: removing it is safe
            assert "remove it (the cache rebuilds itself)" in line, line
    else:
        assert err == "", err  # nothing needed the blocked directory


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_cache_dir_that_is_not_dssyncs_is_not_to_be_removed(project, monkeypatch, tmp_path, how):
    """`--cache-dir /etc/passwd` was told "remove it (the cache rebuilds itself)"."""
    root, _ = project
    theirs = tmp_path / "passwd"
    theirs.write_text("root:x:0:0::/root:/bin/sh\n")
    for where in (theirs, theirs / "below"):
        if how == "option":
            argv = ["diff", "--tag", "v2", "--cache-dir", str(where)]
        else:
            monkeypatch.setenv("DSSYNC_CACHE_DIR", str(where))
            argv = ["diff", "--tag", "v2"]
        code, out, err = cli(root, *argv)
        line = _one_line(code, err, str(theirs), "is not a directory",
                         "choose another --cache-dir (or DSSYNC_CACHE_DIR), or pass --no-cache")
        assert "remove it" not in line and out == ""
    assert theirs.read_text() == "root:x:0:0::/root:/bin/sh\n"


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["vendor", "impact"])
def test_a_command_that_reads_upstream_without_a_tag(project, command):
    root, cache = project
    code, _, err = cli(root, command, *cache)
    _one_line(code, err, "--tag")


# --- every source fails: the run's last word is its one line ------------------------------------


@pytest.mark.parametrize("command", [["diff", "--tag", "v99"], ["history", "--since", "v99"]])
def test_when_no_source_has_the_tag_the_error_is_one_line_naming_what_could_not_answer(
        world, project, command):
    """The hand-over line ("pypi:x does not have it (...); trying ...") repeated the error that
    ended the run: said only with -v, or once a later source answers."""
    root, cache = project
    _sources(root, f"pypi:{PACKAGE}", f"github:{REPO}")
    toml = root / "dssync.toml"
    # GitHub cannot be reached: nothing listens on the discard port.
    toml.write_text(toml.read_text().replace(world.gh.api_url, "http://127.0.0.1:9"))
    code, out, err = cli(root, *command, *cache)
    line = _one_line(code, err, "99", f"github:{REPO} could not answer")
    assert "trying" not in line and out == ""
    code, _, err = cli(root, *command, *cache, "-v")
    assert code == 2
    assert any(f"trying github:{REPO}" in row or "trying the next source" in row
               for row in err.splitlines()), err
    assert err.splitlines()[-1] == line


def test_when_both_sources_lack_the_tag_the_error_is_one_line(world, project):
    root, cache = project
    _sources(root, f"pypi:{PACKAGE}", f"github:{REPO}")
    code, _, err = cli(root, "diff", "--tag", "v99", *cache)
    line = _one_line(code, err, "99")
    assert "could not answer" not in line and "trying" not in line
