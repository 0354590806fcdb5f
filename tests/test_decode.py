"""Decoding and parsing: every kind of bad or unusual input, and what the user is told."""

from __future__ import annotations

import re

import pytest

from dssync._diff.engine import diff_tables
from dssync._extract.decode import decode_source
from dssync._extract.extract import extract_table
from dssync.errors import DssyncError

# ``path:line[:col]: what; hint`` on one line.
ERROR_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+)(:(?P<col>\d+))?: [^\n;]+; [^\n]+$")


def error_for(data: bytes, path: str = "bad.py") -> DssyncError:
    with pytest.raises(DssyncError) as info:
        extract_table(data, path)
    return info.value


# --- valid but unusual ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n", b"# only a comment\n", b'"""Just a docstring."""\n',
                                  b"\xef\xbb\xbf", b"import os\n"])
def test_empty_or_constant_free_modules_have_zero_constants(data):
    t = extract_table(data, "empty.py")
    assert len(t) == 0 and t.names() == []


def test_empty_modules_compare_without_drift():
    drift = diff_tables(extract_table(b"", "a.py"), extract_table(b"", "b.py"))
    assert not drift.has_drift


def test_plain_utf8():
    s = decode_source("X = 'é'\n".encode(), "a.py")
    assert (s.text, s.encoding, s.bom, s.newline) == ("X = 'é'\n", "utf-8", False, "\n")


def test_utf8_bom_is_honoured_and_remembered():
    data = b"\xef\xbb\xbfX = '\xc3\xa9'\n"
    s = decode_source(data, "bom.py")
    assert s.bom and s.encoding == "utf-8-sig"
    assert s.text == "X = 'é'\n"
    t = extract_table(data, "bom.py")
    assert t.value_of("X") == "é" and t["X"].line == 1


@pytest.mark.parametrize(("cookie", "codec"), [
    (b"# -*- coding: latin-1 -*-\n", "iso-8859-1"),
    (b"# vim: set fileencoding=latin-1 :\n", "iso-8859-1"),
    (b"#!/usr/bin/env python\n# coding=cp1252\n", "cp1252"),
])
def test_pep263_coding_cookie_is_honoured(cookie, codec):
    data = cookie + b"NAME = 'caf\xe9'\nEURO = '\x80'\n"
    s = decode_source(data, "legacy.py")
    assert s.encoding == codec and not s.bom
    t = extract_table(data, "legacy.py")
    assert t.value_of("NAME") == "café"
    assert t.value_of("EURO") == ("€" if codec == "cp1252" else "\x80")


def test_latin1_file_equals_its_utf8_twin():
    latin = extract_table(b"# coding: latin-1\nNAME = 'caf\xe9'\n", "a.py")
    utf8 = extract_table("# coding: utf-8\nNAME = 'café'\n".encode(), "b.py")
    assert not diff_tables(latin, utf8).has_drift


def test_crlf_line_endings():
    data = b"X = [\r\n    1,\r\n    2,\r\n]\r\nHELP = '''a\r\nb'''\r\nY = 2\r\n"
    s = decode_source(data, "win.py")
    assert s.newline == "\r\n"
    t = extract_table(data, "win.py")
    assert (t["X"].line, t["X"].end_line) == (1, 4)
    assert t["X"].normalized == "[1, 2]"
    assert t["Y"].line == 7
    assert t.value_of("HELP") == "a\nb"  # as Python reads it
    lf = extract_table(data.replace(b"\r\n", b"\n"), "unix.py")
    assert not diff_tables(t, lf).has_drift


def test_no_newline_at_end_and_default_newline():
    s = decode_source(b"X = 1", "a.py")
    assert s.newline == "\n"
    assert extract_table(b"X = 1", "a.py").value_of("X") == 1


def test_tabs_and_form_feeds():
    t = extract_table(b"\x0cif X:\n\tA = 1\n", "a.py")
    assert t.value_of("A") == 1


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "line", "col"), [
    (b"X = 1\nY = (\n", 2, 5),
    (b"X = 1\nY = = 2\n", 2, None),
    (b"def f(:\n", 1, None),
    (b"X = 1\n  Y = 2\n", 2, None),
    (b"print 'python 2'\n", 1, None),
])
def test_unparsable_file(data, line, col):
    err = error_for(data)
    assert err.path == "bad.py" and err.line == line
    if col is not None:
        assert err.column == col
    assert err.hint
    assert ERROR_LINE.match(str(err)), str(err)
    assert str(err).startswith(f"bad.py:{line}:")


def test_binary_file_with_nul_byte():
    err = error_for(b"X = 1\nY = 2\n\x00\x01\x02", "blob.py")
    assert (err.path, err.line) == ("blob.py", 3)
    assert "binary" in err.message
    assert ERROR_LINE.match(str(err)), str(err)


def test_utf16_is_reported_as_binary():
    err = error_for("X = 1\n".encode("utf-16"), "wide.py")
    assert err.line == 1 and ERROR_LINE.match(str(err))


def test_non_utf8_without_cookie_names_the_line():
    data = b"A = 1\nB = 2\nC = 3\nD = 'caf\xe9'\n"
    err = error_for(data, "latin.py")
    assert (err.path, err.line) == ("latin.py", 4)
    assert "utf-8" in err.message.lower()
    assert "PEP 263" in err.hint
    assert ERROR_LINE.match(str(err)), str(err)


@pytest.mark.parametrize("data", [
    pytest.param(b"D = 'caf\xe9'\n", id="non-utf8-on-line-1"),
    pytest.param(b"# coding: no-such-codec\nX = 1\n", id="unknown-codec"),
    pytest.param(b"\xef\xbb\xbf# coding: latin-1\nX = 1\n", id="bom-contradicts-cookie"),
])
def test_encoding_problems_are_dssync_errors_with_a_hint(data):
    err = error_for(data)
    assert err.path == "bad.py" and err.hint
    assert "\n" not in str(err)


@pytest.mark.parametrize("data", [
    pytest.param(b"D = 'caf\xe9'\n", id="non-utf8-on-line-1"),
    pytest.param(b"# coding: no-such-codec\nX = 1\n", id="unknown-codec"),
])
def test_encoding_problems_in_the_first_lines_name_the_line(data):
    err = error_for(data)
    assert err.line == 1
    assert ERROR_LINE.match(str(err)), str(err)


@pytest.mark.parametrize("data", [
    pytest.param(b"X = " + b"-" * 100_000 + b"1\n", id="deep-unary"),
    pytest.param(b"X = 1" + b" + 1" * 100_000 + b"\n", id="long-chain"),
    pytest.param(b"X = " + b"[" * 300 + b"]" * 300 + b"\n", id="deep-brackets"),
])
def test_pathologically_nested_input_is_refused_cleanly(data):
    err = error_for(data, "deep.py")
    assert err.path == "deep.py" and err.hint
    assert "\n" not in str(err)


def test_huge_hex_literal_is_not_a_crash():
    data = b"BIG = 0x" + b"f" * 5000 + b"\n"
    try:
        t = extract_table(data, "big.py")
    except DssyncError:
        return
    assert "BIG" in t
