"""Run GitHub Actions workflows and composite actions here, the way GitHub's runner does.

GitHub cannot be reached from the tests, so this plays its runner for the workflows and the
action of this repository: expressions (``${{ }}``) with GitHub's rules (case-insensitive string
equality, ``||`` and ``&&`` yielding operands, null as ''), ``if:`` with ``success()``,
``failure()`` and ``always()`` (a condition without one means ``success() && (...)``), jobs in
``needs`` order with their results and outputs, ``continue-on-error`` (outcome failure,
conclusion success), and step outputs, environment and PATH through the files GitHub names
(``GITHUB_OUTPUT``, ``GITHUB_ENV``, ``GITHUB_PATH``, ``GITHUB_STEP_SUMMARY``, heredoc values too).
Every ``run:`` script runs with bash as GitHub runs it (``bash -e {0}``, or ``bash --noprofile
--norc -eo pipefail {0}`` for ``shell: bash``), in a fresh workspace and temp directory per job.

``uses:`` steps are stood in for, each by what it does to the job: ``actions/checkout`` fetches
the ref from the remote (a real bare repository) into the workspace; ``actions/setup-python``
answers with this interpreter (and changes PATH unless ``update-environment`` is false);
``actions/upload-artifact``/``download-artifact`` copy through a store that lives as long as the
run; ``github/codeql-action/upload-sarif`` records the upload, or fails the way GitHub does on
a repository without code scanning; ``./`` runs the repository's own composite action, step by
step. Anything else is an error: a test must not pass by skipping a step it cannot run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")
REFUSED_SARIF = ("Advanced Security must be enabled for this repository to use code scanning. "
                 "(Code scanning is not enabled for this repository.)")


def load_yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key 'on' as a boolean
        data["on"] = data.pop(True)
    return data


# -- expressions ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,])
  | (?P<id>[A-Za-z_][A-Za-z0-9_-]*))""", re.X)


class ExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"cannot read expression at {text[pos:]!r}")
        pos = m.end()
        if m["str"] is not None:
            out.append(("lit", m["str"][1:-1].replace("''", "'")))
        elif m["num"] is not None:
            out.append(("lit", float(m["num"]) if "." in m["num"] else int(m["num"])))
        elif m["op"] is not None:
            out.append(("op", m["op"]))
        else:
            word = m["id"]
            out.append(("lit", {"true": True, "false": False, "null": None}[word])
                       if word in ("true", "false", "null") else ("id", word))
    return out


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and value == value


def text(value: Any) -> str:
    """A value as ``${{ }}`` pastes it into a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2)
    return str(value)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value.strip()) if value.strip() else 0.0
    except (ValueError, AttributeError):
        return float("nan")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b) and isinstance(a, (dict, list)):
        return a is b
    return _number(a) == _number(b)


class _Parser:
    def __init__(self, source: str, context: dict, functions: dict[str, Callable]) -> None:
        self.source = source
        self.toks = _tokens(source)
        self.i = 0
        self.context = context
        self.functions = functions

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, op: str | None = None) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None or (op is not None and tok != ("op", op)):
            raise ExpressionError(f"expected {op or 'more'} in {self.source!r}")
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()} in {self.source!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in (("op", "=="), ("op", "!="), ("op", "<"), ("op", ">"), ("op", "<="), ("op", ">=")):
            op = self.take()[1]
            right = self.unary()
            if op in ("==", "!="):
                value = _equal(value, right) == (op == "==")
            else:
                a, b = _number(value), _number(right)
                value = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self) -> Any:
        kind, value = self.take()
        if kind == "op" and value == "(":
            value = self.or_()
            self.take(")")
        elif kind == "id":
            if self.peek() == ("op", "("):
                self.take()
                args = []
                while self.peek() != ("op", ")"):
                    args.append(self.or_())
                    if self.peek() == ("op", ","):
                        self.take()
                self.take(")")
                if value not in self.functions:
                    raise ExpressionError(f"unknown function {value}() in {self.source!r}")
                value = self.functions[value](*args)
            else:
                if value not in self.context:
                    raise ExpressionError(f"unknown context {value!r} in {self.source!r}")
                value = self.context[value]
        elif kind != "lit":
            raise ExpressionError(f"unexpected {value!r} in {self.source!r}")
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == ".":
                name = self.take()
                if name[0] != "id":
                    raise ExpressionError(f"bad property in {self.source!r}")
                key = name[1]
            else:
                key = self.or_()
                self.take("]")
            value = _index(value, key)
        return value


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        if key in value:
            return value[key]
        lowered = {str(k).casefold(): v for k, v in value.items()}
        return lowered.get(str(key).casefold())
    if isinstance(value, list) and isinstance(key, (int, float)):
        return value[int(key)] if 0 <= int(key) < len(value) else None
    return None


def _format(template: str, *args: Any) -> str:
    return re.sub(r"\{(\d+)\}", lambda m: text(args[int(m.group(1))]), template)


BASE_FUNCTIONS: dict[str, Callable] = {
    "contains": lambda a, b: (b in a) if isinstance(a, list) else text(b).casefold() in text(a).casefold(),
    "startsWith": lambda a, b: text(a).casefold().startswith(text(b).casefold()),
    "endsWith": lambda a, b: text(a).casefold().endswith(text(b).casefold()),
    "format": _format,
    "toJSON": lambda v: json.dumps(v, indent=2),
    "fromJSON": json.loads,
}

_WHOLE = re.compile(r"^\s*\$\{\{(.*)\}\}\s*$", re.S)
_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def evaluate(expression: str, context: dict, functions: dict[str, Callable] | None = None) -> Any:
    return _Parser(expression, context, {**BASE_FUNCTIONS, **(functions or {})}).parse()


def substitute(value: Any, context: dict, functions: dict[str, Callable] | None = None) -> str:
    """A workflow value as the step receives it: a string (YAML's ``false`` is ``'false'``), each
    ``${{ }}`` replaced by its value."""
    return _EMBEDDED.sub(lambda m: text(evaluate(m.group(1), context, functions)), text(value))


def condition(expression: Any, context: dict, functions: dict[str, Callable]) -> bool:
    """An ``if:``; without a status function it means ``success() && (...)``."""
    if expression is None:
        expression = "success()"
    if isinstance(expression, bool):
        return expression and functions["success"]()
    source = str(expression)
    m = _WHOLE.match(source)
    if m:
        source = m.group(1)
    if not any(re.search(rf"\b{name}\s*\(", source) for name in STATUS_FUNCTIONS):
        source = f"success() && ({source})"
    return truthy(evaluate(source, context, functions))


# -- the runner ------------------------------------------------------------------------------------


def read_command_file(path: Path) -> dict[str, str]:
    """``GITHUB_OUTPUT``/``GITHUB_ENV``: ``name=value`` lines and ``name<<DELIM`` heredocs."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            out[name] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        elif line.strip():
            raise AssertionError(f"malformed line in {path.name}: {line!r}")
        i += 1
    return out


@dataclass
class StepResult:
    name: str
    id: str | None
    outcome: str
    """success, failure or skipped, before continue-on-error."""
    conclusion: str
    outputs: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    steps: list[StepResult] = field(default_factory=list)
    """A composite action's own steps."""

    @property
    def log(self) -> str:
        inner = "".join(s.log for s in self.steps)
        return f"--- {self.name}: {self.outcome}\n{self.stdout}{self.stderr}{inner}"


@dataclass
class JobResult:
    name: str
    result: str
    outputs: dict[str, str] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    summary: str = ""
    env_file: dict[str, str] = field(default_factory=dict)
    path_file: list[str] = field(default_factory=list)

    def step(self, name_or_id: str) -> StepResult:
        for step in self.steps:
            if name_or_id in (step.id, step.name):
                return step
        raise KeyError(f"no step {name_or_id!r} in job {self.name}")

    @property
    def log(self) -> str:
        return f"=== job {self.name}: {self.result}\n" + "".join(s.log for s in self.steps)


@dataclass
class RunResult:
    jobs: dict[str, JobResult]
    artifacts: dict[str, Path]
    sarif_uploads: list[dict[str, Any]]

    def __getitem__(self, name: str) -> JobResult:
        return self.jobs[name]

    @property
    def log(self) -> str:
        return "".join(job.log for job in self.jobs.values())


@dataclass
class Runner:
    """One simulated GitHub: a repository (``remote``, a bare git repository), an event, and
    the machine the jobs run on (``root``: fresh workspaces and temp directories under it)."""

    remote: Path
    root: Path
    repository: str = "example/project"
    default_branch: str = "main"
    tool_cache: Path | None = None
    """Kept across runs, as a self-hosted runner keeps its tool cache."""
    env: dict[str, str] = field(default_factory=dict)
    """Added to every step's environment (e.g. PATH with a stand-in ``gh`` first)."""
    refuse_sarif: bool = False
    """Play a repository without code scanning: SARIF uploads fail."""
    timeout: float = 600.0

    def __post_init__(self) -> None:
        self._runs = 0

    # -- a workflow ------------------------------------------------------------------------------

    def run_workflow(self, path: Path, event_name: str = "workflow_dispatch",
                     inputs: dict[str, str] | None = None, ref: str | None = None) -> RunResult:
        workflow = load_yaml(path)
        self._runs += 1
        run_dir = self.root / f"run-{self._runs}"
        run_dir.mkdir(parents=True)
        ref = ref or f"refs/heads/{self.default_branch}"
        event: dict[str, Any]
        if event_name == "schedule":
            # The schedule event names no repository: github.event.repository is null.
            event = {"schedule": workflow["on"]["schedule"][0]["cron"]}
        else:
            event = {"repository": {"full_name": self.repository, "default_branch": self.default_branch},
                     "ref": ref}
        dispatch_inputs = {}
        if event_name == "workflow_dispatch":
            for name, spec in (workflow["on"].get("workflow_dispatch") or {}).get("inputs", {}).items():
                dispatch_inputs[name] = (inputs or {}).get(name, spec.get("default", ""))
            event["inputs"] = dispatch_inputs
        github = {"event_name": event_name, "event": event, "repository": self.repository,
                  "repository_owner": self.repository.split("/")[0], "server_url": "https://github.com",
                  "api_url": "https://api.github.com", "run_id": str(1000 + self._runs), "run_number": str(self._runs),
                  "ref": ref, "ref_name": ref.split("/", 2)[-1], "token": "ghs_simulatedRunnerToken",
                  "workflow": workflow.get("name", path.stem), "actor": "octocat"}
        artifacts: dict[str, Path] = {}
        uploads: list[dict[str, Any]] = []
        results: dict[str, JobResult] = {}
        pending = dict(workflow["jobs"])
        while pending:
            ready = [n for n, j in pending.items() if all(d in results for d in _needs(j))]
            if not ready:
                raise AssertionError(f"jobs with unknown or circular needs: {sorted(pending)}")
            for name in ready:
                job = pending.pop(name)
                results[name] = self._job(name, job, workflow, github, dispatch_inputs, results,
                                          run_dir / name, artifacts, uploads)
        return RunResult(results, artifacts, uploads)

    def _job(self, name: str, job: dict, workflow: dict, github: dict, inputs: dict,
             done: dict[str, JobResult], where: Path, artifacts: dict[str, Path],
             uploads: list[dict[str, Any]]) -> JobResult:
        needs = {n: {"result": done[n].result, "outputs": done[n].outputs} for n in _needs(job)}
        context = {"github": github, "inputs": inputs, "needs": needs, "vars": {}, "secrets": {},
                   "env": {}, "runner": {}, "steps": {}, "job": {}, "matrix": {}, "strategy": {}}
        job_functions = {
            "success": lambda: all(n["result"] == "success" for n in needs.values()),
            "failure": lambda: any(n["result"] == "failure" for n in needs.values()),
            "always": lambda: True,
            "cancelled": lambda: False,
        }
        if not condition(job.get("if"), context, job_functions):
            return JobResult(name, "skipped")
        workspace, temp = where / "workspace", where / "temp"
        home = where / "home"
        for d in (workspace, temp, home):
            d.mkdir(parents=True)
        tool_cache = self.tool_cache or where / "toolcache"
        tool_cache.mkdir(parents=True, exist_ok=True)
        github = {**github, "workspace": str(workspace), "job": name}
        context["github"] = github
        context["runner"] = {"temp": str(temp), "tool_cache": str(tool_cache), "os": "Linux", "arch": "X64"}
        env = {**{k: substitute(v, context) for k, v in (workflow.get("env") or {}).items()}}
        context["env"] = env
        env.update({k: substitute(v, context) for k, v in (job.get("env") or {}).items()})
        state = _JobState(self, github, workspace, temp, home, tool_cache, env, artifacts, uploads,
                          where / "summary.md")
        steps = state.run_steps(job["steps"], context, None)
        failed = any(s.conclusion == "failure" for s in steps)
        result = JobResult(name, "failure" if failed else "success", steps=steps)
        context["steps"] = {s.id: {"outputs": s.outputs, "outcome": s.outcome, "conclusion": s.conclusion}
                            for s in steps if s.id}
        result.outputs = {k: substitute(v, context) for k, v in (job.get("outputs") or {}).items()}
        result.summary = state.summary.read_text(encoding="utf-8") if state.summary.exists() else ""
        result.env_file = state.env_file
        result.path_file = state.path_file
        return result

    # -- a composite action on its own --------------------------------------------------------------

    def run_action(self, action_dir: Path, workspace: Path, inputs: dict[str, str], where: Path) -> JobResult:
        """The action as the one step of a job whose workspace is ``workspace`` (already
        holding the repository), as ``uses: ./`` with ``with: inputs`` would run it."""
        self._runs += 1
        temp, home = where / "temp", where / "home"
        for d in (temp, home):
            d.mkdir(parents=True)
        tool_cache = self.tool_cache or where / "toolcache"
        tool_cache.mkdir(parents=True, exist_ok=True)
        github = {"event_name": "push", "event": {}, "repository": self.repository, "workspace": str(workspace),
                  "server_url": "https://github.com", "run_id": str(1000 + self._runs),
                  "token": "ghs_simulatedRunnerToken", "ref": f"refs/heads/{self.default_branch}", "job": "check"}
        state = _JobState(self, github, workspace, temp, home, tool_cache, {}, {}, [], where / "summary.md")
        context = {"github": github, "inputs": {}, "needs": {}, "vars": {}, "secrets": {}, "env": {},
                   "runner": {"temp": str(temp), "tool_cache": str(tool_cache), "os": "Linux"},
                   "steps": {}, "job": {}, "matrix": {}, "strategy": {}}
        relative = action_dir.relative_to(workspace).as_posix()
        step = {"name": "action", "id": "action", "uses": "./" + ("" if relative == "." else relative),
                "with": inputs}
        steps = state.run_steps([step], context, None)
        failed = any(s.conclusion == "failure" for s in steps)
        result = JobResult("check", "failure" if failed else "success", steps=steps)
        result.summary = state.summary.read_text(encoding="utf-8") if state.summary.exists() else ""
        result.env_file, result.path_file = state.env_file, state.path_file
        return result


def _needs(job: dict) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


@dataclass
class _JobState:
    runner: Runner
    github: dict
    workspace: Path
    temp: Path
    home: Path
    tool_cache: Path
    env: dict[str, str]
    artifacts: dict[str, Path]
    uploads: list[dict[str, Any]]
    summary: Path
    env_file: dict[str, str] = field(default_factory=dict)
    path_file: list[str] = field(default_factory=list)
    counter: int = 0

    def base_env(self) -> dict[str, str]:
        keep = ("LANG", "LC_ALL", "TZ", "TMPDIR", "SSL_CERT_FILE", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL",
                "PIP_CONFIG_FILE", "PIP_CACHE_DIR", "XDG_CACHE_HOME")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))  # share downloads
        env.update(
            PATH=os.pathsep.join([*reversed(self.path_file), self.runner.env.get("PATH", os.environ["PATH"])]),
            HOME=str(self.home), CI="true", GITHUB_ACTIONS="true", RUNNER_OS="Linux", RUNNER_ARCH="X64",
            RUNNER_TEMP=str(self.temp), RUNNER_TOOL_CACHE=str(self.tool_cache),
            GITHUB_WORKSPACE=str(self.workspace), GITHUB_REPOSITORY=self.github["repository"],
            GITHUB_EVENT_NAME=self.github["event_name"], GITHUB_REF=self.github.get("ref", ""),
            GITHUB_SERVER_URL=self.github["server_url"], GITHUB_RUN_ID=self.github["run_id"],
            GITHUB_JOB=self.github.get("job", ""), GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0",
        )
        env.update({k: v for k, v in self.runner.env.items() if k != "PATH"})
        env.update(self.env)
        env.update(self.env_file)
        return env

    def run_steps(self, steps: list[dict], context: dict, action_dir: Path | None) -> list[StepResult]:
        results: list[StepResult] = []
        ran: dict[str, dict] = {}
        context = {**context, "steps": ran}
        functions = {
            "success": lambda: not any(r.conclusion == "failure" for r in results),
            "failure": lambda: any(r.conclusion == "failure" for r in results),
            "always": lambda: True,
            "cancelled": lambda: False,
        }
        for i, step in enumerate(steps):
            name = step.get("name") or step.get("uses") or f"step {i}"
            if not condition(step.get("if"), context, functions):
                result = StepResult(name, step.get("id"), "skipped", "skipped")
            else:
                result = self.run_step(step, name, context, action_dir)
                if result.outcome == "failure" and self.continues(step, context):
                    result.conclusion = "success"
            results.append(result)
            if step.get("id"):
                ran[step["id"]] = {"outputs": result.outputs, "outcome": result.outcome,
                                   "conclusion": result.conclusion}
        return results

    @staticmethod
    def continues(step: dict, context: dict) -> bool:
        """``continue-on-error``: a boolean, or an expression that gives one."""
        value = step.get("continue-on-error", False)
        if isinstance(value, str):
            value = substitute(value, context) if "${{" in value else value
            return value == "true"
        return bool(value)

    def run_step(self, step: dict, name: str, context: dict, action_dir: Path | None) -> StepResult:
        functions = {"success": lambda: True, "failure": lambda: False, "always": lambda: True,
                     "cancelled": lambda: False}
        step_env = {k: substitute(v, context, functions) for k, v in (step.get("env") or {}).items()}
        if "run" in step:
            return self.run_script(step, name, context, step_env, action_dir)
        uses = step["uses"]
        given = {k: substitute(v, context, functions) for k, v in (step.get("with") or {}).items()}
        target = uses.split("@", 1)[0]
        handler = {
            "actions/checkout": self.checkout,
            "actions/setup-python": self.setup_python,
            "actions/upload-artifact": self.upload_artifact,
            "actions/download-artifact": self.download_artifact,
            "github/codeql-action/upload-sarif": self.upload_sarif,
        }.get(target)
        if target.startswith("./"):
            return self.composite(self.workspace / target[2:], name, step.get("id"), given, context)
        if handler is None:
            raise AssertionError(f"no stand-in for 'uses: {uses}': teach tests/actions_runner.py what it does")
        try:
            outputs, out = handler(given)
        except StepFailed as exc:
            return StepResult(name, step.get("id"), "failure", "failure", stderr=str(exc) + "\n")
        return StepResult(name, step.get("id"), "success", "success", outputs, out)

    def run_script(self, step: dict, name: str, context: dict, step_env: dict[str, str],
                   action_dir: Path | None) -> StepResult:
        functions = {"success": lambda: True, "failure": lambda: False, "always": lambda: True,
                     "cancelled": lambda: False}
        self.counter += 1
        script = self.temp / f"step-{self.counter}.sh"
        script.write_text(substitute(step["run"], context, functions), encoding="utf-8")
        output, env_out, path_out = (self.temp / f"{kind}-{self.counter}" for kind in ("output", "env", "path"))
        for f in (output, env_out, path_out):
            f.write_text("")
        shell = step.get("shell")
        command = (["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)] if shell == "bash"
                   else ["bash", "-e", str(script)])
        if shell not in (None, "bash"):
            raise AssertionError(f"shell {shell!r} is not played here")
        env = self.base_env()
        env.update(step_env)
        env.update(GITHUB_OUTPUT=str(output), GITHUB_ENV=str(env_out), GITHUB_PATH=str(path_out),
                   GITHUB_STEP_SUMMARY=str(self.summary))
        if action_dir is not None:
            env["GITHUB_ACTION_PATH"] = str(action_dir)
        cwd = self.workspace / substitute(step.get("working-directory", "."), context, functions)
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=self.runner.timeout, check=False)
        self.env_file.update(read_command_file(env_out))
        self.path_file += [line for line in path_out.read_text(encoding="utf-8").splitlines() if line]
        outcome = "success" if done.returncode == 0 else "failure"
        return StepResult(name, step.get("id"), outcome, outcome, read_command_file(output),
                          done.stdout, done.stderr + (f"(exit {done.returncode})\n" if done.returncode else ""))

    def composite(self, action_dir: Path, name: str, step_id: str | None, given: dict[str, str],
                  caller: dict) -> StepResult:
        action = load_yaml(action_dir / "action.yml")
        assert action["runs"]["using"] == "composite"
        unknown = set(given) - set(action.get("inputs", {}))
        assert not unknown, f"inputs the action does not declare: {unknown}"
        context = {**caller, "steps": {}, "github": {**self.github, "action_path": str(action_dir)}}
        context["inputs"] = {}
        for key, spec in (action.get("inputs") or {}).items():
            context["inputs"][key] = given[key] if key in given else substitute(spec.get("default", ""), context)
        steps = self.run_steps(action["runs"]["steps"], context, action_dir)
        context["steps"] = {s.id: {"outputs": s.outputs, "outcome": s.outcome, "conclusion": s.conclusion}
                            for s in steps if s.id}
        outputs = {k: substitute(v["value"], context) for k, v in (action.get("outputs") or {}).items()}
        failed = any(s.conclusion == "failure" for s in steps)
        outcome = "failure" if failed else "success"
        return StepResult(name, step_id, outcome, outcome, outputs, steps=steps)

    # -- stand-ins for the actions used -----------------------------------------------------------

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(["git", *args], cwd=cwd or self.workspace, env=self.base_env(),
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StepFailed(f"git {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def checkout(self, given: dict[str, str]) -> tuple[dict[str, str], str]:
        ref = given.get("ref") or self.github.get("ref") or f"refs/heads/{self.runner.default_branch}"
        if not ref.startswith("refs/"):
            ref = f"refs/heads/{ref}"
        branch = ref.split("/", 2)[-1]
        depth = int(given.get("fetch-depth") or 1)
        self.git("init", "--quiet", str(self.workspace))
        self.git("remote", "add", "origin", self.runner.remote.resolve().as_uri())
        self.git("fetch", "--quiet", "--no-tags", "--prune", *([f"--depth={depth}"] if depth else []),
                 "origin", f"+{ref}:refs/remotes/origin/{branch}")
        self.git("checkout", "--quiet", "-B", branch, f"refs/remotes/origin/{branch}")
        return {"ref": ref, "commit": self.git("rev-parse", "HEAD").strip()}, f"checked out {ref}\n"

    def setup_python(self, given: dict[str, str]) -> tuple[dict[str, str], str]:
        python = Path(sys.executable)
        if given.get("update-environment", "true") != "false":
            self.path_file.append(str(python.parent))
        version = ".".join(map(str, sys.version_info[:3]))
        return {"python-path": str(python), "python-version": version}, f"Python {version}\n"

    def upload_artifact(self, given: dict[str, str]) -> tuple[dict[str, str], str]:
        source = Path(given["path"])
        source = source if source.is_absolute() else self.workspace / source
        files = [p for p in source.rglob("*") if p.is_file()] if source.is_dir() else (
            [source] if source.is_file() else [])
        if not files:
            if given.get("if-no-files-found", "warn") == "error":
                raise StepFailed(f"No files were found with the provided path: {given['path']}")
            return {}, "no files\n"
        store = self.runner.root / "artifacts" / f"{self.github['run_id']}-{given.get('name', 'artifact')}"
        if store.exists():
            raise StepFailed(f"an artifact named {given.get('name')} already exists in this run")
        for f in files:
            rel = f.relative_to(source) if source.is_dir() else Path(f.name)
            (store / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, store / rel)
        self.artifacts[given.get("name", "artifact")] = store
        return {"artifact-id": "1"}, f"uploaded {len(files)} file(s)\n"

    def download_artifact(self, given: dict[str, str]) -> tuple[dict[str, str], str]:
        name = given.get("name", "artifact")
        if name not in self.artifacts:
            raise StepFailed(f"Unable to download artifact(s): Artifact not found for name: {name}")
        target = Path(given.get("path") or self.workspace)
        target = target if target.is_absolute() else self.workspace / target
        shutil.copytree(self.artifacts[name], target, dirs_exist_ok=True)
        return {"download-path": str(target)}, f"downloaded {name}\n"

    def upload_sarif(self, given: dict[str, str]) -> tuple[dict[str, str], str]:
        path = Path(given["sarif_file"])
        files = sorted(path.glob("*.sarif")) if path.is_dir() else [path]
        for f in files:
            json.loads(f.read_text(encoding="utf-8"))  # a file code scanning could read
        if self.runner.refuse_sarif:
            raise StepFailed(REFUSED_SARIF)
        self.uploads.append({"files": [str(f) for f in files], "category": given.get("category", "")})
        return {"sarif-id": "1"}, f"uploaded {len(files)} SARIF file(s)\n"


class StepFailed(Exception):
    pass
