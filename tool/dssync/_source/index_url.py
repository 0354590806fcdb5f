"""Which package index to ask, decided the way pip decides it, without running pip.

Order (first answer wins): ``--index-url``; ``PIP_INDEX_URL``; pip's configuration files;
pip's built-in default. In the files, a later file overrides an earlier one key by key (pip's
order: site-wide, per-user, the environment's own, then ``PIP_CONFIG_FILE``), and a command's
section overrides ``[global]``. ``pip download`` reads ``[download]`` over ``[global]``; dssync
also honours ``[install]``, between the two, since an index set for installing is where the
project's packages come from. An empty value hides the files below it, as in pip.

``extra-index-url`` is ignored on purpose: pip merges every index's files and picks any match,
but dssync needs one authoritative answer - a single list of files with hashes - to verify and
to cache by. Mixing indexes would let a second index shadow the first.

pip's default index is taken from pip itself (the constant pip's ``--index-url`` defaults to),
never written here, so this module cannot drift from the pip the user actually runs.
"""

from __future__ import annotations

import configparser
import functools
import locale
import os
import stat
import sys

from dssync.errors import ConfigError

_SECTIONS = ("download", "install", "global")
"""Most specific first."""

_KEY = "index-url"


def resolve_index_url(explicit: str | None = None) -> str:
    """The index URL pip would use (``explicit`` from ``--index-url`` wins)."""
    return chosen_index_url(explicit) or pip_default_index_url()


def chosen_index_url(explicit: str | None = None) -> str | None:
    """The index URL someone chose (``--index-url``, ``PIP_INDEX_URL``, pip's configuration
    files, in that order); None where pip's own default applies. Cheap: pip is not imported."""
    if explicit:
        return explicit
    from_env = os.environ.get("PIP_INDEX_URL", "").strip()
    if from_env:
        return from_env
    return index_url_from_files(pip_config_files())


def _windows() -> bool:
    return sys.platform == "win32"


def _basename() -> str:
    return "pip.ini" if _windows() else "pip.conf"


def _site_wide_dirs() -> list[str]:
    if _windows():
        return [os.path.join(os.environ.get("PROGRAMDATA", r"C:\ProgramData"), "pip")]
    if sys.platform == "darwin":
        return ["/Library/Application Support/pip"]
    xdg = os.environ.get("XDG_CONFIG_DIRS", "").strip() or "/etc/xdg"
    return [os.path.join(os.path.expanduser(d), "pip") for d in xdg.split(os.pathsep) if d] + [
        "/etc"
    ]


def _user_dir() -> str:
    if _windows():
        appdata = os.environ.get("APPDATA") or os.path.join(os.path.expanduser("~"), "AppData",
                                                            "Roaming")
        return os.path.join(appdata, "pip")
    if sys.platform == "darwin":
        # pip on macOS: the Application Support folder if it exists, else ~/.config/pip (not
        # XDG_CONFIG_HOME, which pip does not read there).
        mac = os.path.expanduser("~/Library/Application Support/pip")
        return mac if os.path.isdir(mac) else os.path.expanduser("~/.config/pip")
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
    return os.path.join(xdg, "pip")


def pip_config_files() -> list[list[str]]:
    """pip's configuration files, grouped, lowest precedence first.

    Mirrors pip's rules: ``PIP_CONFIG_FILE=os.devnull`` disables every file, and an existing
    ``PIP_CONFIG_FILE`` replaces the per-user files.
    """
    env_file = os.environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    name = _basename()
    site_wide = [os.path.join(d, name) for d in _site_wide_dirs()]
    legacy_user = os.path.join(os.path.expanduser("~"), "pip" if _windows() else ".pip", name)
    user = [legacy_user, os.path.join(_user_dir(), name)]
    if env_file and os.path.exists(env_file):
        user = []
    environment = [os.path.join(sys.prefix, name)]
    groups = [site_wide, user, environment]
    if env_file:
        groups.append([env_file])
    return groups


def _read(path: str) -> configparser.RawConfigParser | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    # pip reads its files in the locale's encoding; so must we, to see the same values.
    return _parsed(path, (st.st_mtime_ns, st.st_size, st.st_ino),
                   locale.getpreferredencoding(False))


@functools.lru_cache(maxsize=16)
def _parsed(path: str, signature: tuple[int, int, int],
            encoding: str) -> configparser.RawConfigParser:
    """A file parsed once per process while it stays the same (``signature``): a run asks for
    the index once per upstream file. Callers only read the parser."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding=encoding)
    except (configparser.Error, UnicodeDecodeError) as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(f"pip configuration file cannot be parsed: {detail}", path=path,
                          hint="fix the file, or set PIP_CONFIG_FILE to another one") from None
    except OSError as exc:
        raise ConfigError(f"pip configuration file cannot be read: {exc.strerror}", path=path,
                          hint="fix its permissions or pass --index-url") from None
    return parser


def _normalize(name: str) -> str:
    """A key as pip compares it: ``index_url``, ``Index-URL`` and ``--index-url`` are one."""
    name = name.lower().replace("_", "-")
    return name[2:] if name.startswith("--") else name


def index_url_from_files(groups: list[list[str]]) -> str | None:
    """The ``index-url`` the files in ``groups`` (lowest precedence first) set, if any.

    A value that is not a usable URL is an error naming the file that sets it.
    """
    values: dict[str, tuple[str, str]] = {}
    for group in groups:
        for path in group:
            parser = _read(path)
            if parser is None:
                continue
            for section in parser.sections():
                for name, value in parser.items(section):
                    if _normalize(name) == _KEY and section in _SECTIONS:
                        values[section] = (value.strip(), path)
    for section in _SECTIONS:
        value, path = values.get(section, ("", ""))
        if value:
            _check(value, path, section)
            return value
    return None


def _check(value: str, path: str, section: str) -> None:
    from dssync.urls import INDEX_SCHEMES, describe, url_problem

    problem = url_problem(value, INDEX_SCHEMES)
    if problem is not None:
        from dssync._source.redact import redact

        raise ConfigError(f"pip's index-url '{redact(value)}' in [{section}] is not a usable URL: "
                          f"{problem}", path=path,
                          hint=f"make it {describe(INDEX_SCHEMES)}, or pass --index-url")


def pip_default_index_url() -> str:
    """pip's built-in index URL, read from pip's own constant (pip is imported only here)."""
    try:
        # pip has no public API; this is the constant its --index-url option defaults to.
        from pip._internal.models.index import PyPI
    except ImportError:
        url = None
    else:
        url = getattr(PyPI, "simple_url", None)
    if isinstance(url, str) and url:
        return url
    raise ConfigError(
        "cannot tell which package index to use: no --index-url, PIP_INDEX_URL or pip "
        "configuration file names one, and pip, whose default it would be, cannot be imported",
        hint="pass --index-url URL (or set PIP_INDEX_URL)",
    )
