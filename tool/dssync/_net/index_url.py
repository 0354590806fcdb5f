"""Which package index to ask, decided the way pip decides it.

Order (first answer wins): ``--index-url``; ``PIP_INDEX_URL``; pip's configuration files;
pip's built-in default. In the files, a later file overrides an earlier one key by key (pip's
order: site-wide, per-user, the environment's own, then ``PIP_CONFIG_FILE``), and a command's
section overrides ``[global]``. dssync reads a release the way ``pip download`` would, so
``[download]`` beats ``[install]`` beats ``[global]``.

``extra-index-url`` is ignored on purpose: pip merges every index's files and picks any match,
but dssync needs one authoritative answer - a single list of files with hashes - to verify and
to cache by. Mixing indexes would let a second index shadow the first.

pip's default index is taken from pip itself, never written here, so this module cannot drift
from the pip the user actually runs.
"""

from __future__ import annotations

import configparser
import functools
import locale
import os
import re
import shutil
import subprocess
import sys

from dssync.errors import ConfigError

_SECTIONS = ("download", "install", "global")
"""Most specific first."""

_KEY = "index-url"


def resolve_index_url(explicit: str | None = None) -> str:
    """The index URL pip would use (``explicit`` from ``--index-url`` wins)."""
    if explicit:
        return explicit
    from_env = os.environ.get("PIP_INDEX_URL", "").strip()
    if from_env:
        return from_env
    from_files = index_url_from_files(pip_config_files())
    if from_files:
        return from_files
    return pip_default_index_url()


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
        legacy_mac = os.path.expanduser("~/Library/Application Support/pip")
        if os.path.isdir(legacy_mac):
            return legacy_mac
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
    if not os.path.isfile(path):
        return None
    parser = configparser.RawConfigParser()
    try:
        # pip reads its files in the locale's encoding; so must we, to see the same values.
        parser.read(path, encoding=locale.getpreferredencoding(False))
    except (configparser.Error, UnicodeDecodeError) as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(f"pip configuration file cannot be parsed: {detail}", path=path,
                          hint="fix the file, or set PIP_CONFIG_FILE to another one") from None
    except OSError as exc:
        raise ConfigError(f"pip configuration file cannot be read: {exc.strerror}", path=path,
                          hint="fix its permissions or pass --index-url") from None
    return parser


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-")


def index_url_from_files(groups: list[list[str]]) -> str | None:
    """The ``index-url`` the files in ``groups`` (lowest precedence first) set, if any."""
    values: dict[str, str] = {}
    for group in groups:
        for path in group:
            parser = _read(path)
            if parser is None:
                continue
            for section in parser.sections():
                for name, value in parser.items(section):
                    if _normalize(name) == _KEY and section in _SECTIONS:
                        values[section] = value.strip()
    for section in _SECTIONS:
        if values.get(section):
            return values[section]
    return None


_HELP_DEFAULT = re.compile(r"--index-url\b.*?\(default\s+(\S+?)\)", re.DOTALL)


def default_from_help(text: str) -> str | None:
    """The default index URL a ``pip download --help`` text mentions."""
    match = _HELP_DEFAULT.search(text)
    return match.group(1) if match else None


def _pip_commands() -> list[list[str]]:
    commands = [[sys.executable, "-m", "pip"]]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            commands.append([found])
    return commands


def default_from_pip_cli(commands: list[list[str]] | None = None,
                         timeout: float = 60.0) -> str | None:
    """Ask a pip executable for its default index (when pip cannot be imported here)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    # With no configuration at all, the help text shows pip's built-in default.
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    for command in commands if commands is not None else _pip_commands():
        try:
            done = subprocess.run([*command, "download", "--help"], capture_output=True,
                                  text=True, env=env, timeout=timeout, check=False)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            url = default_from_help(done.stdout)
            if url:
                return url
    return None


@functools.lru_cache(maxsize=1)
def pip_default_index_url() -> str:
    """pip's built-in index URL, from pip itself."""
    try:
        from pip._internal.models.index import PyPI  # pip's internals: may move, hence the CLI

        url = PyPI.simple_url
        if isinstance(url, str) and url:
            return url
    except Exception:
        pass
    url = default_from_pip_cli()
    if url:
        return url
    raise ConfigError(
        "cannot tell which package index to use: no --index-url, PIP_INDEX_URL or pip "
        "configuration sets one, and pip is not installed to give its default",
        hint="pass --index-url URL or set PIP_INDEX_URL",
    )

