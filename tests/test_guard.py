"""Text no parser should be handed is refused first: what Python cannot compile, and what nests
deeper than libcst can walk (``dssync._extract.guard``).

A chain of 10,000 ``and`` once killed ``dssync update`` with SIGSEGV (libcst's native parser ran
out of stack) and 500 to 7,000 made it say "internal error: RecursionError", while ``dssync
diff`` read the same file. Now every reader refuses such text in one line naming the file, and
the deepest text the guard lets through is rewritten even with hundreds of frames already on
the stack. These tests use only the command line and ``refuse_unparsable``, so they hold
whichever parser reads constants.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from dssync._extract.guard import MAX_DEPTH, refuse_unparsable
from dssync.errors import DssyncError
from gitrepo import make_repo
from test_faults import run_dssync, snapshot

REPO_ROOT = Path(__file__).resolve().parent.parent
VENDORED = b'"""Vendored constants."""\n\nCOUNT = 3\nDEEP = 1\n'


def _and_chain(terms: int) -> bytes:
    return b"DEEP = 1" + b" and 1" * (terms - 1) + b"\n"


def _two_files(tmp_path: Path, upstream: bytes, vendored: bytes = VENDORED) -> Path:
    home = tmp_path / "local"
    home.mkdir()
    (home / "vendored.py").write_bytes(vendored)
    (home / "upstream.py").write_bytes(upstream)
    return home


def _refused(run, name: str) -> str:
    assert run.code != -11 and run.code != 139, f"dssync crashed (SIGSEGV): {run.err!r}"
    line = run.one_error_line()  # exit 2, one line, no traceback, no "internal error"
    assert name in line, line
    return line


# --- the finding, through the command line ----------------------------------------------------


@pytest.mark.parametrize("terms", [MAX_DEPTH + 200, 7_000, 10_000])
def test_a_long_boolean_chain_is_refused_by_diff_and_update_never_crashes(tmp_path, terms):
    upstream = VENDORED.replace(b"DEEP = 1\n", _and_chain(terms))
    home = _two_files(tmp_path, upstream)
    before = snapshot(home)
    for args in (["diff", "vendored.py", "upstream.py"], ["update", "vendored.py", "upstream.py"],
                 ["update", "upstream.py", "vendored.py", "--dry-run"]):
        line = _refused(run_dssync(*args, cwd=home), "upstream.py")
        assert "levels deep" in line, line
    assert snapshot(home) == before


def test_update_from_a_git_tag_refuses_the_chain_and_leaves_file_and_lock(tmp_path):
    upstream = VENDORED.replace(b"DEEP = 1\n", _and_chain(10_000))
    repo = make_repo(tmp_path / "up", [("v1", {"pkg/constants.py": VENDORED}),
                                       ("v2", {"pkg/constants.py": upstream})])
    project = tmp_path / "project"
    (project / "vendor").mkdir(parents=True)
    (project / "dssync.toml").write_text(
        f'sources = ["git:{repo.path}"]\nlock = "dssync.lock"\n'
        '[[files]]\nvendored = "vendor/constants.py"\nupstream = "pkg/constants.py"\n')
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert run_dssync("vendor", "--tag", "v1", *cache, cwd=project).code == 0
    before = snapshot(project)
    for args in (["update", "--tag", "v2"], ["diff", "--tag", "v2"]):
        _refused(run_dssync(*args, *cache, cwd=project), "pkg/constants.py")
    assert snapshot(project) == before


def test_the_vendored_side_is_guarded_too(tmp_path):
    deep = VENDORED.replace(b"DEEP = 1\n", _and_chain(3_000))
    home = _two_files(tmp_path, VENDORED, vendored=deep)
    _refused(run_dssync("update", "vendored.py", "upstream.py", cwd=home), "vendored.py")


def test_what_python_cannot_compile_is_refused_although_it_parses(tmp_path):
    # The parser accepts these; only compiling finds them wrong, and so must dssync.
    for text in (b"nonlocal COUNT\n", b"def f():\n    x = 1\n    global x\n",
                 b"A = 1\nreturn A\n"):
        home = _two_files(tmp_path, VENDORED + text)
        for args in (["diff", "vendored.py", "upstream.py"],
                     ["update", "vendored.py", "upstream.py"]):
            line = _refused(run_dssync(*args, cwd=home), "upstream.py")
            assert "not valid Python" in line
        import shutil

        shutil.rmtree(home)


# --- the bound ------------------------------------------------------------------------------


def _at(depth: int, *, compiles: bool = True) -> dict[str, str]:
    """Statements whose measure is ``depth``, one per kind of nesting libcst recurses on
    (``compiles``: blocks at most 99 deep, as Python allows)."""
    brackets = depth // 3
    blocks = min(brackets, 99) if compiles else brackets
    return {
        "and": "X = 1" + " and 1" * depth,
        "binary": "X = 1" + " + 1" * depth,
        "power": "X = 2" + " ** 1" * depth,
        "ternary": "X = 1" + " if 1 else 1" * (depth // 2),
        "attributes": "X = COUNT" + ".real" * depth,
        "calls": "X = str" + "()" * depth,
        "subscripts": "X = " + "COUNT[" * brackets + "0" + "]" * brackets,
        "subscript chain": "X = COUNT" + "[0]" * depth,
        "dicts": "X = " + "{0: " * brackets + "1" + "}" * brackets,
        "lists": "X = " + "[" * brackets + "1" + "]" * brackets,
        "calls nested": "X = " + "str(" * brackets + "1" + ")" * brackets,
        "strings": "X = (" + ' "a"' * depth + ")",
        "f-string": 'X = f"{' + " + ".join(["COUNT"] * depth) + '}"',
        "unary": "X = " + "-" * depth + "1",
        "not": "X = " + "not " * depth + "1",
        "lambdas": "X = " + "lambda a, b: " * depth + "1",
        "blocks": "".join(" " * i + "if COUNT:\n" for i in range(blocks - 1))
                  + " " * (blocks - 1) + "X = 1 + 1\n",
    }


def test_every_kind_of_nesting_is_measured_and_refused_above_the_bound():
    for kind, text in _at(MAX_DEPTH + 3, compiles=False).items():
        with pytest.raises(DssyncError) as caught:
            refuse_unparsable(text + "\n", "deep.py")
        # 99 blocks measure 294: above a bound of 120, below one of 500, where Python's own
        # limit of 100 indents is the one that holds (tested with the bound it meets first).
        expected = "levels deep" if kind != "blocks" or MAX_DEPTH < 294 else "not valid Python"
        assert expected in str(caught.value) and "deep.py:" in str(caught.value), kind


def _deep_stack(frames: int, call):
    return call() if frames == 0 else _deep_stack(frames - 1, call)


def test_the_deepest_text_allowed_is_rewritten_with_hundreds_of_frames_on_the_stack():
    """The margin: what the guard lets through, libcst parses, walks and prints (a change, an
    addition, a replace) with 300 frames of callers below it, besides pytest's own."""
    from dssync._rewrite import merge

    for kind, statement in _at(MAX_DEPTH - 3).items():
        upstream = ('"""Upstream."""\n\nCOUNT = 4\n' + statement + "\n").encode()
        refuse_unparsable(upstream.decode(), "upstream.py")
        changed = upstream.replace(b"1", b"2")
        for vendored, mode in ((VENDORED, "merge"), (changed, "merge"), (VENDORED, "replace")):
            result = _deep_stack(300, lambda v=vendored, u=upstream, m=mode: merge(v, u, mode=m))
            assert result.changed or vendored is changed, kind


def test_real_modules_pass_and_their_depth_is_far_below_the_bound():
    for path in sorted((REPO_ROOT / "vendored").rglob("*.py")):
        refuse_unparsable(path.read_text(encoding="utf-8"), str(path))
    for path in sorted((REPO_ROOT / "tool").rglob("*.py")):
        refuse_unparsable(path.read_text(encoding="utf-8"), str(path))
    # A long flat literal is wide, not deep.
    refuse_unparsable("X = [" + "-1, " * 100_000 + "]\nY = {" + "'a': -1, " * 10_000 + "}\n",
                      "wide.py")


def test_line_numbers_name_the_statement_within_a_piece():
    text = "A = 1\n" * 9 + "B = 1" + " or 1" * (MAX_DEPTH + 80) + "\n"
    with pytest.raises(DssyncError) as caught:
        refuse_unparsable(text, "m.py", first_line=101)
    assert str(caught.value).startswith("m.py:110:"), str(caught.value)
    with pytest.raises(DssyncError) as caught:
        refuse_unparsable("A = 1\nB = (\n", "m.py", first_line=101)
    assert str(caught.value).startswith("m.py:102:"), str(caught.value)


def test_strings_and_comments_do_not_count():
    refuse_unparsable('A = "' + "- and " * 10_000 + '"\n# ' + "+ " * 10_000 + "\n"
                      "B = '''" + "(((" * 1000 + "'''\nC = rb'\\'' + b'(' \n"
                      'D = f"{{" "}}" f"{{{1}}}"\n', "strings.py")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="nested same-quote f-strings: 3.12+")
def test_nested_fstrings_of_the_same_quote_are_scanned():
    text = 'X = f"{f"{f"{' + " and ".join(["1"] * (MAX_DEPTH + 20)) + '}"}"}"\n'
    with pytest.raises(DssyncError, match="levels deep"):
        refuse_unparsable(text, "f.py")


# --- valid Python libcst nests deeply, read and written (review finding F2) --------------------


def _table_of_literals(count: int) -> str:
    """A table of adjacent string literals, one a line, as Python's encodings modules hold."""
    rows = "".join(f"    {chr(c)!r}  # {c:#04x}\n" if 32 < c < 127 and chr(c) not in "'\\"
                   else f"    '\\x{c:02x}'  # {c:#04x}\n" for c in range(count))
    return "DECODING_TABLE = (\n" + rows + ")\n"


def _help_text(lines: int, word: str) -> str:
    return "HELP = (\n" + "".join(f'    "{word} line {i}\\n"\n' for i in range(lines)) + ")\n"


def _check_function(terms: int) -> str:
    return ("\n\ndef check(x):\n    return " + " or ".join(f"x == {i}" for i in range(terms))
            + "\n\n\n")


def _joined(terms: int, first: str) -> str:
    return "JOINED = " + " + ".join([f'"{first}"'] + ['"b"'] * (terms - 1)) + "\n"


@pytest.mark.skipif(MAX_DEPTH < 300, reason="Python 3.10 keeps the bound of 120 levels")
def test_deep_valid_python_is_read_by_diff_and_written_by_update(tmp_path):
    """118 adjacent literals, a 256-literal table, a 200-term ``or`` in a function, a 150-term
    ``+``: each once refused whole (more than 120 levels of libcst's tree); now read and
    written, in real processes."""
    vendored = ('"""Vendored constants."""\n\nCOUNT = 3\n' + _help_text(118, "old")
                + _joined(150, "a") + _check_function(200) + "LAST = 1\n")
    upstream = ('"""Upstream constants."""\n\nCOUNT = 4\n' + _help_text(118, "new")
                + _joined(150, "z") + _table_of_literals(256) + _check_function(200)
                + "LAST = 1\n")
    compile(upstream, "upstream.py", "exec")  # what Python compiles, dssync must read
    home = _two_files(tmp_path, upstream.encode(), vendored.encode())

    diff = run_dssync("diff", "vendored.py", "upstream.py", "--format", "json", cwd=home)
    assert diff.code == 1 and diff.err == "", diff.err
    import json

    section = json.loads(diff.out)["files"][0]
    assert {c["name"] for c in section["changed"]} == {"COUNT", "HELP", "JOINED"}, section
    assert [a["name"] for a in section["added"]] == ["DECODING_TABLE"], section

    update = run_dssync("update", "vendored.py", "upstream.py", cwd=home)
    assert update.code == 0 and update.err == "", update.err
    written = (home / "vendored.py").read_text()
    compile(written, "vendored.py", "exec")
    for statement in (_help_text(118, "new"), _joined(150, "z"), _table_of_literals(256),
                      _check_function(200).strip()):
        assert statement in written, statement[:60]
    assert written.startswith('"""Vendored constants."""\n\nCOUNT = 4\n'), written[:80]
    again = run_dssync("diff", "vendored.py", "upstream.py", cwd=home)
    assert again.code == 0 and "no drift" in again.out, again.out + again.err


@pytest.mark.skipif(MAX_DEPTH < 300, reason="Python 3.10 keeps the bound of 120 levels")
def test_the_deepest_text_allowed_is_rewritten_on_a_thread_with_a_small_stack():
    """libcst's native parser dies near 7,000 chained ``and`` on an 8 MB stack; the bound is a
    fourteenth of that, so every kind at the bound parses, walks and prints in a thread with
    1 MB of stack (a crash would kill the child process, not this one)."""
    statements = [f'"""U."""\n\nCOUNT = 4\n{s}\n' for s in _at(MAX_DEPTH - 3).values()]
    program = (
        "import sys, threading\n"
        "from dssync._rewrite.merge import merge\n"
        "def work():\n"
        "    for text in sys.argv[1:]:\n"
        "        merge(b'COUNT = 3\\n', text.encode(), mode='merge')\n"
        "        merge(b'COUNT = 3\\n', text.encode(), mode='replace')\n"
        "    print('done')\n"
        "threading.stack_size(1 << 20)\n"
        "t = threading.Thread(target=work)\n"
        "t.start()\n"
        "t.join()\n")
    import subprocess

    run = subprocess.run([sys.executable, "-c", program, *statements], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0 and run.stdout == "done\n", (run.returncode, run.stderr[-2000:])


def test_the_recursion_limit_is_raised_only_while_libcst_works():
    from dssync._extract import stack
    from dssync._rewrite.merge import merge

    before = sys.getrecursionlimit()
    seen = []
    with stack.deep_recursion():
        seen.append(sys.getrecursionlimit())
        with stack.deep_recursion():  # nested: raised once
            seen.append(sys.getrecursionlimit())
    expected = before + stack.EXTRA_FRAMES if stack.RAISES else before
    assert seen == [expected, expected] and sys.getrecursionlimit() == before
    merge(VENDORED, VENDORED.replace(b"COUNT = 3", b"COUNT = 4"))
    assert sys.getrecursionlimit() == before


def test_a_refusal_on_the_large_stack_is_raised_in_the_callers_thread():
    from dssync._extract.parse import NotPython, parse_module

    with pytest.raises(DssyncError, match="levels deep"):
        parse_module("X = 1" + " or 1" * (MAX_DEPTH + 5) + "\n", "deep.py")
    with pytest.raises(NotPython):  # deep and broken: Python's verdict first
        parse_module("X = (1" + " or 1" * (MAX_DEPTH + 5) + "\n", "deep.py")
    from dssync._extract.stack import deep_recursion

    text = "X = 1" + " or 1" * (MAX_DEPTH - 5) + "\n"
    with deep_recursion():  # printing a tree this deep needs the room dssync's readers take
        assert parse_module(text, "deep.py").code == text


def test_impact_scans_deep_consuming_code_with_hundreds_of_frames_on_the_stack():
    """``impact`` walks consuming code with libcst's metadata visitors: a deep statement in a
    function, within the bound, is scanned and its uses found."""
    from dssync._analyses.impact import scan_source
    from dssync._analyses.modules import ModuleTarget

    targets = [ModuleTarget(key="pkg/constants.py", names=("pkg.constants",))]
    for kind in ("and", "binary", "strings", "attributes", "lambdas", "lists", "blocks"):
        statement = _at(MAX_DEPTH - 12)[kind].replace("COUNT", "C.COUNT")
        body = ("from pkg import constants as C\n\ndef f():\n"
                + "".join("    " + line + "\n" for line in statement.splitlines())
                + "    return C.COUNT\n")
        uses = _deep_stack(300, lambda b=body: scan_source(
            b, "m.py", "app", targets, {"pkg/constants.py": {"COUNT"}}))
        assert any(u.name == "COUNT" for u in uses), kind
