"""Extraction: which bindings count as constants, and what is recorded about each."""

from __future__ import annotations

import hashlib
import textwrap

import pytest

from dssync._extract.extract import extract_table
from dssync.errors import DssyncError
from dssync.models import UNRESOLVED, Augment, Binding


def table(source: str, path: str = "m.py"):
    return extract_table(textwrap.dedent(source).encode("utf-8"), path)


# --- which statements bind constants -------------------------------------------------------


def test_plain_and_annotated_assignments():
    t = table("""\
        A = 1
        B: int = 2
        C: "list[str]" = ["x"]
        D: int
    """)
    assert t.names() == ["A", "B", "C"]
    assert (t.value_of("A"), t.value_of("B"), t.value_of("C")) == (1, 2, ["x"])
    assert "D" not in t  # an annotation without a value binds nothing


def test_chained_assignment_binds_every_name_to_the_same_value():
    t = table("A = B = [1,\n  2]\n")
    assert t.names() == ["A", "B"]
    for name in "AB":
        assert t[name].source == "[1,\n  2]"
        assert t[name].normalized == "[1, 2]"
        assert (t[name].line, t[name].end_line) == (1, 2)
        assert t.value_of(name) == [1, 2]


@pytest.mark.parametrize("source", ["A, B = 1, 2", "(A, B) = (1, 2)", "[A, B] = [1, 2]", "A, B = [1, 2]"])
def test_unpacking_a_literal_of_equal_length_gives_each_name_its_element(source):
    t = table(source + "\n")
    assert (t["A"].normalized, t["B"].normalized) == ("1", "2")
    assert (t["A"].binding.index, t["B"].binding.index) == (None, None)
    assert (t.value_of("A"), t.value_of("B")) == (1, 2)
    assert (t["A"].binding.literal, t["B"].binding.literal) == (1, 2)


def test_nested_unpacking_of_literals():
    t = table("(A, B), C = (1, 2), 3\n")
    assert {n: t.value_of(n) for n in t.names()} == {"A": 1, "B": 2, "C": 3}


def test_unpacking_anything_else_keeps_the_whole_expression_with_an_index():
    t = table("""\
        PAIR = (10, 20)
        A, B = PAIR
        C, D = divmod(7, 2)
        E, F = 1, 2, 3
    """)
    for name, index in (("A", 0), ("B", 1), ("C", 0), ("D", 1), ("E", 0), ("F", 1)):
        assert t[name].binding.index == index, name
    assert t["A"].normalized == t["B"].normalized == "PAIR"
    assert t["E"].normalized == "(1, 2, 3)"
    assert (t.value_of("A"), t.value_of("B")) == (10, 20)
    assert (t.value_of("E"), t.value_of("F")) == (1, 2)
    assert t.value_of("C") is UNRESOLVED
    assert t["A"].key == "(PAIR)[0]" and t["B"].key == "(PAIR)[1]"
    assert t["A"].references == ("PAIR",)


def test_starred_unpacking_does_not_claim_the_whole_value():
    t = table("A, *B = 1, 2, 3\n")
    assert t.value_of("A") in (1, UNRESOLVED)
    assert t.value_of("B") in ([2, 3], UNRESOLVED)


def test_class_level_bindings_are_qualified_and_nested_classes_are_not_descended():
    t = table("""\
        class ValidationMode:
            \"\"\"How strictly checkpoint tags are checked.\"\"\"
            WARN = "WARN"
            IGNORE: str = "IGNORE"
            FAIL = "FAIL"

            class Inner:
                HIDDEN = 1

            def method(self):
                LOCAL = 2

        class Other: X = 1; Y = 2
    """)
    assert t.names() == ["ValidationMode.WARN", "ValidationMode.IGNORE", "ValidationMode.FAIL",
                         "Other.X", "Other.Y"]
    assert t.value_of("ValidationMode.IGNORE") == "IGNORE"


def test_class_scope_prefers_its_own_attribute_then_the_module_global():
    t = table("""\
        BASE = 1
        LIMIT = 100

        class K:
            BASE = 2
            DOUBLE = BASE * 2
            CAP = LIMIT
        OUTSIDE = K.DOUBLE
    """)
    assert t["K.DOUBLE"].references == ("K.BASE",)
    assert t.value_of("K.DOUBLE") == 4
    assert t["K.CAP"].references == ("LIMIT",)
    assert t.value_of("K.CAP") == 100
    assert t.value_of("OUTSIDE") == 4


def test_nothing_inside_functions_or_loops_counts():
    t = table("""\
        def configure():
            INNER = 1
            return INNER

        async def later():
            ASYNC_INNER = 1

        for i in range(3):
            LOOPED = i
        while False:
            WHILE_BOUND = 1
        with open(__file__) as fh:
            WITH_BOUND = 1
        TOP = 1
    """)
    assert t.names() == ["TOP"]


def test_if_and_try_blocks_are_conditional_and_the_last_binding_wins():
    t = table("""\
        import sys

        if sys.platform == "win32":
            SEP = "\\\\"
        elif sys.platform == "darwin":
            SEP = ":"
        else:
            SEP = "/"

        try:
            import fast
            BACKEND = "fast"
        except ImportError:
            BACKEND = "slow"
        else:
            READY = True
        finally:
            LOADED = True

        PLAIN = 1
    """)
    sep = t["SEP"]
    assert [b.normalized for b in sep.bindings] == ["'\\\\'", "':'", "'/'"]
    assert all(b.conditional for b in sep.bindings)
    assert sep.binding is sep.bindings[-1] and sep.conditional
    assert sep.line == 8
    assert t.value_of("SEP") == "/"
    assert [b.normalized for b in t["BACKEND"].bindings] == ["'fast'", "'slow'"]
    assert t.value_of("BACKEND") == "slow"
    assert t["READY"].conditional and t["LOADED"].conditional
    assert not t["PLAIN"].conditional


def test_an_unconditional_rebinding_after_a_conditional_one_wins():
    t = table("""\
        if FLAG:
            MODE = "a"
        MODE = "b"
    """)
    mode = t["MODE"]
    assert [(b.normalized, b.conditional) for b in mode.bindings] == [("'a'", True), ("'b'", False)]
    assert not mode.conditional and t.value_of("MODE") == "b"


def test_augmented_assignments_modify_and_never_create_constants():
    t = table("""\
        PATHS = ["a"]
        PATHS += ["b"]
        COUNT = 1
        COUNT *= 3
        UNKNOWN += 1
        OPTIONS = {}
        OPTIONS["k"] = 1
    """)
    assert t.names() == ["PATHS", "COUNT", "OPTIONS"]
    assert t["PATHS"].augments == (Augment(line=2, op="+=", source='["b"]', normalized="['b']"),)
    assert t.value_of("PATHS") == ["a", "b"]
    assert t.value_of("COUNT") == 3
    assert t["COUNT"].key == "1 *= 3"
    # An item assignment changes the value in a way dssync does not model.
    assert t["OPTIONS"].augments and t.value_of("OPTIONS") is UNRESOLVED


def test_a_rebinding_discards_earlier_augments():
    t = table("X = 1\nX += 1\nX = 10\n")
    assert t["X"].augments == ()
    assert t.value_of("X") == 10


def test_constants_are_in_source_order_of_their_winning_binding():
    t = table("""\
        B = 1
        A = 2
        C = 3
        B = 4
    """)
    assert t.names() == ["A", "C", "B"]


def test_names_on_one_line_keep_their_written_order():
    t = table("ZETA = 1; ALPHA = 2\n")
    assert t.names() == ["ZETA", "ALPHA"]


# --- what is recorded ----------------------------------------------------------------------


def test_line_span_and_exact_source_text():
    t = table("""\
        X = 1
        HELP = '''
        line one
        line two
        '''
        D = {  # a comment
            'a': 1,
        }
    """)
    assert (t["X"].line, t["X"].end_line) == (1, 1)
    assert (t["HELP"].line, t["HELP"].end_line) == (2, 5)
    assert t["HELP"].source == "'''\nline one\nline two\n'''"
    assert (t["D"].line, t["D"].end_line) == (6, 8)
    assert t["D"].source == "{  # a comment\n    'a': 1,\n}"
    assert t["D"].normalized == "{'a': 1}"


@pytest.mark.parametrize(("a", "b"), [
    ("[\n a,\n b\n]", "[a, b]"),
    ("'x'", '"x"'),
    ("'x'", '"""x"""'),
    ('"a" "b"', "'ab'"),
    ("(1)", "1"),
    ("(1, 2,)", "1, 2"),
    ("{'k': 1,}", '{\n    "k": 1,  # note\n}'),
    ("0x10", "16"),
    ("1_000", "1000"),
    ("- 5", "-5"),
    ("f'{A}-x'", 'f"{A}-x"'),
    ("os.path.join('a',   'b')", 'os.path.join(\n    "a",\n    "b",\n)'),
    ("timedelta(minutes = 5)", "timedelta(minutes=5)"),
])
def test_normalized_form_ignores_formatting_and_quote_style(a, b):
    ta = table(f"A = 1\nV = {a}\n")
    tb = table(f"A = 1\nV = {b}\n")
    assert ta["V"].normalized == tb["V"].normalized
    assert ta["V"].key == tb["V"].key


@pytest.mark.parametrize(("a", "b"), [("1", "1.0"), ("'1'", "1"), ("[1, 2]", "(1, 2)"),
                                      ("[1, 2]", "[2, 1]"), ("True", "1"), ("b'x'", "'x'")])
def test_normalized_form_keeps_real_differences(a, b):
    assert table(f"V = {a}\n")["V"].normalized != table(f"V = {b}\n")["V"].normalized


@pytest.mark.parametrize(("expr", "value"), [
    ("42", 42),
    ("-7", -7),
    ("+7", 7),
    ("- 2.5", -2.5),
    ("1e-3", 0.001),
    ("1+2j", 1 + 2j),
    ("'text'", "text"),
    ("b'\\x00raw'", b"\x00raw"),
    ("True", True),
    ("False", False),
    ("None", None),
    ("(1, 'a', None)", (1, "a", None)),
    ("()", ()),
    ("[1, [2, (3,)]]", [1, [2, (3,)]]),
    ("{'a': {'b': [1, -2]}}", {"a": {"b": [1, -2]}}),
    ("{1, 2}", frozenset({1, 2})),
    ("'a' 'b'", "ab"),
])
def test_literal_values(expr, value):
    b = table(f"V = {expr}\n")["V"].binding
    assert b.literal == value
    assert type(b.literal) is type(value)


@pytest.mark.parametrize("expr", ["OTHER", "[OTHER]", "'a' + 'b'", "2 * 3", "not True", "~1",
                                  "f'{1}'", "len('x')", "os.sep", "...", "{**OTHER}", "[*OTHER]",
                                  "'abc'[0]"])
def test_non_literals_have_no_literal_value(expr):
    assert table(f"OTHER = [1]\nV = {expr}\n")["V"].binding.literal is UNRESOLVED


def test_references_name_constants_of_this_module_in_order_of_first_mention():
    t = table("""\
        import os
        SPARSE_FIXED_MODE = "fixed"
        SPARSE_VARIABLE_MODE = "variable"
        SPARSE_MODE_DEFAULT = SPARSE_FIXED_MODE
        MODES = [SPARSE_VARIABLE_MODE, SPARSE_FIXED_MODE, SPARSE_VARIABLE_MODE]
        HOME = os.path.join(UNKNOWN, SPARSE_FIXED_MODE)

        class ValidationMode:
            WARN = "WARN"

        DEFAULT = ValidationMode.WARN
        SELF = SELF
    """)
    assert t["SPARSE_MODE_DEFAULT"].references == ("SPARSE_FIXED_MODE",)
    assert t["MODES"].references == ("SPARSE_VARIABLE_MODE", "SPARSE_FIXED_MODE")
    assert t["HOME"].references == ("SPARSE_FIXED_MODE",)
    assert t["DEFAULT"].references == ("ValidationMode.WARN",)
    assert t["SELF"].references == ()
    assert t["SPARSE_FIXED_MODE"].references == ()


def test_table_records_path_hash_and_lookup_helpers():
    data = b"A = 1\n"
    t = extract_table(data, "pkg/constants.py")
    assert t.path == "pkg/constants.py"
    assert t.sha256 == hashlib.sha256(data).hexdigest()
    assert len(t) == 1 and "A" in t and "B" not in t
    assert t.value_of("B") is UNRESOLVED
    assert isinstance(t["A"].binding, Binding)


def test_imports_docstrings_and_expressions_are_not_constants():
    t = table("""\
        \"\"\"Module docstring.\"\"\"
        from __future__ import annotations
        import os as operating_system
        print("side effect")
        assert True
        pass
        global G
    """)
    assert len(t) == 0


def test_del_statement_does_not_break_extraction():
    t = table("""\
        import os
        _tmp = 1
        del _tmp
        AFTER = 2
    """)
    assert "AFTER" in t


def test_class_inside_module_level_if_is_read():
    t = table("""\
        if FLAG:
            class Mode:
                A = 1
    """)
    assert t.names() == ["Mode.A"]
    assert t["Mode.A"].conditional


def test_long_modules_keep_every_line_number():
    parts, expected = [], {}
    line = 1
    for i in range(300):
        block = [
            f"class Mode{i}:",
            f"    A = {i}",
            f"CONST_{i} = [",
            f"    Mode{i}.A,  # {i}",
            "]",
            f"if FLAG: X_{i} = {i}",
            f'P_{i} = 1; Q_{i} = """two',
            'lines"""',
        ]
        expected[f"Mode{i}.A"] = (line + 1, i)
        expected[f"CONST_{i}"] = (line + 2, [i])
        expected[f"X_{i}"] = (line + 5, i)
        expected[f"Q_{i}"] = (line + 6, "two\nlines")
        parts += block
        line += len(block)
    t = table("\n".join(parts) + "\n")
    assert len(t) == 5 * 300
    for name, (first_line, value) in expected.items():
        assert t[name].line == first_line, name
        assert t.value_of(name) == value, name
    assert t["CONST_299"].end_line == t["CONST_299"].line + 2


def test_syntax_error_far_down_a_long_module_names_its_line():
    source = "".join(f"A{i} = {i}\n" for i in range(1500)) + "B = (\n"
    with pytest.raises(DssyncError) as info:
        table(source)
    assert info.value.line == 1501


def test_a_line_continued_into_a_statement_is_read():
    source = "".join(f"A{i} = {i}\n" for i in range(1000)) + "\\\nB = 2\n"
    compile(source, "m.py", "exec")
    assert table(source).value_of("B") == 2


def test_many_constants_resolve():
    source = "".join(f"CONST_{i} = {{'k': [{i}, 'v{i}']}}\nREF_{i} = CONST_{i}\n" for i in range(2000))
    t = table(source)
    assert len(t) == 4000
    assert t.value_of("REF_1999") == {"k": [1999, "v1999"]}


def test_extraction_error_is_a_dssync_error_not_a_crash():
    with pytest.raises(DssyncError):
        table("A = (\n")


def test_pieces_are_cut_only_where_the_text_before_parses():
    """A long module is read in pieces; a cut never falls inside a string, a bracket, a
    decorated class or an ``else``, however the candidate lines fall."""
    from dssync._extract.extract import _pieces

    body = (
        "A = 1\n"
        'DOC = """\nB = 2\n"""\n'
        "C = [\n1,\n]\n"
        "@decorate\nclass K:\n    D = 3\n"
        "if FLAG:\n    E = 4\nelse:\n    E = 5\n"
        "try:\n    F = 6\nexcept ImportError:\n    F = 7\nfinally:\n    pass\n"
    )
    text = body * 50
    pieces = list(_pieces(text, "m.py", size=1))
    assert len(pieces) > 50
    assert "".join(piece for _, piece, _ in pieces) == text
    line = 1
    for first, piece, _ in pieces:
        assert not piece.startswith(("B = 2", "1,", "class K", "else", "except", "finally"))
        assert first == line
        line += piece.count("\n")
    t = table(text)
    assert t.value_of("DOC") == "\nB = 2\n"
    assert "B" not in t.names() and t.value_of("C") == [1]
    assert t["K.D"].line == body.count("\n") * 49 + 10  # the last copy's, read in its piece


def test_a_comment_at_column_0_inside_a_class_body_is_no_place_to_cut():
    """A line commented out between two methods sits at column 0 inside the class: a piece
    starting there would begin with an indented line (valid Python refused as "unexpected
    indent", as pip's vendored distlib was). A comment that leads to a top-level statement
    still is a place to cut, and its run still documents that statement."""
    from dssync._extract.extract import _pieces

    body = (
        "class Holder:\n"
        "    X = 1\n"
        "\n"
        "#    retired = property(old)\n"
        "\n"
        "    def method(self):\n"
        "        return 1\n"
        "\n"
        "# The limit, in bytes.\n"
        "LIMIT = 2\n"
    )
    text = body * 40
    pieces = list(_pieces(text, "m.py", size=1))
    assert "".join(piece for _, piece, _ in pieces) == text
    assert all(not piece.startswith(("#    retired", "\n    def")) for _, piece, _ in pieces)
    assert any(piece.startswith("# The limit") for _, piece, _ in pieces)
    t = table(text)
    assert t.value_of("Holder.X") == 1 and t.value_of("LIMIT") == 2
    assert t["LIMIT"].comment == "The limit, in bytes."


def test_a_syntax_error_in_a_late_piece_names_its_line_in_the_module():
    source = "".join(f"A{i} = {i}\n" for i in range(5000)) + "B = (\n" + "C = 1\n" * 10
    with pytest.raises(DssyncError) as info:
        table(source)
    assert info.value.line in (5001, 5011)
