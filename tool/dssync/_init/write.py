"""The configuration ``init`` writes: one ``[[upstreams]]`` entry per adopted project.

A whole vendored package becomes a tree mapping (``include = ["**/*.py"]``); loose modules of a
bigger project (DeepSpeed's constants modules without the package's ``__init__.py``) become one
``files`` entry each, so that nothing else of that project is watched. Into ``pyproject.toml``
the ``[tool.dssync]`` table is inserted with tomlkit, which keeps every other byte of the file
as it was (its line ends too); a ``dssync.toml`` holds the same keys at its top level. What
``--force`` replaces in the other file is removed (``replaced``), so that one configuration
remains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from dssync.config import (DEFAULT_LOCK, DSSYNC_TOML, PYPROJECT, configuration_in,
                           configurations_in)
from dssync.errors import ConfigError

if TYPE_CHECKING:
    from dssync._init.adopt import Adopted

TAG_FORMAT = "v{version}"
_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def upstream_names(adopted: Sequence[Adopted]) -> list[str]:
    """A unique ``name`` per upstream: the project's name, numbered when it recurs."""
    names: list[str] = []
    for item in adopted:
        base = _NAME_RE.sub("-", item.package) or "upstream"
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}-{n}"
        names.append(name)
    return names


def settings(adopted: Sequence[Adopted], *, lock: str, reports: str) -> dict[str, Any]:
    """The ``[tool.dssync]`` table as plain data (what the TOML says, in order)."""
    upstreams = []
    for name, item in zip(upstream_names(adopted), adopted):
        entry: dict[str, Any] = {"name": name, "package": item.package,
                                 "tag-format": TAG_FORMAT, "sources": ["pypi"]}
        if item.upstream_dir is not None:
            tree: dict[str, Any] = {"vendored": item.candidate.directory,
                                    "upstream": item.upstream_dir, "include": item.include}
            if item.exclude:
                tree["exclude"] = item.exclude
            entry["trees"] = [tree]
        else:
            entry["files"] = [{"vendored": vendored, "upstream": got.origin.path}
                              for vendored, got in sorted(item.files.items())]
        upstreams.append(entry)
    return {"lock": lock, "reports": reports, "upstreams": upstreams}


def render(data: dict[str, Any], adopted: Sequence[Adopted], *, pyproject: bool) -> str:
    """The TOML text of ``data``: a ``[tool.dssync]`` table, or a dssync.toml's top level."""
    import tomlkit

    table = _table(data, adopted)
    if pyproject:
        doc = tomlkit.document()
        tool = tomlkit.table(is_super_table=True)
        tool.add("dssync", table)
        doc.add("tool", tool)
        return tomlkit.dumps(doc)
    doc = tomlkit.document()
    for key, value in table.items():
        doc.add(key, value)
    return tomlkit.dumps(doc)


def _table(data: dict[str, Any], adopted: Sequence[Adopted]) -> Any:
    import tomlkit

    table = tomlkit.table()
    table.add("lock", data["lock"])
    table.add("reports", data["reports"])
    upstreams = tomlkit.aot()
    for entry, item in zip(data["upstreams"], adopted):
        t = tomlkit.table()
        t.add(tomlkit.comment(_found(item)))
        for key in ("name", "package", "tag-format", "sources"):
            t.add(key, entry[key])
        for kind in ("trees", "files"):
            if kind in entry:
                aot = tomlkit.aot()
                for mapping in entry[kind]:
                    aot.append(tomlkit.item({key: _array(value) if isinstance(value, list)
                                             else value for key, value in mapping.items()}))
                t.add(kind, aot)
        upstreams.append(t)
    table.add("upstreams", upstreams)
    return table


def _array(values: list[str]) -> Any:
    """A TOML array, one item per line when there are more than a few (a tree's globs)."""
    import tomlkit

    array = tomlkit.array()
    array.extend(values)
    return array.multiline(len(values) > 3)


def _found(item: Adopted) -> str:
    how = "exactly" if item.exact else f"closest, distance {item.distance}"
    return f"dssync init: {item.candidate.directory} matches {item.package} {item.version} ({how})"


def target(config: str | None, cwd: Path) -> Path:
    """Where to write: ``--config PATH``; else (in ``cwd``, or the directory ``--config``
    names) the file that configures dssync already, pyproject.toml when there is one, or
    dssync.toml."""
    root = cwd
    if config:
        root = Path(config)
        if not root.is_dir():
            return root
    existing = configuration_in(root)
    if existing is not None:
        return existing
    return root / PYPROJECT if (root / PYPROJECT).is_file() else root / DSSYNC_TOML


@dataclass
class Replaced:
    """What configured dssync in the directory before (to refuse, or, forced, to replace)."""

    configs: list[Path] = field(default_factory=list)
    """Every configuration there: a dssync.toml, a pyproject.toml with ``[tool.dssync]``."""
    locks: list[Path] = field(default_factory=list)
    """The lock files they name, that are there."""

    def stale(self, path: Path, lock: Path) -> tuple[list[Path], list[Path]]:
        """The configurations and locks left over once ``path`` and ``lock`` are written:
        removed, so that one configuration, and one lock, remain."""
        return ([c for c in self.configs if c != path],
                [old for old in self.locks if old.resolve() != lock.resolve()])


def replaced(root: Path) -> Replaced:
    """What configures dssync in ``root`` now, and the lock each configuration names."""
    found = Replaced(configurations_in(root))
    for path in found.configs:
        lock = _lock_named(path)
        if lock is not None and lock not in found.locks:
            found.locks.append(lock)
    return found


def _table_of(path: Path) -> dict[str, Any] | None:
    """The dssync settings of a configuration file, or None where it cannot be read."""
    import tomlkit

    try:
        doc = tomlkit.parse(path.read_bytes().decode("utf-8-sig")).unwrap()
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.TOMLKitError):
        return None
    if path.name == PYPROJECT:
        tool = doc.get("tool")
        table = tool.get("dssync") if isinstance(tool, dict) else None
        return table if isinstance(table, dict) else None
    return doc


def _lock_named(path: Path) -> Path | None:
    """The lock file ``path`` names, when it is a file inside the project (a lock named
    outside it, or not there, is not dssync's to remove)."""
    table = _table_of(path)
    name = table.get("lock", DEFAULT_LOCK) if table is not None else DEFAULT_LOCK
    if not isinstance(name, str) or not name:
        return None
    root = path.parent
    lock = root / name
    try:
        lock.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return lock if lock.is_file() else None


def merged_text(path: Path, data: dict[str, Any], adopted: Sequence[Adopted]) -> str:
    """The new text of ``path``: for pyproject.toml, the file as it is with ``[tool.dssync]``
    added (or replaced where it is); otherwise the whole dssync.toml."""
    if path.name != PYPROJECT:
        return render(data, adopted, pyproject=False)
    import tomlkit

    text = _read(path, "to add [tool.dssync]") if path.exists() else ""
    doc = _parse(path, text)
    tool = doc.get("tool")
    if tool is None:
        if text and not text.endswith("\n"):
            doc.add(tomlkit.nl())
        tool = tomlkit.table(is_super_table=True)
        doc.add("tool", tool)
    if "dssync" in tool:
        tool["dssync"] = _table(data, adopted)  # where it was: tomlkit keeps its place
    else:
        tool.add("dssync", _table(data, adopted))
    return _as_written(text, doc)


def without_dssync(path: Path) -> str:
    """The text of pyproject.toml ``path`` without its ``[tool.dssync]`` table, every other
    byte as it was (a ``[tool]`` left empty goes too)."""
    text = _read(path, "to remove [tool.dssync]")
    doc = _parse(path, text)
    tool = doc.get("tool")
    if tool is None or "dssync" not in tool:
        return text
    del tool["dssync"]
    if not tool:
        del doc["tool"]
    out = _as_written(text, doc)
    # The blank line that set a last table apart from what came before it goes with it.
    return out.rstrip("\r\n") + text[len(text.rstrip("\r\n")):] if out.strip() else ""


def _read(path: Path, why: str) -> str:
    # Bytes, not text mode: universal newlines would turn a CRLF file's line ends into LF.
    from dssync._init import _shown

    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ConfigError(f"cannot read it {why}: {reason}", path=_shown(path),
                          hint="check that it is a readable UTF-8 file") from None


def _parse(path: Path, text: str) -> Any:
    import tomlkit

    from dssync._init import _shown

    try:
        return tomlkit.parse(text.removeprefix(_BOM))
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"is not valid TOML: {exc}", path=_shown(path),
                          hint="fix it first, or write dssync.toml with --config") from None


_BOM = "\ufeff"


def _as_written(original: str, doc: Any) -> str:
    """The text of ``doc`` as ``original`` was written: its byte order mark, and its CRLF line
    ends where it has them throughout (what tomlkit adds ends its lines with LF)."""
    text = doc.as_string()
    if "\r\n" in original and original.count("\n") == original.count("\r\n"):
        text = re.sub(r"(?<!\r)\n", "\r\n", text)
    return _BOM + text if original.startswith(_BOM) else text
