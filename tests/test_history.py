"""dssync history: walking every release tag, timelines per constant, the parsed-table cache.

The acceptance test plays a seeded history of 120 releases of a constants module in a real git
repository (adds, changes, removals, re-adds, reference changes, identical blobs, a missing file,
a file that does not parse, non-release tags) and checks every transition dssync reports both
against a brute-force ``diff_tables`` of each pair of consecutive releases and against the
generator's own model of what it did.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.gitrepo import make_repo
from tests.servers.index_server import FakeIndex

from dssync import cli
from dssync.cache import seal_line, unseal
from dssync._diff.engine import diff_tables
from dssync._extract import extract as extract_module
from dssync._extract.extract import extract_table
from dssync._extract.value_json import canonical_set, encode_value
from dssync._extract.table_json import (
    FORMAT_VERSION, NAMESPACE, Memo, cache_key, load_table, table_from_json, table_to_json,
)
from dssync._analyses.fetch import fetch_across
from dssync._analyses.progress import NoProgress, progress_for_stderr
from dssync._analyses.tags import release_tags
from dssync._analyses.timeline import build_history
from dssync._analyses.walk import walk
from dssync._source.git import GitSource
from dssync._source.interface import Fetched, SourceContext
from dssync._source.package_index import PackageIndexSource
from dssync.cache import Cache
from dssync.errors import DssyncError, NotFound, SourceUnavailable
from dssync.models import ConstantTable, Origin
from tests.test_schemas import valid

CONST = "lib/constants.py"

# -- an evolving constants module, with a model of its history --------------------------------

BROKEN = b"BROKEN = (\n"


@dataclass
class Release:
    tag: str
    content: bytes | None
    """None: the file is absent at this tag; ``BROKEN``: it does not parse."""
    exprs: dict[str, str] | None = None
    """name -> normalized expression, when the file is present and parses."""


@dataclass
class Evolution:
    releases: list[Release] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        return [r.tag for r in self.releases]


def _value(exprs: dict[str, str], name: str):
    expr = exprs[name]
    if " + " in expr:  # BASE + '_x'
        base, suffix = expr.split(" + ", 1)
        return _value(exprs, base) + ast.literal_eval(suffix)
    return ast.literal_eval(expr)


def model_values(exprs: dict[str, str]) -> dict[str, object]:
    return {name: _value(exprs, name) for name in exprs}


def render(exprs: dict[str, str], comment: int) -> bytes:
    lines = ['"""Tunables of an evolving test library."""', f"# layout revision {comment}", ""]
    module = [(n, e) for n, e in exprs.items() if "." not in n]
    klass = [(n.split(".", 1)[1], e) for n, e in exprs.items() if n.startswith("Limits.")]
    for name, expr in module:
        lines.append(f"{name} = {expr}")
    if klass:
        lines += ["", "", "class Limits:"]
        lines += [f"    {name} = {expr}" for name, expr in klass]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _literal(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return repr(rng.randrange(1000))
    if kind == 1:
        return repr(f"value_{rng.randrange(10_000)}")
    if kind == 2:
        return repr(rng.random() < 0.5)
    if kind == 3:
        return repr(tuple(rng.randrange(10) for _ in range(rng.randrange(1, 4))))
    return repr({"k": rng.randrange(100)})


def version_tags(count: int) -> list[str]:
    """``count`` tags in PEP 440 order whose name order differs (v0.9.x before v0.10.0)."""
    tags = []
    minor, patch = 1, 0
    while len(tags) < count:
        tags.append(f"v0.{minor}.{patch}")
        patch += 1
        if patch == 4:
            minor, patch = minor + 1, 0
    return tags


def evolve(seed: int = 7, releases: int = 120, *, start: int = 12) -> Evolution:
    rng = random.Random(seed)
    exprs: dict[str, str] = {}
    counter = 0

    def new_name(prefix: str = "CONST") -> str:
        nonlocal counter
        counter += 1
        return f"{prefix}_{counter}"

    for _ in range(start):
        exprs[new_name()] = _literal(rng)
    for _ in range(3):
        exprs[new_name("BASE")] = repr(f"base{rng.randrange(100)}")
    exprs["Limits.MAX"] = "3"
    removed: dict[str, str] = {}
    comment = 0
    tags = version_tags(releases)
    broken_at = {releases // 3}
    absent_at = {releases // 2, releases // 2 + 1, releases - 5}
    evo = Evolution()
    for i, tag in enumerate(tags):
        if i in absent_at:
            evo.releases.append(Release(tag, None))
            continue
        if i in broken_at:
            evo.releases.append(Release(tag, BROKEN))
            continue
        roll = rng.random()
        if i > 0 and roll < 0.15:
            pass  # the same bytes as the last release
        elif i > 0 and roll < 0.25:
            comment += 1  # new bytes, same constants
        else:
            for _ in range(rng.randrange(1, 4)):
                _mutate(rng, exprs, removed, new_name)
        evo.releases.append(Release(tag, render(exprs, comment), dict(exprs)))
    return evo


def _mutate(rng: random.Random, exprs: dict[str, str], removed: dict[str, str], new_name) -> None:
    bases = [n for n in exprs if n.startswith("BASE_")]
    referenced = {e.split(" + ")[0] for e in exprs.values() if " + " in e}
    action = rng.randrange(7)
    if action == 0:
        exprs[new_name()] = _literal(rng)
    elif action == 1 and bases:
        exprs[new_name("DERIVED")] = f"{rng.choice(bases)} + {'_' + str(rng.randrange(50))!r}"
    elif action == 2 and bases:
        exprs[rng.choice(bases)] = repr(f"base{rng.randrange(1000)}")  # derived ones follow
    elif action == 3:
        candidates = [n for n in exprs if n not in referenced and not n.startswith("BASE_")]
        if candidates:
            name = rng.choice(candidates)
            removed[name] = exprs.pop(name)
    elif action == 4 and removed:
        name = rng.choice(sorted(removed))
        old = removed.pop(name)
        if " + " in old and old.split(" + ")[0] not in exprs:
            old = _literal(rng)
        exprs[name] = old if rng.random() < 0.5 else _literal(rng)
    elif action == 5:
        exprs["Limits.MAX"] = str(rng.randrange(2, 50))
    else:
        plain = [n for n in exprs if n.startswith("CONST_")]
        if plain:
            exprs[rng.choice(plain)] = _literal(rng)


# -- helpers ------------------------------------------------------------------------------------


def build_repo(path: Path, evo: Evolution):
    """The releases as tagged commits, with untagged commits, a non-release tag and a
    prerelease (whose file is entirely different) mixed in."""
    steps = []
    exists = False
    for i, r in enumerate(evo.releases):
        change = {CONST: r.content} if (r.content is not None or exists) else {}
        exists = r.content is not None
        steps.append((r.tag, change))
        if i % 9 == 4:
            steps.append((None, {"README": f"work after {r.tag}\n".encode()}))
        if i == 6:
            steps.append(("nightly", {"README": b"nightly build\n"}))
        if i == 21:
            steps.append(("v0.6.0rc1", {CONST: b"ONLY_IN_A_PRERELEASE = 1\n"}))
            exists = True
    annotated = {evo.releases[i].tag for i in (3, 40) if i < len(evo.releases)}
    return make_repo(path, steps, annotated=annotated)


@pytest.fixture(scope="module")
def evolution() -> Evolution:
    return evolve(seed=7, releases=120)


@pytest.fixture(scope="module")
def upstream(tmp_path_factory, evolution):
    return build_repo(tmp_path_factory.mktemp("history") / "upstream", evolution)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    """One cache for the tests over the big history: the first fills it, the rest are quick."""
    return tmp_path_factory.mktemp("shared-cache")


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def json_events(data: dict) -> set[tuple]:
    events = set()
    for c in data["files"][0]["constants"]:
        for e in c["events"]:
            events.add((e["tag"], c["name"], e["kind"], e.get("old"), e.get("value")))
    return events


def brute_force_events(repo: Path, tags: list[str]) -> set[tuple]:
    """Each release read afresh with git itself, parsed without any cache, and diffed with its
    predecessor; a release whose file does not parse is skipped."""
    from tests.gitrepo import git

    events: set[tuple] = set()
    seen: set[str] = set()
    prev = ConstantTable(path="empty", constants={})
    for tag in tags:
        try:
            content = git("show", f"{tag}:{CONST}", cwd=repo).encode()
        except RuntimeError:
            table = ConstantTable(path="empty", constants={})
        else:
            try:
                table = extract_table(content, f"{CONST}@{tag}")
            except DssyncError:
                continue
        drift = diff_tables(prev, table, renames=False)
        for a in drift.added:
            events.add((tag, a.name, "reintroduced" if a.name in seen else "introduced", None,
                        a.value))
            seen.add(a.name)
        for r in drift.removed:
            events.add((tag, r.name, "removed", r.value, None))
        for c in drift.changed:
            events.add((tag, c.name, "changed", c.old, c.new))
        prev = table
    return events


def _differ(a, b) -> bool:
    return type(a) is not type(b) or a != b


def model_events(evo: Evolution) -> set[tuple]:
    """What the generator did, from its own bookkeeping alone."""
    events: set[tuple] = set()
    seen: set[str] = set()
    prev: dict[str, str] = {}
    for r in evo.releases:
        if r.content == BROKEN:
            continue
        cur = r.exprs if r.content is not None else {}
        assert cur is not None
        old_values, new_values = model_values(prev), model_values(cur)
        for name in prev:
            if name not in cur:
                events.add((r.tag, name, "removed", prev[name], None))
        for name in cur:
            if name not in prev:
                events.add((r.tag, name, "reintroduced" if name in seen else "introduced", None,
                            cur[name]))
                seen.add(name)
            elif prev[name] != cur[name] or _differ(old_values[name], new_values[name]):
                events.add((r.tag, name, "changed", prev[name], cur[name]))
        prev = cur
    return events


def git_walk(repo: Path, cache: Cache, **options):
    with GitSource(str(repo), SourceContext(cache=cache)) as source:
        return walk([source], [CONST], tag_format="v{version}", cache=cache, **options)


# -- acceptance: complete and correct over 120 releases ------------------------------------------


def test_history_matches_pairwise_diffs_and_the_model(upstream, evolution, shared_cache, capsys):
    code, out, err = run_cli(["history", "--source", f"git:{upstream.path}", "--upstream-path",
                              CONST, "--format", "json", "--cache-dir", str(shared_cache)],
                             capsys)
    assert code == 0, err
    data = valid("history", out)
    assert data["schema"] == "dssync.history/1"
    # PEP 440 order (v0.9.x before v0.10.0); the nightly and the prerelease are not releases.
    assert data["tags"] == evolution.tags
    assert len(data["tags"]) == 120

    got = json_events(data)
    brute = brute_force_events(upstream.path, evolution.tags)
    model = model_events(evolution)
    assert got == brute
    assert got == model

    # The history really exercises every kind of transition.
    kinds = {e[2] for e in got}
    assert kinds == {"introduced", "changed", "removed", "reintroduced"}
    assert any(name.startswith("DERIVED_") and kind == "changed" and old == new
               for _, name, kind, old, new in got), "no change by reference was generated"
    assert any(name == "Limits.MAX" and kind == "changed" for _, name, kind, _, _ in got)
    file = data["files"][0]
    absent = [r.tag for r in evolution.releases if r.content is None]
    broken = [r.tag for r in evolution.releases if r.content == BROKEN]
    assert file["absent"] == absent
    assert [u["tag"] for u in file["unreadable"]] == broken
    assert "not valid Python" in file["unreadable"][0]["error"]
    # Per constant: events in release order, first one an introduction.
    order = {t: i for i, t in enumerate(evolution.tags)}
    for c in file["constants"]:
        tags = [order[e["tag"]] for e in c["events"]]
        assert tags == sorted(tags) and len(set(tags)) == len(tags)
        assert c["events"][0]["kind"] == "introduced"
        assert c["introduced"] == c["events"][0]["tag"]
        assert c["removed"] == (c["events"][-1]["tag"] if c["events"][-1]["kind"] == "removed"
                                else None)


def test_each_distinct_content_is_parsed_once_then_comes_from_the_cache(tmp_path, monkeypatch):
    evolution = evolve(seed=11, releases=40)
    upstream = build_repo(tmp_path / "up", evolution)
    calls: list[str] = []
    real = extract_module.extract_table

    def counting(data: bytes, path: str, *memo):
        calls.append(hashlib.sha256(data).hexdigest())
        return real(data, path, *memo)

    monkeypatch.setattr(extract_module, "extract_table", counting)
    blobs = {r.content for r in evolution.releases if r.content is not None}
    assert len(blobs) < len(evolution.releases) - 5  # identical blobs across tags are common
    cache = Cache(tmp_path / "cache")

    first = git_walk(upstream.path, cache)
    assert sorted(calls) == sorted(hashlib.sha256(b).hexdigest() for b in blobs)
    assert first.parsed == len(blobs)
    stored = list((tmp_path / "cache" / NAMESPACE).rglob("*"))
    assert len([p for p in stored if p.is_file() and not p.name.endswith(".lock")]) == len(blobs) - 1

    calls.clear()
    second = git_walk(upstream.path, cache)
    assert calls == [hashlib.sha256(BROKEN).hexdigest()]  # errors are not cached; tables are
    a, b = build_history(first), build_history(second)
    assert a.files[0].constants == b.files[0].constants
    assert a.files[0].status == b.files[0].status


def test_a_history_walked_again_is_read_whole_from_the_cache(upstream, evolution, tmp_path,
                                                            capsys, monkeypatch):
    from dssync._extract import table_json
    from dssync._analyses import stored

    cache = tmp_path / "cache"
    base = ["history", "--source", f"git:{upstream.path}", "--upstream-path", CONST]
    expected = {fmt: run_cli([*base, "--format", fmt, "--no-cache"], capsys)
                for fmt in ("json", "text")}
    for fmt in ("json", "text"):
        assert run_cli([*base, "--format", fmt, "--cache-dir", str(cache)], capsys) == \
            expected[fmt]
    entries = [p for p in (cache / stored.NAMESPACE).rglob("*") if p.is_file()]
    assert len(entries) == 1
    # Without it, the tables come from the cache, sharing the constants releases have in common.
    entries[0].unlink()
    assert run_cli([*base, "--format", "json", "--cache-dir", str(cache)], capsys) == \
        expected["json"]
    assert entries[0].exists()

    def no_tables(*args, **kwargs):
        raise AssertionError("a table was loaded")

    with monkeypatch.context() as m:
        m.setattr(table_json, "load_table", no_tables)
        for fmt in ("json", "text"):
            assert run_cli([*base, "--format", fmt, "--cache-dir", str(cache)], capsys) == \
                expected[fmt]

    # A damaged entry, or one for other contents, is a miss: built again, and replaced.
    entry = entries[0]
    good = unseal(entry.read_bytes(), entry.name)
    data = json.loads(good)
    bad_details = json.loads(good)
    bad_details["files"][0]["constants"][0][1][0][-1] = [1]
    damaged = [b"{", b"[]", json.dumps({**data, "digest": "0" * 64}).encode(),
               json.dumps({**data, "files": data["files"] * 2}).encode(),
               good.replace(b'"introduced"', b'"invented"', 1),
               json.dumps({**data, "files": [{**data["files"][0], "status": ["absent"] * 120}]})
               .encode(),
               json.dumps(bad_details).encode()]
    # Each sealed (as written by a dssync with another notion of the entry) and not (damaged).
    for bad in [seal_line(b, entry.name) + b for b in damaged] + damaged + \
            [seal_line(good, entry.name) + good[:-1], seal_line(good, "elsewhere") + good]:
        entry.write_bytes(bad)
        assert run_cli([*base, "--format", "json", "--cache-dir", str(cache)], capsys) == \
            expected["json"]
        assert json.loads(unseal(entry.read_bytes(), entry.name)) == data

    # A different walk (fewer tags) has an entry of its own, and the same answer as no cache.
    until = [*base, "--format", "json", "--until", evolution.tags[60]]
    assert run_cli([*until, "--cache-dir", str(cache)], capsys) == \
        run_cli([*until, "--no-cache"], capsys)
    assert len([p for p in (cache / stored.NAMESPACE).rglob("*") if p.is_file()]) == 2


def test_a_cached_history_keeps_the_vendored_names_of_this_run(tmp_path, capsys, monkeypatch):
    repo = make_repo(tmp_path / "up", [("v1.0.0", {CONST: b"A = 1\n"}),
                                       ("v1.1.0", {CONST: b"A = 2\nB = {1, 2}\n"})])
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    cache = ["--cache-dir", str(tmp_path / "cache")]
    for vendored in ("v/constants.py", "w/constants.py"):
        (project / "dssync.toml").write_text(
            f'sources = ["git:{repo.path}"]\n'
            f'[[files]]\nvendored = "{vendored}"\nupstream = "{CONST}"\n')
        code, out, err = run_cli(["history", "--format", "json", *cache], capsys)
        assert code == 0, err
        assert json.loads(out)["files"][0]["vendored"] == vendored
    code, out, _ = run_cli(["history", "--source", f"git:{repo.path}", "--upstream-path", CONST,
                            "--format", "json", *cache], capsys)
    assert "vendored" not in json.loads(out)["files"][0]
    assert out == run_cli(["history", "--source", f"git:{repo.path}", "--upstream-path", CONST,
                           "--format", "json", "--no-cache"], capsys)[1]


def test_since_until_limit_the_walk_and_mark_the_first_tag(upstream, evolution, shared_cache,
                                                           capsys):
    tags = evolution.tags
    code, out, _ = run_cli(["history", "--source", f"git:{upstream.path}", "--upstream-path",
                            CONST, "--since", "0.10", "--until", tags[60], "--cache-dir",
                            str(shared_cache)], capsys)
    assert code == 0
    first = tags.index("v0.10.0")
    assert out.startswith(f"upstream git:{upstream.path}: {60 - first + 1} release tags, "
                          f"v0.10.0 .. {tags[60]}\n")
    assert "    + v0.10.0    present from = " in out
    assert " introduced = " in out  # constants that appeared later in the range


def test_text_report_lists_each_transition(tmp_path, capsys):
    history = [
        ("v0.1.0", {CONST: b"A = 1\nB = 'x'\n"}),
        ("v0.2.0", {CONST: b"A = 2\nB = 'x'\nC = B + 'y'\n"}),
        ("v0.3.0", {CONST: b"A = 2\nB = 'z'\nC = B + 'y'\n"}),
        ("v0.10.0", {CONST: None}),
        ("v0.11.0", {CONST: b"A = 3\n"}),
    ]
    repo = make_repo(tmp_path / "up", history)
    code, out, _ = run_cli(["history", "--source", f"git:{repo.path}", "--upstream-path", CONST,
                            "--file", "vendored/c.py", "--no-cache"], capsys)
    assert code == 0
    assert out == (
        f"upstream git:{repo.path}: 5 release tags, v0.1.0 .. v0.11.0\n"
        "\n"
        "history of lib/constants.py (vendored as vendored/c.py)\n"
        "  file absent at: v0.10.0\n"
        "  3 constants; 3 changed at some release, 2 removed by the last tag\n"
        "  A\n"
        "    + v0.1.0     introduced = 1  (line 1)\n"
        "    ~ v0.2.0     changed: 1 -> 2\n"
        "    - v0.10.0    removed (was 2)\n"
        "    + v0.11.0    re-introduced = 3  (line 1)\n"
        "  B\n"
        "    + v0.1.0     introduced = 'x'  (line 2)\n"
        "    ~ v0.3.0     changed: 'x' -> 'z'\n"
        "    - v0.10.0    removed (was 'z')\n"
        "  C\n"
        "    + v0.2.0     introduced = B + 'y'  (line 3)\n"
        "    ~ v0.3.0     changed through a reference: B + 'y': 'xy' -> 'zy'\n"
        "    - v0.10.0    removed (was B + 'y')\n"
    )
    code, out, _ = run_cli(["history", "--source", f"git:{repo.path}", "--upstream-path", CONST,
                            "--only-changed", "--until", "v0.3.0", "--no-cache"], capsys)
    assert "  B\n" in out and "  C\n" in out and "  A\n" in out
    code, out, _ = run_cli(["history", "--source", f"git:{repo.path}", "--upstream-path", CONST,
                            "--only-changed", "--since", "v0.3.0", "--until", "v0.3.0",
                            "--no-cache"], capsys)
    assert "  0 constants (3 more stayed the same throughout, not shown); 0 added, 0 changed" in out
    assert "  A\n" not in out


def test_since_lists_what_came_within_the_window_apart_from_the_baseline(tmp_path, capsys):
    """With --since, constants introduced inside the window were listed among the baseline
    rows ("unchanged since they appeared", each at the first tag read), and the header did not
    count them: they are counted, and listed before the baseline."""
    repo = make_repo(tmp_path / "up", [
        ("v0.1.0", {CONST: b"A = 1\nB = 2\n"}),
        ("v0.2.0", {CONST: b"A = 1\nB = 3\nZ = 0\n"}),
        ("v0.3.0", {CONST: b"A = 1\nB = 3\nZ = 0\nC = 4\n"}),
        ("v0.4.0", {CONST: b"A = 1\nB = 5\nZ = 0\nC = 4\nD = 6\n"}),
    ])
    code, out, _ = run_cli(["history", "--source", f"git:{repo.path}", "--upstream-path", CONST,
                            "--since", "v0.2.0", "--no-cache"], capsys)
    assert code == 0
    assert out == (
        f"upstream git:{repo.path}: 3 release tags, v0.2.0 .. v0.4.0\n"
        "\n"
        "history of lib/constants.py\n"
        "  5 constants; 2 added, 1 changed at some release, 0 removed by the last tag\n"
        "  B\n"
        "    + v0.2.0     present from = 3  (line 2)\n"
        "    ~ v0.4.0     changed: 3 -> 5\n"
        "  added within the window (2), unchanged since, by the tag that introduced them:\n"
        "    + v0.3.0     C = 4\n"
        "    + v0.4.0     D = 6\n"
        "  present from v0.2.0, the first tag read, and unchanged (2):\n"
        "    + v0.2.0     A = 1\n"
        "    + v0.2.0     Z = 0\n"
    )


def test_history_from_the_configuration(tmp_path, capsys, monkeypatch):
    repo = make_repo(tmp_path / "up", [
        ("v1.0.0", {CONST: b"A = 1\n", "lib/other.py": b"X = 1\n"}),
        ("v1.1.0", {CONST: b"A = 2\n", "lib/other.py": b"X = 1\nY = 2\n"}),
    ])
    project = tmp_path / "project"
    project.mkdir()
    (project / "dssync.toml").write_text(
        f'sources = ["git:{repo.path}"]\n'
        '[[files]]\nvendored = "v/constants.py"\nupstream = "lib/constants.py"\n'
        '[[files]]\nvendored = "v/other.py"\nupstream = "lib/other.py"\n')
    monkeypatch.chdir(project)
    code, out, err = run_cli(["history", "--no-cache", "--format", "json"], capsys)
    assert code == 0, err
    data = valid("history", out)
    assert [(f["path"], f["vendored"]) for f in data["files"]] == [
        ("lib/constants.py", "v/constants.py"), ("lib/other.py", "v/other.py")]
    code, out, err = run_cli(["history", "--no-cache", "--file", "v/other.py"], capsys)
    assert code == 0 and "history of lib/other.py (vendored as v/other.py)" in out
    assert "lib/constants.py" not in out
    assert out.endswith("  unchanged since they appeared (2), by the tag that introduced them:\n"
                        "    + v1.0.0     X = 1\n"
                        "    + v1.1.0     Y = 2\n")


def test_usage_errors_are_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    repo = make_repo(tmp_path / "up", [("v1.0.0", {CONST: b"A = 1\n"}), ("v1.1.0", {})])
    base = ["history", "--source", f"git:{repo.path}", "--upstream-path", CONST, "--no-cache"]
    for extra, message in (
        (["--since", "v2.0"], "no release tag within --since v2.0; upstream's releases run "
                              "from v1.0.0 to v1.1.0"),
        (["--since", "v1.1", "--until", "1.0"], "--since v1.1 is after --until 1.0"),
        (["--since", "yesterday"], "--since 'yesterday' is not a release tag or version"),
        (["--jobs", "0"], "--jobs must be at least 1"),
    ):
        code, out, err = run_cli(base + extra, capsys)
        assert code == 2 and out == ""
        assert message in err and err.count("\n") == 1, err
    code, _, err = run_cli(["history", "--no-cache"], capsys)
    assert code == 2 and "no [tool.dssync] configuration" in err
    code, out, err = run_cli(["history", "--source", f"git:{repo.path}", "--upstream-path",
                              "lib/nothing.py", "--no-cache"], capsys)
    assert code == 0
    assert "note: lib/nothing.py exists at none of the 2 tags" in out


# -- release tags -------------------------------------------------------------------------------


def test_release_tags_order_range_and_prereleases():
    tags = ["v0.10.0", "v0.9.1", "v0.9.0", "nightly", "v1.0.0rc1", "v1.0.0", "release-0.8.0",
            "v0.9.2"]
    assert release_tags(tags, "v{version}") == ["v0.9.0", "v0.9.1", "v0.9.2", "v0.10.0", "v1.0.0"]
    assert release_tags(tags, "v{version}", prereleases=True)[-2:] == ["v1.0.0rc1", "v1.0.0"]
    assert release_tags(tags, "v{version}", since="v0.9.1", until="0.10") == [
        "v0.9.1", "v0.9.2", "v0.10.0"]
    assert release_tags(tags, "release-{version}") == ["release-0.8.0"]
    with pytest.raises(NotFound, match="no release tags matching 'r{version}'"):
        release_tags(tags, "r{version}")


# -- fetching strategies --------------------------------------------------------------------------


class RecordingSource:
    """An upstream that takes a while to answer and records how many requests overlap."""

    def __init__(self, kind: str, contents: dict[str, bytes | None], *, delay: float = 0.02,
                 fail_at: str | None = None) -> None:
        self.kind = kind
        self.spec = f"{kind}:recording"
        self.contents = contents
        self.delay = delay
        self.fail_at = fail_at
        self.active = self.peak = self.requests = 0
        self.lock = threading.Lock()

    def list_tags(self) -> list[str]:
        return list(self.contents)

    def fetch(self, tag: str, paths):
        with self.lock:
            self.active += 1
            self.requests += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.delay)
            if tag == self.fail_at:
                raise SourceUnavailable(f"{self.spec}: connection reset at {tag}")
            out = {}
            for path in paths:
                content = self.contents[tag] if path == CONST else None
                if content is None:
                    raise NotFound(f"{path} does not exist at {tag}")
                out[path] = Fetched(content, Origin(self.spec, tag, path,
                                                    hashlib.sha256(content).hexdigest()))
            return out
        finally:
            with self.lock:
                self.active -= 1


def small_contents(n: int = 16) -> dict[str, bytes | None]:
    contents: dict[str, bytes | None] = {f"v1.{i}.0": f"A = {i // 3}\n".encode() for i in range(n)}
    contents["v1.5.0"] = None
    return contents


def test_github_is_read_one_request_at_a_time():
    source = RecordingSource("github", small_contents())
    got = fetch_across(source, list(source.contents), [CONST], workers=8)
    assert source.peak == 1
    assert got[("v1.5.0", CONST)] is None and got[("v1.4.0", CONST)].content == b"A = 1\n"


def test_http_sources_use_a_bounded_pool():
    source = RecordingSource("pypi", small_contents(24))
    ticks = []
    got = fetch_across(source, list(source.contents), [CONST], workers=4,
                       on_tag=lambda: ticks.append(1))
    assert 1 < source.peak <= 4
    assert len(ticks) == 24 and len(got) == 24
    assert got[("v1.5.0", CONST)] is None


def test_a_missing_path_among_several_is_found_path_by_path():
    source = RecordingSource("pypi", {"v1.0.0": b"A = 1\n"})
    got = fetch_across(source, ["v1.0.0"], [CONST, "lib/other.py"])
    assert got[("v1.0.0", CONST)].content == b"A = 1\n"
    assert got[("v1.0.0", "lib/other.py")] is None


def test_an_unreachable_source_hands_the_whole_walk_to_the_next(upstream, evolution, tmp_path):
    contents = {t: b"A = 1\n" for t in evolution.tags}
    failing = RecordingSource("pypi", contents, delay=0.001, fail_at=evolution.tags[30])
    lines: list[str] = []
    with GitSource(str(upstream.path), SourceContext(cache=Cache(None))) as git_source:
        result = walk([failing, git_source], [CONST], tag_format="v{version}",
                      log=lines.append, workers=4)
    assert result.source == git_source.spec
    assert len(lines) == 1 and "pypi:recording could not answer" in lines[0]
    assert failing.requests < len(evolution.tags)  # queued fetches were dropped
    with pytest.raises(SourceUnavailable, match="no upstream source could answer"):
        walk([RecordingSource("pypi", contents, delay=0, fail_at=evolution.tags[0])], [CONST],
             tag_format="v{version}")


def test_history_from_a_package_index_matches_git(tmp_path):
    evo = evolve(seed=3, releases=14, start=4)
    repo = build_repo(tmp_path / "up", evo)
    with FakeIndex() as index:
        for r in evo.releases:
            files = {"README": b"r\n"} if r.content is None else {CONST: r.content}
            index.add_sdist("evolving", r.tag[1:], files)
        ctx = SourceContext(cache=Cache(tmp_path / "cache"), timeout=(2.0, 5.0),
                            max_retry_seconds=1.0)
        source = PackageIndexSource("evolving", ctx, index_url=index.url)
        try:
            from_index = walk([source], [CONST], tag_format="v{version}", cache=ctx.cache,
                              workers=4)
        finally:
            source.close()
        archives = [p for p in index.hits if p.startswith("/files/")]
        assert len(archives) == len(evo.releases)
        assert all(index.hits[p] == 1 for p in archives)
    from_git = git_walk(repo.path, Cache(None))
    a, b = build_history(from_index), build_history(from_git)
    assert a.tags == b.tags == evo.tags
    assert a.files[0].constants == b.files[0].constants
    assert a.files[0].status == b.files[0].status


def test_progress_bar_only_on_a_terminal():
    assert isinstance(progress_for_stderr(), NoProgress)  # pytest captures stderr


# -- parsed tables as JSON, and their cache --------------------------------------------------------

TRICKY = b'''"""Every shape of binding the extractor knows."""
import os
A = 1
B = A * 2 + 1
C, D = 3, "four"
E, F = divmod(7, 2)
G = [1, 2]
G += [3]
H = {"k": (1, 2.5, None, True)}
H["k2"] = 2
I = -3j + 1
J = f"{B}-{D!r:>8}"
K = b"bytes\\x00"
L = "tab\\tquote'\\"" * 2
if os.name == "nt":
    M = "windows"
else:
    M = "posix"
try:
    N = 1 / 0
except ZeroDivisionError:
    N = float("inf")
class Limits:
    MAX = B + 1
    MIN: int = -MAX
O = Limits.MAX ** 2
P = 1e400
Q = {1, 2}
R = P - P
S, *T = (1, 2, 3)
U = lambda x: x
V: "Annotated" = (W := 4)
X = Y = "chained"
'''


def _same_table(a: ConstantTable, b: ConstantTable) -> None:
    assert a.constants == b.constants
    assert list(a.constants) == list(b.constants)
    for name, const in a.constants.items():
        assert [repr(x.literal) for x in const.bindings] == \
               [repr(x.literal) for x in b.constants[name].bindings]
    assert repr(a.resolved) == repr(b.resolved)
    assert a.sha256 == b.sha256


@pytest.mark.parametrize("source", ["tricky", *sorted(
    str(p.relative_to(Path(__file__).parents[1]))
    for p in (Path(__file__).parents[1] / "vendored").rglob("*.py"))])
def test_table_json_round_trip_equals_a_fresh_extraction(source):
    data = TRICKY if source == "tricky" else (Path(__file__).parents[1] / source).read_bytes()
    table = extract_table(data, source)
    again = table_from_json(json.loads(json.dumps(table_to_json(table))), source)
    _same_table(table, again)
    assert again.path == source


def test_tricky_module_really_is_tricky():
    table = extract_table(TRICKY, "t.py")
    assert table["E"].binding.index == 0 and table["G"].augments
    assert table.value_of("G") == [1, 2, 3] and table.value_of("J") == "3-  'four'"
    assert table["M"].conditional and table.value_of("Limits.MIN") == -4


def test_damaged_or_foreign_cache_entries_are_misses(tmp_path):
    cache = Cache(tmp_path)
    sha = hashlib.sha256(TRICKY).hexdigest()
    key = cache_key(sha)
    cache.write(NAMESPACE, key, b"{not json")
    _same_table(load_table(TRICKY, "t.py", cache), extract_table(TRICKY, "t.py"))
    assert cache.read_json(NAMESPACE, key)["sha256"] == sha  # replaced by a good entry
    # An entry that parses but describes other content (or another format) is not trusted.
    good = table_to_json(extract_table(TRICKY, "t.py"))
    record = json.loads(good["constants"][0])
    for bad in ({"format": 1, "sha256": sha, "constants": []},
                {**good, "sha256": "0" * 64},
                {**good, "constants": [{"name": "A"}]},
                {**good, "constants": ["[1]"]},
                {**good, "constants": [good["constants"][0] + "," + good["constants"][1],
                                       *good["constants"][2:]]},
                {**good, "constants": [json.dumps([record[0], [[1]], [], []])]},
                {**good, "constants": good["constants"] * 2},
                {**good, "resolved": good["resolved"][1:]},
                {**good, "resolved": [["="]] * len(good["resolved"])},
                {**good, "resolved": [["?"]] * len(good["resolved"])},
                {**good, "resolved": "x"}):
        cache.write_json(NAMESPACE, key, bad)
        _same_table(load_table(TRICKY, "t.py", cache), extract_table(TRICKY, "t.py"))
        assert cache.read_json(NAMESPACE, key) == good
    with pytest.raises(ValueError):
        table_from_json({"format": FORMAT_VERSION, "constants": ["[]"], "resolved": None}, "x")


def test_stored_values_are_used_as_stored_or_recomputed_when_not_stored(tmp_path, monkeypatch):
    fresh = extract_table(TRICKY, "t.py")
    stored = table_to_json(fresh)
    assert stored["resolved"] is not None  # every value of TRICKY can be stored exactly
    assert ["="] in stored["resolved"]  # a literal's value is not stored twice
    # Loading evaluates nothing when the values are there...
    from dssync._extract import evaluate, resolve

    def boom(*args, **kwargs):
        raise AssertionError("evaluated on loading")

    with monkeypatch.context() as m:
        m.setattr(evaluate, "literal_value", boom)
        m.setattr(resolve.Resolver, "resolve_all", boom)
        _same_table(table_from_json(json.loads(json.dumps(stored)), "t.py"), fresh)
    # ...sets included: stored in the order the evaluator adds their members, not as they
    # iterate here (which another process's hash seed would not rebuild).
    q = list(fresh.constants).index("Q")
    literal = json.loads(stored["constants"][q])[1][-1][6]  # Q's binding's literal
    assert literal == encode_value(canonical_set(reversed(list(fresh.resolved["Q"])))) \
        == ["F", 1, 2]
    # A table holding a value that cannot be stored keeps its text only.
    monkeypatch.setattr("dssync._extract.table_json.encode_value",
                        lambda value, depth=0: (_ for _ in ()).throw(ValueError("no")))
    textual = json.loads(json.dumps(table_to_json(fresh)))
    assert textual["resolved"] is None
    monkeypatch.undo()
    _same_table(table_from_json(textual, "t.py"), fresh)


def test_tables_loaded_together_share_what_they_have_in_common(tmp_path):
    cache = Cache(tmp_path)
    old = TRICKY + b"Z = 1\n"
    new = TRICKY + b"Z = 2\n"
    for content in (old, new):
        load_table(content, "t.py", cache)
    memo = Memo()
    a = load_table(old, "t.py", cache, memo)
    b = load_table(new, "t.py", cache, memo)
    _same_table(a, extract_table(old, "t.py"))
    _same_table(b, extract_table(new, "t.py"))
    assert all(a[name] is b[name] for name in a.constants if name != "Z")
    assert a.value_of("Z") == 1 and b.value_of("Z") == 2
    assert diff_tables(a, b).counts()["changed"] == 1


def test_cache_key_names_format_dssync_and_python_versions():
    import sys

    from dssync import __version__

    key = cache_key("ab" * 32)
    assert key.startswith(f"table/v{FORMAT_VERSION}/") and f"dssync-{__version__}" in key
    assert f"py{sys.version_info[0]}.{sys.version_info[1]}" in key and key.endswith("ab" * 32)


def test_disabled_cache_still_parses(tmp_path):
    table = load_table(b"A = 1\n", "x.py", Cache(None))
    assert table.value_of("A") == 1
    assert not any(tmp_path.iterdir())


def test_a_source_without_releases_hands_over_and_sources_are_built_lazily(tmp_path):
    empty = RecordingSource("pypi", {"nightly": b"A = 1\n"})
    full = RecordingSource("github", small_contents(3))
    built: list[str] = []

    def later(source):
        def build():
            built.append(source.spec)
            return source
        return build

    lines: list[str] = []
    result = walk([later(empty), later(full), later(RecordingSource("git", {}))], [CONST],
                  tag_format="v{version}", log=lines.append)
    assert result.source == "github:recording"
    assert result.tags == ["v1.0.0", "v1.1.0", "v1.2.0", "v1.5.0"]
    assert built == ["pypi:recording", "github:recording"]  # the third was never needed
    assert "pypi:recording does not have it (upstream has no release tags" in lines[0]
    with pytest.raises(NotFound, match="no release tags"):
        walk([empty], [CONST], tag_format="v{version}")


def test_history_through_a_package_index_runs_offline_from_what_an_online_walk_cached(
        tmp_path, capsys):
    """The release list and every release's archive are kept, so the walk needs no index."""
    evo = evolve(seed=5, releases=8, start=2)
    cache = tmp_path / "cache"
    with FakeIndex() as index:
        for r in evo.releases:
            files = {"README": b"r\n"} if r.content is None else {CONST: r.content}
            index.add_sdist("evolving", r.tag[1:], files)
        url = index.url
        base = ["history", "--source", "pypi:evolving", "--upstream-path", CONST,
                "--index-url", url, "--cache-dir", str(cache), "--format", "json"]
        online = run_cli(base, capsys)
        assert online[0] == 0, online[2]
        assert any(r.content is None for r in evo.releases)  # a release without the file too
    # Nothing answers at the index URL any more; the finished history is not what is read.
    stored = [p for p in (cache / "histories").rglob("*") if p.is_file()]
    assert stored
    for entry in stored:
        entry.unlink()
    offline = run_cli([*base, "--offline"], capsys)
    assert offline[0] == 0, offline[2]
    assert offline == online
    tags = run_cli(["tags", "--source", "pypi:evolving", "--index-url", url,
                    "--cache-dir", str(cache), "--offline"], capsys)
    assert tags[0] == 0, tags[2]
    assert tags[1].split() == sorted(evo.tags, key=lambda t: tuple(map(int, t[1:].split("."))),
                                     reverse=True)
