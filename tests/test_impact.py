"""dssync impact: uses of drifted constants in consuming code; and moved constants.

The consuming project is tests/fixtures/impact (see its README); upstream is a git repository
the tests build, whose v2.0.0 removes, changes, renames and moves constants of the vendored
v1.0.0 copy. Every expected use is written out below with its file and line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.gitrepo import make_repo

from dssync import cli
from dssync._history.consumers import iter_python_files
from dssync._history.impact import scan_source
from dssync._history.modules import (
    ModuleTarget, best_target, dotted_name, package_of, resolve_relative,
)
from dssync._history.moves import detect_moves
from dssync._history.drifted import drifted_constants
from dssync.models import Added, Changed, ClassRenamed, DriftReport, FileDrift, Moved, Removed
from tests.test_schemas import valid

FIXTURE = Path(__file__).parent / "fixtures" / "impact"
RUNTIME = "app/vendored/deepspeed/runtime/constants.py"
TOP = "app/vendored/deepspeed/constants.py"

RUNTIME_V2 = b'''"""Runtime constants of the imaginary upstream at v2.0.0."""

TRAIN_BATCH_SIZE = "train_batch_size"
TRAIN_BATCH_SIZE_DEFAULT = 1

GRADIENT_CLIPPING = "gradient_clipping"
GRADIENT_CLIP_DEFAULT = 0.0

ROUTE_TRAIN = "train"


class Limits:
    MAX_RETRIES = 5
'''
TOP_V2 = b'''"""Top-level constants of the imaginary upstream at v2.0.0."""

TORCH_DISTRIBUTED_DEFAULT_PORT = 29500
MOVED_KEY = "moved_key"
'''

# (file, line, constant, certain): every use the scan must report, and nothing else.
EXPECTED = {
    ("app/train.py", 2, "CURRICULUM_LEARNING", True),
    ("app/train.py", 3, "TRAIN_BATCH_SIZE_DEFAULT", True),
    ("app/train.py", 7, "CURRICULUM_LEARNING", True),
    ("app/train.py", 8, "TRAIN_BATCH_SIZE_DEFAULT", True),
    ("app/aliased.py", 9, "GRADIENT_CLIPPING_DEFAULT", True),
    ("app/aliased.py", 10, "CURRICULUM_ENABLED", True),
    ("app/aliased.py", 11, "TRAIN_BATCH_SIZE_DEFAULT", True),
    ("app/aliased.py", 12, "Limits.MAX_RETRIES", True),
    ("app/aliased.py", 13, "Limits.MAX_RETRIES", True),
    ("app/star.py", 9, "CURRICULUM_ENABLED", False),
    ("app/moved.py", 1, "MOVED_KEY", True),
    ("app/moved.py", 3, "MOVED_KEY", True),
    ("app/sub/deep.py", 7, "CURRICULUM_LEARNING", True),
}


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    return make_repo(tmp_path_factory.mktemp("impact") / "up", [
        ("v1.0.0", {"deepspeed/runtime/constants.py": (FIXTURE / RUNTIME).read_bytes(),
                    "deepspeed/constants.py": (FIXTURE / TOP).read_bytes()}),
        ("v2.0.0", {"deepspeed/runtime/constants.py": RUNTIME_V2,
                    "deepspeed/constants.py": TOP_V2}),
    ])


@pytest.fixture
def project(tmp_path, upstream, monkeypatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    (root / "dssync.toml").write_text(
        f'sources = ["git:{upstream.path}"]\n'
        f'[[files]]\nvendored = "{RUNTIME}"\nupstream = "deepspeed/runtime/constants.py"\n'
        f'[[files]]\nvendored = "{TOP}"\nupstream = "deepspeed/constants.py"\n')
    # Written here, not kept in the repository, so no tool that compiles the tree trips on it.
    (root / "app" / "broken.py").write_text(
        "from deepspeed.runtime.constants import CURRICULUM_LEARNING\n\ndef broken(:\n    pass\n")
    monkeypatch.chdir(root)
    return root


def impact(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(["impact", *argv, "--no-cache"])
    out, err = capsys.readouterr()
    return code, out, err


def reported(data: dict) -> set[tuple]:
    return {(u["path"], u["line"], d["name"], u["certain"])
            for d in data["drifted"] for u in d["uses"]}


# -- acceptance: known answers -------------------------------------------------------------------


def test_every_use_of_every_drifted_constant_is_found(project, capsys):
    code, out, err = impact(["--tag", "v2.0.0", "--format", "json"], capsys)
    assert code == 1, err
    data = valid("impact", out)
    assert data["schema"] == "dssync.impact/1" and data["tag"] == "v2.0.0"
    assert reported(data) == EXPECTED
    kinds = {d["name"]: d["kind"] for d in data["drifted"]}
    assert kinds == {
        "TRAIN_BATCH_SIZE_DEFAULT": "changed", "CURRICULUM_LEARNING": "removed",
        "CURRICULUM_ENABLED": "removed", "GRADIENT_CLIPPING_DEFAULT": "renamed",
        "Limits.MAX_RETRIES": "changed", "MOVED_KEY": "moved",
    }
    renamed = next(d for d in data["drifted"] if d["kind"] == "renamed")
    assert renamed["new"] == "GRADIENT_CLIP_DEFAULT"
    moved = next(d for d in data["drifted"] if d["kind"] == "moved")
    assert (moved["vendored"], moved["new"]) == (RUNTIME, "deepspeed/constants.py")
    how = {(u["path"], u["line"]): u["how"] for d in data["drifted"] for u in d["uses"]}
    assert how[("app/train.py", 2)] == "import" and how[("app/train.py", 8)] == "name"
    assert how[("app/aliased.py", 9)] == "attribute" and how[("app/star.py", 9)] == "star"
    # The vendored copies, the virtualenv and the hidden directory are not consuming code;
    # the file that does not parse is reported, not fatal.
    assert not any(p.startswith(("app/vendored/", "env/", ".hidden/"))
                   for p, _, _, _ in reported(data))
    assert len(data["skipped"]) == 1 and data["skipped"][0].startswith("app/broken.py:")
    # Refused, in one line with its place, before libcst is handed it (dssync._extract.guard,
    # run by dssync._extract.parse).
    assert "app/broken.py:3:12: cannot parse it: not valid Python" in data["skipped"][0]
    assert data["files_scanned"] == 9


def test_text_report_lists_uses_under_each_constant(project, capsys):
    code, out, err = impact(["--tag", "v2.0.0"], capsys)
    assert code == 1, err
    assert out.startswith("impact of upstream v2.0.0 (git:") and "on consuming code\n" in out
    assert (
        f"\n{RUNTIME}\n"
        "    - removed CURRICULUM_LEARNING (was 'curriculum_learning')\n"
        "        app/sub/deep.py:7: return rc.CURRICULUM_LEARNING, top.TORCH_DISTRIBUTED_DEFAULT_PORT\n"
        "        app/train.py:2: from deepspeed.runtime.constants import CURRICULUM_LEARNING, "
        "TRAIN_BATCH_SIZE\n"
        "        app/train.py:7: if config.get(CURRICULUM_LEARNING):\n"
    ) in out
    assert ("    - removed CURRICULUM_ENABLED (was 'enabled')\n"
            "        app/aliased.py:10: b = constants.CURRICULUM_ENABLED\n"
            "        may use (star import): app/star.py:9: if config.get(CURRICULUM_ENABLED):\n"
            ) in out
    assert "    ~ changed TRAIN_BATCH_SIZE_DEFAULT: None -> 1\n" in out
    assert "    - renamed GRADIENT_CLIPPING_DEFAULT -> GRADIENT_CLIP_DEFAULT\n" in out
    assert "    - moved MOVED_KEY to deepspeed/constants.py\n" in out
    assert "note: MOVED_KEY" not in out  # a move is an entry of its own, not a note
    assert out.endswith("13 use(s) of 6 drifted constant(s) in 5 file(s); 0 other drifted "
                        "constant(s) unused; 9 file(s) scanned\n")


def test_no_drift_means_no_uses(project, capsys):
    code, out, err = impact(["--tag", "v1.0.0"], capsys)
    assert code == 0, err
    assert out.endswith("0 use(s) of 0 drifted constant(s) in 0 file(s); 0 other drifted "
                        "constant(s) unused; 9 file(s) scanned\n")


def test_named_paths_limit_the_scan(project, capsys):
    code, out, _ = impact(["--tag", "v2.0.0", "--format", "json", "app/train.py", "app/sub"],
                          capsys)
    data = valid("impact", out)
    assert reported(data) == {u for u in EXPECTED if u[0] in ("app/train.py", "app/sub/deep.py")}
    assert data["files_scanned"] == 3
    # A directory named on the command line is scanned even if it is called vendored; the
    # configured vendored files themselves never are.
    (project / "app" / "vendored" / "user.py").write_text(
        "from ..vendored.deepspeed.runtime.constants import CURRICULUM_ENABLED\n")
    code, out, _ = impact(["--tag", "v2.0.0", "--format", "json", "app/vendored"], capsys)
    assert reported(json.loads(out)) == {("app/vendored/user.py", 1, "CURRICULUM_ENABLED", True)}
    code, _, err = impact(["--tag", "v2.0.0", "nowhere"], capsys)
    assert code == 2 and err == "dssync: nowhere: no such file or directory; check the path\n"


def test_only_some_files_and_without_configuration(project, upstream, capsys):
    code, out, _ = impact(["--tag", "v2.0.0", "--format", "json", "--file", TOP], capsys)
    assert code == 0 and json.loads(out)["drifted"] == []  # MOVED_KEY was only added there
    (project / "dssync.toml").unlink()
    code, out, err = impact(["--tag", "v2.0.0", "--format", "json", "--file", RUNTIME,
                             "--source", f"git:{upstream.path}", "--upstream-path",
                             "deepspeed/runtime/constants.py", "app"], capsys)
    assert code == 1, err
    got = reported(json.loads(out))
    # Without the other file, MOVED_KEY is simply removed; its uses are still found.
    assert got == EXPECTED
    code, _, err = impact(["--tag", "v2.0.0", "--upstream-path", "x.py"], capsys)
    assert code == 2 and "--upstream-path goes with exactly one --file" in err
    code, _, err = impact([], capsys)
    assert code == 2 and "impact needs --tag TAG" in err


# -- the scanner on its own ------------------------------------------------------------------------

TARGETS = [ModuleTarget("rt", ("vendored.deepspeed.runtime.constants", "deepspeed.runtime.constants")),
           ModuleTarget("top", ("vendored.deepspeed.constants", "deepspeed.constants"))]
WANTED = {"rt": {"A", "B", "K.C"}, "top": {"A"}}


def uses(text: str, path: str = "pkg/mod.py") -> list[tuple]:
    return [(u.line, u.target, u.name, u.certain, u.how)
            for u in scan_source(text, path, package_of(path), TARGETS, WANTED)]


def test_scanner_cases():
    assert uses("from deepspeed.runtime.constants import A as X, B\nX\nB.attr\nq.B\n") == [
        (1, "rt", "A", True, "import"), (1, "rt", "B", True, "import"),
        (2, "rt", "A", True, "name"), (3, "rt", "B", True, "name")]
    assert uses("from deepspeed import constants as c\nc.A\nfrom deepspeed.runtime import "
                "constants\nconstants.A\n") == [(2, "top", "A", True, "attribute"),
                                                (4, "rt", "A", True, "attribute")]
    # A name bound locally is not from a star import; a name in another scope still may be.
    assert uses("from deepspeed.runtime.constants import *\nA = 1\nprint(A, B)\n"
                "def f(B):\n    return B\n") == []
    assert uses("from deepspeed.runtime.constants import *\nprint(A, K.C)\n") == [
        (2, "rt", "A", False, "star")]
    assert uses("from deepspeed.runtime.constants import K\nK.C\nK.D\n") == [
        (2, "rt", "K.C", True, "name")]
    # Functions, parameters and keyword names of the same spelling are no uses.
    assert uses("from deepspeed.runtime.constants import *\ndef A(x=1): pass\nf(A=2)\n") == []
    assert uses("import deepspeed.constants\nimport deepspeed.runtime.constants\n"
                "deepspeed.constants.A\ndeepspeed.runtime.constants.A\n") == [
        (3, "top", "A", True, "attribute"), (4, "rt", "A", True, "attribute")]
    assert uses("import os\nprint(os.A)\n") == []


def test_relative_imports_resolve_against_the_files_package():
    assert uses("from .constants import A\n", "vendored/deepspeed/runtime/user.py") == [
        (1, "rt", "A", True, "import")]
    assert uses("from ..constants import A\n", "vendored/deepspeed/runtime/user.py") == [
        (1, "top", "A", True, "import")]
    assert uses("from . import constants\nconstants.A\n", "vendored/deepspeed/__init__.py") == [
        (2, "top", "A", True, "attribute")]
    assert resolve_relative("x", 3, "a") is None
    assert resolve_relative(None, 1, "a.b") == "a.b"
    assert resolve_relative("c", 2, "a.b") == "a.c"


def test_module_matching():
    assert dotted_name("vendored/deepspeed/runtime/constants.py") == "vendored.deepspeed.runtime.constants"
    assert dotted_name("pkg/__init__.py") == "pkg"
    assert package_of("pkg/sub/__init__.py") == "pkg.sub" and package_of("pkg/m.py") == "pkg"
    rt = TARGETS[0]
    assert best_target("deepspeed.runtime.constants", TARGETS) is rt
    assert best_target("myproj.vendored.deepspeed.runtime.constants", TARGETS) is rt
    assert best_target("runtime.constants", TARGETS) is rt
    assert best_target("constants", TARGETS) is None  # too short to tell which
    assert best_target("other.constants", TARGETS) is None
    assert best_target("deepspeed.runtime", TARGETS) is None
    assert best_target("deepspeed.constants", TARGETS) is TARGETS[1]
    same = [ModuleTarget("a", ("x.runtime.constants",)), ModuleTarget("b", ("y.runtime.constants",))]
    assert best_target("runtime.constants", same) is None  # ambiguous
    assert best_target("x.runtime.constants", same) is same[0]


def test_file_discovery_skips_what_is_not_consuming_code(tmp_path):
    for rel in ("a.py", "pkg/b.py", "vendored/c.py", ".git/d.py", "venv/lib/e.py",
                "node_modules/f.py", "pkg/__pycache__/g.py", "pkg/notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_python_files([tmp_path])]
    assert found == ["a.py", "pkg/b.py"]
    found = [p.relative_to(tmp_path).as_posix() for p in iter_python_files(
        [tmp_path / "vendored", tmp_path / "a.py"], skip_dirs=(), skip_files=[tmp_path / "a.py"])]
    assert found == ["vendored/c.py", "a.py"]  # a file named explicitly is always scanned


# -- moved constants ---------------------------------------------------------------------------------


def drift(vendored: str, upstream: str, added=(), removed=(), changed=()) -> FileDrift:
    return FileDrift(vendored, upstream, added=[Added(n, v, 10, v) for n, v in added],
                     removed=[Removed(n, v, 20, v) for n, v in removed], changed=list(changed))


def test_a_class_renamed_as_a_whole_drifts_each_of_its_constants():
    report = DriftReport(files=[FileDrift("v/c.py", "c.py", renamed_classes=[
        ClassRenamed("TraceMode", "ZeRoTraceMode", 3, 3, ("RECORD", "COMPLETE"))])])
    assert [(d.name, d.kind, d.new) for d in drifted_constants(report)] == [
        ("TraceMode.RECORD", "renamed", "ZeRoTraceMode.RECORD"),
        ("TraceMode.COMPLETE", "renamed", "ZeRoTraceMode.COMPLETE")]


def test_detect_moves_pairs_a_removal_with_an_addition_elsewhere():
    report = DriftReport(files=[
        drift("v/rt.py", "ds/runtime/constants.py", removed=[("KEY", "'k'"), ("GONE", "1")]),
        drift("v/top.py", "ds/constants.py", added=[("KEY", "'k'"), ("NEW", "2")]),
    ], tag="v2", notes=["upstream read"])
    moved = detect_moves(report)
    move = Moved("KEY", "'k'", "v/rt.py", "ds/runtime/constants.py", "v/top.py", "ds/constants.py",
                 20, 10)
    assert moved.moved == [move]
    # Its own entry in both files' sections, not a removal and an addition, nor a note.
    assert moved.files[0].moved == moved.files[1].moved == [move]
    assert [move.direction(f.vendored) for f in moved.files] == ["out", "in"]
    assert [r.name for r in moved.files[0].removed] == ["GONE"]
    assert [a.name for a in moved.files[1].added] == ["NEW"]
    assert moved.notes == ["upstream read"]
    assert moved.summary()["moved"] == 1 and moved.summary()["removed"] == 1
    assert [f.counts()["moved"] for f in moved.files] == [1, 1]
    assert moved.tag == "v2"
    # The input report is left as it was.
    assert [r.name for r in report.files[0].removed] == ["KEY", "GONE"]
    assert detect_moves(moved).moved == moved.moved  # idempotent


def test_detect_moves_leaves_uncertain_cases_alone():
    cases = [
        # a different value
        [drift("a", "A", removed=[("K", "1")]), drift("b", "B", added=[("K", "2")])],
        # the same file (that is a plain change, reported elsewhere)
        [drift("a", "A", removed=[("K", "1")], added=[("K", "1")])],
        # ambiguous: added to two files
        [drift("a", "A", removed=[("K", "1")]), drift("b", "B", added=[("K", "1")]),
         drift("c", "C", added=[("K", "1")])],
    ]
    for files in cases:
        result = detect_moves(DriftReport(files=files))
        assert result.moved == []
        assert [len(f.removed) + len(f.added) for f in result.files] == \
               [len(f.removed) + len(f.added) for f in files]


def test_a_move_alone_is_still_drift():
    report = DriftReport(files=[drift("a", "A", removed=[("K", "1")]),
                                drift("b", "B", added=[("K", "1")])])
    moved = detect_moves(report)
    # Both files drifted: one lost the constant, the other gained it (was: "no drift" each,
    # every count 0, yet exit status 1).
    assert all(f.has_drift for f in moved.files) and moved.has_drift
    assert moved.summary() == {"files": 2, "files_with_drift": 2, "added": 0, "removed": 0,
                               "changed": 0, "renamed": 0, "renamed_classes": 0, "pinned": 0,
                               "moved": 1}
    unchanged = detect_moves(DriftReport(files=[drift("a", "A", changed=[
        Changed("X", "value", "1", "2", 1, 1)])]))
    assert unchanged.has_drift and unchanged.moved == []
