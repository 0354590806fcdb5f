"""Compare the libcst extractor with the ast oracle on real DeepSpeed releases.

Not a test (it reads the real package index): a check to run by hand when the extractor
changes. It reads each chosen release's sdist through dssync's own package-index source
(verified against the index's sha256, kept in the cache), takes every constants or
configuration module in it (``*/constants.py``, ``*config*.py``), extracts each with both
extractors and compares the tables as tests/test_oracle.py does.

    python tests/oracle_releases.py [--cache DIR] [--every N] [--jobs N]

Prints one line per release and the totals; exit status 1 if any table disagrees.
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tool")]

from ast_oracle import extract_table as oracle_table  # noqa: E402
from dssync._extract.extract import extract_table  # noqa: E402
from dssync._source.interface import SourceContext  # noqa: E402
from dssync._source.package_index import PackageIndexSource  # noqa: E402
from dssync.cache import Cache  # noqa: E402
from dssync.errors import DssyncError  # noqa: E402
from dssync.versions import sort_tags_newest_first  # noqa: E402


REFUSED: list[str] = []
"""Files both extractors refused (not Python 3 at all, e.g. from a Python 2 era release)."""


def differences(data: bytes, path: str) -> list[str]:
    """How the two extractors' tables of ``data`` differ (empty when they agree)."""
    try:
        old = oracle_table(data, path)
    except DssyncError as exc:
        old = exc
    try:
        new = extract_table(data, path)
    except DssyncError as exc:
        new = exc
    if isinstance(old, Exception) or isinstance(new, Exception):
        if isinstance(old, Exception) and isinstance(new, Exception):
            REFUSED.append(f"{path}: {new}")
            return []
        return [f"one refused the file: ast {old!s:.80}, libcst {new!s:.80}"]
    out = []
    if list(new.constants) != list(old.constants):
        out.append(f"names differ: {sorted(set(new.constants) ^ set(old.constants))[:5]}")
    for name, const in new.constants.items():
        before = old.constants.get(name)
        if before is None:
            continue
        if [replace(b, comment="") for b in const.bindings] != list(before.bindings):
            out.append(f"{name}: bindings {const.bindings[-1]} != {before.bindings[-1]}")
        elif [repr(b.literal) for b in const.bindings] != [repr(b.literal) for b in before.bindings]:
            out.append(f"{name}: literal")
        if const.augments != before.augments or const.references != before.references:
            out.append(f"{name}: augments or references")
    if repr(new.resolved) != repr(old.resolved):
        out.append("resolved values differ")
    return out


def members(archive: bytes, filename: str) -> dict[str, bytes]:
    """The constants and configuration modules of an sdist."""
    def wanted(name: str) -> bool:
        base = name.rsplit("/", 1)[-1]
        return "/deepspeed/" in f"/{name}" and base.endswith(".py") and (
            base == "constants.py" or "config" in base)

    found = {}
    if filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            for info in z.infolist():
                if wanted(info.filename):
                    found[info.filename.split("/", 1)[1]] = z.read(info)
        return found
    with tarfile.open(fileobj=io.BytesIO(archive)) as t:
        for info in t.getmembers():
            if info.isfile() and wanted(info.name):
                found[info.name.split("/", 1)[1]] = t.extractfile(info).read()  # type: ignore[union-attr]
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "dssync-oracle")
    p.add_argument("--every", type=int, default=4, help="every Nth release (default 4)")
    args = p.parse_args(argv)
    cache = Cache(args.cache)
    source = PackageIndexSource("deepspeed", SourceContext(cache=cache))
    tags = list(reversed(sort_tags_newest_first(source.list_tags())))
    chosen = tags[::args.every] + ([tags[-1]] if tags[-1] not in tags[::args.every] else [])
    files = constants = 0
    disagreements: list[str] = []
    for tag in chosen:
        try:
            got = source.fetch(tag, ["deepspeed/__init__.py"])["deepspeed/__init__.py"]
        except DssyncError as exc:
            print(f"{tag}: skipped ({exc})", flush=True)
            continue
        origin = got.origin
        archive = cache.read("archives", origin.archive_sha256 or "")
        if archive is None:
            print(f"{tag}: archive not in the cache", flush=True)
            continue
        found = members(archive, origin.archive or "")
        count = 0
        for path, data in sorted(found.items()):
            problems = differences(data, f"{path}@{tag}")
            try:
                count += len(extract_table(data, path))
            except DssyncError:
                pass
            disagreements += [f"{path}@{tag}: {d}" for d in problems]
        files += len(found)
        constants += count
        print(f"{tag}: {len(found)} files, {count} constants, "
              f"{len(disagreements)} disagreements so far", flush=True)
    print(f"\n{len(chosen)} releases ({chosen[0]} to {chosen[-1]}), {files} files, "
          f"{constants} constants, {len(disagreements)} disagreements, "
          f"{len(REFUSED)} files both refused")
    for r in REFUSED:
        print("  refused by both: " + r)
    for d in disagreements:
        print("  " + d)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
