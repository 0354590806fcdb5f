"""Reading local modules into constant tables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dssync.errors import DssyncError
from dssync.models import ConstantTable

if TYPE_CHECKING:
    from dssync._extract.table_json import Memo
    from dssync.cache import Cache


def read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DssyncError("no such file", path=path, hint="check the path") from None
    except IsADirectoryError:
        raise DssyncError("is a directory, not a Python file", path=path) from None
    except PermissionError:
        raise DssyncError("permission denied", path=path, hint="make the file readable") from None
    except OSError as exc:
        raise DssyncError(f"cannot read: {exc.strerror}", path=path) from None


def table_from_bytes(data: bytes, label: str, cache: Cache | None = None,
                     memo: Memo | None = None) -> ConstantTable:
    """The constants of ``data``; with a cache, content parsed before is not parsed again.

    ``memo`` (a ``table_json.Memo``) is shared by the tables of one run: what one file's text
    has in common with another's (the two sides of a diff) is read once."""
    if cache is not None and cache.enabled:
        from dssync._extract.table_json import load_table

        return load_table(data, label, cache, memo)
    from dssync._extract.extract import extract_table

    return extract_table(data, label, memo)  # type: ignore[arg-type]  # a Memo is a ReadMemo


def table_from_file(path: str | Path, cache: Cache | None = None,
                    memo: Memo | None = None) -> ConstantTable:
    return table_from_bytes(read_bytes(path), str(path), cache, memo)


def shared_memo() -> Memo:
    """What the tables of one run share (see ``table_json.Memo``)."""
    from dssync._extract.table_json import Memo

    return Memo()
