"""Property tests: formatting is never drift, every generated edit is found exactly, and no
damage to the cache changes what ``dssync update`` writes.

The modules come from tests/strategies.py; the oracle is the generating model, never dssync
(only the name-similarity measure of renames, a documented definition, is dssync's own); for
the cache, the oracle is a run with an empty cache. ``HYPOTHESIS_PROFILE=nightly`` runs 10000
examples a test instead of 200 (1000 for the cache).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import dssync._extract.extract as extract_module
from dssync._diff.engine import diff_tables
from dssync._diff.renames import similarity
from dssync._extract.extract import extract_table
from dssync._extract.table_json import table_from_json, table_to_json
from dssync._report.json_format import render as render_json
from dssync.models import UNRESOLVED, DriftReport
from strategies import (
    ClassDef, Const, Layout, Module, _referenced, edits, layouts, load_profile, modules,
    render_module, strictly_equal,
)

PROFILE = load_profile()

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "tool" / "dssync" / "schema" / "drift.schema.json"
VALIDATOR = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def table(source: str, path: str):
    note(f"--- {path}\n{source}")
    return extract_table(source.encode("utf-8"), path)


def assert_resolves_like_model(t, module: Module) -> None:
    expected = module.resolved()
    # Source order by line; names bound on one line (``A = 1; B = 2``) come by name for now
    # (the strict xfail test_names_on_one_line_keep_their_written_order tracks that).
    assert sorted(t.names()) == sorted(expected)
    lines = [t[name].line for name in t.names()]
    assert lines == sorted(lines)
    for name, value in expected.items():
        got = t.value_of(name)
        assert got is not UNRESOLVED, name
        assert strictly_equal(got, value), (name, got, value)


def assert_source_order(drift) -> None:
    for items, line in ((drift.added, "line"), (drift.removed, "line"), (drift.changed, "old_line")):
        lines = [getattr(i, line) for i in items]
        assert lines == sorted(lines)


@given(modules())
def test_module_compared_with_itself_has_no_drift(module):
    source = render_module(module)
    old, new = table(source, "old.py"), table(source, "new.py")
    assert_resolves_like_model(old, module)
    drift = diff_tables(old, new)
    assert not drift.has_drift
    assert drift.counts() == {"added": 0, "removed": 0, "changed": 0, "renamed": 0,
                              "renamed_classes": 0, "pinned": 0, "moved": 0}
    # The table cache stores tables as JSON; a stored table must come back the same.
    stored = table_from_json(json.loads(json.dumps(table_to_json(old))), "old.py")
    assert stored.constants == old.constants
    assert repr(stored.resolved) == repr(old.resolved)  # sets iterate as freshly evaluated ones
    assert_resolves_like_model(stored, module)
    assert not diff_tables(stored, new).has_drift


@given(modules(), layouts, layouts, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_reformatted_module_has_no_drift(module, layout_a, layout_b, newline, bom):
    old = table(render_module(module, layout_a), "old.py")
    text = render_module(module, layout_b).replace("\n", newline)
    note(f"new.py with {newline!r} line endings{', BOM' if bom else ''}")
    new = extract_table(b"\xef\xbb\xbf" * bom + text.encode("utf-8"), "new.py")
    assert_resolves_like_model(old, module)
    assert_resolves_like_model(new, module)
    for name in old.names():
        assert old[name].normalized == new[name].normalized, name
    drift = diff_tables(old, new)
    assert not drift.has_drift, (drift.added, drift.removed, drift.changed, drift.renamed)


@given(st.data())
def test_every_edit_is_found_exactly(data):
    module = data.draw(modules())
    edited, edit = data.draw(edits(module))
    old = table(render_module(module, data.draw(layouts)), "old.py")
    new = table(render_module(edited, data.draw(layouts)), "new.py")
    assert_resolves_like_model(new, edited)
    drift = diff_tables(old, new, renames=False)

    assert {a.name for a in drift.added} == edit.added
    assert {r.name for r in drift.removed} == edit.removed
    assert {c.name for c in drift.changed if c.kind == "value"} == edit.rewritten
    before, after = module.resolved(), edited.resolved()
    knock_on = {name for name in before if name in after and name not in edit.rewritten
                and not strictly_equal(before[name], after[name])}
    assert {c.name for c in drift.changed if c.kind == "reference"} == knock_on
    assert len(drift.changed) == len({c.name for c in drift.changed})
    assert drift.has_drift == bool(edit.added or edit.removed or edit.rewritten or knock_on)
    assert_source_order(drift)

    report = json.loads(render_json(DriftReport(files=[drift])))
    VALIDATOR.validate(report)
    assert report["drift"] == drift.has_drift


def _rename(module: Module, target: str, new_name: str) -> Module:
    body = []
    for stmt in module.body:
        if isinstance(stmt, ClassDef):
            members = tuple(replace(c, name=new_name) if f"{stmt.name}.{c.name}" == target else c
                            for c in stmt.body)
            body.append(ClassDef(stmt.name, members))
        elif stmt.name == target:
            body.append(Const(new_name, stmt.value))
        else:
            body.append(stmt)
    return Module(tuple(body))


COMMON_VALUES = (True, False, None, 0, 1, -1, "", (), [], {})


def rename_expected(old_name: str, new_name: str, value) -> bool:
    """The documented rule: in one scope, the words of the names within it are similar (ratio
    >= 0.6, or >= 0.75 for a value many constants share)."""
    old_scope, _, old_short = old_name.rpartition(".")
    new_scope, _, new_short = new_name.rpartition(".")
    common = any(type(value) is type(c) and value == c for c in COMMON_VALUES)
    return old_scope == new_scope and similarity(old_short, new_short) >= (0.75 if common else 0.6)


@given(st.data())
def test_a_rename_is_found_exactly_when_the_names_are_similar_enough(data):
    module = data.draw(modules(min_size=1))
    values = module.constants()
    referenced = _referenced(module)
    candidates = [n for n in values if n not in referenced]
    if not candidates:
        return
    target = data.draw(st.sampled_from(candidates))
    taken = set(values) | {n.rpartition(".")[2] for n in values}
    short = target.rpartition(".")[2]
    new_short = short + data.draw(st.sampled_from(["_VALUE", "_DEFAULT_VALUE", "X", "_V2"]))
    while new_short in taken:
        new_short += "_X"
    edited = _rename(module, target, new_short)
    qualified = target[: len(target) - len(short)] + new_short
    old = table(render_module(module, data.draw(layouts)), "old.py")
    new = table(render_module(edited, data.draw(layouts)), "new.py")
    drift = diff_tables(old, new)
    assert not drift.changed
    if rename_expected(target, qualified, module.resolved()[target]):
        assert [(r.old_name, r.new_name) for r in drift.renamed] == [(target, qualified)]
        assert drift.renamed[0].similarity >= 0.6
        assert not (drift.added or drift.removed)
    else:
        assert drift.renamed == []
        assert [a.name for a in drift.added] == [qualified]
    unrenamed = diff_tables(old, new, renames=False)
    assert [a.name for a in unrenamed.added] == [qualified]
    assert [r.name for r in unrenamed.removed] == [target]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


@given(modules(min_size=1), layouts)
def test_each_binding_quotes_the_very_node_the_rewrite_replaces(module, layout):
    """A binding's text as written (what a report quotes) is the text of its value node (what
    ``update`` replaces): both come from the one walk of libcst's tree."""
    from dssync._extract.parse import parse_module
    from dssync._extract.walk import Walk

    source = render_module(module, layout)
    note(source)
    c_module = parse_module(source, "m.py")
    raws = [r for r in Walk(c_module).bindings() if r.kind != "delete"]
    for raw in raws:
        written = c_module.code_for_node(raw.written)
        # code_for_node renders a node outside its block, so continuation lines lose the
        # class body's indentation; the walk's text keeps it.
        assert _lines(raw.source) == _lines(written), raw.name
    assert len(raws) >= len(module.constants())


@given(modules(min_size=1), layouts, st.integers(1, 6))
def test_reading_in_pieces_gives_the_same_table(module, layout, size):
    """Modules are parsed a few dozen lines at a time; cut before any top-level statement the
    text allows, the table must not change (comments included: a run may cross a cut)."""
    source = render_module(module, layout).encode("utf-8")
    real_pieces = extract_module._pieces
    with mock.patch.object(extract_module, "_pieces",
                           lambda text, path, **kw: real_pieces(text, path, 10**9, **kw)):
        whole = extract_table(source, "m.py")
    with mock.patch.object(extract_module, "_pieces",
                           lambda text, path, **kw: real_pieces(text, path, size, **kw)):
        pieces = extract_table(source, "m.py")
    assert pieces.names() == whole.names()
    for name in whole.names():
        assert pieces[name] == whole[name], name
        assert pieces[name].source == whole[name].source, name
    assert pieces.resolved == whole.resolved


@given(st.data())
def test_a_walk_sharing_what_it_read_extracts_what_each_file_alone_would(data):
    """A history walk (or a diff of two files) lends each value's normalized form, literal and
    names, and each piece's bindings, from one text to the next; every text must still come
    out as if it were extracted on its own."""
    module = data.draw(modules())
    edited, _ = data.draw(edits(module))
    sources = [render_module(m, data.draw(layouts)).encode("utf-8")
               for m in (module, edited, module)]
    memo = extract_module.ReadMemo()
    for i, source in enumerate(sources):
        shared = extract_table(source, f"{i}.py", memo)
        alone = extract_table(source, f"{i}.py")
        assert shared.constants == alone.constants
        for name, const in alone.constants.items():
            assert [repr(b.literal) for b in shared[name].bindings] == \
                   [repr(b.literal) for b in const.bindings]
        assert repr(shared.resolved) == repr(alone.resolved)
        assert diff_tables(shared, alone).counts()["changed"] == 0
    # The model's constants, not its statements: an empty class binds nothing to remember.
    assert bool(memo.values) == bool(module.constants() or edited.constants())
    assert memo.pieces


@pytest.mark.parametrize("seed", range(5))
def test_layouts_really_vary_the_source(seed):
    """Guards the generator: a reformatting that never changes anything would prove nothing."""
    import random

    module = Module((Const("A", [1, "x", {"k": (2.5, None)}]), Const("B", "it's"),
                     ClassDef("ValidationMode", (Const("WARN", "WARN"),))))
    texts = {render_module(module, Layout(random.Random(seed * 100 + i))) for i in range(20)}
    assert len(texts) > 10


# --- a damaged cache ---------------------------------------------------------------------------

CACHE_EXAMPLES = 1000 if PROFILE == "ci" else settings.default.max_examples
DAMAGES = ("truncate", "zero", "flip", "delete", "directory", "another entry")


@pytest.fixture(scope="module")
def cache_world():
    """The world of test_cache_integrity, on a RAM disk where there is one: each example writes
    a handful of files, and fsync on a real disk would cost more than the run itself."""
    from servers.github_server import FakeGitHub
    from servers.index_server import FakeIndex
    from test_cache_integrity import build_world

    ram = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(dir=ram, prefix="dssync-damage-") as tmp, \
            FakeIndex() as index, FakeGitHub() as gh:
        yield build_world(Path(tmp), index, gh)


@st.composite
def damages(draw, size: int):
    kind = draw(st.sampled_from(DAMAGES))
    if kind == "truncate":
        return kind, draw(st.integers(0, max(0, size - 1)))
    if kind == "flip":
        return kind, draw(st.lists(st.tuples(st.integers(0, max(0, size - 1)),
                                             st.integers(1, 255)), min_size=1, max_size=8))
    if kind == "another entry":
        return kind, draw(st.integers(0, 10**6))
    return kind, None


def _damage(path: Path, kind: str, arg, others: list[Path]) -> None:
    data = path.read_bytes()
    if kind == "truncate":
        path.write_bytes(data[:arg])
    elif kind == "zero":
        path.write_bytes(bytes(len(data)))
    elif kind == "flip":
        damaged = bytearray(data)
        for at, mask in arg:
            if damaged:
                damaged[at % len(damaged)] ^= mask
        path.write_bytes(bytes(damaged))
    elif kind == "delete":
        path.unlink()
    elif kind == "directory":
        path.unlink()
        path.mkdir()
        (path / "inside").write_bytes(data)
    else:
        other = [p for p in others if p != path]
        path.write_bytes(other[arg % len(other)].read_bytes())


# At nightly size the test runs for minutes; the suite's 300 s timeout is for the default.
@pytest.mark.timeout(0 if PROFILE != "ci" else 300)
@settings(max_examples=CACHE_EXAMPLES)
@given(st.data())
def test_a_damaged_cache_entry_never_changes_what_update_writes(cache_world, data):
    """Random damage to one random cache entry (any file of a cached git clone too), then
    ``dssync update --tag v2``: the vendored file (and the lock) are exactly what a run with an
    empty cache writes, or (exit 2, one line) left as they were. Never an internal error."""
    from test_cache_integrity import SOURCES, cli, entries, files_of

    # A git example costs five of the others (git runs in subprocesses): one in seven.
    source = data.draw(st.sampled_from(SOURCES[:2] * 3 + SOURCES[2:]), label="source")
    project, cache = cache_world.reset(source, cache_world.tmp / f"example-{source}")
    present = entries(cache)
    target = data.draw(st.sampled_from(present), label="entry")
    kind, arg = data.draw(damages(target.stat().st_size), label="damage")
    note(f"{target.relative_to(cache)}: {kind} {arg}")
    _damage(target, kind, arg, present)
    before = files_of(project)
    code, out, err = cli(project, "update", "--tag", "v2", "--cache-dir", str(cache))
    note(f"exit {code}\n{out}{err}")
    assert "internal error" not in err and "Traceback" not in err, err
    if code == 0:
        assert err == "", err
        assert files_of(project) == cache_world.expected[source]
    else:
        assert code == 2, code
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("dssync: "), err
        assert files_of(project) == before
