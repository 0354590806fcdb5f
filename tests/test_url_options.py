"""URLs the user gives are checked before anything runs; ``-v`` says when the cache answered.

A malformed URL used to pass unnoticed on every run the cache could answer without the index;
now it is one line on stderr and exit status 2 before the configuration, the cache or the network
is touched. A well-formed URL that cannot be reached is still fine while the cache answers, and
``-v`` says so, naming the index that was not asked.
"""

from __future__ import annotations

import pytest
from dssync.cli import main
from dssync.urls import INDEX_SCHEMES, url_problem
from servers.index_server import FakeIndex

CONST = "pkg/constants.py"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's way out, as the console script takes it
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("value", "problem"), [
    ("not-a-url", "it has no scheme (such as https://)"),
    ("http://", "it names no host"),
    ("https:///simple", "it names no host"),
    ("ftp://mirror.example/simple", "the scheme 'ftp' is not one of http, https"),
    ("https://index.example:99999/simple", "its port is not a number from 0 to 65535"),
    ("https://index.example/sim ple", "it contains white space or control characters"),
    ("file://", "a local directory (file:) cannot be read as a package index"),
    ("file:///srv/simple", "a local directory (file:) cannot be read as a package index"),
    ("", "it is empty"),
])
def test_url_problems(value, problem):
    assert url_problem(value, INDEX_SCHEMES) == problem


@pytest.mark.parametrize("value", ["https://index.example/simple/", "http://127.0.0.1:8080/simple",
                                   "https://user:token@index.example/simple"])
def test_usable_urls(value):
    assert url_problem(value, INDEX_SCHEMES) is None


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A configured project reading ``pypi:widgets``, with no pip settings in the environment."""
    for name in ("PIP_INDEX_URL", "PIP_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "vendored").mkdir()
    (tmp_path / "vendored" / "constants.py").write_text("LIMIT = 0x10\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dssync]\npackage = "widgets"\n'
        f'[[tool.dssync.files]]\nvendored = "vendored/constants.py"\nupstream = "{CONST}"\n',
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", [["diff", "--tag", "v1.0"], ["tags"], ["vendor", "--tag", "v1.0"],
                                     ["history"], ["identify"], ["update", "--tag", "v1.0"],
                                     ["impact", "--tag", "v1.0"], ["status"]])
def test_a_malformed_index_url_stops_every_command_before_anything_else(project, capsys, command):
    cache = project / "cache"
    # Even the configuration is not read: the file named does not exist.
    code, out, err = run(capsys, *command, "--index-url", "not-a-url", "--config", "missing.toml",
                         "--cache-dir", str(cache))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "argument --index-url: 'not-a-url' is not a usable URL: it has no scheme" in err
    assert not cache.exists()


@pytest.mark.parametrize("how", ["option", "environment", "configuration"])
def test_a_file_index_url_is_refused_up_front_in_one_line(project, capsys, monkeypatch, how):
    """A local directory index was accepted (and suggested by the hints), then every fetch
    failed with requests' "No connection adapters were found" and a hand-over line."""
    index = project / "simple"
    (index / "widgets").mkdir(parents=True)
    url = index.as_uri()
    argv = ["diff", "--tag", "v1.0", "--cache-dir", str(project / "cache")]
    if how == "option":
        argv += ["--index-url", url]
    elif how == "environment":
        monkeypatch.setenv("PIP_INDEX_URL", url)
    else:
        config = project / "pyproject.toml"
        config.write_text(config.read_text().replace(
            'package = "widgets"\n', f'package = "widgets"\nindex-url = "{url}"\n'))
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "a local directory (file:) cannot be read as a package index" in err
    assert "http or https URL" in err and "file URL" not in err
    assert "connection adapters" not in err and "trying" not in err


def test_credentials_in_a_malformed_url_are_not_printed(project, capsys):
    code, _, err = run(capsys, "tags", "--index-url", "https://me:hunter2@index example/simple")
    assert code == 2 and "hunter2" not in err and "***" in err


def test_a_malformed_configured_url_is_one_line(project, capsys):
    config = project / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'package = "widgets"', 'package = "widgets"\nindex-url = "index.example/simple"'),
        encoding="utf-8")
    code, out, err = run(capsys, "diff", "--tag", "v1.0")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "index-url: 'index.example/simple' is not a usable URL: it has no scheme" in err
    assert "pyproject.toml" in err


def test_a_malformed_pip_index_url_is_one_line_unless_an_index_url_is_given(project, capsys,
                                                                            monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "localhost:3141/simple")
    code, out, err = run(capsys, "tags", "--cache-dir", str(project / "cache"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "PIP_INDEX_URL 'localhost:3141/simple' is not a usable URL" in err
    assert not (project / "cache").exists()
    with FakeIndex() as index:
        index.add_sdist("widgets", "1.0", {CONST: b"LIMIT = 0x10\n"})
        code, out, _ = run(capsys, "tags", "--index-url", index.url, "--no-cache")
    assert code == 0 and out == "v1.0\n"


def test_verbose_says_when_the_cache_answered_instead_of_the_index(project, capsys):
    cache = str(project / "cache")
    with FakeIndex() as index:
        index.add_sdist("widgets", "1.0", {CONST: b"LIMIT = 0x20\n"})
        url = index.url
        code, out, err = run(capsys, "diff", "-v", "--tag", "v1.0", "--index-url", url,
                             "--cache-dir", cache)
        assert code == 1 and "LIMIT: 0x10 -> 0x20" in out
        assert "the cache answered" not in err and "GET" in err  # the index was asked
        assert run(capsys, "tags", "--index-url", url, "--cache-dir", cache)[:2] == (0, "v1.0\n")
    # The index is gone; a resolved release tag is kept in the cache, so the run still works, and
    # says why.
    code, again, err = run(capsys, "diff", "-v", "--tag", "v1.0", "--index-url", url,
                           "--cache-dir", cache)
    assert (code, again) == (1, out)
    assert "pypi:widgets: the cache answered that v1.0 is widgets-1.0.tar.gz" in err
    assert f"the index {url} was not asked" in err
    assert f"pypi:widgets: the cache answered with {CONST}, read earlier out of widgets-1.0.tar.gz" in err
    code, _, err = run(capsys, "diff", "-v", "--tag", "v1.0", "--offline", "--cache-dir", cache)
    assert code == 1 and "(--offline: the index was not asked)" in err
    code, out, err = run(capsys, "tags", "-v", "--offline", "--cache-dir", cache)
    assert (code, out) == (0, "v1.0\n")
    assert "pypi:widgets: the cache answered with the tag list (--offline" in err
    # Without -v, nothing is said.
    assert run(capsys, "diff", "--tag", "v1.0", "--offline", "--cache-dir", cache)[2] == ""
