"""``update`` never leaves a broken module (issue 14): names resolve, docstrings stay with their
fields, PEP 8 spacing, statements merged whole, a three-way merge against the base, an honest
exit status. Small modules written for each case; what is written is checked with pyflakes and
pycodestyle, the tools a maintainer runs."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from dssync._diff.engine import diff_tables
from dssync._extract.extract import extract_table
from dssync._extract.table_json import cached_table
from dssync._rewrite import merge
from dssync.cache import Cache
from dssync.cli import main
from lint_checks import e30_errors, undefined_names


def src(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode("utf-8")


def e30(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "e30.py"
    path.write_bytes(data)
    return e30_errors(path)


def no_drift(data: bytes, upstream: bytes) -> bool:
    return not diff_tables(extract_table(data, "after"), extract_table(upstream, "up")).has_drift


# --- names resolve ---------------------------------------------------------------------------


def test_import_is_brought_along_and_merged_into_an_existing_from_import():
    ours = src('''
        """Config."""
        import sys
        from typing import List

        TIMEOUT = 30
        NAMES: List[str] = []
        ''')
    theirs = src('''
        """Config."""
        import os
        import sys
        from typing import List, Optional

        TIMEOUT = int(os.getenv("T", default=30))
        NAMES: List[str] = []
        EXTRA: Optional[str] = None
        ''')
    result = merge(ours, theirs)
    assert result.data == src('''
        """Config."""
        import sys
        from typing import List, Optional
        import os

        TIMEOUT = int(os.getenv("T", default=30))
        NAMES: List[str] = []
        EXTRA: Optional[str] = None
        ''')
    assert result.plan.brought == ["from typing import Optional", "import os"]
    assert undefined_names(result.data) == set() and result.plan.left == []


def test_import_goes_after_the_docstring_when_the_file_has_none():
    result = merge(src('"""Doc."""\nA = 1\n'), src('"""Doc."""\nimport os\n\nA = os.sep\n'))
    assert result.data == b'"""Doc."""\n\nimport os\n\nA = os.sep\n'
    assert undefined_names(result.data) == set()


def test_an_import_goes_above_the_first_statement_that_uses_it():
    """A module that sets its version before its imports (to dodge an import cycle): the import
    a new value needs goes above that statement, not after the last import below it."""
    ours = src('''
        """Package."""
        __version__ = "1.0"

        from .core import run
        ''')
    theirs = src('''
        """Package."""
        import importlib.metadata

        __version__ = importlib.metadata.version("pkg")

        from .core import run
        ''')
    result = merge(ours, theirs)
    assert result.plan.brought == ["import importlib.metadata"]
    assert result.data == src('''
        """Package."""

        import importlib.metadata

        __version__ = importlib.metadata.version("pkg")

        from .core import run
        ''')
    assert undefined_names(result.data) == set()


def test_a_name_an_annotation_needs_is_imported_once_above_its_function():
    """A function brought along for a new constant has an annotation that needs an import; the
    module's other imports are at its end: the import goes above the function, once."""
    ours = src('''
        """Compat."""
        import sys

        LIMIT = 1

        from urllib.request import getproxies
        ''')
    theirs = src('''
        """Compat."""
        import sys
        from types import ModuleType


        def _detect() -> ModuleType | None:
            return None


        LIMIT = 2
        CHARDET = _detect()

        from urllib.request import getproxies
        ''')
    result = merge(ours, theirs)
    assert result.plan.brought == ["def _detect", "from types import ModuleType"]
    assert result.data.count(b"import ModuleType") == 1
    assert result.data.index(b"import ModuleType") < result.data.index(b"def _detect")
    assert undefined_names(result.data) == set()


def test_upstream_class_a_new_field_needs_is_brought_before_its_user(tmp_path):
    ours = src('''
        from pydantic import BaseModel


        class Zero(BaseModel):
            stage: int = 0
        ''')
    theirs = src('''
        from pydantic import BaseModel


        class Flow(BaseModel):
            def on(self) -> bool:
                return False


        class Zero(BaseModel):
            stage: int = 0
            flow: Flow = None
        ''')
    result = merge(ours, theirs)
    assert result.data == theirs
    assert result.plan.brought == ["class Flow"]
    assert e30(result.data, tmp_path) == 0


def test_all_listing_what_upstream_defines_in_code_is_left_as_it_was():
    """``__all__`` is a constant, but the names it lists are used too (pyflakes reports an
    export nothing binds): upstream's new list is taken only with what binds each name, and
    update brings an import for it, not a class or function."""
    ours = src('''
        __all__ = ["LIMIT", "read"]

        LIMIT = 1


        def read():
            return LIMIT
        ''')
    theirs = src('''
        __all__ = ["LIMIT", "read", "write"]

        LIMIT = 2


        def read():
            return LIMIT


        def write():
            return None
        ''')
    result = merge(ours, theirs)
    assert result.plan.unresolved == [
        ("__all__", "it exports write, but upstream defines it as a class or function, which "
                    "update does not bring")]
    assert result.data == ours.replace(b"LIMIT = 1", b"LIMIT = 2")
    assert undefined_names(result.data) == set()


def test_all_listing_an_imported_name_brings_the_import():
    ours = src('''
        __all__ = ["LIMIT"]

        LIMIT = 1
        ''')
    theirs = src('''
        from os import sep

        __all__ = ["LIMIT", "sep"]

        LIMIT = 2
        ''')
    result = merge(ours, theirs)
    assert result.plan.brought == ["from os import sep"]
    assert b'__all__ = ["LIMIT", "sep"]' in result.data and b"LIMIT = 2" in result.data
    assert undefined_names(result.data) == set()


def test_a_removed_constant_upstream_binds_in_code_is_kept_while_exported():
    """Upstream binds the name in a loop (code, which update does not bring) and lists it in
    ``__all__`` as before: removing the vendored assignment would leave the export unbound."""
    ours = src('''
        import typing

        __all__ = ["Seq", "LIMIT"]

        LIMIT = 1
        Seq = typing.Sequence
        ''')
    theirs = src('''
        import typing

        __all__ = ["Seq", "LIMIT"]

        LIMIT = 2
        for _name in ("Seq",):
            globals()[_name] = typing.Sequence
        ''')
    result = merge(ours, theirs)
    assert result.data == ours.replace(b"LIMIT = 1", b"LIMIT = 2")
    assert result.plan.unresolved == [
        ("Seq", "upstream removed it, but this file still uses it outside its constants")]
    assert undefined_names(result.data) == set()


def test_a_forward_reference_is_a_use_of_the_name_it_quotes():
    # pip's vendored urllib3: typing.Union["_TYPE_PEER_CERT_RET_DICT", ...], the name bound
    # only under TYPE_CHECKING upstream. pyflakes reports the quoted name when nothing binds it.
    ours = src('''
        import typing

        LIMIT = 1
        ''')
    theirs = src('''
        import typing

        if typing.TYPE_CHECKING:
            from typing import TypedDict

            class _CertDict(TypedDict, total=False):
                subject: str

        LIMIT = 2
        _CERT = typing.Union["_CertDict", bytes, None]
        ''')
    result = merge(ours, theirs)
    assert result.plan.unresolved == [
        ("_CERT", "it needs _CertDict, but upstream binds it only inside an if/try block")]
    assert result.data == ours.replace(b"LIMIT = 1", b"LIMIT = 2")
    assert undefined_names(result.data) == set()


def test_a_constant_upstream_adds_under_a_name_this_file_imports_is_left_as_it_is():
    # pip's vendored requests/compat.py imports chardet from pip._vendor; upstream assigns it.
    ours = src('''
        from pip._vendor import chardet

        LIMIT = 1
        ''')
    theirs = src('''
        LIMIT = 2


        def _resolve_char_detection():
            return None


        chardet = _resolve_char_detection()
        ''')
    result = merge(ours, theirs)
    assert result.data == ours.replace(b"LIMIT = 1", b"LIMIT = 2")
    assert result.plan.manual == [
        ("chardet", "this file binds it with 'from pip._vendor import chardet'; upstream assigns "
                    "it (kept as it is here)")]
    assert undefined_names(result.data) == set()


def test_an_absolute_import_of_a_project_this_file_imports_from_elsewhere_is_not_brought():
    # pip rewrote requests' imports to pip._vendor; upstream's absolute one would import
    # another urllib3 (or none).
    ours = src('''
        from pip._vendor import urllib3

        LIMIT = 1
        ''')
    theirs = src('''
        import urllib3
        from urllib3 import __version__ as urllib3_version

        LIMIT = 2
        VERSION = urllib3_version
        ''')
    result = merge(ours, theirs)
    assert result.data == ours.replace(b"LIMIT = 1", b"LIMIT = 2")
    assert result.plan.unresolved == [
        ("VERSION", "it needs urllib3_version, but upstream imports it absolutely (from urllib3 "
                    "import __version__ as urllib3_version), where this file imports that "
                    "project from pip._vendor: adapt the import")]
    assert undefined_names(result.data) == set()
    # Without the rewrite, the import is brought as before.
    plain = merge(ours.replace(b"from pip._vendor import urllib3", b"import urllib3"), theirs)
    assert plain.plan.brought == ["from urllib3 import __version__ as urllib3_version"]


def test_the_reason_names_the_one_alias_of_a_long_import_on_one_line():
    ours = src('''
        from .__about__ import (
            __author__,
            __version__,
        )

        LIMIT = 1
        ''')
    theirs = src('''
        LIMIT = 2
        __version__ = "2.0"
        ''')
    result = merge(ours, theirs)
    assert result.plan.manual == [
        ("__version__", "this file binds it with 'from .__about__ import __version__'; upstream "
                        "assigns it (kept as it is here)")]


def test_a_class_whose_annotations_read_a_later_name_is_not_brought_without_postponing():
    # pip's vendored rich/syntax.py: upstream's class PaddingProperty, annotated with Syntax
    # (defined below it), in a file without 'from __future__ import annotations'.
    ours = src('''
        LIMIT = 1


        class Late:
            pass
        ''')
    theirs = src('''
        from __future__ import annotations


        class Desc:
            def __get__(self, obj: Late, kind: type) -> int:
                return 1


        LIMIT = 2
        DESC = Desc()


        class Late:
            pass
        ''')
    result = merge(ours, theirs)
    assert result.plan.unresolved == [
        ("DESC", "it needs Desc, but its annotations read Late, bound only below where it would "
                 "go (this file does not postpone annotations with 'from __future__ import "
                 "annotations')")]
    assert result.data == ours.replace(b"LIMIT = 1", b"LIMIT = 2")
    assert undefined_names(result.data) == set()
    # Where the file postpones annotations, the class comes along.
    postponed = b"from __future__ import annotations\n\n" + ours
    result = merge(postponed, theirs)
    assert result.plan.brought == ["class Desc"] and undefined_names(result.data) == set()


def test_a_quoted_annotation_brings_the_import_of_the_name_it_quotes():
    ours = src('''
        import typing

        LIMIT = 1
        ''')
    theirs = src('''
        import typing
        from decimal import Decimal

        LIMIT = 2
        RATE: "Decimal" = 0
        BOUND = typing.Optional["Decimal"]
        KIND: typing.Literal["fast"] = "fast"
        ''')
    result = merge(ours, theirs)
    assert result.plan.brought == ["from decimal import Decimal"]
    assert b'RATE: "Decimal" = 0' in result.data and b'KIND: typing.Literal["fast"]' in result.data
    assert undefined_names(result.data) == set() and result.plan.unresolved == []


def test_a_constant_whose_name_nothing_binds_is_left_out_and_exit_1(tmp_path, capsys,
                                                                        monkeypatch):
    ours = src("A = 1\n")
    theirs = src('''
        try:
            from fast import speed
        except ImportError:
            from slow import speed
        A = 2
        B = speed()
        C = 3
        ''')
    result = merge(ours, theirs)
    assert result.plan.unresolved == [
        ("B", "it needs speed, but upstream binds it only inside an if/try block")]
    assert result.data == b"A = 2\nC = 3\n"
    assert undefined_names(result.data) == set()
    # On the command line: written, listed on stdout with the reason, exit 1.
    (tmp_path / "v.py").write_bytes(ours)
    (tmp_path / "u.py").write_bytes(theirs)
    monkeypatch.chdir(tmp_path)
    code = main(["update", "v.py", "u.py", "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 1, err
    assert "v.py: left out: B (it needs speed, but upstream binds it only inside an if/try " \
           "block)\n" in out
    assert (tmp_path / "v.py").read_bytes() == b"A = 2\nC = 3\n"


def test_names_undefined_on_both_sides_are_not_ours_to_fix():
    ours = src("A = helper()\nB = 1\n")
    theirs = src("A = helper()\nB = 2\n")
    result = merge(ours, theirs)
    assert result.data == b"A = helper()\nB = 2\n" and result.plan.left == []


# --- layout ----------------------------------------------------------------------------------


DOC_OURS = src('''
    class Config:
        stage: int = 0
        """
        Which stage.
        """

        overlap: bool = False
        """Overlap communication."""
    ''')
DOC_THEIRS = src('''
    class Config:
        stage: int = 0
        """
        Which stage.
        """

        linear: bool = True
        """Use the memory efficient linear layer."""

        overlap: bool = True
        """Overlap communication with computation."""
    ''')


def test_attribute_docstrings_travel_with_their_fields(tmp_path):
    result = merge(DOC_OURS, DOC_THEIRS)
    # The new field comes after its anchor's docstring, with its own; the changed field's
    # docstring is upstream's.
    assert result.data == DOC_THEIRS
    assert e30(result.data, tmp_path) == 0


def test_a_docstring_edited_here_stays_in_a_three_way_merge():
    ours = DOC_OURS.replace(b"Overlap communication.", b"Overlap (we rely on it).")
    result = merge(ours, DOC_THEIRS, base=DOC_OURS)
    assert b'"""Overlap (we rely on it)."""' in result.data
    assert b'"""Use the memory efficient linear layer."""' in result.data


def test_a_docstring_edited_here_stays_when_the_base_is_read_from_the_cache(tmp_path):
    # With the base's table cached, the base is parsed only because a class's fields need it.
    cache = Cache(tmp_path / "cache")
    merge(DOC_OURS, DOC_OURS, cache=cache)  # caches the base's table
    assert cached_table(DOC_OURS, "base", cache) is not None
    ours = DOC_OURS.replace(b"Overlap communication.", b"Overlap (we rely on it).")
    result = merge(ours, DOC_THEIRS, base=DOC_OURS, cache=cache)
    assert b'"""Overlap (we rely on it)."""' in result.data
    assert b'"""Use the memory efficient linear layer."""' in result.data


def test_pep8_blank_lines_around_inserted_classes_and_functions(tmp_path):
    ours = src('''
        A = 1


        class K:
            X = 1

            def f(self):
                return 1
        ''')
    theirs = src('''
        A = 1
        class New:
            Y = 2
        B = 2
        class K:
            X = 1
            Z = 3
            def f(self):
                return 1
        ''')
    result = merge(ours, theirs)
    assert e30(ours, tmp_path) == 0
    assert e30(result.data, tmp_path) == 0
    text = result.data.decode()
    # The class attribute without an anchor after it goes with the attributes, not the methods.
    assert "    X = 1\n    Z = 3\n\n    def f(self):" in text
    assert no_drift(result.data, theirs)


# --- statements, not only assignments --------------------------------------------------------


def test_if_else_block_with_an_unconditional_binding_is_merged(tmp_path):
    ours = src('''
        from accel import get_accelerator

        TYPE = "type"
        ''')
    theirs = src('''
        from accel import get_accelerator

        TYPE = "type"

        if get_accelerator().name == "cuda":
            TYPE_DEFAULT = None
        else:
            TYPE_DEFAULT = "fp32"

        TYPE_DEFAULT = "fp32"
        ''')
    result = merge(ours, theirs)
    assert result.data == theirs and result.plan.left == []


def test_augmented_assignment_is_merged_when_ours_is_the_base():
    ours = src("FLAGS = ['a']\nFLAGS += ['b']\n")
    theirs = src("FLAGS = ['a']\nFLAGS += ['c']\n")
    result = merge(ours, theirs, base=ours)
    assert result.data == theirs and result.plan.left == []


# --- three-way -------------------------------------------------------------------------------

BASE = src("A = 1\nB = 1\nC = 1\nD = 1\n")


def test_three_way_keeps_local_takes_upstream_and_lists_conflicts():
    ours = src("A = 5\nB = 1\nC = 7\nD = 1\nLOCAL = 1\n")
    theirs = src("A = 1\nB = 2\nC = 8\nNEW = 3\n")
    result = merge(ours, theirs, base=BASE)
    # A: local only; B: upstream only; C: both (conflict, ours kept); D: removed upstream;
    # LOCAL: added here; NEW: added upstream.
    assert result.data == b"A = 5\nB = 2\nC = 7\nNEW = 3\nLOCAL = 1\n"
    assert result.plan.local == ["A", "LOCAL"]
    assert result.plan.conflicts == [("C", "changed here and upstream, differently")]
    assert result.plan.left == [("C", "changed here and upstream, differently")]
    theirs_wins = merge(ours, theirs, base=BASE, theirs=True)
    assert theirs_wins.data == b"A = 5\nB = 2\nC = 8\nNEW = 3\nLOCAL = 1\n"
    assert theirs_wins.plan.left == []


def test_three_way_removal_and_edit_conflict():
    result = merge(src("A = 9\nB = 1\n"), src("B = 1\n"), base=src("A = 1\nB = 1\n"))
    assert result.plan.conflicts == [("A", "changed here, removed upstream")]
    assert result.data == b"A = 9\nB = 1\n"
    # Removed here, unchanged upstream: stays removed.
    result = merge(src("B = 1\n"), src("A = 1\nB = 1\n"), base=src("A = 1\nB = 1\n"))
    assert result.plan.local == ["A"] and not result.changed


# --- two local files -------------------------------------------------------------------------


def test_two_file_mode_writes_outside_the_project_and_dry_run_headers(tmp_path, capsys,
                                                                      monkeypatch):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.dssync]
        sources = ["pypi:deepspeed"]

        [[tool.dssync.files]]
        vendored = "v/constants.py"
        upstream = "deepspeed/constants.py"
        """))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.py").write_bytes(b"A = 1\n")
    (elsewhere / "b.py").write_bytes(b"A = 2\n")
    monkeypatch.chdir(project)
    a, b = str(elsewhere / "a.py"), str(elsewhere / "b.py")
    code = main(["update", a, b, "--dry-run", "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 1, err
    header = f"--- a/{a.lstrip(os.sep).replace(os.sep, '/')}\n"
    assert out.startswith(header) and "a//" not in out
    code = main(["update", a, b, "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert (elsewhere / "a.py").read_bytes() == b"A = 2\n"


# --- LICENSE -----------------------------------------------------------------------------------


def test_update_refreshes_the_vendored_license(tmp_path, capsys, monkeypatch):
    from gitrepo import make_repo

    make_repo(tmp_path / "up", [("v1", {"pkg/c.py": b"A = 1\n", "LICENSE": b"MIT 2022\n"}),
                                ("v2", {"pkg/c.py": b"A = 2\n", "LICENSE": b"MIT 2023\n"}),
                                ("v3", {"pkg/c.py": b"A = 3\n", "LICENSE": b"Apache 2.0\n"})])
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [tool.dssync]
        sources = ["git:{(tmp_path / 'up').as_posix()}"]
        lock = "dssync.lock"
        license = {{ upstream = "LICENSE", vendored = "vendor/LICENSE" }}

        [[tool.dssync.files]]
        vendored = "vendor/c.py"
        upstream = "pkg/c.py"
        """))
    monkeypatch.chdir(root)
    monkeypatch.setenv("DSSYNC_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["vendor", "--tag", "v1"]) == 0
    capsys.readouterr()
    assert main(["update", "--tag", "v2"]) == 0
    out, _ = capsys.readouterr()
    assert "updated: vendor/LICENSE (upstream's copy)" in out
    assert (root / "vendor" / "LICENSE").read_bytes() == b"MIT 2023\n"
    lock = {e["vendored"]: e for e in json.loads((root / "dssync.lock").read_text())["files"]}
    assert lock["vendor/LICENSE"]["tag"] == "v2"
    # A copy edited here stays, listed; --force replaces it.
    (root / "vendor" / "LICENSE").write_bytes(b"MIT 2023, with our notice\n")
    assert main(["update", "--tag", "v3"]) == 1
    out, _ = capsys.readouterr()
    assert "vendor/LICENSE: left for you to merge: LICENSE (edited here since the lock" in out
    assert (root / "vendor" / "LICENSE").read_bytes() == b"MIT 2023, with our notice\n"
    assert main(["update", "--tag", "v3", "--force"]) == 0
    assert (root / "vendor" / "LICENSE").read_bytes() == b"Apache 2.0\n"


def test_a_removal_that_code_still_reads_is_left_out():
    ours = src('''
        A = 1
        B = 2


        def helper():
            return A
        ''')
    theirs = src('''
        B = 3


        def helper():
            return 1
        ''')
    result = merge(ours, theirs)
    assert result.plan.unresolved == [
        ("A", "upstream removed it, but this file still uses it outside its constants")]
    assert result.plan.changed == ["B"] and undefined_names(result.data) == set()
    assert b"A = 1\nB = 3\n" in result.data
