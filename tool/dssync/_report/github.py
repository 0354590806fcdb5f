"""The report as GitHub Actions workflow commands: annotations on the vendored files' lines.

A vendored file whose upstream file is gone gets a ``::notice`` of its own first (it explains
the file's removals). GitHub shows only the first ten warnings of a step, so dssync prints at
most ``LIMIT`` annotations, the most consequential first (see ``sarif.findings``), then one ``::notice`` saying
how many more there are, one ``::notice`` with the links to upstream (the tag, and the compare
view since the locked release) when upstream is on GitHub, and last the summary as a plain log
line (not a command). An added constant is annotated at the line that ``dssync update`` would
insert it by; a changed multi-line text at its first changed line, with the changed lines.
"""

from __future__ import annotations

from dssync._report.sarif import Finding, findings
from dssync._report.text import summary_line
from dssync._report.values import gone_line, report_links
from dssync.models import DriftReport

LIMIT = 10


def escape_data(text: str) -> str:
    """A command's message: GitHub's runner decodes exactly these, so a newline in a value
    cannot end the command and start another one."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command property's value: additionally ``:`` and ``,``, which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: str | int) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level} {props}::{escape_data(message)}" if props else f"::{level}::{escape_data(message)}"


def annotation(x: Finding) -> str:
    level = "notice" if x.rule.level == "note" else "warning"
    whose = f"{x.upstream}: " if x.upstream else ""  # several upstreams: which one drifted
    return command(level, x.message, file=x.file, line=x.line,
                   title=f"{whose}{x.rule.title}: {x.name}")


def render(report: DriftReport, limit: int = LIMIT) -> str:
    found = findings(report)
    # A file gone upstream explains its removals: said first, as a notice of its own.
    lines = [command("notice", f"{f.upstream} is {gone_line(f.gone)}", file=f.vendored, line=1,
                     title=f"Upstream file absent: {f.upstream}")
             for f in report.files if f.gone is not None]
    lines += [annotation(x) for x in found[:limit]]
    if len(found) > limit:
        more = len(found) - limit
        lines.append(command("notice", f"{more} more drift finding{'s' if more != 1 else ''} not shown "
                                       f"as annotations ({len(found)} in all); the Markdown report "
                                       "lists every one", title="dssync"))
    for group in report.groups or [report]:
        links = report_links(group)
        if links:
            whose = f" {group.upstream}" if report.groups else ""
            lines.append(command("notice", "; ".join(f"{label}: {url}" for label, url in links),
                                 title=f"dssync: upstream{whose}"))
    lines += [f"{group.upstream}: {summary_line(group)}" for group in report.groups]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"
