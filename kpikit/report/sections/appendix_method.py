"""Appendix C: how every number in the report is made, in the engine's own words."""

from __future__ import annotations

import calendar

from kpikit.engine import review, scoring, smart, stakeholders, targets
from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template
from kpikit.text import period_word, plural


def plan_notes(ctx: ReportContext) -> list[tuple[str, str]]:
    """What this engagement's plan model changes in the numbers: its fiscal year, milestones and cadences."""
    eng = ctx.eng
    out: list[tuple[str, str]] = []
    start = eng.config.fiscal_year_start
    if start != 1:
        end = calendar.month_name[(start - 2) % 12 + 1]
        out.append(("Fiscal years", f"This client's years run from {calendar.month_name[start]} to {end}: a year "
                    f"is named by the year in which it ends, its first quarter starts in {calendar.month_name[start]}, "
                    "and every comparison of periods and dates (the period each KPI is reviewed in, due dates) "
                    "uses these ends. Months are calendar months."))
    kt = ctx.selected
    with_plan = int(sum(1 for ms in kt["milestones"] if ms))
    if with_plan:
        out.append(("Milestones", f"{plural(with_plan, 'KPI')} of this report {'follows' if with_plan == 1 else 'follow'} the interim targets of the "
                    "client's plan (milestones.csv): the expected value runs from the baseline through each "
                    "milestone to the target, so a result equal to the plan's number for its period is green."))
    cadenced = kt[kt["measured_every"] > 1].drop_duplicates("metric_id")
    if len(cadenced):
        names = ", ".join(f"{m} (every {e:g} {period_word(str(f))}s)" for m, e, f in
                          zip(cadenced["metric_id"], cadenced["measured_every"], cadenced["frequency"], strict=True))
        out.append(("Measurement cadence", f"Measured less often than their frequency: {names}. Such a KPI is "
                    "reviewed on its latest result within its cadence, and has no data only when that result is "
                    "missing."))
    return out


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
        *plan_notes(ctx),
        ("Target realism", targets.METHOD),
        ("Overall score", review.OVERALL_METHOD.removeprefix("Overall score. ")),
        ("Stakeholders", f"Influence and support are rated 1 to 5; {stakeholders.HIGH:g} or more counts as high. "
         f"A person accountable for more than {stakeholders.OVERLOAD_LIMIT} items is flagged as overloaded."),
    ]
    return render_template("appendix_method.html.j2", notes=notes)
