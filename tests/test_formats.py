"""The text, JSON and Markdown reports, and the JSON Schema of the JSON report."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from dssync._diff.engine import diff_tables
from dssync._extract.extract import extract_table
from dssync._format import json_format, markdown, text
from dssync._format.interface import get_formatter
from dssync.models import (
    Added, Changed, ClassRenamed, DriftReport, FileDrift, Origin, Pinned, Removed, Renamed,
)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "tool" / "dssync" / "schema" / "drift.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
FIXTURES = Path(__file__).parent / "fixtures" / "ds_like"
ANSI = re.compile(r"\x1b\[")


def full_report() -> DriftReport:
    """One of every finding, with values JSON can and cannot state."""
    drift = FileDrift(
        vendored="vendored/deepspeed/runtime/constants.py",
        upstream="deepspeed/runtime/constants.py",
        origin=Origin(source="github:example/upstream", tag="v0.9.0", path="deepspeed/runtime/constants.py",
                      sha256="0" * 64, commit="a" * 40),
        added=[Added("ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT", "True", 48, "True")],
        removed=[Removed("CURRICULUM_LEARNING", "'curriculum_learning'", 101, '"curriculum_learning"')],
        changed=[
            Changed("FP16_INITIAL_SCALE_POWER_DEFAULT", "value", "32", "16", 87, 84,
                    old_resolved=32, new_resolved=16,
                    comment="FP16 initial dynamic scale loss power"),
            Changed("ZERO", "value", "{'stage': 2}", "{'stage': 3}", 3, 3,
                    old_resolved={"stage": 2}, new_resolved={"stage": 3},
                    details=("root['stage']: 2 -> 3",)),
            Changed("SPARSE_MODE_DEFAULT", "reference", "SPARSE_FIXED_MODE", "SPARSE_FIXED_MODE", 9, 9,
                    old_resolved="fixed", new_resolved="variable"),
            Changed("HOME", "value", "os.path.join('a')", "os.path.join('b')", 11, 11),
            Changed("SHAPE", "value", "(1, 2)", "(1, 3)", 12, 12, old_resolved=(1, 2), new_resolved=(1, 3),
                    details=("root[1]: 2 -> 3",)),
            Changed("RAW", "value", "b'x'", "b'y'", 13, 13, old_resolved=b"x", new_resolved=b"y"),
            Changed("INF", "value", "1e309", "-1e309", 14, 14, old_resolved=float("inf"),
                    new_resolved=float("-inf")),
            Changed("SET", "value", "{1}", "{2}", 15, 15, old_resolved=frozenset({1}),
                    new_resolved=frozenset({2}), details=("root[1] removed", "root[2] added")),
        ],
        renamed=[Renamed("FP16_LOSS_WINDOW", "FP16_LOSS_SCALE_WINDOW", "1000", 20, 21, 0.889)],
        renamed_classes=[ClassRenamed("TraceMode", "ZeRoTraceMode", 36, 37,
                                      ("RECORD", "COMPLETE", "INVALID", "A", "B", "C"))],
        pinned=[
            Pinned("FP16_HYSTERESIS_DEFAULT", "4", "2", 30, "our training is unstable", True),
            Pinned("LEGACY", "1", None, 31, "kept for old configs", True),
            Pinned("GONE", None, None, 0, "pinned but absent", False),
        ],
    )
    clean = FileDrift(vendored="vendored/deepspeed/constants.py", upstream="deepspeed/constants.py")
    return DriftReport(files=[drift, clean], tag="v0.9.0", notes=["github: rate limited; used git"])


def fixture_report() -> DriftReport:
    old = extract_table((FIXTURES / "old_constants.py").read_bytes(), "old_constants.py")
    new = extract_table((FIXTURES / "new_constants.py").read_bytes(), "new_constants.py")
    return DriftReport(files=[diff_tables(old, new)])


# --- the schema ----------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema"] == {"const": "dssync.drift/1",
                                             "description": SCHEMA["properties"]["schema"]["description"]}


def test_schema_ships_with_the_package():
    import importlib.resources

    shipped = importlib.resources.files("dssync") / "schema" / "drift.schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == SCHEMA


@pytest.mark.parametrize("make", [full_report, fixture_report, lambda: DriftReport(files=[]),
                                  lambda: DriftReport(files=[FileDrift("a.py", "b.py")])],
                         ids=["full", "fixture", "no-files", "clean"])
def test_json_reports_validate(make):
    data = json.loads(json_format.render(make()))
    VALIDATOR.validate(data)


def test_a_report_against_a_tag_validates_with_its_moved_count(tmp_path):
    from dssync._history.moves import detect_moves

    report = detect_moves(full_report())
    data = json.loads(json_format.render(report))
    assert data["summary"]["moved"] == 0
    VALIDATOR.validate(data)


def test_golden_report_of_the_format_tests_validates():
    golden = ROOT / "tests" / "golden" / "drift.json"
    if not golden.exists():
        pytest.skip("no golden JSON report in this tree")
    VALIDATOR.validate(json.loads(golden.read_text(encoding="utf-8")))


def _errors(data) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(data)]


def _mutations():
    yield "wrong schema id", lambda d: d.update(schema="dssync.drift/2")
    yield "unknown top-level key", lambda d: d.update(extra=1)
    yield "missing drift", lambda d: d.pop("drift")
    yield "drift not boolean", lambda d: d.update(drift="yes")
    yield "notes not strings", lambda d: d.update(notes=[1])
    yield "unknown file key", lambda d: d["files"][0].update(colour="red")
    yield "missing added list", lambda d: d["files"][0].pop("added")
    yield "added item without line", lambda d: d["files"][0]["added"][0].pop("line")
    yield "added line zero", lambda d: d["files"][0]["added"][0].update(line=0)
    yield "removed value not a string", lambda d: d["files"][0]["removed"][0].update(value=1)
    yield "unknown change kind", lambda d: d["files"][0]["changed"][0].update(kind="moved")
    yield "details not strings", lambda d: d["files"][0]["changed"][1].update(details=[{"a": 1}])
    yield "unknown change key", lambda d: d["files"][0]["changed"][0].update(value=1)
    yield "similarity above 1", lambda d: d["files"][0]["renamed"][0].update(similarity=1.5)
    yield "renamed without new_name", lambda d: d["files"][0]["renamed"][0].pop("new_name")
    yield "class rename without constants", lambda d: d["files"][0]["renamed_classes"][0].pop("constants")
    yield "class rename constants not names", \
        lambda d: d["files"][0]["renamed_classes"][0].update(constants=[""])
    yield "class rename with a value", lambda d: d["files"][0]["renamed_classes"][0].update(value="1")
    yield "pin drifted not boolean", lambda d: d["files"][0]["pinned"][0].update(drifted=1)
    yield "pin without reason", lambda d: d["files"][0]["pinned"][0].pop("reason")
    yield "origin without sha256", lambda d: d["files"][0]["origin"].pop("sha256")
    yield "origin sha256 not hex", lambda d: d["files"][0]["origin"].update(sha256="xyz")
    yield "negative count", lambda d: d["summary"].update(added=-1)
    yield "counts missing with files", lambda d: d["summary"].pop("changed")
    yield "unknown summary key", lambda d: d["summary"].update(shifted=0)  # ("moved" is known: diff --tag counts moves)


@pytest.mark.parametrize(("label", "mutate"), list(_mutations()), ids=[m[0] for m in _mutations()])
def test_schema_rejects_malformed_reports(label, mutate):
    data = json.loads(json_format.render(full_report()))
    assert _errors(data) == []
    broken = copy.deepcopy(data)
    mutate(broken)
    assert _errors(broken), label


# --- JSON content --------------------------------------------------------------------------


def test_json_report_content():
    data = json.loads(json_format.render(full_report()))
    assert data["schema"] == "dssync.drift/1" and data["tag"] == "v0.9.0" and data["drift"] is True
    assert data["notes"] == ["github: rate limited; used git"]
    assert data["summary"] == {"files": 2, "files_with_drift": 1, "added": 1, "removed": 1,
                               "changed": 8, "renamed": 1, "renamed_classes": 1, "pinned": 3,
                               "moved": 0}
    f = data["files"][0]
    assert f["origin"] == {"source": "github:example/upstream", "tag": "v0.9.0",
                           "path": "deepspeed/runtime/constants.py", "sha256": "0" * 64, "commit": "a" * 40}
    assert f["added"] == [{"name": "ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT", "value": "True",
                           "as_written": "True", "line": 48, "comment": ""}]
    changed = {c["name"]: c for c in f["changed"]}
    assert changed["FP16_INITIAL_SCALE_POWER_DEFAULT"] == {
        "name": "FP16_INITIAL_SCALE_POWER_DEFAULT", "kind": "value", "old": "32", "new": "16",
        "old_as_written": "32", "new_as_written": "16", "old_line": 87, "new_line": 84,
        "old_value": 32, "new_value": 16, "comment": "FP16 initial dynamic scale loss power"}
    assert changed["ZERO"]["details"] == ["root['stage']: 2 -> 3"]
    assert changed["ZERO"]["new_value"] == {"stage": 3}
    assert changed["SPARSE_MODE_DEFAULT"]["kind"] == "reference"
    assert changed["SHAPE"]["old_value"] == [1, 2]
    # What JSON cannot state exactly is left out rather than approximated.
    for name in ("HOME", "RAW", "INF", "SET"):
        assert "old_value" not in changed[name] and "new_value" not in changed[name], name
    assert "details" not in changed["HOME"]
    assert f["renamed"][0]["similarity"] == 0.889
    assert f["renamed_classes"] == [{"old_name": "TraceMode", "new_name": "ZeRoTraceMode", "old_line": 36,
                                     "new_line": 37, "constants": ["RECORD", "COMPLETE", "INVALID",
                                                                   "A", "B", "C"]}]
    assert f["pinned"][1] == {"name": "LEGACY", "local": "1", "upstream": None, "local_as_written": "1",
                              "upstream_as_written": None, "line": 31,
                              "reason": "kept for old configs", "drifted": True}
    clean = data["files"][1]
    assert "origin" not in clean
    assert [clean[k] for k in ("added", "removed", "changed", "renamed", "renamed_classes", "pinned")
            ] == [[]] * 6


def test_json_report_without_tag_or_notes_omits_them():
    data = json.loads(json_format.render(DriftReport(files=[FileDrift("a.py", "b.py")])))
    assert "tag" not in data and "notes" not in data and data["drift"] is False


def test_json_keeps_non_ascii_text():
    report = DriftReport(files=[FileDrift("a.py", "b.py", added=[Added("GREETING", "'grüß'", 1, "'grüß'")])])
    rendered = json_format.render(report)
    assert "grüß" in rendered
    assert json.loads(rendered)["files"][0]["added"][0]["value"] == "'grüß'"


def test_json_with_a_lone_surrogate_is_writable():
    old = extract_table(b"X = '\\ud800'\n", "a.py")
    new = extract_table(b"X = '\\ud801'\n", "b.py")
    rendered = json_format.render(DriftReport(files=[diff_tables(old, new)]))
    rendered.encode("utf-8")


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_text_reports_with_a_lone_surrogate_are_writable(fmt):
    old = extract_table(b"X = 'a\\nb\\ud800'\n", "a.py")
    new = extract_table(b"X = 'a\\nb\\ud801'\n", "b.py")
    get_formatter(fmt)(DriftReport(files=[diff_tables(old, new)])).encode("utf-8")


# --- text ----------------------------------------------------------------------------------


def test_text_report_lists_every_finding():
    out = text.render(full_report())
    assert not ANSI.search(out)
    lines = out.splitlines()
    assert lines[0] == "note: github: rate limited; used git"
    assert lines[1] == "vendored/deepspeed/runtime/constants.py vs deepspeed/runtime/constants.py"
    assert lines[2].startswith("  upstream: github:example/upstream at v0.9.0, commit " + "a" * 40)
    assert "    + ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT = True  (upstream line 48)" in lines
    assert "    - CURRICULUM_LEARNING = 'curriculum_learning'  (line 101)" in lines
    assert ("    ~ FP16_INITIAL_SCALE_POWER_DEFAULT: 32 -> 16  (line 87 -> 84)"
            "  # FP16 initial dynamic scale loss power") in lines
    ref = next(line for line in lines if "SPARSE_MODE_DEFAULT" in line)
    assert ref.endswith("[reference]")
    assert "        root['stage']: 2 -> 3" in lines
    assert "    > FP16_LOSS_WINDOW -> FP16_LOSS_SCALE_WINDOW = 1000  (line 20 -> 21)" in lines
    assert "  classes renamed (1)" in lines
    assert ("    > class TraceMode renamed to ZeRoTraceMode, its body otherwise the same (6 constants: "
            "RECORD, COMPLETE, INVALID, A, B and 1 more)  (line 36 -> 37)") in lines
    pin = next(line for line in lines if "FP16_HYSTERESIS_DEFAULT" in line)
    assert "differs from upstream" in pin and "our training is unstable" in pin
    gone = next(line for line in lines if "GONE" in line)
    assert "<absent>" in gone and "the pin could go" in gone
    assert "vendored/deepspeed/constants.py vs deepspeed/constants.py" in lines
    at = lines.index("vendored/deepspeed/constants.py vs deepspeed/constants.py")
    assert lines[at + 1: at + 3] == ["  upstream: the local file deepspeed/constants.py", "  no drift"]
    assert lines[-1] == ("1 of 2 files drifted: 1 added, 1 removed, 8 changed, 0 moved, 1 renamed, "
                         "1 class renamed, 3 pinned")


def test_text_report_of_the_fixture():
    out = text.render(fixture_report())
    assert "    ~ FP16_INITIAL_SCALE_POWER_DEFAULT: 32 -> 16" in out
    assert "FP16_FORMAT: <text, 11 lines> -> <text, 11 lines>" in out
    assert '        -  "initial_scale_power": 32,' in out
    assert '        +  "initial_scale_power": 16,' in out
    assert "CHECKPOINT_TAG_VALIDATION_MODES" not in out
    assert out.rstrip().endswith("1 of 1 file drifted: 5 added, 3 removed, 2 changed, 0 moved")


def test_text_report_without_drift():
    out = text.render(DriftReport(files=[FileDrift("a.py", "b.py")]))
    assert out == ("a.py vs b.py\n  upstream: the local file b.py\n  no drift\n\n"
                   "no drift in 1 file: 0 added, 0 removed, 0 changed, 0 moved\n")


def test_long_values_are_shortened_for_people_but_not_in_json():
    long_value = "'" + "x" * 200 + "'"
    report = DriftReport(files=[FileDrift("a.py", "b.py", added=[Added("LONG", long_value, 1, long_value)])])
    line = next(line for line in text.render(report).splitlines() if "LONG" in line)
    assert "..." in line and len(line) < 120
    assert json.loads(json_format.render(report))["files"][0]["added"][0]["value"] == long_value


# --- markdown ------------------------------------------------------------------------------


def _table_rows(md: str, heading: str) -> list[str]:
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append(line)
    return rows


def _cells(row: str) -> int:
    """Table cells in a row, honouring escaped pipes."""
    return len(re.split(r"(?<!\\)\|", row.strip())) - 2


def test_markdown_report_structure():
    md = markdown.render(full_report())
    assert not ANSI.search(md)
    assert md.startswith("# dssync drift report: v0.9.0\n")
    assert ("**1 of 2 files drifted: 1 added, 1 removed, 8 changed, 0 moved, 1 renamed, 1 class renamed, "
            "3 pinned**") in md
    assert "> github: rate limited; used git" in md
    assert "## `vendored/deepspeed/runtime/constants.py`" in md
    assert "### Added upstream (1)" in md and "### Removed upstream (1)" in md
    assert "### Changed (8)" in md and "### Renamed (1)" in md and "### Pinned (3)" in md
    assert "### Classes renamed (1)" in md
    assert "| `TraceMode` | `ZeRoTraceMode` | `RECORD`, `COMPLETE`, `INVALID`, `A`, `B`, `C` | 36 → 37 |" in md
    assert "No drift." in md.split("## `vendored/deepspeed/constants.py`")[1]
    for heading in ("### Added", "### Removed", "### Changed", "### Renamed", "### Classes renamed",
                    "### Pinned"):
        rows = _table_rows(md, heading)
        header_cells = _cells(rows[0])
        assert all(_cells(row) == header_cells for row in rows), heading


def test_markdown_escapes_pipes_so_tables_keep_their_columns():
    nasty = "'a|b' + \"`c`\""
    report = DriftReport(files=[FileDrift("a.py", "b.py",
                                          changed=[Changed("P", "value", nasty, "'x|y'", 1, 1,
                                                           details=("root['a|b']: 1 -> 2",))],
                                          pinned=[Pinned("Q", "1", "2", 2, "reason | with pipe", True)])])
    md = markdown.render(report)
    for heading in ("### Changed", "### Pinned"):
        rows = _table_rows(md, heading)
        assert all(_cells(row) == _cells(rows[0]) for row in rows), md


def test_markdown_report_of_the_fixture():
    md = markdown.render(fixture_report())
    rows = _table_rows(md, "### Added upstream")
    assert len(rows) == 2 + 5
    assert "`ZERO_FORCE_DS_CPU_OPTIMIZER`" in rows[2]


def test_formatter_lookup():
    report = fixture_report()
    assert get_formatter("json")(report) == json_format.render(report)
    assert get_formatter("markdown")(report) == markdown.render(report)
    assert get_formatter("text")(report) == text.render(report)
    report = fixture_report()
    assert get_formatter("json")(report) == json_format.render(report)


def test_markdown_code_spans_show_values_exactly_as_written():
    """Rendered by a CommonMark parser with GFM tables (markdown-it-py, which rich brings):
    each value's code span shows its text exactly, backslashes single, backticks kept, pipes
    inside the cell; a pin's reason with a line break stays in its row."""
    from html import unescape

    from markdown_it import MarkdownIt

    values = ["'\\\\'", "'C:\\\\temp\\\\new'", "'a|b' + \"`c`\"", "'``double``'", "'`'", "r'\\d+|\\w'"]
    comment = "a | b `c` *d* <e> [f] \\g"
    report = DriftReport(files=[FileDrift("a.py", "b.py", changed=[
        Changed(f"V{i}", "value", value, "1", i + 1, i + 1, comment=comment)
        for i, value in enumerate(values)],
        pinned=[Pinned("Q", "1", "2", 9, "first line\nsecond | line", True)])])
    page = MarkdownIt("commonmark").enable("table").render(markdown.render(report))
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in rows]
    shown = {unescape(re.sub(r"</?code>", "", c[0])): unescape(re.sub(r"</?code>", "", c[2]))
             for c in cells if len(c) == 7}
    assert shown == {f"V{i}": value for i, value in enumerate(values)}
    # The comment column is plain text: Markdown's own characters show as written.
    assert {unescape(c[6]) for c in cells if len(c) == 7} == {comment}
    (pin,) = [c for c in cells if len(c) == 5]
    assert pin[3] == "first line<br>second | line"


def test_a_file_gone_upstream_is_linked_where_it_was_last_known():
    """The file does not exist at the tag: no report links it there, or a line of it; its
    links are the release it was vendored from, and the compare view that shows it go."""
    from dssync._format.values import file_links, upstream_line_url
    from dssync.models import Gone, UpstreamWeb

    web = UpstreamWeb("https://github.com/o/r")
    gone = FileDrift("v/x.py", "x.py", removed=[Removed("A", "1", 3, "1")], locked_tag="v1.0",
                     gone=Gone("v2.0", ("github:o/r",), known_at="v1.0"))
    report = DriftReport(files=[gone], tag="v2.0", web=web)
    assert file_links(report, gone) == [("x.py at v1.0", web.file("v1.0", "x.py")),
                                        ("diff since v1.0", web.compare("v1.0", "v2.0", "x.py"))]
    assert upstream_line_url(report, gone, 3) is None
    for fmt in ("text", "json", "markdown", "github", "sarif", "html"):
        out = get_formatter(fmt)(report)
        assert "blob/v2.0/" not in out, fmt
        if fmt not in ("github", "sarif"):  # (these carry the report's links, not each file's)
            assert web.compare("v1.0", "v2.0", "x.py") in out, fmt
    VALIDATOR.validate(json.loads(get_formatter("json")(report)))
    # Nothing known of when it was there: no link to a release that had it.
    unknown = FileDrift("v/x.py", "x.py", removed=[Removed("A", "1", 3, "1")],
                        gone=Gone("v2.0", ("github:o/r",)))
    assert file_links(DriftReport(files=[unknown], tag="v2.0", web=web), unknown) == []
