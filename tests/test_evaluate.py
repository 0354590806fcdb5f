"""Resolution of constants through references, and the bounds of the tiny evaluator."""

from __future__ import annotations

import textwrap
import tracemalloc

import pytest

from dssync._extract.evaluate import Evaluator, combine, literal_value
from dssync._extract.extract import extract_table
from dssync.models import UNRESOLVED


def table(source: str):
    return extract_table(textwrap.dedent(source).encode("utf-8"), "m.py")


def resolve(expr: str, prelude: str = ""):
    return table(f"{prelude}\nV = {expr}\n").value_of("V")


def test_reference_chains_resolve_transitively():
    t = table("""\
        SPARSE_FIXED_MODE = "fixed"
        SPARSE_MODE_DEFAULT = SPARSE_FIXED_MODE
        CURRENT = SPARSE_MODE_DEFAULT
        LATER = EARLIER_IN_NAME_ONLY
        EARLIER_IN_NAME_ONLY = 5
    """)
    assert t.value_of("SPARSE_MODE_DEFAULT") == "fixed"
    assert t.value_of("CURRENT") == "fixed"
    # Values are read from the whole module, as after import.
    assert t.value_of("LATER") == 5


def test_class_attributes_resolve():
    t = table("""\
        class ValidationMode:
            WARN = "WARN"
            IGNORE = "IGNORE"
            FAIL = "FAIL"

        DEFAULT = ValidationMode.WARN
        MODES = [ValidationMode.WARN, ValidationMode.IGNORE, ValidationMode.FAIL]
        BY_NAME = {m: m.lower() for m in MODES}
    """)
    assert t.value_of("DEFAULT") == "WARN"
    assert t.value_of("MODES") == ["WARN", "IGNORE", "FAIL"]
    assert t.value_of("BY_NAME") is UNRESOLVED  # a comprehension is code


@pytest.mark.parametrize("source", [
    "A = B\nB = A\n",
    "A = B\nB = C\nC = A\n",
    "A = A\n",
    "A = [B]\nB = (A,)\n",
    "A = B + 1\nB = A + 1\n",
])
def test_cycles_are_unresolved(source):
    t = table(source)
    for name in t.names():
        assert t.value_of(name) is UNRESOLVED, name


def test_a_cycle_does_not_poison_unrelated_constants():
    t = table("A = B\nB = A\nC = 3\nD = C\n")
    assert (t.value_of("C"), t.value_of("D")) == (3, 3)


@pytest.mark.parametrize(("prelude", "expr", "value"), [
    ("P = 'ds'", "P + '_config'", "ds_config"),
    ("P = 'ds'", "'x' 'y' + P", "xyds"),
    ("P = 'ds'\nN = 3", "'%s-%d' % (P, N)", "ds-3"),
    ("P = 'ds'", "'%s' % P", "ds"),
    ("P = 'ds'", "'%(p)s!' % {'p': P}", "ds!"),
    ("P = 'ds'\nN = 3", "f'{P}/{N:>3}/{N!r}'", "ds/  3/3"),
    ("P = 'ds'", "f'{P!r}'", "'ds'"),
    ("W = 6", "f'{1.5:{W}.2f}'", "  1.50"),
    ("N = 3", "N * 2 + 1", 7),
    ("N = 3", "-N", -3),
    ("N = 3", "2 ** N", 8),
    ("N = 3", "N / 2", 1.5),
    ("N = 3", "1 << N", 8),
    ("L = [1, 2]", "L + [3]", [1, 2, 3]),
    ("L = [1, 2]", "L[1]", 2),
    ("T = ('a', 'b')", "T * 2", ("a", "b", "a", "b")),
    ("D = {'k': 'v'}", "D['k']", "v"),
    ("S = 'abc'", "S[-1]", "c"),
    ("B = b'ab'", "B + b'c'", b"abc"),
])
def test_expressions_of_constants_resolve(prelude, expr, value):
    got = resolve(expr, prelude)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("expr", [
    "os.path.join('a', 'b')",
    "timedelta(minutes=5)",
    "len('abc')",
    "'{}'.format(1)",
    "[x for x in range(3)]",
    "lambda: 1",
    "1 if True else 2",
    "UNKNOWN_NAME",
    "UNKNOWN.attr",
    "'a' + 1",
    "1 / 0",
    "D['missing']",
    "...",
    "{**D}",
    "[*L]",
    "1 < 2",
])
def test_code_and_errors_are_never_evaluated(expr):
    assert resolve(expr, "import os\nD = {'k': 1}\nL = [1]") is UNRESOLVED


@pytest.mark.parametrize("expr", ["L[10]", "S[5]", "B[-9]", "'%(a)s' % D"])
def test_lookup_errors_are_unresolved_not_a_crash(expr):
    assert resolve(expr, "L = [1]\nS = 'ab'\nB = b'x'\nD = {'k': 1}") is UNRESOLVED


def test_unresolvable_values_are_still_compared_by_normalized_source():
    a = table("HOME = os.path.join('a', 'b')\nWAIT = timedelta(minutes=5)\n")
    b = table("HOME = os.path.join(\n    \"a\", \"b\",\n)\nWAIT = timedelta(minutes = 5)\n")
    for name in ("HOME", "WAIT"):
        assert a.value_of(name) is UNRESOLVED and a[name].key == b[name].key


def test_bools_stay_bools_and_ints_stay_ints():
    t = table("T = True\nN = 1\nF = 1.0\nTT = T\nNN = N\nFF = F\n")
    assert type(t.value_of("TT")) is bool
    assert type(t.value_of("NN")) is int
    assert type(t.value_of("FF")) is float


def test_augment_with_reference():
    t = table("BASE = [1]\nEXTRA = [2]\nBASE += EXTRA\nCOPY = BASE\n")
    assert t.value_of("BASE") == [1, 2]
    assert t.value_of("COPY") == [1, 2]


def test_unknown_augment_operator_gives_unresolved():
    assert table("M = [[1]]\nM @= M\n").value_of("M") is UNRESOLVED


# --- bounds --------------------------------------------------------------------------------

PEAK_LIMIT = 8 * 1024 * 1024
"""More than any value MAX_SIZE allows (1M code points) needs; far less than the attacks ask."""


def _measured(source: str):
    """The table and the peak memory traced while building it (a hang is pytest-timeout's)."""
    tracemalloc.start()
    try:
        t = table(source)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return t, peak


@pytest.mark.parametrize("source", [
    'X = "a" * 10**9',
    'X = 10**9 * "a"',
    'X = [0] * 10**9',
    'X = b"ab" * 10**9',
    'X = "%999999999d" % 1',
    'X = "%-999999999s" % "a"',
    'X = "%.999999999f" % 1.0',
    'N = 1\nX = f"{N:>999999999}"',
    'N = 1\nW = 999999999\nX = f"{N:>{W}}"',
    'X = 2 ** 10**8',
    'X = 10 ** 10 ** 10',
    'X = 1 << 10**8',
    'X = (2 ** 4000) ** 2',
    'A = "a" * 999999\nX = A + A',
    'A = "x" * 1000\nB = A * 1000\nX = B * 1000',
    'A = [1] * 1000\nX = [A] * 10**9',
    'X = "a" * 10**9\nY = X + "b"\nZ = f"{Y}"',
])
def test_explosive_expressions_give_unresolved_without_allocating(source):
    t, peak = _measured(source)
    assert t.value_of("X") is UNRESOLVED
    assert peak < PEAK_LIMIT, peak


def test_a_value_just_within_the_bound_is_resolved():
    t = table('X = "ab" * 500000\n')
    assert t.value_of("X") == "ab" * 500000


@pytest.mark.parametrize("source", ['X = "%*d" % (50000000, 1)', 'X = "%.*f" % (50000000, 1.0)'])
def test_star_width_in_percent_formatting_is_bounded(source):
    t, peak = _measured(source)
    assert t.value_of("X") is UNRESOLVED
    assert peak < PEAK_LIMIT, peak


@pytest.mark.parametrize("expr", ['f"{T}"', '"%s" % (T,)'])
def test_formatting_a_large_tuple_is_bounded(expr):
    t, peak = _measured(f'S = "a" * 100000\nT = (S,) * 500\nX = {expr}\n')
    assert t.value_of("X") is UNRESOLVED
    assert peak < PEAK_LIMIT, peak


# --- the evaluator on its own --------------------------------------------------------------


def _expr(text: str):
    from dssync._extract.parse import parse_expression

    return parse_expression(text)


def test_literal_value_needs_no_lookup():
    assert literal_value(_expr("[1, (2, -3.5), {'a': None}]")) == [1, (2, -3.5), {"a": None}]
    assert literal_value(_expr("NAME")) is UNRESOLVED
    assert literal_value(_expr("1 + 1")) is UNRESOLVED


def test_evaluator_uses_the_lookup_for_names_and_dotted_names():
    seen = []

    def lookup(name):
        seen.append(name)
        return {"A": 2, "Mode.X": "x"}.get(name, UNRESOLVED)

    assert Evaluator(lookup)(_expr("A * 3")) == 6
    assert Evaluator(lookup)(_expr("Mode.X + '!'")) == "x!"
    assert Evaluator(lookup)(_expr("a.b.c")) is UNRESOLVED
    assert seen == ["A", "Mode.X"]


def test_combine_respects_the_same_bounds():
    assert combine("+", [1], [2]) == [1, 2]
    assert combine("*", "a", 10**9) is UNRESOLVED
    assert combine("+", UNRESOLVED, 1) is UNRESOLVED
    assert combine("/", 1, 0) is UNRESOLVED
