"""An on-disk store for content that never changes under its key.

Keys name immutable things (a commit SHA plus a path, an archive's sha256, a content hash), so an
entry, once written, is never stale. Several dssync processes may share one cache: writes go to a
temporary file in the same directory, synced, and renamed into place, so a reader sees either
nothing or a whole entry. Entries dssync derives itself (parsed tables, scans) are not synced:
one lost to a crash reads as damaged, which is a miss, and is derived again. Two processes writing one key write the same bytes, so whichever rename
comes last changes nothing and no lock is needed (the few entries that are not content-addressed,
such as when a tag was last checked, are last-writer-wins by design).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from dssync.errors import DssyncError

APP_NAME = "dssync"


def default_cache_root() -> Path:
    """The platform's user cache directory for dssync, or ``$DSSYNC_CACHE_DIR``."""
    env = os.environ.get("DSSYNC_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def _slot(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


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
        if self.root is None:
            return None
        try:
            return self._path(namespace, key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DssyncError(f"cannot read cache entry: {exc.strerror}", path=exc.filename,
                              hint="check permissions or pass --no-cache") from None

    def write(self, namespace: str, key: str, data: bytes, *, durable: bool = True) -> None:
        """Store ``data``; ``durable=False`` skips the sync to disk (for entries that can be
        derived again: a history walk writes a hundred of them, and each sync took longer than
        the parse it saves)."""
        if self.root is None:
            return
        target = self._path(namespace, key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            import tempfile  # only when writing: tempfile pulls in random and shutil

            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    if durable:
                        os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise DssyncError(f"cannot write cache entry: {exc.strerror}", path=exc.filename,
                              hint="check permissions, pass --cache-dir DIR or --no-cache") from None

    def read_json(self, namespace: str, key: str) -> Any | None:
        data = self.read(namespace, key)
        if data is None:
            return None
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            return None  # a damaged entry is a miss; the next write replaces it

    def write_json(self, namespace: str, key: str, value: Any, *, durable: bool = True) -> None:
        self.write(namespace, key, json.dumps(value, sort_keys=True).encode("utf-8"),
                   durable=durable)
