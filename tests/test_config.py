from __future__ import annotations

import copy
import dataclasses
import pickle
import textwrap
from pathlib import Path

import pytest

from dssync.config import Config, FileEntry, LicenseEntry, find_config, load_config
from dssync.errors import ConfigError

FILES = """
[[tool.dssync.files]]
vendored = "vendored/deepspeed/runtime/constants.py"
upstream = "deepspeed/runtime/constants.py"
"""

FULL = """
[project]
name = "demo"

[tool.dssync]
github = "microsoft/DeepSpeed"
package = "deepspeed"
tag-format = "v{version}"
sources = ["pypi", "github", "git:../DeepSpeed", "github:someone/fork", "pypi:deepspeed-nightly"]
prereleases = true
lock = "locks/dssync.lock"
reports = "out/reports"
github-api-url = "https://ghe.example.test/api/v3/"
github-raw-url = "https://ghe.example.test/raw"
index-url = "https://mirror.example.test/simple/"
license = { upstream = "LICENSE", vendored = "vendored/deepspeed/LICENSE" }

[[tool.dssync.files]]
vendored = "vendored/deepspeed/runtime/constants.py"
upstream = "deepspeed/runtime/constants.py"
pins = { FP16_INITIAL_SCALE_POWER_DEFAULT = "we train with a lower initial scale" }

[[tool.dssync.files]]
vendored = "./vendored/deepspeed//comm/constants.py"
upstream = "deepspeed/comm/constants.py"

[tool.dssync.files.pins]
"Backend.NAME" = "kept for our launcher"
Other.VALUE = "dotted key written bare"
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def pyproject(tmp_path: Path, body: str, files: str = FILES) -> Path:
    return write(tmp_path, "pyproject.toml", "[tool.dssync]\n" + textwrap.dedent(body) + files)


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "\n" not in text
    return text


# -- a complete configuration --------------------------------------------------------------


def test_full_configuration(tmp_path):
    path = write(tmp_path, "pyproject.toml", FULL)
    config = load_config(path)
    assert isinstance(config, Config)
    assert config.root == tmp_path and config.path == path
    assert config.github == "microsoft/DeepSpeed"
    assert config.package == "deepspeed"
    assert config.tag_format == "v{version}"
    assert config.prereleases is True
    assert config.lock == "locks/dssync.lock"
    assert config.reports == "out/reports"
    assert config.github_api_url == "https://ghe.example.test/api/v3"
    assert config.github_raw_url == "https://ghe.example.test/raw"
    assert config.index_url == "https://mirror.example.test/simple/"
    assert config.license == LicenseEntry(upstream="LICENSE",
                                          vendored="vendored/deepspeed/LICENSE")
    first, second = config.files
    assert first == FileEntry("vendored/deepspeed/runtime/constants.py",
                              "deepspeed/runtime/constants.py",
                              {"FP16_INITIAL_SCALE_POWER_DEFAULT":
                               "we train with a lower initial scale"})
    assert second.vendored == "vendored/deepspeed/comm/constants.py"
    assert dict(second.pins) == {"Backend.NAME": "kept for our launcher",
                                 "Other.VALUE": "dotted key written bare"}
    assert config.source_specs() == ["pypi:deepspeed", "github:microsoft/DeepSpeed",
                                     "git:../DeepSpeed", "github:someone/fork",
                                     "pypi:deepspeed-nightly"]
    assert config.resolve("locks/dssync.lock") == tmp_path / "locks" / "dssync.lock"


def test_defaults(tmp_path):
    config = load_config(pyproject(tmp_path, ""))
    assert config.github is None and config.package is None
    assert config.tag_format == "v{version}"
    assert config.sources == ()
    assert config.prereleases is False
    assert config.lock == "dssync.lock" and config.reports == "reports"
    assert config.github_api_url is None and config.github_raw_url is None
    assert config.index_url is None and config.license is None
    assert dict(config.files[0].pins) == {}


def test_config_is_immutable_yet_copyable(tmp_path):
    config = load_config(write(tmp_path, "pyproject.toml", FULL))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.github = "x/y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.files[0].pins["NEW"] = "reason"  # type: ignore[index]
    assert copy.deepcopy(config) == config
    assert pickle.loads(pickle.dumps(config)) == config
    assert dataclasses.asdict(config)["files"][0]["pins"] == dict(config.files[0].pins)


# -- source_specs ----------------------------------------------------------------------------


@pytest.mark.parametrize("body, expected", [
    ('github = "a/b"\npackage = "p"\n', ["github:a/b", "pypi:p"]),
    ('github = "a/b"\n', ["github:a/b"]),
    ('package = "p"\n', ["pypi:p"]),
    ('package = "p"\ngithub = "a/b"\nsources = ["pypi", "github"]\n', ["pypi:p", "github:a/b"]),
    ('sources = ["git:https://git.example.test/x.git"]\n', ["git:https://git.example.test/x.git"]),
])
def test_source_specs(tmp_path, body, expected):
    assert load_config(pyproject(tmp_path, body)).source_specs() == expected


def test_source_specs_without_any_source(tmp_path):
    config = load_config(pyproject(tmp_path, ""))
    with pytest.raises(ConfigError, match="no upstream source"):
        config.source_specs()


@pytest.mark.parametrize("body, fragment", [
    ('sources = ["github"]\n', "tool.dssync.sources[0]: 'github' needs the github key"),
    ('github = "a/b"\nsources = ["github", "pypi"]\n',
     "tool.dssync.sources[1]: 'pypi' needs the package key"),
    ('sources = ["svn:x"]\n', "tool.dssync.sources[0]: unknown source 'svn:x'"),
    ('sources = ["git:"]\n', "tool.dssync.sources[0]: 'git:' names no repository"),
    ('sources = ["github:nope"]\n', "tool.dssync.sources[0]: 'nope' is not a GitHub"),
    ('sources = ["pypi:-bad-"]\n', "tool.dssync.sources[0]: '-bad-' is not a valid package"),
    # A Kelvin sign folds to "k" case-insensitively, but no package index name has one.
    ('sources = ["pypi:\u212aafka"]\n', "tool.dssync.sources[0]: '\u212aafka' is not a valid package"),
    ('sources = []\n', "tool.dssync.sources: is empty"),
    ('sources = "github"\n', "tool.dssync.sources: expected an array of strings, got string"),
    ('sources = ["git:x", 3]\n', "tool.dssync.sources[1]: expected a string, got integer"),
    ('github = "a/b"\nsources = ["github", "github:a/b"]\n',
     "tool.dssync.sources[1]: 'github:a/b' is the same source as sources[0]"),
])
def test_bad_sources(tmp_path, body, fragment):
    assert fragment in error_of(pyproject(tmp_path, body))


# -- unknown keys and wrong types ------------------------------------------------------------


@pytest.mark.parametrize("text, key, hint", [
    ('[tool.dssync]\ntag_format = "v{version}"\n' + FILES, "tool.dssync.tag_format",
     "did you mean 'tag-format'?"),
    ('[tool.dssync]\nbogus = 1\n' + FILES, "tool.dssync.bogus", "valid keys:"),
    ('[tool.dssync]\nlicense = { upstream = "L", vendored = "L", extra = "x" }\n' + FILES,
     "tool.dssync.license.extra", "valid keys: upstream, vendored"),
    (FILES + 'vendor = "x"\n', "tool.dssync.files[0].vendor", "did you mean 'vendored'?"),
])
def test_unknown_keys(tmp_path, text, key, hint):
    message = error_of(write(tmp_path, "pyproject.toml", text))
    assert f"pyproject.toml: {key}: unknown key; " in message
    assert hint in message


def test_unknown_key_in_dssync_toml_has_no_prefix(tmp_path):
    write(tmp_path, "dssync.toml", 'nope = 1\n[[files]]\nvendored = "a.py"\nupstream = "a.py"\n')
    assert error_of(tmp_path / "dssync.toml").startswith(
        f"{tmp_path / 'dssync.toml'}: nope: unknown key")


@pytest.mark.parametrize("body, fragment", [
    ("github = 1\n", "tool.dssync.github: expected a string (owner/name), got integer"),
    ("package = true\n", "tool.dssync.package: expected a string (the package name), got boolean"),
    ("tag-format = 1.5\n", "tool.dssync.tag-format: expected a string, got float"),
    ('prereleases = "yes"\n', "tool.dssync.prereleases: expected a boolean (true or false), got string"),
    ("lock = []\n", "tool.dssync.lock: expected a string, got array"),
    ("reports = {}\n", "tool.dssync.reports: expected a string, got table"),
    ("github-api-url = 2024-01-01\n", "tool.dssync.github-api-url: expected a string (a URL), got date"),
    ("github-raw-url = 1\n", "tool.dssync.github-raw-url: expected a string (a URL), got integer"),
    ("index-url = false\n", "tool.dssync.index-url: expected a string (a URL), got boolean"),
    ('license = "LICENSE"\n', "tool.dssync.license: expected a table with upstream and vendored, got string"),
    ('license = { upstream = "LICENSE" }\n', "tool.dssync.license.vendored: missing"),
    ('license = { upstream = 1, vendored = "L" }\n',
     "tool.dssync.license.upstream: expected a string (a path), got integer"),
])
def test_wrong_types_at_top_level(tmp_path, body, fragment):
    assert fragment in error_of(pyproject(tmp_path, body))


@pytest.mark.parametrize("files, fragment", [
    ("", "tool.dssync.files: no files are configured; add at least one [[tool.dssync.files]]"),
    ("files = []\n", "tool.dssync.files: no files are configured"),
    ('files = "x"\n', "tool.dssync.files: expected an array of tables ([[tool.dssync.files]]), got string"),
    ("files = [1]\n", "tool.dssync.files[0]: expected a table with vendored and upstream, got integer"),
    ('[[tool.dssync.files]]\nupstream = "a.py"\n', "tool.dssync.files[0].vendored: missing"),
    ('[[tool.dssync.files]]\nvendored = "a.py"\n', "tool.dssync.files[0].upstream: missing"),
    ('[[tool.dssync.files]]\nvendored = 1\nupstream = "a.py"\n',
     "tool.dssync.files[0].vendored: expected a string (a path), got integer"),
    (FILES + 'pins = ["A"]\n', 'tool.dssync.files[0].pins: expected a table of NAME = "reason", got array'),
    (FILES + "[[tool.dssync.files]]\nvendored = \"b.py\"\nupstream = \"b.py\"\n"
     "[[tool.dssync.files]]\nvendored = \"c.py\"\nupstream = \"c.py\"\npins = { FOO = 1 }\n",
     "pyproject.toml: tool.dssync.files[2].pins.FOO: expected a string (the reason), got integer"),
    (FILES + 'pins = { "not a name" = "x" }\n',
     "tool.dssync.files[0].pins.\"not a name\": 'not a name' is not a constant name"),
    (FILES + 'pins = { "A.B.C" = "x" }\n', "'A.B.C' is not a constant name"),
    (FILES + 'pins = { "class" = "x" }\n', "'class' is not a constant name"),
    (FILES + 'pins = { FOO = "  " }\n', "tool.dssync.files[0].pins.FOO: the reason is empty"),
    (FILES + 'pins = { A.B = "x", "A.B" = "y" }\n', "A.B is pinned twice"),
    (FILES + 'pins = { A.B.C = "x" }\n', "tool.dssync.files[0].pins.A.B: expected a string (the reason), got table"),
])
def test_file_entry_errors(tmp_path, files, fragment):
    assert fragment in error_of(pyproject(tmp_path, "", files=files))


def test_error_names_the_file_relative_to_cwd(tmp_path, monkeypatch):
    pyproject(tmp_path / "proj", "github = 3\n")
    monkeypatch.chdir(tmp_path)
    message = error_of(Path("proj"))
    assert message.startswith("proj/pyproject.toml: tool.dssync.github:")


# -- value checks ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["{version}", "v{version}", "release-{version}-final"])
def test_good_tag_formats(tmp_path, value):
    assert load_config(pyproject(tmp_path, f'tag-format = "{value}"\n')).tag_format == value


@pytest.mark.parametrize("value, fragment", [
    ("v", "must contain {version} exactly once"),
    ("", "must contain {version} exactly once"),
    ("{version}-{version}", "must contain {version} exactly once"),
    ("v{ver}", "must contain {version} exactly once"),
    ("v{version}{extra}", "may contain no braces other than {version}"),
])
def test_bad_tag_format(tmp_path, value, fragment):
    message = error_of(pyproject(tmp_path, f'tag-format = "{value}"\n'))
    assert "tool.dssync.tag-format:" in message and fragment in message


@pytest.mark.parametrize("value", ["microsoft/DeepSpeed", "a/b", "a-b/c.d_e", "x1/.github"])
def test_good_github(tmp_path, value):
    assert load_config(pyproject(tmp_path, f'github = "{value}"\n')).github == value


@pytest.mark.parametrize("value", ["microsoft", "microsoft/DeepSpeed/extra", "-ms/x", "ms-/x",
                                   "https://github.com/microsoft/DeepSpeed", "a/..", "a/b c",
                                   "/b", "a/"])
def test_bad_github(tmp_path, value):
    message = error_of(pyproject(tmp_path, f'github = "{value}"\n'))
    assert "tool.dssync.github:" in message and "owner/name" in message


@pytest.mark.parametrize("body, key", [
    ('github-api-url = "ftp://x"\n', "github-api-url"),
    ('github-raw-url = "raw.example.test"\n', "github-raw-url"),
    ('index-url = "https://"\n', "index-url"),
])
def test_bad_urls(tmp_path, body, key):
    assert f"tool.dssync.{key}: " in error_of(pyproject(tmp_path, body))


def test_file_index_url_is_refused(tmp_path):
    error = error_of(pyproject(tmp_path, 'index-url = "file:///srv/simple/"\n'))
    assert "tool.dssync.index-url: " in error
    assert "a local directory (file:) cannot be read as a package index" in error


@pytest.mark.parametrize("vendored, fragment", [
    ("../outside.py", "leads outside the project root"),
    ("vendored/../../outside.py", "leads outside the project root"),
    ("/etc/constants.py", "is absolute"),
    ("C:/x/constants.py", "is absolute"),
    ("vendored\\\\c.py", "uses '\\'"),
    (".", "names no file"),
    ("", "names no file"),
])
def test_vendored_path_must_stay_inside_root(tmp_path, vendored, fragment):
    files = f'[[tool.dssync.files]]\nvendored = "{vendored}"\nupstream = "c.py"\n'
    message = error_of(pyproject(tmp_path, "", files=files))
    assert "tool.dssync.files[0].vendored:" in message and fragment in message


def test_vendored_path_inside_root_is_normalized(tmp_path):
    files = '[[tool.dssync.files]]\nvendored = "a/./b/../c.py"\nupstream = "c.py"\n'
    assert load_config(pyproject(tmp_path, "", files=files)).files[0].vendored == "a/c.py"


@pytest.mark.parametrize("body, key", [
    ('lock = "../x.lock"\n', "lock"),
    ('reports = "/tmp/reports"\n', "reports"),
    ('license = { upstream = "LICENSE", vendored = "../LICENSE" }\n', "license.vendored"),
    ('license = { upstream = "/LICENSE", vendored = "LICENSE" }\n', "license.upstream"),
])
def test_other_paths_are_checked(tmp_path, body, key):
    assert f"tool.dssync.{key}:" in error_of(pyproject(tmp_path, body))


@pytest.mark.parametrize("upstream", ["/deepspeed/c.py", "../c.py", "deepspeed\\\\c.py",
                                      "deepspeed//c.py", "./c.py", "deepspeed/", ""])
def test_bad_upstream_path(tmp_path, upstream):
    files = f'[[tool.dssync.files]]\nvendored = "c.py"\nupstream = "{upstream}"\n'
    message = error_of(pyproject(tmp_path, "", files=files))
    assert "tool.dssync.files[0].upstream:" in message and "'/'-separated" in message


def test_duplicate_vendored_path(tmp_path):
    files = ('[[tool.dssync.files]]\nvendored = "v/c.py"\nupstream = "a.py"\n'
             '[[tool.dssync.files]]\nvendored = "./v//c.py"\nupstream = "b.py"\n')
    message = error_of(pyproject(tmp_path, "", files=files))
    assert "tool.dssync.files[1].vendored: v/c.py is already configured in files[0]" in message


def test_license_and_lock_may_not_collide_with_files(tmp_path):
    body = 'license = { upstream = "LICENSE", vendored = "vendored/deepspeed/runtime/constants.py" }\n'
    assert "tool.dssync.license.vendored:" in error_of(pyproject(tmp_path, body))
    body = 'lock = "vendored/deepspeed/runtime/constants.py"\n'
    assert "tool.dssync.lock:" in error_of(pyproject(tmp_path / "b", body))


# -- TOML syntax and unreadable files --------------------------------------------------------


def test_toml_syntax_error_has_line_and_column(tmp_path):
    path = write(tmp_path, "pyproject.toml", '[tool.dssync]\ngithub = "a/b"\npackage = = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (info.value.line, info.value.column) == (3, 11)
    assert str(info.value).startswith(f"{path}:3:11: invalid value")


def test_toml_syntax_error_at_end_of_document(tmp_path):
    path = write(tmp_path, "dssync.toml", 'github = "a/b"\nsources = ["github"')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (info.value.line, info.value.column) == (2, 20)
    assert f"{path}:2:20: unclosed array" in str(info.value)


def test_not_utf8(tmp_path):
    path = tmp_path / "dssync.toml"
    path.write_bytes(b'github = "a/b"\npackage = "\xff"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (info.value.line, info.value.column) == (2, 12)
    assert "not valid UTF-8" in str(info.value)


def test_missing_file(tmp_path):
    assert "not found" in error_of(tmp_path / "dssync.toml")


def test_pyproject_without_table(tmp_path):
    path = write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    assert "no [tool.dssync] table" in error_of(path)


@pytest.mark.parametrize("text, key", [
    ("tool = 1\n", "tool: expected a table, got integer"),
    ("[tool]\ndssync = 1\n", "tool.dssync: expected a table, got integer"),
])
def test_pyproject_tool_not_a_table(tmp_path, text, key):
    assert key in error_of(write(tmp_path, "pyproject.toml", text))


# -- dssync.toml versus pyproject.toml -------------------------------------------------------


DSSYNC_TOML = 'github = "a/b"\n[[files]]\nvendored = "c.py"\nupstream = "c.py"\n'


def test_dssync_toml_wins_over_pyproject_without_table(tmp_path):
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    write(tmp_path, "dssync.toml", DSSYNC_TOML)
    for config in (load_config(start=tmp_path), load_config(tmp_path / "pyproject.toml"),
                   load_config(tmp_path)):
        assert config.path == tmp_path / "dssync.toml"
        assert config.github == "a/b"


def test_both_defining_is_an_error(tmp_path):
    pyproject(tmp_path, 'github = "c/d"\n')
    write(tmp_path, "dssync.toml", DSSYNC_TOML)
    for how in ({"start": tmp_path}, {"path": tmp_path / "pyproject.toml"},
                {"path": tmp_path / "dssync.toml"}):
        with pytest.raises(ConfigError, match="both dssync.toml and"):
            load_config(**how)


def test_files_table_name_in_dssync_toml(tmp_path):
    write(tmp_path, "dssync.toml", 'github = "a/b"\n')
    assert "files: no files are configured; add at least one [[files]]" in error_of(
        tmp_path / "dssync.toml")


def test_explicit_other_name_is_read_as_top_level(tmp_path):
    path = write(tmp_path, "custom.toml", DSSYNC_TOML)
    pyproject(tmp_path, 'github = "c/d"\n')
    assert load_config(path).github == "a/b"


# -- finding the configuration ---------------------------------------------------------------


def test_find_config_walks_up(tmp_path):
    project = tmp_path / "project"
    pyproject(project, 'github = "a/b"\n')
    deep = project / "src" / "pkg" / "sub"
    deep.mkdir(parents=True)
    # A pyproject.toml on the way without [tool.dssync] is passed over.
    write(project / "src", "pyproject.toml", '[project]\nname = "inner"\n')
    assert find_config(deep) == project / "pyproject.toml"
    config = load_config(start=deep)
    assert config.root == project
    assert find_config(project / "src" / "pkg") == project / "pyproject.toml"


def test_find_config_prefers_nearest(tmp_path):
    pyproject(tmp_path, 'github = "outer/x"\n')
    write(tmp_path / "inner", "dssync.toml", DSSYNC_TOML)
    (tmp_path / "inner" / "deeper").mkdir()
    assert find_config(tmp_path / "inner" / "deeper") == tmp_path / "inner" / "dssync.toml"
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"


def test_find_config_from_a_file(tmp_path):
    pyproject(tmp_path, "")
    (tmp_path / "x.py").write_text("")
    assert find_config(tmp_path / "x.py") == tmp_path / "pyproject.toml"


def test_find_config_none(tmp_path):
    empty = tmp_path / "a" / "b"
    empty.mkdir(parents=True)
    if find_config(tmp_path) is None:  # the temp dir's ancestors hold no configuration
        assert find_config(empty) is None
        assert load_config(start=empty) is None


def test_find_config_claims_broken_pyproject_mentioning_dssync(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.dssync\ngithub = 'a/b'\n")
    (tmp_path / "sub").mkdir()
    assert find_config(tmp_path / "sub") == tmp_path / "pyproject.toml"
    with pytest.raises(ConfigError, match=r"pyproject.toml:1:\d+: "):
        load_config(start=tmp_path / "sub")


def test_load_config_dir_without_config(tmp_path):
    assert "no dssync configuration" in error_of(tmp_path)


# -- file_for --------------------------------------------------------------------------------


def test_file_for(tmp_path):
    config = load_config(write(tmp_path, "pyproject.toml", FULL))
    vendored = "vendored/deepspeed/runtime/constants.py"
    assert config.file_for(vendored).upstream == "deepspeed/runtime/constants.py"
    assert config.file_for(Path(vendored)).vendored == vendored
    assert config.file_for("./vendored/deepspeed/runtime/../runtime/constants.py").vendored == vendored
    assert config.file_for(tmp_path / vendored).vendored == vendored
    with pytest.raises(ConfigError, match="is not a configured vendored file") as info:
        config.file_for("vendored/other.py")
    assert "[[tool.dssync.files]]" in str(info.value)
    with pytest.raises(ConfigError):
        config.file_for(tmp_path.parent / vendored)


def test_file_for_through_symlinked_root(tmp_path):
    real = tmp_path / "real"
    pyproject(real, "")
    alias = tmp_path / "alias"
    alias.symlink_to(real, target_is_directory=True)
    config = load_config(real / "pyproject.toml")
    entry = config.file_for(alias / "vendored/deepspeed/runtime/constants.py")
    assert entry.upstream == "deepspeed/runtime/constants.py"


def test_file_for_relative_to_current_directory(tmp_path, monkeypatch):
    config = load_config(pyproject(tmp_path, ""))
    (tmp_path / "vendored" / "deepspeed").mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path / "vendored" / "deepspeed")
    assert config.file_for("runtime/constants.py").upstream == "deepspeed/runtime/constants.py"
    with pytest.raises(ConfigError):
        config.file_for("constants.py")


# --- the deadline of one download -------------------------------------------------------------


def test_download_timeout_is_read_and_reaches_the_sources(tmp_path):
    from dssync._source.interface import DEFAULT_DOWNLOAD_TIMEOUT
    from dssync.api import Project, UpstreamOptions

    config = load_config(pyproject(tmp_path, "download-timeout = 600\n"))
    assert config.download_timeout == 600.0
    base = UpstreamOptions(use_cache=False)
    assert Project(config, base).context().download_timeout == 600.0
    assert Project(config, UpstreamOptions(use_cache=False, download_timeout=12.5)
                   ).context().download_timeout == 12.5
    assert Project(None, base).context().download_timeout == \
        DEFAULT_DOWNLOAD_TIMEOUT == 300.0
    assert load_config(pyproject(tmp_path / "other", "")).download_timeout is None


@pytest.mark.parametrize("value, fragment", [
    ("true", "expected a number of seconds, got boolean"),
    ('"300"', "expected a number of seconds, got string"),
    ("0", "must be a positive number"),
    ("-5.5", "must be a positive number"),
    ("inf", "must be a positive number"),
])
def test_bad_download_timeout(tmp_path, value, fragment):
    with pytest.raises(ConfigError, match="download-timeout") as caught:
        load_config(pyproject(tmp_path, f"download-timeout = {value}\n"))
    assert fragment in str(caught.value)


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_bad_download_timeout_option_is_a_usage_error(value, capsys):
    from dssync.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["diff", "--tag", "v1", "--download-timeout", value])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "--download-timeout" in err, err
