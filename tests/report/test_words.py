"""Words a board can trust (issue 11, item 4): each sentence of the report checked on a small engagement.

Engagements are built in memory (``tests/enginebuild.py``, review period 2026-Q2); the
assertions read the section's visible text as a board member would.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from enginebuild import build, kpi, metric, obj
from support import visible

from kpikit.report.sections import (
    appendix_definitions,
    appendix_findings,
    context,
    executive_summary,
    kpi_scorecard,
    recommendations,
    targets_benchmarks,
)
from kpikit.text import natural_key


def _part(html: str, selector: str) -> str:
    node = BeautifulSoup(html, "html.parser").select_one(selector)
    assert node is not None, selector
    return " ".join(node.get_text(" ").split())


def _series(mid: str, values: list[float], start: int = 2025, notes: dict[str, str] | None = None) -> list[dict[str, object]]:
    """Quarterly actuals ending in 2026-Q2 (the review period) when ``start`` is 2025 and there are six."""
    rows = []
    for i, v in enumerate(values):
        y, q = divmod((start * 4) + i, 4)
        p = f"{y}-Q{q + 1}"
        rows.append({"metric_id": mid, "period": p, "value": v, "note": (notes or {}).get(p, "")})
    return rows


def test_a_kpi_with_only_its_baseline_is_not_yet_measured_never_a_success() -> None:
    # baseline 2026-Q2 = the review period, its only actual is the baseline: the engine's green
    eng = build(objectives=[obj("O1", pillar="P1"), obj("O2", pillar="P1")],
                metrics=[metric("M1", "Screener completion"), metric("M2", "Reading level")],
                kpis=[kpi("O1", "M1", 90, "2027-Q2", baseline=50, baseline_period="2026-Q2"),
                      kpi("O2", "M2", 90, "2027-Q2", baseline=50, baseline_period="2025-Q2")],
                actuals=[{"metric_id": "M1", "period": "2026-Q2", "value": 50},
                         *_series("M2", [50, 55, 62, 70, 76, 82])])
    ctx = context(eng)
    assert dict(zip(ctx.detail["metric_id"], ctx.detail["status"], strict=True))["M1"] == "green"  # the engine's word
    page = executive_summary(ctx).html
    successes = _part(page, ".callout.successes")
    assert "Screener completion" not in successes
    assert "Reading level" in successes
    text = visible(page)
    assert "1 not yet measured against plan" in text
    assert "Screener completion" in _part(page, ".callout.concerns")
    card = visible(kpi_scorecard(ctx).html)
    assert "Not yet measured" in card
    row = re.search(r"Screener completion.*?(On track|Not yet measured)", card)
    assert row is not None
    assert row.group(1) == "Not yet measured"


def test_no_kpi_is_named_twice_among_the_successes() -> None:
    # back on track since the last review AND ahead of plan and improving: one line, not two
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1", "Hand hygiene")],
                kpis=[kpi("O1", "M1", 90, "2027-Q2", baseline=50, baseline_period="2025-Q1")],
                actuals=_series("M1", [50, 52, 54, 56, 57, 75]))
    ctx = context(eng)
    assert ctx.rows[0]["status_change"] == "better"
    successes = _part(executive_summary(ctx).html, ".callout.successes")
    assert successes.count("Hand hygiene") == 1


def test_kpis_without_data_are_always_among_the_concerns() -> None:
    # eight KPIs off track fill any short list; the two without a figure must still be there
    reds = [kpi(f"O{i}", f"M{i}", 90, "2027-Q2", baseline=10, baseline_period="2025-Q1") for i in range(1, 9)]
    eng = build(objectives=[obj(f"O{i}", pillar="P1") for i in range(1, 11)],
                metrics=[metric(f"M{i}", f"Measure {i}") for i in range(1, 11)],
                kpis=[*reds, kpi("O9", "M9", 90, "2027-Q2"), kpi("O10", "M10", 90, "2027-Q2")],
                actuals=[r for i in range(1, 9) for r in _series(f"M{i}", [10, 10, 10, 10, 10, 10])])
    concerns = _part(executive_summary(context(eng)).html, ".callout.concerns")
    assert "2 KPIs have no figure for this review" in concerns
    assert "Measure 9" in concerns
    assert "Measure 10" in concerns
    assert "Measure 1 is off track" in concerns
    assert "5 more KPIs are off track" in concerns  # three named, the rest counted
    # and each KPI once
    assert concerns.count("Measure 2 ") <= 1


def test_trend_word_agrees_with_the_latest_movement() -> None:
    # 65.4 -> 72.1 -> 67: the least-squares slope rises, the latest movement falls
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1", "Graduation rate")],
                kpis=[kpi("O1", "M1", 80, "2027-Q2", baseline=65.4, baseline_period="2025-Q4")],
                actuals=[{"metric_id": "M1", "period": p, "value": v} for p, v in
                         (("2025-Q4", 65.4), ("2026-Q1", 72.1), ("2026-Q2", 67))])
    ctx = context(eng)
    assert ctx.rows[0]["trend"] == "improving"  # the engine's slope word
    assert ctx.rows[0]["trend_word"] == "mixed"
    card = visible(kpi_scorecard(ctx).html) + visible(appendix_definitions(ctx).html)
    assert "mixed" in card
    assert "improving" not in card
    assert "improving" not in visible(executive_summary(ctx).html)


def test_overall_score_is_shown_against_what_the_plan_expects_by_now() -> None:
    # baseline 0 in 2026-Q1, target 100 in 2027-Q1: one quarter of four gone, the plan expects 25%
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1", "Coverage")],
                kpis=[kpi("O1", "M1", 100, "2027-Q1", baseline=0, baseline_period="2026-Q1")],
                actuals=[{"metric_id": "M1", "period": "2026-Q1", "value": 0},
                         {"metric_id": "M1", "period": "2026-Q2", "value": 20}])
    ctx = context(eng)
    assert round(ctx.expected_overall, 6) == 0.25
    text = visible(executive_summary(ctx).html)
    assert "20% Overall score plan expects 25% by now" in text
    assert "by now the plan expects 25%" in text
    assert "behind plan" in text


def test_recommendations_name_a_few_items_in_sentences_and_count_the_rest() -> None:
    objectives = [obj(f"O{i}", pillar="P1") for i in (1, 2, 10, 11, 3, 4, 5, 6)]
    eng = build(objectives=objectives, metrics=[metric("M1")], kpis=[kpi("O1", "M1")])
    text = visible(recommendations(context(eng)).html)
    m = re.search(r"It concerns 7 objectives: (.*?), and 4 more \(Appendix B, OBJECTIVE_NO_KPI, lists them all\)\.",
                  text)
    assert m is not None, text
    named = m.group(1)
    assert named.startswith("O2: ")  # natural order: O2, O3, O4 before O10
    assert "O3: " in named
    assert "O4: " in named
    assert "O10" not in named
    assert "for example" not in text


def test_notes_on_actuals_appear_beside_the_figure_in_the_scorecard_and_the_chart() -> None:
    note = "Survey moved to spring; not comparable"
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1", "Staff engagement")],
                kpis=[kpi("O1", "M1", 90, "2027-Q2", baseline=60, baseline_period="2025-Q1")],
                actuals=_series("M1", [60, 61, 62, 63, 64, 55], notes={"2026-Q2": note}))
    ctx = context(eng)
    card = BeautifulSoup(kpi_scorecard(ctx).html, "html.parser")
    row = next(tr for tr in card.select("table.scorecard tr") if "Staff engagement" in tr.get_text())
    assert note in row.get_text(" ")  # in the row of the figure, not elsewhere
    assert "55%" in row.get_text(" ")
    charts = BeautifulSoup(targets_benchmarks(ctx).html, "html.parser").select("figure.chart")
    assert charts
    assert f"2026-Q2: {note}" in charts[0].get_text(" ")


def test_findings_appendix_groups_by_code_with_counts_in_natural_order() -> None:
    ids = ["O10", "O2", "O1", "O11", "O3"]
    eng = build(objectives=[obj(i, pillar="P1") for i in ids], metrics=[metric("M1")], kpis=[kpi("O1", "M1")])
    soup = BeautifulSoup(appendix_findings(context(eng)).html, "html.parser")
    group = soup.select_one("#find-OBJECTIVE_NO_KPI")
    assert group is not None
    assert "(4)" in group.select_one("h3").get_text()
    listed = [li.select_one(".id").get_text() for li in group.select("li")]
    assert listed == ["O2", "O3", "O10", "O11"]
    assert sorted(listed, key=natural_key) == listed


def test_natural_key_orders_ids_as_people_count() -> None:
    ids = ["M10", "M2", "M1", "M11", "O1/M10", "O1/M9", "KPI-100", "KPI-20"]
    assert sorted(ids, key=natural_key) == ["KPI-20", "KPI-100", "M1", "M2", "M10", "M11", "O1/M9", "O1/M10"]


def test_the_kpi_chart_says_the_same_trend_word_as_the_report() -> None:
    from kpikit.charts import performance

    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1", "Graduation rate")],
                kpis=[kpi("O1", "M1", 80, "2027-Q2", baseline=65.4, baseline_period="2025-Q4")],
                actuals=[{"metric_id": "M1", "period": p, "value": v} for p, v in
                         (("2025-Q4", 65.4), ("2026-Q1", 72.1), ("2026-Q2", 67))])
    subtitle = " ".join(performance.kpi_history(eng, "O1", "M1", "2026-Q2").to_dict()["title"]["subtitle"])
    assert "trend mixed" in subtitle
    assert "improving" not in subtitle
