"""Several dssync processes at once, sharing one cache directory and one project.

Every process must print what it would print alone, every cache entry must be whole and true
afterwards (``check_cache``: blobs and members are upstream files, archives sit under their own
sha256, JSON entries parse, HTTP entries deserialize, no temporary file is left), and updates
racing each other must leave files and lock that agree.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from test_faults import (
    REPO, SDIST1, SDIST2, UPSTREAM, V1, V2, FakeGitHub, FakeIndex, Run, check_cache,
    snapshot, start_dssync, wait_rusage,
)

try:
    from gitrepo import make_repo
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.gitrepo import make_repo

V3 = V2.replace(b"COUNT = 4", b"COUNT = 5") + b"EXTRA = 'x'\n"


def run_all(commands: list[tuple[list[str], Path]], timeout: float = 120) -> list[Run]:
    """Start every command before waiting for any, then collect them all."""
    started = []
    for args, cwd in commands:
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 - closed below
        started.append((start_dssync(args, cwd=cwd, stdout=out, stderr=err), out, err))
    runs = []
    for proc, out, err in started:
        code, rss = wait_rusage(proc, timeout)
        out.seek(0)
        err.seek(0)
        runs.append(Run(code, out.read().decode(), err.read().decode(), 0.0, rss))
        out.close()
        err.close()
    return runs


@pytest.fixture
def servers():
    with FakeGitHub() as gh, FakeIndex() as index:
        gh.add_repo(REPO, {"v1": {UPSTREAM: V1}, "v2": {UPSTREAM: V2}})
        index.add_file("widgets", *SDIST1)
        index.add_file("widgets", *SDIST2)
        yield gh, index


def _project(root: Path, gh: FakeGitHub) -> Path:
    (root / "vendor").mkdir(parents=True)
    (root / "vendor" / "constants.py").write_bytes(V1)
    (root / "dssync.toml").write_text(
        f'github = "{REPO}"\npackage = "widgets"\nsources = ["github"]\n'
        f'github-api-url = "{gh.api_url}"\ngithub-raw-url = "{gh.raw_url}"\n'
        f'[[files]]\nvendored = "vendor/constants.py"\nupstream = "{UPSTREAM}"\n')
    return root


def test_concurrent_diffs_share_one_cache(tmp_path, servers):
    gh, index = servers
    project = _project(tmp_path / "project", gh)
    cache = tmp_path / "fresh" / "cache"  # not there yet: all create the same directories
    # Hold the first answers back a little so that the processes reach the cache together.
    gh.slow_next(3, delay=0.3, server="raw")
    index.fail_next(1, status=503, path_prefix="/files/")
    commands = []
    for tag in ("v1", "v2", "v2"):
        base = ["diff", "vendor/constants.py", "--tag", tag, "--upstream-path", UPSTREAM,
                "--cache-dir", str(cache), "--format", "json"]
        commands.append(([*base, "--source", f"github:{REPO}"], project))
        commands.append(([*base, "--source", "pypi:widgets", "--index-url", index.url], project))
    first = run_all(commands)
    counts = check_cache(cache, [V1, V2], [SDIST1[1], SDIST2[1]])
    assert counts["blobs"] == 2 and counts["archives"] == 2 and counts["members"] == 2
    # The same again, now answered from what the first round cached.
    second = run_all(commands[:4])
    check_cache(cache, [V1, V2], [SDIST1[1], SDIST2[1]])

    reports: dict[tuple[str, str], str] = {}
    for (args, _), run in zip(commands + commands[:4], first + second):
        tag = args[args.index("--tag") + 1]
        assert run.code == (0 if tag == "v1" else 1) and run.err == "", run.err
        report = json.loads(run.out)
        assert report["summary"]["changed"] == (0 if tag == "v1" else 2)
        assert report["summary"]["added"] == (0 if tag == "v1" else 1)
        key = (tag, args[args.index("--source") + 1])
        assert reports.setdefault(key, run.out) == run.out  # alike, whoever wrote the cache


def test_concurrent_updates_and_diffs_in_one_project(tmp_path):
    upstream = tmp_path / "up"
    make_repo(upstream, [("v1", {UPSTREAM: V1}), ("v2", {UPSTREAM: V2})])
    project = tmp_path / "project"
    (project / "vendor").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        f'[tool.dssync]\nsources = ["git:{upstream.as_posix()}"]\nlock = "dssync.lock"\n'
        f'[[tool.dssync.files]]\nvendored = "vendor/constants.py"\nupstream = "{UPSTREAM}"\n')
    cache = tmp_path / "cache"
    vendor = run_all([(["vendor", "--tag", "v1", "--cache-dir", str(cache)], project)])[0]
    assert vendor.code == 0, vendor.err

    # What one update alone produces, in a copy of the project.
    import shutil

    alone = tmp_path / "alone"
    shutil.copytree(project, alone)
    single = run_all([(["update", "--tag", "v2", "--cache-dir", str(tmp_path / "c2")], alone)])[0]
    assert single.code == 0, single.err
    expected = snapshot(alone)

    update = ["update", "--tag", "v2", "--cache-dir", str(cache)]
    diff = ["diff", "--tag", "v2", "--cache-dir", str(cache), "--format", "json"]
    runs = run_all([(update, project), (diff, project), (update, project), (diff, project),
                    (update, project), (diff, project)])
    for i, run in enumerate(runs):
        assert "Traceback" not in run.err and "internal error" not in run.err, run.err
        if i % 2 == 0:
            assert run.code == 0, run.err  # updates of one project wait for each other
        else:
            # A diff sees the vendored file before or after an update replaced it, never torn.
            assert run.code in (0, 1), run.err
            report = json.loads(run.out)
            assert report["summary"]["files"] == 1
    assert snapshot(project) == expected
    check_cache(cache, [V1, V2])
    status = run_all([(["status", "--cache-dir", str(cache)], project)])[0]
    assert status.code == 0, status.out + status.err


def _many(version: int, count: int = 1500) -> bytes:
    return "".join(f"C{i} = {i * version}\n" for i in range(count)).encode()


def test_an_update_racing_another_update_is_not_mistaken_for_local_edits(tmp_path):
    upstream = tmp_path / "up"
    make_repo(upstream, [("v1", {UPSTREAM: _many(1)}), ("v2", {UPSTREAM: _many(2)})])
    project = tmp_path / "project"
    (project / "vendor").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        f'[tool.dssync]\nsources = ["git:{upstream.as_posix()}"]\nlock = "dssync.lock"\n'
        f'[[tool.dssync.files]]\nvendored = "vendor/constants.py"\nupstream = "{UPSTREAM}"\n')
    cache = tmp_path / "cache"
    assert run_all([(["vendor", "--tag", "v1", "--cache-dir", str(cache)], project)])[0].code == 0
    import shutil
    import time

    # How long the merge takes: one update alone, less a command that merges nothing.
    alone = tmp_path / "alone"
    shutil.copytree(project, alone)
    update = ["update", "--tag", "v2", "--cache-dir", str(cache)]
    started = time.monotonic()
    assert run_all([(update, alone)])[0].code == 0
    whole = time.monotonic() - started
    expected = snapshot(alone)
    started = time.monotonic()
    run_all([(["update", "--tag", "v1", "--cache-dir", str(cache)], alone)])
    merge = max(0.2, whole - (time.monotonic() - started))

    # The second update starts half a merge later: it reads the file while the first is
    # merging, and checks it for local edits after the first has written it.
    first = start_dssync(update, cwd=project, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(merge / 2)
    with tempfile.TemporaryFile() as err:
        second = start_dssync(update, cwd=project, stdout=subprocess.DEVNULL, stderr=err)
        codes = [wait_rusage(first, 120)[0], wait_rusage(second, 120)[0]]
        err.seek(0)
        message = err.read().decode()
    assert snapshot(project) == expected  # the files and lock agree either way
    assert codes == [0, 0], message[:300]
