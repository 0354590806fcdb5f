"""Replace a file's content so that readers, and a crash, see either the old bytes or the new.

The new content goes to a temporary file beside the target, is flushed to disk, and is renamed
over the target; the rename is atomic on POSIX and on Windows (``os.replace``).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path
from typing import Callable

from dssync.errors import DssyncError

_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def write_atomic(
    path: Path,
    data: bytes,
    *,
    mode: int | None = None,
    root: Path | None = None,
    _before_replace: Callable[[Path], None] | None = None,
) -> None:
    """Write ``data`` to ``path`` atomically.

    An existing file keeps its permission bits; ``mode`` applies to a file that does not exist
    yet (default: ``0o666`` less the umask). A symlink is written through: its target file is
    replaced and the link stays. With ``root``, a path that resolves outside ``root`` (itself or
    through any symlink) is refused. Failures raise ``DssyncError``; the original file is then
    untouched and no temporary file remains. ``_before_replace`` is for tests: it is called with
    the temporary file's path after the data is on disk and before the rename.
    """
    shown = Path(path)
    target = _resolve_target(shown, root)
    directory = target.parent
    existing = _stat_existing(target, shown)
    _check_writable(target, shown, directory, existing)

    if existing is not None:
        # Only the permission bits: a setuid/setgid bit must not carry over onto new content.
        perms: int | None = stat.S_IMODE(existing.st_mode) & 0o777
    else:
        perms = mode
    fd, tmp = _create_temp(directory, target.name, shown, 0o600 if perms is not None else 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if perms is not None:
                _chmod(handle.fileno(), tmp, perms)
            if existing is not None:
                _keep_owner(handle.fileno(), existing)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if _before_replace is not None:
            _before_replace(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _os_error(exc, shown, "cannot write") from None
        raise
    _fsync_dir(directory)


def check_writable(path: Path, *, root: Path | None = None, parents: bool = False) -> None:
    """Raise the ``DssyncError`` ``write_atomic(path, ..., root=root)`` would raise for the
    place itself (outside the root, a directory, read-only, in a read-only directory), without
    writing anything: so that a command writing several files can stop before the first.

    With ``parents``, a missing directory is fine if it can be created (``write_lock`` makes
    it): the nearest existing one must then be a writable directory.
    """
    shown = Path(path)
    target = _resolve_target(shown, root)
    existing = _stat_existing(target, shown)
    directory = target.parent
    if parents and existing is None:
        while not directory.exists() and not directory.is_symlink() \
                and directory.parent != directory:
            directory = directory.parent
    _check_writable(target, shown, directory, existing)


def _resolve_target(path: Path, root: Path | None) -> Path:
    absolute = Path(os.path.abspath(path))
    try:
        target = absolute.resolve()
    except (OSError, RuntimeError):  # a symlink loop: RuntimeError before 3.13, OSError after
        raise DssyncError("cannot resolve the path (symlink loop?)", path=path,
                          hint="fix or remove the symlink") from None
    if root is not None:
        root_abs = Path(os.path.abspath(root))
        root_real = root_abs.resolve()
        if not _within(target, root_real):
            if _within(absolute, root_abs):
                raise DssyncError(
                    f"refusing to write: a symlink leads outside the project root {root_abs}"
                    f" (to {target})", path=path,
                    hint="replace the symlink with a regular file, or point it inside the root")
            raise DssyncError(f"refusing to write outside the project root {root_abs}",
                              path=path, hint="use a path inside the project")
    return target


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _stat_existing(target: Path, shown: Path) -> os.stat_result | None:
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _os_error(exc, shown, "cannot inspect") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise DssyncError(f"cannot write: the path is {kind}", path=shown,
                          hint="remove it or choose another path")
    return st


def _read_only(path: Path, st: os.stat_result) -> bool:
    # os.access alone says "writable" to root; a file with no write bit at all was made
    # read-only on purpose, and renaming over it would silently defeat that.
    return not (st.st_mode & _WRITE_BITS) or not os.access(path, os.W_OK)


def _check_writable(target: Path, shown: Path, directory: Path,
                    existing: os.stat_result | None) -> None:
    if existing is not None and _read_only(target, existing):
        raise DssyncError("the file is read-only", path=shown,
                          hint=f"make it writable (chmod u+w {shown}) and run again")
    try:
        dir_st = os.stat(directory)
    except FileNotFoundError:
        raise DssyncError(f"directory {directory} does not exist", path=shown,
                          hint="create it first") from None
    except OSError as exc:
        raise _os_error(exc, shown, "cannot inspect the directory of") from None
    if not stat.S_ISDIR(dir_st.st_mode):
        raise DssyncError(f"{directory} is not a directory", path=shown,
                          hint="fix the path")
    if _read_only(directory, dir_st):
        raise DssyncError(
            f"the directory {directory} is read-only (files are replaced by renaming a new"
            " copy into place)", path=shown,
            hint=f"make the directory writable (chmod u+w {directory}) and run again")


def _create_temp(directory: Path, name: str, shown: Path, create_mode: int) -> tuple[int, Path]:
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_BINARY", 0))
    for _ in range(100):
        tmp = directory / f".{name}.{secrets.token_hex(4)}.dssync-tmp"
        try:
            # O_CREAT applies the umask to create_mode, as for any new file.
            return os.open(tmp, flags, create_mode), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise _os_error(exc, shown, "cannot create a temporary file beside") from None
    raise DssyncError("cannot create a temporary file: too many name collisions",
                      path=shown, hint="remove stale .dssync-tmp files from the directory")


def _chmod(fd: int, tmp: Path, perms: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, perms)
    else:  # Windows
        os.chmod(tmp, perms)


def _keep_owner(fd: int, st: os.stat_result) -> None:
    if not hasattr(os, "fchown") or not hasattr(os, "getuid"):
        return
    if (st.st_uid, st.st_gid) == (os.getuid(), os.getgid()):
        return
    try:
        os.fchown(fd, st.st_uid, st.st_gid)
    except OSError:
        pass  # only a privileged user may give files away; the content matters more


def _fsync_dir(directory: Path) -> None:
    if os.name == "nt":
        return  # directories cannot be opened for fsync there; NTFS journals the rename
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on directories; the rename itself has happened
    finally:
        os.close(fd)


def _os_error(exc: OSError, shown: Path, action: str) -> DssyncError:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.EROFS:
        hint = "the file system is mounted read-only; write somewhere else"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        hint = "check the permissions of the file and its directory"
    elif exc.errno == errno.ENOSPC:
        hint = "free some disk space and run again"
    else:
        hint = None
    return DssyncError(f"{action} the file: {reason}", path=shown, hint=hint)
