"""Values are shown as the source writes them, and compared by what they mean."""

from __future__ import annotations

import ast
import json
import textwrap

import pytest
from dssync._diff.engine import diff_tables
from dssync._diff.written import written_value
from dssync._extract.extract import extract_table
from dssync._extract.table_json import table_from_json, table_to_json
from dssync._report.interface import FORMATS, get_formatter
from dssync._report.values import display
from dssync.models import DriftReport

# pip vendors requests; its __version__.py writes the build number in hex.
REQUESTS_VERSION = '''\
# .-. .-. .-. . . .-. .-. .-. .-.
# |(  |-  |.| | | |-  `-.  |  `-.
__title__ = "requests"
__description__ = "Python HTTP for Humans."
__url__ = "https://requests.readthedocs.io"
__version__ = "2.31.0"
__build__ = 0x023100
__author__ = "Kenneth Reitz"
__license__ = "Apache 2.0"
__copyright__ = "Copyright Kenneth Reitz"
__cake__ = "\\u2728 \\U0001f370 \\u2728"
'''


def table(source: str, path: str = "m.py"):
    return extract_table(textwrap.dedent(source).encode("utf-8"), path)


def diff(old: str, new: str, **kwargs):
    return diff_tables(table(old, "old.py"), table(new, "new.py"), **kwargs)


def as_written(source: str) -> str:
    """What a report shows for a constant whose value is written ``source``."""
    return written_value(table(f"X = (\n{source}\n)\n")["X"])


@pytest.mark.parametrize(("source", "shown"), [
    ("0x023100", "0x023100"), ("0X2A", "0X2A"), ("0o755", "0o755"), ("0b1010_1010", "0b1010_1010"),
    ("1_000_000", "1_000_000"), ("1E-3", "1E-3"), ("2.50", "2.50"), ("3j", "3j"), ("-0x10", "-0x10"),
    ("(0x10,  0o7)", "(0x10, 0o7)"), ("[\n    0x1,  # one\n    0x2,\n]", "[0x1, 0x2]"),
    ("{'mask': 0xFF_FF}", "{'mask': 0xFF_FF}"), ("1 << 0x4", "1 << 0x4"),
    # Quotes and a u prefix fold; escapes, r and b prefixes stay as written.
    ('"train_batch_size"', "'train_batch_size'"), ('u"x"', "'x'"), ("U'x'", "'x'"),
    ('"it\'s"', '"it\'s"'), ('r"\\d+"', "r'\\d+'"), ('R"\\d+"', "r'\\d+'"), ('b"\\x00"', "b'\\x00'"),
    ('BR"\\n"', "br'\\n'"), ('"caf\\u00e9"', "'caf\\u00e9'"), ("'\\x41'", "'\\x41'"),
    ('(\n    "a"  # first\n    "b"\n)', "'a' 'b'"),
    # Triple quotes keep their line breaks when the text is the whole value, not inside one.
    ('"""one\ntwo"""', "'''one\ntwo'''"), ('["""one\ntwo""", 0x1]', "['one\\ntwo', 0x1]"),
    # What is not a literal is shown as ast writes it.
    ('os.path.join("a", "b")', "os.path.join('a', 'b')"), ('f"{BASE}/x"', "f'{BASE}/x'"),
    ("True", "True"), ("None", "None"),
])
def test_as_written(source, shown):
    assert as_written(source) == shown
    # Whatever is folded, the text still reads as the same value.
    try:
        expected = ast.literal_eval(source)
    except ValueError:
        return
    assert ast.literal_eval(as_written(source)) == expected


def test_what_is_too_large_to_be_worth_showing_is_shown_normalized():
    big = "[" + "0x1, " * 10_000 + "]"  # a report cuts a value to a few lines anyway
    assert as_written(big) == table(f"X = {big}\n")["X"].key == "[" + "1, " * 9_999 + "1]"


def test_inside_an_f_string_values_are_shown_normalized():
    assert as_written('f"{0x10:>{0o4}}" "x"') == "f'{16:>{4}}x'"


def test_the_table_keeps_the_written_form_so_a_cached_table_needs_no_parser():
    t = table("A = 0x10\nB = 'plain'\nC = [0b1]\nC += [0o7]\n")
    assert [t[n].binding.written for n in "ABC"] == ["0x10", "", "[0b1]"]  # "": as normalized
    again = table_from_json(table_to_json(t), "m.py")
    assert [written_value(again[n]) for n in "ABC"] == ["0x10", "'plain'", "[0b1] += [0o7]"]


def test_written_value_follows_the_key():
    t = table("""\
        A, B = divmod(0x10, 3)
        C = [0x1]
        C += [0b10]
        D = 16
    """)
    assert written_value(t["B"]) == "(divmod(0x10, 3))[1]"
    assert t["B"].key == "(divmod(16, 3))[1]"
    assert written_value(t["C"]) == "[0x1] += [0b10]" and t["C"].key == "[1] += [2]"
    assert written_value(t["D"]) == "16"
    # Written as normalized, the position is still taken; a starred name takes its slice.
    t = table("A, B = divmod(16, 3)\nC, *D = (0x1, 0x2, 0x3)\n")
    assert written_value(t["B"]) == t["B"].key == "(divmod(16, 3))[1]"
    assert (written_value(t["D"]), t["D"].key) == ("(0x1, 0x2, 0x3)[1:]", "(1, 2, 3)[1:]")


def test_the_same_value_written_differently_is_no_drift():
    assert not diff("BUILD = 0x10\nNAME = 'x'\nBIG = 1_000\n",
                    "BUILD = 16\nNAME = \"x\"\nBIG = 1000\n").has_drift


def test_a_change_is_shown_as_each_side_writes_it():
    new = REQUESTS_VERSION.replace("2.31.0", "2.32.0").replace("0x023100", "0x023200")
    drift = diff(REQUESTS_VERSION, new)
    build = next(c for c in drift.changed if c.name == "__build__")
    assert (build.old, build.new) == ("143616", "143872")  # what comparison uses
    assert (build.old_shown, build.new_shown) == ("0x023100", "0x023200")
    version = next(c for c in drift.changed if c.name == "__version__")
    assert (version.old_shown, version.new_shown) == ("'2.31.0'", "'2.32.0'")


def test_every_format_shows_the_value_as_written():
    new = REQUESTS_VERSION.replace("0x023100", "0x023200").replace(
        '__cake__ = "\\u2728 \\U0001f370 \\u2728"', "__build_date__ = 0o20240101")
    report = DriftReport(files=[diff(REQUESTS_VERSION, new)], tag="v2")
    for fmt in FORMATS:
        out = get_formatter(fmt)(report)
        assert "0x023100" in out and "0x023200" in out, fmt
        if fmt == "sarif":  # what people read; the properties are for machines, normalized
            out = "\n".join(r["message"]["text"] for r in json.loads(out)["runs"][0]["results"])
        if fmt != "json":  # (which has both)
            assert "143616" not in out, fmt
        assert "0o20240101" in out, fmt
        if fmt != "json":  # (where backslashes are escaped once more)
            assert "\\u2728 \\U0001f370 \\u2728" in out, fmt  # escapes as written, not the cake
    data = json.loads(get_formatter("json")(report))
    changed = data["files"][0]["changed"][0]
    assert (changed["old"], changed["old_as_written"]) == ("143616", "0x023100")
    removed = data["files"][0]["removed"][0]
    assert removed["value"] == "'✨ 🍰 ✨'" and removed["as_written"] == "'\\u2728 \\U0001f370 \\u2728'"


def test_a_rename_shows_both_spellings_when_they_differ():
    drift = diff("FP16_LOSS_WINDOW = 0x400\n", "FP16_LOSS_SCALE_WINDOW = 1_024\n")
    [r] = drift.renamed
    assert (r.value, r.shown, r.upstream_shown) == ("1024", "0x400", "1_024")
    text = get_formatter("text")(DriftReport(files=[drift]))
    assert ("    > FP16_LOSS_WINDOW -> FP16_LOSS_SCALE_WINDOW = 0x400 (upstream writes 1_024)  "
            "(line 1 -> 1)") in text


def test_pins_show_each_side_as_written():
    [pin] = diff("LIMIT = 0x10\n", "LIMIT = 0x20\n", pins={"LIMIT": "ours"}).pinned
    assert (pin.local, pin.local_shown, pin.upstream_shown) == ("16", "0x10", "0x20")


def test_a_backslash_and_n_that_break_no_line_keep_a_value_on_its_line():
    # Shown as written, a raw string's \n is two characters, and after an escaped backslash the
    # n is a letter: neither is a text of several lines.
    for written in ("r'C:\\new'", "R'C:\\new'", "rb'\\n'", "'C:\\\\new'"):
        assert display(written) == written
    assert display("'''a\nb\\nc'''") == "<text, 3 lines>"  # a line break and an escape
    drift = diff("PATH = r'C:\\new'\n", "PATH = r'C:\\newer'\n")
    for fmt in ("text", "markdown", "github"):
        out = get_formatter(fmt)(DriftReport(files=[drift]))
        assert "r'C:\\new'" in out and "<text," not in out, fmt


def test_a_multi_line_text_is_named_not_printed_on_a_report_line():
    value = as_written('r"""one\n\\d\ntwo"""')
    assert value == "r'''one\n\\d\ntwo'''"
    assert display(value) == "<text, 3 lines>"
    # Line breaks never reach a report line, whatever the value.
    assert "\n" not in display("x + '''a\nb'''")
