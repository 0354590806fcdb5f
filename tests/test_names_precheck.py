"""The plain reading that lets a merge skip scope analysis must never say "resolved" wrongly."""

from __future__ import annotations

import libcst as cst
import pytest

from dssync._rewrite.names import surely_resolved


def _module(text: str) -> cst.Module:
    return cst.parse_module(text)


@pytest.mark.parametrize("text, expected", [
    ("BAR = 1\n", True),                      # the removed name is gone everywhere
    ("BAR = FOO + 1\n", False),               # still read as a name
    ("def f():\n    return FOO\n", False),    # still read inside a function
    ("BAR = 'FOO'\n", True),                  # only inside a string
    ("BAR = 1  # FOO was here\n", True),      # only inside a comment
    ("FOOD = 1\n", True),                     # a longer name holding it as text
    ("x = FOOD + FOO\n", False),
])
def test_a_removed_name_still_written_as_a_name_needs_the_full_analysis(text: str,
                                                                        expected: bool) -> None:
    assert surely_resolved(_module(text), [], ["FOO"]) is expected


def test_a_removed_class_member_is_judged_by_its_last_name() -> None:
    assert surely_resolved(_module("y = Config.LIMIT\n"), [], ["Config.LIMIT"]) is False
    assert surely_resolved(_module("y = 1\n"), [], ["Config.LIMIT"]) is True


def test_a_new_node_reading_an_unbound_name_needs_the_full_analysis() -> None:
    new = cst.parse_expression("UNKNOWN + 1")
    assert surely_resolved(_module("A = 1\n"), [new], []) is False
    assert surely_resolved(_module("A = 1\n"), [cst.parse_expression("A + len('x')")], []) is True


def test_the_names_a_side_leaves_unbound_are_kept_for_the_next_run(tmp_path) -> None:
    import hashlib

    from dssync._rewrite import merge
    from dssync._rewrite.names import UNBOUND_NAMESPACE, _analysis_versions
    from dssync.cache import Cache

    cache = Cache(tmp_path / "cache")
    vendored, upstream = b"A = 1\n", b"A = 1\nB = foo\n"
    # Upstream leaves foo unbound itself, so its new constant may too.
    first = merge(vendored, upstream, cache=cache)
    assert first.data == upstream and first.plan.unresolved == []
    key = f"{_analysis_versions()}/{hashlib.sha256(upstream).hexdigest()}"
    assert cache.read_json(UNBOUND_NAMESPACE, key) == ["foo"]
    # The next run takes the kept answer instead of analysing upstream again: one saying
    # upstream binds everything it uses makes foo a name the merge must not leave unbound.
    cache.write_json(UNBOUND_NAMESPACE, key, [])
    second = merge(vendored, upstream, cache=cache)
    assert second.data == vendored and [n for n, _ in second.plan.unresolved] == ["B"]
    # An entry that is not a list of names is a miss: analysed again, and kept right.
    cache.write_json(UNBOUND_NAMESPACE, key, {"foo": 1})
    assert merge(vendored, upstream, cache=cache).data == upstream
    assert cache.read_json(UNBOUND_NAMESPACE, key) == ["foo"]
