"""The reports of the analyses (history, identify, impact) and of status, in each format the
command offers; each renderer is imported only when its format is asked for."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
