"""An on-disk store for content that never changes under its key.

Keys name immutable things (a commit SHA plus a path, an archive's sha256, a content hash), so an
entry, once written, is never stale. Several dssync processes may share one cache: writes go to a
temporary file in the same directory, synced, and renamed into place, so a reader sees either
nothing or a whole entry. Entries dssync derives itself (parsed tables, scans) are not synced:
one lost to a crash fails its seal (below), which is a miss, and is derived again. Two processes
writing one key write the same bytes, so whichever rename comes last changes nothing and no lock
is needed (the few entries that are not content-addressed are last-writer-wins by design).

Every read is verified, because a disk, a crash of another program or a person can still damage
an entry after it was written: an entry of a content-addressed namespace (``archives``, keyed by
the sha256 of the bytes) must hash to its key; every other entry starts with a line naming the
sha256 of its key and the rest (``seal_line``), which must match. An entry that fails, or that
is not a regular file at all, is a miss: it is removed, so the caller fetches the content again
and writes a good entry in its place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from dssync.errors import DssyncError, file_in_the_way

APP_NAME = "dssync"

ADDRESSED = frozenset({"archives"})
"""Namespaces whose key is the sha256 of the entry's bytes: stored as they are (an sdist is
read in place) and checked against the key."""

_SEAL = b"dssync-cache/1 sha256="
_SEAL_SIZE = len(_SEAL) + 64 + 1


def default_cache_root() -> Path:
    """The platform's user cache directory for dssync, or ``$DSSYNC_CACHE_DIR``."""
    env = os.environ.get("DSSYNC_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def check_cache_root(root: Path, *, chosen: bool) -> None:
    """Refuse a cache directory where a file (or anything but a directory) stands: dssync never
    makes one there, so the file is not the cache's to remove. ``chosen``: the user named the
    place (``--cache-dir`` or ``DSSYNC_CACHE_DIR``)."""
    blocker = root if root.exists() and not root.is_dir() else file_in_the_way(root)
    if blocker is None:
        return
    what = ("is not a directory, so it cannot hold the cache" if blocker == root
            else f"is not a directory, so the cache directory {root} cannot be made below it")
    hint = ("choose another --cache-dir (or DSSYNC_CACHE_DIR), or pass --no-cache" if chosen
            else "pass --cache-dir DIR (or set DSSYNC_CACHE_DIR), or --no-cache")
    raise DssyncError(what, path=blocker, hint=hint)


def _slot(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def seal_line(data: bytes, name: str) -> bytes:
    """The first line of the entry named ``name`` (its file name, derived from its key) that
    holds ``data``: the sha256 of both, so an entry moved under another key fails as well."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n")
    digest.update(data)
    return _SEAL + digest.hexdigest().encode("ascii") + b"\n"


def unseal(raw: bytes, name: str) -> bytes | None:
    """The payload of the sealed entry ``name``, or None when the entry is damaged."""
    head, payload = raw[:_SEAL_SIZE], raw[_SEAL_SIZE:]
    if len(head) != _SEAL_SIZE or head != seal_line(payload, name):
        return None
    return payload


def read_verified(path: Path, sha256: str | None = None, *, what: str = "cache entry"
                  ) -> bytes | None:
    """The payload of the entry at ``path``: sealed, or (``sha256``) hashing to ``sha256``.

    None when there is no entry; a damaged entry is removed and is None too. Only a failure to
    read a whole file (permissions, I/O) is an error.
    """
    try:
        # Non-blocking: a FIFO put where an entry was must not hang the run.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise IsADirectoryError(path)
        except BaseException:
            os.close(fd)
            raise
        with open(fd, "rb") as handle:
            raw = handle.read()
    except (FileNotFoundError, NotADirectoryError):  # no entry, or a file where a directory was
        return None
    except IsADirectoryError:  # or anything else that is not a regular file
        remove_entry(path, what=what)
        return None
    except OSError as exc:
        raise DssyncError(f"cannot read {what}: {exc.strerror or exc}",
                          path=exc.filename or path,
                          hint="check permissions or pass --no-cache") from None
    if sha256 is None:
        payload = unseal(raw, path.name)
    else:
        payload = raw if hashlib.sha256(raw).hexdigest() == sha256 else None
    if payload is None:
        remove_entry(path, what=what)
    return payload


def remove_entry(path: Path, *, what: str = "cache entry") -> None:
    """Remove what sits where an entry should be (a file, a link, a directory), if it can."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise DssyncError(f"cannot remove a damaged {what}: {exc.strerror or exc}",
                          path=exc.filename or path,
                          hint="remove it by hand, or pass --cache-dir DIR or --no-cache") from None


def write_entry(path: Path, data: bytes, *, sealed: bool = True, durable: bool = True,
                what: str = "cache entry") -> None:
    """Write an entry atomically (temporary file, fsync, rename), sealed unless told not to;
    ``durable=False`` skips the fsync (an entry that can be derived again)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir() and not path.is_symlink():
            remove_entry(path, what=what)  # a damaged entry no reader has met yet
        import tempfile  # only when writing: tempfile pulls in random and shutil

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                if sealed:
                    handle.write(seal_line(data, path.name))
                handle.write(data)
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        blocker = file_in_the_way(path)
        if blocker is not None:
            raise DssyncError(f"cannot write {what}: a file stands where the cache needs a "
                              "directory", path=blocker,
                              hint="remove it (the cache rebuilds itself), or pass --cache-dir "
                                   "DIR or --no-cache") from None
        raise DssyncError(f"cannot write {what}: {exc.strerror or exc}",
                          path=exc.filename or path,
                          hint="check permissions, pass --cache-dir DIR or --no-cache") from None


class Cache:
    """Content-addressed entries grouped in namespaces; ``root=None`` disables caching."""

    def __init__(self, root: Path | None) -> None:
        self.root = Path(root) if root is not None else None

    @property
    def enabled(self) -> bool:
        return self.root is not None

    @property
    def http_dir(self) -> Path | None:
        """Where the HTTP layer keeps responses it may revalidate (ETag)."""
        return self.root / "http" if self.root is not None else None

    def _path(self, namespace: str, key: str) -> Path:
        assert self.root is not None
        slot = _slot(key)
        return self.root / namespace / slot[:2] / slot

    def read(self, namespace: str, key: str) -> bytes | None:
        """The entry's bytes, verified; None for a miss (a damaged entry is removed)."""
        if self.root is None:
            return None
        return read_verified(self._path(namespace, key),
                             key if namespace in ADDRESSED else None)

    def write(self, namespace: str, key: str, data: bytes, *, durable: bool = True) -> None:
        """Store ``data``; ``durable=False`` skips the sync to disk (for entries that can be
        derived again: a history walk writes a hundred of them, and each sync took longer than
        the parse it saves)."""
        if self.root is None:
            return
        write_entry(self._path(namespace, key), data, sealed=namespace not in ADDRESSED,
                    durable=durable)

    def read_json(self, namespace: str, key: str) -> Any | None:
        data = self.read(namespace, key)
        if data is None:
            return None
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            return None  # sealed, yet not JSON: written by another program; a miss

    def write_json(self, namespace: str, key: str, value: Any, *, durable: bool = True) -> None:
        self.write(namespace, key, json.dumps(value, sort_keys=True).encode("utf-8"),
                   durable=durable)
