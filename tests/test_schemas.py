"""Every JSON document a command prints, in every mode, validated against its shipped schema.

One upstream git repository and one project exercise what the reports can hold: two configured
files and a third one gone upstream, a constant moved between files, a class renamed as a whole,
a pin, a LICENSE copy, consuming code; the commands run for real (``dssync.cli.main``) and their
stdout is checked against ``tool/dssync/schema/<name>.schema.json``.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from dssync.cli import main

try:
    from gitrepo import make_repo
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.gitrepo import make_repo

SCHEMAS = Path(__file__).resolve().parent.parent / "tool" / "dssync" / "schema"
NAMES = ("drift", "history", "identify", "impact", "status")

A1 = b'''"""Upstream a, release 1."""
MOVING = "moving"  # goes to b.py in v2
CHANGE_ME = 32
OLD = "old"
PIN_ME = 1


class TraceMode:
    RECORD = 1
    COMPLETE = 2
'''
A2 = b'''"""Upstream a, release 2."""
CHANGE_ME = 16
PIN_ME = 2
NEW = [1, 2]


class ZeRoTraceMode:
    RECORD = 1
    COMPLETE = 2
'''
B1 = b"B = 1\n"
B2 = b'B = 1\n# moved here\nMOVING = "moving"\n'
GONE1 = b"GONE = 1\nALSO_GONE = 2\n"
LICENSE = b"MIT License\n"
A3 = A2.replace(b"CHANGE_ME = 16", b"CHANGE_ME = 8")


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


VALIDATORS = {name: validator(name) for name in NAMES}


def valid(name: str, text: str) -> dict:
    """The document ``text``, which must be one JSON document valid against schema ``name``."""
    data = json.loads(text)
    errors = sorted(VALIDATORS[name].iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert data["schema"] == f"dssync.{name}/1"
    return data


@pytest.fixture(scope="module")
def upstream(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("schemas") / "up"
    make_repo(path, [
        ("v1", {"pkg/a.py": A1, "pkg/b.py": B1, "pkg/gone.py": GONE1, "LICENSE": LICENSE}),
        ("v2", {"pkg/a.py": A2, "pkg/b.py": B2, "pkg/gone.py": None}),
        ("v3", {"pkg/a.py": A3}),
    ])
    return path


class Project:
    def __init__(self, root: Path, upstream: Path, capsys) -> None:
        self.root, self.upstream, self.capsys = root, upstream, capsys

    def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, name: str, *argv: str, expect: int | tuple[int, ...] = (0, 1)) -> dict:
        code, out, err = self.run(*argv, "--format", "json")
        assert code in ((expect,) if isinstance(expect, int) else expect), err
        assert err == "" or not err.strip().startswith("dssync: error"), err
        return valid(name, out)


@pytest.fixture
def project(tmp_path, upstream, monkeypatch, capsys) -> Project:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "dssync.toml").write_text(textwrap.dedent(f"""\
        sources = ["git:{upstream.as_posix()}"]
        license = {{ upstream = "LICENSE", vendored = "v/LICENSE" }}
        [[files]]
        vendored = "v/a.py"
        upstream = "pkg/a.py"
        pins = {{ PIN_ME = "our default" }}
        [[files]]
        vendored = "v/b.py"
        upstream = "pkg/b.py"
        [[files]]
        vendored = "v/gone.py"
        upstream = "pkg/gone.py"
        """))
    (root / "app" / "use.py").write_text(
        "from v.a import CHANGE_ME, MOVING, OLD\nfrom v import a\n\n"
        "print(CHANGE_ME, MOVING, OLD, a.TraceMode.RECORD)\n")
    monkeypatch.chdir(root)
    monkeypatch.setenv("DSSYNC_CACHE_DIR", str(tmp_path / "cache"))
    p = Project(root, upstream, capsys)
    code, _, err = p.run("vendor", "--tag", "v1")
    assert code == 0, err
    return p


def test_every_schema_is_a_valid_draft_2020_12_schema_shipped_with_the_package():
    import importlib.resources

    for name in NAMES:
        shipped = importlib.resources.files("dssync") / "schema" / f"{name}.schema.json"
        assert json.loads(shipped.read_text(encoding="utf-8"))["$id"] == f"urn:dssync:schema:{name}:1"


# -- drift ---------------------------------------------------------------------------------------


def test_drift_against_a_tag_with_moves_class_renames_pins_and_a_file_gone(project):
    data = project.json("drift", "diff", "--tag", "v2", expect=1)
    a, b, gone = data["files"]
    assert [m["name"] for m in a["moved"]] == [m["name"] for m in b["moved"]] == ["MOVING"]
    assert (a["moved"][0]["direction"], b["moved"][0]["direction"]) == ("out", "in")
    assert a["moved"][0]["to"] == {"vendored": "v/b.py", "upstream": "pkg/b.py", "line": 3}
    assert [c["old_name"] for c in a["renamed_classes"]] == ["TraceMode"]
    assert [p["name"] for p in a["pinned"]] == ["PIN_ME"]
    assert "gone" in gone and [r["name"] for r in gone["removed"]] == ["GONE", "ALSO_GONE"]
    assert data["summary"]["moved"] == 1 and data["summary"]["files_with_drift"] == 3
    assert not any("MOVING" in note for note in data.get("notes", []))


@pytest.mark.parametrize("argv", [
    ["--tag", "v1"],                              # no drift
    ["--tag", "latest"],
    ["--tag", "v2", "v/a.py"],                    # one file named: no move to pair it with
    ["--tag", "v2", "--no-renames"],
    ["--tag", "v3", "v/b.py", "v/gone.py"],
])
def test_drift_against_a_tag_in_other_modes(project, argv):
    data = project.json("drift", "diff", *argv)
    assert data["drift"] is (argv[1] != "v1")


def test_drift_without_configuration(project, tmp_path):
    (project.root / "dssync.toml").unlink()
    data = project.json("drift", "diff", "v/a.py", "--tag", "v2", "--source",
                        f"git:{project.upstream.as_posix()}", "--upstream-path", "pkg/a.py", expect=1)
    assert [f["upstream"] for f in data["files"]] == ["pkg/a.py"]


def test_drift_of_two_local_files(project, tmp_path):
    old, new = tmp_path / "old.py", tmp_path / "new.py"
    old.write_bytes(A1)
    new.write_bytes(A2)
    data = project.json("drift", "diff", str(old), str(new), expect=1)
    assert data["summary"]["renamed_classes"] == 1 and "tag" not in data
    assert project.json("drift", "diff", str(old), str(old), expect=0)["drift"] is False


def test_drift_reports_written_with_write_reports_validate(project):
    code, _, err = project.run("diff", "--tag", "v2", "--write-reports")
    assert code == 1, err
    valid("drift", (project.root / "reports" / "drift-v2.json").read_text(encoding="utf-8"))


# -- history -------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    [], ["--since", "v2"], ["--until", "v2"], ["--since", "v2", "--until", "v3"],
    ["--file", "v/a.py"], ["--file", "v/a.py", "--only-changed"], ["--file", "v/gone.py"],
])
def test_history(project, argv):
    data = project.json("history", "history", *argv, expect=0)
    if "--since" in argv:
        assert data["since"] == "v2" and data["tags"][0] == "v2"


def test_history_records_moves_removals_and_a_file_gone(project):
    data = project.json("history", "history", expect=0)
    by_path = {f["path"]: f for f in data["files"]}
    assert by_path["pkg/gone.py"]["absent"] == ["v2", "v3"]
    events = {c["name"]: [e["kind"] for e in c["events"]] for c in by_path["pkg/a.py"]["constants"]}
    assert events["CHANGE_ME"] == ["introduced", "changed", "changed"]
    assert events["MOVING"] == ["introduced", "removed"]


def test_history_without_configuration(project):
    (project.root / "dssync.toml").unlink()
    project.json("history", "history", "--source", f"git:{project.upstream.as_posix()}",
                 "--upstream-path", "pkg/a.py", expect=0)


# -- identify ------------------------------------------------------------------------------------


def test_identify_configured_files_together(project):
    data = project.json("identify", "identify")
    assert "combined" in data and data["files"][0]["match"]["tags"] == ["v1"]


def test_identify_one_file_and_without_configuration(project):
    project.json("identify", "identify", "--file", "v/a.py")
    (project.root / "v" / "a.py").write_bytes(A3)
    (project.root / "dssync.toml").unlink()
    data = project.json("identify", "identify", "v/a.py", "--source",
                        f"git:{project.upstream.as_posix()}", "--upstream-path", "pkg/a.py",
                        expect=0)
    assert data["files"][0]["match"]["exact"] is True


# -- impact --------------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [[], ["app"], ["--file", "v/a.py"]])
def test_impact(project, argv):
    data = project.json("impact", "impact", "--tag", "v2", *argv, expect=1)
    kinds = {d["name"]: d["kind"] for d in data["drifted"]}
    assert kinds["CHANGE_ME"] == "changed" and kinds["OLD"] == "removed"
    if not argv or argv == ["app"]:
        assert kinds["MOVING"] == "moved"


def test_impact_without_drift(project):
    data = project.json("impact", "impact", "--tag", "v1", expect=0)
    assert data["drifted"] == [] and data["uses"] == 0


# -- status --------------------------------------------------------------------------------------


def test_status_all_files_match_the_lock_license_too(project):
    data = project.json("status", "status", expect=0)
    assert [(f["vendored"], f["kind"], f["state"]) for f in data["files"]] == [
        ("v/a.py", "constants", "ok"), ("v/b.py", "constants", "ok"),
        ("v/gone.py", "constants", "ok"), ("v/LICENSE", "license", "ok")]
    assert data["clean"] is True


def test_status_with_edits_a_pinned_edit_a_missing_file_and_a_license_changed(project):
    a = project.root / "v" / "a.py"
    a.write_bytes(a.read_bytes().replace(b"CHANGE_ME = 32", b"CHANGE_ME = 64")
                  .replace(b"PIN_ME = 1", b"PIN_ME = 5") + b"LOCAL = 1\n")
    (project.root / "v" / "b.py").unlink()
    (project.root / "v" / "LICENSE").write_bytes(b"Changed\n")
    data = project.json("status", "status", expect=1)
    states = {f["vendored"]: f for f in data["files"]}
    assert states["v/b.py"]["state"] == "missing" and states["v/b.py"]["sha256"] is None
    assert states["v/LICENSE"]["state"] == "modified" and "edits" not in states["v/LICENSE"]
    edits = states["v/a.py"]["edits"]
    assert [c["name"] for c in edits["changed"]] == ["CHANGE_ME"]
    assert [(p["name"], p["locked"], p["now"]) for p in edits["pinned"]] == [("PIN_ME", "1", "5")]
    assert data["summary"] == {"files": 4, "match": 1, "differ": 3} and data["clean"] is False


def test_status_of_a_file_not_in_the_lock_and_of_edits_upstream_cannot_confirm(project):
    lock = json.loads((project.root / "dssync.lock").read_text())
    for entry in lock["files"]:
        if entry["vendored"] == "v/b.py":
            entry["upstream_sha256"] = "0" * 64
    lock["files"] = [e for e in lock["files"] if e["vendored"] != "v/gone.py"]
    (project.root / "dssync.lock").write_text(json.dumps(lock))
    (project.root / "v" / "b.py").write_bytes(b"B = 2\n")
    data = project.json("status", "status", expect=1)
    states = {f["vendored"]: f for f in data["files"]}
    assert states["v/gone.py"]["state"] == "not-locked" and states["v/gone.py"]["locked"] is None
    assert states["v/b.py"]["edits"] is None and "sha256 the lock" in states["v/b.py"]["note"]


def test_status_json_to_a_file(project, tmp_path):
    out = tmp_path / "status.json"
    code, stdout, err = project.run("status", "--format", "json", "--output", str(out))
    assert code == 0 and stdout == "", err
    valid("status", out.read_text(encoding="utf-8"))


# -- several upstreams ---------------------------------------------------------------------------


@pytest.fixture
def several(project) -> Project:
    """The same project with its files split between two upstreams (one repository, read as
    two), synced at v1."""
    source = f"git:{project.upstream.as_posix()}"
    (project.root / "dssync.toml").write_text(textwrap.dedent(f"""\
        [[upstreams]]
        name = "one"
        sources = ["{source}"]
        [[upstreams.files]]
        vendored = "v/a.py"
        upstream = "pkg/a.py"
        pins = {{ PIN_ME = "our default" }}
        [[upstreams.files]]
        vendored = "v/b.py"
        upstream = "pkg/b.py"
        [[upstreams]]
        name = "two"
        sources = ["{source}"]
        license = {{ upstream = "LICENSE", vendored = "v/LICENSE" }}
        [[upstreams.files]]
        vendored = "v/gone.py"
        upstream = "pkg/gone.py"
        """))
    for name in ("one", "two"):
        code, _, err = project.run("vendor", "--tag", "v1", "--upstream", name)
        assert code == 0, err
    return project


def test_drift_of_several_upstreams_is_grouped(several):
    data = several.json("drift", "diff", "--tag", "latest", expect=1)
    assert [(u["name"], u["tag"], u["files"]) for u in data["upstreams"]] == [
        ("one", "v3", ["v/a.py", "v/b.py"]), ("two", "v3", ["v/gone.py"])]
    assert [f["upstream_name"] for f in data["files"]] == ["one", "one", "two"]
    assert data["tag"] == "v3" and data["summary"]["files"] == 3
    assert sum(u["summary"]["files_with_drift"] for u in data["upstreams"]) \
        == data["summary"]["files_with_drift"]


@pytest.mark.parametrize("argv, grouped", [
    (["--tag", "v2", "--upstream", "one"], False), (["--tag", "latest", "v/gone.py"], False),
    (["--tag", "latest", "v/a.py", "v/gone.py"], True), (["--tag", "latest", "--write-reports"], True),
])
def test_drift_of_several_upstreams_in_other_modes(several, argv, grouped):
    data = several.json("drift", "diff", *argv, expect=1)
    assert ("upstreams" in data) is grouped
    if "--write-reports" in argv:
        valid("drift", (several.root / "reports" / "drift-v3.json").read_text(encoding="utf-8"))


def test_status_history_identify_and_impact_of_several_upstreams(several):
    data = several.json("status", "status", expect=0)
    assert [(f["vendored"], f["upstream_name"]) for f in data["files"]] == [
        ("v/a.py", "one"), ("v/b.py", "one"), ("v/gone.py", "two"), ("v/LICENSE", "two")]
    assert {f["locked"]["upstream_name"] for f in data["files"]} == {"one", "two"}
    several.json("history", "history", "--upstream", "two", expect=0)
    several.json("history", "history", "v/a.py", expect=0)
    several.json("identify", "identify", "--upstream", "one")
    data = several.json("impact", "impact", "--tag", "latest", expect=1)
    assert {d["name"] for d in data["drifted"]} >= {"CHANGE_ME", "OLD"}


# -- this repository's own vendored copy ---------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent


def test_status_of_this_repository_validates(monkeypatch, capsys, tmp_path):
    """Every file, the LICENSE copy too, as synced: nothing to fetch."""
    monkeypatch.chdir(REPO)
    code = main(["status", "--format", "json", "--cache-dir", str(tmp_path / "cache")])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = valid("status", out)
    assert {f["kind"] for f in data["files"]} == {"constants", "license"}


@pytest.mark.network
def test_the_drift_of_this_repository_against_v0_9_0_validates(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(REPO)
    code = main(["diff", "--tag", "v0.9.0", "--format", "json", "--cache-dir", str(tmp_path / "c")])
    out, err = capsys.readouterr()
    if code == 2 and ("could not answer" in err or "cannot be reached" in err):
        pytest.skip(f"the package index cannot be reached: {err.strip()}")
    assert code == 1, err
    data = valid("drift", out)
    assert data["summary"]["files_with_drift"] == 1 and data["summary"]["moved"] == 0
