"""value_json: the exact JSON the table and history caches store resolved values in.

A value read back must be the value a fresh evaluation gives: same types all the way down
(``1`` is not ``True``, a tuple is not a list), same ``repr`` (``-0.0``, a NaN's sign bit),
same iteration order (every set is built by ``canonical_set``, as the evaluator builds them),
in any process; and nothing a damaged cache entry holds may raise anything but ``ValueError``.
"""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dssync._extract.value_json import canonical_set, decode_value, encode_value
from dssync.models import UNRESOLVED
from strategies import load_profile, strictly_equal

load_profile()

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-2**200, max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True), st.text(), st.binary(),
    st.complex_numbers(allow_nan=True, allow_infinity=True),
)
# Sets as the evaluator makes them: members added in canonical order, whatever order they came in.
hashables = st.recursive(
    scalars, lambda inner: st.tuples(inner, inner) | st.lists(inner, max_size=4).map(canonical_set),
    max_leaves=8)
values = st.recursive(
    scalars | hashables,
    lambda inner: (st.lists(inner, max_size=5) | st.tuples(inner, inner)
                   | st.dictionaries(hashables, inner, max_size=4)),
    max_leaves=25,
)


def through_json(value):
    return decode_value(json.loads(json.dumps(encode_value(value))))


def bits(x: float) -> bytes:
    return struct.pack(">d", x)


def same(a, b) -> bool:
    """``strictly_equal``, with floats compared bit for bit (NaN included) and sets by order.

    Except a set holding a NaN: a NaN hashes by its identity, so no two such sets, however
    built, iterate alike; their members are matched instead."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return bits(a) == bits(b)
    if type(a) is complex:
        return same(a.real, b.real) and same(a.imag, b.imag)
    if type(a) in (set, frozenset) and any(math.isnan(x) for x in _floats(a)):
        return len(a) == len(b) and all(any(same(x, y) for y in b) for x in a)
    if type(a) in (list, tuple, set, frozenset):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return same(list(a), list(b)) and all(same(x, y) for x, y in zip(a.values(), b.values()))
    return strictly_equal(a, b)


@given(values)
def test_every_value_comes_back_exactly(value):
    again = through_json(value)
    assert same(value, again)
    if not any(math.isnan(x) for x in _floats(value)):
        assert repr(again) == repr(value)


def _floats(value):
    if type(value) is float:
        yield value
    elif type(value) is complex:
        yield value.real
        yield value.imag
    elif type(value) in (list, tuple, set, frozenset):
        for item in value:
            yield from _floats(item)
    elif type(value) is dict:
        for item in (*value, *value.values()):
            yield from _floats(item)


def test_the_awkward_cases_by_name():
    negative_nan = struct.unpack(">d", bytes.fromhex("fff8000000000000"))[0]
    for value in (True, 1, 1.0, -0.0, float("inf"), 2**64, -(2**64) - 1, 2**63 - 1, -(2**63) + 1,
                  1e400, 0.1 + 0.2, 3 - 4j, b"\x00\xff", "\udcff", (1,), [(1,)], {1: [2]},
                  {(1, "a"): canonical_set([2])}, frozenset(), set(), canonical_set([3, 1, 2])):
        assert same(through_json(value), value), value
    assert bits(through_json(negative_nan)) == bits(negative_nan)
    assert through_json(UNRESOLVED) is UNRESOLVED
    # Small integers stay plain JSON numbers; those past 64 bits do not rely on the reader.
    assert encode_value(2**63 - 1) == 2**63 - 1 and encode_value(2**63) == ["i", "8000000000000000"]
    assert encode_value([1, (2,)]) == ["l", 1, ["t", 2]]


WORDS = [f"key_{i}" for i in range(40)]


@given(st.permutations(WORDS[:12]), st.permutations(WORDS[:12]))
def test_a_canonical_set_iterates_the_same_whatever_order_its_members_came_in(one, other):
    # Strings that share a slot of the hash table are placed by the order they are added in.
    built = canonical_set(one)
    assert list(built) == list(canonical_set(other)) and built == frozenset(WORDS[:12])
    assert list(through_json(built)) == list(built) and repr(through_json(built)) == repr(built)
    assert encode_value(built) == encode_value(canonical_set(other))


def test_a_set_read_back_in_a_process_with_another_hash_seed_iterates_as_one_built_there():
    members = [*WORDS, ("t", 1), canonical_set(["x", "y"]), 2.5, b"b", None]
    stored = encode_value(canonical_set(members))
    # The other process gets the members in another order, and builds the set itself too.
    given = json.dumps([stored, [encode_value(m) for m in reversed(members)]])
    script = ("import json, sys\n"
              "from dssync._extract.value_json import canonical_set, decode_value\n"
              "stored, members = json.loads(sys.stdin.read())\n"
              "built = canonical_set(decode_value(m) for m in members)\n"
              "print(repr(decode_value(stored)) == repr(built))\n")
    for seed in ("1", "2", "3"):
        out = subprocess.run([sys.executable, "-c", script], input=given, capture_output=True,
                             text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert out.stdout.strip() == "True", out.stderr


def test_a_set_literal_read_back_from_a_stored_table_iterates_as_the_evaluator_built_it():
    from dssync._extract.extract import extract_table
    from dssync._extract.table_json import table_from_json, table_to_json

    words = ", ".join(f'"{w}"' for w in reversed(WORDS))
    fresh = extract_table(f"S = {{{words}}}\nD = {{'k': {{{words}}}}}\n".encode(), "m.py")
    stored = table_from_json(json.loads(json.dumps(table_to_json(fresh))), "m.py")
    assert repr(stored.resolved) == repr(fresh.resolved)
    assert repr(stored.constants["S"].binding.literal) == repr(fresh.constants["S"].binding.literal)


def test_a_set_keeps_the_first_of_equal_members_as_python_does():
    assert [type(m) for m in canonical_set([1, True, 1.0])] == [int]
    assert [type(m) for m in canonical_set([True, 1])] == [bool]
    assert type(next(iter(through_json(canonical_set([1.0, 1]))))) is float


def test_types_the_evaluator_never_produces_are_refused():
    for value in (object(), range(3), Ellipsis, bytearray(b"x"), [[object()]]):
        with pytest.raises(ValueError):
            encode_value(value)
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(ValueError):
        encode_value(deep)


@pytest.mark.parametrize("data", [
    [], ["?"], {"a": 1}, 1.5, ["l", {"a": 1}], ["i", 5], ["i", "zz"], ["n", "zz"], ["n", 5],
    ["n", "7ff8"], ["f", "abc"], ["f"], ["b", "zz"], ["c", 1, 2], ["c", ["f", "1.0"]],
    ["u", 1], ["d", 1], ["d", ["l"], 1], ["d", 1, 2, 1, 3], ["F", ["l"]], ["S", ["d"]],
    ["F", 1, 1], ["S", "a", "a"],
    json.loads('["l",' * 90 + '1' + ']' * 90),
])
def test_malformed_data_raises_value_error_only(data):
    with pytest.raises(ValueError):
        decode_value(data)
