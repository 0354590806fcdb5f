"""SECURITY.md names, for each promise, the tests that hold dssync to it: those tests must exist.

A citation is a backticked ``tests/FILE.py``, ``tests/FILE.py::test_name`` or a bare
``test_name``, which belongs to the file cited last before it (as the page says). A renamed or
deleted test would otherwise leave a promise backed by nothing while the page still cites it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "SECURITY.md"
_SPAN = re.compile(r"`([^`\n]+)`")
_FILE = re.compile(r"tests/[\w/]+\.py")
_NAME = re.compile(r"test_\w+")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and node.name.startswith("test_"):
            names.add(node.name)
    return names


def citations(text: str) -> list[tuple[str, str, str | None]]:
    """``(section, file, test name or None)`` for each citation, in the page's order."""
    found = []
    section = ""
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            section = line.lstrip("#").strip()
            continue
        for span in _SPAN.findall(line):
            file, _, name = span.partition("::")
            if _FILE.fullmatch(file):
                current = file
                found.append((section, file, _NAME.match(name).group() if name else None))
            elif _NAME.fullmatch(span):
                assert current is not None, f"{span} is cited before any test file"
                found.append((section, current, span))
    return found


def test_every_test_this_page_cites_exists():
    text = PAGE.read_text(encoding="utf-8")
    cited = citations(text)
    assert len(cited) > 40
    defined: dict[str, set[str]] = {}
    missing = []
    for section, file, name in cited:
        path = ROOT / file
        if not path.is_file():
            missing.append(f"{section}: {file} does not exist")
            continue
        if name is not None:
            tests = defined.setdefault(file, _tests_in(path))
            if name not in tests:
                missing.append(f"{section}: {file}::{name} does not exist")
    assert not missing, "\n".join(missing)
    promises = [line.lstrip("#").strip() for line in text.splitlines()
                if re.match(r"### \d+\. ", line)]
    assert len(promises) >= 7
    backed = {section for section, _, _ in cited}
    assert [p for p in promises if p not in backed] == [], "promises citing no test"


def test_a_citation_of_a_missing_test_is_found():
    """The checker itself: a bare name is looked up in the file named last before it."""
    page = ("### 1. A\n`tests/test_guard.py::test_strings_and_comments_do_not_count`, "
            "`test_no_such_thing`\n### 2. B\n`tests/test_nowhere.py`\n")
    cited = citations(page)
    assert cited == [("1. A", "tests/test_guard.py", "test_strings_and_comments_do_not_count"),
                     ("1. A", "tests/test_guard.py", "test_no_such_thing"),
                     ("2. B", "tests/test_nowhere.py", None)]
    assert "test_no_such_thing" not in _tests_in(ROOT / "tests" / "test_guard.py")
