"""Secrets never leak: not to stdout or stderr (verbose included), reports, the lock, the cache,
error messages, nor to a host the secret was not meant for.

Recognisable canaries stand in for a GitHub token (one shaped like a real token, one opaque so
that only dssync's registry of secrets can catch it), index credentials in the index URL, a
signature in the file URLs the index hands out, and git credentials in a clone URL. After
verbose runs, successful and failing, every byte dssync printed or wrote anywhere under the
test's directory is searched for each canary, raw and in the encodings it could be stored in.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import threading
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from test_faults import (
    PACKAGE, REPO, SDIST2, UPSTREAM, V1, V2, FakeGitHub, FaultServer, RedirectingIndex, Run,
    closed_port_url, run_dssync,
)

try:
    from gitrepo import git, make_repo
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.gitrepo import git, make_repo

TOKENS = {
    "github-shaped": "ghp_CanaryDssyncLeakTest0123456789abcdEF",
    "opaque": "opaque-canary-3f9a-never-print-me",
}
INDEX_PASSWORD = "idx-canary-pw-71c2"
SIGNATURE = "sig-canary-5d0e"
GIT_PASSWORD = "git-canary-pw-44b8"


def _forms(secret: str) -> set[bytes]:
    """The ways a secret could end up stored: raw, URL-quoted, base64 (as in Basic auth)."""
    raw = secret.encode()
    forms = {raw, urllib.parse.quote(secret, safe="").encode(), base64.b64encode(raw)}
    for user in ("user", "x-access-token", ""):
        forms.add(base64.b64encode(f"{user}:{secret}".encode()))
    return forms


def assert_nowhere(secrets: list[str], runs: list[Run], root: Path) -> int:
    """No form of any secret in any run's output or any file under ``root``; returns the
    number of files searched."""
    for run in runs:
        text = (run.out + run.err).encode()
        for secret in secrets:
            for form in _forms(secret):
                assert form not in text, f"{secret!r} printed by dssync:\n{run.out}{run.err}"
    searched = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            searched += 1
            for secret in secrets:
                for form in _forms(secret):
                    assert form not in data, f"{secret!r} written to {path}"
    return searched


@pytest.fixture(params=sorted(TOKENS))
def token(request) -> str:
    return TOKENS[request.param]


@pytest.fixture
def gh(token):
    with FakeGitHub(token=token) as server:
        # Private: nothing is served without the token, so every passing run proves it was sent.
        server.add_repo(REPO, {"v1": {UPSTREAM: V1}, "v2": {UPSTREAM: V2}}, private=True)
        yield server


def _project(tmp_path: Path, api_url: str, raw_url: str) -> Path:
    project = tmp_path / "project"
    (project / "vendor").mkdir(parents=True, exist_ok=True)
    (project / "vendor" / "constants.py").write_bytes(V1)
    (project / "pyproject.toml").write_text(
        f'[tool.dssync]\ngithub = "{REPO}"\nsources = ["github"]\nlock = "dssync.lock"\n'
        f'github-api-url = "{api_url}"\ngithub-raw-url = "{raw_url}"\n'
        f'[[tool.dssync.files]]\nvendored = "vendor/constants.py"\nupstream = "{UPSTREAM}"\n')
    return project


def test_github_token_never_leaks(tmp_path, gh, token):
    project = _project(tmp_path, gh.api_url, gh.raw_url)
    cache = tmp_path / "cache"
    env = {"GITHUB_TOKEN": token}

    def cli(*args: str, **extra: str) -> Run:
        return run_dssync("-v", *args, "--cache-dir", cache, cwd=project, env={**env, **extra})

    runs = []
    # Successes, with every kind of output written: reports, the lock, the HTTP cache.
    gh.fail_next(2, status=502, server="api")
    gh.rate_limit_next(retry_after="0", server="api")
    gh.truncate_next(1, server="api", path="/contents/")
    runs.append(cli("diff", "--tag", "v2", "--format", "json", "--write-reports"))
    assert runs[-1].code == 1, runs[-1].err
    assert "retrying" in runs[-1].err  # verbose: the requests and the retries were logged
    runs.append(cli("vendor", "--tag", "v1"))
    runs.append(cli("update", "--tag", "v2"))
    runs.append(cli("status"))
    runs.append(cli("diff", "--tag", "v2", "--offline"))
    assert [r.code for r in runs[1:]] == [0, 0, 0, 0], [r.err for r in runs]
    sent = [r.header("Authorization") for r in gh.requests_to("api")]
    assert f"Bearer {token}" in sent

    # Failures: a rate limit, a bad token, a tag that does not exist, a server that is gone.
    # (A release tag once resolved is not asked about again, so these runs read no cache.)
    gh.exhaust_rate_limit(times=50, server="api")
    runs.append(cli("diff", "--tag", "v2", "--no-cache"))
    gh.faults.clear()
    runs.append(cli("diff", "--tag", "v2", "--no-cache", GITHUB_TOKEN=token + "-wrong"))
    runs.append(cli("diff", "--tag", "v9"))
    gh.fail_next(1000, status=500, server="api")
    runs.append(cli("diff", "--tag", "v2", "--no-cache", DSSYNC_T_BUDGET="0.3"))
    gh.faults.clear()
    for failed in runs[-4:]:
        failed_line = failed.err.strip().splitlines()[-1]
        assert failed.code == 2 and failed_line.startswith("dssync: "), failed.err
        assert "Traceback" not in failed.err
    assert "rate limit" in runs[-4].err and "401" in runs[-3].err
    _project(tmp_path, closed_port_url(), closed_port_url())
    runs.append(cli("diff", "--tag", "v2", "--no-cache"))
    assert runs[-1].code == 2 and "connection refused" in runs[-1].err
    searched = assert_nowhere([token], runs, tmp_path)
    assert searched > 10 and any((cache / "http").rglob("*"))


def test_answers_that_echo_the_token_are_cached_without_it(tmp_path, gh, token):
    """A GitHub API answer that repeats the Authorization header was stored in the HTTP cache
    with the token in it (issue 15, finding 10): such headers are dropped before caching."""
    gh.echo_credentials = True
    project = _project(tmp_path, gh.api_url, gh.raw_url)
    cache = tmp_path / "cache"
    # A resolved release tag is not asked about again, so the second diff asks the API nothing;
    # the tag list is asked for on every run: the second revalidates the cached answer.
    runs = [run_dssync("-v", command, *extra, "--cache-dir", cache, cwd=project,
                       env={"GITHUB_TOKEN": token})
            for command, extra in [("diff", ("--tag", "v2"))] * 2 + [("tags", ())] * 2]
    assert [r.code for r in runs] == [1, 1, 0, 0], [r.err for r in runs]
    echoed = [r for r in gh.requests_to("api") if r.status == 200]
    assert echoed  # the answers did carry the token back
    entries = [p for p in (cache / "http").rglob("*") if p.is_file() and p.suffix != ".lock"]
    assert entries  # and answers were cached (revalidated by the second tags run)
    assert any(r.status == 304 for r in gh.requests_to("api"))
    assert_nowhere([token], runs, tmp_path)


def test_token_is_not_sent_to_another_host(tmp_path, gh, token):
    with FaultServer() as cdn:
        cdn.bodies[f"/{UPSTREAM}"] = V2
        seen: list[str | None] = []
        answer = cdn._answer

        def recording(handler):
            seen.append(handler.headers.get("Authorization"))
            answer(handler)

        cdn._answer = recording  # type: ignore[method-assign]
        gh.add_redirect(f"/repos/{REPO}/contents/", cdn.url + "/elsewhere/", server="api",
                        status=302)
        project = _project(tmp_path, gh.api_url, gh.raw_url)
        run = run_dssync("-v", "diff", "--tag", "v2", "--cache-dir", tmp_path / "cache",
                         cwd=project, env={"GITHUB_TOKEN": token})
        assert run.code == 1, run.err
        assert seen == [None]
        assert f"Bearer {token}" in [r.header("Authorization") for r in gh.requests_to("api")]
        assert_nowhere([token], [run], tmp_path)


def test_index_credentials_and_signed_urls_never_leak(tmp_path):
    with FaultServer() as cdn, RedirectingIndex() as idx:
        idx.file_host = cdn.url
        served = idx.add_file(PACKAGE, *SDIST2)
        cdn.bodies[f"/{served.filename}"] = served.content
        signed = idx.file_url

        idx.file_url = lambda s: f"{signed(s)}?Signature={SIGNATURE}&token={SIGNATURE}"  # type: ignore
        host = idx.url.split("://", 1)[1]
        index_url = f"http://user:{INDEX_PASSWORD}@{host}"
        project = _project(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9")
        cache = tmp_path / "cache"

        def cli(url: str, **extra: str) -> Run:
            return run_dssync("-v", "diff", "vendor/constants.py", "--tag", "v2", "--source",
                              f"pypi:{PACKAGE}", "--upstream-path", UPSTREAM, "--index-url", url,
                              "--cache-dir", cache, cwd=project, env=extra)

        cdn.misbehave("stall")  # a retry is logged, with the signed URL
        runs = [cli(index_url)]
        assert runs[0].code == 1, runs[0].err
        assert "retrying" in runs[0].err
        cdn.misbehave("short", times=100)  # the cut archive fails its sha256 check
        cache = tmp_path / "cache-2"
        runs.append(cli(index_url))
        assert runs[-1].code == 2 and "sha256" in runs[-1].err
        cdn.faults.clear()
        closed = closed_port_url().replace("http://", f"http://user:{INDEX_PASSWORD}@")
        runs.append(cli(closed + "/simple/"))
        # No --index-url: the index comes from pip's configuration, here its environment.
        runs.append(run_dssync("-v", "diff", "vendor/constants.py", "--tag", "v2", "--source",
                               f"pypi:{PACKAGE}", "--upstream-path", UPSTREAM, "--cache-dir",
                               tmp_path / "cache-3", cwd=project,
                               env={"PIP_INDEX_URL": closed + "/simple/"}))
        assert all(r.code == 2 for r in runs[-2:]), [r.err for r in runs]
        assert "connection refused" in runs[-1].err and "127.0.0.1" in runs[-1].err
        assert_nowhere([INDEX_PASSWORD, SIGNATURE], runs, tmp_path)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_git_credentials_in_a_clone_url_never_leak(tmp_path):
    # git's "dumb" HTTP protocol: a bare repository served as static files.
    served = tmp_path / "served"
    make_repo(served / "widgets.git", [("v1", {UPSTREAM: V1}), ("v2", {UPSTREAM: V2})],
              bare=True)
    git("update-server-info", cwd=served / "widgets.git")
    handler = functools.partial(_Quiet, directory=str(served))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        port = httpd.server_address[1]
        url = f"http://x-access-token:{GIT_PASSWORD}@127.0.0.1:{port}/widgets.git"
        project = _project(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9")
        cache = tmp_path / "cache"

        def cli(source: str, *args: str) -> Run:
            return run_dssync("-v", *args, "--source", f"git:{source}", "--cache-dir", cache,
                              cwd=project)

        # A clone, then a fetch into the cached clone.
        runs = [cli(url, "tags"), cli(url, "tags")]
        assert [r.code for r in runs] == [0, 0], [r.err for r in runs]
        assert "v2" in runs[0].out and " clone " in runs[0].err and " fetch " in runs[1].err
        # Reading a file: its blob is fetched on demand, through the credentials again.
        runs.append(cli(url, "diff", "vendor/constants.py", "--tag", "v2", "--upstream-path",
                        UPSTREAM))
        assert runs[-1].code == 1 and "LIMIT" in runs[-1].out, runs[-1].err
        assert any((cache / "git").iterdir())
        assert_nowhere([GIT_PASSWORD], runs, tmp_path)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_canaries_would_be_found(tmp_path):
    # The search itself must be able to fail: a file holding the Basic-auth form is caught.
    (tmp_path / "leak").write_bytes(b"Authorization: Basic " + base64.b64encode(
        f"user:{INDEX_PASSWORD}".encode()))
    with pytest.raises(AssertionError, match="written to"):
        assert_nowhere([INDEX_PASSWORD], [], tmp_path)
    assert hashlib.sha256(INDEX_PASSWORD.encode()).hexdigest() not in INDEX_PASSWORD


def test_diff_from_a_git_url_with_credentials(tmp_path):
    served = tmp_path / "served"
    make_repo(served / "widgets.git", [("v2", {UPSTREAM: V2})], bare=True)
    git("update-server-info", cwd=served / "widgets.git")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(_Quiet, directory=str(served)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        url = f"http://x-access-token:{GIT_PASSWORD}@127.0.0.1:{httpd.server_address[1]}" \
              "/widgets.git"
        project = _project(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9")
        run = run_dssync("diff", "vendor/constants.py", "--tag", "v2", "--source", f"git:{url}",
                         "--upstream-path", UPSTREAM, "--cache-dir", tmp_path / "cache",
                         cwd=project)
        assert run.code == 1, run.err
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("password", [GIT_PASSWORD, f"pa@{GIT_PASSWORD}"],
                         ids=["plain", "holding an @"])
def test_a_failing_git_url_with_credentials_is_reported_without_them(tmp_path, password):
    project = _project(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9")
    port = closed_port_url().rsplit(":", 1)[1]
    url = f"http://x-access-token:{password}@127.0.0.1:{port}/widgets.git"
    runs = [run_dssync("tags", "--source", f"git:{url}", "--source", f"git:{url}/2",
                       "--cache-dir", tmp_path / "cache", cwd=project)]
    assert runs[0].code == 2 and "cannot clone" in runs[0].err, runs[0].err
    assert_nowhere([GIT_PASSWORD], runs, tmp_path)
