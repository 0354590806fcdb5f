"""Reading a few regular files out of a release archive held in memory.

Archives come from the network and are untrusted, so nothing is extracted to disk and every read
is bounded: a member's declared size, each member's actual bytes, the size of each tar header,
and the total number of bytes decompressed (a small compressed stream can inflate without limit,
and tar headers are inside the compressed stream, so headers alone cannot be trusted).
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
import io
import stat
from typing import TYPE_CHECKING, Any, BinaryIO, Iterator, Sequence

from dssync.errors import UpstreamError

if TYPE_CHECKING:
    import tarfile

# Decompressed output is allowed to reach at least this much whatever the archive's size, so a
# tiny but legitimate archive (tar pads to 10 KiB records) is never mistaken for a bomb.
_MIN_TOTAL_BOUND = 1 * 2**20

_TAR_COMPRESSION = (
    (".tar.gz", "gz"),
    (".tgz", "gz"),
    (".tar.bz2", "bz2"),
    (".tbz", "bz2"),
    (".tar.xz", "xz"),
    (".txz", "xz"),
    (".tar", ""),
)


MAX_HEADER_BYTES = 2**20
"""The most a tar header may carry beyond its 512-byte block (a GNU long name or link, a pax
record): tarfile reads it whole into memory, and a real one is a few hundred bytes."""

_EXTENDED_HEADERS = {b"L": "GNU long name", b"K": "GNU long link", b"x": "pax",
                     b"g": "pax global", b"X": "Solaris extended"}


class _TooLarge(Exception):
    pass


class _HeaderTooLarge(Exception):
    def __init__(self, kind: str, size: int) -> None:
        super().__init__(kind, size)
        self.kind = kind
        self.size = size


@functools.cache
def _bounded_tarinfo() -> type[tarfile.TarInfo]:
    """A ``TarInfo`` that refuses a header claiming more than ``MAX_HEADER_BYTES`` before
    tarfile reads it (``frombuf`` builds every header, extensions included)."""
    import tarfile

    class BoundedTarInfo(tarfile.TarInfo):
        @classmethod
        def frombuf(cls, buf: bytes, encoding: str, errors: str) -> tarfile.TarInfo:  # type: ignore[override]
            info = super().frombuf(buf, encoding, errors)
            kind = _EXTENDED_HEADERS.get(info.type)
            if kind is not None and info.size > MAX_HEADER_BYTES:
                raise _HeaderTooLarge(kind, info.size)
            return info

    return BoundedTarInfo


class _BoundedReader(io.RawIOBase):
    """A read-only stream that fails once more than ``limit`` bytes have been read through it."""

    def __init__(self, inner: BinaryIO, limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        # Never ask for more than one byte beyond the bound, so a bomb is never buffered whole.
        want = min(len(view), self._limit - self.count + 1)
        data = self._inner.read(want)
        n = len(data)
        view[:n] = data
        self.count += n
        if self.count > self._limit:
            raise _TooLarge()
        return n


def archive_suffix(filename: str) -> str | None:
    """The supported archive extension ``filename`` ends with (``.tar.gz``, ``.zip``...)."""
    lower = filename.lower()
    for suffix in (".zip", *(s for s, _ in _TAR_COMPRESSION)):
        if lower.endswith(suffix):
            return suffix
    return None


def archive_format(filename: str) -> tuple[str, str] | None:
    """``("tar", compression)`` or ``("zip", "")`` for a supported archive name, else None."""
    suffix = archive_suffix(filename)
    if suffix is None:
        return None
    if suffix == ".zip":
        return "zip", ""
    return "tar", dict(_TAR_COMPRESSION)[suffix]


def safe_name(name: str) -> str | None:
    """The member name in canonical ``a/b/c`` form, or None if it could escape its directory."""
    if not name or "\x00" in name or "\\" in name:
        return None
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _strip(name: str, components: int) -> str | None:
    parts = name.split("/")
    if len(parts) <= components:
        return None
    return "/".join(parts[components:])


def read_members(
    data: bytes,
    filename: str,
    members: Sequence[str],
    *,
    max_member_bytes: int = 32 * 2**20,
    max_total_ratio: int = 200,
    strip_components: int = 0,
) -> dict[str, bytes]:
    """The bytes of each wanted member that exists as a regular file; absent members are left out.

    ``members`` are ``/``-separated paths. With ``strip_components=1`` they are matched below the
    archive's top-level directory (whatever it is called), as in sdists. Raises ``UpstreamError``
    for corrupt or unsupported archives, oversized members or output, and wanted members that are
    links, devices or directories.
    """
    fmt = _format_of(filename)
    wanted = {m for m in (safe_name(m) for m in members) if m is not None}
    total_bound = max(len(data) * max_total_ratio, _MIN_TOTAL_BOUND)
    reader = _read_zip if fmt[0] == "zip" else _read_tar
    with _refusals(filename, total_bound, max_total_ratio):
        return reader(data, filename, fmt[1], wanted, max_member_bytes, total_bound,
                      strip_components)


def _format_of(filename: str) -> tuple[str, str]:
    fmt = archive_format(filename)
    if fmt is None:
        raise UpstreamError(f"unsupported archive format: {filename}",
                            hint="expected .tar.gz, .tar.bz2, .tar.xz, .tar or .zip")
    return fmt


@contextmanager
def _refusals(filename: str, total_bound: int, ratio: int) -> Iterator[None]:
    """Every way reading the archive can fail, as one ``UpstreamError`` line."""
    try:
        yield
    except _TooLarge:
        raise UpstreamError(
            f"archive {filename} decompresses to more than {total_bound} bytes "
            f"({ratio}x its size); refusing it as a possible decompression bomb"
        ) from None
    except _HeaderTooLarge as exc:
        raise UpstreamError(
            f"archive {filename} has a {exc.kind} header of {exc.size} bytes, more than the "
            f"{MAX_HEADER_BYTES}-byte limit for a tar header; refusing it") from None
    except UpstreamError:
        raise
    except Exception as exc:  # every decompressor and parser has its own error types
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise UpstreamError(f"archive {filename} is corrupt or truncated: {detail}",
                            hint="retry; if it persists the upstream file is damaged") from None


def list_members(data: bytes, filename: str, *, strip_components: int = 0) -> list[str]:
    """The regular files of the archive, ``/``-separated and sorted (below its top-level
    directory with ``strip_components=1``); unsafe names, links and directories left out.
    Only names are read, so no member is decompressed beyond what walking the archive takes."""
    fmt = _format_of(filename)
    names: set[str] = set()

    def keep(raw: str) -> None:
        name = safe_name(raw)
        key = _strip(name, strip_components) if name and strip_components else name
        if key:
            names.add(key)

    ratio = 200
    total_bound = max(len(data) * ratio, _MIN_TOTAL_BOUND)
    with _refusals(filename, total_bound, ratio):
        if fmt[0] == "zip":
            import zipfile

            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        keep(info.filename)
        else:
            import tarfile

            bounded = _decompressed(data, fmt[1], total_bound)
            with tarfile.open(fileobj=bounded, mode="r|", tarinfo=_bounded_tarinfo()) as tar:
                for member in tar:
                    if member.isreg():
                        keep(member.name)
    return sorted(names)


def _match(raw: str, wanted: set[str], strip_components: int) -> tuple[str, str] | None:
    """``(wanted path, canonical member name)`` if this archive entry is one we want."""
    name = safe_name(raw)
    if name is None:
        return None
    key = _strip(name, strip_components) if strip_components else name
    if key is None or key not in wanted:
        return None
    return key, name


def _record(found: dict[str, tuple[str, bytes]], key: str, name: str, content: bytes,
            filename: str) -> None:
    previous = found.get(key)
    if previous is not None and previous[0] != name:
        raise UpstreamError(f"archive {filename} has {key} under more than one top-level "
                            f"directory ({previous[0]}, {name}); cannot tell which is meant")
    found[key] = (name, content)


def _refuse_kind(filename: str, name: str, kind: str) -> UpstreamError:
    return UpstreamError(f"archive {filename}: {name} is a {kind}, not a regular file; "
                         "refusing to follow it")


def _check_size(filename: str, name: str, size: int, bound: int) -> None:
    if size > bound:
        raise UpstreamError(f"archive {filename}: {name} is {size} bytes, more than the "
                            f"{bound}-byte limit for one file")


def _decompressed(data: bytes, compression: str, total_bound: int) -> _BoundedReader:
    """The tar stream inside ``data``, cut off after ``total_bound`` bytes."""
    raw: BinaryIO = io.BytesIO(data)
    if compression == "gz":
        import gzip

        raw = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    elif compression == "bz2":
        import bz2

        raw = bz2.BZ2File(raw, mode="rb")  # type: ignore[assignment]
    elif compression == "xz":
        import lzma

        raw = lzma.LZMAFile(raw, mode="rb")  # type: ignore[assignment]  # noqa: SIM115
    return _BoundedReader(raw, total_bound)


def _read_tar(data: bytes, filename: str, compression: str, wanted: set[str],
              max_member: int, total_bound: int, strip: int) -> dict[str, bytes]:
    import tarfile

    bounded = _decompressed(data, compression, total_bound)
    found: dict[str, tuple[str, bytes]] = {}
    # Stream mode reads strictly forward through the bounded reader: no seeking back, no index.
    with tarfile.open(fileobj=bounded, mode="r|",
                      tarinfo=_bounded_tarinfo()) as tar:
        for info in tar:
            hit = _match(info.name, wanted, strip)
            if hit is None:
                continue
            key, name = hit
            if info.issym() or info.islnk():
                raise _refuse_kind(filename, name, "link")
            if info.isdir():
                raise _refuse_kind(filename, name, "directory")
            if not info.isreg():
                raise _refuse_kind(filename, name, "device or special file")
            _check_size(filename, name, info.size, max_member)
            handle = tar.extractfile(info)
            assert handle is not None  # regular files always have a handle
            content = handle.read(max_member + 1)
            if len(content) != info.size:
                raise UpstreamError(f"archive {filename}: {name} is truncated "
                                    f"({len(content)} of {info.size} bytes)")
            _record(found, key, name, content, filename)
    return {key: content for key, (_, content) in found.items()}


def _read_zip(data: bytes, filename: str, _compression: str, wanted: set[str],
              max_member: int, total_bound: int, strip: int) -> dict[str, bytes]:
    import zipfile

    found: dict[str, tuple[str, bytes]] = {}
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            hit = _match(info.filename, wanted, strip)
            if hit is None:
                continue
            key, name = hit
            # Only Unix-made zips record a file type, in the high bits; zero means "regular".
            kind = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
            if info.is_dir() or kind == stat.S_IFDIR:
                raise _refuse_kind(filename, name, "directory")
            if kind == stat.S_IFLNK:
                raise _refuse_kind(filename, name, "link")
            if kind not in (0, stat.S_IFREG):
                raise _refuse_kind(filename, name, "device or special file")
            _check_size(filename, name, info.file_size, max_member)
            with archive.open(info) as handle:
                # The declared size is only a claim; bound what is actually inflated.
                content = handle.read(max_member + 1)
            _check_size(filename, name, len(content), max_member)
            total += len(content)
            if total > total_bound:
                raise _TooLarge()
            _record(found, key, name, content, filename)
    return {key: content for key, (_, content) in found.items()}
