from __future__ import annotations

import hashlib
import shutil
import stat
import sys
from pathlib import Path

import pytest

from tests.gitrepo import allow_partial_clone, extend_repo, git, make_repo

from dssync._source.git import GitSource, is_url
from dssync._source.redact import redact_url
from dssync._source.interface import SourceContext, UpstreamSource
from dssync.cache import Cache
from dssync.errors import (
    DssyncError,
    NotFound,
    OfflineMiss,
    SourceUnavailable,
    UpstreamError,
)

CRLF = b"A = 1\r\nB = 'two'\r\n"
BOM = b"\xef\xbb\xbfX = 1\n# caf\xc3\xa9\n"
BINARY = b"\x00\x01\xff no newline at end"
CONST = "pkg/runtime/constants.py"

HISTORY = [
    ("v0.1.0", {CONST: CRLF, "pkg/bom.py": BOM, "data.bin": BINARY, "README": b"r\n"}),
    (None, {"README": b"between releases\n"}),
    ("v0.2.0", {CONST: b"A = 2\n"}),
    ("nightly", {"extra.py": b"E = 1\n"}),
    ("v0.3.0rc1", {CONST: None}),
]


def context(tmp_path: Path, *, cache: bool = True, offline: bool = False) -> SourceContext:
    return SourceContext(cache=Cache(tmp_path / "cache" if cache else None), offline=offline,
                         timeout=(1.0, 5.0))


@pytest.fixture
def upstream(tmp_path):
    info = make_repo(tmp_path / "upstream", HISTORY, annotated={"v0.2.0"})
    allow_partial_clone(info.path)
    return info


@pytest.fixture
def source(upstream, tmp_path):
    with GitSource(str(upstream.path), context(tmp_path)) as src:
        yield src


def logging_git(tmp_path: Path) -> tuple[str, Path]:
    """A git executable that records each invocation before running the real git."""
    if sys.platform == "win32":
        pytest.skip("needs a POSIX shell")
    real = shutil.which("git")
    log = tmp_path / "git-calls.log"
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper), log


def calls(log: Path, word: str) -> list[str]:
    if not log.exists():
        return []
    return [line for line in log.read_text().splitlines() if word in line.split()]


# -- basics -------------------------------------------------------------------------------


def test_kind_spec_and_protocol(source, upstream):
    assert source.kind == "git"
    assert source.spec == f"git:{upstream.path}"
    assert isinstance(source, GitSource)
    src: UpstreamSource = source  # the protocol's attributes and methods are there
    assert callable(src.list_tags) and callable(src.fetch)


def test_is_url():
    assert is_url("https://example.invalid/repo.git")
    assert is_url("file:///srv/repo")
    assert is_url("ssh://git@example.invalid/repo")
    assert is_url("git@example.invalid:owner/repo.git")
    assert not is_url("/srv/repo")
    assert not is_url("relative/dir")
    assert not is_url("./odd:name")


def test_credentials_in_urls_are_redacted(tmp_path):
    ctx = context(tmp_path)
    assert GitSource("https://tok3n@example.invalid/r.git", ctx).spec == \
        "git:https://***@example.invalid/r.git"
    assert redact_url("https://user:pw@example.invalid/r") == "https://***@example.invalid/r"
    assert redact_url("ssh://git:pw@example.invalid/r") == "ssh://git:***@example.invalid/r"
    assert redact_url("ssh://git@example.invalid/r") == "ssh://git@example.invalid/r"
    assert redact_url("git@example.invalid:o/r.git") == "git@example.invalid:o/r.git"
    assert redact_url("https://example.invalid/a@b") == "https://example.invalid/a@b"


def test_a_password_holding_an_at_sign_is_redacted_whole():
    """The user info ends at the last ``@`` of the host part, as git and curl read it: the part
    of the password after its ``@`` used to be shown (``https://***@ss@host``)."""
    from dssync._source.redact import redact
    from dssync._source.git import _last_line
    from dssync._source.redact import without_secret

    assert redact_url("https://user:p@ss@example.invalid/r") == "https://***@example.invalid/r"
    assert redact_url("ssh://git:p@ss@example.invalid/r") == "ssh://git:***@example.invalid/r"
    assert without_secret("ssh://git:p@ss@example.invalid/r") == "ssh://git@example.invalid/r"
    assert without_secret("https://user:p@ss@example.invalid/r") == "https://example.invalid/r"
    line = b"fatal: unable to access 'https://user:p@ss@example.invalid/r/': refused\n"
    assert _last_line(line) == "fatal: unable to access 'https://***@example.invalid/r/': refused"
    assert redact("GET http://me:p@ss@127.0.0.1:9/simple/ failed") == \
        "GET http://***@127.0.0.1:9/simple/ failed"
    # An @ after the host part is not user info.
    assert redact("https://example.invalid/r?next=a@b") == "https://example.invalid/r?next=a@b"


def test_list_tags_lightweight_and_annotated(source):
    assert source.list_tags() == ["nightly", "v0.1.0", "v0.2.0", "v0.3.0rc1"]


def test_resolve_peels_annotated_tags_to_commits(source, upstream):
    assert git("cat-file", "-t", "v0.2.0", cwd=upstream.path).strip() == "tag"
    assert source.resolve("v0.2.0") == upstream.tags["v0.2.0"]
    assert source.resolve("v0.1.0") == upstream.tags["v0.1.0"]
    assert source.resolve("v0.1.0") != upstream.commits[1]


def test_fetch_preserves_bytes_exactly(source, upstream):
    got = source.fetch("v0.1.0", [CONST, "pkg/bom.py", "data.bin"])
    assert list(got) == [CONST, "pkg/bom.py", "data.bin"]
    assert got[CONST].content == CRLF
    assert got["pkg/bom.py"].content == BOM
    assert got["data.bin"].content == BINARY
    origin = got[CONST].origin
    assert origin.source == source.spec
    assert origin.tag == "v0.1.0" and origin.path == CONST
    assert origin.sha256 == hashlib.sha256(CRLF).hexdigest()
    assert origin.commit == upstream.tags["v0.1.0"]


def test_fetch_through_annotated_tag(source, upstream):
    got = source.fetch("v0.2.0", [CONST, "pkg/bom.py"])
    assert got[CONST].content == b"A = 2\n"
    assert got["pkg/bom.py"].content == BOM  # unchanged since v0.1.0
    assert got[CONST].origin.commit == upstream.tags["v0.2.0"]


def test_fetch_reads_the_tag_not_the_work_tree(source, upstream):
    (upstream.path / "pkg" / "bom.py").write_bytes(b"edited\n")
    git("commit", "-qam", "after the tag", cwd=upstream.path)
    assert source.fetch("v0.2.0", ["pkg/bom.py"])["pkg/bom.py"].content == BOM


def test_autocrlf_in_user_config_does_not_convert(upstream, tmp_path, monkeypatch):
    config = tmp_path / "gitconfig"
    config.write_text("[core]\n\tautocrlf = true\n\teol = crlf\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    src = GitSource(str(upstream.path), context(tmp_path))
    got = src.fetch("v0.2.0", [CONST, "pkg/bom.py"])
    assert got[CONST].content == b"A = 2\n"
    assert src.fetch("v0.1.0", [CONST])[CONST].content == CRLF


def test_bare_repository(tmp_path):
    info = make_repo(tmp_path / "bare.git", [("v1.0", {"a/b.py": CRLF})], bare=True)
    src = GitSource(str(info.path), context(tmp_path))
    assert src.list_tags() == ["v1.0"]
    assert src.fetch("v1.0", ["a/b.py"])["a/b.py"].content == CRLF


def test_local_path_with_tilde_and_relative(upstream, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for target in ("~/upstream", "upstream"):
        src = GitSource(target, context(tmp_path))
        assert src.fetch("v0.1.0", ["README"])["README"].content == b"r\n"


def test_git_dir_in_environment_is_ignored(upstream, tmp_path, monkeypatch):
    # As when dssync runs from a git hook of another repository.
    other = make_repo(tmp_path / "other", [("v0.1.0", {CONST: b"OTHER\n"})])
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.path))
    src = GitSource(str(upstream.path), context(tmp_path))
    assert src.fetch("v0.1.0", [CONST])[CONST].content == CRLF


def test_replace_refs_are_ignored(source, upstream):
    original = git("rev-parse", f"v0.1.0:{CONST}", cwd=upstream.path).strip()
    fake = git("hash-object", "-w", "--stdin", cwd=upstream.path, input=b"FAKE\n").strip()
    git("replace", original, fake, cwd=upstream.path)
    assert git("cat-file", "-p", original, cwd=upstream.path) == "FAKE\n"
    assert source.fetch("v0.1.0", [CONST])[CONST].content == CRLF


# -- errors -------------------------------------------------------------------------------


def test_unknown_tag_suggests_nearest(source):
    with pytest.raises(NotFound) as info:
        source.fetch("v0.2.1", [CONST])
    text = str(info.value)
    assert "v0.2.1" in text and "did you mean" in text
    assert text.index("v0.2.0") < text.index("v0.1.0")
    with pytest.raises(NotFound, match="v0.1.0"):
        source.resolve("0.1.0")


def test_missing_path_names_path_and_tag_and_suggests(source):
    with pytest.raises(NotFound) as info:
        source.fetch("v0.1.0", ["pkg/runtime/constant.py"])
    text = str(info.value)
    assert "pkg/runtime/constant.py" in text and "v0.1.0" in text
    assert f"did you mean {CONST}" in text


def test_missing_directory(source):
    with pytest.raises(NotFound, match="directory nope/deeper does not exist"):
        source.fetch("v0.1.0", ["nope/deeper/x.py"])


def test_path_deleted_at_later_tag(source):
    with pytest.raises(NotFound, match=f"{CONST} does not exist at tag v0.3.0rc1"):
        source.fetch("v0.3.0rc1", [CONST])
    got = source.fetch_many([("v0.1.0", CONST), ("v0.3.0rc1", CONST)], missing_ok=True)
    assert list(got) == [("v0.1.0", CONST)]


def test_path_that_is_a_directory(source):
    with pytest.raises(NotFound, match="is a directory"):
        source.fetch("v0.1.0", ["pkg/runtime"])


@pytest.mark.parametrize("bad", ["", "/pkg/x.py", "../x.py", "pkg//x.py", "pkg/./x.py",
                                 "pkg\\x.py", "a\nb"])
def test_invalid_paths_are_rejected(source, bad):
    with pytest.raises(DssyncError) as info:
        source.fetch("v0.1.0", [bad])
    assert not isinstance(info.value, UpstreamError)
    assert "repository-relative" in str(info.value)


def test_tag_pointing_at_a_tree(source, upstream):
    git("tag", "treetag", "v0.1.0^{tree}", cwd=upstream.path)
    src = GitSource(str(upstream.path), source.ctx)
    with pytest.raises(NotFound, match="does not point to a commit"):
        src.fetch("treetag", [CONST])


def test_not_a_git_repository(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(DssyncError, match="not a git repository") as info:
        GitSource(str(plain), context(tmp_path)).list_tags()
    assert not isinstance(info.value, UpstreamError)
    with pytest.raises(DssyncError, match="does not exist"):
        GitSource(str(tmp_path / "absent"), context(tmp_path)).list_tags()


def test_subdirectory_of_work_tree_is_rejected(upstream, tmp_path):
    with pytest.raises(DssyncError, match="subdirectory"):
        GitSource(str(upstream.path / "pkg"), context(tmp_path)).list_tags()


def test_git_not_installed(upstream, tmp_path, monkeypatch):
    with pytest.raises(DssyncError, match="install git"):
        GitSource(str(upstream.path), context(tmp_path), git=str(tmp_path / "no-git")).list_tags()
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(DssyncError, match="git is not installed"):
        GitSource(str(upstream.path), context(tmp_path)).fetch("v0.1.0", [CONST])


def test_unreachable_url_is_source_unavailable(tmp_path):
    url = (tmp_path / "nowhere").as_uri()
    for cache in (True, False):
        src = GitSource(url, context(tmp_path, cache=cache))
        with pytest.raises(SourceUnavailable) as info:
            src.list_tags()
        assert "cannot clone" in str(info.value)
        assert "does not appear to be a git repository" in str(info.value)
    left = [p.name for p in (tmp_path / "cache" / "git").iterdir()]
    assert all(name.endswith(".lock") for name in left), left  # no half-made clone


# -- URLs, the cache and offline use ------------------------------------------------------


def test_clone_from_file_url_into_cache_then_offline(upstream, tmp_path):
    ctx = context(tmp_path)
    with GitSource(upstream.url, ctx) as src:
        assert src.spec == f"git:{upstream.url}"
        assert src.list_tags() == ["nightly", "v0.1.0", "v0.2.0", "v0.3.0rc1"]
        got = src.fetch("v0.1.0", [CONST, "pkg/bom.py"])
        clone = src.git_dir
    assert got[CONST].content == CRLF and got["pkg/bom.py"].content == BOM
    assert got[CONST].origin.commit == upstream.tags["v0.1.0"]
    assert clone.parent == tmp_path / "cache" / "git" and clone.is_dir()
    assert git("config", "--get", "remote.origin.promisor", cwd=clone).strip() == "true"

    shutil.rmtree(upstream.path)  # offline must not need upstream at all
    offline = GitSource(upstream.url, context(tmp_path, offline=True))
    assert offline.git_dir == clone
    assert offline.list_tags() == ["nightly", "v0.1.0", "v0.2.0", "v0.3.0rc1"]
    again = offline.fetch("v0.1.0", [CONST, "pkg/bom.py"])
    assert again[CONST].content == CRLF and again[CONST].origin == got[CONST].origin
    # Never read online, so the blobless clone does not have it.
    with pytest.raises(OfflineMiss, match="data.bin at tag v0.1.0"):
        offline.fetch("v0.1.0", ["data.bin"])


def test_partial_clone_fetches_missing_blobs_in_one_request(upstream, tmp_path):
    wrapper, log = logging_git(tmp_path)
    src = GitSource(upstream.url, context(tmp_path), git=wrapper)
    src.list_tags()
    assert len(calls(log, "clone")) == 1
    got = src.fetch_many([(t, p) for t in ("v0.1.0", "v0.2.0") for p in (CONST, "pkg/bom.py")])
    assert [f.content for f in got.values()] == [CRLF, BOM, b"A = 2\n", BOM]
    fetches = [c for c in calls(log, "fetch") if "--stdin" in c]
    assert len(fetches) == 1
    # Now present locally: a second read needs no fetch.
    src.fetch("v0.2.0", [CONST])
    assert len([c for c in calls(log, "fetch") if "--stdin" in c]) == 1


def test_cached_clone_is_updated_with_new_moved_and_deleted_tags(upstream, tmp_path):
    first = GitSource(upstream.url, context(tmp_path))
    assert "v0.4.0" not in first.list_tags()
    clone = first.git_dir

    extend_repo(upstream.path, [("v0.4.0", {CONST: b"A = 4\n"})])
    git("tag", "-d", "nightly", cwd=upstream.path)
    git("tag", "-f", "v0.1.0", "v0.4.0", cwd=upstream.path)

    stale = GitSource(upstream.url, context(tmp_path, offline=True))
    assert "v0.4.0" not in stale.list_tags()  # offline: the clone is used as it is

    fresh = GitSource(upstream.url, context(tmp_path))
    assert fresh.git_dir == clone
    assert fresh.list_tags() == ["v0.1.0", "v0.2.0", "v0.3.0rc1", "v0.4.0"]
    assert fresh.fetch("v0.4.0", [CONST])[CONST].content == b"A = 4\n"
    assert fresh.fetch("v0.1.0", [CONST])[CONST].content == b"A = 4\n"  # moved tag


def test_fetch_failure_on_cached_clone_is_source_unavailable(upstream, tmp_path):
    GitSource(upstream.url, context(tmp_path)).list_tags()
    shutil.rmtree(upstream.path)
    with pytest.raises(SourceUnavailable, match="cannot fetch tags") as info:
        GitSource(upstream.url, context(tmp_path)).list_tags()
    assert "--offline" in str(info.value)


def test_offline_without_a_cached_clone(upstream, tmp_path):
    with pytest.raises(OfflineMiss, match="no cached clone"):
        GitSource(upstream.url, context(tmp_path, offline=True)).list_tags()
    with pytest.raises(OfflineMiss, match="cache is disabled"):
        GitSource(upstream.url, context(tmp_path, cache=False, offline=True)).list_tags()
    assert not (tmp_path / "cache" / "git").exists()


def test_local_path_works_offline(upstream, tmp_path):
    src = GitSource(str(upstream.path), context(tmp_path, offline=True))
    assert src.fetch("v0.1.0", [CONST])[CONST].content == CRLF


def test_without_cache_clone_is_temporary(upstream, tmp_path):
    with GitSource(upstream.url, context(tmp_path, cache=False)) as src:
        assert src.fetch("v0.2.0", [CONST])[CONST].content == b"A = 2\n"
        clone = src.git_dir
        assert clone.is_dir()
        assert tmp_path not in clone.parents
    assert not clone.exists() and not clone.parent.exists()
    assert not (tmp_path / "cache").exists()


def test_damaged_cached_clone_is_replaced(upstream, tmp_path):
    clone = GitSource(upstream.url, context(tmp_path)).git_dir
    shutil.rmtree(clone)
    clone.mkdir()
    (clone / "junk").write_text("not a repository")
    src = GitSource(upstream.url, context(tmp_path))
    assert src.fetch("v0.1.0", [CONST])[CONST].content == CRLF


# -- many tags ------------------------------------------------------------------------------


def many_tags_history(n: int):
    history = []
    for i in range(n):
        files = {CONST: f"VERSION = '0.{i}.0'\r\nSTEP = {i}\n".encode()}
        if i % 10 == 0:
            files["pkg/other.py"] = f"O = {i}\n".encode()
        history.append((f"v0.{i}.0", files))
    return history


def test_fetch_many_over_120_tags_uses_one_cat_file_process(tmp_path):
    info = make_repo(tmp_path / "many", many_tags_history(120),
                     annotated={f"v0.{i}.0" for i in range(0, 120, 3)})
    wrapper, log = logging_git(tmp_path)
    src = GitSource(str(info.path), context(tmp_path), git=wrapper)
    pairs = [(f"v0.{i}.0", path) for i in range(120) for path in (CONST, "pkg/other.py")]
    got = src.fetch_many(pairs)
    assert list(got) == pairs
    for i in range(120):
        tag = f"v0.{i}.0"
        const = got[(tag, CONST)]
        assert const.content == f"VERSION = '0.{i}.0'\r\nSTEP = {i}\n".encode()
        assert const.origin.commit == info.tags[tag]
        assert const.origin.sha256 == hashlib.sha256(const.content).hexdigest()
        assert got[(tag, "pkg/other.py")].content == f"O = {i - i % 10}\n".encode()
    assert len(calls(log, "cat-file")) == 1
    assert sum(1 for _ in log.read_text().splitlines()) <= 5


def test_fetch_many_from_partial_clone_over_many_tags(tmp_path):
    info = make_repo(tmp_path / "many", many_tags_history(120))
    allow_partial_clone(info.path)
    wrapper, log = logging_git(tmp_path)
    src = GitSource(info.url, context(tmp_path), git=wrapper)
    pairs = [(f"v0.{i}.0", CONST) for i in range(0, 120, 2)]
    got = src.fetch_many(pairs)
    assert [f.content for f in got.values()] == [
        f"VERSION = '0.{i}.0'\r\nSTEP = {i}\n".encode() for i in range(0, 120, 2)]
    assert len([c for c in calls(log, "fetch") if "--stdin" in c]) == 1
    assert len(calls(log, "cat-file")) == 1


def test_fetch_many_empty_and_duplicates(source):
    assert source.fetch_many([]) == {}
    got = source.fetch_many([("v0.1.0", CONST), ("v0.1.0", CONST)])
    assert list(got) == [("v0.1.0", CONST)]


def test_unknown_tag_in_fetch_many_is_reported_before_reading(source):
    with pytest.raises(NotFound, match="v9.9.9"):
        source.fetch_many([("v0.1.0", CONST), ("v9.9.9", CONST)])


def test_unusable_cache_dir_is_a_dssync_error(upstream, tmp_path):
    (tmp_path / "cache").write_text("a file where the cache directory should be")
    with pytest.raises(DssyncError, match="cannot write the git cache") as info:
        GitSource(upstream.url, context(tmp_path)).list_tags()
    assert not isinstance(info.value, UpstreamError)


# --- a local repository's configuration runs nothing ---------------------------------------------


class _AuthWall:
    """An HTTP server that asks every request for credentials (git then runs its helpers)."""

    def __enter__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - http.server's naming
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="wall"')
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}/repo.git"
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _script(path: Path, marker: Path) -> str:
    path.write_text(f"#!/bin/sh\ntouch '{marker}'\necho x\n")
    path.chmod(0o755)
    return str(path)


HOSTILE = {
    # Each: how a repository's own configuration would run a command while a blob is fetched.
    "uploadpack": lambda m, d, wall: {"remote.origin.uploadpack": f"touch '{m}'; git-upload-pack"},
    "sshCommand": lambda m, d, wall: {"remote.origin.url": "ssh://git.example.invalid/r.git",
                                      "core.sshCommand": f"touch '{m}'; false"},
    "ext": lambda m, d, wall: {"remote.origin.url": f"ext::sh -c touch% {m}",
                               "protocol.ext.allow": "always", "protocol.allow": "always"},
    "vcs": lambda m, d, wall: {"remote.origin.vcs": "ext", "remote.origin.url": f"sh -c touch% {m}",
                               "protocol.ext.allow": "always"},
    "gitProxy": lambda m, d, wall: {"remote.origin.url": "git://git.example.invalid/r.git",
                                    "core.gitProxy": _script(d / "proxy.sh", m)},
    "insteadOf": lambda m, d, wall: {f"url.ext::sh -c touch% {m}% .insteadOf": "file://",
                                     "protocol.ext.allow": "always"},
    "credential.helper": lambda m, d, wall: {"remote.origin.url": wall,
                                             "credential.helper": f"!touch '{m}'; echo"},
    "askPass": lambda m, d, wall: {"remote.origin.url": wall,
                                   "core.askPass": _script(d / "askpass.sh", m)},
    # git 2.39 runs neither while dssync reads; they are off in case a later git does.
    "hooks": lambda m, d, wall: {"core.hooksPath": str(_hooks(d, m))},
    "fsmonitor": lambda m, d, wall: {"core.fsmonitor": _script(d / "fsmonitor.sh", m)},
}


def _hooks(directory: Path, marker: Path) -> Path:
    hooks = directory / "hooks"
    hooks.mkdir()
    for name in ("reference-transaction", "post-checkout", "post-merge", "pre-auto-gc",
                 "post-index-change", "fsmonitor-watchman"):
        _script(hooks / name, marker)
    return hooks


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX shell")
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_local_repositorys_configuration_runs_no_command(upstream, tmp_path, kind):
    """Reading a file out of a local partial clone fetches its blob; that repository's own
    configuration named a command (``remote.origin.uploadpack``, ``core.sshCommand``...), and
    git ran it (issue 15, finding 9). The fetch may fail now, but nothing is run."""
    local = tmp_path / "local"
    git("clone", "--quiet", "--filter=blob:none", "--no-checkout", upstream.url, local)
    marker = tmp_path / "marker"
    with _AuthWall() as wall:
        for key, value in HOSTILE[kind](marker, tmp_path, wall.url).items():
            git("config", key, value, cwd=local)
        with GitSource(str(local), context(tmp_path, cache=False)) as src:
            try:
                got = src.fetch("v0.2.0", [CONST])[CONST].content
            except SourceUnavailable as exc:
                assert "\n" not in str(exc)
            else:
                assert got == b"A = 2\n"
    assert not marker.exists(), f"the repository's {kind} setting ran a command"


def test_a_local_partial_clone_still_fetches_its_blobs(upstream, tmp_path):
    local = tmp_path / "local"
    git("clone", "--quiet", "--filter=blob:none", "--no-checkout", upstream.url, local)
    with GitSource(str(local), context(tmp_path, cache=False)) as src:
        assert src.fetch("v0.2.0", [CONST])[CONST].content == b"A = 2\n"


@pytest.mark.parametrize("target", ["pack", "idx", "packed-refs", "HEAD", "config"])
def test_a_damaged_cached_clone_is_cloned_afresh_in_the_same_run(upstream, tmp_path, target):
    """The clone of a URL is a cache entry too: git's own checks find it damaged (a flipped
    pack or index, garbled refs), and the run clones it again instead of failing every time."""
    ctx = context(tmp_path)
    with GitSource(upstream.url, ctx) as src:
        expected = src.fetch("v0.2.0", [CONST])[CONST].content
        clone = src.git_dir
    assert expected == b"A = 2\n"
    if target in ("pack", "idx"):
        damaged = sorted((clone / "objects" / "pack").glob(f"*.{target}"))
    else:
        damaged = [clone / target]
    assert damaged
    for path in damaged:
        data = bytearray(path.read_bytes())
        for i in range(len(data) // 3, min(len(data), len(data) // 3 + 8)):
            data[i] ^= 0x5A
        path.write_bytes(bytes(data))
    with GitSource(upstream.url, context(tmp_path)) as src:
        assert src.fetch("v0.2.0", [CONST])[CONST].content == expected
        assert src.fetch("v0.1.0", [CONST])[CONST].content == CRLF
        assert "v0.3.0rc1" in src.list_tags()
    offline = context(tmp_path, offline=True)  # what the run left is whole
    with GitSource(upstream.url, offline) as src:
        assert src.fetch("v0.2.0", [CONST])[CONST].content == expected


def test_list_files_names_every_file_at_the_tag(source):
    assert source.list_files("v0.1.0") == sorted([CONST, "pkg/bom.py", "data.bin", "README"])
    assert CONST not in source.list_files("v0.3.0rc1")  # deleted there
    with pytest.raises(NotFound, match="tag v9 not found"):
        source.list_files("v9")
