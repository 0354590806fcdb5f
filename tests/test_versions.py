from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from tests.gitrepo import make_repo

from dssync.cli import main
from dssync.errors import ConfigError, DssyncError
from dssync.versions import (
    latest_tag,
    nearest_tags,
    prerelease_tags,
    release_version,
    sort_tags_newest_first,
    tag_to_version,
    version_to_tag,
)


@pytest.mark.parametrize(
    "tag, fmt, expected",
    [
        ("v0.14.2", "v{version}", "0.14.2"),
        ("0.14.2", "{version}", "0.14.2"),
        ("release-1.0-final", "release-{version}-final", "1.0"),
        ("0.14.2", "v{version}", None),
        ("v", "v{version}", None),
        ("release-1.0", "release-{version}-final", None),
        ("nightly", "v{version}", None),
    ],
)
def test_tag_to_version(tag, fmt, expected):
    assert tag_to_version(tag, fmt) == expected


def test_version_to_tag_round_trips():
    assert version_to_tag("0.9.0", "v{version}") == "v0.9.0"
    assert version_to_tag("2.0", "pkg-{version}") == "pkg-2.0"
    assert tag_to_version(version_to_tag("1.2rc1", "x{version}y"), "x{version}y") == "1.2rc1"


@pytest.mark.parametrize("fmt", ["v", "{version}-{version}", "v{ver}"])
def test_tag_format_needs_exactly_one_placeholder(fmt):
    with pytest.raises(ConfigError) as info:
        tag_to_version("v1.0", fmt)
    assert "{version}" in str(info.value)
    assert isinstance(info.value, DssyncError)


def test_release_version():
    assert release_version("v0.10.0") == Version("0.10.0")
    assert release_version("v1.0rc1") == Version("1.0rc1")
    assert release_version("vnot-a-version") is None
    assert release_version("nightly") is None
    assert release_version("0.9.0") is None  # does not fit v{version}
    assert release_version("0.9.0", "{version}") == Version("0.9.0")


TAGS = [
    "v0.9.0", "v0.10.0", "v0.10.0rc1", "nightly", "v0.10.0.post1", "v0.10.0.dev3",
    "latest", "v1.0.0a1", "v0.2.0",
]


def test_sort_newest_first_by_pep440_with_non_versions_last():
    assert sort_tags_newest_first(TAGS, "v{version}") == [
        "v1.0.0a1", "v0.10.0.post1", "v0.10.0", "v0.10.0rc1", "v0.10.0.dev3", "v0.9.0",
        "v0.2.0", "latest", "nightly",
    ]


def test_sort_without_prereleases_drops_pre_and_dev_releases():
    assert sort_tags_newest_first(TAGS, "v{version}", include_prereleases=False) == [
        "v0.10.0.post1", "v0.10.0", "v0.9.0", "v0.2.0", "latest", "nightly",
    ]


def test_sort_is_numeric_not_lexicographic():
    assert sort_tags_newest_first(["v0.9.0", "v0.10.0", "v0.1.0"]) == [
        "v0.10.0", "v0.9.0", "v0.1.0"]


def test_sort_equal_versions_is_stable_by_name():
    assert sort_tags_newest_first(["v1.0.0", "v1.0", "v0.5"]) == ["v1.0", "v1.0.0", "v0.5"]
    assert sort_tags_newest_first(["v1.0", "v1.0.0", "v0.5"]) == ["v1.0", "v1.0.0", "v0.5"]


def test_latest_tag_excludes_prereleases_unless_asked():
    assert latest_tag(TAGS, "v{version}") == "v0.10.0.post1"
    assert latest_tag(TAGS, "v{version}", include_prereleases=True) == "v1.0.0a1"
    assert latest_tag(["v0.9.0", "v0.10.0"]) == "v0.10.0"


def test_latest_tag_none_when_nothing_qualifies():
    assert latest_tag(["v1.0rc1", "v1.1.dev0"]) is None
    assert latest_tag(["v1.0rc1", "v1.1.dev0"], include_prereleases=True) == "v1.1.dev0"
    assert latest_tag(["nightly", "latest"]) is None
    assert latest_tag([]) is None


def test_latest_tag_honours_format():
    tags = ["v9.0.0", "1.0.0", "0.5.0"]
    assert latest_tag(tags, "{version}") == "v9.0.0"  # PEP 440 accepts a leading v
    assert latest_tag(tags, "v{version}") == "v9.0.0"
    assert latest_tag(["release-1.0", "release-2.0", "v3.0"], "release-{version}") == "release-2.0"


def test_nearest_tags_by_version_distance():
    tags = ["v0.8.0", "v0.9.0", "v0.9.4", "v0.9.6", "v0.10.0", "nightly"]
    assert nearest_tags("v0.9.5", tags) == ["v0.9.4", "v0.9.6", "v0.9.0"]
    assert nearest_tags("v0.11.0", tags, n=2) == ["v0.10.0", "v0.9.0"]


def test_nearest_tags_finds_the_tag_for_a_bare_version():
    assert nearest_tags("0.9.4", ["v0.9.0", "v0.9.4", "v0.9.6"], n=1) == ["v0.9.4"]


def test_nearest_tags_prefers_final_releases_on_ties():
    assert nearest_tags("v1.1.0", ["v1.2.0rc1", "v1.2.0", "v1.0.0"], n=3)[:2] == [
        "v1.0.0", "v1.2.0"]


def test_nearest_tags_falls_back_to_names():
    assert nearest_tags("nightlly", ["nightly", "latest", "v1.0.0"]) == ["nightly"]
    assert nearest_tags("v1.0.0", ["release_one", "nightly-v1.0.0"]) == ["nightly-v1.0.0"]


def test_nearest_tags_edge_cases():
    assert nearest_tags("v1.0", []) == []
    assert nearest_tags("v1.0", ["v1.0"], n=0) == []
    assert nearest_tags("zzz", ["abc"]) == []


versions_st = st.builds(
    lambda parts, pre: "v" + ".".join(map(str, parts)) + pre,
    st.lists(st.integers(0, 30), min_size=1, max_size=4),
    st.sampled_from(["", "rc1", "a2", ".dev0", ".post1", "b1"]),
)
tags_st = st.lists(st.one_of(versions_st, st.sampled_from(["nightly", "latest", "vX"])),
                   max_size=30)


@settings(max_examples=200, deadline=None)
@given(tags_st)
def test_sort_properties(tags):
    ordered = sort_tags_newest_first(tags)
    assert sorted(ordered) == sorted(tags)
    parsed = [release_version(t) for t in ordered]
    versions = [v for v in parsed if v is not None]
    assert versions == sorted(versions, reverse=True)
    first_other = next((i for i, v in enumerate(parsed) if v is None), len(parsed))
    assert all(v is None for v in parsed[first_other:])
    latest = latest_tag(tags)
    finals = [v for v in versions if not v.is_prerelease]
    assert (latest is None) == (not finals)
    if finals:
        assert release_version(latest) == max(finals)


def test_prerelease_tags_are_the_ones_pep_440_leaves_out():
    assert prerelease_tags(TAGS) == ["v1.0.0a1", "v0.10.0rc1", "v0.10.0.dev3"]
    assert prerelease_tags(["v0.3.1", "v0.3.1.dev8", "v0.3.1.dev10", "v0.3.1.post1.dev1"]) == [
        "v0.3.1.post1.dev1", "v0.3.1.dev10", "v0.3.1.dev8"]


# --- the command line ----------------------------------------------------------------------

# DeepSpeed's index lists v0.3.1.dev1 .. dev8 below v0.3.1; a project may also tag an alpha of
# the next release before it is out, and a tag that names no release at all.
CLI_TAGS = ["v0.3.0", *(f"v0.3.1.dev{i}" for i in range(1, 9)), "v0.3.1rc1", "v0.3.1",
            "v0.4.0a1", "nightly"]


@pytest.fixture(scope="module")
def tagged_repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("tags")
    make_repo(root / "up", [(tag, {"pkg/constants.py": f"VERSION = {tag!r}\n".encode()})
                            for tag in CLI_TAGS])
    return root


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tags_lists_releases_only_unless_prereleases_are_asked_for(tagged_repo, capsys, monkeypatch):
    monkeypatch.chdir(tagged_repo)  # no configuration here
    source = ("--source", f"git:{tagged_repo / 'up'}", "--no-cache")
    code, out, err = run_cli(capsys, "tags", *source)
    assert code == 0
    assert out.split() == ["v0.3.1", "v0.3.0", "nightly"]
    assert err == ("dssync: 10 pre- or development release tags not listed (newest v0.4.0a1); "
                   "--prereleases lists them\n")
    code, out, err = run_cli(capsys, "tags", *source, "--prereleases")
    assert out.split() == ["v0.4.0a1", "v0.3.1", "v0.3.1rc1", *(f"v0.3.1.dev{i}" for i in range(8, 0, -1)),
                           "v0.3.0", "nightly"]
    assert err == ""
    code, out, _ = run_cli(capsys, "tags", *source, "--limit", "1")
    assert out == "v0.3.1\n"


def test_the_configuration_key_lets_prereleases_in(tagged_repo, capsys, monkeypatch):
    project = tagged_repo / "project"
    (project / "vendored").mkdir(parents=True, exist_ok=True)
    (project / "vendored" / "constants.py").write_text("VERSION = 'v0.3.0'\n", encoding="utf-8")
    config = (f'[tool.dssync]\nsources = ["git:{(tagged_repo / "up").as_posix()}"]\n'
              '[[tool.dssync.files]]\nvendored = "vendored/constants.py"\nupstream = "pkg/constants.py"\n')
    (project / "pyproject.toml").write_text(config, encoding="utf-8")
    monkeypatch.chdir(project)
    code, out, _ = run_cli(capsys, "diff", "--tag", "latest", "--no-cache")
    assert code == 1 and "VERSION: 'v0.3.0' -> 'v0.3.1'" in out  # never the alpha or a dev release
    assert run_cli(capsys, "tags", "--no-cache")[1].split()[0] == "v0.3.1"
    (project / "pyproject.toml").write_text(config.replace("[tool.dssync]\n", "[tool.dssync]\nprereleases = true\n"),
                                            encoding="utf-8")
    code, out, _ = run_cli(capsys, "diff", "--tag", "latest", "--no-cache")
    assert "VERSION: 'v0.3.0' -> 'v0.4.0a1'" in out
    assert run_cli(capsys, "tags", "--no-cache")[1].split()[:2] == ["v0.4.0a1", "v0.3.1"]
