"""Keep how a file is stored: its encoding, byte order mark, line endings, trailing newline.

libcst reproduces the vendored text it parsed byte for byte; what comes from upstream is first
given the vendored file's line endings, so the merged text has one style throughout.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize

from dssync.errors import DssyncError

_ANY_NEWLINE = re.compile(r"\r\n|\r|\n")


def with_newlines(text: str, newline: str) -> str:
    return _ANY_NEWLINE.sub(newline, text)


def ends_with_newline(text: str) -> bool:
    return text.endswith(("\n", "\r"))


def with_trailing_newline(text: str, wanted: bool, newline: str) -> str:
    if wanted and text and not ends_with_newline(text):
        return text + newline
    if not wanted:
        return text.rstrip("\r\n") if text.strip("\r\n") else text
    return text


def encode_source(text: str, bom: bool, path: str) -> bytes:
    """The bytes Python will read back as ``text``: in the codec its own PEP 263 declaration
    names (UTF-8 without one), with a byte order mark if the file had one."""
    probe = text.encode("utf-8", "surrogateescape")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(probe).readline)
    except SyntaxError as exc:
        raise DssyncError(f"the merged file declares an unusable encoding: {exc}", path=path,
                          hint="fix its '# -*- coding: ... -*-' line") from None
    name = codecs.lookup(encoding).name
    try:
        data = text.encode("utf-8" if name in ("utf-8", "utf-8-sig") else encoding)
    except UnicodeEncodeError as exc:
        raise DssyncError(
            f"upstream text cannot be stored in this file's encoding {encoding} "
            f"({text[exc.start:exc.end]!r})", path=path,
            hint="convert the vendored file to UTF-8, or exclude the constant") from None
    if bom and name in ("utf-8", "utf-8-sig"):
        data = codecs.BOM_UTF8 + data
    return data
