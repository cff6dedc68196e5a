"""The report tells the plan model: definition sheets and method notes name milestones, fiscal years and cadence.

A school-year plan in the style of ``tests/report/test_sections.py``: built in memory, read as
the client would read the section's text.
"""

from __future__ import annotations

from enginebuild import build, kpi, metric, obj
from support import visible

from kpikit.data.model import Engagement
from kpikit.report.sections import appendix_definitions, appendix_method, context


def school_plan(fiscal: int = 7, milestones: bool = True, every: int = 2) -> Engagement:
    """Graduation rate with yearly targets, and a climate survey given every two years; school years from July."""
    return build(
        objectives=[obj("G1", "Raise the four-year graduation rate to 92% by 2030", pillar="P1", due="2030-06-30")],
        metrics=[metric("GRAD", "Graduation rate", frequency="annual"),
                 metric("SAFE", "Students who feel safe", frequency="annual", every=every)],
        kpis=[kpi("G1", "GRAD", 92, "2030", baseline=86.5, baseline_period="2025"), kpi("G1", "SAFE", 85, "2030")],
        actuals=[{"metric_id": "GRAD", "period": "2026", "value": 88}, {"metric_id": "SAFE", "period": "2026", "value": 77}],
        milestones=[{"objective_id": "G1", "metric_id": "GRAD", "period": p, "target": t}
                    for p, t in (("2026", 88), ("2027", 89))] if milestones else None,
        settings={"current_period": "2027-06", "fiscal_year_start": fiscal},
    )


def test_definition_sheets_list_milestones_cadence_and_the_fiscal_year() -> None:
    text = visible(appendix_definitions(context(school_plan())).html)

    assert "Milestones 88% (2026); 89% (2027)" in text
    assert "Frequency Annual (fiscal years from July to June)" in text
    assert "Frequency Annual, measured every 2 years (fiscal years from July to June)" in text
    # the survey is reviewed on its 2026 result in the review of the school year 2027
    assert "In 2026: green at or above 85%" in text


def test_method_notes_explain_this_clients_plan_model() -> None:
    text = visible(appendix_method(context(school_plan())).html)

    assert "This client's years run from July to June: a year is named by the year in which it ends" in text
    assert "1 KPI of this report follows the interim targets of the client's plan (milestones.csv)" in text
    assert "Measured less often than their frequency: SAFE (every 2 years)." in text
    assert "each interim target of milestones.csv" in text  # the general status rule says it too


def test_a_plan_without_the_plan_model_adds_no_notes_or_fields() -> None:
    eng = school_plan(fiscal=1, milestones=False, every=1)
    method = visible(appendix_method(context(eng)).html)
    sheets = visible(appendix_definitions(context(eng)).html)

    for words in ("This client's years run", "follow the interim targets", "Measured less often"):
        assert words not in method
    assert "Milestones" not in sheets
    assert "fiscal years from" not in sheets
    assert "measured every" not in sheets
