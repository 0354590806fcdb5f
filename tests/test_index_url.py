from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from dssync._net import index_url
from dssync._net.index_url import (
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


def test_key_names_are_compared_as_pip_compares_them(home, tmp_path, monkeypatch):
    env_file = write_conf(tmp_path / "env.conf", "[global]\n--Index_URL = http://spelled.test/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    assert resolve_index_url() == "http://spelled.test/"


def test_an_empty_value_hides_the_files_below_it(home, tmp_path, monkeypatch):
    write_conf(home / ".config" / "pip" / "pip.conf", "[global]\nindex-url = http://user.test/\n")
    write_conf(tmp_path / "venv" / "pip.conf", "[global]\nindex-url =\n")
    # pip merges the files key by key, then drops empty values: the default answers.
    assert resolve_index_url() == pip_default_index_url()
    # ...and an empty PIP_INDEX_URL is no answer at all.
    monkeypatch.setenv("PIP_INDEX_URL", "  ")
    assert resolve_index_url() == pip_default_index_url()


def test_sections_other_than_the_three_are_ignored(home, tmp_path, monkeypatch):
    env_file = write_conf(tmp_path / "env.conf", "[wheel]\nindex-url = http://wheel.test/\n"
                                                 "[freeze]\nindex-url = http://freeze.test/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    assert resolve_index_url() == pip_default_index_url()


def test_the_default_is_read_from_pip_without_running_it(home, tmp_path, monkeypatch):
    """pip is imported, never run: a ``pip`` on PATH that would answer is not asked."""
    pip_index = pytest.importorskip("pip._internal.models.index")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    marker = tmp_path / "pip-was-run"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("pip", "pip3"):
        fake = bin_dir / name
        fake.write_text(f"#!/bin/sh\ntouch {marker}\necho '--index-url (default http://x.test)'\n",
                        encoding="utf-8")
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    assert resolve_index_url() == pip_index.PyPI.simple_url
    assert not marker.exists()


def _without_pip(monkeypatch):
    # An import of pip (or of the module holding its default) fails, as where pip is absent.
    monkeypatch.setitem(sys.modules, "pip._internal.models.index", None)


def test_no_pip_at_all_is_one_line_asking_for_index_url(home, tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    _without_pip(monkeypatch)
    with pytest.raises(ConfigError) as caught:
        resolve_index_url()
    message = str(caught.value)
    assert "\n" not in message
    assert "pass --index-url URL" in message
    # Every earlier step still answers without pip.
    assert resolve_index_url(EXPLICIT) == EXPLICIT
    monkeypatch.setenv("PIP_INDEX_URL", FROM_ENV)
    assert resolve_index_url() == FROM_ENV


# -- end to end: the index each step names is the one dssync asks ------------------------------

CONST = "pkg/constants.py"


@pytest.fixture
def indexes(home, tmp_path, monkeypatch):
    """Two real indexes on 127.0.0.1, each serving widgets 1.0, and a project reading it."""
    from servers.index_server import FakeIndex

    project = tmp_path / "project"
    (project / "vendored").mkdir(parents=True)
    (project / "vendored" / "constants.py").write_text("LIMIT = 1\n", encoding="utf-8")
    (project / "pyproject.toml").write_text(
        '[tool.dssync]\npackage = "widgets"\nsources = ["pypi"]\n'
        f'[[tool.dssync.files]]\nvendored = "vendored/constants.py"\nupstream = "{CONST}"\n',
        encoding="utf-8")
    monkeypatch.chdir(project)
    servers = []
    for _ in range(2):
        index = FakeIndex().start()
        index.add_sdist("widgets", "1.0", {CONST: b"LIMIT = 2\n"})
        servers.append(index)
    yield servers
    for index in servers:
        index.stop()


def _tags(capsys, *extra: str) -> tuple[int, str, str]:
    from dssync.cli import main

    code = main(["tags", "--no-cache", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def _asked(index) -> bool:
    return any(path.startswith("/simple/") for path in index.hits)


def test_each_step_picks_the_index_dssync_asks(indexes, tmp_path, monkeypatch, capsys):
    chosen, other = indexes
    # pip's configuration file...
    write_conf(tmp_path / "venv" / "pip.conf", f"[global]\nindex-url = {other.url}\n")
    env_file = write_conf(tmp_path / "env.conf", f"[download]\nindex-url = {chosen.url}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    code, out, err = _tags(capsys)
    assert (code, out.split()) == (0, ["v1.0"]), err
    assert _asked(chosen) and not _asked(other)
    # ...PIP_INDEX_URL over the files...
    chosen.hits.clear()
    monkeypatch.setenv("PIP_INDEX_URL", other.url)
    code, out, err = _tags(capsys)
    assert (code, out.split()) == (0, ["v1.0"]), err
    assert _asked(other) and not _asked(chosen)
    # ...and --index-url over both.
    other.hits.clear()
    code, out, err = _tags(capsys, "--index-url", chosen.url)
    assert (code, out.split()) == (0, ["v1.0"]), err
    assert _asked(chosen) and not _asked(other)


def test_without_pip_the_command_asks_for_index_url(indexes, monkeypatch, capsys):
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    _without_pip(monkeypatch)
    code, out, err = _tags(capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "pass --index-url URL" in err
    assert not any(_asked(index) for index in indexes)


def test_a_config_file_url_that_is_not_one_names_the_file(home, tmp_path, monkeypatch):
    env_file = write_conf(tmp_path / "env.conf",
                          "[install]\nindex-url = https://me:hunter2@/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    with pytest.raises(ConfigError) as caught:
        resolve_index_url()
    message = str(caught.value)
    assert message.startswith(f"{env_file}: pip's index-url ")
    assert "in [install] is not a usable URL: it names no host" in message
    assert "hunter2" not in message and "\n" not in message


def test_a_bad_config_file_url_stops_the_command_first(indexes, tmp_path, monkeypatch, capsys):
    env_file = write_conf(tmp_path / "env.conf", "[global]\nindex-url = localhost:3141/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    code, out, err = _tags(capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{env_file}: pip's index-url 'localhost:3141/simple' in [global]" in err
    assert not any(_asked(index) for index in indexes)


def test_macos_user_file_is_where_pip_looks(home, tmp_path, monkeypatch):
    """On macOS pip reads ~/Library/Application Support/pip when it exists, else ~/.config/pip,
    whatever XDG_CONFIG_HOME says (it used to be read there, a file pip never reads)."""
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-home"))
    write_conf(tmp_path / "xdg-home" / "pip" / "pip.conf", "[global]\nindex-url = http://xdg.test/\n")
    assert resolve_index_url() == pip_default_index_url()
    write_conf(home / ".config" / "pip" / "pip.conf", "[global]\nindex-url = http://dot.test/\n")
    assert resolve_index_url() == "http://dot.test/"
    support = home / "Library" / "Application Support" / "pip"
    support.mkdir(parents=True)
    assert resolve_index_url() == pip_default_index_url()  # the folder exists: its file counts
    write_conf(support / "pip.conf", "[global]\nindex-url = http://support.test/\n")
    assert resolve_index_url() == "http://support.test/"
    assert pip_config_files()[0] == ["/Library/Application Support/pip/pip.conf"]
