from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from dssync._source.http import HttpClient
from dssync._source.interface import SourceContext
from dssync._source.package_index import PackageIndexSource, parse_html_page, sdist_version
from dssync.cache import Cache
from dssync.errors import IntegrityError, NotFound, OfflineMiss, SourceUnavailable

try:
    from servers.index_server import (
        LICENSE_TEXT,
        WIDGETS_CONSTANTS_1_0,
        WIDGETS_CONSTANTS_1_1,
        FakeIndex,
    )
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.servers.index_server import (
        LICENSE_TEXT,
        WIDGETS_CONSTANTS_1_0,
        WIDGETS_CONSTANTS_1_1,
        FakeIndex,
    )

PATH = "widgets/constants.py"
FILES_1_0 = {PATH: WIDGETS_CONSTANTS_1_0, "LICENSE": LICENSE_TEXT}
FILES_1_1 = {PATH: WIDGETS_CONSTANTS_1_1, "LICENSE": LICENSE_TEXT}


@pytest.fixture
def index():
    with FakeIndex() as fake:
        fake.add_sdist("widgets", "0.9", {PATH: b"WIDGET_COUNT_DEFAULT = 1\n"})
        fake.add_sdist("widgets", "1.0", FILES_1_0)
        fake.add_sdist("widgets", "1.1", FILES_1_1)
        fake.add_file("widgets", "widgets-1.1-py3-none-any.whl", b"not an sdist")
        yield fake


@pytest.fixture
def lines() -> list[str]:
    return []


def make_ctx(root: Path | None, lines: list[str], **options) -> SourceContext:
    options.setdefault("max_retry_seconds", 3.0)
    options.setdefault("timeout", (2.0, 5.0))
    return SourceContext(cache=Cache(root), log=lines.append, **options)


@pytest.fixture
def ctx(tmp_path, lines) -> SourceContext:
    return make_ctx(tmp_path / "cache", lines)


def source_for(index: FakeIndex, ctx: SourceContext, package: str = "widgets"
               ) -> PackageIndexSource:
    return PackageIndexSource(package, ctx, index_url=index.url,
                              http=HttpClient(ctx, backoff=0.01))


def cache_entries(ctx: SourceContext, namespace: str) -> list[Path]:
    assert ctx.cache.root is not None
    folder = ctx.cache.root / namespace
    return [p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".lock")] \
        if folder.exists() else []


def sdist_sha(index: FakeIndex, filename: str) -> str:
    return next(f.sha256 for f in index.projects["widgets"] if f.filename == filename)


@pytest.mark.parametrize("mode", ["negotiate", "json", "html"])
def test_fetch_reads_files_from_the_sdist(index, ctx, mode):
    index.mode = mode
    source = source_for(index, ctx)
    got = source.fetch("v1.0", [PATH, "LICENSE"])
    assert got[PATH].content == WIDGETS_CONSTANTS_1_0
    assert got["LICENSE"].content == LICENSE_TEXT
    origin = got[PATH].origin
    assert origin.source == "pypi:widgets" and source.kind == "pypi"
    assert origin.tag == "v1.0" and origin.path == PATH
    assert origin.sha256 == hashlib.sha256(WIDGETS_CONSTANTS_1_0).hexdigest()
    assert origin.archive == "widgets-1.0.tar.gz"
    assert origin.archive_sha256 == sdist_sha(index, "widgets-1.0.tar.gz")
    assert "http" not in json.dumps(origin.to_dict())


def test_negotiation_asks_for_json_first(index, ctx):
    source_for(index, ctx).list_tags()
    accept = index.accept_headers[-1]
    assert accept.index("application/vnd.pypi.simple.v1+json") < accept.index("text/html")


@pytest.mark.parametrize("mode", ["json", "html"])
def test_relative_file_urls_are_resolved_against_the_page(index, ctx, mode):
    index.mode, index.relative_urls = mode, True
    got = source_for(index, ctx).fetch("v1.1", [PATH])
    assert got[PATH].content == WIDGETS_CONSTANTS_1_1
    assert index.hits["/files/widgets-1.1.tar.gz"] == 1


@pytest.mark.parametrize("mode", ["json", "html"])
def test_list_tags_maps_sdist_versions_through_the_tag_format(index, tmp_path, lines, mode):
    index.mode = mode
    index.add_sdist("widgets", "2.0", FILES_1_1, yanked="broken build")
    index.add_file("widgets", "widgets-3.0-py3-none-any.whl", b"wheel only")
    ctx = make_ctx(tmp_path / "c", lines, tag_format="release-{version}")
    assert sorted(source_for(index, ctx).list_tags()) == [
        "release-0.9", "release-1.0", "release-1.1"]


def test_yanked_release_can_still_be_fetched_by_exact_tag(index, ctx, lines):
    index.add_sdist("widgets", "2.0", FILES_1_1, yanked="broken build")
    got = source_for(index, ctx).fetch("v2.0", [PATH])
    assert got[PATH].content == WIDGETS_CONSTANTS_1_1
    assert any("yanked" in line and "broken build" in line for line in lines)


def test_sha256_mismatch_raises_and_caches_nothing(index, ctx):
    index.add_sdist("widgets", "2.0", FILES_1_1, announced_sha256="0" * 64)
    with pytest.raises(IntegrityError) as caught:
        source_for(index, ctx).fetch("v2.0", [PATH])
    message = str(caught.value)
    assert "expected " + "0" * 64 in message and "got " in message
    assert "\n" not in message and "http" not in message
    assert cache_entries(ctx, "archives") == []
    assert cache_entries(ctx, "refs") == []


def test_missing_sha256_is_refused(index, ctx):
    index.add_sdist("widgets", "2.0", FILES_1_1, announce_hash=False)
    with pytest.raises(SourceUnavailable, match="no sha256"):
        source_for(index, ctx).fetch("v2.0", [PATH])


def test_archive_is_cached_and_reused(index, tmp_path, lines):
    ctx = make_ctx(tmp_path / "cache", lines)
    first = source_for(index, ctx).fetch("v1.0", [PATH])
    again = source_for(index, ctx).fetch("v1.0", [PATH, "LICENSE"])
    assert again[PATH] == first[PATH]
    assert index.hits["/files/widgets-1.0.tar.gz"] == 1
    assert index.hits["/simple/widgets/"] == 1  # the release's archive is known: not asked again
    archive_sha = first[PATH].origin.archive_sha256
    assert ctx.cache.read("archives", archive_sha) is not None
    ref = ctx.cache.read_json("refs", source_for(index, ctx).ref_key("v1.0"))
    assert {k: ref[k] for k in ("archive", "sha256")} == {
        "archive": "widgets-1.0.tar.gz", "sha256": archive_sha}
    assert isinstance(ref["checked_at"], float)


def test_a_resolved_release_is_not_asked_about_again_however_old_the_answer(index, ctx):
    first = source_for(index, ctx).fetch("v1.0", [PATH])
    key = source_for(index, ctx).ref_key("v1.0")
    ctx.cache.write_json("refs", key, {**ctx.cache.read_json("refs", key), "checked_at": 0.0})  # 1970
    again = source_for(index, ctx).fetch("v1.0", [PATH])
    assert again == first
    assert index.hits["/simple/widgets/"] == 1
    assert index.hits["/files/widgets-1.0.tar.gz"] == 1


def test_files_read_once_are_served_without_the_archive(index, ctx):
    first = source_for(index, ctx).fetch("v1.0", [PATH])
    os.unlink(ctx.cache._path("archives", first[PATH].origin.archive_sha256))
    assert source_for(index, ctx).fetch("v1.0", [PATH]) == first
    assert index.hits["/files/widgets-1.0.tar.gz"] == 1


def test_a_file_not_read_before_brings_the_archive_back(index, ctx):
    first = source_for(index, ctx).fetch("v1.0", [PATH])
    os.unlink(ctx.cache._path("archives", first[PATH].origin.archive_sha256))
    got = source_for(index, ctx).fetch("v1.0", ["LICENSE"])
    assert got["LICENSE"].origin.archive_sha256 == first[PATH].origin.archive_sha256
    assert index.hits["/files/widgets-1.0.tar.gz"] == 2


def test_damaged_cache_entry_is_downloaded_again(index, ctx):
    sha = sdist_sha(index, "widgets-1.0.tar.gz")
    ctx.cache.write("archives", sha, b"garbage")
    assert source_for(index, ctx).fetch("v1.0", [PATH])[PATH].content == WIDGETS_CONSTANTS_1_0
    assert index.hits["/files/widgets-1.0.tar.gz"] == 1
    assert hashlib.sha256(ctx.cache.read("archives", sha)).hexdigest() == sha


def test_offline_reads_refs_and_archives_from_the_cache(index, tmp_path, lines):
    online = make_ctx(tmp_path / "cache", lines)
    expected = source_for(index, online).fetch("v1.0", [PATH])
    index.stop()  # nothing may be asked from here on
    offline = make_ctx(tmp_path / "cache", lines, offline=True)
    source = PackageIndexSource("widgets", offline, index_url="http://127.0.0.1:9/simple/")
    assert source.fetch("v1.0", [PATH]) == expected


def test_offline_needs_no_index_url_at_all(index, tmp_path, lines, monkeypatch):
    online = make_ctx(tmp_path / "cache", lines)
    source_for(index, online).fetch("v1.0", [PATH])
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/never-asked/")
    offline = make_ctx(tmp_path / "cache", lines, offline=True)
    assert PackageIndexSource("widgets", offline).fetch("v1.0", ["LICENSE"])["LICENSE"].content \
        == LICENSE_TEXT


def test_offline_miss_without_a_cached_ref(index, tmp_path, lines):
    offline = make_ctx(tmp_path / "cache", lines, offline=True)
    with pytest.raises(OfflineMiss, match="which sdist pypi:widgets tag v1.0"):
        source_for(index, offline).fetch("v1.0", [PATH])
    assert sum(index.hits.values()) == 0


def test_offline_miss_when_the_archive_is_gone(index, tmp_path, lines):
    online = make_ctx(tmp_path / "cache", lines)
    origin = source_for(index, online).fetch("v1.0", [PATH])[PATH].origin
    os.unlink(online.cache._path("archives", origin.archive_sha256))
    os.unlink(online.cache._path("members", f"{origin.archive_sha256}:{PATH}"))
    offline = make_ctx(tmp_path / "cache", lines, offline=True)
    with pytest.raises(OfflineMiss, match="widgets-1.0.tar.gz"):
        source_for(index, offline).fetch("v1.0", [PATH])


def test_offline_list_tags_is_an_offline_miss(index, tmp_path, lines):
    offline = make_ctx(tmp_path / "cache", lines, offline=True)
    with pytest.raises(OfflineMiss):
        source_for(index, offline).list_tags()


def test_missing_version_lists_the_nearest(index, ctx):
    for version in ("1.2", "1.3", "2.0", "3.0"):
        index.add_sdist("widgets", version, FILES_1_1)
    with pytest.raises(NotFound) as caught:
        source_for(index, ctx).fetch("v1.2.5", [PATH])
    message = str(caught.value)
    assert "no sdist of widgets 1.2.5" in message
    assert "nearest versions: 1.1, 1.2, 1.3, 2.0, 3.0" in message
    assert "\n" not in message


def test_release_with_only_wheels_says_so(index, ctx):
    index.add_file("widgets", "widgets-4.0-py3-none-any.whl", b"wheel")
    with pytest.raises(NotFound, match="only built distributions"):
        source_for(index, ctx).fetch("v4.0", [PATH])


def test_tag_outside_the_tag_format(index, ctx):
    with pytest.raises(NotFound, match="does not fit the tag format 'v{version}'"):
        source_for(index, ctx).fetch("1.0", [PATH])
    assert sum(index.hits.values()) == 0


def test_missing_member_names_path_archive_and_tag(index, ctx):
    with pytest.raises(NotFound) as caught:
        source_for(index, ctx).fetch("v1.0", [PATH, "widgets/absent.py"])
    message = str(caught.value)
    assert "widgets/absent.py" in message and "widgets-1.0.tar.gz" in message
    assert "v1.0" in message


def test_a_release_without_the_file_is_answered_from_the_cache_next_time(index, tmp_path,
                                                                          lines):
    """A sound archive that lacks a path is a release without that file: kept, so neither a
    second run nor an offline one downloads it again to learn the same thing."""
    online = make_ctx(tmp_path / "cache", lines)
    with pytest.raises(NotFound, match="widgets/absent.py"):
        source_for(index, online).fetch("v1.0", ["widgets/absent.py"])
    archive = "/files/widgets-1.0.tar.gz"
    assert index.hits[archive] == 1
    with pytest.raises(NotFound, match="widgets/absent.py"):
        source_for(index, online).fetch("v1.0", ["widgets/absent.py"])
    offline = make_ctx(tmp_path / "cache", lines, offline=True)
    with pytest.raises(NotFound, match="widgets/absent.py"):
        source_for(index, offline).fetch("v1.0", ["widgets/absent.py"])
    assert index.hits[archive] == 1


def test_a_file_missing_from_a_release_is_not_looked_for_in_its_archive_again(index, tmp_path):
    """The answer "this release has no such file" is kept by the archive's sha256 and the path,
    like the files read out of it: a warm run neither downloads the archive nor reads and hashes
    the cached copy (a warm `history` did so for every release before a file appeared)."""
    lines: list[str] = []
    online = make_ctx(tmp_path / "cache", lines, verbose=True)
    with pytest.raises(NotFound, match="widgets/absent.py"):
        source_for(index, online).fetch("v1.0", ["widgets/absent.py"])
    sha = sdist_sha(index, "widgets-1.0.tar.gz")
    os.unlink(online.cache._path("archives", sha))  # so reading it again would download it
    lines.clear()
    with pytest.raises(NotFound) as caught:
        source_for(index, online).fetch("v1.0", ["widgets/absent.py"])
    assert str(caught.value).startswith("widgets/absent.py is not in widgets-1.0.tar.gz, the "
                                        "sdist of widgets 1.0 (tag v1.0) on the package index; ")
    assert caught.value.upstream_path == "widgets/absent.py"
    assert index.hits["/files/widgets-1.0.tar.gz"] == 1
    assert not any("archive sha256" in line and "verified" in line for line in lines)
    assert any("the cache answered that widgets/absent.py is not in widgets-1.0.tar.gz" in line
               for line in lines)
    offline = make_ctx(tmp_path / "cache", [], offline=True)
    with pytest.raises(NotFound, match="widgets/absent.py"):
        source_for(index, offline).fetch("v1.0", ["widgets/absent.py"])
    # Another path of the same archive is still looked for in it (the archive comes back).
    assert source_for(index, online).fetch("v1.0", [PATH])[PATH].content == WIDGETS_CONSTANTS_1_0
    assert index.hits["/files/widgets-1.0.tar.gz"] == 2


def test_a_damaged_absence_answer_sends_the_run_back_to_the_archive(index, ctx):
    with pytest.raises(NotFound):
        source_for(index, ctx).fetch("v1.0", ["widgets/absent.py"])
    sha = sdist_sha(index, "widgets-1.0.tar.gz")
    entry = ctx.cache._path("absent", f"{sha}:widgets/absent.py")
    entry.write_bytes(entry.read_bytes()[:-3])
    ctx.cache.write("archives", sha, b"garbage")  # damaged too: downloaded again
    with pytest.raises(NotFound, match="widgets/absent.py is not in widgets-1.0.tar.gz"):
        source_for(index, ctx).fetch("v1.0", ["widgets/absent.py"])
    assert index.hits["/files/widgets-1.0.tar.gz"] == 2
    assert ctx.cache.read_json("absent", f"{sha}:widgets/absent.py") is not None


def test_offline_list_tags_reads_the_list_an_online_run_kept(index, tmp_path, lines):
    online = make_ctx(tmp_path / "cache", lines)
    listed = source_for(index, online).list_tags()
    assert sorted(listed) == ["v0.9", "v1.0", "v1.1"]
    index.add_sdist("widgets", "1.2", FILES_1_1)
    asked = sum(index.hits.values())
    offline = make_ctx(tmp_path / "cache", lines, offline=True)
    assert source_for(index, offline).list_tags() == listed
    # The list holds versions, so another tag format applies to it as well.
    other = make_ctx(tmp_path / "cache", lines, offline=True, tag_format="release-{version}")
    assert source_for(index, other).list_tags() == [f"release-{t[1:]}" for t in listed]
    assert sum(index.hits.values()) == asked


def test_unknown_project_is_not_found(index, ctx):
    with pytest.raises(NotFound, match="no project 'gizmos'"):
        source_for(index, ctx, "gizmos").list_tags()


def test_zip_sdist(index, ctx):
    index.add_sdist("widgets", "5.0", FILES_1_1, fmt="zip")
    got = source_for(index, ctx).fetch("v5.0", [PATH])
    assert got[PATH].content == WIDGETS_CONSTANTS_1_1
    assert got[PATH].origin.archive == "widgets-5.0.zip"


def test_tar_gz_is_preferred_over_zip(index, ctx):
    index.add_sdist("widgets", "5.0", {PATH: b"FROM_ZIP = 1\n"}, fmt="zip")
    index.add_sdist("widgets", "5.0", {PATH: b"FROM_TAR = 1\n"})
    assert source_for(index, ctx).fetch("v5.0", [PATH])[PATH].content == b"FROM_TAR = 1\n"


def test_name_spellings_follow_pep_503_and_625(tmp_path, lines):
    ctx = make_ctx(tmp_path / "cache", lines)
    with FakeIndex() as index:
        index.add_file("Deep.Gears", *_named_sdist("Deep_Gears-1.0", "Deep_Gears-1.0"))
        index.add_file("deep-gears", *_named_sdist("deep_gears-1.1", "deep_gears-1.1"))
        source = source_for(index, ctx, "Deep.Gears")
        assert sorted(source.list_tags()) == ["v1.0", "v1.1"]
        assert source.fetch("v1.0", ["g.py"])["g.py"].content == b"G = 1\n"
        assert index.hits["/simple/deep-gears/"] == 1


def _named_sdist(stem: str, top: str) -> tuple[str, bytes]:
    try:
        from servers.index_server import build_tar
    except ImportError:
        from tests.servers.index_server import build_tar
    return f"{stem}.tar.gz", build_tar({f"{top}/g.py": b"G = 1\n"})


def test_5xx_burst_is_retried(index, ctx):
    index.fail_next(2, 503, "/simple/")
    index.fail_next(2, 502, "/files/")
    got = source_for(index, ctx).fetch("v1.0", [PATH])
    assert got[PATH].content == WIDGETS_CONSTANTS_1_0
    assert index.hits["/simple/widgets/"] == 3
    assert index.hits["/files/widgets-1.0.tar.gz"] == 3


def test_endless_5xx_is_source_unavailable(index, tmp_path, lines):
    ctx = make_ctx(tmp_path / "cache", lines, max_retry_seconds=0.2)
    index.fail_next(100, 503, "/files/")
    with pytest.raises(SourceUnavailable) as caught:
        source_for(index, ctx).fetch("v1.0", [PATH])
    assert "widgets-1.0.tar.gz" in str(caught.value)
    assert "/files/" not in str(caught.value)  # no download URL outside the verbose log
    assert cache_entries(ctx, "archives") == []


def test_truncated_archive_body_is_retried(index, ctx):
    index.truncate_next(1)
    got = source_for(index, ctx).fetch("v1.0", [PATH])
    assert got[PATH].content == WIDGETS_CONSTANTS_1_0
    assert index.hits["/files/widgets-1.0.tar.gz"] == 2


def test_always_truncated_archive_is_never_cached(index, tmp_path, lines):
    ctx = make_ctx(tmp_path / "cache", lines, max_retry_seconds=0.2)
    index.truncate_next(100)
    with pytest.raises(SourceUnavailable):
        source_for(index, ctx).fetch("v1.0", [PATH])
    assert cache_entries(ctx, "archives") == []


@pytest.mark.parametrize("kind", ["html", "json"])
def test_error_page_with_status_200_is_source_unavailable(index, ctx, kind):
    index.error_page = kind
    with pytest.raises(SourceUnavailable, match="did not answer with a project page"):
        source_for(index, ctx).fetch("v1.0", [PATH])


def test_verbose_log_names_the_download(index, tmp_path, lines):
    ctx = make_ctx(tmp_path / "cache", lines, verbose=True)
    source_for(index, ctx).fetch("v1.0", [PATH])
    assert any("widgets-1.0.tar.gz" in line and "/files/" in line for line in lines)


def test_html_parsing_details():
    page = (b'<html><head><base href="https://files.test/base/"></head><body>'
            b'<a href="pkg/x-1.0.tar.gz#sha256=' + b"AB" * 32 + b'" data-yanked="">x-1.0.tar.gz</a>'
            b'<a href="x-1.1.tar.gz#md5=00">x-1.1.tar.gz</a>'
            b'<a href="../x%2D1.2.zip"></a></body></html>')
    listing = parse_html_page(page, "https://index.test/simple/x/")
    first, second, third = listing.files
    assert first.url == "https://files.test/base/pkg/x-1.0.tar.gz"
    assert first.sha256 == "ab" * 32 and first.yanked and first.yanked_reason is None
    assert second.sha256 is None and not second.yanked
    assert third.filename == "x-1.2.zip" and third.url == "https://files.test/x%2D1.2.zip"


@pytest.mark.parametrize("filename,project,version", [
    ("deepspeed-0.9.0.tar.gz", "deepspeed", "0.9.0"),
    ("DeepSpeed-0.3.0.tar.gz", "deepspeed", "0.3.0"),
    ("deep_speed-1.0.zip", "Deep-Speed", "1.0"),
    ("deep.speed-1.0-beta.tar.gz", "deep-speed", "1.0-beta"),
    ("deepspeed-0.9.0-py3-none-any.whl", "deepspeed", None),
    ("deepspeedx-0.9.0.tar.gz", "deepspeed", None),
    ("deepspeed-.tar.gz", "deepspeed", None),
])
def test_sdist_version(filename, project, version):
    assert sdist_version(filename, project) == version


@pytest.mark.network
def test_real_index_deepspeed_constants(tmp_path, lines):
    ctx = make_ctx(tmp_path / "cache", lines, max_retry_seconds=20.0, timeout=(10.0, 60.0))
    source = PackageIndexSource("deepspeed", ctx)
    try:
        got = {tag: source.fetch(tag, ["deepspeed/runtime/constants.py"])
               for tag in ("v0.7.7", "v0.9.0")}
    except SourceUnavailable as exc:
        pytest.skip(f"the package index cannot be reached: {exc}")
    finally:
        source.close()
    for tag, fetched in got.items():
        origin = fetched["deepspeed/runtime/constants.py"].origin
        assert origin.archive == f"deepspeed-{tag[1:]}.tar.gz"
        archive = ctx.cache.read("archives", origin.archive_sha256)
        assert archive is not None  # cached only after its sha256 matched the index's
        assert hashlib.sha256(archive).hexdigest() == origin.archive_sha256
    text = got["v0.9.0"]["deepspeed/runtime/constants.py"].content.decode()
    assert "FP16_INITIAL_SCALE_POWER_DEFAULT = 16" in text


def test_list_files_names_every_file_of_the_sdist_and_is_kept(index, tmp_path, lines):
    ctx = make_ctx(tmp_path / "cache", lines)
    listed = source_for(index, ctx).list_files("v1.0")
    assert listed == sorted([*FILES_1_0, "PKG-INFO"])
    downloads = index.hits["/files/widgets-1.0.tar.gz"]
    assert downloads == 1
    # Kept by the archive's sha256: a later run, offline too, lists without the archive.
    offline = make_ctx(tmp_path / "cache", lines, offline=True, verbose=True)
    assert source_for(index, offline).list_files("v1.0") == listed
    assert index.hits["/files/widgets-1.0.tar.gz"] == downloads
    assert any("the cache answered with the files of widgets-1.0.tar.gz" in line
               for line in lines)
