from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from dssync._net import index_url
from dssync._net.index_url import (
    default_from_help,
    default_from_pip_cli,
    pip_config_files,
    pip_default_index_url,
    resolve_index_url,
)
from dssync.errors import ConfigError

EXPLICIT = "http://explicit.test/simple/"
FROM_ENV = "http://env.test/simple/"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A clean home, XDG dirs and environment prefix, with no pip settings in the environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg-site"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    for name in list(os.environ):
        if name.startswith("PIP_"):
            monkeypatch.delenv(name)
    if index_url.index_url_from_files([["/etc/pip.conf"]]):
        pytest.skip("/etc/pip.conf sets an index URL on this machine; precedence tests need "
                    "a clean slate")
    return home


def write_conf(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_explicit_beats_everything(home, tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", FROM_ENV)
    conf = write_conf(tmp_path / "pip.conf", "[global]\nindex-url = http://file.test/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert resolve_index_url(EXPLICIT) == EXPLICIT


def test_environment_variable_beats_config_files(home, tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", FROM_ENV)
    conf = write_conf(tmp_path / "pip.conf", "[global]\nindex-url = http://file.test/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert resolve_index_url() == FROM_ENV
    assert resolve_index_url(None) == FROM_ENV


def test_pip_config_file_beats_the_default(home, tmp_path, monkeypatch):
    conf = write_conf(tmp_path / "pip.conf", "[global]\nindex-url = http://file.test/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert resolve_index_url() == "http://file.test/simple"


def test_default_comes_from_pip(home, monkeypatch):
    pip_index = pytest.importorskip("pip._internal.models.index")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    assert resolve_index_url() == pip_index.PyPI.simple_url


def test_devnull_config_file_disables_every_file(home, monkeypatch):
    write_conf(home / ".config" / "pip" / "pip.conf", "[global]\nindex-url = http://user.test/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    assert pip_config_files() == []
    assert resolve_index_url() == pip_default_index_url()


def test_file_precedence_follows_pip(home, tmp_path, monkeypatch):
    site_wide = write_conf(tmp_path / "xdg-site" / "pip" / "pip.conf",
                           "[global]\nindex-url = http://site-wide.test/\n")
    assert resolve_index_url() == "http://site-wide.test/"
    write_conf(home / ".pip" / "pip.conf", "[global]\nindex-url = http://legacy-user.test/\n")
    assert resolve_index_url() == "http://legacy-user.test/"
    write_conf(home / ".config" / "pip" / "pip.conf", "[global]\nindex-url = http://user.test/\n")
    assert resolve_index_url() == "http://user.test/"
    write_conf(tmp_path / "venv" / "pip.conf", "[global]\nindex-url = http://venv.test/\n")
    assert resolve_index_url() == "http://venv.test/"
    env_file = write_conf(tmp_path / "env.conf", "[global]\nindex-url = http://env-file.test/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    assert resolve_index_url() == "http://env-file.test/"
    groups = pip_config_files()
    assert groups[0][-1] == "/etc/pip.conf" and str(site_wide) in groups[0]
    assert groups[-1] == [str(env_file)]


def test_existing_pip_config_file_replaces_user_files(home, tmp_path, monkeypatch):
    write_conf(home / ".config" / "pip" / "pip.conf", "[install]\nindex-url = http://user.test/\n")
    env_file = write_conf(tmp_path / "env.conf", "[global]\ntimeout = 5\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    assert resolve_index_url() == pip_default_index_url()
    # A PIP_CONFIG_FILE that does not exist leaves the user's files in effect, as in pip.
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "missing.conf"))
    assert resolve_index_url() == "http://user.test/"


def test_command_section_beats_global_whatever_the_file(home, tmp_path, monkeypatch):
    write_conf(home / ".config" / "pip" / "pip.conf",
               "[install]\nindex-url = http://install.test/\n")
    env_file = write_conf(tmp_path / "env.conf", "[global]\nindex-url = http://global.test/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    # PIP_CONFIG_FILE exists, so the user file is not read at all.
    assert resolve_index_url() == "http://global.test/"
    write_conf(tmp_path / "venv" / "pip.conf", "[install]\nindex-url = http://install.test/\n")
    assert resolve_index_url() == "http://install.test/"
    write_conf(env_file, "[global]\nindex-url = http://global.test/\n"
                         "[download]\nindex_url = http://download.test/\n")
    assert resolve_index_url() == "http://download.test/"


def test_extra_index_url_is_ignored(home, tmp_path, monkeypatch):
    env_file = write_conf(tmp_path / "env.conf",
                          "[global]\nextra-index-url = http://extra.test/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "http://extra-env.test/simple")
    assert resolve_index_url() == pip_default_index_url()


def test_malformed_config_file_is_a_config_error(home, tmp_path, monkeypatch):
    env_file = write_conf(tmp_path / "env.conf", "index-url = no section header\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    with pytest.raises(ConfigError) as caught:
        resolve_index_url()
    assert str(env_file) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_default_parsed_from_pip_help_text():
    text = ("  -i, --index-url <url>       Base URL of the Python Package Index (default\n"
            "                              http://index.test/simple). This should point to\n"
            "  --extra-index-url <url>     Extra URLs (default none)\n")
    assert default_from_help(text) == "http://index.test/simple"
    assert default_from_help("no such option here") is None


def test_default_from_pip_subprocess_matches_pip_module():
    pip_index = pytest.importorskip("pip._internal.models.index")
    assert default_from_pip_cli([[sys.executable, "-m", "pip"]]) == pip_index.PyPI.simple_url


def test_default_from_pip_cli_survives_missing_executables(tmp_path):
    assert default_from_pip_cli([[str(tmp_path / "no-such-pip")]]) is None


def test_no_pip_at_all_is_a_config_error(home, monkeypatch):
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    pip_default_index_url.cache_clear()
    monkeypatch.setitem(sys.modules, "pip._internal.models.index", None)
    monkeypatch.setattr(index_url, "_pip_commands", list)
    try:
        with pytest.raises(ConfigError, match="--index-url"):
            resolve_index_url()
    finally:
        pip_default_index_url.cache_clear()

