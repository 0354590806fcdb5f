"""Which files of a project are consuming code, and scanning them all for uses."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from dssync._history.impact import Use, scan_source
from dssync._history.modules import ModuleTarget, package_of

SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "vendored"})
"""Never consuming code: caches, installed packages, and (by default) vendored copies."""


def _is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def iter_python_files(paths: Sequence[Path], *, skip_dirs: Iterable[str] = SKIPPED_DIRS,
                      skip_files: Iterable[Path] = ()) -> Iterator[Path]:
    """``.py`` files under ``paths``, in a stable order, without hidden directories,
    virtualenvs or ``skip_dirs``; a file named explicitly is always included."""
    skip_dirs = frozenset(skip_dirs)
    skip = {p.resolve() for p in skip_files}
    seen: set[Path] = set()
    for start in paths:
        if start.is_file():
            if start.resolve() not in seen:
                seen.add(start.resolve())
                yield start
            continue
        for dirpath, dirnames, filenames in os.walk(start):
            here = Path(dirpath)
            dirnames[:] = sorted(
                d for d in dirnames
                if not d.startswith(".") and d not in skip_dirs and not _is_virtualenv(here / d)
            )
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                path = here / name
                real = path.resolve()
                if real in skip or real in seen:
                    continue
                seen.add(real)
                yield path


@dataclass
class Scan:
    uses: list[Use] = field(default_factory=list)
    files: int = 0
    """Files scanned."""
    skipped: list[str] = field(default_factory=list)
    """Files that could not be read or parsed, with the reason."""


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def scan_paths(paths: Sequence[Path], root: Path, targets: Sequence[ModuleTarget],
               wanted: Mapping[str, set[str]], *, skip_dirs: Iterable[str] = SKIPPED_DIRS,
               skip_files: Iterable[Path] = ()) -> Scan:
    """Every use of ``wanted`` constants in the Python files under ``paths``.

    File names in the result, and the packages relative imports resolve against, are relative
    to ``root``.
    """
    from dssync._extract.decode import decode_source
    from dssync._extract.guard import refuse_unparsable
    from dssync.errors import DssyncError

    import libcst as cst

    # A file that mentions none of the modules' last components cannot import them.
    needles = {name.rsplit(".", 1)[-1] for t in targets for name in t.names if name}
    scan = Scan()
    for path in iter_python_files(paths, skip_dirs=skip_dirs, skip_files=skip_files):
        shown = _display(path, root)
        scan.files += 1
        try:
            data = path.read_bytes()
        except OSError as exc:
            scan.skipped.append(f"{shown}: cannot read: {exc.strerror}")
            continue
        if not any(n.encode("utf-8") in data for n in needles):
            continue
        try:
            text = decode_source(data, shown).text
            refuse_unparsable(text, shown)
        except DssyncError as exc:
            scan.skipped.append(str(exc))
            continue
        try:
            scan.uses += scan_source(text, shown, package_of(shown), targets, wanted)
        except cst.ParserSyntaxError as exc:
            scan.skipped.append(f"{shown}:{exc.raw_line}: libcst cannot parse it: {exc.message}")
        except (RecursionError, MemoryError):
            scan.skipped.append(f"{shown}: too deeply nested to parse")
    return scan
