"""dssync identify: the upstream release a vendored copy matches, by constant-level distance."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import make_repo

from dssync import cli
from dssync._analyses.identify import Score, best_match, combine_scores, score_tags
from dssync._analyses.walk import walk
from dssync._extract.extract import extract_table
from dssync._source.git import GitSource
from dssync._source.interface import SourceContext
from dssync.cache import Cache
from tests.test_schemas import valid

CONST = "lib/constants.py"
OTHER = "lib/other.py"

HISTORY = [
    ("v1.0.0", {CONST: b"A = 1\nB = 'b'\n", OTHER: b"X = 1\n"}),
    ("v1.1.0", {CONST: b"A = 1\nB = 'b'\nC = (1,)\n"}),
    ("v1.2.0", {CONST: b"A = 2\nB = 'b'\nC = (1, 2)\n", OTHER: b"X = 2\n"}),
    # The same constants, written differently: still the same release as far as values go.
    ("v1.3.0", {CONST: b"# tidied\nA = 2\nB = \"b\"\nC = (\n    1,\n    2,\n)\n"}),
    ("v1.4.0", {CONST: b"A = 2\nB = 'b'\nC = (1, 2)\n"}),
    (None, {"README": b"between releases\n"}),
    ("v1.5.0", {CONST: b"A = 2\nB = 'bb'\nC = (1, 2)\nD = 4\n", OTHER: b"X = 2\nY = 3\n"}),
    ("v1.6.0", {CONST: None}),
    ("v1.7.0", {CONST: b"A = 1\nB = 'b'\n"}),
    ("v1.8.0", {CONST: b"A = (\n"}),
    ("v1.9.0rc1", {CONST: b"A = 2\nB = 'b'\nC = (1, 2)\n"}),
    ("v1.9.0", {CONST: b"A = 2\nB = 'b'\nC = (1, 2)\nE = 5\n"}),
    ("v1.10.0", {CONST: b"A = 2\nB = 'b'\nC = (1, 2)\nE = 5\nF = 6\n"}),
]
TAGS = ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0", "v1.5.0", "v1.6.0", "v1.7.0",
        "v1.8.0", "v1.9.0", "v1.10.0"]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    return make_repo(tmp_path_factory.mktemp("identify") / "up", HISTORY)


def scores_for(repo: Path, vendored: bytes, pins=None):
    with GitSource(str(repo), SourceContext(cache=Cache(None))) as source:
        walked = walk([source], [CONST], tag_format="v{version}")
    assert walked.tags == TAGS
    return score_tags(extract_table(vendored, "vendored.py"), walked.snapshots[CONST],
                      walked.tags, pins)


def identify(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(["identify", *argv, "--no-cache"])
    out, err = capsys.readouterr()
    return code, out, err


def test_exact_match_over_a_range_of_releases(upstream):
    # Formatted unlike any release: identity is by constants, not bytes.
    scores, skipped = scores_for(upstream.path, b"A = 2  # ours\nB = 'b'\nC = 1, 2\n")
    match = best_match(scores, skipped)
    assert match.exact and match.best == 0
    assert match.ranges == [("v1.2.0", "v1.4.0")]
    assert match.tags == ["v1.2.0", "v1.3.0", "v1.4.0"]
    assert skipped == ["v1.6.0", "v1.8.0"]  # absent, and not parseable
    by_tag = {s.tag: s for s in scores}
    assert by_tag["v1.0.0"] == Score("v1.0.0", 2, added=0, removed=1, changed=1)
    assert by_tag["v1.1.0"] == Score("v1.1.0", 2, added=0, removed=0, changed=2)
    assert by_tag["v1.5.0"] == Score("v1.5.0", 2, added=1, removed=0, changed=1)
    assert by_tag["v1.10.0"] == Score("v1.10.0", 2, added=2, removed=0, changed=0)


def test_tied_releases_that_are_not_consecutive_are_separate_ranges(upstream):
    match = best_match(*scores_for(upstream.path, b"A = 1\nB = 'b'\n"))
    assert match.exact
    assert match.ranges == [("v1.0.0", "v1.0.0"), ("v1.7.0", "v1.7.0")]


def test_closest_match_with_its_distance(upstream):
    match = best_match(*scores_for(upstream.path, b"A = 2\nB = 'b'\nC = (1, 2)\nE = 5\nLOCAL = 1\n"))
    assert not match.exact and match.best == 1
    assert match.ranges == [("v1.9.0", "v1.9.0")]
    best = [s for s in match.scores if s.distance == 1]
    assert best == [Score("v1.9.0", 1, added=0, removed=1, changed=0)]


def test_pinned_constants_do_not_count(upstream):
    vendored = b"A = 99\nB = 'b'\nC = (1, 2)\n"
    assert best_match(*scores_for(upstream.path, vendored)).best == 1
    match = best_match(*scores_for(upstream.path, vendored, pins={"A": "kept local on purpose"}))
    assert match.exact and match.ranges == [("v1.2.0", "v1.4.0")]


def test_combined_scores_cover_tags_every_file_has():
    a = ([Score("t1", 0), Score("t2", 1), Score("t3", 2)], [])
    b = ([Score("t1", 3, added=3), Score("t3", 0)], ["t2"])
    scores, skipped = combine_scores([a, b], ["t1", "t2", "t3"])
    assert scores == [Score("t1", 3, added=3), Score("t3", 2)]
    assert skipped == ["t2"]
    match = best_match(scores, skipped)
    assert match.ranges == [("t3", "t3")] and match.best == 2
    assert best_match([], ["t1"]) is None


def test_cli_without_configuration(upstream, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "legacy_constants.py"
    copy.write_bytes(b"A = 2\nB = 'b'\nC = (1, 2)\n")
    base = [str(copy), "--source", f"git:{upstream.path}", "--upstream-path", CONST]
    code, out, err = identify(base, capsys)
    assert code == 0, err
    assert out == (
        f"upstream git:{upstream.path}: 11 release tags, v1.0.0 .. v1.10.0\n"
        "\n"
        f"{copy} vs upstream {CONST}\n"
        "  exact match: v1.2.0 .. v1.4.0 (distance 0)\n"
        "  next: v1.9.0 (distance 1: 1 added); v1.0.0 (distance 2: 1 removed, 1 changed); "
        "v1.1.0 (distance 2: 2 changed)\n"
        "  not compared (file absent or unreadable): v1.6.0, v1.8.0\n"
    )
    copy.write_bytes(b"A = 2\nB = 'b'\nC = (1, 2)\nE = 5\nLOCAL = 1\n")
    code, out, _ = identify(base + ["--format", "json"], capsys)
    assert code == 1  # only a closest match
    data = valid("identify", out)
    assert data["schema"] == "dssync.identify/1"
    match = data["files"][0]["match"]
    assert (match["distance"], match["exact"], match["ranges"]) == (1, False, [["v1.9.0", "v1.9.0"]])
    assert len(match["scores"]) == 9 and match["skipped"] == ["v1.6.0", "v1.8.0"]
    code, out, _ = identify(base + ["--since", "1.3", "--until", "v1.5.0"], capsys)
    assert "3 release tags, v1.3.0 .. v1.5.0" in out
    assert "closest: v1.3.0 .. v1.4.0 (distance 2: 2 removed)" in out


def test_cli_with_configuration_scores_files_together(upstream, tmp_path, capsys, monkeypatch):
    project = tmp_path / "project"
    (project / "v").mkdir(parents=True)
    (project / "dssync.toml").write_text(
        f'sources = ["git:{upstream.path}"]\n'
        '[[files]]\nvendored = "v/constants.py"\nupstream = "lib/constants.py"\n'
        '[[files]]\nvendored = "v/other.py"\nupstream = "lib/other.py"\n'
        'pins = { Z = "ours" }\n')
    (project / "v" / "constants.py").write_bytes(b"A = 2\nB = 'b'\nC = (1, 2)\n")
    (project / "v" / "other.py").write_bytes(b"X = 2\nZ = 0\n")
    monkeypatch.chdir(project)
    code, out, err = identify([], capsys)
    assert code == 0, err
    assert "v/constants.py vs upstream lib/constants.py\n  exact match: v1.2.0 .. v1.4.0" in out
    # other.py has X = 2 from v1.2.0 on, Y from v1.5.0: exact at v1.2.0 .. v1.4.0 as well.
    assert "v/other.py vs upstream lib/other.py\n  exact match: v1.2.0 .. v1.4.0" in out
    assert out.endswith("all 2 files together\n"
                        "  exact match: v1.2.0 .. v1.4.0 (distance 0)\n"
                        "  next: v1.9.0 (distance 2: 2 added); "
                        "v1.0.0 (distance 3: 1 removed, 2 changed); "
                        "v1.1.0 (distance 3: 3 changed)\n"
                        "  not compared (file absent or unreadable): v1.6.0, v1.8.0\n")
    code, out, err = identify(["--file", "v/other.py"], capsys)
    assert code == 0 and "lib/constants.py" not in out and "all 2 files" not in out
    # A legacy copy compared with a configured file's upstream path.
    legacy = project / "old.py"
    legacy.write_bytes(b"A = 1\nB = 'b'\nC = (1,)\n")
    code, out, err = identify([str(legacy), "--file", "v/constants.py"], capsys)
    assert code == 0 and "exact match: v1.1.0 (distance 0)" in out


def test_cli_errors(upstream, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = identify(["--source", f"git:{upstream.path}", "--upstream-path", CONST],
                              capsys)
    assert code == 2 and "--upstream-path needs the vendored file to identify" in err
    code, out, err = identify(["missing.py", "--source", f"git:{upstream.path}",
                               "--upstream-path", CONST], capsys)
    assert code == 2 and err == "dssync: missing.py: no such file; check the path\n"
    code, out, err = identify([], capsys)
    assert code == 2 and "no [tool.dssync] configuration" in err


@pytest.mark.network
def test_real_flexllmgen_copy_is_deepspeed_0_7_6_to_0_7_7(tmp_path, capsys):
    vendored = Path(__file__).resolve().parents[1] / "vendored/deepspeed/runtime/constants.py"
    code = cli.main(["identify", str(vendored), "--source", "pypi:deepspeed", "--upstream-path",
                     "deepspeed/runtime/constants.py", "--since", "0.7.5", "--until", "0.8.0",
                     "--cache-dir", str(tmp_path / "cache")])
    out, err = capsys.readouterr()
    if code == 2 and ("could not answer" in err or "cannot be reached" in err):
        pytest.skip(f"the package index cannot be reached: {err.strip()}")
    assert code == 0, err
    assert "exact match: v0.7.6 .. v0.7.7 (distance 0)" in out


MOVED = [
    ("v2.0.0", {"reqs/__version__.py": b"__version__ = '2.0.0'\nTITLE = 'reqs'\n"}),
    ("v2.1.0", {"reqs/__version__.py": b"__version__ = '2.1.0'\nTITLE = 'reqs'\n"}),
    # The project moves to the src layout: the same file, one directory down.
    ("v2.2.0", {"reqs/__version__.py": None,
                "src/reqs/__version__.py": b"__version__ = '2.2.0'\nTITLE = 'reqs'\n"}),
    ("v2.3.0", {"src/reqs/__version__.py": b"__version__ = '2.3.0'\nTITLE = 'reqs'\n"}),
]


def test_identify_follows_a_file_moved_under_src(tmp_path, capsys, monkeypatch):
    repo = make_repo(tmp_path / "moved", MOVED)
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "__version__.py"
    for version in ("2.1.0", "2.3.0"):
        copy.write_bytes(f"__version__ = '{version}'\nTITLE = 'reqs'\n".encode())
        # Configured as the copy knew it (flat), and as later releases have it (src/).
        for asked in ("reqs/__version__.py", "src/reqs/__version__.py"):
            code, out, err = identify([str(copy), "--source", f"git:{repo.path}",
                                       "--upstream-path", asked, "--format", "json"], capsys)
            assert code == 0, err
            match = valid("identify", out)["files"][0]["match"]
            assert match["ranges"] == [[f"v{version}", f"v{version}"]]
            assert match["skipped"] == [] and len(match["scores"]) == 4


def test_identify_follows_the_move_in_sdists_on_the_package_index(tmp_path, capsys, monkeypatch):
    from tests.servers.index_server import FakeIndex

    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "__version__.py"
    copy.write_bytes(b"__version__ = '2.0.0'\nTITLE = 'reqs'\n")
    with FakeIndex() as index:
        for tag, files in MOVED:
            tree: dict[str, bytes] = {}
            for _, earlier in MOVED[:MOVED.index((tag, files)) + 1]:
                tree.update(earlier)  # type: ignore[arg-type]
            index.add_sdist("reqs", tag[1:], {p: c for p, c in tree.items() if c is not None})
        code, out, err = identify([str(copy), "--source", "pypi:reqs", "--index-url", index.url,
                                   "--upstream-path", "src/reqs/__version__.py"], capsys)
    assert code == 0, err
    assert "exact match: v2.0.0 (distance 0)" in out
    assert "not compared" not in out
