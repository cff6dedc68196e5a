"""The report's outline: its sections in the contract's order, each section's heading, and the contents page."""

from __future__ import annotations

from typing import Any

from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Executive summary"),
    ("since_published", "What changed since the last published report"),
    ("strategy", "Mission, vision and pillars"),
    ("cascade", "Objective cascade"),
    ("scorecard", "KPI scorecard"),
    ("selection", "Metric selection"),
    ("targets", "Targets and benchmarks"),
    ("stakeholders", "Stakeholders"),
    ("recommendations", "Recommendations for the next review cycle"),
    ("appendix", "Appendix"),
)
"""The report's sections in the contract's order: (anchor key, heading)."""


OPTIONAL: dict[str, str] = {"since_published": "Since the last report"}
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

    eng = _ctx.eng
    published = published_up_to(eng.path, _ctx.period, eng.config.fiscal_year_start) is not None
    shown = [s for s in SECTIONS if s[0] not in OPTIONAL or published]
    return render_template("contents.html.j2", sections=shown)
