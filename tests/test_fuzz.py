"""Fuzzing the extractor, the diff (with every report format) and the rewriter.

Inputs are generated Python: valid constants modules in random layouts (``strategies.py``),
the same with random damage (bytes cut, repeated, swapped, or inserted from an alphabet of the
characters that matter to Python's tokenizer), token soup, and plain random bytes. Whatever the
input, dssync may only answer, or refuse with a ``DssyncError`` (one line, exit 2 at the CLI);
any other exception, or an "internal error" from the CLI, is a bug.

Budget: ``HYPOTHESIS_PROFILE=ci`` (the default) runs 100 examples per test, 400 in all and
well under 30 s; ``HYPOTHESIS_PROFILE=nightly`` runs the profile's 10,000 per test. See
docs/fuzzing.md.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from dssync.errors import DssyncError

try:
    from strategies import edits, layouts, load_profile, modules, render_module
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.strategies import edits, layouts, load_profile, modules, render_module

PROFILE = load_profile()
EXAMPLES = 100 if PROFILE == "ci" else settings.default.max_examples
pytestmark = [
    # Broken generated code makes Python's compiler warn (invalid escapes, "1if"); the
    # warnings are not what is tested here (see test_hostile_upstream.py for them).
    pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning"),
    # A nightly-size test runs for many minutes; the suite's 300 s timeout is for the default.
    *([pytest.mark.timeout(0)] if PROFILE != "ci" else []),
]
fuzz = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# --- inputs -----------------------------------------------------------------------------------

PYTHONIC = ("()[]{}'\"\\:;,.=+-*/%@&|^~<>!#\n\r\t \f\v0123456789abcdefxXjJeE_"
            "rbfuRBFU" "\x00\x0b\x1b\ufeff\u2028\u00e9\U0001f600\udcff")
"""The characters that decide how Python tokenizes a line."""

TOKENS = ("X", "Y_2", "Cls", "=", " = ", "+=", "(", ")", "[", "]", "{", "}", ",", ":", ".", "*",
          "**", "%", "@", "->", "1", "0x1F", "1_000", "1e9", "2j", "'a'", '"b"', "'''t'''",
          "f'{X}'", "rb'\\x00'", "\\\n", "\n", "\n    ", "\t", "# c\n", "if ", "else", "class ",
          "def ", "lambda ", "import ", "from ", "return ", "del ", "global ", "async ",
          "await ", "yield ", "not ", "and ", "or ", " is ", " in ", "...", "None", "True",
          ";", "# -*- coding: latin-1 -*-\n", "\ufeff", "\r\n", "__all__", "__name__")


def _render(pair) -> bytes:
    module, layout = pair
    return render_module(module, layout).encode("utf-8")


valid_sources = st.tuples(modules(), layouts).map(_render)


@st.composite
def damaged_sources(draw) -> bytes:
    data = bytearray(draw(valid_sources))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "repeat", "insert", "swap", "truncate"]))
        at = draw(st.integers(0, len(data)))
        end = draw(st.integers(at, min(len(data), at + 40)))
        if kind == "cut":
            del data[at:end]
        elif kind == "repeat":
            data[at:at] = data[at:end] * draw(st.integers(1, 30))
        elif kind == "insert":
            data[at:at] = draw(st.text(alphabet=PYTHONIC, min_size=1, max_size=8)).encode(
                "utf-8", "surrogatepass")
        elif kind == "swap" and end > at:
            chunk = data[at:end]
            del data[at:end]
            to = draw(st.integers(0, len(data)))
            data[to:to] = chunk
        else:
            del data[at:]
    return bytes(data)


token_soup = st.lists(st.sampled_from(TOKENS), max_size=60).map(
    lambda parts: "".join(parts).encode("utf-8"))

any_source = st.one_of(valid_sources, damaged_sources(), token_soup, st.binary(max_size=200))


# --- the extractor ----------------------------------------------------------------------------


def _extract(data: bytes, label: str):
    from dssync._extract.extract import extract_table

    try:
        return extract_table(data, label)
    except DssyncError as exc:
        assert "\n" not in str(exc), str(exc)
        return None


@fuzz
@given(any_source)
@example(b"X = (" * 300 + b"\n")
@example(b"A0 = (1,)\n" + b"".join(b"A%d = (A%d,)\n" % (i, i - 1) for i in range(1, 200)))
@example(b"X = 0x" + b"f" * 5000 + b"\n")
@example(b"L = [1]\nX = L[10]\nD = {}\nY = '%(a)s' % D\n")
@example(b"\xef\xbb\xbf# coding: latin-1\nX = 1\n")
def test_extractor_answers_or_refuses_cleanly(data):
    table = _extract(data, "fuzz.py")
    if table is not None:
        for name in table.names():
            table.value_of(name)
            repr(table[name])


# --- the diff and the reports -----------------------------------------------------------------


@st.composite
def source_pairs(draw) -> tuple[bytes, bytes]:
    """Two versions: a module and an edit of it (mostly), or two unrelated inputs."""
    if draw(st.booleans()):
        module = draw(modules())
        edited, _ = draw(edits(module))
        old = render_module(module, draw(layouts)).encode()
        new = render_module(edited, draw(layouts)).encode()
        return old, new
    return draw(any_source), draw(any_source)


def _reports(drift) -> None:
    from dssync._report.interface import FORMATS, get_formatter
    from dssync.models import DriftReport

    report = DriftReport(files=[drift], tag="v1.0")
    for fmt in FORMATS:
        text = get_formatter(fmt)(report)
        assert isinstance(text, str)
        if fmt == "json":
            import json

            json.loads(text)


@fuzz
@given(source_pairs())
def test_diff_and_every_report_format(pair):
    from dssync._diff.engine import diff_tables

    old, new = (_extract(data, label) for data, label in zip(pair, ("old.py", "new.py")))
    assume(old is not None and new is not None)
    drift = diff_tables(old, new, vendored="old.py", upstream="new.py")
    again = diff_tables(old, new, vendored="old.py", upstream="new.py")
    assert drift == again
    if pair[0] == pair[1]:
        assert not drift.has_drift
    _reports(drift)


# --- the rewriter -----------------------------------------------------------------------------


@fuzz
@given(source_pairs(), st.sampled_from(["merge", "replace"]), st.booleans())
def test_rewriter_output_always_parses(pair, mode, keep_removed):
    from dssync._rewrite import merge

    vendored, upstream = pair
    try:
        result = merge(vendored, upstream, vendored_path="vendored.py",
                       upstream_path="upstream.py", mode=mode, keep_removed=keep_removed)
    except DssyncError as exc:
        assert "\n" not in str(exc), str(exc)
        return
    if result.changed:
        ast.parse(result.data)  # never writes a file that does not parse
        # What was written can be read again, and merging again changes nothing more.
        assert _extract(result.data, "merged.py") is not None
    else:
        assert result.data == vendored


# --- the command line, in process -------------------------------------------------------------


def _cli(args: list[str], cwd: Path) -> tuple[int, str, str]:
    from dssync.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        os.chdir(previous)
    return code, out.getvalue(), err.getvalue()


@fuzz
@given(source_pairs())
def test_cli_diff_and_update_exit_cleanly(pair):
    vendored, upstream = pair
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "vendored.py").write_bytes(vendored)
        (home / "upstream.py").write_bytes(upstream)
        for args in (["diff", "vendored.py", "upstream.py", "--format", "json"],
                     ["update", "vendored.py", "upstream.py"]):
            code, _, err = _cli(args, home)
            assert "internal error" not in err, err
            assert code in (0, 1, 2), (args, code)
            if code == 2:
                lines = err.splitlines()
                assert len(lines) == 1 and lines[0].startswith("dssync: "), err
                if args[0] == "update":
                    assert (home / "vendored.py").read_bytes() == vendored
        written = (home / "vendored.py").read_bytes()
        if written != vendored:
            ast.parse(written)
        assert (home / "upstream.py").read_bytes() == upstream
        assert not [p for p in home.iterdir() if p.name.endswith(".dssync-tmp")]


# --- update, then diff: values and chains no parser should choke on ------------------------------

BINARY_OPERATORS = ("+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "@",
                    "and", "or", "<", "<=", "==", "!=", "is", "is not", "in", "not in")
ATOMS = ("1", "0", "X", "Cls.A", "'s'", "b'k'", "2.5", "True", "None", "(1, 2)", "[1]",
         "{b'k': 1}", "-1", "not X")


@st.composite
def chains(draw) -> str:
    """A long chain of one operator: flat (``1 + 1 + ...``), or nested in parentheses, from a
    few terms to far past what any parser of dssync takes."""
    op = draw(st.sampled_from(BINARY_OPERATORS + ("if-else", "not", "-", "~", "attribute",
                                                  "call", "subscript", "strings")))
    terms = draw(st.one_of(st.integers(1, 130), st.integers(130, 400),
                           st.sampled_from([500, 2_000, 3_000, 7_000, 10_000])))
    atom = draw(st.sampled_from(ATOMS))
    if op == "if-else":
        return atom + f" if X else {atom}" * terms
    if op in ("not", "-", "~"):
        return f"{op} " * terms + atom
    if op == "attribute":
        return "X" + ".a" * terms
    if op == "call":
        return "f" + "()" * terms
    if op == "subscript":
        return "X" + "[0]" * terms
    if op == "strings":
        return "(" + " 's'" * terms + ")"
    if draw(st.booleans()):
        return f" {op} ".join([atom] * (terms + 1))
    depth = min(terms, 250)  # Python itself refuses 200 nested parentheses: past it, too
    return f"({atom} {op} " * depth + atom + ")" * depth


bytes_keyed = st.recursive(
    st.one_of(st.integers(-5, 5), st.binary(max_size=3), st.text(max_size=3), st.none()),
    lambda inner: st.one_of(
        st.dictionaries(st.binary(max_size=3), inner, max_size=3),
        st.dictionaries(st.tuples(st.binary(max_size=2), st.integers(0, 3)), inner, max_size=2),
        st.lists(inner, max_size=3), st.tuples(inner, inner)),
    max_leaves=8)
"""Values whose dictionaries deepdiff could not compare (bytes keys), at any depth."""


@st.composite
def hard_modules(draw) -> tuple[bytes, bytes]:
    """A constants module and an edit of it, both with bytes-keyed values and long chains."""
    base = render_module(draw(modules()), draw(layouts))
    old_extra, new_extra = [], []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["bytes", "chain"]))
        old = repr(draw(bytes_keyed)) if kind == "bytes" else draw(chains())
        new = repr(draw(bytes_keyed)) if kind == "bytes" else draw(chains())
        where = draw(st.sampled_from(["both", "old", "new"]))
        if where in ("both", "old"):
            old_extra.append(f"HARD_{i} = {old}\n")
        if where in ("both", "new"):
            new_extra.append(f"HARD_{i} = {new if draw(st.booleans()) else old}\n")
    head = "X = 1\nclass Cls:\n    A = 2\n\n\ndef f():\n    return 0\n\n\n"
    return ((head + base + "".join(old_extra)).encode(),
            (head + base + "".join(new_extra)).encode())


@fuzz
@given(hard_modules())
@example((b"X = {b'a': 1}\n", b"X = {b'a': 2}\n"))
@example((b"X = 1\n", b"X = 1" + b" and 1" * 10_000 + b"\n"))
@example((b"X = 1\n", b"X = 1" + b" or 1" * 500 + b"\n"))
@example((b"X = 1\n", b"X = " + b" + ".join([b"1"] * 3_000) + b"\n"))
def test_update_then_diff_never_an_internal_error_never_a_crash(pair):
    """``update`` then ``diff`` on modules with bytes-keyed dictionaries and chains of every
    operator, short and far too long: each answers, or refuses in one line (exit 2, the file
    left as it was); never an internal error, never a crash of the interpreter."""
    vendored, upstream = pair
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "vendored.py").write_bytes(vendored)
        (home / "upstream.py").write_bytes(upstream)
        code, _, err = _cli(["update", "vendored.py", "upstream.py"], home)
        _clean_exit(code, err, (0, 2))
        written = (home / "vendored.py").read_bytes()
        if code == 2:
            assert written == vendored
        elif written != vendored:
            ast.parse(written)
        for fmt in ("text", "json"):
            code, out, err = _cli(["diff", "vendored.py", "upstream.py", "--format", fmt], home)
            _clean_exit(code, err, (0, 1, 2))
            if fmt == "json" and code in (0, 1):
                import json

                json.loads(out)


def _clean_exit(code: int, err: str, allowed: tuple[int, ...]) -> None:
    assert "internal error" not in err and "Traceback" not in err, err
    assert code in allowed, (code, err)
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("dssync: "), err
