"""Upstream files read straight from git: a local clone, or any URL git can fetch.

A URL is cloned once, bare and without blobs (``--filter=blob:none``), into the cache; later
runs only fetch tags, and blobs arrive when a file is first read at some tag. Files are read
with one ``git cat-file --batch`` process per call, which keeps reading a file at a hundred tags
as cheap as reading it at one. git is always run without a shell, with prompts disabled and
the caller's repository-locating variables (``GIT_DIR`` and friends) removed, so running dssync
from a git hook cannot redirect it to another repository.

A repository's own configuration can name commands git runs (``remote.<name>.uploadpack``,
``core.sshCommand``, ``core.gitProxy``, ``credential.helper``, ``core.askPass``, hooks,
``core.fsmonitor``, ``ext::`` URLs allowed by ``protocol.ext.allow``). A local repository
(``git:PATH``) is anyone's: git reads it with each of those overridden from the command
line's side (``GIT_CONFIG_*`` and the variables that outrank configuration); its missing
objects are fetched only by dssync's own fetch, which names the upload-pack program, over file,
git, http, https and ssh. A clone dssync made from the user's URL keeps the user's own settings
for reaching it; hooks and fsmonitor are off there too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

from dssync import versions
from dssync._source.interface import Fetched, SourceContext, local_path
from dssync._source.redact import redact_url, without_secret
from dssync.errors import DssyncError, NotFound, OfflineMiss, PathNotFound, SourceUnavailable
from dssync.models import Origin

# Variables that make git look at a different repository or rewrite what it reads.
_REPO_VARS = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX",
    "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE", "GIT_SHALLOW_FILE", "GIT_REPLACE_REF_BASE",
    "GIT_INTERNAL_SUPER_PREFIX", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)
_SAFE_PROTOCOLS = "git:http:https:ssh"
"""What a local repository's remotes may be fetched over, as git pleases (a lazy fetch): not
``ext::`` (a command line), remote helpers its configuration names, nor local paths (git runs
``remote.<name>.uploadpack`` for those, and the repository's value wins over any other)."""
_FETCH_PROTOCOLS = "file:" + _SAFE_PROTOCOLS
"""What dssync's own fetch of missing objects may use: it names the upload-pack itself."""
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP_RE = re.compile(r"^[^/\\:]+:")  # git reads "host:path" and "user@host:path" as ssh
_DRIVE_RE = re.compile(r"^[A-Za-z]:[\\/]")
_TREE, _SUBMODULE, _SYMLINK = "40000", "160000", "120000"
LOCK_TIMEOUT = 600.0


def is_url(target: str) -> bool:
    """Whether git would treat ``target`` as a remote rather than a local directory."""
    if _URL_RE.match(target):
        return True
    if _DRIVE_RE.match(target) or local_path(target).exists():
        return False
    return bool(_SCP_RE.match(target))


# The boilerplate git prints after a failed connection; the cause is on an earlier line.
_TRAILERS = (
    "fatal: Could not read from remote repository.",
    "Please make sure you have the correct access rights",
    "and the repository exists.",
)


def _last_line(stderr: bytes) -> str:
    from dssync._source.redact import redact

    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln and ln not in _TRAILERS]
    return redact(lines[-1]) if lines else "git gave no message"


def _check_path(path: str) -> None:
    parts = path.split("/")
    if (not path or path.startswith("/") or any(c in path for c in "\\\n\r\0")
            or any(part in ("", ".", "..") for part in parts)):
        raise DssyncError(
            f"upstream path {path!r} is not a repository-relative file path",
            hint="write it relative to the repository root with '/' separators, "
                 "e.g. deepspeed/runtime/constants.py",
        )


class _CatFile:
    """One ``git cat-file --batch`` process, asked for one object at a time."""

    def __init__(self, cmd: list[str], env: dict[str, str],
                 on_death: Callable[[str], Exception]) -> None:
        # A file, as a pipe nobody reads could fill; open for the process's life, closed by close().
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._on_death = on_death
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=self._stderr, env=env)

    def get(self, spec: str) -> tuple[str, str, bytes] | None:
        """``(oid, type, content)`` of the object ``spec`` names, or None if there is none."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        request = spec.encode("utf-8")
        try:
            self._proc.stdin.write(request + b"\n")
            self._proc.stdin.flush()
        except OSError:
            raise self._died() from None
        header = self._proc.stdout.readline()
        if not header.endswith(b"\n"):
            raise self._died()
        header = header[:-1]
        if header in (request + b" missing", request + b" ambiguous"):
            return None
        fields = header.split(b" ")
        if len(fields) != 3 or not fields[2].isdigit():
            raise self._died(f"unexpected reply from git cat-file: {header[:200]!r}")
        size = int(fields[2])
        content = self._proc.stdout.read(size)
        if len(content) != size or self._proc.stdout.read(1) != b"\n":
            raise self._died()
        return fields[0].decode("ascii"), fields[1].decode("ascii"), content

    def _died(self, detail: str | None = None) -> Exception:
        self.close()
        if detail is None:
            self._stderr.seek(0)
            detail = _last_line(self._stderr.read())
        return self._on_death(detail)

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()

    def __enter__(self) -> _CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        self._stderr.close()


class GitSource:
    """Tags and files of a git repository, named by local path or URL."""

    kind = "git"

    def __init__(self, target: str, ctx: SourceContext, *, git: str = "git") -> None:
        self.target = target
        self.ctx = ctx
        # Credentials in a URL must not reach messages, reports or lock files.
        self.spec = f"git:{redact_url(target)}"
        self._git = git
        self._git_dir: Path | None = None
        self._tags: list[str] | None = None
        self._partial: str | bool | None = False  # False: not checked yet
        self._cleanup: weakref.finalize | None = None
        self._repaired = False
        env = {k: v for k, v in os.environ.items() if k not in _REPO_VARS}
        env.update(GIT_TERMINAL_PROMPT="0", GIT_NO_REPLACE_OBJECTS="1", LC_ALL="C")
        self._env = env
        # Commands no repository's configuration may add, whoever made it.
        self._configure("core.fsmonitor", "false")
        self._configure("core.hooksPath", os.devnull)
        self._local = not is_url(target)
        if self._local:
            self._distrust_config()
        if ctx.offline:
            # An unknown protocol name allows none: lazy blob fetches fail instead of
            # reaching the network.
            env["GIT_ALLOW_PROTOCOL"] = "none"
        self._url = without_secret(target)
        """The URL git is given, and stores in a cached clone's config: no credentials."""
        if self._url != target:
            # The credentials reach git only through the environment of each command, as a
            # rewrite of the plain URL; the command line and the clone's config never hold them.
            self._configure(f"url.{target}.insteadOf", self._url)

    def _configure(self, key: str, value: str) -> None:
        """Set ``key`` for every git this source runs (children included), above any file."""
        env = self._env
        count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
        env.update({"GIT_CONFIG_COUNT": str(count + 1), f"GIT_CONFIG_KEY_{count}": key,
                    f"GIT_CONFIG_VALUE_{count}": value})

    def _distrust_config(self) -> None:
        """A local repository's configuration may not run commands: each key that names one is
        overridden, through variables git ranks above any configuration file."""
        env = self._env
        env["GIT_ALLOW_PROTOCOL"] = _SAFE_PROTOCOLS  # outranks protocol.*.allow
        env["GIT_PROXY_COMMAND"] = ""  # outranks core.gitProxy: connect directly
        env["GIT_ASKPASS"] = ""  # outranks core.askPass: ask nobody (prompts are off)
        if "GIT_SSH_COMMAND" not in env:  # outranks core.sshCommand (GIT_SSH does not)
            ssh = env.get("GIT_SSH")
            env["GIT_SSH_COMMAND"] = shlex.quote(ssh) if ssh else "ssh"
        self._configure("credential.helper", "")  # an empty value drops every helper
        self._configure("core.alternateRefsCommand", "")

    def __repr__(self) -> str:
        return f"GitSource({self.target!r})"

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Remove a temporary clone, if one was made; the source may be used again later."""
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None
            self._git_dir = None
            self._tags = None
            self._partial = False

    def __enter__(self) -> GitSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running git ----------------------------------------------------------------------

    def _cmd(self, args: Sequence[str], *, repo: bool = True) -> list[str]:
        cmd = [self._git]
        if repo:
            cmd += ["--git-dir", str(self.git_dir)]
        return cmd + list(args)

    def _run(self, args: Sequence[str], *, repo: bool = True, input: bytes | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
        cmd = self._cmd(args, repo=repo)
        if self.ctx.verbose and any(a in ("clone", "fetch") for a in args):
            self.ctx.log(f"{self.spec}: git {' '.join(redact_url(a) for a in args)}")
        environment = {**self._env, **env} if env else self._env
        try:
            if input is None:
                return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                      check=False, env=environment)
            return subprocess.run(cmd, input=input, capture_output=True, check=False,
                                  env=environment)
        except FileNotFoundError:
            raise DssyncError(
                f"cannot run {self._git!r}: git is not installed or not on PATH",
                hint="install git, or use a github: or pypi: source instead of git:",
            ) from None
        except OSError as exc:
            raise DssyncError(f"cannot run {self._git!r}: {exc.strerror}",
                              hint="check that git is installed and executable") from None

    def _network_opts(self) -> list[str]:
        # git has no overall timeout; abort transfers that stall for the read timeout.
        stall = max(1, int(self.ctx.timeout[1]))
        return ["-c", "http.lowSpeedLimit=1000", "-c", f"http.lowSpeedTime={stall}"]

    def _cat_file(self) -> _CatFile:
        def died(detail: str) -> Exception:
            if self.ctx.offline:
                return OfflineMiss(f"{self.spec}: git could not read an object offline: {detail}",
                                   hint="run once without --offline to fetch it")
            return SourceUnavailable(f"{self.spec}: git cat-file failed: {detail}")

        cmd = self._cmd(["cat-file", "--batch"])
        try:
            return _CatFile(cmd, self._env, died)
        except FileNotFoundError:
            self._run(["--version"], repo=False)  # raises the "install git" error
            raise
        except OSError as exc:
            raise DssyncError(f"cannot run {self._git!r}: {exc.strerror}") from None

    # -- finding the repository -----------------------------------------------------------

    @property
    def git_dir(self) -> Path:
        """The repository git reads, cloned or fetched on first use."""
        if self._git_dir is None:
            self._git_dir = self._open_url() if is_url(self.target) else self._open_local()
        return self._git_dir

    def _open_local(self) -> Path:
        path = local_path(self.target)
        if not path.is_dir():
            raise DssyncError("git repository does not exist", path=self.target,
                              hint="give the path of a clone (bare or not) or a URL git can fetch")
        proc = self._run(["-C", str(path), "rev-parse", "--absolute-git-dir", "--show-prefix"],
                         repo=False)
        if proc.returncode != 0:
            detail = _last_line(proc.stderr)
            message = ("not a git repository" if "not a git repository" in detail
                       else f"not a usable git repository: {detail}")
            raise DssyncError(message, path=self.target,
                              hint="give the path of a clone (bare or not) or a URL git can fetch")
        git_dir, _, prefix = proc.stdout.decode("utf-8", "surrogateescape").partition("\n")
        if prefix.strip():
            raise DssyncError(
                "a subdirectory of a git work tree, not its top",
                path=self.target, hint="give the top directory of the clone",
            )
        return Path(git_dir.strip())

    def _valid_repo(self, path: Path) -> bool:
        if not path.is_dir():
            return False
        proc = self._run(["--git-dir", str(path), "rev-parse", "--absolute-git-dir"], repo=False)
        return proc.returncode == 0

    def _open_url(self) -> Path:
        url = self.target
        cache = self.ctx.cache
        if cache.root is None:
            if self.ctx.offline:
                raise OfflineMiss(f"{self.spec}: no cached clone (the cache is disabled)",
                                  hint="run without --offline, or enable the cache")
            try:
                tmp = tempfile.mkdtemp(prefix="dssync-git-")
            except OSError as exc:
                raise DssyncError(f"cannot create a temporary directory: {exc.strerror}",
                                  hint="set TMPDIR to a writable directory") from None
            self._cleanup = weakref.finalize(self, shutil.rmtree, tmp, ignore_errors=True)
            dest = Path(tmp) / "repo.git"
            self._clone(self._url, dest)
            return dest

        dest = self._cached_clone_path()
        if self.ctx.offline:
            if self._valid_repo(dest):
                return dest
            raise OfflineMiss(f"{self.spec}: no cached clone of {url}",
                              hint="run once without --offline to clone it")
        with self._clone_lock(dest):
            if self._valid_repo(dest):
                if self._url != url:  # a clone made before credentials were kept out
                    self._run(["--git-dir", str(dest), "config", "remote.origin.url",
                               self._url], repo=False)
                try:
                    self._fetch_tags(dest)
                except SourceUnavailable:
                    if not self._replace_clone(dest):  # damaged (its refs, say), or offline
                        raise
            else:
                shutil.rmtree(dest, ignore_errors=True)
                self._replace_clone(dest, strict=True)
        return dest

    def _cached_clone_path(self) -> Path:
        assert self.ctx.cache.root is not None
        slot = hashlib.sha256(self.target.encode("utf-8")).hexdigest()[:32]
        return self.ctx.cache.root / "git" / slot

    def _replace_clone(self, dest: Path, *, strict: bool = False) -> bool:
        """Clone afresh beside ``dest`` and put the clone in its place; False (``strict``: the
        clone's error) when the clone cannot be made, leaving ``dest`` as it was."""
        staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-"))
        try:
            try:
                self._clone(self._url, staging / "repo.git")
            except SourceUnavailable:
                if strict:
                    raise
                return False
            shutil.rmtree(dest, ignore_errors=True)
            os.replace(staging / "repo.git", dest)
            return True
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @contextlib.contextmanager
    def _clone_lock(self, dest: Path) -> Iterator[None]:
        """Hold the cached clone's file lock; each failure to take it is one clear line."""
        import filelock

        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with filelock.FileLock(str(dest) + ".lock", timeout=LOCK_TIMEOUT):
                yield
        except filelock.Timeout:
            raise SourceUnavailable(
                f"{self.spec}: timed out waiting for another dssync to update the cached clone",
                path=dest, hint=f"try again; if no dssync is running, delete {dest}.lock",
            ) from None
        except OSError as exc:
            raise DssyncError(
                f"cannot write the git cache: {exc.strerror}", path=exc.filename or dest,
                hint="check permissions, pass --cache-dir DIR or --no-cache",
            ) from None

    def _repair(self) -> bool:
        """After a failure inside the cached clone of a URL (a damaged object, pack or ref):
        replace the clone by a fresh one, once a run. True if there is a new clone to retry."""
        if (self._repaired or self.ctx.offline or self._local or self.ctx.cache.root is None
                or self._git_dir is None):
            return False
        self._repaired = True
        dest = self._cached_clone_path()
        with self._clone_lock(dest):
            if not self._replace_clone(dest):
                return False
        self._tags = None
        self._partial = False
        if self.ctx.verbose:
            self.ctx.log(f"{self.spec}: the cached clone could not be read; cloned it afresh")
        return True

    def _clone(self, url: str, dest: Path) -> None:
        base = [*self._network_opts(), "clone", "--bare", "--quiet"]
        proc = self._run([*base, "--filter=blob:none", "--", url, str(dest)], repo=False)
        if proc.returncode != 0 and b"filter" in proc.stderr.lower():
            # A git too old for partial clone: take every blob instead.
            shutil.rmtree(dest, ignore_errors=True)
            proc = self._run([*base, "--", url, str(dest)], repo=False)
        if proc.returncode != 0:
            shutil.rmtree(dest, ignore_errors=True)
            raise SourceUnavailable(f"{self.spec}: cannot clone: {_last_line(proc.stderr)}",
                                    hint="check the URL and your network access")

    def _fetch_tags(self, dest: Path) -> None:
        # An explicit tag refspec makes --prune drop tags deleted upstream; --force moves tags
        # that upstream re-pointed.
        proc = self._run(["--git-dir", str(dest), *self._network_opts(), "fetch", "--quiet",
                          "--force", "--prune", "--no-write-fetch-head", "origin",
                          "+refs/tags/*:refs/tags/*"], repo=False)
        if proc.returncode != 0:
            raise SourceUnavailable(f"{self.spec}: cannot fetch tags: {_last_line(proc.stderr)}",
                                    hint="check your network access, or pass --offline to use "
                                         "the cached clone as it is")

    # -- tags -----------------------------------------------------------------------------

    def list_tags(self) -> list[str]:
        """Every tag name, sorted by name."""
        if self._tags is None:
            proc = self._run(["for-each-ref", "--format=%(refname)", "refs/tags"])
            if proc.returncode != 0 and self._repair():
                proc = self._run(["for-each-ref", "--format=%(refname)", "refs/tags"])
            if proc.returncode != 0:
                raise SourceUnavailable(f"{self.spec}: cannot list tags: "
                                        f"{_last_line(proc.stderr)}")
            names = proc.stdout.decode("utf-8", "replace").splitlines()
            self._tags = sorted(n[len("refs/tags/"):] for n in names if n.startswith("refs/tags/"))
        return list(self._tags)

    def _unknown_tag(self, tag: str) -> NotFound:
        close = versions.nearest_tags(tag, self.list_tags(), n=3, tag_format=self.ctx.tag_format)
        hint = f"did you mean {', '.join(close)}?" if close else "the repository has no tags"
        return NotFound(f"tag {tag} not found in {self.spec}", hint=hint)

    def _resolve_all(self, batch: _CatFile, tags: Sequence[str]) -> dict[str, str]:
        known = set(self.list_tags())
        commits: dict[str, str] = {}
        for tag in dict.fromkeys(tags):
            if tag not in known:
                raise self._unknown_tag(tag)
            found = batch.get(f"refs/tags/{tag}^{{commit}}")
            if found is None:
                raise NotFound(f"tag {tag} in {self.spec} does not point to a commit",
                               hint="pick a release tag")
            commits[tag] = found[0]
        return commits

    def resolve(self, tag: str) -> str:
        """The SHA of the commit ``tag`` points at (through annotated tags)."""
        with self._cat_file() as batch:
            return self._resolve_all(batch, [tag])[tag]

    # -- files ----------------------------------------------------------------------------

    def list_files(self, tag: str) -> list[str]:
        """Every file of the tree ``tag`` names, sorted (git's own order)."""
        commit = self.resolve(tag)
        args = ["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit]
        proc = self._run(args)
        if proc.returncode != 0 and self._repair():
            proc = self._run(args)
        if proc.returncode != 0:
            raise SourceUnavailable(f"{self.spec}: cannot list the files at tag {tag}: "
                                    f"{_last_line(proc.stderr)}")
        names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
        return [name for name in names if name]

    def fetch(self, tag: str, paths: Sequence[str]) -> dict[str, Fetched]:
        got = self.fetch_many([(tag, path) for path in paths])
        return {path: got[(tag, path)] for path in paths}

    def fetch_many(self, pairs: Sequence[tuple[str, str]], *,
                   missing_ok: bool = False) -> dict[tuple[str, str], Fetched]:
        """Files at many tags through one ``git cat-file --batch`` process.

        Raises ``NotFound`` for an unknown tag, and for a path missing at its tag unless
        ``missing_ok``, in which case that pair is left out of the result. A cached clone that
        cannot be read is cloned afresh and read again, once.
        """
        try:
            return self._fetch_many(pairs, missing_ok)
        except SourceUnavailable:
            if not self._repair():
                raise
            return self._fetch_many(pairs, missing_ok)

    def _fetch_many(self, pairs: Sequence[tuple[str, str]],
                    missing_ok: bool) -> dict[tuple[str, str], Fetched]:
        pairs = list(dict.fromkeys((tag, path) for tag, path in pairs))
        for _, path in pairs:
            _check_path(path)
        if not pairs:
            return {}
        with self._cat_file() as batch:
            commits = self._resolve_all(batch, [tag for tag, _ in pairs])
            located = self._locate(batch, pairs, commits, missing_ok)
            self._ensure_blobs(located, commits)
            blobs: dict[str, bytes] = {}
            result: dict[tuple[str, str], Fetched] = {}
            for (tag, path), oid in located.items():
                if oid not in blobs:
                    found = batch.get(oid)
                    if found is None or found[1] != "blob":
                        raise self._unreadable(tag, path)
                    blobs[oid] = found[2]
                content = blobs[oid]
                origin = Origin(source=self.spec, tag=tag, path=path,
                                sha256=hashlib.sha256(content).hexdigest(), commit=commits[tag])
                result[(tag, path)] = Fetched(content=content, origin=origin)
        return result

    def _unreadable(self, tag: str, path: str) -> DssyncError:
        if self.ctx.offline:
            return OfflineMiss(f"{self.spec}: {path} at tag {tag} is not in the cached clone",
                               hint="run once without --offline to fetch it")
        return SourceUnavailable(f"{self.spec}: git could not read {path} at tag {tag}")

    def _locate(self, batch: _CatFile, pairs: list[tuple[str, str]], commits: dict[str, str],
                missing_ok: bool) -> dict[tuple[str, str], str]:
        """Blob ids of the wanted files, read from their directories' trees.

        Trees, unlike blobs, are always present in a partial clone, so this step never
        reaches the network.
        """
        trees: dict[tuple[str, str], dict[bytes, tuple[str, str]] | None] = {}
        located: dict[tuple[str, str], str] = {}
        for tag, path in pairs:
            parent, _, name = path.rpartition("/")
            key = (commits[tag], parent)
            if key not in trees:
                spec = f"{commits[tag]}:{parent}" if parent else f"{commits[tag]}^{{tree}}"
                found = batch.get(spec)
                trees[key] = _parse_tree(found[2], len(found[0]) // 2) \
                    if found is not None and found[1] == "tree" else None
            entries = trees[key]
            entry = entries.get(name.encode("utf-8")) if entries is not None else None
            if entry is None:
                if missing_ok:
                    continue
                raise self._missing_path(tag, path, entries)
            mode, oid = entry
            what = {_TREE: "a directory", _SUBMODULE: "a submodule",
                    _SYMLINK: "a symbolic link"}.get(mode)
            if what:
                raise NotFound(f"{path} at tag {tag} in {self.spec} is {what}, not a file",
                               hint="name a regular file")
            located[(tag, path)] = oid
        return located

    def _missing_path(self, tag: str, path: str,
                      entries: dict[bytes, tuple[str, str]] | None) -> PathNotFound:
        parent, _, name = path.rpartition("/")
        if entries is None:
            hint = (f"directory {parent} does not exist at that tag" if parent
                    else "the tag's tree is empty")
        else:
            import difflib

            names = [n.decode("utf-8", "replace") for n in entries]
            close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
            if close:
                hint = "did you mean " + ", ".join(
                    f"{parent}/{c}" if parent else c for c in close) + "?"
            else:
                hint = "paths are relative to the repository root"
        return PathNotFound(f"{path} does not exist at tag {tag} in {self.spec}", hint=hint,
                            upstream_path=path)

    # -- partial clones -------------------------------------------------------------------

    def _promisor(self) -> str | None:
        """The remote that lazily supplies missing blobs, if this is a partial clone."""
        if self._partial is False:
            self._partial = None
            proc = self._run(["config", "--get-regexp",
                              r"^(extensions\.partialclone|remote\..*\.promisor)$"])
            for line in proc.stdout.decode("utf-8", "replace").splitlines():
                key, _, value = line.partition(" ")
                if key.lower() == "extensions.partialclone" and value:
                    self._partial = value
                elif key.endswith(".promisor") and value.lower() in ("true", "yes", "on", "1"):
                    self._partial = key[len("remote."):-len(".promisor")]
                if self._partial:
                    break
        return self._partial if isinstance(self._partial, str) else None

    def _ensure_blobs(self, located: dict[tuple[str, str], str], commits: dict[str, str]) -> None:
        """Fetch every blob a partial clone lacks in one request, not one request per blob."""
        remote = self._promisor()
        if remote is None or not located:
            return
        wanted = set(located.values())
        tags = list(dict.fromkeys(tag for tag, _ in located))
        paths = list(dict.fromkeys(path for _, path in located))
        # --missing=print lists absent objects without fetching them.
        proc = self._run(["--literal-pathspecs", "rev-list", "--objects", "--missing=print",
                          "--no-walk", *(commits[t] for t in tags), "--", *paths])
        if proc.returncode != 0:
            return  # let cat-file fetch lazily, or report what it cannot read
        absent = [line[1:] for line in proc.stdout.decode("ascii", "replace").splitlines()
                  if line.startswith("?") and line[1:] in wanted]
        if not absent:
            return
        if self.ctx.offline:
            tag, path = next(pair for pair, oid in located.items() if oid in absent)
            raise self._unreadable(tag, path)
        # In a local repository (anyone's), this fetch names the upload-pack program itself:
        # the repository's remote.<name>.uploadpack would otherwise run, whatever -c says.
        guarded = ["--upload-pack=git-upload-pack"] if self._local else []
        proc = self._run(
            ["-c", "fetch.negotiationAlgorithm=noop", *self._network_opts(), "fetch", "--quiet",
             "--no-tags", "--no-write-fetch-head", "--recurse-submodules=no",
             "--filter=blob:none", *guarded, "--stdin", remote],
            input="".join(f"{oid}\n" for oid in absent).encode("ascii"),
            env={"GIT_ALLOW_PROTOCOL": _FETCH_PROTOCOLS}
            if self._local and not self.ctx.offline else None,
        )
        if proc.returncode != 0:
            raise SourceUnavailable(f"{self.spec}: cannot fetch file contents: "
                                    f"{_last_line(proc.stderr)}",
                                    hint="check your network access")


def _parse_tree(data: bytes, oid_len: int) -> dict[bytes, tuple[str, str]]:
    """``name -> (mode, oid)`` for a raw tree object (``<mode> <name>\\0<binary oid>``...)."""
    entries: dict[bytes, tuple[str, str]] = {}
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        end = nul + 1 + oid_len
        entries[data[space + 1:nul]] = (data[pos:space].decode("ascii"), data[nul + 1:end].hex())
        pos = end
    return entries
