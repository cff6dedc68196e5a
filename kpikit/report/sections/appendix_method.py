"""Appendix C: how every number in the report is made, in the engine's own words."""

from __future__ import annotations

from kpikit.engine import review, scoring, smart, stakeholders, targets
from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template


def appendix_method(ctx: ReportContext) -> Fragment:
    """Appendix C: how every number in the report is made, in the engine's own words."""
    sc = ctx.eng.config.scoring
    weights = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in sc.criteria.items())
    notes = [
        ("Scoring and selection",
         f"Each pairing of an objective and a candidate metric is scored on each criterion on a scale of "
         f"{sc.scale[0]:g} to {sc.scale[1]:g} (higher is always better). The weighted score is the sum of weight "
         f"times score divided by the sum of the weights ({weights}), rounded to {scoring.PRECISION} decimals. An "
         f"objective's recommended KPIs are its pairings scoring at least {sc.select_threshold:g}, best first, at "
         f"most {sc.max_kpis_per_objective}, ties broken by metric ID."),
        ("SMART assessment", f"Objectives are checked against the criteria {', '.join(smart.CRITERIA)}: a title "
         "that says what changes and by how much (Specific), a KPI with a unit and a data source (Measurable), "
         "realistic KPI targets (Achievable), a pillar reached through the cascade (Relevant) and a due date no "
         "earlier than its KPI targets (Time-bound)."),
        ("Status, attainment, scores, trend and forecast", review.METHOD),
        ("Target realism", targets.METHOD),
        ("Overall score", review.OVERALL_METHOD.removeprefix("Overall score. ")),
        ("Stakeholders", f"Influence and support are rated 1 to 5; {stakeholders.HIGH:g} or more counts as high. "
         f"A person accountable for more than {stakeholders.OVERLOAD_LIMIT} items is flagged as overloaded."),
    ]
    return render_template("appendix_method.html.j2", notes=notes)
