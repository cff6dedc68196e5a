"""The report's outline: its sections in the contract's order, each section's heading, and the contents page."""

from __future__ import annotations

from typing import Any

from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Executive summary"),
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


def section(key: str, **values: Any) -> Fragment:
    """Render ``sections/<key>.html.j2`` with its anchor key, heading and kicker."""
    keys = [k for k, _ in SECTIONS]
    kicker = "Appendix" if key == "appendix" else f"Section {keys.index(key) + 1:02d}"
    return render_template(f"{key}.html.j2", key=key, title=dict(SECTIONS)[key], kicker=kicker, **values)


def contents(_ctx: ReportContext) -> Fragment:
    """Table of contents; in the PDF each entry carries its page number (the context, taken like every
    section's, is not needed)."""
    return render_template("contents.html.j2", sections=SECTIONS)
