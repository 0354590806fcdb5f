"""Untrusted upstream: hostile files are read, never run, in bounded memory.

The upstream file comes from a loopback GitHub (``dssync diff --tag``) or sits beside the
vendored one (``dssync update VENDORED.py UPSTREAM.py``). Each child's own peak RSS is read
from ``wait4``; a safety limit on its address space (``RLIMIT_AS``) keeps a regression from
taking the machine down, and would itself show up as a failure. Code that writes a marker file
when imported, executed or evaluated must never leave the marker behind.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from test_faults import FakeGitHub, Run, run_dssync, snapshot

LIMIT_AS = str(3 * 2**30)
"""The children's address-space ceiling: far above the bounds asserted, far below the harm."""
MB = 1024  # wait4 reports KiB

VENDORED = b'"""Vendored constants."""\n\nCOUNT = 3\nNAME = "widgets"\n'
UPSTREAM = "pkg/constants.py"


def hostile_module(marker: Path) -> bytes:
    """Every way a careless tool could end up running upstream code writes ``marker``."""
    m = repr(str(marker))
    return f'''"""Looks like constants; acts otherwise."""
# -*- coding: utf-8 -*-
import os
open({m}, "w").write("module level")
__import__("os").system("touch " + {m})
COUNT = 4
NAME = "widgets"
OPENED = open({m}, "w").write("value")
SYSTEM = __import__("os").system("touch " + {m})
EVALED = eval("open({m}, 'w')")
EXECED = exec("open({m}, 'w')")
COMPILED = compile("open({m}, 'w')", "x", "exec")
FSTRING = f"{{open({m}, 'w')}}"
PERCENT = "%s" % (open({m}, "w"),)
FORMATTED = "{{}}".format(open({m}, "w"))
LAMBDA = (lambda: open({m}, "w"))()
COMPREHENSION = [open({m}, "w") for _ in range(1)]
DICT = {{k: open({m}, "w") for k in [1]}}
GETATTR = getattr(__builtins__, "open")({m}, "w")
SUBCLASSES = (1).__class__.__base__.__subclasses__()
SUBPROCESS = __import__("subprocess").call(["touch", {m}])
WALRUS = (x := open({m}, "w"))
TERNARY = open({m}, "w") if True else None
FIRST, SECOND = open({m}, "w"), 1
CHAINED_A = CHAINED_B = open({m}, "w")
INDEXED = {{"k": 1}}[open({m}, "w")]
STARRED = [*open({m}, "w")]
AWAITED = [await_(x) for x in ()] if False else open({m}, "w")
ANNOTATED: open({m}, "w") = 1
COUNT += len(open({m}, "w").name)


class Settings:
    LEVEL = open({m}, "w")

    def __init_subclass__(cls):
        open({m}, "w")


class Derived(Settings, metaclass=type("Meta", (type,), {{"__new__": lambda *a: open({m}, "w")}})):
    X = 1


@__import__("atexit").register
def at_exit():
    open({m}, "w")


try:
    TRIED = open({m}, "w")
except Exception:
    TRIED = None

if __name__ == "__main__":
    open({m}, "w")

del os
'''.encode()


def _no_marker(marker: Path) -> None:
    time.sleep(0.05)  # an atexit handler or a stray child would have written it by now
    assert not marker.exists(), f"upstream code was executed: {marker.read_text()!r}"


@pytest.fixture
def gh():
    with FakeGitHub() as server:
        yield server


def _project(tmp_path: Path, gh: FakeGitHub, upstream: bytes) -> Path:
    gh.add_repo("acme/widgets", {"v1": {UPSTREAM: VENDORED}, "v2": {UPSTREAM: upstream}})
    project = tmp_path / "project"
    (project / "vendor").mkdir(parents=True)
    (project / "vendor" / "constants.py").write_bytes(VENDORED)
    (project / "pyproject.toml").write_text(
        '[tool.dssync]\ngithub = "acme/widgets"\nsources = ["github"]\nlock = "dssync.lock"\n'
        f'github-api-url = "{gh.api_url}"\ngithub-raw-url = "{gh.raw_url}"\n'
        f'[[tool.dssync.files]]\nvendored = "vendor/constants.py"\nupstream = "{UPSTREAM}"\n')
    return project


def _diff(project: Path, tmp_path: Path, *extra: str) -> Run:
    return run_dssync("diff", "vendor/constants.py", "--tag", "v2", "--source",
                      "github:acme/widgets", "--upstream-path", UPSTREAM, "--cache-dir",
                      tmp_path / "cache", *extra, cwd=project,
                      env={"DSSYNC_T_RLIMIT_AS": LIMIT_AS})


def _update(home: Path, *extra: str) -> Run:
    return run_dssync("update", "vendored.py", "upstream.py", *extra, cwd=home,
                      env={"DSSYNC_T_RLIMIT_AS": LIMIT_AS})


def _one_line(run: Run, *words: str) -> str:
    line = run.one_error_line()
    for word in words:
        assert word in line, line
    return line


# --- nothing is run ---------------------------------------------------------------------------


def test_hostile_code_is_read_never_run(tmp_path, gh):
    marker = tmp_path / "executed"
    hostile = hostile_module(marker)
    project = _project(tmp_path, gh, hostile)
    run = _diff(project, tmp_path, "--format", "json", "--write-reports")  # every format
    assert run.code == 1 and "OPENED" in run.out, run.err
    assert len(list((project / "reports").iterdir())) >= 4
    _no_marker(marker)

    # Every command that reads the hostile file: vendor it, check it, update it, diff it.
    for args in (("vendor", "--tag", "v2"), ("status",), ("update", "--tag", "v1", "--force"),
                 ("update", "--tag", "v2", "--dry-run"), ("update", "--tag", "v2")):
        run = run_dssync(*args, "--cache-dir", tmp_path / "cache", cwd=project,
                         env={"DSSYNC_T_RLIMIT_AS": LIMIT_AS})
        assert run.code in (0, 1), (args, run.err)
        assert "Traceback" not in run.err
        _no_marker(marker)

    home = tmp_path / "local"
    home.mkdir()
    (home / "vendored.py").write_bytes(VENDORED)
    (home / "upstream.py").write_bytes(hostile)
    for extra in (("--mode", "replace", "--dry-run"), ()):
        run = _update(home, *extra)
        assert run.code in (0, 1), run.err
        _no_marker(marker)
    assert b"OPENED = open(" in (home / "vendored.py").read_bytes()  # copied as text, not run
    run = run_dssync("diff", "upstream.py", "vendored.py", cwd=home)
    assert run.code in (0, 1), run.err
    _no_marker(marker)


def test_hostile_module_named_like_a_module_dssync_imports(tmp_path):
    # Files in the working directory must not shadow what dssync imports.
    marker = tmp_path / "executed"
    home = tmp_path / "local"
    home.mkdir()
    payload = f"open({str(marker)!r}, 'w').write('shadowed')\n".encode()
    for name in ("libcst.py", "deepdiff.py", "json.py", "difflib.py", "tomllib.py", "ast.py"):
        (home / name).write_bytes(payload)
    (home / "vendored.py").write_bytes(VENDORED)
    (home / "upstream.py").write_bytes(VENDORED.replace(b"COUNT = 3", b"COUNT = 4"))
    run = _update(home)
    assert run.code == 0, run.err
    _no_marker(marker)


@pytest.mark.parametrize("cookie", [b"rot13", b"unicode_escape", b"utf-7"])
def test_exotic_source_encodings(tmp_path, cookie):
    # Text transforms are not source encodings; odd ones that are decode to plain text, which
    # is then only parsed.
    marker = tmp_path / "executed"
    home = tmp_path / "local"
    home.mkdir()
    (home / "vendored.py").write_bytes(VENDORED)
    body = f"X = open({str(marker)!r}, 'w')\nCOUNT = 4\n".encode()
    (home / "upstream.py").write_bytes(b"# -*- coding: " + cookie + b" -*-\n" + body)
    before = snapshot(home)
    run = _update(home, "--dry-run")
    assert run.code in (0, 1, 2) and "Traceback" not in run.err, run.err
    if run.code == 2:
        run.one_error_line()
    assert snapshot(home) == before
    _no_marker(marker)


# --- bounded memory ---------------------------------------------------------------------------


BOMBS = b'''
STRING = "a" * 10**9
LIST = [0] * 10**9
BYTES = b"ab" * 10**9
POWER = 2 ** 10**10
TOWER = 10 ** 10 ** 10
SHIFT = 1 << 10**10
WIDTH = "%999999999d" % 1
STAR = "%*d" % (999999999, 1)
PRECISION = "%.*f" % (999999999, 1.0)
FWIDTH = f"{1:>999999999}"
MEGA = "x" * 1000000
TUPLE = (MEGA,) * 1000
FORMATTED = f"{TUPLE}"
PERCENT = "%s" % (TUPLE,)
JOINED = f"{MEGA}{MEGA}{MEGA}{MEGA}{MEGA}{MEGA}{MEGA}{MEGA}{MEGA}{MEGA}"
GROWN = [MEGA]
GROWN *= 10**6
NESTED = [[[[[[MEGA] * 100] * 100] * 100] * 100] * 100]
HEXBIG = 0x''' + b"f" * 20000 + b'''
FLOAT = 1e308 * 10
'''


def test_expressions_that_would_allocate_gigabytes(tmp_path, gh):
    project = _project(tmp_path, gh, VENDORED + BOMBS)
    started = time.monotonic()
    run = _diff(project, tmp_path)
    assert run.code == 1, run.err
    assert "STRING" in run.out and "HEXBIG" in run.out
    assert run.peak_rss_kb < 120 * MB, run.peak_rss_kb
    assert time.monotonic() - started < 30


def test_a_ten_megabyte_string_literal(tmp_path, gh):
    big = VENDORED + b'BLOB = "' + b"a" * (10 * 2**20) + b'"\n'
    project = _project(tmp_path, gh, big)
    run = _diff(project, tmp_path)
    assert run.code == 1, run.err
    assert "BLOB" in run.out and len(run.out) < 100_000  # shown cut short, not in full
    assert run.peak_rss_kb < 300 * MB, run.peak_rss_kb


@pytest.mark.parametrize("line", [
    b"DENSE = [" + b"1," * (5 * 2**20) + b"]\n",
    b"TEXT = 'x' " + b"'y' " * (5 * 2**19) + b"\n",
], ids=["ints", "strings"])
def test_a_ten_megabyte_line_of_tokens_is_refused(tmp_path, gh, line):
    assert len(line) > 10 * 10**6
    project = _project(tmp_path, gh, VENDORED + line)
    run = _diff(project, tmp_path)
    _one_line(run, "too large to analyse safely", UPSTREAM)
    assert run.peak_rss_kb < 120 * MB, run.peak_rss_kb


def test_one_statement_too_large_to_parse_at_once_is_refused(tmp_path, gh):
    """Under the module's token limit, but one statement of 1.9 million tokens: Python's
    parser would need about a gigabyte for it."""
    statement = b"WIDE = [" + b"1," * 950_000 + b"]\n"
    project = _project(tmp_path, gh, VENDORED + statement)
    run = _diff(project, tmp_path)
    _one_line(run, "cannot be read apart", UPSTREAM)
    assert "the limit is 400000" in run.err
    assert run.peak_rss_kb < 120 * MB, run.peak_rss_kb


def test_update_refuses_a_ten_megabyte_line_and_writes_nothing(tmp_path):
    home = tmp_path / "local"
    home.mkdir()
    (home / "vendored.py").write_bytes(VENDORED)
    (home / "upstream.py").write_bytes(VENDORED + b"NAMES = (" + b"a," * (5 * 2**20) + b")\n")
    before = snapshot(home)
    run = _update(home)
    _one_line(run, "too large to analyse safely", "upstream.py")
    assert run.peak_rss_kb < 120 * MB, run.peak_rss_kb
    assert snapshot(home) == before


def test_update_refuses_a_module_too_large_to_rewrite_and_writes_nothing(tmp_path):
    """Readable (540,000 tokens in 60,000 small statements), but libcst's tree of it would
    take about half a gigabyte: update stops before building it."""
    home = tmp_path / "local"
    home.mkdir()
    (home / "vendored.py").write_bytes(VENDORED)
    (home / "upstream.py").write_bytes(
        VENDORED + b"".join(b"N%d = (1, 2, 3)\n" % i for i in range(60_000)))
    before = snapshot(home)
    run = _update(home)
    _one_line(run, "too large to rewrite safely", "upstream.py", "the limit is 400000")
    assert run.peak_rss_kb < 120 * MB, run.peak_rss_kb
    assert snapshot(home) == before


def test_a_ten_megabyte_comment_line(tmp_path, gh):
    project = _project(tmp_path, gh, VENDORED + b"# " + b"x" * (10 * 2**20) + b"\nLATE = 1\n")
    run = _diff(project, tmp_path)
    assert run.code == 1 and "LATE" in run.out, run.err
    assert run.peak_rss_kb < 300 * MB, run.peak_rss_kb


# --- deep nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize("expression", [
    b"(" * 5000 + b"1" + b")" * 5000,
    b"-" * 100000 + b"1",
    b"lambda: " * 5000 + b"1",
    b"{'a': " * 150 + b"1" + b"}" * 150,
], ids=["parens", "unary", "lambdas", "dicts"])
def test_deeply_nested_expressions(tmp_path, gh, expression):
    project = _project(tmp_path, gh, VENDORED + b"DEEP = " + expression + b"\n")
    run = _diff(project, tmp_path)
    # Either understood (DEEP shows as added) or refused in one line; never a crash.
    if run.code == 2:
        run.one_error_line()
    else:
        assert run.code == 1 and "DEEP" in run.out, run.err
    assert run.peak_rss_kb < 200 * MB, run.peak_rss_kb


def test_references_nested_thousands_deep(tmp_path, gh):
    # Each constant wraps the previous one: A4999 is a tuple 5000 levels deep once resolved.
    chain = b"A0 = (1,)\n" + b"".join(b"A%d = (A%d,)\n" % (i, i - 1) for i in range(1, 5000))
    project = _project(tmp_path, gh, VENDORED + chain)
    run = _diff(project, tmp_path)
    assert run.code == 1 and "A4999" in run.out, run.err

    changed = chain.replace(b"A0 = (1,)", b"A0 = (2,)")
    home = tmp_path / "local"
    home.mkdir()
    (home / "vendored.py").write_bytes(VENDORED + chain)
    (home / "upstream.py").write_bytes(VENDORED + changed)
    run = run_dssync("diff", "vendored.py", "upstream.py", cwd=home)
    assert run.code == 1 and "A0" in run.out, run.err


def test_python_warnings_about_upstream_code_are_not_printed(tmp_path):
    home = tmp_path / "local"
    home.mkdir()
    (home / "vendored.py").write_bytes(VENDORED)
    (home / "upstream.py").write_bytes(VENDORED + b'PATTERN = "\\d+"\nPICK = 1if True else 2\n')
    runs = [run_dssync("diff", "vendored.py", "upstream.py", cwd=home),
            _update(home, "--dry-run")]
    assert [r.code for r in runs] == [1, 1], [r.err for r in runs]
    assert [r.err for r in runs] == ["", ""]
