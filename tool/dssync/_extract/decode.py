"""Turn a module's bytes into text the way Python itself would, remembering how it was stored."""

from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass

from dssync.errors import DssyncError


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str
    """The codec Python would use: a PEP 263 cookie, ``utf-8-sig`` for a BOM, else ``utf-8``."""
    bom: bool
    newline: str
    """The first line ending found (``\\n`` when there is none), used when writing new lines."""


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_source(data: bytes, path: str) -> SourceText:
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
    except SyntaxError as exc:
        raise DssyncError(
            f"bad source encoding declaration: {exc.msg if hasattr(exc, 'msg') else exc}",
            path=path,
            hint="fix the '# -*- coding: ... -*-' line (PEP 263)",
        ) from None
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
