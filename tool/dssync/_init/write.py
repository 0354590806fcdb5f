"""The configuration ``init`` writes: one ``[[upstreams]]`` entry per adopted project.

A whole vendored package becomes a tree mapping (``include = ["**/*.py"]``); loose modules of a
bigger project (DeepSpeed's constants modules without the package's ``__init__.py``) become one
``files`` entry each, so that nothing else of that project is watched. Into ``pyproject.toml``
the ``[tool.dssync]`` table is inserted with tomlkit, which keeps every other byte of the file
as it was; a ``dssync.toml`` holds the same keys at its top level.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from dssync.config import DSSYNC_TOML, PYPROJECT
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


def target(config: str | None, root: Path) -> Path:
    """Where to write: ``--config PATH``, else pyproject.toml when there is one, else
    dssync.toml."""
    if config:
        path = Path(config)
        if path.is_dir():
            path = path / (PYPROJECT if (path / PYPROJECT).is_file() else DSSYNC_TOML)
        return path
    return root / PYPROJECT if (root / PYPROJECT).is_file() else root / DSSYNC_TOML


def existing_configuration(path: Path) -> str | None:
    """What already configures dssync beside or in ``path`` (to refuse overwriting it)."""
    from dssync.config import _config_in

    found = _config_in(path.parent)
    if found is not None:
        return f"{found.name}" + (" has [tool.dssync]" if found.name == PYPROJECT else "")
    return None


def merged_text(path: Path, data: dict[str, Any], adopted: Sequence[Adopted]) -> str:
    """The new text of ``path``: for pyproject.toml, the file as it is with ``[tool.dssync]``
    added (or replaced); otherwise the whole dssync.toml."""
    import tomlkit

    if path.name != PYPROJECT:
        return render(data, adopted, pyproject=False)
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read it to add [tool.dssync]: {exc}", path=path,
                          hint="check that it is a readable UTF-8 file") from None
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"is not valid TOML: {exc}", path=path,
                          hint="fix it first, or write dssync.toml with --config") from None
    tool = doc.get("tool")
    if tool is None:
        if text and not text.endswith("\n"):
            doc.add(tomlkit.nl())
        tool = tomlkit.table(is_super_table=True)
        doc.add("tool", tool)
    if "dssync" in tool:
        del tool["dssync"]
    tool.add("dssync", _table(data, adopted))
    return tomlkit.dumps(doc)
