"""Which files of a project are consuming code, and scanning them for uses.

Most files of a project cannot use a drifted constant: a file that uses one names it, and
names the module it comes from. So the text is searched first, and only a file that mentions
both is parsed (``impact.scan_source``); what a file's scan found is cached under its content's
hash and what was looked for, so a second run parses nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, Sequence

from dssync._analyses.modules import ModuleTarget, package_of

if TYPE_CHECKING:
    from dssync.cache import Cache

NAMESPACE = "uses"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Use:
    """One place in the project's own code that uses a vendored constant."""

    path: str
    line: int
    column: int
    target: str
    """The constants file (``ModuleTarget.key``)."""
    name: str
    certain: bool
    """False for a name that may come from a star import."""
    how: str
    """``import``, ``name``, ``attribute`` or ``star``."""
    code: str
    """The source line, stripped."""

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
    """The uses found in the project's code, and what could not be read."""

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


def _last_components(names: Iterable[str]) -> set[bytes]:
    return {name.rsplit(".", 1)[-1].encode("utf-8") for name in names if name}


def _question(targets: Sequence[ModuleTarget], wanted: Mapping[str, set[str]]) -> str:
    """A digest of what a scan looks for: its cached answers hold for this question only."""
    asked = [[t.key, list(t.names)] for t in targets], sorted((k, sorted(v)) for k, v in wanted.items())
    return hashlib.sha256(json.dumps(asked).encode("utf-8")).hexdigest()[:32]


def _cached_uses(cache: Cache | None, key: str, shown: str) -> list[Use] | None:
    stored = cache.read_json(NAMESPACE, key) if cache is not None else None
    if not isinstance(stored, list):
        return None
    try:
        return [Use(shown, line, column, target, name, certain, how, code)
                for line, column, target, name, certain, how, code in stored]
    except (TypeError, ValueError):
        return None  # a damaged entry is a miss


def scan_paths(paths: Sequence[Path], root: Path, targets: Sequence[ModuleTarget],
               wanted: Mapping[str, set[str]], *, skip_dirs: Iterable[str] = SKIPPED_DIRS,
               skip_files: Iterable[Path] = (), cache: Cache | None = None) -> Scan:
    """Every use of ``wanted`` constants in the Python files under ``paths``.

    File names in the result, and the packages relative imports resolve against, are relative
    to ``root``. With a ``cache``, a file whose content was scanned for the same constants
    before is not parsed again.
    """
    from dssync.errors import DssyncError

    modules = _last_components(n for t in targets for n in t.names)
    constants = _last_components(n for names in wanted.values() for n in names)
    question = _question(targets, wanted)
    scan = Scan()
    for path in iter_python_files(paths, skip_dirs=skip_dirs, skip_files=skip_files):
        shown = _display(path, root)
        scan.files += 1
        try:
            data = path.read_bytes()
        except OSError as exc:
            scan.skipped.append(f"{shown}: cannot read: {exc.strerror}")
            continue
        # A file that names no drifted constant, or none of the modules, cannot use one.
        if not any(n in data for n in constants) or not any(m in data for m in modules):
            continue
        package = package_of(shown)
        key = (f"v{FORMAT_VERSION}/{hashlib.sha256(data).hexdigest()}/{question}/"
               f"{hashlib.sha256(package.encode()).hexdigest()[:16]}")
        found = _cached_uses(cache, key, shown)
        if found is None:
            try:
                found = _scan(data, shown, package, targets, wanted)
            except DssyncError as exc:
                # Its place as the guard or the parser names it: path, line, column.
                scan.skipped.append(f"{exc.where or shown}: cannot parse it: {exc.message}")
                continue
            if cache is not None:
                cache.write_json(NAMESPACE, key, [[u.line, u.column, u.target, u.name, u.certain,
                                                   u.how, u.code] for u in found], durable=False)
        scan.uses += found
    return scan


def _scan(data: bytes, shown: str, package: str, targets: Sequence[ModuleTarget],
          wanted: Mapping[str, set[str]]) -> list[Use]:
    from dssync._extract.decode import decode_source
    from dssync.errors import DssyncError

    text = decode_source(data, shown).text
    from dssync._analyses.impact import scan_source  # libcst: only for a file to parse

    try:
        return scan_source(text, shown, package, targets, wanted)
    except (RecursionError, MemoryError):
        raise DssyncError("too deeply nested to parse", path=shown) from None
