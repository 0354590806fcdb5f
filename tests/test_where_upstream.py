"""Each file section of every report says where upstream was read, or that the file is gone
upstream, and since which release where that is known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dssync.cli import main
from jsonschema import Draft202012Validator

from tests.gitrepo import make_repo

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = Draft202012Validator(json.loads(
    (ROOT / "tool" / "dssync" / "schema" / "drift.schema.json").read_text(encoding="utf-8")))

KEPT, DROPPED = "pkg/constants.py", "pkg/legacy.py"
HISTORY = [
    ("v0.9.0", {KEPT: b"A = 1\n"}),
    ("v1.0.0", {KEPT: b"A = 1\n", DROPPED: b"OLD_MODE = 'x'\nOLD_LIMIT = 0x10\n"}),
    ("v1.1.0", {KEPT: b"A = 2\n", DROPPED: None}),
    ("v1.2.0rc1", {KEPT: b"A = 3\n"}),
    ("v1.2.0", {KEPT: b"A = 3\n"}),
]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Vendored at v1.0.0 (the lock says so), from a git upstream that drops legacy.py in 1.1."""
    up = tmp_path / "up"
    make_repo(up, HISTORY)
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        f'[tool.dssync]\nsources = ["git:{up.as_posix()}"]\nlock = "dssync.lock"\n'
        f'[[tool.dssync.files]]\nvendored = "vendored/constants.py"\nupstream = "{KEPT}"\n'
        f'[[tool.dssync.files]]\nvendored = "vendored/legacy.py"\nupstream = "{DROPPED}"\n',
        encoding="utf-8")
    monkeypatch.chdir(root)
    assert main(["vendor", "--tag", "v1.0.0", "--no-cache"]) == 0
    return root


def sections(out: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if " vs " in line and not line.startswith(" "):
            current = line.split(" vs ")[0]
            found[current] = []
        elif current is not None and line.startswith("  "):
            found[current].append(line)
    return found


def test_gone_since_the_release_after_the_one_vendored(project, capsys):
    code, out, _ = run(capsys, "diff", "--tag", "v1.1.0", "--no-cache")
    assert code == 1
    found = sections(out)
    assert found["vendored/constants.py"][0].startswith(f"  upstream: git:{project.parent / 'up'} at v1.1.0, commit ")
    legacy = found["vendored/legacy.py"]
    assert legacy[0] == (f"  upstream: gone since v1.1.0 (vendored from v1.0.0, the release before), "
                         f"according to git:{project.parent / 'up'}: {DROPPED} does not exist at tag "
                         f"v1.1.0 in git:{project.parent / 'up'}")
    assert "    - OLD_LIMIT = 0x10  (line 2)" in legacy
    assert "does not exist upstream" not in out.splitlines()[0]  # said in its section, not a note


def test_gone_at_a_later_release_says_which_release_still_had_it(project, capsys):
    code, out, _ = run(capsys, "diff", "--tag", "v1.2.0", "--no-cache")
    assert code == 1
    assert sections(out)["vendored/legacy.py"][0].startswith(
        "  upstream: gone at v1.2.0 (vendored from v1.0.0, which had it), according to git:")
    # A pre-release between 1.1 and 1.2 does not count unless pre-releases are asked for.
    _, out, _ = run(capsys, "diff", "--tag", "v1.1.0", "--prereleases", "--no-cache")
    assert "gone since v1.1.0" in out


def test_not_yet_upstream_at_an_earlier_release(project, capsys):
    _, out, _ = run(capsys, "diff", "--tag", "v0.9.0", "--no-cache")
    assert sections(out)["vendored/legacy.py"][0].startswith(
        "  upstream: not yet upstream at v0.9.0 (vendored from v1.0.0, a later release), according to")


def test_without_a_lock_entry_only_the_tag_is_known(project, capsys):
    (project / "dssync.lock").unlink()
    _, out, _ = run(capsys, "diff", "--tag", "v1.1.0", "--no-cache")
    assert sections(out)["vendored/legacy.py"][0].startswith("  upstream: gone at v1.1.0, according to git:")


def test_every_format_says_it(project, capsys, tmp_path):
    up = f"git:{project.parent / 'up'}"
    _, out, _ = run(capsys, "diff", "--tag", "v1.1.0", "--no-cache", "--format", "json")
    data = json.loads(out)
    VALIDATOR.validate(data)
    kept, legacy = data["files"]
    assert kept["origin"]["tag"] == "v1.1.0" and "gone" not in kept
    assert "origin" not in legacy
    assert legacy["gone"] == {"tag": "v1.1.0", "sources": [up], "unchecked": [], "not_yet": False,
                              "detail": f"{DROPPED} does not exist at tag v1.1.0 in {up}",
                              "known_at": "v1.0.0", "since": "v1.1.0"}
    assert not any("does not exist upstream" in n for n in data.get("notes", []))
    md = run(capsys, "diff", "--tag", "v1.1.0", "--no-cache", "--format", "markdown")[1]
    assert f"Upstream: `{DROPPED}` is **gone since v1.1.0 (vendored from v1.0.0, the release before)" in md
    assert f"Upstream: `{KEPT}` from {up} at v1.1.0, commit " in md
    html = run(capsys, "diff", "--tag", "v1.1.0", "--no-cache", "--format", "html")[1]
    assert ('<p class="origin">Upstream <code class="path">pkg/<wbr>legacy.py</code>: <strong>gone '
            "since v1.1.0 (vendored from v1.0.0, the release before)") in html
    sarif = json.loads(run(capsys, "diff", "--tag", "v1.1.0", "--no-cache", "--format", "sarif")[1])
    run_ = sarif["runs"][0]
    files = {f["vendored"]: f for f in run_["properties"]["files"]}
    assert files["vendored/legacy.py"]["gone"]["since"] == "v1.1.0"
    assert files["vendored/constants.py"]["origin"]["source"] == up
    removed = [r["message"]["text"] for r in run_["results"] if r["ruleId"] == "DSS002"]
    assert all(f"({DROPPED}: the file is gone since v1.1.0" in m for m in removed) and len(removed) == 2
    github = run(capsys, "diff", "--tag", "v1.1.0", "--no-cache", "--format", "github")[1]
    first = github.splitlines()[0]
    assert first.startswith("::notice file=vendored/legacy.py,line=1,title=Upstream file absent%3A "
                            f"{DROPPED}::{DROPPED} is gone since v1.1.0")


def test_a_local_diff_says_the_file_it_read(tmp_path, capsys):
    old, new = tmp_path / "old.py", tmp_path / "new.py"
    old.write_text("A = 1\n", encoding="utf-8")
    new.write_text("A = 2\n", encoding="utf-8")
    out = run(capsys, "diff", str(old), str(new))[1]
    assert out.splitlines()[1] == f"  upstream: the local file {new}"
