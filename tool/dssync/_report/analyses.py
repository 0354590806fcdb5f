"""The reports of the analyses (history, identify, impact) and of status, in each format the
command offers; each renderer is imported only when its format is asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from dssync.errors import DssyncError

if TYPE_CHECKING:
    from dssync._analyses.drifted import Impact
    from dssync._analyses.status import LocalState
    from dssync._analyses.timeline import History
    from dssync._api.identify import Identification


def render_history(history: History, fmt: str) -> str:
    """``text``, ``json`` (``dssync.history/1``) or ``html`` (the timeline)."""
    if fmt == "json":
        from dssync._report.analyses_json import render_history as render
    elif fmt == "html":
        from dssync._report.history_html import render
    else:
        from dssync._report.analyses_text import render_history as render
    return render(history)


def render_identification(found: Identification, fmt: str) -> str:
    """``text`` or ``json`` (``dssync.identify/1``)."""
    if fmt == "json":
        from dssync._report.analyses_json import render_identify

        return render_identify(found.source, found.tags,
                               [(c.vendored, c.upstream, m) for c, m in found.matches],
                               found.combined, found.notes)
    from dssync._report.analyses_text import render_identify as render_text

    return render_text(found.source, found.tags,
                       [(f"{c.vendored} vs upstream {c.upstream}", m) for c, m in found.matches],
                       found.combined, found.notes)


def render_histories(found: Sequence[tuple[str, History]], fmt: str) -> str:
    """One history as ``render_history`` gives it; several upstreams' grouped by upstream (not
    in ``html``, whose timeline is one upstream's releases)."""
    if fmt == "html" and len(found) != 1:
        raise DssyncError("history --format html draws one upstream's timeline, and several "
                          "are configured", hint="add --upstream NAME")
    if len(found) == 1:
        return render_history(found[0][1], fmt)
    return _grouped([(name, render_history(h, fmt)) for name, h in found], fmt)


def render_identifications(found: Sequence[tuple[str, Identification]], fmt: str) -> str:
    """One identification as ``render_identification`` gives it; several upstreams' grouped
    by upstream."""
    if len(found) == 1:
        return render_identification(found[0][1], fmt)
    return _grouped([(name, render_identification(i, fmt)) for name, i in found], fmt)


def _grouped(reports: list[tuple[str, str]], fmt: str) -> str:
    """Each upstream's report under its name: a section per upstream in text, in JSON the
    documents (without their ``schema``) in ``upstreams``, each with its ``name``."""
    if fmt != "json":
        import textwrap

        return "\n".join(f"upstream {name}:\n" + textwrap.indent(text, "  ")
                         for name, text in reports)
    import json

    docs = [json.loads(text) for _, text in reports]
    schema = docs[0].pop("schema")
    for doc in docs[1:]:
        doc.pop("schema")
    return json.dumps({"schema": schema, "upstreams": [{"name": name, **doc} for (name, _), doc
                                                       in zip(reports, docs)]},
                      indent=2, ensure_ascii=False) + "\n"


def render_impact(impact: Impact, fmt: str) -> str:
    """``text`` or ``json`` (``dssync.impact/1``)."""
    if fmt == "json":
        from dssync._report.analyses_json import render_impact as render
    else:
        from dssync._report.analyses_text import render_impact as render
    return render(impact)


def render_status(states: list[LocalState], fmt: str) -> str:
    """``text`` or ``json`` (``dssync.status/1``)."""
    from dssync._report.status import render, render_json

    return render_json(states) if fmt == "json" else render(states)
