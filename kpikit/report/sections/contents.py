"""The report's outline: its sections in the contract's order, each section's heading, and the contents page."""

from __future__ import annotations

from typing import Any

from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Executive summary"),
    ("since_published", "What changed since the last published report"),
    ("signals", "Signal or noise"),
    ("strategy", "Mission, vision and pillars"),
    ("cascade", "Objective cascade"),
    ("scorecard", "KPI scorecard"),
    ("selection", "Metric selection"),
    ("targets", "Targets and benchmarks"),
    ("stakeholders", "Stakeholders"),
    ("recommendations", "Recommendations for the next review cycle"),
    ("open_actions", "Open actions"),
    ("appendix", "Appendix"),
)
"""The report's sections in the contract's order: (anchor key, heading)."""


OPTIONAL: dict[str, str] = {"since_published": "Since the last report", "signals": "Signal or noise", "open_actions": "Follow-up"}
"""Sections shown only when they have something to say (key: their kicker); unnumbered."""


def section(key: str, **values: Any) -> Fragment:
    """Render ``sections/<key>.html.j2`` with its anchor key, heading and kicker."""
    keys = [k for k, _ in SECTIONS if k not in OPTIONAL]  # an optional section does not renumber the others
    kicker = "Appendix" if key == "appendix" else OPTIONAL[key] if key in OPTIONAL else f"Section {keys.index(key) + 1:02d}"
    return render_template(f"{key}.html.j2", key=key, title=dict(SECTIONS)[key], kicker=kicker, **values)


def contents(_ctx: ReportContext) -> Fragment:
    """Table of contents; in the PDF each entry carries its page number (the context, taken like every
    section's, is not needed)."""
    from kpikit.data.published import published_up_to
    from kpikit.engine.behaviour import has_limits

    eng = _ctx.eng
    published = published_up_to(eng.path, _ctx.period, eng.config.fiscal_year_start) is not None
    shown_optional = {"since_published": published, "signals": has_limits(eng, _ctx.period_override), "open_actions": eng.has("actions")}
    shown = [s for s in SECTIONS if shown_optional.get(s[0], True)]
    return render_template("contents.html.j2", sections=shown)
