"""Issue 16's report and command-line defects, each by the test that failed before its fix.

Real commands (``dssync.cli.main``) on the project of ``test_schemas``: a real git upstream with
a constant moved between files, a class renamed, a pin, a file gone upstream and a LICENSE copy.
"""

from __future__ import annotations

import json

import pytest

from dssync._report import html, markdown, text
from dssync.models import Added, DriftReport, FileDrift, Origin

try:
    from test_schemas import Project, project, upstream  # noqa: F401  (fixtures)
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.test_schemas import Project, project, upstream  # noqa: F401


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


# -- a moved constant is drift, in every format -------------------------------------------------


def test_a_move_is_reported_in_both_files_not_as_no_drift(project: Project):
    code, out, err = project.run("diff", "--tag", "v2", "v/a.py", "v/b.py")
    assert code == 1, err
    a, b = out.split("\n\n")[:2]
    assert "no drift" not in a and "no drift" not in b
    assert ("  moved (1)\n    > MOVING = 'moving'  (line 2) moved upstream to pkg/b.py (vendored as "
            "v/b.py, upstream line 3)  # moved here\n") in a
    assert ("  moved (1)\n    > MOVING = 'moving'  (upstream line 3, goes after line 1) moved upstream "
            "from pkg/a.py (vendored as v/a.py, line 2)  # moved here") in b
    assert "note: MOVING" not in out
    assert out.rstrip().endswith("2 of 2 files drifted: 1 added, 1 removed, 1 changed, 1 moved, "
                                 "1 class renamed, 1 pinned")


@pytest.mark.parametrize("fmt, expected", [
    ("markdown", "### Moved upstream (1)"),
    ("html", 'data-kind="moved" data-name="MOVING"'),
    ("github", "title=Constant moved upstream%3A MOVING::MOVING"),
])
def test_a_move_in_markdown_html_and_annotations(project: Project, fmt, expected):
    code, out, err = project.run("diff", "--tag", "v2", "--format", fmt)
    assert code == 1, err
    assert expected in out


def test_a_move_is_one_sarif_result_at_the_constant_in_the_file_it_left(project: Project):
    code, out, _ = project.run("diff", "--tag", "v2", "--format", "sarif")
    assert code == 1
    results = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "DSS008"]
    assert len(results) == 1
    location = results[0]["locations"][0]["physicalLocation"]
    assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == ("v/a.py", 2)
    assert results[0]["properties"]["movedTo"] == "v/b.py"


# -- summaries and the archive line --------------------------------------------------------------


def test_the_summary_says_how_many_files_drifted():
    report = DriftReport(files=[FileDrift("a.py", "a.py", added=[Added("X", "1", 1, "1")]),
                                *(FileDrift(f"{n}.py", f"{n}.py") for n in "bcdef")])
    assert text.summary_line(report) == "1 of 6 files drifted: 1 added, 0 removed, 0 changed, 0 moved"


def test_the_archive_and_its_sha256_are_named_once_not_per_file():
    def origin(path: str) -> Origin:
        return Origin("pypi:pkg", "v2", path, "ab" * 32, archive="pkg-2.tar.gz", archive_sha256="cd" * 32)

    report = DriftReport(files=[FileDrift(f"v/{n}.py", f"pkg/{n}.py", origin=origin(f"pkg/{n}.py"))
                                for n in "abc"], tag="v2")
    out = text.render(report)
    assert out.count("sha256:" + "cd" * 32) == 1
    assert "upstream files from: pypi:pkg at v2, pkg-2.tar.gz sha256:" + "cd" * 32 in out
    assert out.count("  upstream: from the archive above") == 3
    for page in (markdown.render(report), html.render(report)):
        assert page.count("sha256:" + "cd" * 32) == 1 and page.count("from the archive above") == 3
    # Files from different archives (or commits) each keep their own line.
    report.files[2] = FileDrift("v/c.py", "pkg/c.py", origin=Origin("pypi:pkg", "v2", "pkg/c.py",
                                                                    "ab" * 32, commit="f" * 40))
    assert "from the archive above" not in text.render(report)


# -- --write-reports writes where it is told and says so -----------------------------------------


def test_write_reports_with_output_dir_writes_only_there_and_says_where(project: Project, tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    code, _, err = project.run("diff", "--tag", "v2", "--write-reports", "--output", str(target))
    assert code == 1
    assert sorted(p.name for p in target.iterdir()) == [
        "drift-v2.html", "drift-v2.json", "drift-v2.md", "drift-v2.sarif"]
    assert not (project.root / "reports").exists()
    assert err.splitlines()[-1] == (f"dssync: wrote drift-v2.md, drift-v2.json, drift-v2.sarif, "
                                    f"drift-v2.html to {target}/")


def test_write_reports_says_where(project: Project):
    code, _, err = project.run("diff", "--tag", "v2", "--write-reports")
    assert code == 1 and (project.root / "reports" / "drift-v2.md").is_file()
    assert err.splitlines()[-1].endswith(" to reports/")


# -- options are validated, or not accepted ------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "-1", "two"])
def test_tags_limit_must_be_a_positive_number(project: Project, limit):
    with pytest.raises(SystemExit) as exit_:
        project.run("tags", "--limit", limit)
    assert exit_.value.code == 2
    line = one_line(project.capsys.readouterr().err)
    assert line.startswith("dssync tags: error: argument --limit: ") and repr(limit) in line
    assert line.endswith("; give 1 or more") and "--help" not in line  # one hint, not two


def test_tags_accepts_a_limit_but_no_tag(project: Project):
    code, out, _ = project.run("tags", "--limit", "2")
    assert code == 0 and out.splitlines() == ["v3", "v2"]
    with pytest.raises(SystemExit) as exit_:
        project.run("tags", "--tag", "v1")
    assert exit_.value.code == 2
    assert "unrecognized arguments: --tag v1" in project.capsys.readouterr().err


@pytest.mark.parametrize("option", ["--only", "--exclude"])
def test_a_pattern_that_matches_no_drifted_constant_is_an_error(project: Project, option):
    before = (project.root / "v" / "a.py").read_bytes()
    files = ("--file", "v/a.py", "--file", "v/b.py")
    code, out, err = project.run("update", "--tag", "v2", *files, option, "TYPO_*")
    assert code == 2 and out == ""
    assert one_line(err) == (f"dssync: {option} 'TYPO_*' matches no constant that drifted; check "
                             "the pattern against 'dssync diff' (names are case-sensitive; "
                             "Class.NAME inside classes)")
    assert (project.root / "v" / "a.py").read_bytes() == before
    code, _, err = project.run("update", "--tag", "v2", *files, "--dry-run", option, "CHANGE_*")
    assert code == 1, err


# -- errors: one line, one hint, the real key name -----------------------------------------------


def test_a_bad_tag_format_names_the_configuration_key_as_written():
    """The key is ``tag-format``; messages said ``tag_format``, a key the configuration refuses."""
    from dssync.errors import ConfigError
    from dssync.versions import tag_to_version

    with pytest.raises(ConfigError) as caught:
        tag_to_version("v1", "release")
    assert str(caught.value).startswith("tag-format 'release' must contain {version}")


def test_a_source_that_lacks_the_tag_hands_over_without_repeating_the_hint(project: Project, tmp_path):
    from tests.gitrepo import make_repo

    other = make_repo(tmp_path / "other", [("v1", {"pkg/a.py": b"A = 1\n"})])
    config = project.root / "dssync.toml"
    config.write_text(config.read_text().replace(
        f'sources = ["git:{project.upstream.as_posix()}"]',
        f'sources = ["git:{other.path.as_posix()}", "git:{project.upstream.as_posix()}"]'))
    code, _, err = project.run("diff", "--tag", "v9")
    assert code == 2
    [final] = err.splitlines()  # the hand-over would only say what the error says
    assert final.startswith("dssync: ") and "trying" not in final
    code, _, err = project.run("diff", "--tag", "v9", "-v")
    handover, final = [line for line in err.splitlines() if line.startswith("dssync: ")]
    assert "; trying git:" in handover and final.startswith("dssync: ")
    hint = final.rsplit("; ", 1)[1]
    assert hint not in handover


# -- status --------------------------------------------------------------------------------------


def test_status_names_an_edited_pinned_constant_instead_of_elsewhere(project: Project):
    a = project.root / "v" / "a.py"
    a.write_bytes(a.read_bytes().replace(b"PIN_ME = 1", b"PIN_ME = 5"))
    code, out, _ = project.run("status", "v/a.py")
    assert code == 1
    assert "    = PIN_ME = 5, upstream's at v1 is 1  (pinned: our default; line 5)" in out
    assert "the edits are in the pinned constant above" in out
    assert "elsewhere" not in out


def test_status_checks_the_license_copy_the_lock_records(project: Project):
    locked = json.loads((project.root / "dssync.lock").read_text())["files"]
    assert "v/LICENSE" in {entry["vendored"] for entry in locked}
    (project.root / "v" / "LICENSE").write_bytes(b"Changed\n")
    code, out, _ = project.run("status")
    assert code == 1
    assert "v/LICENSE (the LICENSE copy): modified since v1 from git:" in out
    assert out.endswith("4 files: 3 match the lock, 1 differ\n")


# -- --quiet and --exit-zero ---------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["diff", "--tag", "v2"], ["impact", "--tag", "v2"], ["identify", "v/a.py", "--file", "v/a.py"],
])
def test_quiet_prints_nothing_and_exit_zero_exits_zero_on_findings(project: Project, argv):
    if argv[0] == "identify":
        (project.root / "v" / "a.py").write_bytes(A_EDITED)
    code, out, _ = project.run(*argv, "--quiet")
    assert (code, out) == (1, "")
    code, out, _ = project.run(*argv, "--exit-zero")
    assert code == 0 and out != ""


def test_exit_zero_still_reports_trouble(project: Project):
    code, _, err = project.run("diff", "--tag", "v9", "--exit-zero")
    assert code == 2 and err.startswith("dssync: ")


def test_status_quiet_and_exit_zero(project: Project):
    (project.root / "v" / "b.py").write_bytes(b"B = 2\n")
    assert project.run("status", "-q")[:2] == (1, "")
    assert project.run("status", "--exit-zero")[0] == 0


def test_quiet_still_writes_the_files_asked_for_silently(project: Project):
    code, out, err = project.run("diff", "--tag", "v2", "-q", "--write-reports")
    assert (code, out) == (1, "") and "wrote" not in err
    assert (project.root / "reports" / "drift-v2.json").is_file()


A_EDITED = b'"""Upstream a, release 1."""\nMOVING = "moving"\nCHANGE_ME = 33\nOLD = "old"\nPIN_ME = 1\n'
