"""ReleaseLayout.find: a configured upstream path followed across the ``src/`` layout move."""

from __future__ import annotations

import pytest

from dssync._source.layout import ReleaseLayout, layout_candidates

FLAT = ["setup.py", "requests/__init__.py", "requests/__version__.py", "requests/api.py",
        "tests/test_requests.py"]
SRC = ["setup.py", "src/requests/__init__.py", "src/requests/__version__.py",
       "src/requests/api.py", "tests/test_requests.py"]


@pytest.mark.parametrize(("paths", "asked", "found"), [
    (FLAT, "requests/api.py", "requests/api.py"),           # present as configured
    (SRC, "requests/api.py", "src/requests/api.py"),        # moved under src/
    (FLAT, "src/requests/api.py", "requests/api.py"),       # moved back out of src/
    (SRC, "src/requests/api.py", "src/requests/api.py"),
    (SRC, "requests", "src/requests"),                      # a tree's directory follows too
    (FLAT, "src/requests/", "requests"),
    (SRC, "requests/sessions.py", None),                    # in neither layout
    (FLAT, "urllib3/_version.py", None),
    (SRC, "setup.py", "setup.py"),                          # files outside the package stay
    (SRC, "", ""),                                          # the root is always there
])
def test_follows_the_src_move(paths: list[str], asked: str, found: str | None) -> None:
    assert ReleaseLayout(paths).find(asked) == found


def test_the_path_as_asked_wins_when_both_layouts_hold_it() -> None:
    both = FLAT + SRC
    assert ReleaseLayout(both).find("requests/api.py") == "requests/api.py"
    assert ReleaseLayout(both).find("src/requests/api.py") == "src/requests/api.py"


def test_a_file_is_not_mistaken_for_a_directory_of_the_same_prefix() -> None:
    # "requests" is no directory of a release holding only "requests.py"
    assert ReleaseLayout(["src/requests.py"]).find("requests") is None
    assert ReleaseLayout(["src/requests.py"]).find("requests.py") == "src/requests.py"
    assert ReleaseLayout(["src/requestsx/a.py"]).find("requests") is None


def test_no_other_move_is_guessed() -> None:
    assert ReleaseLayout(["lib/requests/api.py"]).find("requests/api.py") is None
    assert ReleaseLayout(["src/src/requests/api.py"]).find("requests/api.py") is None


def test_candidates_and_membership() -> None:
    assert layout_candidates("/pkg/a.py") == ("pkg/a.py", "src/pkg/a.py")
    assert layout_candidates("src/pkg/a.py") == ("src/pkg/a.py", "pkg/a.py")
    layout = ReleaseLayout(SRC)
    assert "src/requests" in layout and "src" in layout and "src/requests/api.py" in layout
    assert "requests" not in layout and 3 not in layout
