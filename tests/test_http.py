"""HttpClient against real HTTP servers on 127.0.0.1 (tests/servers/github_server.py)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from email.utils import formatdate
from pathlib import Path

import pytest

from dssync import __version__
from dssync._source.http import HttpClient, HttpResponse, redact, register_secret
from dssync._source.interface import SourceContext
from dssync.cache import Cache
from dssync.errors import (
    DssyncError,
    NotFound,
    OfflineMiss,
    RateLimited,
    SourceUnavailable,
    UpstreamError,
)
try:
    from servers.github_server import FakeGitHub, github_server  # noqa: F401
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.servers.github_server import FakeGitHub, github_server  # noqa: F401

TOKEN = "ghp_TestToken0123456789abcdefABCDEF0123"
BODY = b"TRAIN_BATCH_SIZE = 'train_batch_size'\n" * 40


def make_ctx(tmp_path: Path, *, cache: bool = True, **overrides) -> tuple[SourceContext, list[str]]:
    lines: list[str] = []
    settings = dict(verbose=True, log=lines.append, timeout=(2.0, 2.0), max_retry_seconds=5.0)
    settings.update(overrides)
    ctx = SourceContext(cache=Cache(tmp_path / "cache" if cache else None), **settings)
    return ctx, lines


@pytest.fixture
def gh(github_server: FakeGitHub) -> FakeGitHub:  # noqa: F811
    repo = github_server.add_repo("octo/proj", {"v1.0": {"pkg/constants.py": BODY}})
    github_server.commit = repo.commit_of["v1.0"]  # type: ignore[attr-defined]
    return github_server


def raw_file(gh: FakeGitHub) -> str:
    return f"{gh.raw_url}/octo/proj/{gh.commit}/pkg/constants.py"  # type: ignore[attr-defined]


def api_ref(gh: FakeGitHub) -> str:
    return f"{gh.api_url}/repos/octo/proj/git/ref/tags/v1.0"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- basics -----------------------------------------------------------------------------------


def test_get_returns_body_status_headers_and_sends_user_agent(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path)
    with HttpClient(ctx, backoff=0.01) as client:
        resp = client.get(raw_file(gh))
    assert isinstance(resp, HttpResponse)
    assert (resp.status, resp.content, resp.from_cache) == (200, BODY, False)
    assert resp.url == raw_file(gh)
    assert resp.headers["content-type"] == resp.headers["Content-Type"] == \
        "text/plain; charset=utf-8"
    [seen] = gh.requests_to("raw")
    assert seen.header("User-Agent") == f"dssync/{__version__}"
    assert any(re.fullmatch(r"GET http://127\.0\.0\.1:\d+/octo/proj/\w+/pkg/constants\.py -> 200 "
                            r"\(cache miss\) \d+ bytes in [\d.]+s", line) for line in lines), lines


def test_quiet_when_not_verbose(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path, verbose=False)
    gh.fail_next(1, 503)
    with HttpClient(ctx, backoff=0.01) as client:
        client.get(raw_file(gh))
    assert lines == []


def test_etag_revalidation_serves_304_from_cache(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path)
    with HttpClient(ctx, backoff=0.01) as client:
        first = client.get(raw_file(gh))
    # A new client (a new run) must ask again, with the ETag, and get the body from the cache.
    with HttpClient(ctx, backoff=0.01) as client:
        second = client.get(raw_file(gh))
    first_req, second_req = gh.requests_to("raw")
    assert first_req.header("If-None-Match") is None
    assert second_req.header("If-None-Match") == first.headers["ETag"]
    assert second_req.status == 304
    assert (second.status, second.content, second.from_cache) == (200, BODY, True)
    assert first.from_cache is False
    assert any("-> 200 (cache hit)" in line for line in lines), lines


def test_changed_content_replaces_cached_body(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    url = api_ref(gh)
    with HttpClient(ctx, backoff=0.01) as client:
        before = client.get(url).content
        new_commit = gh.move_tag("octo/proj", "v1.0", {"pkg/constants.py": b"X = 2\n"})
        after = client.get(url)
    assert new_commit.encode() in after.content and new_commit.encode() not in before
    assert after.from_cache is False


def test_without_cache_dir_nothing_is_revalidated(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path, cache=False)
    with HttpClient(ctx, backoff=0.01) as client:
        client.get(raw_file(gh))
        again = client.get(raw_file(gh))
    assert again.from_cache is False
    assert [r.header("If-None-Match") for r in gh.requests_to("raw")] == [None, None]
    assert not (tmp_path / "cache").exists()
    assert any("(no cache)" in line for line in lines)


def test_offline_raises_offline_miss_naming_the_url(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, offline=True)
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(OfflineMiss) as info:
            client.get(raw_file(gh))
    assert raw_file(gh) in str(info.value)
    assert "--offline" in str(info.value)
    assert gh.requests == []


# -- retries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_burst_then_success(gh, tmp_path, status):
    ctx, lines = make_ctx(tmp_path)
    gh.fail_next(3, status)
    with HttpClient(ctx, backoff=0.01) as client:
        resp = client.get(raw_file(gh))
    assert resp.content == BODY
    assert [r.status for r in gh.requests_to("raw")] == [status] * 3 + [200]
    waits = [line for line in lines if line.startswith("retrying in ")]
    assert waits == [f"retrying in 0.0s after {status}"] * 3


def test_backoff_grows_exponentially(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path)
    gh.fail_next(3, 503)
    with HttpClient(ctx, backoff=0.05) as client:
        client.get(raw_file(gh))
    assert [line for line in lines if line.startswith("retrying")] == [
        "retrying in 0.1s after 503", "retrying in 0.1s after 503", "retrying in 0.2s after 503"]


def test_persistent_5xx_gives_up_with_source_unavailable(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, max_retry_seconds=0.1)
    gh.fail_next(1000, 502)
    with HttpClient(ctx, backoff=0.02) as client:
        with pytest.raises(SourceUnavailable) as info:
            client.get(raw_file(gh))
    message = str(info.value)
    assert "502" in message and raw_file(gh) in message
    assert "\n" not in message
    assert not isinstance(info.value, RateLimited)
    # 0.02 + 0.04 fit in 0.1 s, 0.08 more does not: three requests, then give up (two on a
    # machine so busy that the requests themselves eat the budget: still retried, still bounded).
    assert len(gh.requests_to("raw")) in (2, 3)


def test_zero_retry_budget_means_one_attempt(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, max_retry_seconds=0)
    gh.fail_next(5, 503)
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(SourceUnavailable, match="after 1 attempt: 503"):
            client.get(raw_file(gh))
    assert len(gh.requests_to("raw")) == 1


def test_429_retry_after_is_honoured_then_success(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path)
    gh.rate_limit_next(1, retry_after="1")
    with HttpClient(ctx, backoff=0.01) as client:
        resp = client.get(raw_file(gh))
    assert resp.content == BODY
    assert [r.status for r in gh.requests_to("raw")] == [429, 200]
    assert "retrying in 1.0s after 429" in lines


def test_429_retry_after_beyond_budget_stops_at_once(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, max_retry_seconds=30)
    gh.rate_limit_next(1, retry_after="3600")
    before = time.time()
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(RateLimited) as info:
            client.get(api_ref(gh))
    assert len(gh.requests_to("api")) == 1
    assert info.value.reset is not None and before + 3599 <= info.value.reset <= time.time() + 3601
    assert iso(info.value.reset)[:13] in str(info.value)  # the hour, robust to a second's tick
    assert "GITHUB_TOKEN" in str(info.value)


def test_retry_after_as_http_date(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, max_retry_seconds=30)
    when = int(time.time()) + 7200
    gh.rate_limit_next(1, retry_after=formatdate(when, usegmt=True))
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(RateLimited) as info:
            client.get(raw_file(gh))
    assert len(gh.requests_to("raw")) == 1
    assert iso(when) in str(info.value)


def test_403_with_exhausted_rate_limit_raises_rate_limited_without_waiting(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, max_retry_seconds=60)
    reset = int(time.time()) + 3 * 3600
    gh.exhaust_rate_limit(1, reset=reset)
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(RateLimited) as info:
            client.get(api_ref(gh))
    assert [r.status for r in gh.requests_to("api")] == [403]
    message = str(info.value)
    assert iso(reset) in message
    assert "GITHUB_TOKEN" in message
    assert info.value.reset == reset
    assert isinstance(info.value, SourceUnavailable)  # so the next source may try
    assert "\n" not in message


def test_rate_limit_with_a_token_does_not_suggest_a_token(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    gh.exhaust_rate_limit(1)
    with HttpClient(ctx, token=TOKEN, token_hosts=[gh.api_host], backoff=0.01) as client:
        with pytest.raises(RateLimited) as info:
            client.get(api_ref(gh))
    assert "GITHUB_TOKEN" not in str(info.value)
    assert TOKEN not in str(info.value)


def test_exhausted_rate_limit_resetting_soon_is_waited_for(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path, max_retry_seconds=10)
    gh.exhaust_rate_limit(1, reset=time.time() - 5)  # already reset: wait the 1 s margin only
    with HttpClient(ctx, backoff=0.01) as client:
        resp = client.get(api_ref(gh))
    assert resp.status == 200
    assert [r.status for r in gh.requests_to("api")] == [403, 200]
    assert "retrying in 1.0s after 403 (rate limited)" in lines


def test_plain_403_is_an_upstream_error_and_not_retried(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    gh.fail_next(1, 403)
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(UpstreamError) as info:
            client.get(api_ref(gh))
    assert not isinstance(info.value, SourceUnavailable)
    assert "403" in str(info.value) and "fault injected" in str(info.value)
    assert len(gh.requests_to("api")) == 1


def test_truncated_body_is_retried_and_not_cached(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path)
    gh.truncate_next(1)
    with HttpClient(ctx, backoff=0.01) as client:
        resp = client.get(raw_file(gh))
        assert resp.content == BODY
        assert len(gh.requests_to("raw")) == 2
        assert any("retrying in" in line and "truncated body" in line for line in lines), lines
        again = client.get(raw_file(gh))
    assert again.from_cache and again.content == BODY


def test_truncated_body_every_time_gives_up(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, max_retry_seconds=0.05)
    gh.truncate_next(1000)
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(SourceUnavailable, match="truncated body"):
            client.get(raw_file(gh))
    # Nothing partial may have been cached: a fresh request gets no If-None-Match.
    gh.faults.clear()
    with HttpClient(ctx, backoff=0.01) as client:
        assert client.get(raw_file(gh)).content == BODY
    assert gh.requests_to("raw")[-1].header("If-None-Match") is None


def test_dropped_connection_is_retried(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path)
    gh.drop_next(1)
    with HttpClient(ctx, backoff=0.01) as client:
        assert client.get(raw_file(gh)).content == BODY
    assert len(gh.requests_to("raw")) == 2
    assert any(line.startswith("retrying in 0.0s after connection") for line in lines), lines


def test_read_timeout_is_retried(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path, timeout=(2.0, 0.2))
    gh.slow_next(1, delay=0.6)
    with HttpClient(ctx, backoff=0.01) as client:
        assert client.get(raw_file(gh)).content == BODY
    assert "retrying in 0.0s after read timeout" in lines
    assert len(gh.requests_to("raw")) == 2


def test_connection_refused_is_source_unavailable(tmp_path):
    ctx, lines = make_ctx(tmp_path, max_retry_seconds=30)
    url = FakeGitHub.closed_port_url() + "/x.py"
    with HttpClient(ctx, backoff=5.0) as client:
        with pytest.raises(SourceUnavailable) as info:
            client.get(url)
    message = str(info.value)
    assert "connection refused" in message and url in message and "\n" not in message
    assert not any(line.startswith("retrying") for line in lines)


# -- status mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
def test_missing_is_not_found_naming_the_url(gh, tmp_path, status):
    ctx, _ = make_ctx(tmp_path)
    gh.fail_next(1, status)
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(NotFound) as info:
            client.get(raw_file(gh))
    assert raw_file(gh) in str(info.value)
    assert len(gh.requests_to("raw")) == 1


@pytest.mark.parametrize("status", [400, 401, 422])
def test_other_4xx_is_upstream_error(gh, tmp_path, status):
    ctx, _ = make_ctx(tmp_path)
    gh.fail_next(1, status)
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(UpstreamError) as info:
            client.get(raw_file(gh))
    assert type(info.value) is UpstreamError
    assert str(status) in str(info.value)
    assert len(gh.requests_to("raw")) == 1


def test_not_found_message_redacts_credentials_in_the_url(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    host = gh.raw_url.split("//", 1)[1]
    url = f"http://alice:s3cretpass@{host}/octo/proj/nope/x.py?token=qwertyuiop"
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(NotFound) as info:
            client.get(url)
    assert "s3cretpass" not in str(info.value) and "qwertyuiop" not in str(info.value)
    assert "/octo/proj/nope/x.py" in str(info.value)


# -- redirects --------------------------------------------------------------------------------


def test_redirects_are_followed_and_final_url_reported(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    gh.add_redirect("/old/", f"{gh.raw_url}/older/", server="raw", status=302)
    gh.add_redirect("/older/", f"{gh.raw_url}/octo/", server="raw", status=307)
    with HttpClient(ctx, backoff=0.01) as client:
        resp = client.get(raw_file(gh).replace("/octo/", "/old/"))
    assert resp.content == BODY
    assert resp.url == raw_file(gh)
    assert [r.status for r in gh.requests_to("raw")] == [302, 307, 200]


def test_more_than_five_redirects_is_an_error(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    gh.add_redirect("/loop/", f"{gh.raw_url}/loop/", server="raw", status=302)
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(UpstreamError, match="more than 5 redirects"):
            client.get(f"{gh.raw_url}/loop/x")
    assert len(gh.requests_to("raw")) == 6


# -- size limit -------------------------------------------------------------------------------


def test_declared_body_over_max_bytes_is_refused(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(UpstreamError, match=f"larger than {len(BODY) - 1} bytes; refusing"):
            client.get(raw_file(gh), max_bytes=len(BODY) - 1)
        assert client.get(raw_file(gh), max_bytes=len(BODY)).content == BODY


def test_streamed_body_over_max_bytes_is_refused(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    gh.chunked = True  # no Content-Length: only counting the stream can catch it
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(UpstreamError, match="refusing"):
            client.get(raw_file(gh), max_bytes=100)
        resp = client.get(raw_file(gh))
        again = client.get(raw_file(gh))
    assert resp.content == BODY and "Content-Length" not in resp.headers
    # The refused part was not cached; the whole body read afterwards was.
    assert [r.header("If-None-Match") is None for r in gh.requests_to("raw")] == \
        [True, True, False]
    assert again.from_cache and again.content == BODY


# -- credentials ------------------------------------------------------------------------------


def test_token_goes_only_to_token_hosts_and_never_leaks(gh, tmp_path):
    ctx, lines = make_ctx(tmp_path)
    # The API host redirects one path to the raw host: the token must not follow.
    gh.add_redirect("/moved/", f"{gh.raw_url}/octo/", server="api", status=302)
    gh.fail_next(1, 503, server="api")
    with HttpClient(ctx, token=TOKEN, token_hosts=[gh.api_host], backoff=0.01) as client:
        client.get(api_ref(gh))
        # GitHub's answers vary on Authorization; the entry must not record the token.
        assert_absent_from_cache(tmp_path / "cache", TOKEN)
        client.get(api_ref(gh))
        client.get(raw_file(gh))
        client.get(raw_file(gh).replace(gh.raw_url, gh.api_url).replace("/octo/", "/moved/"))
        with pytest.raises(NotFound) as missing:
            client.get(f"{gh.api_url}/repos/octo/nothing/tags")
        gh.exhaust_rate_limit(1)
        with pytest.raises(RateLimited) as limited:
            client.get(api_ref(gh))

    api = gh.requests_to("api")
    assert api and all(r.header("Authorization") == f"Bearer {TOKEN}" for r in api)
    assert [r.status for r in gh.requests_to("api", "git/ref")] == [503, 200, 304, 403]
    raw = gh.requests_to("raw")
    assert len(raw) == 2 and all(r.header("Authorization") is None for r in raw)

    for text in [*lines, str(missing.value), str(limited.value), repr(client)]:
        assert TOKEN not in text
    assert_absent_from_cache(tmp_path / "cache", TOKEN)


def assert_absent_from_cache(root: Path, secret: str) -> None:
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert secret not in str(path)
        assert secret.encode() not in path.read_bytes(), path


def test_token_host_with_port_does_not_match_other_ports(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    with HttpClient(ctx, token=TOKEN, token_hosts=[gh.api_host], backoff=0.01) as client:
        client.get(raw_file(gh))  # same host name 127.0.0.1, other port
    assert gh.requests_to("raw")[0].header("Authorization") is None


def test_token_host_without_port_matches_any_port(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    with HttpClient(ctx, token=TOKEN, token_hosts=["127.0.0.1"], backoff=0.01) as client:
        client.get(raw_file(gh))
    assert gh.requests_to("raw")[0].header("Authorization") == f"Bearer {TOKEN}"


def test_caller_authorization_is_dropped_on_cross_host_redirect(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path)
    gh.add_redirect("/moved/", f"{gh.raw_url}/octo/", server="api", status=302)
    url = raw_file(gh).replace(gh.raw_url, gh.api_url).replace("/octo/", "/moved/")
    with HttpClient(ctx, backoff=0.01) as client:
        client.get(url, headers={"Authorization": "Basic c2VjcmV0"})
    assert gh.requests_to("api")[0].header("Authorization") == "Basic c2VjcmV0"
    assert gh.requests_to("raw")[0].header("Authorization") is None


def test_http_cache_error_is_a_dssync_error(gh, tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("not a directory")
    ctx = SourceContext(cache=Cache(blocker), timeout=(2.0, 2.0))
    with HttpClient(ctx, backoff=0.01) as client:
        with pytest.raises(DssyncError, match="HTTP cache"):
            client.get(raw_file(gh))


# -- redact -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, secret", [
    ("https://user:hunter22@example.com/simple/", "hunter22"),
    ("https://__token__:pypi-AgEIcHlwaS5vcmc@example.com/x", "pypi-AgEIcHlwaS5vcmc"),
    ("GET https://example.com/a.py?token=ABCDEF123456&x=1 -> 200", "ABCDEF123456"),
    ("https://x.example/f?X-Amz-Signature=deadbeefcafe", "deadbeefcafe"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload", "eyJhbGciOiJIUzI1NiJ9"),
    ("{'Authorization': 'token 0123456789abcdef'}", "0123456789abcdef"),
    ("failed with ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_abcdefghijklmnopqrstuvwxyz0123"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop leaked", "github_pat_11ABCDEFG"),
])
def test_redact_removes_credentials(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned
    assert "***" in cleaned


def test_redact_keeps_ordinary_text_and_registered_secrets_go():
    plain = "GET https://example.com/o/r/v1.0/deepspeed/runtime/constants.py -> 404 (tag v1.0)"
    assert redact(plain) == plain
    register_secret("Zq8-odd-shaped-secret")
    assert redact("value Zq8-odd-shaped-secret here") == "value *** here"
