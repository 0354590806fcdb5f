"""Several upstreams in one project (issue 18): ``[[tool.dssync.upstreams]]``, ``--upstream
NAME``, the tag rule, one lock recording every upstream's files, and every command across them.

The world: ``alpha`` on a loopback package index (releases 1.0 and 2.0) and ``beta`` in a real
git repository (tags v1.0 and v2.0), vendored side by side in one project.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from gitrepo import make_repo
from servers.index_server import FakeIndex, make_sdist
from test_cache_integrity import cli
from test_schemas import valid

from dssync.config import load_config
from dssync.errors import ConfigError

ALPHA_V1 = b'"""Alpha."""\nSIZE = 1\nNAME = "alpha"\n'
ALPHA_V2 = b'"""Alpha."""\nSIZE = 2\nNAME = "alpha"\nNEW = True\n'
BETA_V1 = b'"""Beta."""\nRETRIES = 3\nMODE = "fast"\n'
BETA_V2 = b'"""Beta."""\nRETRIES = 5\n'
LICENSE = b"Beta's license.\n"


def write_config(project: Path, index: FakeIndex, git_url: str, *, extra: str = "") -> None:
    project.mkdir(parents=True, exist_ok=True)
    (project / "dssync.toml").write_text(f'''\
lock = "dssync.lock"
index-url = "{index.url}"
{extra}
[[upstreams]]
name = "alpha"
package = "alpha"
sources = ["pypi"]
tag-format = "{{version}}"

[[upstreams.files]]
vendored = "vendor/alpha/constants.py"
upstream = "alpha/constants.py"

[[upstreams]]
name = "beta"
sources = ["git:{git_url}"]
tag-format = "v{{version}}"
license = {{ upstream = "LICENSE", vendored = "vendor/beta/LICENSE" }}

[[upstreams.files]]
vendored = "vendor/beta/settings.py"
upstream = "beta/settings.py"
''')


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("upstreams")
    with FakeIndex() as index:
        for version, content in (("1.0", ALPHA_V1), ("2.0", ALPHA_V2)):
            index.add_file("alpha", *make_sdist("alpha", version,
                                                {"alpha/constants.py": content}))
        repo = make_repo(tmp / "beta-git", [
            ("v1.0", {"beta/settings.py": BETA_V1, "LICENSE": LICENSE}),
            ("v2.0", {"beta/settings.py": BETA_V2, "LICENSE": LICENSE}),
        ])
        synced, cache = tmp / "synced", tmp / "cache"
        write_config(synced, index, repo.url)
        for name in ("alpha", "beta"):
            code, out, err = cli(synced, "vendor", "--tag", "v1.0" if name == "beta" else "1.0",
                                 "--upstream", name, "--cache-dir", str(cache))
            assert code == 0, err
        yield {"index": index, "git": repo.url, "synced": synced, "cache": cache}


@pytest.fixture
def project(world, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(world["synced"], root)
    cache = tmp_path / "cache"
    shutil.copytree(world["cache"], cache)
    return root, ["--cache-dir", str(cache)]


# --- the configuration -----------------------------------------------------------------------


def test_the_lock_names_each_entrys_upstream(world):
    lock = json.loads((world["synced"] / "dssync.lock").read_text())
    assert lock["schema"] == "dssync.lock/2"
    named = {f["vendored"]: (f["upstream_name"], f["tag"]) for f in lock["files"]}
    assert named == {"vendor/alpha/constants.py": ("alpha", "1.0"),
                     "vendor/beta/settings.py": ("beta", "v1.0"),
                     "vendor/beta/LICENSE": ("beta", "v1.0")}


def test_each_upstream_is_a_whole_configuration_sharing_the_top_keys(world):
    config = load_config(world["synced"] / "dssync.toml")
    assert config.several and [v.name for v in config.views()] == ["alpha", "beta"]
    alpha, beta = config.views()
    assert alpha.source_specs() == ["pypi:alpha"] and alpha.tag_format == "{version}"
    assert beta.source_specs() == [f"git:{world['git']}"]
    assert alpha.index_url == beta.index_url == world["index"].url
    assert alpha.lock == beta.lock == config.lock == "dssync.lock"
    assert beta.license is not None and alpha.license is None
    assert config.upstream_of("vendor/beta/settings.py") is beta
    assert config.file_for("vendor/alpha/constants.py").upstream == "alpha/constants.py"


def _config_error(tmp_path: Path, text: str) -> str:
    (tmp_path / "dssync.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "dssync.toml")
    return str(info.value)


UPSTREAM = '[[upstreams]]\nname = "{name}"\npackage = "{name}"\n' \
           '[[upstreams.files]]\nvendored = "v/{name}.py"\nupstream = "{name}.py"\n'


@pytest.mark.parametrize("text, fragment", [
    ('package = "a"\n' + UPSTREAM.format(name="a"),
     "package: cannot stand beside [[upstreams]]"),
    (UPSTREAM.format(name="a") + '[[upstreams]]\npackage = "b"\n[[upstreams.files]]\n'
     'vendored = "v/b.py"\nupstream = "b.py"\n',
     "upstreams[1].name: missing: several upstreams need a name each"),
    (UPSTREAM.format(name="a") + UPSTREAM.format(name="a"),
     "upstreams[1].name: 'a' is already the name of upstreams[0]"),
    (UPSTREAM.format(name="a b"), "upstreams[0].name: 'a b' is not a usable upstream name"),
    (UPSTREAM.format(name="a").replace('package = "a"\n', 'package = "a"\nlock = "x"\n'),
     "upstreams[0].lock: unknown key"),
    (UPSTREAM.format(name="a") + UPSTREAM.format(name="b").replace("v/b.py", "v/a.py"),
     "v/a.py is configured for both a and b"),
    ("upstreams = []\n", "upstreams: is empty"),
    ('[[upstreams]]\nname = "a"\npackage = "a"\n', "upstreams[0].files: no files are configured"),
])
def test_a_bad_upstreams_table_is_one_line_naming_the_key(tmp_path, text, fragment):
    message = _config_error(tmp_path, text)
    assert fragment in message and "\n" not in message, message


def test_one_listed_upstream_is_the_single_upstream_form(tmp_path):
    (tmp_path / "dssync.toml").write_text(UPSTREAM.format(name="solo"))
    config = load_config(tmp_path / "dssync.toml")
    assert not config.several and config.name == "solo" and config.views() == (config,)


def test_the_single_upstream_form_is_named_by_its_package_else_its_repository(tmp_path):
    entry = '[[files]]\nvendored = "v.py"\nupstream = "u.py"\n'
    (tmp_path / "dssync.toml").write_text('package = "deepspeed"\ngithub = "microsoft/DeepSpeed"\n'
                                          + entry)
    assert load_config(tmp_path / "dssync.toml").name == "deepspeed"
    (tmp_path / "dssync.toml").write_text('github = "microsoft/DeepSpeed"\n' + entry)
    assert load_config(tmp_path / "dssync.toml").name == "DeepSpeed"


# --- commands across every upstream, or one ---------------------------------------------------


def test_status_is_clean_across_upstreams_and_grouped(project):
    root, cache = project
    code, out, err = cli(root, "status", *cache)
    assert code == 0, err
    assert out.splitlines() == [
        "upstream alpha:",
        "vendor/alpha/constants.py: ok, as synced at 1.0 from pypi:alpha",
        "upstream beta:",
        f"vendor/beta/settings.py: ok, as synced at v1.0 from {_beta_source(root)}",
        f"vendor/beta/LICENSE (the LICENSE copy): ok, as synced at v1.0 from {_beta_source(root)}",
        "3 files: 3 match the lock, 0 differ",
    ]
    code, out, _ = cli(root, "status", "--upstream", "beta", "--format", "json", *cache)
    doc = json.loads(out)
    assert code == 0 and {f["upstream_name"] for f in doc["files"]} == {"beta"}


def _beta_source(root: Path) -> str:
    return load_config(root / "dssync.toml").upstream_named("beta").source_specs()[0]


def test_status_names_an_edit_in_either_upstream(project):
    root, cache = project
    path = root / "vendor/beta/settings.py"
    path.write_bytes(path.read_bytes().replace(b"RETRIES = 3", b"RETRIES = 4"))
    code, out, _ = cli(root, "status", *cache)
    assert code == 1
    assert "vendor/beta/settings.py: modified since v1.0" in out
    assert "    ~ RETRIES: 3 -> 4  (line 2)" in out


def test_diff_latest_reads_each_upstreams_latest(project):
    root, cache = project
    code, out, err = cli(root, "diff", "--tag", "latest", *cache)
    assert code == 1, err
    assert "upstream alpha at 2.0" in out and "upstream beta at v2.0" in out
    assert out.index("vendor/alpha/constants.py vs") < out.index("vendor/beta/settings.py vs")
    assert out.rstrip().splitlines()[-1].startswith("2 of 2 files drifted in 2 upstreams:")


def test_an_explicit_tag_with_several_upstreams_needs_upstream(project):
    root, cache = project
    for command in ("diff", "update", "vendor", "impact"):
        code, out, err = cli(root, command, "--tag", "2.0", *cache)
        assert code == 2 and out == "", (command, err)
        [line] = err.splitlines()
        assert f"{command} --tag 2.0: several upstreams are configured (alpha, beta)" in line
        assert "--upstream NAME" in line and "--tag latest" in line


def test_upstream_narrows_every_command_to_one(project):
    root, cache = project
    code, out, err = cli(root, "diff", "--tag", "2.0", "--upstream", "alpha", *cache)
    assert code == 1, err
    assert "vendor/alpha/constants.py" in out and "vendor/beta" not in out
    code, out, err = cli(root, "tags", "--upstream", "beta", *cache)
    assert (code, out) == (0, "v2.0\nv1.0\n"), err
    code, out, err = cli(root, "tags", *cache)
    assert out == "upstream alpha:\n  2.0\n  1.0\nupstream beta:\n  v2.0\n  v1.0\n", err
    code, _, err = cli(root, "diff", "--tag", "latest", "--upstream", "gamma", *cache)
    assert code == 2 and "no upstream is named 'gamma'" in err and "alpha, beta" in err


def test_a_file_named_picks_its_upstream(project):
    root, cache = project
    code, out, err = cli(root, "diff", "--tag", "latest", "vendor/beta/settings.py", *cache)
    assert code == 1, err
    assert "vendor/beta/settings.py" in out and "alpha" not in out
    code, out, err = cli(root, "history", "vendor/beta/settings.py", *cache)
    assert code == 0 and "RETRIES" in out and "SIZE" not in out, err
    code, out, err = cli(root, "identify", "vendor/beta/settings.py", *cache)
    assert code == 0 and "exact match" in out and "alpha" not in out, err


def test_history_and_identify_read_each_upstreams_releases(project):
    root, cache = project
    code, out, err = cli(root, "history", *cache)
    assert code == 0, err
    alpha, beta = out.split("upstream beta:\n")
    assert alpha.startswith("upstream alpha:\n  upstream pypi:alpha: ")
    assert "SIZE" in alpha and "RETRIES" not in alpha
    assert beta.startswith("  upstream git:") and "RETRIES" in beta and "SIZE" not in beta
    code, out, err = cli(root, "history", "--format", "json", *cache)
    assert code == 0, err
    doc = valid("history", out)
    assert [u["name"] for u in doc["upstreams"]] == ["alpha", "beta"]
    assert doc["upstreams"][0]["source"] == "pypi:alpha"
    code, _, err = cli(root, "history", "--format", "html", *cache)
    assert code == 2 and "history --format html draws one upstream's timeline" in err
    # Each copy was vendored at its upstream's first release, unchanged: both exact.
    code, out, err = cli(root, "identify", *cache)
    assert code == 0, err
    assert out.startswith("upstream alpha:\n") and "\nupstream beta:\n" in out
    code, out, err = cli(root, "identify", "--format", "json", *cache)
    assert code == 0, err
    doc = valid("identify", out)
    assert [(u["name"], [f["match"]["tags"] for f in u["files"]]) for u in doc["upstreams"]] \
        == [("alpha", [["1.0"]]), ("beta", [["v1.0"]])]
    # One copy edited: identify finds only a closest match across the upstreams, exit 1.
    settings = root / "vendor/beta/settings.py"
    settings.write_bytes(settings.read_bytes().replace(b"RETRIES = 3", b"RETRIES = 4"))
    code, out, err = cli(root, "identify", *cache)
    assert code == 1, err


def test_a_file_of_another_upstream_is_named_as_such(project):
    root, cache = project
    code, out, err = cli(root, "status", "--upstream", "alpha", "vendor/beta/settings.py", *cache)
    assert code == 2 and out == "", err
    [line] = err.splitlines()
    assert "vendor/beta/settings.py belongs to upstream beta, not alpha" in line
    assert "drop --upstream, or name beta" in line


@pytest.mark.parametrize("where, files_key", [("dssync.toml", "[[upstreams.files]]"),
                                              ("pyproject.toml", "[[tool.dssync.upstreams.files]]")])
def test_an_unconfigured_file_gets_the_key_of_its_table(project, where, files_key):
    root, cache = project
    if where == "pyproject.toml":
        text = (root / "dssync.toml").read_text()
        (root / "dssync.toml").unlink()
        # Every table of dssync.toml, moved under [tool.dssync].
        lines = ["[tool.dssync]"] + [
            line.replace("[[upstreams", "[[tool.dssync.upstreams") for line in text.splitlines()]
        (root / "pyproject.toml").write_text("\n".join(lines) + "\n")
    (root / "vendor" / "stray.py").write_text("X = 1\n")
    code, _, err = cli(root, "status", "vendor/stray.py", *cache)
    assert code == 2, err
    [line] = err.splitlines()
    assert f"vendor/stray.py is not a configured vendored file; add a {files_key} entry" in line
    assert "top level of" not in line


def test_the_single_upstream_form_names_its_files_table(tmp_path):
    (tmp_path / "dssync.toml").write_text('package = "alpha"\n[[files]]\nvendored = "a.py"\n'
                                          'upstream = "alpha/a.py"\n')
    config = load_config(tmp_path / "dssync.toml")
    assert config is not None
    with pytest.raises(ConfigError, match=r"add a \[\[files\]\] entry for it"):
        config.file_for("b.py")


def test_source_with_several_upstreams_needs_upstream(project):
    root, cache = project
    code, _, err = cli(root, "diff", "--tag", "latest", "--source", "pypi:alpha", *cache)
    assert code == 2 and "--source with several upstreams configured needs --upstream" in err


def test_update_latest_brings_each_upstream_to_its_latest_and_records_them(project):
    root, cache = project
    code, out, err = cli(root, "update", "--tag", "latest", *cache)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "upstream alpha at 2.0:"
    assert "upstream beta at v2.0:" in lines
    assert lines[-1] == "updated: dssync.lock"
    assert (root / "vendor/alpha/constants.py").read_bytes() == ALPHA_V2
    assert (root / "vendor/beta/settings.py").read_bytes() == BETA_V2
    lock = json.loads((root / "dssync.lock").read_text())
    assert {f["vendored"]: (f["upstream_name"], f["tag"]) for f in lock["files"]} == {
        "vendor/alpha/constants.py": ("alpha", "2.0"),
        "vendor/beta/settings.py": ("beta", "v2.0"),
        "vendor/beta/LICENSE": ("beta", "v2.0")}
    code, out, err = cli(root, "status", *cache)
    assert code == 0, out + err


def test_update_of_one_upstream_keeps_the_others_lock_entries(project):
    root, cache = project
    before = json.loads((root / "dssync.lock").read_text())["files"]
    code, _, err = cli(root, "update", "--tag", "v2.0", "--upstream", "beta", *cache)
    assert code == 0, err
    after = {f["vendored"]: f for f in json.loads((root / "dssync.lock").read_text())["files"]}
    alpha = [f for f in before if f["upstream_name"] == "alpha"]
    assert [after[f["vendored"]] for f in alpha] == alpha
    assert after["vendor/beta/settings.py"]["tag"] == "v2.0"


def test_a_version_1_lock_is_read_and_upgraded_on_the_next_write(project):
    root, cache = project
    path = root / "dssync.lock"
    doc = json.loads(path.read_text())
    for entry in doc["files"]:
        del entry["upstream_name"]
    doc["schema"] = "dssync.lock/1"
    path.write_text(json.dumps(doc, indent=2) + "\n")
    code, out, err = cli(root, "status", *cache)
    assert code == 0, out + err
    assert json.loads(path.read_text())["schema"] == "dssync.lock/1"  # reading writes nothing
    code, _, err = cli(root, "update", "--tag", "1.0", "--upstream", "alpha", *cache)
    assert code == 0, err
    upgraded = json.loads(path.read_text())
    assert upgraded["schema"] == "dssync.lock/2"
    assert {f["vendored"]: f["upstream_name"] for f in upgraded["files"]} == {
        "vendor/alpha/constants.py": "alpha", "vendor/beta/settings.py": "beta",
        "vendor/beta/LICENSE": "beta"}


# --- reports grouped by upstream, in every format ------------------------------------------------


def _report(project, fmt: str) -> str:
    root, cache = project
    code, out, err = cli(root, "diff", "--tag", "latest", "--format", fmt, *cache)
    assert code == 1, err
    return out


def test_text_report_has_a_section_per_upstream(project):
    out = _report(project, "text")
    alpha, beta = out.index("upstream alpha at 2.0\n"), out.index("upstream beta at v2.0\n")
    assert alpha < out.index("vendor/alpha/constants.py vs") < beta \
        < out.index("vendor/beta/settings.py vs")
    assert "alpha: 1 of 1 file drifted: 1 added, 0 removed, 1 changed, 0 moved" in out
    assert "beta: 1 of 1 file drifted: 0 added, 1 removed, 1 changed, 0 moved" in out
    assert "note: alpha:" not in out  # each note stands in its own upstream's section


def test_markdown_report_has_a_section_per_upstream(project):
    out = _report(project, "markdown")
    assert out.startswith("# dssync drift report\n")  # the upstreams' tags differ
    headings = [line for line in out.splitlines() if line.startswith("#")]
    assert headings == ["# dssync drift report", "## Upstream `alpha` at `2.0`",
                        "### `vendor/alpha/constants.py`", "#### Added upstream (1)",
                        "#### Changed (1)", "## Upstream `beta` at `v2.0`",
                        "### `vendor/beta/settings.py`", "#### Removed upstream (1)",
                        "#### Changed (1)"]


def test_annotations_name_the_upstream(project):
    out = _report(project, "github")
    titles = [line.split("title=")[1].split("::")[0].replace("%3A", ":")
              for line in out.splitlines() if line.startswith(("::warning", "::notice"))]
    assert titles == ["alpha: Constant value changed upstream: SIZE",
                      "beta: Constant value changed upstream: RETRIES",
                      "beta: Constant removed upstream: MODE",
                      "alpha: Constant added upstream: NEW"]
    assert out.splitlines()[-3:] == [
        "alpha: 1 of 1 file drifted: 1 added, 0 removed, 1 changed, 0 moved",
        "beta: 1 of 1 file drifted: 0 added, 1 removed, 1 changed, 0 moved",
        "2 of 2 files drifted in 2 upstreams: 1 added, 1 removed, 2 changed, 0 moved"]


def test_sarif_report_is_one_run_grouped_in_its_properties(project):
    doc = json.loads(_report(project, "sarif"))
    [run] = doc["runs"]
    assert [(u["name"], u["tag"]) for u in run["properties"]["upstreams"]] == [
        ("alpha", "2.0"), ("beta", "v2.0")]
    assert {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["properties"]["upstream"]) for r in run["results"]} == {
        ("vendor/alpha/constants.py", "alpha"), ("vendor/beta/settings.py", "beta")}
    assert [f["upstream_name"] for f in run["properties"]["files"]] == ["alpha", "beta"]
    from test_format_sarif import _errors, _published_schema

    published = _published_schema()
    if published is not None:
        from jsonschema.validators import validator_for

        assert _errors(validator_for(published[1])(published[1]), doc) == []


def test_html_report_has_a_section_per_upstream(project):
    out = _report(project, "html")
    alpha = out.index('<section class="upstream" id="upstream-alpha">')
    beta = out.index('<section class="upstream" id="upstream-beta">')
    assert alpha < out.index('<h3 class="file"><code class="path">vendor/<wbr>alpha/') < beta
    assert '<h2 class="upstream">Upstream beta at v2.0</h2>' in out
    assert out.count('id="file-') == 2 and 'id="file-2"' in out[beta:]


def test_write_reports_names_the_set_by_each_upstreams_tag(project):
    root, cache = project
    code, _, err = cli(root, "diff", "--tag", "latest", "--write-reports", *cache)
    assert code == 1
    assert err == ("dssync: wrote drift-alpha-2.0_beta-v2.0.md, drift-alpha-2.0_beta-v2.0.json, "
                   "drift-alpha-2.0_beta-v2.0.sarif, drift-alpha-2.0_beta-v2.0.html to reports/\n")


def test_the_api_asks_which_upstream_for_what_reads_one(world):
    from dssync import api

    project = api.Project.load(world["synced"])
    assert [u.name for u in project.upstreams] == ["alpha", "beta"]
    with pytest.raises(ConfigError, match="tags reads one upstream's releases"):
        api.tags(project)
    assert project.only("beta").upstream.name == "beta" and not project.only("beta").several


def test_every_upstream_of_a_run_shares_its_cache_and_lock(world, tmp_path):
    from dssync import api

    project = api.Project.load(world["synced"],
                               options=api.UpstreamOptions(cache_dir=tmp_path / "cache"))
    alpha, beta = project.each()
    # Made on first use by either upstream, then the same object for the run.
    assert alpha.cache is beta.cache is project.cache
    assert beta.lock() is alpha.lock() is project.lock()
    assert project.only("beta").only("beta").cache is project.cache


def test_a_lock_written_through_one_upstream_is_the_one_every_upstream_reads(project):
    from dssync import api

    root, cache = project
    whole = api.Project.load(root, options=api.UpstreamOptions(cache_dir=Path(cache[1])))
    beta = whole.only("beta")
    assert beta.lock().get("vendor/beta/settings.py").tag == "v1.0"
    api.apply_update(beta, api.UpdateOptions(tag="v2.0"))
    for asked in (beta, whole, whole.only("alpha")):
        assert asked.lock().get("vendor/beta/settings.py").tag == "v2.0"
    alpha = whole.only("alpha")
    api.vendor(alpha, api.VendorOptions(tag="2.0"))
    assert beta.lock().get("vendor/alpha/constants.py").tag == "2.0"


def test_a_file_no_upstream_holds_is_named_when_files_are_split(world):
    from dssync import api

    project = api.Project.load(world["synced"])
    with pytest.raises(ConfigError, match="vendor/stray.py is not a configured vendored file"):
        project.split(["vendor/alpha/constants.py", "vendor/stray.py"])


def test_vendor_latest_fetches_every_upstream_before_writing_any(project, world):
    root, cache = project
    before = {p: p.read_bytes() for p in (root / "vendor").rglob("*") if p.is_file()}
    lock = (root / "dssync.lock").read_bytes()
    toml = root / "dssync.toml"
    toml.write_text(toml.read_text().replace('upstream = "beta/settings.py"',
                                             'upstream = "beta/missing.py"'))
    code, out, err = cli(root, "vendor", "--tag", "latest", *cache)
    assert code == 2 and out == "" and "beta/missing.py" in err, err
    # alpha's file was fetched, but nothing is written unless every upstream's can be.
    assert {p: p.read_bytes() for p in (root / "vendor").rglob("*") if p.is_file()} == before
    assert (root / "dssync.lock").read_bytes() == lock
