"""Turn a module's bytes into text the way Python itself would, remembering how it was stored."""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass

from dssync.errors import DssyncError


@dataclass(frozen=True)
class SourceText:
    """A Python source decoded as Python would, with what writing it back needs."""

    text: str
    encoding: str
    """The codec Python would use: a PEP 263 cookie, ``utf-8-sig`` for a BOM, else ``utf-8``."""
    bom: bool
    newline: str
    """The first line ending found (``\\n`` when there is none), used when writing new lines."""


_LINE_END = re.compile(r"\r\n|\r|\n")
"""Python's own line ends; a form feed or U+2028 does not end a line for its tokenizer."""


def line_starts(text: str) -> list[int]:
    """The offset where each line of ``text`` starts (``[0]`` for one line)."""
    return [0] + [m.end() for m in _LINE_END.finditer(text)]


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _first_lines_error(data: bytes, path: str) -> DssyncError:
    """Why Python would refuse the first two lines: a bad coding cookie, or bytes that are not
    UTF-8 where no cookie says otherwise."""
    for number, line in enumerate(data.splitlines()[:2], start=1):
        match = _COOKIE.match(line)
        if match:
            name = match.group(1).decode("ascii", "replace")
            return DssyncError(f"unknown or unusable source encoding {name!r}", path=path,
                               line=number, hint="declare a codec Python knows (PEP 263)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return DssyncError(
            f"not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}) and no "
            "coding declaration", path=path, line=_line_of_offset(data, exc.start),
            hint="save the file as UTF-8 or declare its encoding (PEP 263)")
    return DssyncError("invalid source encoding declaration", path=path, line=1,
                       hint="fix the '# -*- coding: ... -*-' line (PEP 263)")


MAX_SOURCE_BYTES = 32 * 2**20
"""Larger than any constants module; a 10 MB string literal still fits."""
MAX_TOKENS = 2_000_000
"""Python's parser needs about 500 bytes per token of a module, all at once: a 10 MB line of
``1,1,1,...`` (10 million tokens) would take gigabytes. Real constants modules have a few
thousand tokens; a generated 200,000-line one about 1.4 million, which still fits."""

_WORD = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_CLASSES = bytes(ord("a") if b in _WORD else ord(" ") if b in b" \t\r\n\f\v" else ord(".")
                 for b in range(256))


def token_estimate(data: bytes) -> int:
    """At least the number of tokens Python would see (each run of word characters and each
    other non-space byte counted as one), found at the speed of ``bytes.translate``."""
    classes = data.translate(_CLASSES)
    words = classes.count(b" a") + classes.count(b".a") + classes.startswith(b"a")
    return words + classes.count(b".")


def _check_size(data: bytes, path: str) -> None:
    if len(data) > MAX_SOURCE_BYTES:
        raise DssyncError(f"too large to be a constants module ({len(data)} bytes, the limit is "
                          f"{MAX_SOURCE_BYTES})", path=path,
                          hint="check that this is the right file")
    if len(data) > MAX_TOKENS and token_estimate(data) > MAX_TOKENS:
        raise DssyncError(f"too large to analyse safely (about {token_estimate(data)} tokens, "
                          f"the limit is {MAX_TOKENS})", path=path,
                          hint="dssync reads constants modules; parsing this one would take "
                               "more memory than it is worth")


def decode_source(data: bytes, path: str) -> SourceText:
    _check_size(data, path)
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise DssyncError(
            "binary file (NUL byte), not Python source",
            path=path,
            line=_line_of_offset(data, offset),
            hint="point dssync at a .py file",
        )
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        raise _first_lines_error(data, path) from None
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DssyncError(
            f"not valid {encoding} text (byte {exc.start}: {data[exc.start:exc.start + 1]!r})",
            path=path,
            line=_line_of_offset(data, exc.start),
            hint="save the file as UTF-8 or declare its encoding (PEP 263)",
        ) from None
    except LookupError:
        raise DssyncError(f"unknown source encoding {encoding!r}", path=path,
                          hint="declare a codec Python knows (PEP 263)") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    lf = text.find("\n")
    newline = "\r\n" if lf > 0 and text[lf - 1] == "\r" else "\n"
    return SourceText(text=text, encoding=encoding, bom=bom, newline=newline)
