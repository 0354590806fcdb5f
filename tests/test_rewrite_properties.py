"""Round trip: after an update, a diff against the same upstream finds nothing (pins aside), the
file parses, and a second update changes nothing.

Pairs: a random constants module and a random edit of it (removals, rewrites, additions, also
inside classes), each side rendered by tests/strategies.py with its own random formatting
(comments, blank lines, semicolons, backslashes, annotations, wrapped containers), sometimes
with CRLF line endings or a byte order mark. Either side of the edit may be the vendored one.
The modules and edits are drawn here from one prebuilt value strategy: strategies.modules()
builds a new recursive strategy per constant, which made each case cost 0.2 s to draw.
"""

from __future__ import annotations

import codecs
import re
from fnmatch import fnmatchcase

from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from dssync._diff.engine import diff_tables
from dssync._extract.extract import extract_table
from dssync._rewrite import Selection, merge
from strategies import (
    ClassDef, Const, Layout, Module, Ref, SetLit, hashables, load_profile, render_module, scalars,
)

load_profile()


def _share(fraction: float) -> settings:
    """A part of the profile's examples, for the properties that cost several merges each."""
    return settings(max_examples=max(20, int(settings.default.max_examples * fraction)))

# A real random generator seeded by hypothesis: the formatting makes hundreds of choices, and
# drawing each through hypothesis (strategies.layouts) is slow; the seed still replays a case.
layouts = st.randoms(use_true_random=True).map(Layout)
_POOL = [f"{a}{b}" for a in "ABCDEFGHKMNPRSTWXZ" for b in ("", "_1", "_MAX")]
_VALUES = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=3),
    st.lists(children, max_size=3).map(tuple),
    st.dictionaries(hashables, children, max_size=3),
    st.lists(hashables, min_size=1, max_size=3, unique=True).map(lambda xs: SetLit(tuple(xs))),
), max_leaves=5)


def _value(draw, refs: list[str]):
    if refs and draw(st.integers(0, 4)) == 0:
        ref = Ref(draw(st.sampled_from(refs)))
        return draw(st.sampled_from([ref, [ref, 2], (3, ref)]))
    return draw(_VALUES)


def _refs(value) -> set[str]:
    if isinstance(value, Ref):
        return {value.name}
    if isinstance(value, SetLit):
        value = value.items
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return set().union(*map(_refs, value)) if value else set()
    return set()


@st.composite
def _original(draw) -> Module:
    names = draw(st.lists(st.sampled_from(_POOL), unique=True, max_size=10))
    body: list = []
    refs: list[str] = []
    i = 0
    while i < len(names):
        if draw(st.integers(0, 6)) == 0:
            cname = f"K{names[i].replace('_', '').capitalize()}Mode"
            size = draw(st.integers(0, 3))
            members = []
            for name in names[i + 1:i + 1 + size]:
                members.append(Const(name, _value(draw, refs)))
                refs.append(f"{cname}.{name}")
            body.append(ClassDef(cname, tuple(members)))
            i += 1 + size
        else:
            body.append(Const(names[i], _value(draw, refs)))
            refs.append(names[i])
            i += 1
    return Module(tuple(body))


@st.composite
def _edited(draw, module: Module) -> Module:
    """Removes (what nothing refers to), rewrites and adds constants anywhere."""
    used = {n.rpartition(".")[2] for n in module.constants()}
    spare = [n for n in _POOL if n not in used]
    referenced = set().union(*map(_refs, module.constants().values())) if module.body else set()
    refs: list[str] = []

    def scope(consts, cname=None) -> list:
        out = []
        for const in [*consts, None]:
            if spare and draw(st.integers(0, 4)) == 0:
                name = spare.pop(draw(st.integers(0, len(spare) - 1)))
                out.append(Const(name, _value(draw, refs)))
                refs.append(f"{cname}.{name}" if cname else name)
            if const is None:
                break
            qualified = f"{cname}.{const.name}" if cname else const.name
            action = draw(st.sampled_from(["keep", "keep", "remove", "rewrite"]))
            if action == "remove" and qualified not in referenced:
                continue
            value = _value(draw, refs) if action == "rewrite" else const.value
            if _refs(value) - set(refs):
                value = const.value
            out.append(Const(const.name, value))
            refs.append(qualified)
        return out

    body: list = []
    for stmt in module.body:
        if isinstance(stmt, ClassDef):
            body.append(ClassDef(stmt.name, tuple(scope(stmt.body, stmt.name))))
        else:
            body += scope([stmt])
    return Module(tuple(body))


@st.composite
def pairs(draw):
    original = draw(_original())
    edited = draw(_edited(original))
    old, new = (edited, original) if draw(st.booleans()) else (original, edited)
    vendored = render_module(old, draw(layouts))
    upstream = render_module(new, draw(layouts))
    if draw(st.integers(0, 3)) == 0:
        vendored = vendored.replace("\n", "\r\n")
    if draw(st.integers(0, 3)) == 0:
        upstream = upstream.replace("\n", "\r\n")
    v_bytes = vendored.encode("utf-8")
    if draw(st.integers(0, 5)) == 0:
        v_bytes = codecs.BOM_UTF8 + v_bytes
    note(f"vendored:\n{vendored}\nupstream:\n{upstream}")
    return v_bytes, upstream.encode("utf-8")


def _drifted(data: bytes, upstream: bytes, pins=None, *, values_only: bool = False) -> set[str]:
    """Names that differ; ``values_only`` leaves out those that differ only through what they
    refer to."""
    after = extract_table(data, "after")
    drift = diff_tables(after, extract_table(upstream, "upstream"), pins=pins, renames=False)
    changed = [c for c in drift.changed if c.kind == "value" or not values_only]
    return {c.name for c in [*drift.added, *drift.removed, *changed]}


def _no_drift(data: bytes, upstream: bytes, pins=None) -> None:
    assert _drifted(data, upstream, pins) == set()


def _same_style(before: bytes, after: bytes) -> None:
    assert after.startswith(codecs.BOM_UTF8) == before.startswith(codecs.BOM_UTF8)
    text_before, text_after = before.decode("utf-8-sig"), after.decode("utf-8-sig")
    if "\r\n" in text_before:
        assert text_after.count("\n") == text_after.count("\r\n")
    else:
        assert "\r" not in text_after.replace("\\r", "")
    assert text_after.endswith("\n") == text_before.endswith("\n")


@given(pairs())
def test_update_round_trip(pair):
    vendored, upstream = pair
    result = merge(vendored, upstream)
    assert result.plan.manual == []
    _no_drift(result.data, upstream)
    _same_style(vendored, result.data)
    again = merge(result.data, upstream)
    assert again.data == result.data and again.plan.empty


@_share(0.25)
@given(pairs(), st.data())
def test_pins_keep_their_local_value(pair, data):
    vendored, upstream = pair
    names = sorted(set(extract_table(vendored, "v").names()) | set(extract_table(upstream, "u").names()))
    pins = {n: "local" for n in data.draw(st.lists(st.sampled_from(names), unique=True)
                                          if names else st.just([]))}
    result = merge(vendored, upstream, pins=pins)
    # An upstream constant that refers to a pinned-away one cannot come in; it is reported.
    # (Constants that refer to a pinned one may resolve differently: that is the pin's doing.)
    # A changed one whose new value refers to a pinned-away one is left out too (names resolve).
    assert _drifted(result.data, upstream, pins, values_only=True) == {
        name for name, _ in result.plan.left}
    # One user "refers to it", several "refer to it" (A_MAX, B still refer to it).
    assert all(" refers to " in why or " refer to " in why for _, why in result.plan.left)
    before, after = extract_table(vendored, "v"), extract_table(result.data, "after")
    for name in pins:
        assert (name in after) == (name in before)
        if name in before:
            assert after[name].key == before[name].key
    assert merge(result.data, upstream, pins=pins).data == result.data


@_share(0.25)
@given(pairs(), st.data())
def test_replace_mode_mirrors_upstream_but_pins(pair, data):
    vendored, upstream = pair
    names = sorted(extract_table(vendored, "v").names())
    pins = {n: "local" for n in data.draw(st.lists(st.sampled_from(names), unique=True, max_size=3)
                                          if names else st.just([]))}
    result = merge(vendored, upstream, pins=pins, mode="replace")
    assert _drifted(result.data, upstream, pins, values_only=True) == set()
    before, after = extract_table(vendored, "v"), extract_table(result.data, "after")
    # A pinned constant comes back unless it refers to one upstream no longer has.
    manual = {name for name, _ in result.plan.manual}
    # One user "refers to it", several "refer to it" (A_MAX, B still refer to it).
    assert all(" refers to " in why or " refer to " in why for _, why in result.plan.manual)
    for name in set(pins) - manual:
        assert after[name].key == before[name].key
    if not pins:
        expected = upstream.decode("utf-8").replace("\r\n", "\n")
        got = result.data.decode("utf-8-sig").replace("\r\n", "\n")
        if expected.endswith("\n") == got.endswith("\n"):
            assert got == expected


def _applied(result) -> set[str]:
    return set(result.plan.changed + result.plan.added + result.plan.removed)


@_share(0.25)
@given(pairs(), st.sampled_from(["[A-M]*", "*_*", "*", "K*"]))
def test_only_and_exclude_apply_what_they_select(pair, pattern):
    vendored, upstream = pair
    only = merge(vendored, upstream, select=Selection(only=(pattern,)))
    rest = merge(only.data, upstream, select=Selection(exclude=(pattern,)))
    assert all(fnmatchcase(n, pattern) for n in _applied(only))
    assert not any(fnmatchcase(n, pattern) for n in _applied(rest))
    before = _drifted(vendored, upstream, values_only=True)
    assert _drifted(only.data, upstream, values_only=True) == before - _applied(only)
    # What one part leaves because the other still needs it, a full update then finishes.
    _no_drift(merge(rest.data, upstream).data, upstream)


@_share(0.25)
@given(pairs())
def test_keep_removed_removes_nothing(pair):
    vendored, upstream = pair
    result = merge(vendored, upstream, keep_removed=True)
    before, after = extract_table(vendored, "v"), extract_table(result.data, "after")
    assert set(before.names()) <= set(after.names())
    drift = diff_tables(after, extract_table(upstream, "u"))
    assert not drift.added and not drift.changed
    assert {r.name for r in drift.removed} | {r.old_name for r in drift.renamed} == set(result.plan.kept)


def _neighbours_in(table, name: str, body: str | None, stayed) -> tuple[str | None, str | None]:
    """In ``table`` (the updated file), the nearest statements before and after ``name``'s
    that were there before the update (``stayed``), as reports label them: a constant, or
    ``class C`` for a class seen from the module body (``body`` None)."""
    def label(n: str) -> str | None:
        scope = n.split(".", 1)[0] if "." in n else None
        if body is None:
            return (n if stayed(n) else None) if scope is None else (
                f"class {scope}" if stayed(f"class {scope}") else None)
        return n if scope == body and stayed(n) else None

    line = table[name].line
    # In source order (the table's), which also orders ``A = 1; B = 2`` on one line.
    found = sorted(((table[n].line, i, label(n)) for i, n in enumerate(table.names())
                    if n != name and label(n) is not None), key=lambda item: item[:2])
    before = [lab for at, _, lab in found if at < line]
    after = [lab for at, _, lab in found if at > line]
    return (before[-1] if before else None), (after[0] if after else None)


@given(pairs())
def test_reports_place_an_added_constant_where_update_puts_it(pair):
    """The placement every report shows (computed from the constant tables, without libcst)
    is where ``update`` inserts the constant: below the named neighbour, or above it."""
    vendored, upstream = pair
    v_table, u_table = extract_table(vendored, "v"), extract_table(upstream, "u")
    # A table knows a class by its constants: a vendored class without any is unseen (update
    # fills that class, the report places its new members as a new class).
    classes = set(re.findall(r"^class (\w+)", vendored.decode("utf-8-sig"), re.M))
    assume(classes <= {n.split(".")[0] for n in v_table.names() if "." in n})
    drift = diff_tables(v_table, u_table, renames=False)
    result = merge(vendored, upstream)
    after = extract_table(result.data, "after")
    added = {a.name for a in drift.added}
    classes = {f"class {n.split('.')[0]}" for n in v_table.names() if "." in n}
    for a in drift.added:
        p = a.placement
        scope = a.name.split(".", 1)[0] if "." in a.name else None
        body = scope if scope is not None and any(n.startswith(f"{scope}.") for n in v_table.names()) else None
        before, following = _neighbours_in(
            after, a.name, body, lambda n: n in classes if n.startswith("class ") else n not in added)
        note(f"{a.name}: {p}; updated file has {before!r} before it, {following!r} after it")
        if p.relation == "before":
            assert following == p.neighbour
            if not p.neighbour.startswith("class "):
                assert p.line == v_table[p.neighbour].line
        elif p.relation == "after":
            assert before == p.neighbour
            if not p.neighbour.startswith("class "):
                assert p.line == v_table[p.neighbour].end_line
        else:  # the vendored body shares nothing with upstream's: it goes at the end
            assert p.relation == "end" and following is None
