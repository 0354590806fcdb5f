"""The libcst extractor reads every module as the ``ast`` extractor before it did.

``tests/ast_oracle`` keeps that extractor (Python's ``ast``, each value's text cut from the
source by its positions) as it was when libcst became dssync's one parser; on every generated
module, both must give the same table: names in order, each binding's lines, text as
written, normalized text, literal value and conditional mark, augments, references and each
resolved value. Only the comment, which the ast extractor could not read, is new; and a set's
members are compared as members, since dssync now adds them in an order of its own (see
``value_json.canonical_set``), so its sets iterate otherwise than the ast extractor's.
"""

from __future__ import annotations

import random
import sys
import warnings
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from ast_oracle import extract_table as oracle_table
from dssync._extract.extract import extract_table
from dssync.errors import DssyncError
from strategies import expression_module, layouts, load_profile, modules, render_module

load_profile()

PY311 = sys.version_info[:2] == (3, 11)
"""Only 3.11's ``ast.unparse`` writes f-strings (and walrus operators) as dssync normalizes
them; on other versions the generated modules leave f-strings out."""


def shown(value: Any) -> str:
    """``repr``, with a set's members in sorted order: what it holds, not how it iterates."""
    if isinstance(value, (set, frozenset)):
        return f"{type(value).__name__}({{{', '.join(sorted(shown(m) for m in value))}}})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(shown(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' * (len(value) == 1)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{shown(k)}: {shown(v)}" for k, v in value.items()) + "}"
    return repr(value)


def assert_same_tables(data: bytes, path: str = "m.py") -> None:
    old = oracle_table(data, path)
    new = extract_table(data, path)
    assert list(new.constants) == list(old.constants)
    for name, const in new.constants.items():
        before = old.constants[name]
        assert [replace(b, comment="") for b in const.bindings] == list(before.bindings), name
        assert [shown(b.literal) for b in const.bindings] == \
               [shown(b.literal) for b in before.bindings], name
        assert const.augments == before.augments, name
        assert const.references == before.references, name
    assert shown(new.resolved) == shown(old.resolved)


def compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "m.py", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


@given(modules(), layouts, st.sampled_from(["\n", "\r\n"]))
def test_generated_modules_read_as_the_ast_extractor_read_them(module, layout, newline):
    text = render_module(module, layout).replace("\n", newline)
    note(text)
    assert_same_tables(text.encode("utf-8"))


@given(st.integers(0, 2**32 - 1))
def test_every_expression_and_statement_form_reads_as_before(seed):
    text = expression_module(random.Random(seed), fstrings=PY311)
    note(text)
    assume(compiles(text))
    assert_same_tables(text.encode("utf-8"))


@pytest.mark.parametrize("text", [
    "A = f'{x=}'\nB = f'{ x = !s:>{w}}'\n",
    "A = 'a' u'b'\nB = u'a' 'b'\nC = u'a' f'{x}'\n",
    "A = f'\\x7b\\x7b{{'\nB = rf'\\d{x}'\n",
    "A = x[*a]\nB = x[()]\nC = x[1:2, ::3]\n",
    "A = f'{3 .real}'\nB = 3 .real\nC = True.real\n",
    "A = lambda a, /, b=1, *c, d=2, **e: (a, b)\n",
    "A = 'a\\\nb'\nB = '''x\r\ny'''\n",
    "A, *B = C = 1, 2, 3\nD, *E, F = G = f()\n",
    "del A, B\ndel (C, D)\n",
    "A = 1; \\\nB = 2\n",
    "A = {'a': 1}\nA['b'] = 2\nA.x = 3\nA += {}\n",
])
def test_the_awkward_cases(text):
    if "f'" in text and not PY311:
        pytest.skip("f-strings normalize as Python 3.11 writes them")
    assert_same_tables(text.encode("utf-8"))


def test_what_python_cannot_compile_is_refused_in_one_line():
    """The ast extractor read ``yield`` at module level (Python's parser accepts it, its
    compiler does not); the libcst extractor refuses what Python cannot compile."""
    with pytest.raises(DssyncError, match="not valid Python") as info:
        extract_table(b"A = 1\nB = (yield)\n", "m.py")
    assert info.value.line == 2
