"""``dssync diff OLD.py NEW.py``: run as a real subprocess and in-process through main()."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from dssync.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "ds_like"
OLD, NEW = FIXTURES / "old_constants.py", FIXTURES / "new_constants.py"
VALIDATOR = Draft202012Validator(json.loads(
    (ROOT / "tool" / "dssync" / "schema" / "drift.schema.json").read_text(encoding="utf-8")))
ANSI = re.compile(r"\x1b\[")


def _dssync() -> str:
    beside = Path(sys.executable).parent / ("dssync.exe" if os.name == "nt" else "dssync")
    found = str(beside) if beside.exists() else shutil.which("dssync")
    if not found:
        pytest.skip("the dssync console script is not installed")
    return found


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GITHUB_STEP_SUMMARY", "DSSYNC_DEBUG", "FORCE_COLOR", "NO_COLOR")}
    env.update(extra)
    return env


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([_dssync(), *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", env=_env(), cwd=cwd, timeout=60)


@pytest.fixture(autouse=True)
def _no_job_summary(monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("DSSYNC_DEBUG", raising=False)


@pytest.fixture
def pair(tmp_path):
    def write(old: str, new: str) -> tuple[Path, Path]:
        a, b = tmp_path / "old.py", tmp_path / "new.py"
        a.write_text(old, encoding="utf-8")
        b.write_text(new, encoding="utf-8")
        return a, b

    return write


def assert_trouble(code: int, out: str, err: str) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr, no traceback."""
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert err.startswith("dssync")
    return err.rstrip("\n")


# --- exit status ---------------------------------------------------------------------------


def test_no_drift_exits_0(pair):
    a, b = pair("A = 'x'\nB = [1,\n  2]\n", 'A = "x"\nB = [1, 2]\n')
    result = run("diff", a, b)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "no drift" in result.stdout


def test_drift_exits_1(pair):
    a, b = pair("A = 1\n", "A = 2\n")
    result = run("diff", a, b)
    assert result.returncode == 1 and result.stderr == ""
    assert "~ A: 1 -> 2" in result.stdout


def test_module_entry_point_works_too(pair):
    a, b = pair("A = 1\n", "A = 2\n")
    result = subprocess.run([sys.executable, "-m", "dssync", "diff", str(a), str(b)],
                            capture_output=True, text=True, env=_env(), timeout=60)
    assert result.returncode == 1 and "~ A: 1 -> 2" in result.stdout


def test_output_the_reader_never_takes_is_trouble_without_a_traceback(pair):
    """A reader that has gone is exit 2, not a traceback or Python's own exit warning."""
    a, b = pair("A = 1\n", "A = 2\n")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([_dssync(), "diff", str(a), str(b)], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, env=_env(), timeout=60)
    finally:
        os.close(write_end)
    assert result.returncode == 2
    assert result.stderr == ""


def test_the_command_runs_exit_handlers_and_flushes_before_it_leaves(tmp_path, pair):
    """``run`` leaves with what exit owes: every atexit handler runs and the output is all
    there, with the command's exit status."""
    a, b = pair("A = 1\n", "A = 2\n")
    marker = tmp_path / "handler-ran"
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: open({str(marker)!r}, 'w').close())\n"
            "from dssync.cli import run\n"
            "run(sys.argv[1:])\n")
    result = subprocess.run([sys.executable, "-c", code, "diff", str(a), str(b), "--format",
                             "json"], capture_output=True, text=True, env=_env(), timeout=60)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["summary"]["changed"] == 1
    assert marker.exists()


def test_a_temporary_clone_is_gone_when_the_command_ends(tmp_path):
    """A git source without a cache clones into a temporary directory; it is gone after."""
    from tests.gitrepo import make_repo

    repo = make_repo(tmp_path / "up", [("v1", {"pkg/c.py": b"A = 2\n"})])
    (tmp_path / "c.py").write_text("A = 1\n", encoding="utf-8")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = subprocess.run(
        [_dssync(), "diff", "c.py", "--tag", "v1", "--source", f"git:{repo.url}",
         "--upstream-path", "pkg/c.py", "--no-cache"], capture_output=True, text=True,
        env=_env(TMPDIR=str(scratch)), cwd=tmp_path, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "~ A: 1 -> 2" in result.stdout
    assert list(scratch.iterdir()) == []


def test_vendored_deepspeed_module_against_itself_has_no_drift():
    vendored = ROOT / "vendored" / "deepspeed" / "runtime" / "constants.py"
    if not vendored.exists():
        pytest.skip("no vendored DeepSpeed module in this tree")
    result = run("diff", vendored, vendored)
    assert result.returncode == 0, result.stderr


# --- the fixture through every format ------------------------------------------------------


def test_fixture_text_report():
    result = run("diff", OLD, NEW)
    assert result.returncode == 1 and result.stderr == ""
    out = result.stdout
    assert not ANSI.search(out), "colour codes in piped output"
    assert out.startswith(f"{OLD} vs {NEW}\n")
    for name in ("ZERO_FORCE_DS_CPU_OPTIMIZER", "ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT", "DATA_PARALLEL_GROUP"):
        assert f"    + {name} = " in out
    for name in ("CURRICULUM_LEARNING", "CURRICULUM_ENABLED", "CURRICULUM_ENABLED_DEFAULT"):
        assert f"    - {name} = " in out
    assert "    ~ FP16_INITIAL_SCALE_POWER_DEFAULT: 32 -> 16" in out
    assert "CHECKPOINT_TAG_VALIDATION_MODES" not in out
    assert out.endswith("1 of 1 file drifted: 5 added, 3 removed, 2 changed, 0 moved\n")


def test_fixture_json_report_validates_against_the_schema():
    result = run("diff", OLD, NEW, "--format", "json")
    assert result.returncode == 1 and result.stderr == ""
    data = json.loads(result.stdout)
    VALIDATOR.validate(data)
    [f] = data["files"]
    assert (f["vendored"], f["upstream"]) == (str(OLD), str(NEW))
    assert [a["name"] for a in f["added"]] == [
        "ZERO_FORCE_DS_CPU_OPTIMIZER", "ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT",
        "DATA_PARALLEL_GROUP", "DATA_PARALLEL_SIZE", "DATA_PARALLEL_SIZE_DEFAULT"]
    assert [r["name"] for r in f["removed"]] == ["CURRICULUM_LEARNING", "CURRICULUM_ENABLED",
                                                 "CURRICULUM_ENABLED_DEFAULT"]
    assert [(c["name"], c["kind"]) for c in f["changed"]] == [
        ("FP16_FORMAT", "value"), ("FP16_INITIAL_SCALE_POWER_DEFAULT", "value")]
    power = f["changed"][1]
    assert (power["old_value"], power["new_value"]) == (32, 16)
    assert data["drift"] is True and data["summary"]["added"] == 5


def test_upstream_json_report_with_a_moved_constant_validates_against_the_schema(tmp_path):
    """``diff --tag`` reports a constant that moved between configured files as moved (and
    counts it in the summary); that report must validate too."""
    from tests.gitrepo import make_repo

    repo = make_repo(tmp_path / "up", [
        ("v1", {"pkg/a.py": b"MOVING = 'x'\nA = 1\n", "pkg/b.py": b"B = 2\n"}),
        ("v2", {"pkg/a.py": b"A = 1\n", "pkg/b.py": b"B = 2\nMOVING = 'x'\n"}),
    ])
    project = tmp_path / "project"
    (project / "v").mkdir(parents=True)
    (project / "v" / "a.py").write_bytes(b"MOVING = 'x'\nA = 1\n")
    (project / "v" / "b.py").write_bytes(b"B = 2\n")
    (project / "dssync.toml").write_text(
        f'sources = ["git:{repo.path}"]\n'
        '[[files]]\nvendored = "v/a.py"\nupstream = "pkg/a.py"\n'
        '[[files]]\nvendored = "v/b.py"\nupstream = "pkg/b.py"\n')
    result = run("diff", "--tag", "v2", "--format", "json", "--no-cache", cwd=project)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    VALIDATOR.validate(data)
    assert data["summary"]["moved"] == 1
    assert not any(f["removed"] or f["added"] for f in data["files"])


def test_fixture_markdown_report():
    result = run("diff", OLD, NEW, "--format", "markdown")
    assert result.returncode == 1 and result.stderr == ""
    assert result.stdout.startswith("# dssync drift report\n")
    assert "### Added upstream (5)" in result.stdout
    assert "### Removed upstream (3)" in result.stdout
    assert "### Changed (2)" in result.stdout
    assert not ANSI.search(result.stdout)


def test_json_without_drift(pair):
    a, b = pair("A = 1\n", "A = 1  # same\n")
    result = run("diff", a, b, "--format", "json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    VALIDATOR.validate(data)
    assert data["drift"] is False


def test_no_renames_option(pair):
    a, b = pair("OLD_NAME_X = 5\n", "OLD_NAME_Y = 5\n")
    renamed = json.loads(run("diff", a, b, "--format", "json").stdout)["files"][0]
    assert [r["new_name"] for r in renamed["renamed"]] == ["OLD_NAME_Y"]
    plain = json.loads(run("diff", a, b, "--format", "json", "--no-renames").stdout)["files"][0]
    assert plain["renamed"] == [] and [a["name"] for a in plain["added"]] == ["OLD_NAME_Y"]


def test_a_class_renamed_as_a_whole_in_every_format(pair, tmp_path):
    body = ("class {}:\n    RECORD = 1\n    COMPLETE = 2\n\n    def again(self):\n"
            "        return {}.RECORD\n")
    a, b = pair(body.format("TraceMode", "TraceMode"), "import os\n\n" + body.format("ZeRoTraceMode", "ZeRoTraceMode"))
    result = run("diff", a, b)
    assert result.returncode == 1, result.stderr
    assert ("    > class TraceMode renamed to ZeRoTraceMode, its body otherwise the same "
            "(2 constants: RECORD, COMPLETE)  (line 1 -> 3)") in result.stdout.splitlines()
    assert result.stdout.rstrip().endswith("0 changed, 0 moved, 1 class renamed")
    data = json.loads(run("diff", a, b, "--format", "json").stdout)
    VALIDATOR.validate(data)
    assert data["files"][0]["renamed_classes"][0]["new_name"] == "ZeRoTraceMode"
    assert data["files"][0]["added"] == data["files"][0]["removed"] == []
    plain = json.loads(run("diff", a, b, "--format", "json", "--no-renames").stdout)["files"][0]
    assert plain["renamed_classes"] == [] and len(plain["added"]) == 2


# --- --output ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_output_file(tmp_path, fmt):
    target = tmp_path / f"report.{fmt}"
    result = run("diff", OLD, NEW, "--format", fmt, "--output", target)
    assert result.returncode == 1
    assert result.stdout == "" and result.stderr == ""
    written = target.read_text(encoding="utf-8")
    assert not ANSI.search(written)
    if fmt == "json":
        VALIDATOR.validate(json.loads(written))
    else:
        assert "FP16_INITIAL_SCALE_POWER_DEFAULT" in written


def test_output_replaces_an_existing_file(tmp_path, pair):
    a, b = pair("A = 1\n", "A = 1\n")
    target = tmp_path / "report.txt"
    target.write_text("stale\n" * 1000, encoding="utf-8")
    assert run("diff", a, b, "--output", target).returncode == 0
    assert target.read_text(encoding="utf-8").startswith(f"{a} vs {b}\n")


def test_output_directory_gets_a_report_set_with_valid_json(tmp_path):
    result = run("diff", OLD, NEW, "--output", tmp_path)
    assert result.returncode == 1, result.stderr
    VALIDATOR.validate(json.loads((tmp_path / "drift-local.json").read_text(encoding="utf-8")))


def test_output_in_a_missing_directory_is_trouble(tmp_path):
    result = run("diff", OLD, NEW, "--output", tmp_path / "missing" / "r.txt")
    line = assert_trouble(result.returncode, result.stdout, result.stderr)
    assert "missing" in line


# --- trouble -------------------------------------------------------------------------------

BAD_INPUTS = {
    "unparsable": (b"A = 1\nB = (\n", r"bad\.py:2:\d+: "),
    "binary": (b"A = 1\n\x00\x00", r"bad\.py:2: "),
    "non-utf8": (b"A = 1\nB = 2\nC = 'caf\xe9'\n", r"bad\.py:3: "),
    "python2": (b"print 'x'\n", r"bad\.py:1:\d+: "),
    "bad-cookie": (b"# coding: nonsense\nA = 1\n", r"bad\.py"),
}


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_bad_input_is_one_line_of_trouble(tmp_path, kind):
    data, where = BAD_INPUTS[kind]
    (tmp_path / "bad.py").write_bytes(data)
    (tmp_path / "good.py").write_text("A = 1\n", encoding="utf-8")
    for args in (("bad.py", "good.py"), ("good.py", "bad.py")):
        result = run("diff", *args, cwd=tmp_path)
        line = assert_trouble(result.returncode, result.stdout, result.stderr)
        assert re.match(rf"dssync: {where}", line), line
        assert "; " in line, "no hint"
        assert "internal error" not in line


@pytest.mark.parametrize(("args", "expect"), [
    (("diff", "nope.py", "good.py"), "nope.py: no such file"),
    (("diff", ".", "good.py"), "directory"),
    (("diff", "good.py"), "two files"),
    (("diff", "a.py", "b.py", "c.py"), "two files"),
    (("diff", "good.py", "good.py", "--format", "xml"), "invalid choice"),
    (("diff", "good.py", "good.py", "--bogus"), "unrecognized arguments"),
])
def test_usage_and_file_errors_are_one_line_of_trouble(tmp_path, args, expect):
    (tmp_path / "good.py").write_text("A = 1\n", encoding="utf-8")
    result = run(*args, cwd=tmp_path)
    line = assert_trouble(result.returncode, result.stdout, result.stderr)
    assert expect in line


@pytest.mark.parametrize(("args", "expect"), [
    (("diff", "good.py", "good.py", "--bogus"),
     "dssync diff: error: unrecognized arguments: --bogus; see 'dssync diff --help'"),
    (("tags", "--tag", "v1"),
     "dssync tags: error: unrecognized arguments: --tag v1; see 'dssync tags --help'"),
    (("status", "--bogus", "x"),
     "dssync status: error: unrecognized arguments: --bogus; see 'dssync status --help'"),
    # Before the command, an option is dssync's own: its help is the one to read.
    (("--bogus", "diff", "good.py", "good.py"),
     "dssync: error: unrecognized arguments: --bogus; see 'dssync --help'"),
    (("-v", "diff", "good.py", "good.py"),
     "dssync: error: unrecognized arguments: -v; see 'dssync --help'"),
])
def test_an_unknown_option_names_the_command_it_follows_and_its_help(tmp_path, args, expect):
    """argparse blamed every unknown option on ``dssync`` and pointed at ``dssync --help``,
    which does not list a command's options."""
    (tmp_path / "good.py").write_text("A = 1\n", encoding="utf-8")
    result = run(*args, cwd=tmp_path)
    line = assert_trouble(result.returncode, result.stdout, result.stderr)
    assert line == expect


def test_empty_files_are_fine(pair):
    a, b = pair("", "")
    result = run("diff", a, b)
    assert result.returncode == 0 and "no drift" in result.stdout


def test_an_internal_error_is_still_one_line(pair):
    # Whatever goes wrong inside, the user sees one line and exit 2, never a traceback: a bug
    # is planted in the diff command of a real process to see how the CLI reports it.
    a, b = pair("A = 1\n", "A = 2\n")
    code = ("import dssync.commands.diff as d\n"
            "def broken(args): raise ZeroDivisionError('planted')\n"
            "d.run = broken\n"
            "from dssync.cli import main\n"
            f"raise SystemExit(main(['diff', {str(a)!r}, {str(b)!r}]))\n")
    env = {k: v for k, v in os.environ.items() if k != "DSSYNC_DEBUG"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert_trouble(result.returncode, result.stdout, result.stderr)
    assert "internal error: ZeroDivisionError: planted" in result.stderr


# --- colour --------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_text_on_a_terminal_is_coloured_and_piped_text_is_not():
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen([_dssync(), "diff", str(OLD), str(NEW)], stdout=slave,
                                stderr=subprocess.PIPE, env=_env(TERM="xterm-256color", COLUMNS="200"))
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
    finally:
        os.close(master)
    shown = b"".join(chunks).decode("utf-8", errors="replace")
    assert proc.returncode == 1
    assert ANSI.search(shown), "no colour on a terminal"
    assert "FP16_INITIAL_SCALE_POWER_DEFAULT" in ANSI.sub("", shown)
    piped = run("diff", OLD, NEW)
    assert not ANSI.search(piped.stdout)


# --- in-process through main() ------------------------------------------------------------


def test_main_exit_codes_and_output(capsys, pair):
    a, b = pair("A = 1\n", "A = 1\n")
    assert main(["diff", str(a), str(b)]) == 0
    out, err = capsys.readouterr()
    assert "no drift" in out and err == ""

    assert main(["diff", str(OLD), str(NEW)]) == 1
    out, err = capsys.readouterr()
    assert "FP16_INITIAL_SCALE_POWER_DEFAULT: 32 -> 16" in out and err == ""
    assert not ANSI.search(out)


def test_main_json(capsys):
    assert main(["diff", str(OLD), str(NEW), "--format", "json"]) == 1
    out, err = capsys.readouterr()
    data = json.loads(out)
    VALIDATOR.validate(data)
    assert err == "" and data["summary"]["removed"] == 3


def test_main_markdown_to_file(capsys, tmp_path):
    target = tmp_path / "r.md"
    assert main(["diff", str(OLD), str(NEW), "--format", "markdown", "--output", str(target)]) == 1
    assert capsys.readouterr() == ("", "")
    assert target.read_text(encoding="utf-8").startswith("# dssync drift report")


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_main_bad_input(capsys, tmp_path, kind):
    data, where = BAD_INPUTS[kind]
    bad = tmp_path / "bad.py"
    bad.write_bytes(data)
    code = main(["diff", str(bad), str(OLD)])
    out, err = capsys.readouterr()
    line = assert_trouble(code, out, err)
    assert re.match(rf"dssync: {re.escape(str(tmp_path))}/{where}", line), line


def test_main_missing_file(capsys, tmp_path):
    code = main(["diff", str(tmp_path / "nope.py"), str(OLD)])
    out, err = capsys.readouterr()
    assert "no such file" in assert_trouble(code, out, err)


def test_main_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["diff", str(OLD), str(NEW), "--format", "xml"])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert_trouble(2, out, err)


def test_bytes_keys_are_reported_by_every_format_and_updated(tmp_path):
    """``{b"a": 1}`` against ``{b"a": 2}`` was "internal error: TypeError" (deepdiff) in
    ``diff`` and ``update``."""
    old, new = tmp_path / "old.py", tmp_path / "new.py"
    old.write_bytes(b'X = {b"a": 1}\nY = 1\n')
    new.write_bytes(b'X = {b"a": 2}\nY = 1\n')
    for fmt in ("text", "json", "markdown", "github", "sarif", "html"):
        proc = run("diff", old, new, "--format", fmt, cwd=tmp_path)
        assert proc.returncode == 1 and proc.stderr == "", (fmt, proc.stderr)
        if fmt == "json":
            data = json.loads(proc.stdout)
            VALIDATOR.validate(data)
            [change] = data["files"][0]["changed"]
            assert change["name"] == "X"
        elif fmt == "text":
            assert "X: {b'a': 1} -> {b'a': 2}" in proc.stdout
    proc = run("update", old, new, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert old.read_bytes() == b'X = {b"a": 2}\nY = 1\n'
