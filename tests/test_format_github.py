"""``--format github`` (workflow commands) and the job summary (GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.golden.fixture import INJECTION, NASTY, ODD_PATH, check_golden, fixed_report, many_changes

from dssync._format import github, markdown
from dssync.cli import main
from dssync.commands.output import append_step_summary, truncate_markdown
from dssync.models import DriftReport, FileDrift

COMMAND = re.compile(r"^::(?P<level>[a-z]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def _unescape(text: str) -> str:
    # The runner's decoding, in its order: %25 last so that "%253A" stays "%3A".
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def parse(line: str) -> dict:
    """A workflow command line as GitHub's runner reads it: properties split on ',' and '='."""
    m = COMMAND.match(line)
    assert m, f"not a workflow command: {line!r}"
    props = {}
    for part in (m["props"] or "").split(","):
        if part:
            key, _, value = part.partition("=")
            props[key] = _unescape(value)
    return {"level": m["level"], "props": props, "message": _unescape(m["message"])}


def test_golden():
    check_golden("drift.github.txt", github.render(fixed_report()))


def test_markdown_golden():
    check_golden("drift.md", markdown.render(fixed_report()))


def test_escaping_functions():
    assert github.escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert github.escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"
    # An already-escaped-looking value must survive a round trip unchanged.
    assert _unescape(github.escape_property("%3A%0A")) == "%3A%0A"


def test_every_line_is_one_command_and_values_round_trip():
    lines = github.render(fixed_report(), limit=20).splitlines()
    commands = [parse(line) for line in lines[:-1]]
    assert lines[-1].startswith("2 of 4 files drifted: ")
    # No value can smuggle in a line of its own: all but the summary line are commands.
    assert all(line.startswith("::") for line in lines[:-1])
    odd = [c for c in commands if c["props"].get("file") == ODD_PATH]
    assert len(odd) == 1 and odd[0]["props"]["line"] == "3"
    assert odd[0]["props"]["title"] == "Constant value changed upstream: RATIO"
    assert NASTY in odd[0]["message"]
    stale = [c for c in commands if c["props"].get("title", "").endswith(": PINNED_OK")]
    assert len(stale) == 1 and f"pinned ({INJECTION})" in stale[0]["message"]
    assert "\r" not in "".join(lines)
    assert all(line.startswith(("::warning ", "::notice ")) for line in lines[:-1])


def test_kinds_levels_and_lines():
    commands = [parse(line) for line in github.render(fixed_report(), limit=20).splitlines()[:-1]]
    by_title = {c["props"]["title"]: c for c in commands}
    assert by_title["Constant value changed upstream: TIMEOUT"]["props"]["line"] == "10"
    assert by_title["Constant removed upstream: OLD_FLAG"]["props"]["line"] == "20"
    assert by_title["Constant renamed upstream: MAX_SIZ -> MAX_SIZE"]["props"]["line"] == "22"
    # An added constant is annotated where 'dssync update' puts it; without a placement, line 1.
    new_mode = by_title["Constant added upstream: NEW_MODE"]
    assert new_mode["props"]["line"] == "10"
    assert new_mode["message"].endswith("'dssync update' puts it after line 10 (TIMEOUT)")
    assert by_title["Constant added upstream: WEIRD"]["message"].endswith(
        "'dssync update' puts it before line 5 (PINNED_OK)")
    assert by_title["Constant added upstream: TEXT"]["props"]["line"] == "1"
    # A multi-line text: annotated at its first changed line, and the message shows the lines.
    help_text = by_title["Constant value changed upstream: HELP"]
    assert help_text["props"]["line"] == "41"
    # (Its comment stands beside its name: the lines below are what differs.)
    assert help_text["message"] == ("HELP (What --help prints) differs from upstream v2.0.0 "
                                    "(pkg/constants.py line 44) in these lines:\n-  -a  all <b>files</b>"
                                    "\n+  -a  every file\n+  -c  colour")
    assert "<text," not in "".join(c["message"] for c in commands)
    renamed = by_title["Class renamed upstream: TraceMode -> ZeRoTraceMode"]
    assert renamed["props"]["line"] == "40" and "body otherwise the same" in renamed["message"]
    ref = by_title["Referenced constant changed upstream: ENDPOINT"]
    assert "'v1/x' here and 'v2/x' upstream" in ref["message"]
    stale = by_title["Pinned constant now equals upstream: PINNED_OK"]
    assert stale["level"] == "notice" and "the pin could go" in stale["message"]
    assert not any("PINNED_DIFF" in t for t in by_title)  # a pin that still differs is no finding
    # The most consequential first: value changes before removals before additions.
    titles = [c["props"]["title"].split(":")[0] for c in commands]
    assert titles.index("Constant value changed upstream") < titles.index("Constant removed upstream") \
        < titles.index("Constant added upstream")


@pytest.mark.parametrize("n, warnings, more", [(9, 9, None), (10, 10, None), (11, 10, 1), (25, 10, 15)])
def test_at_most_ten_annotations_then_how_many_more(n, warnings, more):
    lines = github.render(many_changes(n)).splitlines()
    parsed = [parse(line) for line in lines if line.startswith("::")]
    assert sum(c["level"] == "warning" for c in parsed) == warnings
    notices = [c for c in parsed if c["level"] == "notice"]
    if more is None:
        assert notices == []
    else:
        assert len(notices) == 1 and notices[0]["message"].startswith(f"{more} more drift finding")
    assert lines[-1].startswith("1 of 1 file drifted: ") and len(lines) == warnings + (more is not None) + 1


def test_no_drift_is_only_the_summary():
    report = DriftReport(files=[FileDrift(vendored="a.py", upstream="a.py")], tag="v1")
    assert github.render(report) == "no drift in 1 file: 0 added, 0 removed, 0 changed, 0 moved\n"


# -- the CLI and the job summary ----------------------------------------------------------------


@pytest.fixture
def modules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    Path("old.py").write_text("A = 1\nB = 'x'\nKEEP = 3\n")
    Path("new.py").write_text("A = 2\nKEEP = 3\nC = 'new'\n")
    return tmp_path


def test_cli_github_format(modules, capsys):
    assert main(["diff", "old.py", "new.py", "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [parse(line)["props"] for line in lines[:-1]] == [
        {"file": "old.py", "line": "1", "title": "Constant value changed upstream: A"},
        {"file": "old.py", "line": "2", "title": "Constant removed upstream: B"},
        # Where 'dssync update' would put it: below KEEP, the constant before it upstream.
        {"file": "old.py", "line": "3", "title": "Constant added upstream: C"},
    ]


def test_step_summary_is_appended(modules, monkeypatch, capsys):
    summary = modules / "summary.md"
    summary.write_text("# Earlier step\n\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["diff", "old.py", "new.py", "--format", "text"]) == 1
    text = summary.read_text()
    assert text.startswith("# Earlier step\n\n# dssync drift report")
    assert "| `A` | value | `1` | `2` |" in text
    assert "1 of 1 file drifted" in capsys.readouterr().out  # stdout still gets --format


def test_step_summary_unwritable_is_a_warning_not_trouble(modules, monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(modules / "missing-dir" / "summary.md"))
    assert main(["diff", "old.py", "new.py"]) == 1
    assert "cannot write the job summary" in capsys.readouterr().err


def test_truncate_markdown_fits_and_says_so():
    text = "".join(f"| row {i} | ünï |\n" for i in range(1000))
    cut = truncate_markdown(text, 2000)
    assert len(cut.encode("utf-8")) <= 2000
    assert cut.rstrip().endswith("report file (`--write-reports`).")
    body = cut[: cut.index("\n> **Note:**")]
    assert body.endswith("|\n") and text.startswith(body)  # cut at a line boundary
    assert truncate_markdown("short\n", 2000) == "short\n"
    assert truncate_markdown(text, 10) == ""


def test_step_summary_stays_under_the_limit_with_earlier_content(tmp_path, capsys):
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * 600)
    report = markdown.render(many_changes(200))
    append_step_summary(report, str(summary), limit=4096)
    size = summary.stat().st_size
    assert 3000 < size < 4096
    assert "was cut to fit GitHub's 1 MiB job summary limit" in summary.read_text()
    summary.write_bytes(b"x" * 4090)
    append_step_summary(report, str(summary), limit=4096)
    assert summary.stat().st_size == 4090
    assert "no room left in the job summary" in capsys.readouterr().err


def test_real_limit_is_one_mebibyte(tmp_path):
    summary = tmp_path / "summary.md"
    append_step_summary(markdown.render(many_changes(30000)), str(summary))
    assert 1024 * 1024 - 4096 < summary.stat().st_size < 1024 * 1024
