"""Build real git repositories with tagged history for tests, quickly and reproducibly.

Every commit of one call goes through a single ``git fast-import`` process, so a history of
hundreds of tagged commits takes well under a second. Authors, committers, taggers and dates
are fixed, so the same history always gives the same commit SHAs, and the user's git
configuration (autocrlf, default branch, hooks, signing) plays no part.

    info = make_repo(tmp_path / "up", [
        ("v0.1.0", {"pkg/constants.py": b"A = 1\\n"}),
        (None, {"README": b"hi\\n"}),                   # a commit without a tag
        ("v0.2.0", {"pkg/constants.py": None}),          # None deletes the file
    ], annotated={"v0.2.0"})
    info.tags["v0.1.0"]   # commit SHA the tag points at
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

Step = tuple["str | None", Mapping[str, "bytes | None"]]

BRANCH = "main"
BASE_TIME = 1_700_000_000
"""Commit i of a repository is dated BASE_TIME + 60 * i (UTC)."""
AUTHOR = "Test Author <author@example.invalid>"
COMMITTER = "Test Committer <committer@example.invalid>"
TAGGER = "Test Tagger <tagger@example.invalid>"


def git_env() -> dict[str, str]:
    """The environment for running git in tests: no user or system configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.invalid",
        GIT_COMMITTER_NAME="Test Committer",
        GIT_COMMITTER_EMAIL="committer@example.invalid",
        GIT_AUTHOR_DATE=f"@{BASE_TIME} +0000",
        GIT_COMMITTER_DATE=f"@{BASE_TIME} +0000",
        LC_ALL="C",
    )
    return env


def git(*args: str | os.PathLike, cwd: str | os.PathLike | None = None,
        input: bytes | None = None) -> str:
    """Run git and return its stdout as text; fail loudly with git's stderr."""
    proc = subprocess.run(
        ["git", *map(str, args)], cwd=cwd, input=input, capture_output=True,
        env=git_env(), check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"git {' '.join(map(str, args))} failed ({proc.returncode}): "
            f"{proc.stderr.decode(errors='replace').strip()}"
        )
    return proc.stdout.decode("utf-8", errors="replace")


@dataclass
class RepoInfo:
    path: Path
    """The work tree, or the repository itself when bare."""
    commits: list[str] = field(default_factory=list)
    """The SHA of each step's commit, in history order (this call's steps only)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tag name -> the commit it points at (this call's tags only)."""
    bare: bool = False

    @property
    def url(self) -> str:
        return self.path.resolve().as_uri()


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _quote_path(path: str) -> bytes:
    if any(c in path for c in '"\n\\') or path.startswith(" "):
        raise ValueError(f"test helper does not support path {path!r}")
    return path.encode("utf-8")


def _stream(steps: Sequence[Step], annotated: Iterable[str], parent: str | None,
            first_index: int, branch: str) -> bytes:
    annotated = set(annotated)
    out: list[bytes] = []
    mark = 0
    commit_marks: list[int] = []
    for i, (tag, files) in enumerate(steps):
        when = BASE_TIME + 60 * (first_index + i)
        blob_marks: dict[str, int] = {}
        for path, content in files.items():
            if content is not None:
                mark += 1
                blob_marks[path] = mark
                out.append(b"blob\nmark :%d\n" % mark + _data(bytes(content)))
        mark += 1
        commit_marks.append(mark)
        message = f"step {first_index + i}" + (f": {tag}" if tag else "")
        out.append(f"commit refs/heads/{branch}\nmark :{mark}\n".encode())
        out.append(f"author {AUTHOR} {when} +0000\ncommitter {COMMITTER} {when} +0000\n".encode())
        out.append(_data(message.encode()))
        if i == 0 and parent:
            out.append(f"from {parent}\n".encode())
        elif i > 0:
            out.append(b"from :%d\n" % commit_marks[-2])
        for path, content in files.items():
            if content is None:
                out.append(b"D " + _quote_path(path) + b"\n")
            else:
                out.append(b"M 100644 :%d " % blob_marks[path] + _quote_path(path) + b"\n")
        out.append(b"\n")
        if tag is None:
            continue
        if tag in annotated:
            out.append(f"tag {tag}\nfrom :{mark}\ntagger {TAGGER} {when} +0000\n".encode())
            out.append(_data(f"release {tag}\n".encode()))
        else:
            out.append(f"reset refs/tags/{tag}\nfrom :{mark}\n\n".encode())
    return b"".join(out)


def extend_repo(path: str | os.PathLike, history: Sequence[Step],
                annotated: Iterable[str] = frozenset(), *, branch: str = BRANCH) -> RepoInfo:
    """Append ``history`` to the repository at ``path`` (made by ``make_repo``).

    Each step is ``(tag or None, {path: bytes, or None to delete})`` applied on top of the
    previous step; the step's commit is tagged when a tag is given (an existing tag of that name
    is moved). Tags named in ``annotated`` are annotated tags, the rest lightweight.
    """
    path = Path(path).resolve()
    bare = git("rev-parse", "--is-bare-repository", cwd=path).strip() == "true"
    if not history:
        return RepoInfo(path=path, bare=bare)
    try:
        parent: str | None = git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}",
                                 cwd=path).strip()
        done = int(git("rev-list", "--count", parent, cwd=path))
    except RuntimeError:
        parent, done = None, 0
    stream = _stream(history, annotated, parent, done, branch)
    marks = path / (".import-marks" if bare else ".git/import-marks")
    try:
        git("fast-import", "--quiet", "--done", f"--export-marks={marks}", cwd=path,
            input=stream + b"done\n")
        by_mark = dict(line.split(" ", 1)[0:2] for line in marks.read_text().split("\n") if line)
    finally:
        marks.unlink(missing_ok=True)
    info = RepoInfo(path=path, bare=bare)
    mark = 0
    for tag, files in history:
        mark += sum(1 for content in files.values() if content is not None) + 1
        sha = by_mark[f":{mark}"].strip()
        info.commits.append(sha)
        if tag is not None:
            info.tags[tag] = sha
    if not bare:
        # fast-import writes objects and refs only; make the work tree match like a real clone.
        git("reset", "--hard", "--quiet", cwd=path)
    return info


def make_repo(path: str | os.PathLike, history: Sequence[Step],
              annotated: Iterable[str] = frozenset(), *, bare: bool = False,
              branch: str = BRANCH) -> RepoInfo:
    """Create a new repository at ``path`` holding ``history`` (see ``extend_repo``)."""
    path = Path(path).resolve()
    path.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet", *(["--bare"] if bare else []), cwd=path)
    git("symbolic-ref", "HEAD", f"refs/heads/{branch}", cwd=path)
    return extend_repo(path, history, annotated, branch=branch)


def allow_partial_clone(path: str | os.PathLike) -> None:
    """Let clients clone ``path`` with ``--filter`` and fetch single blobs, as GitHub allows."""
    git("config", "uploadpack.allowFilter", "true", cwd=path)
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=path)
