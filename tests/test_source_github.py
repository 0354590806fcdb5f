"""GitHubSource against a fake GitHub on 127.0.0.1 (tests/servers/github_server.py)."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dssync._source.github import GitHubSource
from dssync._source.interface import Fetched, SourceContext, UpstreamSource
from dssync.cache import Cache
from dssync.errors import (
    ConfigError,
    NotFound,
    OfflineMiss,
    RateLimited,
    SourceUnavailable,
    UpstreamError,
)
from dssync.models import Origin
try:
    from servers.github_server import FakeGitHub, github_server  # noqa: F401
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.servers.github_server import FakeGitHub, github_server  # noqa: F401

TOKEN = "ghp_SourceTestToken0123456789abcdefXYZ"
CONSTANTS = "deepspeed/runtime/constants.py"
V1 = b"TRAIN_BATCH_SIZE = 'train_batch_size'\nGRADIENT_ACCUMULATION_STEPS_DEFAULT = None\n"
V2 = b"TRAIN_BATCH_SIZE = 'train_batch_size'\nGRADIENT_ACCUMULATION_STEPS_DEFAULT = 1\n"
ZERO = b"ZERO_OPTIMIZATION = 'zero_optimization'\n"


@pytest.fixture(autouse=True)
def _no_ambient_token(monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)


@pytest.fixture
def gh(github_server: FakeGitHub) -> FakeGitHub:  # noqa: F811
    github_server.add_repo("microsoft/DeepSpeed", {
        "v0.9.0": {CONSTANTS: V1, "deepspeed/runtime/zero/constants.py": ZERO},
        "v0.9.1": {CONSTANTS: V2},
        "v0.10.0": {CONSTANTS: V2 + b"NEW = 1\n"},
        "release/1.0": {CONSTANTS: V1},
    }, annotated={"v0.9.1": 1, "v0.10.0": 2})
    return github_server


def make_ctx(tmp_path: Path, gh: FakeGitHub, **overrides) -> tuple[SourceContext, list[str]]:
    lines: list[str] = []
    settings = dict(verbose=True, log=lines.append, timeout=(2.0, 2.0), max_retry_seconds=5.0,
                    github_api_url=gh.api_url, github_raw_url=gh.raw_url)
    settings.update(overrides)
    return SourceContext(cache=Cache(tmp_path / "cache"), **settings), lines


def source(ctx: SourceContext, repo: str = "microsoft/DeepSpeed", **kw) -> GitHubSource:
    return GitHubSource(repo, ctx, backoff=0.01, **kw)


def commit_of(gh: FakeGitHub, tag: str, repo: str = "microsoft/DeepSpeed") -> str:
    return gh.repos[repo.lower()].commit_of[tag]


# -- identity ---------------------------------------------------------------------------------


def test_kind_spec_and_protocol(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    src = source(ctx)
    assert (src.kind, src.spec) == ("github", "github:microsoft/DeepSpeed")
    members = {"kind", "spec", "list_tags", "fetch"}
    assert members <= {n for n in dir(UpstreamSource) if not n.startswith("_")} | members
    assert all(hasattr(src, name) for name in members)


@pytest.mark.parametrize("repo", ["DeepSpeed", "a/b/c", "", "own er/x", "../x"])
def test_invalid_repo_is_a_config_error(gh, tmp_path, repo):
    ctx, _ = make_ctx(tmp_path, gh)
    with pytest.raises(ConfigError):
        GitHubSource(repo, ctx)


# -- tags -------------------------------------------------------------------------------------


def test_list_tags_follows_link_pagination(github_server, tmp_path):  # noqa: F811
    names = [f"v0.{i}.0" for i in range(250)]
    github_server.add_repo("big/repo", {n: {"a.py": n} for n in names})
    ctx, _ = make_ctx(tmp_path, github_server)
    tags = source(ctx, "big/repo").list_tags()
    assert sorted(tags) == sorted(names)
    pages = github_server.requests_to("api", "/tags")
    assert len(pages) == 3
    assert "per_page=100" in pages[0].path and "page=" not in pages[0].path.replace("per_page", "")
    assert pages[1].path.endswith("page=2") and pages[2].path.endswith("page=3")


def test_list_tags_of_missing_repo_is_not_found(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    with pytest.raises(NotFound) as info:
        source(ctx, "microsoft/NoSuchRepo").list_tags()
    assert "github:microsoft/NoSuchRepo" in str(info.value)
    assert "GITHUB_TOKEN" in str(info.value)


def test_resolve_lightweight_tag(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    assert source(ctx).resolve("v0.9.0") == commit_of(gh, "v0.9.0")
    assert gh.requests_to("api", "/git/tags/") == []


def test_resolve_annotated_tag_follows_tag_objects(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    src = source(ctx)
    assert src.resolve("v0.9.1") == commit_of(gh, "v0.9.1")
    assert len(gh.requests_to("api", "/git/tags/")) == 1
    assert src.resolve("v0.10.0") == commit_of(gh, "v0.10.0")  # a tag of a tag
    assert len(gh.requests_to("api", "/git/tags/")) == 3


def test_resolve_tag_with_slash(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    assert source(ctx).resolve("release/1.0") == commit_of(gh, "release/1.0")
    assert gh.requests_to("api", "/git/ref/tags/release/1.0")


def test_unknown_tag_is_not_found_suggesting_nearest_tags(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    with pytest.raises(NotFound) as info:
        source(ctx).fetch("v0.9.2", [CONSTANTS])
    message = str(info.value)
    assert "v0.9.2" in message and "github:microsoft/DeepSpeed" in message
    assert "nearest existing tags" in message and "v0.9.1" in message and "v0.9.0" in message
    assert "release/1.0" not in message
    assert "\n" not in message


def test_unknown_tag_without_close_match(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    with pytest.raises(NotFound, match="none of its 4 tags is close"):
        source(ctx).resolve("completely-different")


def test_a_resolved_release_tag_is_never_asked_about_again(gh, tmp_path):
    """A release is immutable: once a tag is resolved to a commit, later runs (however much
    later) use the cached answer and ask nothing; a tag moved upstream is not followed."""
    ctx, _ = make_ctx(tmp_path, gh)
    first = source(ctx).resolve("v0.9.0")
    again = source(ctx).resolve("v0.9.0")
    assert first == again
    assert [r.status for r in gh.requests_to("api", "/git/ref/tags/v0.9.0")] == [200]
    moved = gh.move_tag("microsoft/DeepSpeed", "v0.9.0", {CONSTANTS: b"MOVED = 1\n"})
    assert source(ctx).resolve("v0.9.0") == first != moved
    assert len(gh.requests_to("api", "/git/ref/tags/v0.9.0")) == 1


# -- files ------------------------------------------------------------------------------------


def test_fetch_without_token_uses_the_raw_host(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    paths = [CONSTANTS, "deepspeed/runtime/zero/constants.py"]
    got = source(ctx).fetch("v0.9.0", paths)
    commit = commit_of(gh, "v0.9.0")
    assert list(got) == paths
    assert got[CONSTANTS] == Fetched(V1, Origin(
        source="github:microsoft/DeepSpeed", tag="v0.9.0", path=CONSTANTS,
        sha256=hashlib.sha256(V1).hexdigest(), commit=commit))
    assert got[paths[1]].content == ZERO
    raw = gh.requests_to("raw")
    assert [r.path for r in raw] == [f"/microsoft/DeepSpeed/{commit}/{p}" for p in paths]
    assert gh.requests_to("api", "/contents/") == []


def test_fetch_annotated_tag_gives_the_commit_in_origin(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    got = source(ctx).fetch("v0.10.0", [CONSTANTS])[CONSTANTS]
    assert got.content == V2 + b"NEW = 1\n"
    assert got.origin.commit == commit_of(gh, "v0.10.0")
    assert got.origin.identity() == f"commit {commit_of(gh, 'v0.10.0')}"


def test_fetch_with_token_uses_contents_api_raw_media_type(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    got = source(ctx, token=TOKEN).fetch("v0.9.1", [CONSTANTS])
    assert got[CONSTANTS].content == V2
    [req] = gh.requests_to("api", "/contents/")
    assert req.path == (f"/repos/microsoft/DeepSpeed/contents/{CONSTANTS}"
                        f"?ref={commit_of(gh, 'v0.9.1')}")
    assert req.header("Accept") == "application/vnd.github.raw"
    assert req.header("Authorization") == f"Bearer {TOKEN}"
    assert gh.requests_to("raw") == []


def test_fetch_with_token_accepts_base64_json_fallback(gh, tmp_path):
    gh.contents_raw = False
    ctx, _ = make_ctx(tmp_path, gh)
    got = source(ctx, token=TOKEN).fetch("v0.9.0", [CONSTANTS])
    assert got[CONSTANTS].content == V1
    assert got[CONSTANTS].origin.sha256 == hashlib.sha256(V1).hexdigest()


def test_private_repo_needs_the_token_which_goes_only_to_the_api(
        github_server, tmp_path):  # noqa: F811
    github_server.token = TOKEN
    github_server.add_repo("corp/secret", {"v1": {"c.py": b"X = 1\n"}}, private=True)
    ctx, lines = make_ctx(tmp_path, github_server)
    with pytest.raises(NotFound) as anonymous:
        source(ctx, "corp/secret").fetch("v1", ["c.py"])
    assert "GITHUB_TOKEN" in str(anonymous.value)

    with source(ctx, "corp/secret", token=TOKEN) as src:
        assert src.fetch("v1", ["c.py"])["c.py"].content == b"X = 1\n"
        with pytest.raises(NotFound) as missing:
            src.fetch("v1", ["nope.py"])
        with pytest.raises(NotFound) as bad_tag:
            src.fetch("v2", ["c.py"])
    for text in [*lines, str(missing.value), str(bad_tag.value), repr(src)]:
        assert TOKEN not in text
    assert all(r.header("Authorization") is None for r in github_server.requests_to("raw"))
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert TOKEN not in str(path) and TOKEN.encode() not in path.read_bytes(), path


def test_token_from_environment(gh, tmp_path, monkeypatch):
    ctx, _ = make_ctx(tmp_path, gh)
    monkeypatch.setenv("GH_TOKEN", "gh-token-value-0001")
    source(ctx).fetch("v0.9.0", [CONSTANTS])
    assert gh.requests_to("api", "/contents/")[-1].header("Authorization") == \
        "Bearer gh-token-value-0001"
    monkeypatch.setenv("GITHUB_TOKEN", "github-token-value-0002")  # wins over GH_TOKEN
    source(ctx).fetch("v0.9.1", [CONSTANTS])
    assert gh.requests_to("api", "/contents/")[-1].header("Authorization") == \
        "Bearer github-token-value-0002"
    assert gh.requests_to("raw") == []


def test_missing_path_is_not_found_naming_path_and_tag(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    with pytest.raises(NotFound) as info:
        source(ctx).fetch("v0.9.1", ["deepspeed/runtime/zero/constants.py"])
    message = str(info.value)
    assert "deepspeed/runtime/zero/constants.py" in message and "v0.9.1" in message


@pytest.mark.parametrize("bad", ["../etc/passwd", "a//b.py", "", "dir\\x.py"])
def test_invalid_paths_are_config_errors(gh, tmp_path, bad):
    ctx, _ = make_ctx(tmp_path, gh)
    with pytest.raises(ConfigError):
        source(ctx).fetch("v0.9.0", [bad])


def test_html_served_as_200_is_source_unavailable(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    gh.html_next(1, server="raw")
    with pytest.raises(SourceUnavailable) as info:
        source(ctx).fetch("v0.9.0", [CONSTANTS])
    assert "HTML" in str(info.value) and CONSTANTS in str(info.value)
    # Nothing was cached: the next try downloads the real file.
    assert source(ctx).fetch("v0.9.0", [CONSTANTS])[CONSTANTS].content == V1


def test_html_served_by_the_api_is_source_unavailable(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    gh.html_next(1, server="api")
    with pytest.raises(SourceUnavailable, match="HTML page"):
        source(ctx).resolve("v0.9.0")


def test_html_body_with_wrong_content_type_is_rejected(gh, tmp_path):
    gh.add_repo("odd/site", {"v1": {"page.py": b"  <!DOCTYPE html><html></html>"}})
    ctx, _ = make_ctx(tmp_path, gh)
    with pytest.raises(SourceUnavailable):
        source(ctx, "odd/site").fetch("v1", ["page.py"])


def test_blobs_come_from_the_cache_on_the_next_run(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    first = source(ctx).fetch("v0.9.0", [CONSTANTS])
    second = source(ctx).fetch("v0.9.0", [CONSTANTS])
    assert first == second
    assert len(gh.requests_to("raw")) == 1


def test_transient_failures_are_retried_through_the_source(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    gh.fail_next(2, 502, server="api")
    gh.truncate_next(1, server="raw")
    assert source(ctx).fetch("v0.9.0", [CONSTANTS])[CONSTANTS].content == V1
    assert [r.status for r in gh.requests_to("raw")] == [200, 200]


def test_exhausted_rate_limit_is_rate_limited_at_once(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh, max_retry_seconds=60)
    reset = int(time.time()) + 5 * 3600
    gh.exhaust_rate_limit(1, reset=reset)
    with pytest.raises(RateLimited) as info:
        source(ctx).fetch("v0.9.0", [CONSTANTS])
    assert len(gh.requests) == 1
    iso = datetime.fromtimestamp(reset, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert iso in str(info.value) and "GITHUB_TOKEN" in str(info.value)


def test_unreachable_api_is_source_unavailable(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh, github_api_url=FakeGitHub.closed_port_url())
    with pytest.raises(SourceUnavailable, match="connection refused"):
        source(ctx).fetch("v0.9.0", [CONSTANTS])


# -- base URLs --------------------------------------------------------------------------------


def test_enterprise_style_base_urls_with_trailing_slashes(tmp_path):
    with FakeGitHub(api_prefix="/api/v3") as ghe:
        ghe.add_repo("team/tool", {"v2.0": {"x/c.py": b"A = 1\n"}}, annotated=["v2.0"])
        ctx, _ = make_ctx(tmp_path, ghe, github_api_url=ghe.api_url + "/",
                          github_raw_url=ghe.raw_url + "//")
        with source(ctx, "team/tool") as src:
            assert src.list_tags() == ["v2.0"]
            assert src.fetch("v2.0", ["x/c.py"])["x/c.py"].content == b"A = 1\n"
        with source(ctx, "team/tool", token=TOKEN) as src:
            assert src.fetch("v2.0", ["/x/c.py"])["/x/c.py"].origin.path == "x/c.py"
        paths = [r.path for r in ghe.requests]
        assert all("//" not in p for p in paths), paths
        assert all(p.startswith("/api/v3/repos/team/tool/") for p in
                   (r.path for r in ghe.requests_to("api"))), paths


# -- offline ----------------------------------------------------------------------------------


def test_offline_uses_the_last_known_answers(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    online = source(ctx).fetch("v0.9.1", [CONSTANTS])
    source(ctx).list_tags()
    seen = len(gh.requests)
    gh.stop()  # nothing answers any more
    offline_ctx, _ = make_ctx(tmp_path, gh, offline=True)
    with source(offline_ctx) as src:
        assert src.fetch("v0.9.1", [CONSTANTS]) == online
        assert sorted(src.list_tags()) == sorted(["v0.9.0", "v0.9.1", "v0.10.0", "release/1.0"])
    assert len(gh.requests) == seen


def test_offline_without_cached_ref_is_offline_miss(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh, offline=True)
    with pytest.raises(OfflineMiss) as info:
        source(ctx).fetch("v0.9.0", [CONSTANTS])
    assert "v0.9.0" in str(info.value) and "without --offline" in str(info.value)
    with pytest.raises(OfflineMiss, match="tag list"):
        source(ctx).list_tags()
    assert gh.requests == []


def test_offline_with_ref_but_without_blob_is_offline_miss_naming_the_path(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    source(ctx).fetch("v0.9.0", [CONSTANTS])
    offline_ctx, _ = make_ctx(tmp_path, gh, offline=True)
    with pytest.raises(OfflineMiss) as info:
        source(offline_ctx).fetch("v0.9.0", [CONSTANTS, "deepspeed/runtime/zero/constants.py"])
    assert "deepspeed/runtime/zero/constants.py" in str(info.value)
    assert "without --offline" in str(info.value)


def test_refs_are_stored_as_json_under_the_documented_key(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    source(ctx).resolve("v0.9.1")
    stored = ctx.cache.read_json("refs", "github:microsoft/DeepSpeed@v0.9.1")
    assert stored["commit"] == commit_of(gh, "v0.9.1")
    key = f"github:microsoft/DeepSpeed@{commit_of(gh, 'v0.9.1')}:{CONSTANTS}"
    assert ctx.cache.read("blobs", key) is None
    source(ctx).fetch("v0.9.1", [CONSTANTS])
    assert ctx.cache.read("blobs", key) == V2


def test_upstream_errors_are_final_not_unavailable(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    gh.fail_next(1, 422, server="raw")
    with pytest.raises(UpstreamError) as info:
        source(ctx).fetch("v0.9.0", [CONSTANTS])
    assert not isinstance(info.value, SourceUnavailable)


def test_list_files_reads_the_recursive_tree_once(gh, tmp_path):
    ctx, _ = make_ctx(tmp_path, gh)
    assert source(ctx).list_files("v0.9.0") == sorted([CONSTANTS,
                                                       "deepspeed/runtime/zero/constants.py"])
    assert len(gh.requests_to(contains="/git/trees/")) == 1
    assert source(ctx).list_files("v0.9.0")[0] == CONSTANTS  # kept by commit
    assert len(gh.requests_to(contains="/git/trees/")) == 1
    offline, _ = make_ctx(tmp_path / "other", gh, offline=True)
    with pytest.raises(OfflineMiss):
        source(offline).list_files("v0.9.1")
