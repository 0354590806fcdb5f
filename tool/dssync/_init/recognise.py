"""Which vendored projects a directory holds, and what they say about their own release.

``dssync init DIR`` is pointed at a directory the user knows holds vendored code. It can be:

- one vendored package (``_vendor/requests``, with or without ``__init__.py``);
- the directory above a package named like it (``DeepSpeed/deepspeed``): the upstream project's
  root, so that upstream paths are ``deepspeed/...``;
- a directory of vendored projects (``pip/_vendor``, ``third_party``, anything with a
  ``vendor.txt``, or holding only packages): each package, each project directory and each
  top-level module in it is a project of its own.

Hints of the release are read, never imported: ``vendor.txt`` pins (``requests==2.31.0``),
Ansible's ``_BUNDLED_METADATA = {"pypi_name": ..., "version": ...}``, and ``__version__`` /
``VERSION`` constants in the files that usually hold them. A name is only a guess of the
project's name on the package index; finding it there, with files that match, is what confirms
it (``dssync._init.adopt``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NoReturn

from dssync.errors import DssyncError

if TYPE_CHECKING:
    from dssync.models import ConstantTable

CONTAINER_NAMES = frozenset({"_vendor", "vendor", "_vendored", "vendored", "third_party",
                             "thirdparty", "third-party", "extern", "_extern", "externals",
                             "bundled", "_bundled"})
"""Directory names that hold vendored projects rather than being one."""

VERSION_FILES = ("__version__.py", "_version.py", "version.py", "__about__.py", "__init__.py")
"""Where a package keeps its version, in the order they are trusted."""
VERSION_NAMES = ("__version__", "VERSION", "version", "__VERSION__")
SKIPPED_DIRS = frozenset({"__pycache__", ".git", ".hg", ".svn", ".tox", ".venv", "node_modules"})

_PIN_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*"
                     r"([A-Za-z0-9.+!_-]+)")


def canonical(name: str) -> str:
    """PEP 503's normalized form (``Foo_Bar.baz`` -> ``foo-bar-baz``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Hint:
    """A version a vendored copy says it is, and where it says so."""

    version: str
    where: str
    project: str | None = None
    """The project it is about (a ``vendor.txt`` pin's name), or None: whichever is found."""


@dataclass
class Candidate:
    """One vendored project found on disk, not yet confirmed upstream."""

    directory: str
    """What was recognised, from the project root (a package directory, a project directory
    above its package, or a module file)."""
    base: str
    """The vendored directory that stands for the upstream project's root: the package's
    parent, or the project directory itself (``DeepSpeed/`` for ``DeepSpeed/deepspeed``)."""
    package: str
    """The package directory (``requests``) or module (``six.py``) below ``base``."""
    files: list[str]
    """The copy's Python files, relative to ``base`` (``requests/api.py``), sorted."""
    names: list[str]
    """Names to look for on the package index, most likely first."""
    whole_package: bool
    """The package's own ``__init__.py`` (or the whole module) is there: a copy of the whole
    package, mapped as a tree. Otherwise a few loose modules, mapped file by file."""
    hints: list[Hint] = field(default_factory=list)

    @property
    def module(self) -> bool:
        return self.package.endswith(".py")


@dataclass(frozen=True)
class Unrecognised:
    """A directory that holds no vendored project ``init`` can recognise, and why."""

    directory: str
    reason: str


TableReader = Callable[[Path], "ConstantTable | None"]
"""The constants of a local file, or None where it cannot be parsed."""


def recognise(root: Path, directory: Path,
              read_table: TableReader) -> tuple[list[Candidate], list[Unrecognised]]:
    """The vendored projects in ``directory`` (inside ``root``), and what is not one."""
    try:
        return _recognise(root, directory, read_table)
    except OSError as exc:
        raise unreadable(exc) from None


def _recognise(root: Path, directory: Path,
               read_table: TableReader) -> tuple[list[Candidate], list[Unrecognised]]:
    found: list[Candidate] = []
    skipped: list[Unrecognised] = []
    shown = _rel(root, directory)
    if _project_package(directory) is not None or not _is_container(directory):
        candidate = _candidate_at(root, directory)
        if candidate is None:
            skipped.append(Unrecognised(shown, "no Python files in it"))
        else:
            found.append(candidate)
    else:
        pins = _vendor_txt(directory, root)
        used: set[str] = set()
        for child in sorted(directory.iterdir(), key=lambda p: p.name):
            if child.name in SKIPPED_DIRS or child.name.startswith("."):
                continue
            if child.is_file():
                if child.suffix == ".py" and child.name != "__init__.py":
                    found.append(_module(root, child))
                continue
            if not child.is_dir():
                continue
            candidate = _candidate_at(root, child)
            if candidate is None:
                skipped.append(Unrecognised(_rel(root, child), "no Python files in it"))
            else:
                found.append(candidate)
        for candidate in found:
            used.update(_apply_pins(candidate, pins))
        # A pin that names no directory is a project vendored under another name (pip's
        # setuptools==... is its pkg_resources/): a name to try for each unpinned package.
        left = [pin for key, pin in pins.items() if key not in used]
        for candidate in found:
            if not any(h.project for h in candidate.hints):
                candidate.names += [name for name, _ in left]
                candidate.hints += [hint for _, hint in left]
    for candidate in found:
        candidate.hints.extend(_constant_hints(root, candidate, read_table))
        # One look-up per project: the index does not tell DeepSpeed from deepspeed.
        first: dict[str, str] = {}
        for name in candidate.names:
            first.setdefault(canonical(name), name)
        candidate.names = list(first.values())
    return found, skipped


# -- what a directory is -------------------------------------------------------------------------


def _python_files(directory: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(directory, onerror=_raise):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        found += [Path(dirpath, name) for name in filenames if name.endswith(".py")]
    return sorted(path for path in found if path.is_file())


def _raise(exc: OSError) -> NoReturn:
    raise exc  # os.walk would skip the directory it cannot list, and say nothing


def _has_python(directory: Path) -> bool:
    return bool(_python_files(directory))


def unreadable(exc: OSError) -> DssyncError:
    """A directory that cannot be read, as an error: never skipped, because the copy's files in
    it would go unwatched without a word (or into a tree's ``exclude``)."""
    from dssync._init import _shown

    where = _shown(_cause(Path(exc.filename))) if exc.filename else None
    if isinstance(exc, PermissionError):
        return DssyncError("permission denied", path=where, hint="make it readable")
    return DssyncError(f"cannot read it: {exc.strerror or exc}", path=where)


def _cause(path: Path) -> Path:
    """The directory that keeps ``path`` from being read: the outermost one above it that
    cannot be entered (``x/pyvenv.cfg`` is out of reach because ``x`` is), else ``path``."""
    for parent in reversed(path.absolute().parents):
        if not os.access(parent, os.X_OK):
            return parent
    return path


def _project_package(directory: Path) -> Path | None:
    """``DeepSpeed/deepspeed``: a child package named like the directory (PEP 503 names)."""
    for child in directory.iterdir():
        if child.is_dir() and canonical(child.name) == canonical(directory.name) \
                and child.name != directory.name and _has_python(child):
            return child
    return None


def _is_container(directory: Path) -> bool:
    if canonical(directory.name) in {canonical(n) for n in CONTAINER_NAMES}:
        return True
    if (directory / "vendor.txt").is_file():
        return True
    # Only packages below it (and perhaps its own __init__.py): a directory of projects.
    children = list(directory.iterdir())
    own = [p for p in children if p.suffix == ".py" and p.name != "__init__.py"]
    subpackages = [p for p in children if p.is_dir() and p.name not in SKIPPED_DIRS
                   and _has_python(p)]
    return not own and len(subpackages) > 1


def _candidate_at(root: Path, directory: Path) -> Candidate | None:
    package = _project_package(directory)
    if package is not None:
        base = directory
        names = [directory.name, package.name]
    else:
        package, base = directory, directory.parent
        names = [directory.name]
    files = [p.relative_to(base).as_posix() for p in _python_files(package)]
    if not files:
        return None
    return Candidate(directory=_rel(root, directory), base=_rel(root, base), package=package.name,
                     files=files, names=names,
                     whole_package=(package / "__init__.py").is_file())


def _module(root: Path, path: Path) -> Candidate:
    return Candidate(directory=_rel(root, path), base=_rel(root, path.parent), package=path.name,
                     files=[path.name], names=[path.stem], whole_package=True)


def _rel(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return path.as_posix()


# -- hints -------------------------------------------------------------------------------------


def _vendor_txt(directory: Path, root: Path) -> dict[str, tuple[str, Hint]]:
    """``vendor.txt`` pins by canonical name: the name as pinned, and the version."""
    path = directory / "vendor.txt"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    pins: dict[str, tuple[str, Hint]] = {}
    for number, line in enumerate(lines, 1):
        match = _PIN_RE.match(line.split("#", 1)[0])
        if match:
            name, version = match.groups()
            pins[canonical(name)] = (name, Hint(version, f"{_rel(root, path)} line {number}",
                                                name))
    return pins


def _apply_pins(candidate: Candidate, pins: dict[str, tuple[str, Hint]]) -> list[str]:
    """The pin naming the candidate, applied; the keys of the pins used."""
    stem = candidate.package.removesuffix(".py")
    for key in (canonical(stem), canonical(candidate.names[0])):
        if key in pins:
            name, hint = pins[key]
            candidate.names.insert(0, name)
            candidate.hints.append(hint)
            return [key]
    return []


def _constant_hints(root: Path, candidate: Candidate, read_table: TableReader) -> list[Hint]:
    base = root / candidate.base
    if candidate.module:
        places = [candidate.package]
    else:
        places = [f"{candidate.package}/{name}" for name in VERSION_FILES]
    hints: list[Hint] = []
    for place in places:
        if place not in candidate.files:
            continue
        table = read_table(base / place)
        if table is None:
            continue
        shown = f"{candidate.base}/{place}" if candidate.base != "." else place
        bundled = table.resolved.get("_BUNDLED_METADATA")
        if isinstance(bundled, dict):
            name, version = bundled.get("pypi_name"), bundled.get("version")
            if isinstance(name, str) and name:
                candidate.names.insert(0, name)
            if isinstance(version, str) and version:
                hints.append(Hint(version, f"{shown}: _BUNDLED_METADATA",
                                  name if isinstance(name, str) and name else None))
        for name in VERSION_NAMES:
            version = _version_text(table.resolved.get(name))
            if version is not None:
                hints.append(Hint(version, f"{shown}: {name}"))
                break
    return hints


def _version_text(value: object) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"v?\d+(\.\d+)*\S*", value.strip()):
        return value.strip()
    if isinstance(value, tuple) and value and all(isinstance(p, int) for p in value):
        return ".".join(str(p) for p in value)
    return None
