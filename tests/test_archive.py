from __future__ import annotations

import gzip
import io
import stat
import tarfile
import tracemalloc
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dssync._source.archive import archive_format, read_members, safe_name
from dssync.errors import UpstreamError

MODULE = b"ALPHA = 1\nBETA = ALPHA + 1\n"


def tar_bytes(entries: list[tarfile.TarInfo | tuple[str, bytes]], compression: str = "gz"
              ) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compression}" if compression else "w") as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                name, content = entry
                info = tarfile.TarInfo(name)
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


@pytest.mark.parametrize("compression,suffix", [("gz", ".tar.gz"), ("bz2", ".tar.bz2"),
                                                ("xz", ".tar.xz"), ("", ".tar")])
def test_reads_tar_members_in_memory(compression, suffix):
    data = tar_bytes([("pkg-1.0/pkg/constants.py", MODULE), ("pkg-1.0/LICENSE", b"MIT\n")],
                     compression)
    got = read_members(data, f"pkg-1.0{suffix}", ["pkg-1.0/pkg/constants.py", "pkg-1.0/LICENSE"])
    assert got == {"pkg-1.0/pkg/constants.py": MODULE, "pkg-1.0/LICENSE": b"MIT\n"}


def test_strip_components_matches_below_any_top_level_directory():
    data = tar_bytes([("Pkg-1.0/pkg/constants.py", MODULE), ("Pkg-1.0/LICENSE", b"MIT\n")])
    got = read_members(data, "pkg-1.0.tar.gz", ["pkg/constants.py", "LICENSE", "absent.py"],
                       strip_components=1)
    assert got == {"pkg/constants.py": MODULE, "LICENSE": b"MIT\n"}


def test_same_path_under_two_top_level_directories_is_ambiguous():
    data = tar_bytes([("a-1.0/x.py", b"A = 1\n"), ("b-1.0/x.py", b"A = 2\n")])
    with pytest.raises(UpstreamError, match="more than one top-level"):
        read_members(data, "a-1.0.tar.gz", ["x.py"], strip_components=1)


def test_leading_dot_slash_is_canonicalized():
    data = tar_bytes([("./pkg-1.0/x.py", MODULE)])
    assert read_members(data, "p.tar.gz", ["pkg-1.0/x.py"]) == {"pkg-1.0/x.py": MODULE}


def test_reads_zip_members():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg-1.0/pkg/constants.py", MODULE)
    got = read_members(buffer.getvalue(), "pkg-1.0.zip", ["pkg/constants.py"], strip_components=1)
    assert got == {"pkg/constants.py": MODULE}


@pytest.mark.parametrize("evil", ["../pkg/constants.py", "pkg-1.0/../pkg/constants.py",
                                  "/pkg/constants.py", "pkg-1.0/./../../pkg/constants.py"])
def test_traversal_names_are_never_matched(evil):
    data = tar_bytes([(evil, b"EVIL = 1\n")])
    assert read_members(data, "p.tar.gz", ["pkg/constants.py"], strip_components=1) == {}
    assert read_members(data, "p.tar.gz", ["pkg/constants.py"]) == {}
    # Asking for the traversal name itself does not match it either.
    assert read_members(data, "p.tar.gz", [evil]) == {}


def test_traversal_zip_names_are_never_matched():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pkg-1.0/../../etc/constants.py", b"EVIL = 1\n")
    data = buffer.getvalue()
    assert read_members(data, "p.zip", ["etc/constants.py"]) == {}
    assert read_members(data, "p.zip", ["pkg-1.0/../../etc/constants.py"]) == {}


@pytest.mark.parametrize("kind,what", [(tarfile.SYMTYPE, "link"), (tarfile.LNKTYPE, "link"),
                                       (tarfile.CHRTYPE, "device"), (tarfile.FIFOTYPE, "device"),
                                       (tarfile.DIRTYPE, "directory")])
def test_wanted_member_that_is_not_a_regular_file_is_refused(kind, what):
    data = tar_bytes([("pkg-1.0/secret", b"S = 1\n"),
                      special("pkg-1.0/pkg/constants.py", kind, "pkg-1.0/secret")])
    with pytest.raises(UpstreamError, match=what) as caught:
        read_members(data, "pkg-1.0.tar.gz", ["pkg/constants.py"], strip_components=1)
    assert "\n" not in str(caught.value)


def test_symlink_elsewhere_in_the_archive_is_ignored():
    data = tar_bytes([special("pkg-1.0/link", tarfile.SYMTYPE, "/etc/passwd"),
                      ("pkg-1.0/x.py", MODULE)])
    assert read_members(data, "p.tar.gz", ["x.py"], strip_components=1) == {"x.py": MODULE}


def test_zip_symlink_member_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("pkg-1.0/pkg/constants.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(UpstreamError, match="link"):
        read_members(buffer.getvalue(), "p.zip", ["pkg/constants.py"], strip_components=1)


def test_declared_member_size_over_the_bound_is_refused():
    data = tar_bytes([("pkg-1.0/x.py", b"#" * 5000)])
    with pytest.raises(UpstreamError, match="limit for one file"):
        read_members(data, "p.tar.gz", ["pkg-1.0/x.py"], max_member_bytes=4096)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg-1.0/x.py", b"#" * 5000)
    with pytest.raises(UpstreamError, match="limit for one file"):
        read_members(buffer.getvalue(), "p.zip", ["pkg-1.0/x.py"], max_member_bytes=4096)


def test_decompression_bomb_is_refused_without_inflating_it():
    # 64 MiB of zeros ahead of the wanted file compresses to about 64 KiB: a 1000x ratio.
    bomb_size = 64 * 2**20
    info = tarfile.TarInfo("pkg-1.0/padding.bin")
    info.size = bomb_size
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as gz:
        gz.write(info.tobuf())
        zeros = bytes(2**20)
        for _ in range(bomb_size // len(zeros)):
            gz.write(zeros)
        tail = tar_bytes([("pkg-1.0/x.py", MODULE)], "")
        gz.write(tail)
    data = buffer.getvalue()
    assert len(data) < bomb_size // 500

    tracemalloc.start()
    try:
        with pytest.raises(UpstreamError, match="decompression bomb"):
            read_members(data, "pkg-1.0.tar.gz", ["x.py"], strip_components=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # neither the bomb nor the allowed output was held in memory


def test_bomb_bound_counts_actual_output_not_headers():
    # Every header is honest and every member small; only the total output is absurd.
    entries = [(f"pkg-1.0/f{i}.bin", bytes(64 * 2**10)) for i in range(40)]
    data = tar_bytes(entries + [("pkg-1.0/x.py", MODULE)])
    with pytest.raises(UpstreamError, match="decompression bomb"):
        read_members(data, "p.tar.gz", ["x.py"], strip_components=1, max_total_ratio=50)
    # The same archive is fine with a generous ratio.
    assert read_members(data, "p.tar.gz", ["x.py"], strip_components=1,
                        max_total_ratio=10_000) == {"x.py": MODULE}


@pytest.mark.parametrize("filename", ["p.tar.gz", "p.tar.bz2", "p.tar.xz", "p.tar", "p.zip"])
def test_corrupt_archive_is_an_upstream_error(filename):
    with pytest.raises(UpstreamError, match="corrupt") as caught:
        read_members(b"this is not an archive at all" * 40, filename, ["x.py"])
    assert "\n" not in str(caught.value)


def test_truncated_archive_is_an_upstream_error():
    data = tar_bytes([("pkg-1.0/a.bin", bytes(range(256)) * 400), ("pkg-1.0/x.py", MODULE)])
    with pytest.raises(UpstreamError, match="corrupt or truncated"):
        read_members(data[: len(data) // 2], "p.tar.gz", ["x.py"], strip_components=1)


def test_unsupported_format():
    with pytest.raises(UpstreamError, match="unsupported archive format"):
        read_members(b"", "pkg-1.0-py3-none-any.whl", ["x.py"])
    assert archive_format("A.TAR.GZ") == ("tar", "gz")


@pytest.mark.parametrize("name,expected", [
    ("a/b.py", "a/b.py"), ("./a//b.py", "a/b.py"), ("a/../b.py", None), ("/a", None),
    ("C:/a", None), ("a\\..\\b", None), ("", None), (".", None), ("a/\x00", None)])
def test_safe_name(name, expected):
    assert safe_name(name) == expected


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".tar.gz", ".tar", ".zip",
                                                             ".tar.bz2", ".tar.xz"]))
def test_arbitrary_bytes_only_ever_raise_upstream_error(data, suffix):
    try:
        read_members(data, f"p{suffix}", ["x.py"])
    except UpstreamError:
        pass


def _extended_header(kind: bytes, payload: bytes) -> bytes:
    """A raw tar header block of type ``kind`` announcing ``payload``, then the payload."""
    info = tarfile.TarInfo("././@LongLink" if kind in (b"L", b"K") else "././@PaxHeader")
    info.type = kind
    info.size = len(payload)
    padding = (-len(payload)) % tarfile.BLOCKSIZE
    return info.tobuf(tarfile.GNU_FORMAT) + payload + bytes(padding)


@pytest.mark.parametrize("kind", [b"L", b"K", b"x", b"g"])
def test_a_tar_header_larger_than_the_bound_is_refused_before_it_is_read(kind):
    """A GNU long name of 1.5 GiB was read whole (3.28 GB of memory, 38 s): headers are now
    refused by their declared size, before tarfile reads them (issue 15, finding 4)."""
    from dssync._source.archive import MAX_HEADER_BYTES

    payload = b"a" * (MAX_HEADER_BYTES + 1)
    raw = _extended_header(kind, payload) + tar_bytes([("pkg-1.0/x.py", MODULE)], "")
    data = gzip.compress(raw, mtime=0)
    tracemalloc.start()
    try:
        with pytest.raises(UpstreamError, match="header of 1048577 bytes") as caught:
            read_members(data, "pkg-1.0.tar.gz", ["x.py"], strip_components=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MAX_HEADER_BYTES // 2, peak  # refused by its size, never read
    assert "\n" not in str(caught.value)


def test_real_sized_long_names_and_pax_headers_are_read():
    long_name = "pkg-1.0/" + "d" * 300 + "/x.py"
    buffer = io.BytesIO()
    for fmt in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz", format=fmt) as tar:
            info = tarfile.TarInfo(long_name)
            info.size = len(MODULE)
            info.pax_headers = {"comment": "c" * 10_000} if fmt == tarfile.PAX_FORMAT else {}
            tar.addfile(info, io.BytesIO(MODULE))
        got = read_members(buffer.getvalue(), "pkg-1.0.tar.gz", [long_name[8:]],
                           strip_components=1)
        assert got == {long_name[8:]: MODULE}
