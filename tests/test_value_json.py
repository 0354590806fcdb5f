"""value_json: the exact JSON the table and history caches store resolved values in.

A value read back must be the value a fresh evaluation gives: same types all the way down
(``1`` is not ``True``, a tuple is not a list), same ``repr`` (``-0.0``, a NaN's sign bit),
same iteration order; and nothing a damaged cache entry holds may raise anything but
``ValueError``.
"""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dssync._extract.value_json import NotExact, decode_value, encode_value
from dssync.models import UNRESOLVED
from strategies import load_profile, strictly_equal

load_profile()

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-2**200, max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True), st.text(), st.binary(),
    st.complex_numbers(allow_nan=True, allow_infinity=True),
)
hashables = st.recursive(scalars, lambda inner: st.tuples(inner, inner) | st.frozensets(inner,
                                                                                       max_size=4),
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
    """``strictly_equal``, with floats compared bit for bit (NaN included) and sets by order."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return bits(a) == bits(b)
    if type(a) is complex:
        return same(a.real, b.real) and same(a.imag, b.imag)
    if type(a) in (list, tuple, set, frozenset):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return same(list(a), list(b)) and all(same(x, y) for x, y in zip(a.values(), b.values()))
    return strictly_equal(a, b)


@given(values)
def test_every_value_comes_back_exactly(value):
    try:
        again = through_json(value)
    except NotExact:
        # Only a set whose order this process cannot rebuild (NaN members never compare equal).
        assert "frozenset" in repr(type(value)) or "frozenset" in repr(value)
        return
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
                  {(1, "a"): frozenset({2})}, frozenset(), set(), {3, 1, 2}):
        assert same(through_json(value), value), value
    assert bits(through_json(negative_nan)) == bits(negative_nan)
    assert through_json(UNRESOLVED) is UNRESOLVED
    # Small integers stay plain JSON numbers; those past 64 bits do not rely on the reader.
    assert encode_value(2**63 - 1) == 2**63 - 1 and encode_value(2**63) == ["i", "8000000000000000"]
    assert encode_value([1, (2,)]) == ["l", 1, ["t", 2]]


def test_a_set_stored_in_an_order_this_process_does_not_rebuild_is_not_exact():
    assert through_json({1, 2}) == {1, 2}
    with pytest.raises(NotExact):
        decode_value(["S", 2, 1])  # {2, 1} iterates as 1, 2 here
    with pytest.raises(NotExact):
        decode_value(["F", 2, 1])
    assert issubclass(NotExact, ValueError)


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
    json.loads('["l",' * 90 + '1' + ']' * 90),
])
def test_malformed_data_raises_value_error_only(data):
    with pytest.raises(ValueError):
        decode_value(data)
