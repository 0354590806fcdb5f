"""dssync init: adopt vendored copies that are already there, against a loopback package index.

The fixture project vendors, in the ways real projects do:

- ``src/app/_vendor/`` (pip's way): ``widgets`` pinned in ``vendor.txt``, ``gadgets`` saying its
  ``__version__`` (upstream moved it under ``src/`` at 2.0), ``oddments`` with a local edit and
  no hint, ``helpers`` (the project's own code, not on the index) and ``assets`` (no Python);
- ``third_party/Engine/engine/`` (FlexLLMGen's way): two constants modules of a big project,
  without the package's ``__init__.py``, and no hint: 40 releases to search.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

from dssync._init.search import search, spread
from dssync.cli import main
from tests.servers.index_server import FakeIndex
from tests.test_schemas import valid

ENGINE_RELEASES = 40
ENGINE_VENDORED = 23  # the release the copy under third_party/ is


def engine_files(n: int) -> dict[str, bytes]:
    """Release 1.n.0 of the imaginary engine: each release adds a constant and changes one, so a
    copy is further from a release the further apart they are."""
    runtime = "".join(f"STEP_{i} = {i * 10}\n" for i in range(n + 1))
    return {
        "engine/__init__.py": b"from engine.constants import *\n",
        "engine/constants.py": f'ENGINE_NAME = "engine"\nGENERATION = {n}\n'.encode(),
        "engine/runtime/constants.py": f"# runtime settings\n{runtime}".encode(),
        "engine/runtime/engine.py": b"def run():\n    return 0\n",
    }


def widgets_files(version: str) -> dict[str, bytes]:
    return {"widgets/__init__.py": f'"""widgets"""\n__version__ = "{version}"\n'.encode(),
            "widgets/constants.py": f'SIZE = {version.split(".")[1]}\nKIND = "w"\n'.encode()}


def gadgets_files(version: str) -> dict[str, bytes]:
    prefix = "src/" if version >= "2.0" else ""
    return {f"{prefix}gadgets/__init__.py": b"",
            f"{prefix}gadgets/_version.py": f'__version__ = "{version}"\n'.encode(),
            f"{prefix}gadgets/limits.py": f'LIMIT = {version.replace(".", "")}\n'.encode(),
            f"{prefix}gadgets/testing.py": b"FIXTURE = 1\n"}  # not vendored


def oddments_files(n: int) -> dict[str, bytes]:
    return {"oddments/__init__.py": b"",
            "oddments/table.py": "".join(f"ODD_{i} = {i}\n" for i in range(n + 3)).encode()}


def sixish(version: str) -> bytes:
    return f'"""One module, vendored as it is."""\n__version__ = "{version}"\n'.encode()


@pytest.fixture(scope="module")
def index():
    with FakeIndex() as fake:
        for n in range(ENGINE_RELEASES):
            fake.add_sdist("engine", f"1.{n}.0", engine_files(n))
        for version in ("1.0", "1.1", "1.2"):
            fake.add_sdist("widgets", version, widgets_files(version))
        for version in ("1.8", "1.9", "2.0", "2.1"):
            fake.add_sdist("gadgets", version, gadgets_files(version))
        for n in range(6):
            fake.add_sdist("oddments", f"0.{n}", oddments_files(n))
        for version in ("1.1", "1.2", "1.3"):
            fake.add_sdist("sixish", version, {"sixish.py": sixish(version)})
        yield fake


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


PYPROJECT = b"""[project]
name = "app"   # our own project
version = "1.0"

[tool.black]
line-length = 100
"""


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "app"
    vendor = root / "src/app/_vendor"
    write_tree(vendor, widgets_files("1.1"))
    write_tree(vendor, {p.removeprefix("src/"): c for p, c in gadgets_files("2.0").items()
                        if not p.endswith("testing.py")})
    odd = oddments_files(3)
    odd["oddments/table.py"] = odd["oddments/table.py"].replace(b"ODD_2 = 2", b"ODD_2 = 20")
    write_tree(vendor, odd)
    write_tree(vendor, {"sixish.py": sixish("1.2"), "__init__.py": b"", "vendor.txt": b"widgets==1.1  # pinned\n",
                        "helpers/__init__.py": b"HELPER = 1\n", "assets/logo.txt": b"logo\n"})
    engine = engine_files(ENGINE_VENDORED)
    write_tree(root / "third_party/Engine", {p: engine[p] for p in (
        "engine/constants.py", "engine/runtime/constants.py")})
    (root / "pyproject.toml").write_bytes(PYPROJECT)
    monkeypatch.chdir(root)
    return root


def run(argv: list[str], capsys, cache: Path) -> tuple[int, str, str]:
    code = main([*argv, "--cache-dir", str(cache)])
    out, err = capsys.readouterr()
    return code, out, err


def test_init_adopts_every_vendored_project(project, index, tmp_path, capsys):
    files_before = index.hits.copy()
    code, out, err = run(["init", "src/app/_vendor", "third_party/Engine",
                          "--index-url", index.url], capsys, tmp_path / "cache")
    assert code == 1, err  # two directories are not vendored projects
    assert err == ""
    lines = out.splitlines()
    assert "src/app/_vendor/gadgets: gadgets 2.0 from pypi:gadgets, exact match (distance 0)" \
        in lines
    assert ("  tree: src/app/_vendor/gadgets -> src/gadgets (include **/*.py; exclude the 1 "
            "upstream file the copy leaves out)") in lines
    assert "  hint: 2.0 (src/app/_vendor/gadgets/_version.py: __version__); 1 of 4 releases " \
        "read" in lines
    assert "src/app/_vendor/widgets: widgets 1.1 from pypi:widgets, exact match (distance 0)" \
        in lines
    assert "  hint: 1.1 (src/app/_vendor/vendor.txt line 1); 1 of 3 releases read" in lines
    # The local edit: closest match, with its distance.
    assert ("src/app/_vendor/oddments: oddments 0.3 from pypi:oddments, closest match "
            "(distance 1: 1 constant differs)") in lines
    assert "third_party/Engine: engine 1.23.0 from pypi:engine, exact match (distance 0)" in lines
    assert "  file: src/app/_vendor/sixish.py -> sixish.py" in lines
    assert "  file: third_party/Engine/engine/runtime/constants.py -> " \
        "engine/runtime/constants.py" in lines
    assert out.endswith(
        "not configured (2):\n"
        "  src/app/_vendor/assets: no Python files in it\n"
        "  src/app/_vendor/helpers: no project named 'helpers' on the package index\n"
        "wrote pyproject.toml (5 upstreams) and dssync.lock (10 files)\n")
    # Coarse to fine: far fewer engine archives than releases.
    engine_reads = sum(n - files_before[path] for path, n in index.hits.items()
                       if path.startswith("/files/engine-"))
    assert 0 < engine_reads <= ENGINE_RELEASES // 2
    text = (project / "pyproject.toml").read_bytes()
    assert text.startswith(PYPROJECT)  # the rest of the file, byte for byte
    config = tomllib.loads(text.decode())["tool"]["dssync"]
    assert config["lock"] == "dssync.lock"
    names = [u["name"] for u in config["upstreams"]]
    assert names == ["gadgets", "oddments", "sixish", "widgets", "engine"]
    gadgets = config["upstreams"][0]
    assert gadgets == {"name": "gadgets", "package": "gadgets", "tag-format": "v{version}",
                       "sources": ["pypi"],
                       "trees": [{"vendored": "src/app/_vendor/gadgets",
                                  "upstream": "src/gadgets", "include": ["**/*.py"],
                                  "exclude": ["testing.py"]}]}
    assert config["upstreams"][4]["files"] == [
        {"vendored": "third_party/Engine/engine/constants.py",
         "upstream": "engine/constants.py"},
        {"vendored": "third_party/Engine/engine/runtime/constants.py",
         "upstream": "engine/runtime/constants.py"}]
    lock = json.loads((project / "dssync.lock").read_text())
    entries = {e["vendored"]: e for e in lock["files"]}
    assert len(entries) == 10
    edited = entries["src/app/_vendor/oddments/table.py"]
    assert edited["tag"] == "v0.3" and edited["sha256"] != edited["upstream_sha256"]
    moved = entries["src/app/_vendor/gadgets/limits.py"]
    assert moved["upstream"] == "src/gadgets/limits.py" and moved["archive"] == "gadgets-2.0.tar.gz"
    assert lock["schema"] == "dssync.lock/2" and moved["upstream_name"] == "gadgets"

    # The configuration just written is one dssync reads: status is clean (the edited copy
    # too: the lock records it as it is), and diff reads every upstream at its latest.
    code, out, err = run(["status", "--index-url", index.url], capsys, tmp_path / "cache")
    assert code == 0, out + err
    assert "10 files: 10 match the lock, 0 differ" in out
    code, out, err = run(["diff", "--tag", "latest", "--index-url", index.url, "--format", "json"],
                         capsys, tmp_path / "cache")
    assert code == 1, err
    report = valid("drift", out)
    assert [u["name"] for u in report["upstreams"]] == names
    tags = {u["name"]: u["tag"] for u in report["upstreams"]}
    assert tags == {"gadgets": "v2.1", "oddments": "v0.5", "sixish": "v1.3", "widgets": "v1.2",
                    "engine": "v1.39.0"}
    # testing.py, left out of the copy, is not reported as a file upstream added.
    assert "testing.py" not in out


def test_dry_run_prints_the_configuration_and_writes_nothing(project, index, tmp_path, capsys):
    code, out, err = run(["init", "src/app/_vendor/widgets", "--dry-run", "--config",
                          "dssync.toml", "--index-url", index.url], capsys, tmp_path / "cache")
    assert code == 0, err
    assert "src/app/_vendor/widgets: widgets 1.1 from pypi:widgets, exact match" in err
    assert tomllib.loads(out)["upstreams"][0]["trees"][0]["vendored"] == "src/app/_vendor/widgets"
    assert out.startswith('lock = "dssync.lock"\nreports = "reports"\n\n[[upstreams]]\n'
                          "# dssync init: src/app/_vendor/widgets matches widgets 1.1 (exactly)\n")
    assert not (project / "dssync.toml").exists() and not (project / "dssync.lock").exists()
    assert (project / "pyproject.toml").read_bytes() == PYPROJECT


def test_an_existing_configuration_is_kept_unless_forced(project, index, tmp_path, capsys):
    cache = tmp_path / "cache"
    args = ["init", "src/app/_vendor/widgets", "--index-url", index.url]
    assert run(args, capsys, cache)[0] == 0
    before = (project / "pyproject.toml").read_bytes()
    code, out, err = run(args, capsys, cache)
    assert (code, out) == (2, "")
    assert err == ("dssync: pyproject.toml: configures dssync already ([tool.dssync]); edit "
                   "that configuration, or pass --force to replace it\n")
    assert (project / "pyproject.toml").read_bytes() == before
    code, out, err = run([*args[:2], "third_party/Engine", *args[2:], "--force"], capsys, cache)
    assert code == 0, err
    config = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["dssync"]
    assert [u["name"] for u in config["upstreams"]] == ["widgets", "engine"]
    assert (project / "pyproject.toml").read_bytes().startswith(PYPROJECT)


def test_nothing_to_configure_and_bad_directories(project, index, tmp_path, capsys):
    cache = tmp_path / "cache"
    code, out, err = run(["init", "src/app/_vendor/helpers", "--index-url", index.url],
                         capsys, cache)
    assert code == 2
    assert out == ("not configured (1):\n  src/app/_vendor/helpers: no project named 'helpers' "
                   "on the package index\n")
    assert "dssync: nothing to configure: no directory matched" in err
    assert (project / "pyproject.toml").read_bytes() == PYPROJECT
    code, out, err = run(["init", "missing", "--index-url", index.url], capsys, cache)
    assert (code, err) == (2, "dssync: missing: no such directory; check the path\n")
    code, out, err = run(["init", "pyproject.toml", "--index-url", index.url], capsys, cache)
    assert code == 2 and "is not a directory" in err
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    code, out, err = run(["init", str(outside), "--index-url", index.url], capsys, cache)
    assert code == 2 and "lies outside the project" in err


def test_without_directories_vendor_directories_are_found(project, index, tmp_path, capsys):
    code, out, err = run(["init", "--dry-run", "--index-url", index.url], capsys,
                         tmp_path / "cache")
    assert code == 1, err
    assert "src/app/_vendor/widgets: widgets 1.1" in err
    assert "third_party/Engine: engine 1.23.0" in err


def test_offline_init_answers_from_what_an_earlier_run_kept(project, index, tmp_path, capsys):
    cache = tmp_path / "cache"
    args = ["init", "src/app/_vendor/gadgets", "third_party/Engine", "--index-url", index.url,
            "--dry-run"]
    code, first, err = run(args, capsys, cache)
    assert code == 0, err
    before = sum(index.hits.values())
    code, again, err = run([*args, "--offline"], capsys, cache)
    assert code == 0, err
    assert again == first and sum(index.hits.values()) == before
    code, out, err = run([*args, "--offline"], capsys, tmp_path / "empty-cache")
    assert code == 2 and "--offline: the cache does not hold" in err


def test_a_copy_named_twice_is_configured_once(project, index, tmp_path, capsys):
    code, out, err = run(["init", "src/app/_vendor/widgets", "src/app/_vendor", "--dry-run",
                          "--index-url", index.url, "--config", "dssync.toml"], capsys,
                         tmp_path / "cache")
    assert code == 1, err
    config = tomllib.loads(out)
    trees = [t["vendored"] for u in config["upstreams"] for t in u.get("trees", ())]
    assert trees.count("src/app/_vendor/widgets") == 1


def test_what_init_writes_is_validated_like_any_configuration(project):
    from dssync.config import config_from_text
    from dssync.errors import ConfigError

    bad = r"upstreams\[0\]\.trees\[0\]\.vendored: '/abs' is absolute"
    with pytest.raises(ConfigError, match=bad):
        config_from_text(project / "dssync.toml", 'lock = "dssync.lock"\n[[upstreams]]\n'
                         'name = "x"\npackage = "x"\n[[upstreams.trees]]\n'
                         'vendored = "/abs"\nupstream = "x"\n')
    with pytest.raises(ConfigError, match="no \\[tool.dssync\\] table"):
        config_from_text(project / "pyproject.toml", PYPROJECT.decode())


def test_a_project_named_like_the_directory_above_it_on_the_index(project, index, tmp_path,
                                                                  capsys):
    # Not confirmed by its files: a project of that name whose releases hold none of them.
    index.add_sdist("helpers", "9.0", {"helpers/other.py": b"X = 1\n"})
    try:
        code, out, err = run(["init", "src/app/_vendor/helpers", "--index-url", index.url],
                             capsys, tmp_path / "cache")
    finally:
        index.projects.pop("helpers")
    assert code == 2
    assert ("src/app/_vendor/helpers: the project 'helpers' on the package index does not "
            "match: its closest release, v9.0, has none of the 1 files") in out


def test_a_pin_that_names_no_directory_is_tried_for_the_unpinned(tmp_path, capsys,
                                                                 monkeypatch):
    # pip pins setuptools==... in vendor.txt and vendors its pkg_resources/ package.
    toolkit = {"resources/__init__.py": b"KIND = 'toolkit'\n",
               "resources/extern.py": b"NAMES = ('a', 'b')\n", "toolkit/__init__.py": b""}
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"_vendor/vendor.txt": b"toolkit==3.0\n",
                          **{f"_vendor/{p}": c for p, c in toolkit.items()
                             if p.startswith("resources/")}})
    with FakeIndex() as index:
        index.add_sdist("toolkit", "2.0", {**toolkit, "resources/extern.py": b"NAMES = ()\n"})
        index.add_sdist("toolkit", "3.0", toolkit)
        code, out, err = run(["init", "_vendor", "--dry-run", "--index-url", index.url],
                             capsys, tmp_path / "cache")
    assert code == 0, err
    assert "_vendor/resources: toolkit 3.0 from pypi:toolkit, exact match (distance 0)" in err
    assert "hint: 3.0 (_vendor/vendor.txt line 1); 1 of 2 releases read" in err
    assert tomllib.loads(out)["upstreams"][0]["trees"][0]["upstream"] == "resources"


def shapes(n: int) -> dict[str, bytes]:
    """Release 1.n of a package without constants: each release adds a function."""
    body = "".join(f"def draw_{i}(canvas):\n    return canvas.line({i})\n\n\n" for i in range(n))
    return {"shapes/__init__.py": b"", "shapes/draw.py": body.encode()}


def test_a_copy_without_constants_is_placed_by_its_lines(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy = shapes(12)
    copy["shapes/draw.py"] += b"def ours():\n    return None\n"  # a local addition
    write_tree(tmp_path / "third_party", copy)
    write_tree(tmp_path / "third_party", {"notshapes/__init__.py": b"",
                                          "notshapes/draw.py": b"def other():\n    pass\n"})
    with FakeIndex() as index:
        for n in range(1, 30):
            index.add_sdist("shapes", f"1.{n}", shapes(n))
        # A project of that name whose files are another module entirely.
        index.add_sdist("notshapes", "1.0", {"notshapes/__init__.py": b"",
                                             "notshapes/draw.py": shapes(5)["shapes/draw.py"]})
        code, out, err = run(["init", "third_party", "--dry-run", "--index-url", index.url],
                             capsys, tmp_path / "cache")
        reads = sum(n for path, n in index.hits.items() if path.startswith("/files/shapes-"))
    assert code == 1, err
    assert "third_party/shapes: shapes 1.12 from pypi:shapes, exact match (distance 0)" in err
    assert "  no version hint; " in err and reads < 20
    assert ("third_party/notshapes: the project 'notshapes' on the package index does not "
            "match: its closest release, v1.0, shares too few lines with the copy (which has no "
            "constants to compare)") in err


def test_tree_globs_exclude_what_the_copy_leaves_out_briefly():
    from dssync._init.adopt import tree_globs

    kept = ["__init__.py", "lexers/__init__.py", "lexers/python.py", "styles/__init__.py"]
    assert tree_globs(kept, []) == (["**/*.py"], [])
    assert tree_globs(kept, ["lexers/rust.py", "formatters/html.py", "formatters/img.py",
                             "cmdline.py"]) == (
        ["**/*.py"], ["lexers/rust.py", "formatters/**", "cmdline.py"])
    # Leaving out more than it keeps: the copy's own files, and nothing else, are the tree.
    many = [f"lexers/l{i}.py" for i in range(9)]
    assert tree_globs(kept, many) == (sorted(kept), [])


# -- the search itself ---------------------------------------------------------------------------


def test_spread_covers_both_ends():
    assert spread(0, 124, 8) == [0, 18, 35, 53, 71, 89, 106, 124]
    assert spread(3, 5, 8) == [3, 4, 5]
    assert spread(5, 4, 8) == []


@pytest.mark.parametrize("target", [0, 1, 37, 62, 123, 124])
def test_search_finds_the_best_release_reading_few(target):
    asked: list[int] = []

    def score(indices):
        asked.extend(indices)
        return {i: (abs(i - target),) for i in indices}

    found = search(125, score)
    assert found is not None and found.tied == [target]
    assert len(asked) == len(set(asked)) <= 32


def test_search_follows_a_tie_to_both_ends_and_trusts_an_exact_hint():
    def score(indices):
        return {i: (0 if 40 <= i <= 47 else abs(i - 44),) for i in indices}

    found = search(125, score)
    assert found is not None and found.tied == list(range(40, 48)) and found.newest == 47
    asked: list[int] = []

    def counted(indices):
        asked.extend(indices)
        return score(indices)

    found = search(125, counted, hint=42, exact=lambda key: key == (0,))
    assert found is not None and found.tied == [42] and asked == [42]
    # A hint that is off still finds the best, starting near it.
    found = search(125, score, hint=90, exact=lambda key: key == (0,))
    assert found is not None and found.tied == list(range(40, 48))
    # A hint that is right, for a copy with local edits: the hint and its two neighbours.
    asked.clear()
    found = search(125, lambda ix: {i: (abs(i - 42) + 1,) for i in counted(ix)}, hint=42,
                   exact=lambda key: key == (0,))
    assert found is not None and found.tied == [42] and sorted(asked) == [41, 42, 43]


# -- recognition, on disk only -------------------------------------------------------------------


def recognised(root: Path, directory: str):
    from dssync._extract.extract import extract_table
    from dssync._init.recognise import recognise

    def read_table(path: Path):
        try:
            return extract_table(path.read_bytes(), str(path))
        except Exception:  # noqa: BLE001 - a file the extractor refuses gives no hint
            return None

    return recognise(root, root / directory, read_table)


def test_recognition_of_the_ways_projects_vendor(tmp_path):
    write_tree(tmp_path, {
        # Ansible's way: a bundled module and a bundled package, each saying what it is.
        "lib/module_utils/_bundled/ipaddr.py":
            b'_BUNDLED_METADATA = {"pypi_name": "ipaddress", "version": "1.0.22"}\nX = 1\n',
        "lib/module_utils/_bundled/six/__init__.py":
            b'_BUNDLED_METADATA = {"pypi_name": "six", "version": "1.16.0"}\n',
        "lib/module_utils/_bundled/README": b"bundled\n",
        # A version as a tuple, in a package given directly.
        "ext/tomlish/__init__.py": b"VERSION = (2, 0, 1)\n",
        "ext/tomlish/_parser.py": b"MAX = 1\n",
        # A directory holding only packages is a directory of projects, whatever its name.
        "deps/alpha/__init__.py": b"__version__ = '0.1'\n",
        "deps/beta/__init__.py": b"",
        "deps/beta/junk.py": b"def (:\n",
        "deps/gamma/data.txt": b"no python\n",
        # Loose modules of a bigger project, in the directory above its package.
        "third_party/Big-Project/big_project/sub/constants.py": b"A = 1\n",
    })
    found, skipped = recognised(tmp_path, "lib/module_utils/_bundled")
    assert skipped == []
    module, package = found
    assert (module.directory, module.base, module.package, module.files) == (
        "lib/module_utils/_bundled/ipaddr.py", "lib/module_utils/_bundled", "ipaddr.py",
        ["ipaddr.py"])
    assert module.names[0] == "ipaddress" and module.whole_package
    assert [(h.version, h.where) for h in module.hints] == [
        ("1.0.22", "lib/module_utils/_bundled/ipaddr.py: _BUNDLED_METADATA")]
    assert package.names[0] == "six" and package.hints[0].version == "1.16.0"
    assert package.files == ["six/__init__.py"]

    (tomlish,), _ = recognised(tmp_path, "ext/tomlish")
    assert (tomlish.base, tomlish.files, tomlish.names) == (
        "ext", ["tomlish/__init__.py", "tomlish/_parser.py"], ["tomlish"])
    assert [h.version for h in tomlish.hints] == ["2.0.1"]

    found, skipped = recognised(tmp_path, "deps")
    assert [c.package for c in found] == ["alpha", "beta"]
    assert found[0].hints[0].version == "0.1" and found[1].hints == []
    assert [(s.directory, s.reason) for s in skipped] == [("deps/gamma", "no Python files in it")]

    found, _ = recognised(tmp_path, "third_party")
    (big,) = found
    assert (big.directory, big.base, big.package, big.files, big.whole_package) == (
        "third_party/Big-Project", "third_party/Big-Project", "big_project",
        ["big_project/sub/constants.py"], False)
    assert big.names == ["Big-Project"]  # one project name on the index (PEP 503)


def test_vendor_txt_pins_name_the_project_as_pinned(tmp_path):
    write_tree(tmp_path, {
        "_vendor/vendor.txt": b"# pins\nCacheControl[filecache]==0.13.1\n"
                              b"pyproject-hooks==1.0.0  # via build\nsix==1.16.0\n",
        "_vendor/cachecontrol/__init__.py": b'__version__ = "0.13.1"\n',
        "_vendor/pyproject_hooks/__init__.py": b"",
        "_vendor/six.py": b"",
        "_vendor/__init__.py": b"",
    })
    found, skipped = recognised(tmp_path, "_vendor")
    assert skipped == []
    by_package = {c.package: c for c in found}
    assert set(by_package) == {"cachecontrol", "pyproject_hooks", "six.py"}
    cc = by_package["cachecontrol"]
    assert cc.names == ["CacheControl"]
    assert [(h.version, h.where) for h in cc.hints] == [
        ("0.13.1", "_vendor/vendor.txt line 2"),
        ("0.13.1", "_vendor/cachecontrol/__init__.py: __version__")]
    assert by_package["pyproject_hooks"].names == ["pyproject-hooks"]
    assert by_package["six.py"].hints[0].where == "_vendor/vendor.txt line 4"


def test_the_typed_api_adopts_as_the_command_does(project, index, tmp_path):
    from dssync import api

    result = api.init(api.InitOptions(directories=["third_party/Engine"], dry_run=True),
                      api.UpstreamOptions(index_url=index.url, cache_dir=tmp_path / "cache"))
    (engine,) = result.adopted
    assert (engine.package, engine.version, engine.exact, engine.tag) == (
        "engine", "1.23.0", True, "v1.23.0")
    assert result.unmatched == [] and not result.written
    assert len(result.lock) == 2 and "[[tool.dssync.upstreams.files]]" in result.text
    assert not (project / "dssync.lock").exists()


# -- the copy's own files ------------------------------------------------------------------------


def test_a_copys_own_modules_stay_out_of_the_tree(project, index, tmp_path, capsys):
    cache = tmp_path / "cache"
    gadgets = project / "src/app/_vendor/gadgets"
    (gadgets / "local.py").write_bytes(b"LOCAL_ONLY = 1\n")  # the project's own module
    (gadgets / "broken.py").write_bytes(b"X = (\n")  # and one that is not even valid Python
    code, out, err = run(["init", "src/app/_vendor/gadgets", "--index-url", index.url],
                         capsys, cache)
    assert code == 0, err
    lines = out.splitlines()
    assert ("  tree: src/app/_vendor/gadgets -> src/gadgets (include **/*.py; exclude the 1 "
            "upstream file the copy leaves out and the copy's 2 files not upstream)") in lines
    assert "  not upstream at v2.0, left out: src/app/_vendor/gadgets/broken.py" in lines
    tree = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["dssync"][
        "upstreams"][0]["trees"][0]
    assert tree["exclude"] == ["testing.py", "broken.py", "local.py"]
    lock = json.loads((project / "dssync.lock").read_text())
    assert len(lock["files"]) == 3
    # Right after init: status clean; diff and update neither report the copy's own files
    # (as gone upstream) nor stumble on the one that does not parse.
    code, out, err = run(["status", "--index-url", index.url], capsys, cache)
    assert (code, err) == (0, ""), out
    assert "3 files: 3 match the lock, 0 differ" in out
    for argv in (["diff", "--tag", "v2.1"], ["update", "--tag", "v2.1", "--dry-run"]):
        code, out, err = run([*argv, "--index-url", index.url], capsys, cache)
        assert code == 1, out + err  # 2.1 changes LIMIT
        assert "LIMIT" in out
        for own in ("local.py", "broken.py"):
            assert own not in out + err


def test_tree_globs_leave_out_the_copys_own_files():
    from dssync._init.adopt import tree_globs

    kept = ["__init__.py", "util/__init__.py", "util/retry.py"]
    assert tree_globs(kept, ["cli.py"], ["util/ours.py", "mine/a.py", "mine/b.py"]) == (
        ["**/*.py"], ["cli.py", "util/ours.py", "mine/**"])
    # More to leave out than to keep: the kept files only, the copy's own not among them.
    assert tree_globs(kept, [], [f"own{i}.py" for i in range(4)]) == (sorted(kept), [])


# -- replacing a configuration -------------------------------------------------------------------

PYPROJECT_AROUND = (b'[project]\nname = "app"\n\n[tool.ruff]\nline-length = 100\n\n'
                    b'[tool.dssync]\nlock = "dssync.lock"\n\n[[tool.dssync.upstreams]]\n'
                    b'name = "old"\npackage = "old"\n\n[[tool.dssync.upstreams.files]]\n'
                    b'vendored = "src/app/_vendor/sixish.py"\nupstream = "sixish.py"\n\n'
                    b'[tool.black]\ntarget-version = ["py311"]\n')


def test_force_replaces_tool_dssync_where_it_is(project, index, tmp_path, capsys):
    (project / "pyproject.toml").write_bytes(PYPROJECT_AROUND)
    code, out, err = run(["init", "src/app/_vendor/widgets", "--force", "--index-url",
                          index.url], capsys, tmp_path / "cache")
    assert code == 0, err
    assert out.endswith("wrote pyproject.toml (1 upstream) and dssync.lock (2 files)\n")
    text = (project / "pyproject.toml").read_bytes()
    before, after = PYPROJECT_AROUND.split(b"[tool.dssync]\n")[0], b"\n[tool.black]\n"
    assert text.startswith(before + b"[tool.dssync]\n")
    assert text.endswith(after + PYPROJECT_AROUND.split(after)[1])  # in place, not moved
    table = text[len(before):-len(PYPROJECT_AROUND.split(after)[1]) - len(after)]
    assert not table.endswith(b"\n\n") and b"\n\n\n" not in table
    config = tomllib.loads(text.decode())["tool"]
    assert list(config) == ["ruff", "dssync", "black"]
    assert [u["name"] for u in config["dssync"]["upstreams"]] == ["widgets"]


def test_crlf_line_ends_are_kept(project, index, tmp_path, capsys):
    cache = tmp_path / "cache"
    original = PYPROJECT.replace(b"\n", b"\r\n")
    (project / "pyproject.toml").write_bytes(original)
    args = ["init", "src/app/_vendor/widgets", "--index-url", index.url]
    for extra in ([], ["--force"]):  # added, then replaced in place
        code, out, err = run([*args, *extra], capsys, cache)
        assert code == 0, err
        text = (project / "pyproject.toml").read_bytes()
        assert text.startswith(original)
        assert text.count(b"\n") == text.count(b"\r\n")  # the added table too
        assert tomllib.loads(text.decode())["tool"]["dssync"]["upstreams"][0]["name"] == "widgets"
    code, out, err = run([*args, "--force", "--config", "dssync.toml"], capsys, cache)
    assert code == 0, err
    assert (project / "pyproject.toml").read_bytes() == original  # byte for byte, CRLF and all


def test_force_writes_where_the_configuration_is(project, index, tmp_path, capsys):
    cache = tmp_path / "cache"
    args = ["init", "src/app/_vendor/widgets", "--index-url", index.url]
    code, out, err = run([*args, "--config", "dssync.toml"], capsys, cache)
    assert code == 0, err
    code, out, err = run([*args[:1], "src/app/_vendor/gadgets", *args[2:], "--force"], capsys,
                         cache)
    assert code == 0, err
    assert out.endswith("wrote dssync.toml (1 upstream) and dssync.lock (3 files)\n")
    assert (project / "pyproject.toml").read_bytes() == PYPROJECT
    assert tomllib.loads((project / "dssync.toml").read_text())["upstreams"][0]["name"] == \
        "gadgets"
    code, out, err = run(["status", "--index-url", index.url], capsys, cache)
    assert (code, err) == (0, ""), out


def test_force_into_the_other_file_removes_the_old_configuration(project, index, tmp_path,
                                                                  capsys):
    cache = tmp_path / "cache"
    args = ["init", "src/app/_vendor/widgets", "--index-url", index.url]
    # dssync.toml -> pyproject.toml: the file goes.
    assert run([*args, "--config", "dssync.toml"], capsys, cache)[0] == 0
    code, out, err = run([*args, "--force", "--config", "pyproject.toml"], capsys, cache)
    assert code == 0, err
    assert out.endswith("wrote pyproject.toml (1 upstream) and dssync.lock (2 files); "
                        "removed dssync.toml\n")
    assert not (project / "dssync.toml").exists()
    assert (project / "pyproject.toml").read_bytes().startswith(PYPROJECT)
    assert run(["status", "--index-url", index.url], capsys, cache)[0] == 0
    # pyproject.toml -> dssync.toml: [tool.dssync] goes, the rest stays byte for byte; so does
    # the lock it named, when that is another file.
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text.replace('lock = "dssync.lock"',
                                                         'lock = "locks/old.lock"'))
    (project / "locks").mkdir()
    (project / "dssync.lock").rename(project / "locks/old.lock")
    assert run(["status", "--index-url", index.url], capsys, cache)[0] == 0
    code, out, err = run([*args, "--force", "--config", "dssync.toml", "--dry-run"], capsys,
                         cache)
    assert code == 0, err
    assert "would remove [tool.dssync] from pyproject.toml, locks/old.lock (--force, replaced " \
        "by dssync.toml)\n" in err
    assert not (project / "dssync.toml").exists() and (project / "locks/old.lock").exists()
    code, out, err = run([*args, "--force", "--config", "dssync.toml"], capsys, cache)
    assert code == 0, err
    assert out.endswith("wrote dssync.toml (1 upstream) and dssync.lock (2 files); removed "
                        "[tool.dssync] from pyproject.toml, locks/old.lock\n")
    assert (project / "pyproject.toml").read_bytes() == PYPROJECT
    assert not (project / "locks/old.lock").exists() and (project / "dssync.lock").exists()
    code, out, err = run(["status", "--index-url", index.url], capsys, cache)
    assert (code, err) == (0, ""), out


def test_errors_name_the_file_as_users_type_it(project, index, tmp_path, capsys):
    (project / "pyproject.toml").write_bytes(b"[project\n")
    code, out, err = run(["init", "src/app/_vendor/widgets", "--index-url", index.url], capsys,
                         tmp_path / "cache")
    assert code == 2
    assert err.startswith("dssync: pyproject.toml: is not valid TOML: ")


# -- directories that cannot be read -------------------------------------------------------------


@pytest.fixture
def shared_project():
    """A project another user can reach: tests run as root drop to one (``nobody``) to meet
    the permissions a user meets, which root passes through."""
    top = Path(tempfile.mkdtemp(prefix="dssync-init-"))
    top.chmod(0o755)
    root = top / "app"
    write_tree(root / "src/app/_vendor", {p.removeprefix("src/"): c for p, c in
                                          gadgets_files("2.0").items()})
    write_tree(root, {"src/app/_vendor/gadgets/sub/deep.py": b"DEEP = 1\n",
                      "lib/private/notes.py": b"N = 1\n"})
    try:
        yield root
    finally:
        for directory, _, _ in os.walk(top):
            os.chmod(directory, 0o755)
        shutil.rmtree(top)


def as_a_user(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dssync", *argv, "--no-cache",
               "--index-url", "http://127.0.0.1:9/simple/"]  # never reached: the error comes first
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("run as root, which reads any directory, and setpriv is not there to "
                        "run as another user")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(root), "PYTHONDONTWRITEBYTECODE": "1"})
    if proc.stderr.startswith("setpriv:"):
        pytest.skip(f"cannot run as another user here: {proc.stderr.strip()}")
    return proc


@pytest.mark.parametrize(("unreadable", "argv"), [
    ("src/app/_vendor/gadgets/sub", ["src/app/_vendor/gadgets"]),  # below the DIR given
    ("src/app/_vendor", ["src/app/_vendor"]),  # the DIR itself
    ("lib/private", []),  # looking for vendor directories
])
def test_an_unreadable_directory_is_said_never_skipped(shared_project, unreadable, argv):
    (shared_project / unreadable).chmod(0)
    proc = as_a_user(shared_project, "init", *argv)
    assert (proc.returncode, proc.stdout) == (2, ""), proc.stderr
    assert proc.stderr == f"dssync: {unreadable}: permission denied; make it readable\n"
    assert sorted(p.name for p in shared_project.iterdir()) == ["lib", "src"]


def test_an_unreadable_file_is_named_from_the_project(shared_project):
    (shared_project / "src/app/_vendor/gadgets/limits.py").chmod(0)
    proc = as_a_user(shared_project, "init", "src/app/_vendor/gadgets")
    assert proc.returncode == 2
    assert proc.stderr == ("dssync: src/app/_vendor/gadgets/limits.py: permission denied; make "
                           "the file readable\n")
