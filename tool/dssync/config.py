"""Find, read and strictly validate dssync's configuration.

It lives in ``[tool.dssync]`` of pyproject.toml, or at the top level of a ``dssync.toml`` beside
it. Every mistake is a ``ConfigError`` naming the file and the dotted key, because a typo that
is silently ignored would make the drift audit quietly check less than the user believes.
"""

from __future__ import annotations

import keyword
import os
import posixpath
import re
import sys
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Mapping

from dssync.errors import ConfigError
from dssync.urls import INDEX_SCHEMES, WEB_SCHEMES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
DSSYNC_TOML = "dssync.toml"
DEFAULT_TAG_FORMAT = "v{version}"
DEFAULT_LOCK = "dssync.lock"
DEFAULT_REPORTS = "reports"

_SHARED_KEYS = ("lock", "reports", "github-api-url", "github-raw-url", "index-url",
                "download-timeout")
"""Keys every upstream shares: at the top of ``[tool.dssync]`` in either form."""
_UPSTREAM_KEYS = ("github", "package", "tag-format", "sources", "prereleases", "license",
                  "files", "trees")
"""Keys of one upstream: at the top in the single-upstream form, else in each
``[[tool.dssync.upstreams]]``."""
_TOP_KEYS = (*_SHARED_KEYS, *_UPSTREAM_KEYS, "upstreams")
_FILE_KEYS = ("vendored", "upstream", "pins")
_TREE_KEYS = ("vendored", "upstream", "include", "exclude")
_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")
DEFAULT_INCLUDE = ("**/*.py",)
_LICENSE_KEYS = ("upstream", "vendored")

_GITHUB_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]+")
# PEP 508's name pattern, spelled with both cases: with re.IGNORECASE it would also take a few
# non-ASCII letters that fold to ASCII (the Kelvin sign, a dotless i), and costs 0.8 ms to compile.
_PACKAGE_RE = re.compile(r"[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]")
_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END_RE = re.compile(r"\s*\(at end of document\)$")


class _FrozenDict(dict):
    """A read-only dict: frozen dataclasses stay effectively immutable, yet still copy,
    pickle and convert with ``dataclasses.asdict`` like a plain dict."""

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("configuration mappings are read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]
    __ior__ = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __copy__(self) -> _FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _FrozenDict:
        return self


@dataclass(frozen=True)
class FileEntry:
    """One configured vendored file and the upstream file it copies."""

    vendored: str
    """Relative to the project root, ``/``-separated and normalized."""
    upstream: str
    """Relative to the upstream repository (or package source) root, ``/``-separated."""
    pins: Mapping[str, str]
    """Constants deliberately kept different from upstream, name -> reason."""


@dataclass(frozen=True)
class TreeEntry:
    """A vendored directory mapped to an upstream directory: every file below it that the
    globs take is a configured file, and one appearing or disappearing upstream is reported."""

    vendored: str
    upstream: str
    include: tuple[str, ...] = DEFAULT_INCLUDE
    """Globs (``**`` crosses directories) relative to the two directories."""
    exclude: tuple[str, ...] = ()

    def takes(self, relpath: str) -> bool:
        """Whether the file at ``relpath`` (relative to the tree, ``/``-separated) is in it."""
        from dssync._trees import glob_match

        return (any(glob_match(relpath, g) for g in self.include)
                and not any(glob_match(relpath, g) for g in self.exclude))

    def relative(self, vendored: str) -> str | None:
        """``vendored`` relative to the tree's vendored directory, or None outside it."""
        prefix = self.vendored + "/"
        return vendored[len(prefix):] if vendored.startswith(prefix) else None


@dataclass(frozen=True)
class LicenseEntry:
    """Where upstream's license file is, and where its vendored copy goes."""

    upstream: str
    vendored: str


@dataclass(frozen=True)
class Config:
    """A configuration, validated: one upstream's (where to read it, what is vendored from it),
    or, with ``upstreams``, the whole file's."""

    root: Path
    """The directory holding the configuration file; relative paths start here."""
    path: Path
    github: str | None
    package: str | None
    tag_format: str
    sources: tuple[str, ...]
    """As written (``github``, ``pypi``, ``git:...``, ``github:o/n``, ``pypi:n``); a relative
    ``git:`` path is relative to ``root``."""
    prereleases: bool
    lock: str
    reports: str
    github_api_url: str | None
    github_raw_url: str | None
    index_url: str | None
    license: LicenseEntry | None
    files: tuple[FileEntry, ...]
    download_timeout: float | None = None
    """Seconds one download may take in all; None: dssync's default."""
    name: str = ""
    """The upstream's name: what ``--upstream`` takes and reports group by."""
    trees: tuple[TreeEntry, ...] = ()
    listed: bool = False
    """Whether this is one of ``[[tool.dssync.upstreams]]``."""
    upstreams: tuple[Config, ...] = ()
    """With ``[[tool.dssync.upstreams]]``: one configuration per upstream, each a whole
    single-upstream one (the shared keys, its own files); empty in the single-upstream form."""
    whole: Config | None = field(default=None, compare=False, repr=False)
    """For one upstream chosen by name (``upstream_named``): the configuration of them all, so
    that a file of another upstream is named as such."""

    def views(self) -> tuple[Config, ...]:
        """One configuration per upstream, in the order configured."""
        return self.upstreams or (self,)

    @property
    def several(self) -> bool:
        return len(self.upstreams) > 1

    def upstream_named(self, name: str) -> Config:
        """The configuration of the upstream called ``name``."""
        for view in self.views():
            if view.name == name:
                return replace(view, whole=self) if self.upstreams else view
        names = ", ".join(v.name for v in self.views())
        raise ConfigError(f"no upstream is named '{name}'", path=display_path(self.path),
                          hint=f"configured: {names}")

    def upstream_of(self, path: str | Path) -> Config | None:
        """The upstream whose files (or trees) hold the vendored file ``path``; None if none."""
        for view in self.views():
            if view.owns(path):
                return view
        return None

    def name_of(self, vendored: str) -> str | None:
        """The name of the upstream ``vendored`` (a file or the LICENSE copy) comes from."""
        for view in self.views():
            if view.owns(vendored) or (view.license is not None
                                       and view.license.vendored == vendored):
                return view.name
        return None

    def owns(self, path: str | Path) -> bool:
        """Whether the vendored file ``path`` is one of this upstream's (a file entry, or a
        file under one of its trees that the globs take)."""
        for rel in self._candidates(Path(path)):
            if any(e.vendored == rel for e in self.files):
                return True
            for tree in self.trees:
                inner = tree.relative(rel)
                if inner is not None and tree.takes(inner):
                    return True
        return False

    def source_specs(self) -> list[str]:
        """The sources in order, with bare ``github``/``pypi`` naming the configured project."""
        if not self.sources:
            raise ConfigError("no upstream source is configured", path=display_path(self.path),
                              hint=f"set github = \"owner/name\" or package = \"name\""
                                   f" {self._place()}, or list sources")
        specs = []
        for source in self.sources:
            if source == "github":
                specs.append(f"github:{self.github}")
            elif source == "pypi":
                specs.append(f"pypi:{self.package}")
            else:
                specs.append(source)
        return specs

    def file_for(self, path: str | Path) -> FileEntry:
        """The entry whose vendored file is ``path``: relative to the root, absolute, or (failing
        those) relative to the current directory. A file under a tree that no entry names gets
        one (no pins); with several upstreams, each upstream's files are looked in."""
        for view in self.views():
            found = view._own_entry(path)
            if found is not None:
                return found
        raise self.not_mine(path)

    def not_mine(self, path: str | Path) -> ConfigError:
        """The error for a vendored file ``path`` that none of this configuration's entries or
        trees holds: it names the upstream that does, or the files configured."""
        owner = self.whole.upstream_of(path) if self.whole is not None else None
        if owner is not None:
            return ConfigError(f"{path} belongs to upstream {owner.name}, not {self.name}",
                               path=display_path(self.path),
                               hint=f"drop --upstream, or name {owner.name}")
        configured = ", ".join([f.vendored for v in self.views() for f in v.files]
                               + [t.vendored + "/" for v in self.views() for t in v.trees])
        files = f"{self._table()}.files" if self._table() else "files"
        return ConfigError(f"{path} is not a configured vendored file",
                           path=display_path(self.path),
                           hint=f"add a [[{files}]] entry for it (configured: {configured})")

    def _own_entry(self, path: str | Path) -> FileEntry | None:
        candidates = self._candidates(Path(path))
        for rel in candidates:
            for entry in self.files:
                if entry.vendored == rel:
                    return entry
        for rel in candidates:
            for tree in self.trees:
                inner = tree.relative(rel)
                if inner is not None and tree.takes(inner):
                    return FileEntry(rel, f"{tree.upstream}/{inner}" if tree.upstream else inner,
                                     _FrozenDict())
        return None

    def resolve(self, relpath: str) -> Path:
        return self.root / relpath

    def _table(self) -> str:
        """The dotted key of this upstream's table as its file writes it (empty: the top level
        of dssync.toml)."""
        parts = ["tool", "dssync"] if self.path.name == PYPROJECT else []
        if self.upstreams or self.listed:
            parts.append("upstreams")
        return ".".join(parts)

    def _place(self) -> str:
        """Where this upstream's keys go, in words."""
        table = self._table()
        if not table:
            return f"at the top level of {self.path.name}"
        if self.upstreams or self.listed:
            return f"in its [[{table}]] entry of {self.path.name}"
        return f"in [{table}] of {self.path.name}"

    def _candidates(self, path: Path) -> list[str]:
        found = []
        if not path.is_absolute():
            found.append(posixpath.normpath(path.as_posix()))
            # As typed on the command line from a subdirectory: relative to the current one.
            path = Path.cwd() / path
        for candidate, root in ((Path(os.path.normpath(path)), self.root),
                                (path.resolve(), self.root.resolve())):
            try:
                found.append(candidate.relative_to(root).as_posix())
            except ValueError:
                pass
        return found


def find_config(start: Path) -> Path | None:
    """The configuration file of the nearest directory, from ``start`` up, that has one."""
    here = Path(os.path.abspath(start))
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        found = configuration_in(directory)
        if found is not None:
            return found
    return None


def load_config(path: Path | None = None, *, start: Path | None = None) -> Config | None:
    """Load ``path`` (a file, or a directory holding one), or the configuration found from
    ``start`` (default: the current directory) upward; None when there is none to find."""
    if path is None:
        found = find_config(Path.cwd() if start is None else start)
        if found is None:
            return None
        return _load_file(found)
    path = Path(path)
    if path.is_dir():
        found = configuration_in(path)
        if found is None:
            raise ConfigError("no dssync configuration in this directory", path=display_path(path),
                              hint=f"create {DSSYNC_TOML} or add [tool.dssync] to {PYPROJECT}")
        return _load_file(found)
    return _load_file(path)


# -- locating and parsing --------------------------------------------------------------------


def configuration_in(directory: Path) -> Path | None:
    """The file that configures dssync in ``directory`` itself (not above it): its dssync.toml,
    else its pyproject.toml when that has a ``[tool.dssync]`` table; None when neither does."""
    return next(iter(configurations_in(directory)), None)


def configurations_in(directory: Path) -> list[Path]:
    """Every file that configures dssync in ``directory`` itself, dssync.toml first (both
    at once are a conflict that loading reports)."""
    found = []
    own = directory / DSSYNC_TOML
    if own.is_file():
        found.append(own)
    pyproject = directory / PYPROJECT
    if pyproject.is_file() and _declares_dssync(pyproject):
        found.append(pyproject)
    return found


def _declares_dssync(pyproject: Path) -> bool:
    try:
        return _pyproject_table(_parse_toml(pyproject), pyproject) is not None
    except ConfigError:
        # A broken pyproject.toml that mentions dssync is meant to be ours: claim it, so that
        # loading reports the syntax error instead of silently searching further up.
        try:
            return b"dssync" in pyproject.read_bytes()
        except OSError:
            return False


_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}
"""Documents already parsed in this process, by path, modification time and size: finding the
configuration reads pyproject.toml, and loading it would otherwise parse it again."""


def _parse_toml(path: Path) -> dict[str, Any]:
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None
    if key is not None and key in _PARSED:
        return _PARSED[key]
    doc = _parse_toml_file(path)
    if key is not None:
        _PARSED[key] = doc
    return doc


def _parse_toml_file(path: Path) -> dict[str, Any]:
    shown = display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("configuration file not found", path=shown,
                          hint="check the path") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration: {exc.strerror or exc}", path=shown,
                          hint="check that it is a readable file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _position(raw[:exc.start].decode("utf-8", "replace"))
        raise ConfigError("not valid UTF-8", path=shown, line=line, column=column,
                          hint="save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, column = _toml_error(exc, text)
        raise ConfigError(message, path=shown, line=line, column=column,
                          hint="fix the TOML syntax there") from None
    except RecursionError:
        raise ConfigError("the TOML nests too deeply to be read", path=shown,
                          hint="a configuration needs a few levels of tables and arrays; "
                               "check that this is the right file") from None


def _toml_error(exc: Exception, text: str) -> tuple[str, int, int]:
    message = getattr(exc, "msg", None)
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if not isinstance(message, str) or line is None or column is None:
        message = str(exc)
        match = _TOML_POS_RE.search(message)
        if match:
            line, column = int(match.group(1)), int(match.group(2))
        else:
            match = _TOML_END_RE.search(message)
            line, column = _position(text)
        if match:
            message = message[:match.start()]
    return _lower_first(message), int(line), int(column)


def _position(prefix: str) -> tuple[int, int]:
    """Line and column (1-based) just after ``prefix``."""
    lines = prefix.split("\n")
    return len(lines), len(lines[-1]) + 1


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _pyproject_table(doc: dict[str, Any], path: Path) -> dict[str, Any] | None:
    tool = doc.get("tool")
    if tool is None:
        return None
    ctx = _Ctx(path, "")
    ctx.expect(tool, dict, "tool", "a table")
    table = tool.get("dssync")
    if table is None:
        return None
    ctx.expect(table, dict, "tool.dssync", "a table")
    return table


def _load_file(path: Path) -> Config:
    path = Path(os.path.abspath(path))
    doc = _parse_toml(path)
    if path.name == PYPROJECT:
        table = _pyproject_table(doc, path)
        sibling = path.with_name(DSSYNC_TOML)
        if table is None:
            if sibling.is_file():
                return _load_file(sibling)
            raise ConfigError("no [tool.dssync] table", path=display_path(path),
                              hint=f"add one, or create {DSSYNC_TOML} beside it")
        if sibling.is_file():
            raise _conflict(path)
        prefix = "tool.dssync"
    else:
        if path.name == DSSYNC_TOML:
            sibling = path.with_name(PYPROJECT)
            if sibling.is_file() and _pyproject_table(_parse_toml(sibling), sibling) is not None:
                raise _conflict(path)
        table, prefix = doc, ""
    return _build(_Ctx(path, prefix), table)


def _conflict(path: Path) -> ConfigError:
    return ConfigError(f"both {DSSYNC_TOML} and [tool.dssync] in {PYPROJECT} configure dssync",
                       path=display_path(path.parent), hint="keep only one of them")


def display_path(path: Path) -> str:
    """The path relative to the current directory when it lies below it, as users type it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive, on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


# -- validation ------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, path: Path, prefix: str) -> None:
        self.path = path
        self.prefix = prefix

    def key(self, *parts: str | int) -> str:
        text = self.prefix
        for part in parts:
            if isinstance(part, int):
                text += f"[{part}]"
            else:
                name = part if _BARE_KEY_RE.fullmatch(part) else _quote(part)
                text = f"{text}.{name}" if text else name
        return text

    def fail(self, key: str, message: str, hint: str | None = None) -> ConfigError:
        text = f"{key}: {message}" if key else message
        return ConfigError(text, path=display_path(self.path), hint=hint)

    def expect(self, value: Any, kind: type, key: str, what: str) -> Any:
        # bool is an int in Python, but not in TOML
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"expected {what}, got {_toml_type(value)}")
        return value

    def only(self, table: dict[str, Any], allowed: tuple[str, ...], *where: str | int) -> None:
        for name in table:
            if name not in allowed:
                import difflib  # only to suggest a name for a mistyped key

                close = difflib.get_close_matches(name.replace("_", "-").lower(), allowed, n=1)
                hint = (f"did you mean '{close[0]}'?" if close
                        else "valid keys: " + ", ".join(allowed))
                raise self.fail(self.key(*where, name), "unknown key", hint)

    @property
    def files_table(self) -> str:
        return f"[[{self.key('files')}]]"


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _toml_type(value: Any) -> str:
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "float"), (str, "string"),
                       (list, "array"), (dict, "table"), (datetime, "datetime"), (date, "date"),
                       (time, "time")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _string(ctx: _Ctx, table: dict[str, Any], name: str, what: str = "a string") -> str | None:
    value = table.get(name)
    return None if value is None else ctx.expect(value, str, ctx.key(name), what)


def _build(ctx: _Ctx, table: dict[str, Any]) -> Config:
    ctx.only(table, _TOP_KEYS)
    shared = _shared(ctx, table)
    listed = table.get("upstreams")
    if listed is None:
        config = _upstream(ctx, table, shared, None)
        _check_taken(ctx, [config], shared["lock"])
        return config
    for key in _UPSTREAM_KEYS:
        if key in table:
            raise ctx.fail(ctx.key(key), "cannot stand beside [[upstreams]]: with upstreams"
                                         " listed, each one's settings go in its own entry",
                           hint=f"move {key} into a [[{ctx.key('upstreams')}]] entry")
    ctx.expect(listed, list, ctx.key("upstreams"),
               f"an array of tables ([[{ctx.key('upstreams')}]])")
    if not listed:
        raise ctx.fail(ctx.key("upstreams"), "is empty",
                       hint="add at least one [[upstreams]] entry, or remove the key")
    views: list[Config] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(listed):
        sub = _Ctx(ctx.path, ctx.key("upstreams", i))
        ctx.expect(item, dict, sub.prefix, "a table (name, package or github, files...)")
        sub.only(item, ("name", *_UPSTREAM_KEYS))
        name = _string(sub, item, "name", "a string (the upstream's name)")
        if name is None and len(listed) > 1:
            raise sub.fail(sub.key("name"), "missing: several upstreams need a name each",
                           hint='add name = "..." (what --upstream takes and reports group by)')
        view = _upstream(sub, item, shared, name, listed=True)
        if view.name in seen:
            raise sub.fail(sub.key("name"),
                           f"'{view.name}' is already the name of upstreams[{seen[view.name]}]",
                           hint="give each upstream its own name")
        seen[view.name] = i
        views.append(view)
    _check_taken(ctx, views, shared["lock"])
    if len(views) == 1:
        return views[0]
    return Config(root=ctx.path.parent, path=ctx.path, github=None, package=None,
                  tag_format=DEFAULT_TAG_FORMAT, sources=(), prereleases=False, license=None,
                  files=(), upstreams=tuple(views), **shared)


def _shared(ctx: _Ctx, table: dict[str, Any]) -> dict[str, Any]:
    """The keys every upstream shares, as ``Config`` fields."""
    lock = _local_path(ctx, ctx.key("lock"),
                       _default(_string(ctx, table, "lock"), DEFAULT_LOCK))
    reports = _local_path(ctx, ctx.key("reports"),
                          _default(_string(ctx, table, "reports"), DEFAULT_REPORTS))

    urls = {}
    for name, schemes in (("github-api-url", WEB_SCHEMES), ("github-raw-url", WEB_SCHEMES),
                          ("index-url", INDEX_SCHEMES)):
        value = _string(ctx, table, name, "a string (a URL)")
        if value is not None:
            _check_url(ctx, ctx.key(name), value, schemes)
            if name.startswith("github"):
                value = value.rstrip("/")  # endpoints are appended as "/repos/..."
        urls[name] = value

    download_timeout = table.get("download-timeout")
    if download_timeout is not None:
        if isinstance(download_timeout, bool) or not isinstance(download_timeout, (int, float)):
            raise ctx.fail(ctx.key("download-timeout"),
                           f"expected a number of seconds, got {_toml_type(download_timeout)}")
        if not 0 < download_timeout < float("inf"):
            raise ctx.fail(ctx.key("download-timeout"), "must be a positive number of seconds",
                           hint="e.g. download-timeout = 600")
    return {"lock": lock, "reports": reports, "github_api_url": urls["github-api-url"],
            "github_raw_url": urls["github-raw-url"], "index_url": urls["index-url"],
            "download_timeout": float(download_timeout) if download_timeout is not None else None}


def _upstream(ctx: _Ctx, table: dict[str, Any], shared: dict[str, Any], name: str | None, *,
              listed: bool = False) -> Config:
    """One upstream's configuration from its keys (the top of the table in the single-upstream
    form, else one ``[[upstreams]]`` entry) and the shared ones."""
    if name is not None and not _NAME_RE.fullmatch(name):
        raise ctx.fail(ctx.key("name"), f"'{name}' is not a usable upstream name",
                       hint="use letters, digits, '.', '_' and '-'")
    github = _string(ctx, table, "github", "a string (owner/name)")
    if github is not None:
        _check_github(ctx, ctx.key("github"), github)
    package = _string(ctx, table, "package", "a string (the package name)")
    if package is not None:
        _check_package(ctx, ctx.key("package"), package)

    tag_format = _string(ctx, table, "tag-format")
    if tag_format is None:
        tag_format = DEFAULT_TAG_FORMAT
    _check_tag_format(ctx, tag_format)

    sources = _sources(ctx, table.get("sources"), github, package)

    prereleases = table.get("prereleases", False)
    ctx.expect(prereleases, bool, ctx.key("prereleases"), "a boolean (true or false)")

    trees = _trees(ctx, table.get("trees"))
    files = _files(ctx, table.get("files"), required=not trees)
    return Config(
        root=ctx.path.parent,
        path=ctx.path,
        github=github,
        package=package,
        tag_format=tag_format,
        sources=sources,
        prereleases=prereleases,
        license=_license(ctx, table.get("license")),
        files=files,
        name=name or _default_name(package, github, sources),
        trees=trees,
        listed=listed,
        **shared,
    )


def _default_name(package: str | None, github: str | None, sources: tuple[str, ...]) -> str:
    """An upstream without a name is called by its package, else its repository's name."""
    if package:
        return package
    if github:
        return github.partition("/")[2]
    for source in sources:
        kind, _, target = source.partition(":")
        if kind in ("pypi", "github") and target:
            return target.rpartition("/")[2]
        if kind == "git" and target:
            tail = target.rstrip("/").rpartition("/")[2]
            tail = tail[:-4] if tail.endswith(".git") else tail
            if _NAME_RE.fullmatch(tail):
                return tail
    return "upstream"


def _check_taken(ctx: _Ctx, views: list[Config], lock: str) -> None:
    """Each vendored path belongs to one upstream, and to one role."""
    taken: dict[str, str] = {}
    trees: list[tuple[str, str]] = []
    for view in views:
        where = view.name if len(views) > 1 else ""
        for tree in view.trees:
            for other, owner in trees:
                if owner != where and _nested(tree.vendored, other):
                    raise ctx.fail(ctx.key("upstreams"),
                                   f"the trees {other} ({owner}) and {tree.vendored}"
                                   f" ({where}) overlap",
                                   hint="map each vendored directory to one upstream")
            trees.append((tree.vendored, where))
        for entry in view.files:
            if entry.vendored in taken:
                raise ctx.fail(ctx.key("upstreams"), f"{entry.vendored} is configured for both"
                                                     f" {taken[entry.vendored]} and {where}",
                               hint="a vendored file comes from one upstream")
            taken[entry.vendored] = where
        for entry in view.files:
            for other, owner in trees:
                if owner != where and entry.vendored.startswith(other + "/"):
                    raise ctx.fail(ctx.key("upstreams"), f"{entry.vendored} ({where}) lies in the"
                                                         f" tree {other} of {owner}",
                                   hint="a vendored file comes from one upstream")
    for view in views:
        license_entry = view.license
        if license_entry is not None and license_entry.vendored in taken:
            key = (f"{ctx.key('upstreams')}.license.vendored" if len(views) > 1
                   else ctx.key("license", "vendored"))
            raise ctx.fail(key, f"{license_entry.vendored} is also a vendored constants file",
                           hint="the license copy needs its own path")
    if lock in taken:
        raise ctx.fail(ctx.key("lock"), f"{lock} is also a vendored file",
                       hint="choose another path for the lock file")


def _nested(a: str, b: str) -> bool:
    """Whether one of the directories ``a`` and ``b`` holds the other (or they are one)."""
    return (a + "/").startswith(b + "/") or (b + "/").startswith(a + "/")


def _trees(ctx: _Ctx, value: Any) -> tuple[TreeEntry, ...]:
    if value is None:
        return ()
    table = f"[[{ctx.key('trees')}]]"
    ctx.expect(value, list, ctx.key("trees"), f"an array of tables ({table})")
    entries: list[TreeEntry] = []
    for i, item in enumerate(value):
        ctx.expect(item, dict, ctx.key("trees", i), "a table with vendored and upstream")
        ctx.only(item, _TREE_KEYS, "trees", i)
        for name in ("vendored", "upstream"):
            if name not in item:
                raise ctx.fail(ctx.key("trees", i, name), "missing",
                               hint=f'add {name} = "directory" to this entry')
            ctx.expect(item[name], str, ctx.key("trees", i, name), "a string (a directory)")
        vendored = _local_path(ctx, ctx.key("trees", i, "vendored"), item["vendored"])
        upstream = item["upstream"].strip("/")
        if upstream:
            upstream = _upstream_path(ctx, ctx.key("trees", i, "upstream"), upstream)
        globs = {}
        for name, default in (("include", DEFAULT_INCLUDE), ("exclude", ())):
            key = ctx.key("trees", i, name)
            given = item.get(name)
            if given is None:
                globs[name] = default
                continue
            ctx.expect(given, list, key, "an array of glob strings")
            for j, glob in enumerate(given):
                ctx.expect(glob, str, ctx.key("trees", i, name, j), "a string (a glob)")
                problem = _glob_problem(glob)
                if problem:
                    raise ctx.fail(ctx.key("trees", i, name, j), f"'{glob}' {problem}",
                                   hint='globs are relative to the tree, e.g. "**/constants.py"')
            globs[name] = tuple(given)
        if not globs["include"]:
            raise ctx.fail(ctx.key("trees", i, "include"), "is empty",
                           hint='take at least one glob, or remove the key (default "**/*.py")')
        for j, other in enumerate(entries):
            if other.vendored == vendored:
                raise ctx.fail(ctx.key("trees", i, "vendored"),
                               f"{vendored} is already mapped in trees[{j}]",
                               hint="map each vendored directory once")
        entries.append(TreeEntry(vendored, upstream, globs["include"], globs["exclude"]))
    return tuple(entries)


def _glob_problem(glob: str) -> str | None:
    if not glob:
        return "is empty"
    if glob.startswith("/") or "\\" in glob:
        return "is not a relative '/'-separated glob"
    if any(part in (".", "..") for part in glob.split("/")):
        return "may not hold '.' or '..' parts"
    if "[" in glob or "]" in glob:
        # Read literally they would surprise whoever meant a character class, and the other way
        # round: module names never hold them, so neither reading is offered.
        return "holds '[' or ']': tree globs have only *, ? and **"
    return None


def _default(value: str | None, default: str) -> str:
    return default if value is None else value


def _check_github(ctx: _Ctx, key: str, value: str) -> None:
    name = value.partition("/")[2]
    if not _GITHUB_RE.fullmatch(value) or name in (".", ".."):
        raise ctx.fail(key, f"'{value}' is not a GitHub repository name",
                       hint="write it as owner/name, e.g. microsoft/DeepSpeed")


def _check_package(ctx: _Ctx, key: str, value: str) -> None:
    if not _PACKAGE_RE.fullmatch(value):
        raise ctx.fail(key, f"'{value}' is not a valid package name",
                       hint="use the name as published on the package index, e.g. deepspeed")


def _check_tag_format(ctx: _Ctx, value: str) -> None:
    count = value.count("{version}")
    rest = value.replace("{version}", "")
    if count != 1 or "{" in rest or "}" in rest:
        problem = ("must contain {version} exactly once" if count != 1
                   else "may contain no braces other than {version}")
        raise ctx.fail(ctx.key("tag-format"), f"'{value}' {problem}",
                       hint='e.g. "v{version}" for tags like v0.7.7')


def _check_url(ctx: _Ctx, key: str, value: str, schemes: tuple[str, ...]) -> None:
    from dssync._source.redact import redact
    from dssync.urls import describe, url_problem

    problem = url_problem(value, schemes)
    if problem is not None:
        raise ctx.fail(key, f"'{redact(value)}' is not a usable URL: {problem}",
                       hint=f"give {describe(schemes)}")


def _sources(ctx: _Ctx, value: Any, github: str | None,
             package: str | None) -> tuple[str, ...]:
    key = ctx.key("sources")
    if value is None:
        return tuple(name for name, setting in (("github", github), ("pypi", package))
                     if setting is not None)
    ctx.expect(value, list, key, "an array of strings")
    if not value:
        raise ctx.fail(key, "is empty", hint="list at least one source, or remove the key")
    seen: dict[str, int] = {}
    for i, source in enumerate(value):
        item = ctx.key("sources", i)
        ctx.expect(source, str, item, "a string")
        if source == "github":
            if github is None:
                raise ctx.fail(item, "'github' needs the github key to be set",
                               hint='add github = "owner/name", or write "github:owner/name"')
            expanded = f"github:{github}"
        elif source == "pypi":
            if package is None:
                raise ctx.fail(item, "'pypi' needs the package key to be set",
                               hint='add package = "name", or write "pypi:name"')
            expanded = f"pypi:{package}"
        elif source.startswith("github:"):
            _check_github(ctx, item, source[len("github:"):])
            expanded = source
        elif source.startswith("pypi:"):
            _check_package(ctx, item, source[len("pypi:"):])
            expanded = source
        elif source.startswith("git:"):
            target = source[len("git:"):]
            if not target or target != target.strip():
                raise ctx.fail(item, f"'{source}' names no repository",
                               hint="write git:<path-or-url>, e.g. git:../DeepSpeed")
            expanded = source
        else:
            raise ctx.fail(item, f"unknown source '{source}'",
                           hint='use "github", "pypi", "git:<path-or-url>", "github:owner/name"'
                                ' or "pypi:name"')
        if expanded in seen:
            raise ctx.fail(item, f"'{source}' is the same source as sources[{seen[expanded]}]",
                           hint="list each source once")
        seen[expanded] = i
    return tuple(value)


def _local_path(ctx: _Ctx, key: str, value: str) -> str:
    """A path relative to the project root that stays inside it, normalized to ``/``."""
    if "\\" in value:
        raise ctx.fail(key, f"'{value}' uses '\\'", hint="separate path parts with '/'")
    if value.startswith("/") or re.match(r"[A-Za-z]:", value):
        raise ctx.fail(key, f"'{value}' is absolute",
                       hint="give the path relative to the project root")
    normalized = posixpath.normpath(value) if value else ""
    if normalized in ("", "."):
        raise ctx.fail(key, "names no file", hint="give a path relative to the project root")
    if normalized == ".." or normalized.startswith("../"):
        raise ctx.fail(key, f"'{value}' leads outside the project root",
                       hint="keep the path inside the project root")
    return normalized


def _upstream_path(ctx: _Ctx, key: str, value: str) -> str:
    parts = value.split("/")
    if "\\" in value or any(part in ("", ".", "..") for part in parts):
        raise ctx.fail(key, f"'{value}' is not a relative '/'-separated path",
                       hint="give the path inside the upstream repository,"
                            " e.g. deepspeed/runtime/constants.py")
    return value


def _license(ctx: _Ctx, value: Any) -> LicenseEntry | None:
    if value is None:
        return None
    ctx.expect(value, dict, ctx.key("license"), "a table with upstream and vendored")
    ctx.only(value, _LICENSE_KEYS, "license")
    fields = {}
    for name in _LICENSE_KEYS:
        key = ctx.key("license", name)
        if name not in value:
            raise ctx.fail(key, "missing", hint=f"add {name} = \"path\" to license")
        ctx.expect(value[name], str, key, "a string (a path)")
    fields["upstream"] = _upstream_path(ctx, ctx.key("license", "upstream"), value["upstream"])
    fields["vendored"] = _local_path(ctx, ctx.key("license", "vendored"), value["vendored"])
    return LicenseEntry(**fields)


def _files(ctx: _Ctx, value: Any, *, required: bool = True) -> tuple[FileEntry, ...]:
    key = ctx.key("files")
    if not required and value is None:
        return ()
    if value is None or value == []:
        raise ctx.fail(key, "no files are configured",
                       hint=f"add at least one {ctx.files_table} entry with vendored and"
                            " upstream")
    ctx.expect(value, list, key, f"an array of tables ({ctx.files_table})")
    entries: list[FileEntry] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(value):
        ctx.expect(item, dict, ctx.key("files", i), "a table with vendored and upstream")
        ctx.only(item, _FILE_KEYS, "files", i)
        for name in ("vendored", "upstream"):
            field_key = ctx.key("files", i, name)
            if name not in item:
                raise ctx.fail(field_key, "missing", hint=f'add {name} = "path" to this entry')
            ctx.expect(item[name], str, field_key, "a string (a path)")
        vendored = _local_path(ctx, ctx.key("files", i, "vendored"), item["vendored"])
        upstream = _upstream_path(ctx, ctx.key("files", i, "upstream"), item["upstream"])
        if vendored in seen:
            raise ctx.fail(ctx.key("files", i, "vendored"),
                           f"{vendored} is already configured in files[{seen[vendored]}]",
                           hint="configure each vendored file once")
        seen[vendored] = i
        entries.append(FileEntry(vendored, upstream, _pins(ctx, item.get("pins"), i)))
    return tuple(entries)


def _pins(ctx: _Ctx, value: Any, i: int) -> Mapping[str, str]:
    if value is None:
        return _FrozenDict()
    ctx.expect(value, dict, ctx.key("files", i, "pins"), 'a table of NAME = "reason"')
    pins: dict[str, str] = {}
    for name, reason in _flatten_pins(value):
        key = ctx.key("files", i, "pins", *name.split("."))
        parts = name.split(".")
        if len(parts) > 2 or not all(p.isidentifier() and not keyword.iskeyword(p)
                                     for p in parts):
            raise ctx.fail(key, f"'{name}' is not a constant name", hint="pin NAME or Class.NAME")
        ctx.expect(reason, str, key, "a string (the reason)")
        if not reason.strip():
            raise ctx.fail(key, "the reason is empty", hint="say why the value is pinned")
        if name in pins:
            raise ctx.fail(key, f"{name} is pinned twice", hint="keep one of the two pins")
        pins[name] = reason
    return _FrozenDict(pins)


def _flatten_pins(value: dict[str, Any]) -> list[tuple[str, Any]]:
    # An unquoted dotted key, Class.NAME = "...", arrives as a nested table {Class: {NAME: ...}}.
    flat: list[tuple[str, Any]] = []
    for name, reason in value.items():
        if isinstance(reason, dict) and "." not in name:
            flat.extend((f"{name}.{sub}", inner) for sub, inner in reason.items())
        else:
            flat.append((name, reason))
    return flat


def config_from_text(path: Path, text: str) -> Config:
    """The configuration ``text`` would be once written at ``path`` (a pyproject.toml or a
    dssync.toml), validated exactly as a read of that file: for what dssync writes itself."""
    path = Path(os.path.abspath(path))
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, column = _toml_error(exc, text)
        raise ConfigError(message, path=display_path(path), line=line, column=column) from None
    if path.name == PYPROJECT:
        table = _pyproject_table(doc, path)
        if table is None:
            raise ConfigError("no [tool.dssync] table", path=display_path(path))
        return _build(_Ctx(path, "tool.dssync"), table)
    return _build(_Ctx(path, ""), doc)
