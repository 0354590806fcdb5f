"""The typed core (``dssync.api``) and the command line over it: the README's example runs, the
API gives what the CLI prints, the configuration is read once per run, and every command takes
its options the one shared way."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dssync.cli import main
from tests.gitrepo import make_repo

ROOT = Path(__file__).resolve().parent.parent

V1 = b'"""Constants."""\n\nSTEPS_DEFAULT = 10\nFP16_POWER_DEFAULT = 32\nOLD = "old"\n'
V2 = V1.replace(b"= 32", b"= 16").replace(b'OLD = "old"\n', b'NEW = "new"\n')
OTHER = b"A = 1\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "up", [("v1.0.0", {"pkg/constants.py": V1, "pkg/other.py": OTHER}),
                                       ("v2.0.0", {"pkg/constants.py": V2, "pkg/other.py": OTHER})])
    root = tmp_path / "project"
    root.mkdir()
    (root / "dssync.toml").write_text(
        f'sources = ["git:{repo.path}"]\nlock = "vendored/dssync.lock"\n'
        '[[files]]\nvendored = "vendored/pkg/constants.py"\nupstream = "pkg/constants.py"\n'
        '[[files]]\nvendored = "vendored/pkg/other.py"\nupstream = "pkg/other.py"\n')
    monkeypatch.chdir(root)
    monkeypatch.setenv("DSSYNC_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["vendor", "--tag", "v1.0.0"]) == 0
    return root


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_python_api_example_runs(project, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(readme_example())
    proc = subprocess.run([sys.executable, str(script)], cwd=project, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("vendored/pkg/constants.py {")
    assert "'changed': 1" in lines[0] and "'added': 1" in lines[0]
    assert lines[3].startswith("#")  # the Markdown report's title
    assert "vendored/pkg/constants.py ok" in lines and "vendored/pkg/other.py ok" in lines
    assert lines[-1] == "['v2.0.0', 'v1.0.0']"


def test_the_api_gives_what_the_command_prints(project, capsys):
    from dssync import api

    report = api.drift(api.Project.load(), api.DriftOptions(tag="v2.0.0"))
    capsys.readouterr()
    assert main(["diff", "--tag", "v2.0.0", "--format", "json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert json.loads(api.render(report, "json")) == printed
    assert report.summary() == {k: v for k, v in printed["summary"].items()
                                if k in report.summary()}


def test_the_configuration_is_read_once_per_run(project, monkeypatch, capsys):
    import dssync.config

    calls = []
    real = dssync.config.load_config

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(dssync.config, "load_config", counting)
    for argv in (["diff", "--tag", "v2.0.0", "--write-reports"], ["impact", "--tag", "v2.0.0"],
                 ["status"], ["tags"], ["update", "--tag", "v2.0.0", "--dry-run"],
                 ["update", "--tag", "v2.0.0"]):
        calls.clear()
        main(argv)
        assert len(calls) == 1, argv


def test_no_namespace_beyond_the_command_line_adapters():
    # Only the CLI and its commands know argparse.
    package = ROOT / "tool" / "dssync"
    for path in package.rglob("*.py"):
        rel = path.relative_to(package).as_posix()
        if rel == "cli.py" or rel.startswith("commands/"):
            if rel == "commands/options.py":
                continue
            # A command passes typed options on, never its Namespace.
            text = path.read_text(encoding="utf-8")
            assert "Namespace(" not in text and "setattr(args" not in text, rel
            continue
        assert "argparse" not in path.read_text(encoding="utf-8"), rel


@pytest.mark.parametrize("argv", [
    ["diff", "--tag", "v2.0.0", "vendored/pkg/other.py"],
    ["diff", "--tag", "v2.0.0", "--file", "vendored/pkg/other.py"],
])
def test_files_are_chosen_by_position_or_with_file(project, capsys, argv):
    assert main(argv + ["--format", "json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert [f["vendored"] for f in files] == ["vendored/pkg/other.py"]


@pytest.mark.parametrize("command", [["status"], ["vendor", "--tag", "v1.0.0"]])
def test_status_and_vendor_take_files_both_ways(project, capsys, command):
    (project / "vendored/pkg/constants.py").write_bytes(V1 + b"X = 1\n")
    for how in (["vendored/pkg/other.py"], ["--file", "vendored/pkg/other.py"]):
        assert main(command + how) == 0  # the edited file is not among those chosen
    assert "constants.py" not in capsys.readouterr().out


def test_history_takes_files_both_ways(project, capsys):
    outputs = []
    for how in (["vendored/pkg/other.py"], ["--file", "vendored/pkg/other.py"]):
        assert main(["history", "--format", "json", *how]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    assert [f["path"] for f in outputs[0]["files"]] == ["pkg/other.py"]


@pytest.mark.parametrize("argv, refused", [
    (["-v", "diff", "--tag", "v2.0.0"], "unrecognized arguments: -v"),  # -v is the command's
    (["vendor", "--tag", "v1.0.0", "--upstream-path", "pkg/constants.py"], "--upstream-path"),
    (["status", "--tag", "v1.0.0"], "--tag"),
    (["status", "--prereleases"], "--prereleases"),
    (["tags", "--tag", "v1.0.0"], "--tag"),
])
def test_options_a_command_cannot_use_are_refused(project, capsys, argv, refused):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert refused in err and len(err.strip().splitlines()) == 1


def test_verbose_and_source_are_options_of_every_upstream_command(project, capsys):
    repo = next(s for s in (project / "dssync.toml").read_text().split('"') if s.startswith("git:"))
    for argv in (["diff", "--tag", "v2.0.0"], ["status"], ["tags"], ["history"],
                 ["identify"], ["impact", "--tag", "v2.0.0"]):
        main([*argv, "-v", "--source", repo, "--no-cache"])
        err = capsys.readouterr().err
        assert "Traceback" not in err and "unrecognized" not in err, argv


def test_history_identify_impact_and_vendor_through_the_api(project, capsys):
    from dssync import api
    from dssync._report.analyses import render_history, render_identification, render_impact

    project_ = api.Project.load()
    (project / "app.py").write_text("from vendored.pkg.constants import OLD\nprint(OLD)\n")
    # Each gives the model the command renders: the same document.
    for argv, text in (
        (["history", "--format", "json"], render_history(api.history(project_), "json")),
        (["identify", "--format", "json"],
         render_identification(api.identify(project_), "json")),
        (["impact", "--tag", "v2.0.0", "--format", "json"],
         render_impact(api.impact(project_, api.ImpactOptions(tag="v2.0.0")), "json")),
    ):
        capsys.readouterr()
        main(argv)
        assert json.loads(capsys.readouterr().out) == json.loads(text), argv
    # The copy is v1.0.0's: constants.py matches only it, other.py (the same in both) either.
    found = api.identify(project_, api.IdentifyOptions(since="v1.0.0"))
    assert found.exact and found.combined is not None and found.combined.ranges == [("v1.0.0", "v1.0.0")]
    assert [m.ranges for _, m in found.matches] == [[("v1.0.0", "v1.0.0")], [("v1.0.0", "v2.0.0")]]
    result = api.vendor(project_, api.VendorOptions(tag="v2.0.0", files=["vendored/pkg/constants.py"]))
    assert [w.vendored for w in result.written] == ["vendored/pkg/constants.py"]
    assert result.lock_changed and (project / "vendored/pkg/constants.py").read_bytes() == V2
    assert [s.state for s in api.status(project_)] == ["ok", "ok"]


def test_the_api_refuses_what_the_command_line_refuses(project):
    from dssync import api
    from dssync.errors import DssyncError

    with pytest.raises(DssyncError, match="lists nothing"):
        api.tags(api.Project.load(), api.TagsOptions(limit=0))
    with pytest.raises(DssyncError, match="needs a \\[tool.dssync\\] configuration"):
        api.status(api.Project(None))
    with pytest.raises(DssyncError, match="needs a tag"):
        api.plan_update(api.Project.load(), api.UpdateOptions())
    with pytest.raises(DssyncError, match="not both"):
        api.plan_update(api.Project.load(), api.UpdateOptions(
            tag="v2.0.0", local=("vendored/pkg/constants.py", "vendored/pkg/other.py")))


def test_an_update_is_planned_then_applied_through_the_api(project, capsys):
    from dssync import api
    from dssync._report.update import unified_diff
    from dssync.lock import read_lock

    constants = project / "vendored/pkg/constants.py"
    constants.write_bytes(V1.replace(b"= 10", b"= 11"))  # a local edit upstream did not touch
    before = constants.read_bytes()
    lock_before = (project / "vendored/dssync.lock").read_bytes()
    plan = api.plan_update(api.Project.load(), api.UpdateOptions(tag="v2.0.0"))
    # Planned, nothing written; the plan is what the dry run prints.
    assert constants.read_bytes() == before
    assert (project / "vendored/dssync.lock").read_bytes() == lock_before
    assert plan.tag == "v2.0.0" and plan.lock == "vendored/dssync.lock"
    assert [f.label for f in plan.files] == ["vendored/pkg/constants.py", "vendored/pkg/other.py"]
    mine = plan.files[0]
    assert mine.changed and not plan.files[1].changed and plan.changed and plan.left == []
    assert (mine.result.plan.changed, mine.result.plan.added, mine.result.plan.removed,
            mine.result.plan.local) == (["FP16_POWER_DEFAULT"], ["NEW"], ["OLD"], ["STEPS_DEFAULT"])
    assert [(e.vendored, e.tag) for e in plan.lock_entries] == [
        ("vendored/pkg/constants.py", "v2.0.0"), ("vendored/pkg/other.py", "v2.0.0")]
    capsys.readouterr()
    assert main(["update", "--tag", "v2.0.0", "--dry-run"]) == 1
    assert capsys.readouterr().out == "".join(unified_diff(f) for f in plan.files)

    heard: list[object] = []
    result = api.apply_update(api.Project.load(), api.UpdateOptions(tag="v2.0.0"),
                              on_file=lambda f: heard.append(f.label),
                              on_lock=lambda lock, changed: heard.append((lock, changed)))
    assert heard == ["vendored/pkg/constants.py", "vendored/pkg/other.py",
                     ("vendored/dssync.lock", True)]
    assert [f.label for f in result.written] == ["vendored/pkg/constants.py"]
    assert result.lock_changed is True
    assert constants.read_bytes() == V2.replace(b"= 10", b"= 11")
    lock = read_lock(project / "vendored/dssync.lock")
    assert {e.tag for e in lock.entries.values()} == {"v2.0.0"}
    # Applied again: nothing to do, and the lock stays as it is.
    again = api.apply_update(api.Project.load(), api.UpdateOptions(tag="v2.0.0"))
    assert again.written == [] and again.lock_changed is False and not again.plan.changed


def test_what_an_update_leaves_is_in_the_plan_and_the_exit_status(project, capsys):
    from dssync import api

    constants = project / "vendored/pkg/constants.py"
    constants.write_bytes(V1.replace(b"= 32", b"= 64"))  # changed here and upstream: a conflict
    plan = api.plan_update(api.Project.load(), api.UpdateOptions(tag="v2.0.0"))
    assert [(file, name) for file, name, _ in plan.left] == [
        ("vendored/pkg/constants.py", "FP16_POWER_DEFAULT")]
    assert plan.files[0].held == "v1.0.0"  # the lock keeps naming the base
    assert [e.vendored for e in plan.lock_entries] == ["vendored/pkg/other.py"]
    capsys.readouterr()
    assert main(["update", "--tag", "v2.0.0", "--dry-run", "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "conflict, ours kept: FP16_POWER_DEFAULT" in err
    assert main(["update", "--tag", "v2.0.0", "--exit-zero"]) == 0
    out = capsys.readouterr().out
    assert "conflict, ours kept: FP16_POWER_DEFAULT" in out
    assert b"FP16_POWER_DEFAULT = 64" in constants.read_bytes()
    assert main(["update", "--tag", "v2.0.0", "--quiet"]) == 1
    assert capsys.readouterr().out == ""
    assert main(["update", "--tag", "v2.0.0", "--theirs", "--exit-zero", "--quiet"]) == 0
    assert b"FP16_POWER_DEFAULT = 16" in constants.read_bytes()
