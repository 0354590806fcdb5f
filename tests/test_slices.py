"""Each value's text exactly as written, as the walk of libcst's tree reads it."""

from __future__ import annotations

import pytest

from dssync._extract.extract import extract_table


def sources(text: str, newline: str = "\n") -> dict[str, str]:
    data = text.replace("\n", newline).encode("utf-8")
    table = extract_table(data, "m.py")
    return {name: table[name].source for name in table.names()}


@pytest.mark.parametrize("text, name, written", [
    ("A = 1\n", "A", "1"),
    ("A = (1)\n", "A", "(1)"),
    ("A = ( ( 1 ) )  # two pairs\n", "A", "( ( 1 ) )"),
    ("A = (1) + (2)\n", "A", "(1) + (2)"),
    ("A = ((1) + 2)\n", "A", "((1) + 2)"),
    ("A = (1, 2)\n", "A", "(1, 2)"),
    ("A = 1, 2\n", "A", "1, 2"),
    ("A = (  # why (it matters)\n    'a'\n    'b'\n)\n", "A", "(  # why (it matters)\n    'a'\n    'b'\n)"),
    ("A = \\\n    2\n", "A", "2"),
    ("A: int = (3)\n", "A", "(3)"),
    ("A: 'tuple[int, ...]' = (1,)\n", "A", "(1,)"),
    ("(A) = (4)\n", "A", "(4)"),
    ("A = B = (5)\n", "B", "(5)"),
    ("X = 'é'; A = ('ü' + 'ß')\n", "A", "('ü' + 'ß')"),
    ("A, B = (1), ((2))\n", "B", "((2))"),
    ("A, B = ((1), 2)\n", "A", "(1)"),
    ("A, B = ((1), 2)\n", "B", "2"),
    ("[A, (B, C)] = [1, ((2), 3)]\n", "B", "(2)"),
    ("A, *B = (1, 2, 3)\n", "B", "(1, 2, 3)"),
    ("A = 1\nA += (2)  # more\n", "A", "1"),
    ("class K:\n    A = (\n        1\n    )\n", "K.A", "(\n        1\n    )"),
    ("A = f'{1 + 1}'  # f\n", "A", "f'{1 + 1}'"),
])
def test_value_text_keeps_what_was_written(text, name, written):
    assert sources(text)[name] == written


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_ends_of_every_kind_place_values_alike(newline):
    text = "A = 1\nB = (\n    2\n)\nC = 'ü' ; D = ('x')\n"
    found = sources(text, newline)
    assert found == {"A": "1", "B": f"({newline}    2{newline})", "C": "'ü'", "D": "('x')"}


def test_augment_text_and_operator():
    table = extract_table(b"A = 1\nA //= (2)  # more\n", "m.py")
    (augment,) = table["A"].augments
    assert (augment.op, augment.source) == ("//=", "(2)")


def test_wide_characters_before_a_value_do_not_shift_it():
    # AST columns count UTF-8 bytes: three four-byte characters before the value.
    table = extract_table("X = {'😀😀😀': (1)}; A = (2)\n".encode(), "m.py")
    assert table["X"].source == "{'😀😀😀': (1)}"
    assert table["A"].source == "(2)"
