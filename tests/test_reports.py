"""The committed example reports in ``reports/``: valid, complete, and not stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

try:
    import regenerate_reports as regen
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests import regenerate_reports as regen

SCHEMA = json.loads((regen.ROOT / "tool" / "dssync" / "schema" / "drift.schema.json")
                    .read_text(encoding="utf-8"))


def test_the_committed_example_is_a_complete_set_whose_json_validates():
    for suffix in regen.SUFFIXES:
        assert (regen.REPORTS / f"drift-{regen.TAG}{suffix}").is_file()
    data = json.loads((regen.REPORTS / f"drift-{regen.TAG}.json").read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in Draft202012Validator(SCHEMA).iter_errors(data)]
    assert errors == [], "reports/ is stale: run python -m tests.regenerate_reports"
    assert data["tag"] == regen.TAG
    sarif = json.loads((regen.REPORTS / f"drift-{regen.TAG}.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["properties"]["summary"] == data["summary"]


def test_the_stale_check_names_a_file_that_differs(tmp_path, monkeypatch):
    """``--check`` compares byte for byte: a report with one byte changed is stale."""
    committed = regen.REPORTS
    copy = tmp_path / "reports"
    copy.mkdir()
    for suffix in regen.SUFFIXES:
        name = f"drift-{regen.TAG}{suffix}"
        copy.joinpath(name).write_bytes((regen.REPORTS / name).read_bytes())
    copy.joinpath(f"drift-{regen.TAG}.md").write_bytes(b"# edited by hand\n")

    def fake_write(directory: Path, **_) -> list[Path]:  # upstream stands still: the committed set
        out = []
        for suffix in regen.SUFFIXES:
            name = f"drift-{regen.TAG}{suffix}"
            (directory / name).write_bytes((committed / name).read_bytes())
            out.append(directory / name)
        return out

    monkeypatch.setattr(regen, "REPORTS", copy)
    monkeypatch.setattr(regen, "write_reports", fake_write)
    assert regen.stale_reports() == [f"drift-{regen.TAG}.md"]


@pytest.mark.network
def test_the_committed_example_reports_are_current(tmp_path):
    """Made again from upstream, the four files are byte for byte the committed ones."""
    try:
        stale = regen.stale_reports(cache_dir=tmp_path / "cache")
    except regen.Unreachable as exc:
        if "could not answer" in str(exc) or "cannot be reached" in str(exc) or "offline" in str(exc):
            pytest.skip(f"the package index cannot be reached: {exc}")
        raise
    assert stale == [], f"stale: {stale}; run python -m tests.regenerate_reports"
