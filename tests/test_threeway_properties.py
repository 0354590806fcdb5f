"""The three-way merge on generated base / ours / theirs triples: it keeps every local-only
change, takes every upstream-only change (or lists why not), lists a conflict for every
constant both sides changed differently, and never introduces an undefined name.

Each side is a constants module drawn from one small model: constants whose values are
literals, references to other constants, or uses of a module or name that an import binds
(``os.sep``, ``Optional[int]``), with the imports each side needs. The merge has to bring an
import along whenever it takes a value that needs one.
"""

from __future__ import annotations

from dssync._extract.extract import extract_table
from dssync._rewrite import merge
from hypothesis import given, note, settings
from hypothesis import strategies as st
from lint_checks import undefined_names
from strategies import load_profile

load_profile()

NAMES = ["A", "B", "C", "D", "E", "F"]
MISSING = object()
# value -> (source, import it needs)
KINDS = [
    ("1", None), ("2", None), ("'x'", None), ("[1, 2]", None),
    ("os.sep", "import os"), ("os.pathsep", "import os"),
    ("Optional[int]", "from typing import Optional"),
    ("Dict[str, int]", "from typing import Dict"),
    ("OrderedDict()", "from collections import OrderedDict"),
]
values = st.sampled_from(range(len(KINDS)))
sides = st.dictionaries(st.sampled_from(NAMES), values, min_size=1)


def edited(base: dict) -> st.SearchStrategy[dict]:
    """``base`` with some constants changed, removed or added."""
    return st.fixed_dictionaries({n: st.one_of(st.just(base.get(n, MISSING)), st.just(MISSING),
                                               values) for n in NAMES}).map(
        lambda d: {k: v for k, v in d.items() if v is not MISSING})


def render(model: dict, refs: dict[str, str]) -> bytes:
    imports = sorted({KINDS[v][1] for v in model.values() if KINDS[v][1]})
    lines = ['"""Generated."""', *imports, ""] if imports else ['"""Generated."""', ""]
    for name in NAMES:
        if name in model:
            lines.append(f"{name} = {KINDS[model[name]][0]}")
            ref = refs.get(name)
            if ref is not None and ref in model and NAMES.index(ref) < NAMES.index(name):
                lines.append(f"{name}_REF = {ref}")
    return ("\n".join(lines) + "\n").encode()


def value(table, name: str):
    return table[name].binding.normalized if name in table else MISSING


@st.composite
def triples(draw):
    base = draw(sides)
    refs = draw(st.dictionaries(st.sampled_from(NAMES), st.sampled_from(NAMES), max_size=2))
    ours, theirs = draw(edited(base)), draw(edited(base))
    return render(base, refs), render(ours, refs), render(theirs, refs)


@settings(deadline=None)
@given(triples(), st.booleans())
def test_three_way_merge_keeps_local_takes_upstream_lists_conflicts(triple, prefer_theirs):
    base, ours, theirs = triple
    note(f"base:\n{base.decode()}\nours:\n{ours.decode()}\ntheirs:\n{theirs.decode()}")
    result = merge(ours, theirs, base=base, theirs=prefer_theirs)
    note(f"result:\n{result.data.decode()}")
    compile(result.data, "result", "exec")
    assert undefined_names(result.data) <= undefined_names(ours) | undefined_names(theirs)
    bt, ot, tt = (extract_table(x, p) for x, p in ((base, "b"), (ours, "o"), (theirs, "t")))
    rt = extract_table(result.data, "r")
    left = {name for name, _ in result.plan.left}
    conflicts = {name for name, _ in result.plan.conflicts}
    for name in set(bt.constants) | set(ot.constants) | set(tt.constants):
        b, o, t, r = value(bt, name), value(ot, name), value(tt, name), value(rt, name)
        if o == b and t != b:  # upstream only
            assert r == t or name in left, name
        elif t == b and o != b:  # local only
            assert r == o, name
            assert name not in left
        elif o != b and t != b and o != t:  # both, differently
            if prefer_theirs:
                assert r == t or name in left, name
            else:
                assert r == o and name in conflicts, name
        else:  # the same on both sides
            assert r == o, name
