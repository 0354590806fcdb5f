"""The report as SARIF 2.1.0, for code scanning: one result per drifted constant.

Rule ids are part of the interface (code scanning keys alerts on them): never renumber, only add.
Each result points at the vendored file, relative to the project root, and carries a fingerprint
built from what stays put between runs (rule, file, constant name), not from line numbers.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass, replace
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from dssync._report.json_format import file_source
from dssync._report.values import (
    changed_line, class_constants, comment_line, display, gone_head, is_text_change, placement_phrase,
    renamed_value, report_links, upstream_line_url, upstream_path_url,
)
from dssync.models import UNRESOLVED, Changed, DriftReport, FileDrift

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "dssyncFinding/v1"


@dataclass(frozen=True)
class Rule:
    """One SARIF rule: a kind of drift and how it is reported."""

    id: str
    kind: str
    name: str
    title: str
    description: str
    level: str


RULES = (
    Rule("DSS001", "added", "ConstantAddedUpstream", "Constant added upstream",
         "Upstream defines a constant that the vendored copy does not have.", "warning"),
    Rule("DSS002", "removed", "ConstantRemovedUpstream", "Constant removed upstream",
         "The vendored copy defines a constant that upstream no longer has.", "warning"),
    Rule("DSS003", "changed-value", "ConstantValueChanged", "Constant value changed upstream",
         "The constant's value expression differs between the vendored copy and upstream.", "warning"),
    Rule("DSS004", "changed-reference", "ConstantReferenceChanged", "Referenced constant changed upstream",
         "The constant is written the same, but a constant it refers to changed, so its value differs.",
         "warning"),
    Rule("DSS005", "renamed", "ConstantRenamedUpstream", "Constant renamed upstream",
         "Upstream renamed the constant; the vendored copy still uses the old name.", "warning"),
    Rule("DSS006", "pin-obsolete", "PinNoLongerNeeded", "Pinned constant now equals upstream",
         "A constant pinned to a local value now has the same value upstream; the pin could go.", "note"),
    Rule("DSS007", "class-renamed", "ClassRenamedUpstream", "Class renamed upstream",
         "Upstream renamed a class holding constants, its body otherwise the same; the vendored "
         "copy still uses the old name.", "warning"),
    Rule("DSS008", "moved", "ConstantMovedUpstream", "Constant moved upstream",
         "Upstream moved the constant, with the same value, to another of the configured files; "
         "the vendored copy still defines it in the old one.", "warning"),
    Rule("DSS009", "file-appeared", "FileAddedUpstream", "File added upstream",
         "Upstream has a new file under a vendored directory mapped as a tree; the project has no "
         "copy of it yet ('dssync update' writes it).", "warning"),
)
RULE_BY_KIND = {rule.kind: rule for rule in RULES}
# Most consequential first: the GitHub format shows only the first few.
_KIND_ORDER = {kind: i for i, kind in enumerate(
    ("changed-value", "changed-reference", "removed", "renamed", "class-renamed", "moved",
     "file-appeared", "added", "pin-obsolete"))}

# An added constant has no line in the vendored file: its finding points at the line that
# 'dssync update' would insert it by (the diff works that out with the rewriter's own rule),
# or, for a report built without that, at line 1.
ADDED_LINE = 1
DETAIL_LIMIT = 12
"""Lines of a change's details shown in a message; the Markdown and JSON reports have all."""


@dataclass(frozen=True)
class Finding:
    """One drifted constant, located in the vendored file."""

    rule: Rule
    file: str
    line: int
    name: str
    """The constant (for a rename: ``OLD -> NEW``); with rule and file, the finding's identity."""
    message: str
    properties: dict[str, Any]
    upstream: str | None = None
    """The configured upstream, in a report of several (``properties`` name it too)."""


def _shown(value: str) -> str:
    # A message is the one place a reviewer reads: the text itself, not '<text, 2 lines>'.
    return display(value, summarize_text=False)


def _upstream_at(f: FileDrift, tag: str | None, line: int | None = None) -> str:
    where = f"{f.upstream} line {line}" if line else f.upstream
    if f.gone is not None:
        where = f"{f.upstream}: the file is {gone_head(f.gone)}"
    return f"upstream {tag} ({where})" if tag else f"upstream ({where})"


def _resolved(value: Any) -> str:
    return "an unknown value" if value is UNRESOLVED else _shown(repr(value))


def _details(c: Changed) -> str:
    lines = list(c.details or ())
    if len(lines) > DETAIL_LIMIT:
        lines = lines[:DETAIL_LIMIT] + [f"... ({len(lines) - DETAIL_LIMIT} more in the full report)"]
    return "".join(f"\n{line}" for line in lines)


def _changed_message(c: Changed, where: str) -> str:
    """The headline (with the constant's comment) and, below it, the lines that differ."""
    if c.kind == "reference":
        return _documented(f"{c.name} = {_shown(c.old_shown)} is written the same as in {where}, but a "
                           f"constant it refers to changed: it is {_resolved(c.old_resolved)} here and "
                           f"{_resolved(c.new_resolved)} upstream", c.comment) + _details(c)
    if is_text_change(c) and c.details:
        # A multi-line text shown as '<text, 12 lines>' says nothing: show the lines that differ.
        return f"{_documented(c.name, c.comment)} differs from {where} in these lines:{_details(c)}"
    return _documented(f"{c.name} is {_shown(c.old_shown)} here but {_shown(c.new_shown)} in {where}",
                       c.comment) + _details(c)


def _documented(message: str, comment: str) -> str:
    """A finding's message (or name) followed by what the constant's comment says it is."""
    return f"{message} ({comment_line(comment)})" if comment else message


def _with_comment(properties: dict[str, Any], comment: str) -> dict[str, Any]:
    if comment:
        properties["comment"] = comment
    return properties


def file_findings(f: FileDrift, tag: str | None, report: DriftReport | None = None) -> list[Finding]:
    def link(line: int) -> dict[str, str]:
        url = upstream_line_url(report, f, line) if report is not None else None
        return {"upstreamUrl": url} if url else {}

    if f.appeared:
        # No vendored copy to point into: one finding for the file, not one per constant.
        names = [a.name for a in f.added]
        msg = (f"{f.upstream} is new upstream at {tag}, under a vendored tree, with "
               f"{len(names)} constant{'s' if len(names) != 1 else ''}"
               f"{': ' + ', '.join(names[:DETAIL_LIMIT]) if names else ''}"
               f"{', ...' if len(names) > DETAIL_LIMIT else ''}; 'dssync update' writes it to "
               f"{f.vendored}")
        return [Finding(RULE_BY_KIND["file-appeared"], f.vendored, 1, f.upstream, msg,
                        {"upstreamPath": f.upstream, "constants": names, **link(1)})]
    out: list[Finding] = []
    for c in f.changed:
        rule = RULE_BY_KIND["changed-reference" if c.kind == "reference" else "changed-value"]
        msg = _changed_message(c, _upstream_at(f, tag, c.new_line))
        out.append(Finding(rule, f.vendored, max(changed_line(c), 1), c.name, msg,
                           _with_comment({"constant": c.name, "vendored": c.old, "upstream": c.new,
                                          "upstreamLine": c.new_line, **link(c.new_line)},
                                         c.comment)))
    for r in f.removed:
        msg = f"{r.name} = {_shown(r.shown)} is defined here but no longer in {_upstream_at(f, tag)}"
        out.append(Finding(RULE_BY_KIND["removed"], f.vendored, max(r.line, 1), r.name,
                           _documented(msg, r.comment),
                           _with_comment({"constant": r.name, "vendored": r.value}, r.comment)))
    for rn in f.renamed:
        msg = (f"{rn.old_name} was renamed to {rn.new_name} in {_upstream_at(f, tag, rn.new_line)} "
               f"with the same value, {renamed_value(rn, summarize_text=False)}")
        out.append(Finding(RULE_BY_KIND["renamed"], f.vendored, max(rn.old_line, 1),
                           f"{rn.old_name} -> {rn.new_name}", msg,
                           {"constant": rn.old_name, "upstreamName": rn.new_name,
                            "upstreamLine": rn.new_line, "similarity": rn.similarity,
                            **link(rn.new_line)}))
    for k in f.renamed_classes:
        msg = (f"class {k.old_name} was renamed to {k.new_name} in {_upstream_at(f, tag, k.new_line)}, "
               f"its body otherwise the same ({class_constants(k)})")
        out.append(Finding(RULE_BY_KIND["class-renamed"], f.vendored, max(k.old_line, 1),
                           f"{k.old_name} -> {k.new_name}", msg,
                           {"class": k.old_name, "upstreamName": k.new_name,
                            "upstreamLine": k.new_line, "constants": list(k.constants),
                            **link(k.new_line)}))
    for m in f.moved:
        if m.direction(f.vendored) != "out":
            continue  # one finding per move, at the constant in the file it left
        msg = _documented(f"{m.name} = {_shown(m.shown)} is defined here, but {_upstream_at(f, tag)} "
                          f"moved it to {m.to_upstream} line {m.new_line} (vendored as "
                          f"{m.to_vendored}) with the same value", m.comment)
        if m.placement is not None:
            msg += f"; 'dssync update' puts it in {m.to_vendored} {placement_phrase(m.placement)}"
        url = upstream_path_url(report, m.to_upstream, m.new_line) if report is not None else None
        out.append(Finding(RULE_BY_KIND["moved"], f.vendored, max(m.old_line, 1), m.name, msg,
                           _with_comment({"constant": m.name, "vendored": m.value,
                                          "upstreamFile": m.to_upstream, "upstreamLine": m.new_line,
                                          "movedTo": m.to_vendored,
                                          **({"upstreamUrl": url} if url else {})}, m.comment)))
    for a in f.added:
        msg = _documented(f"{a.name} = {_shown(a.shown)} was added in {_upstream_at(f, tag, a.line)}; "
                          "the vendored copy does not define it", a.comment)
        where: dict[str, Any] = {}
        if a.placement is not None:
            msg += f"; 'dssync update' puts it {placement_phrase(a.placement)}"
            where = {"insertLine": a.placement.line, "insertRelation": a.placement.relation}
        line = a.placement.line if a.placement is not None else ADDED_LINE
        out.append(Finding(RULE_BY_KIND["added"], f.vendored, max(line, 1), a.name, msg,
                           _with_comment({"constant": a.name, "upstream": a.value, "upstreamLine": a.line,
                                          **where, **link(a.line)}, a.comment)))
    for p in f.pinned:
        if p.drifted:
            continue
        msg = (f"{p.name} is pinned ({p.reason}) but now equals {_upstream_at(f, tag)}; "
               "the pin could go")
        out.append(Finding(RULE_BY_KIND["pin-obsolete"], f.vendored, max(p.line, 1), p.name, msg,
                           {"constant": p.name, "reason": p.reason}))
    return out


def findings(report: DriftReport) -> list[Finding]:
    """Every finding, most consequential kind first, then in file order and line order (the
    upstreams of a grouped report in the configured order); in a report of several upstreams
    each names its upstream."""
    indexed: list[tuple[int, Finding]] = []
    grouped = [(group, f) for group in report.groups or [report] for f in group.files]
    for i, (group, f) in enumerate(grouped):
        for x in file_findings(f, group.tag, group):
            if report.groups:
                x = replace(x, upstream=group.upstream,
                            properties={**x.properties, "upstream": group.upstream})
            indexed.append((i, x))
    indexed.sort(key=lambda item: (_KIND_ORDER[item[1].rule.kind], item[0], item[1].line))
    return [x for _, x in indexed]


def fingerprint(x: Finding) -> str:
    key = "\0".join((x.rule.id, x.file, x.name))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def artifact_location(path: str) -> dict[str, str]:
    """A project-relative path as SARIF wants it: a percent-encoded URI reference."""
    if PureWindowsPath(path).is_absolute() and not PurePosixPath(path).is_absolute():
        return {"uri": PureWindowsPath(path).as_uri()}
    if PurePosixPath(path).is_absolute():
        return {"uri": "file://" + quote(posixpath.normpath(path))}
    clean = posixpath.normpath(path.replace("\\", "/"))
    return {"uri": quote(clean), "uriBaseId": SRCROOT}


def _rule_object(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": f"{rule.description} Compare with 'dssync diff --tag TAG', then bring the "
                         "vendored copy up to date with 'dssync update --tag TAG' or pin the constant."},
        "defaultConfiguration": {"level": rule.level},
        "properties": {"tags": ["dssync", "drift", rule.kind]},
    }


def _result(x: Finding) -> dict[str, Any]:
    return {
        "ruleId": x.rule.id,
        "ruleIndex": RULES.index(x.rule),
        "level": x.rule.level,
        "message": {"text": x.message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(x.file),
                                            "region": {"startLine": x.line}}}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(x)},
        "properties": x.properties,
    }


def report_to_sarif(report: DriftReport) -> dict[str, Any]:
    from dssync import __version__

    run: dict[str, Any] = {
        "tool": {"driver": {"name": "dssync", "version": __version__, "semanticVersion": __version__,
                            "rules": [_rule_object(rule) for rule in RULES]}},
        "originalUriBaseIds": {SRCROOT: {"description": {
            "text": "The project root: the directory holding the dssync configuration."}}},
        "results": [_result(x) for x in findings(report)],
        "properties": {"tag": report.tag, "summary": report.summary(), "notes": list(report.notes),
                       # SARIF has no file sections: where each file's upstream was read.
                       "files": [file_source(f) for f in report.files]},
    }
    if report.groups:
        # One run (code scanning takes one per tool and category), grouped in its properties:
        # each upstream's tag and totals, each file and each result naming its upstream.
        run["properties"]["upstreams"] = [
            {"name": g.upstream, "tag": g.tag, "summary": g.summary(),
             "links": [{"label": label, "url": url} for label, url in report_links(g)]}
            for g in report.groups]
        run["properties"]["files"] = [{**file_source(f), "upstream_name": g.upstream}
                                      for g in report.groups for f in g.files]
    links = report_links(report)
    if links:
        run["properties"]["links"] = [{"label": label, "url": url} for label, url in links]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: DriftReport) -> str:
    return json.dumps(report_to_sarif(report), indent=2, ensure_ascii=False) + "\n"
