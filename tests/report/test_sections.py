"""Report sections on valid but unusual engagements, called directly (no notebook run).

Each case is a small engagement built in memory with ``tests/enginebuild.py``; the
assertions read the section's visible text as the client would.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from enginebuild import build, kpi, metric, obj, person
from support import visible

from kpikit.data.model import Engagement
from kpikit.report.sections import (
    appendix_definitions,
    context,
    executive_summary,
    objective_cascade,
    stakeholder_map,
    strategy,
    targets_benchmarks,
)


def _selected_without_actuals() -> Engagement:
    """Two KPIs chosen, one with a baseline and one threshold KPI; no actuals.csv, no current_period."""
    eng = build(objectives=[obj("O1", pillar="P1")],
                metrics=[metric("M1"), metric("M2", direction="down", frequency="monthly")],
                kpis=[kpi("O1", "M1", 95, "2027-Q2", baseline=80, baseline_period="2025-Q4"),
                      kpi("O1", "M2", 3, "2027-06")])
    eng.config.current_period = None
    assert eng.review_period() is None
    return eng


def test_kpi_charts_heading_says_why_there_is_no_chart_without_a_review_period() -> None:
    page = targets_benchmarks(context(_selected_without_actuals())).html
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.select("figure")
    text = visible(page)
    assert "KPI charts" in text
    assert "No review period yet" in text
    assert "no history to chart" in text


def test_threshold_kpi_definition_sheet_names_the_target_not_a_baseline_without_a_period() -> None:
    soup = BeautifulSoup(appendix_definitions(context(_selected_without_actuals())).html, "html.parser")
    text = visible(str(soup))
    # M1 has a baseline: the tolerance is a share of the distance from baseline to target
    assert "10% of the distance from baseline to target" in text
    # M2 is a threshold KPI (no baseline): its tolerance is a share of |target|, never "baseline to target"
    assert text.count("distance from baseline to target") == 1
    assert "10% of the target (|target|)" in text


def test_influence_map_absence_is_explained_and_unrated_people_are_named_as_off_the_map() -> None:
    people = [person("S1", "No ratings"), person("S2", "Only influence", influence=5),
              person("S3", "Only support", support=1)]
    eng = build(objectives=[obj("O1", pillar="P1")], stakeholders=people)
    page = stakeholder_map(context(eng)).html
    assert not BeautifulSoup(page, "html.parser").select("figure")
    assert "no influence/support map" in visible(page)

    rated = build(objectives=[obj("O1", pillar="P1")],
                  stakeholders=[*people, person("S4", "Champion", influence=5, support=5)])
    soup = BeautifulSoup(stakeholder_map(context(rated)).html, "html.parser")
    caption = soup.select_one("figure .fig-desc")
    assert caption is not None
    assert "1 keep close / champion" in caption.get_text()
    assert "3 not assessed (not on the map)" in caption.get_text()
    assert "no influence/support map" not in visible(str(soup))


def test_summary_does_not_call_a_kpi_without_a_previous_figure_back_on_track_or_worsened() -> None:
    eng = build(objectives=[obj("O1", pillar="P1")],
                metrics=[metric(f"M{i}", name=f"Measure {i}") for i in range(1, 5)],
                kpis=[kpi("O1", f"M{i}", 90, "2027-Q2") for i in range(1, 5)],
                actuals=[{"metric_id": "M1", "period": "2026-Q2", "value": 10},   # first figure, red
                         {"metric_id": "M2", "period": "2026-Q2", "value": 95},   # first figure, green
                         {"metric_id": "M3", "period": "2026-Q1", "value": 10},   # red, then green
                         {"metric_id": "M3", "period": "2026-Q2", "value": 95},
                         {"metric_id": "M4", "period": "2026-Q1", "value": 95},   # green, then red
                         {"metric_id": "M4", "period": "2026-Q2", "value": 10}])
    text = visible(executive_summary(context(eng)).html)
    assert "Measure 3 is back on track (95% in 2026-Q2)." in text
    assert "Measure 2 is back on track" not in text
    assert "Measure 2 is on track (95% in 2026-Q2); the last review (2026-Q1) had no figure for it." in text
    # off track now, on track before: named once, as off track, with what it was
    assert "Measure 4 is off track: 10% in 2026-Q2 against 90% expected (objective O1). It was on track at the last review (2026-Q1)." in text
    assert "Status worsened since the last review for Measure 4" not in text  # not a second time
    assert "Measure 1 is off track" in text  # named as off track, but not as worsened
    assert "Measure 1 is off track: 10% in 2026-Q2 against 90% expected (objective O1). It was" not in text


def test_summary_names_no_success_when_every_kpi_is_off_track() -> None:
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1"), metric("M2", direction="down")],
                kpis=[kpi("O1", "M1", 90, "2027-Q2"), kpi("O1", "M2", 5, "2027-Q2")],
                actuals=[{"metric_id": "M1", "period": "2026-Q2", "value": 10},
                         {"metric_id": "M2", "period": "2026-Q2", "value": 50}])
    soup = BeautifulSoup(executive_summary(context(eng)).html, "html.parser")
    successes = visible(str(soup.select_one(".successes")))
    assert "leads with a score" not in successes
    assert "No KPI is on track in this review yet." in successes
    assert "Too little data" not in successes  # there are figures; they are all off track


def test_counts_of_one_read_as_singular() -> None:
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1"), metric("M2"), metric("M3")],
                kpis=[kpi("O1", f"M{i}", 90, "2027-Q2") for i in (1, 2, 3)],
                actuals=[{"metric_id": f"M{i}", "period": "2026-Q2", "value": v} for i, v in ((1, 95), (2, 10), (3, 10))])
    ctx = context(eng)
    assert "1 objective in the cascade serves this pillar" in visible(strategy(ctx).html)
    assert "1 of its 3 KPIs is on track." in visible(executive_summary(ctx).html)


def test_cascade_of_an_engagement_without_objectives_says_so_and_claims_no_alignment() -> None:
    eng = build(objectives=[])
    text = visible(objective_cascade(context(eng)).html)
    assert "No objectives have been recorded yet (objectives.csv)" in text
    assert "No alignment gaps" not in text  # "every objective reaches a pillar" of none at all


def test_an_id_spelled_nan_is_an_id_not_a_missing_value() -> None:
    # the contract allows any ID of letters: a pillar "nan" must not make its objectives unaligned
    eng = build(objectives=[obj("O1", pillar="nan"), obj("O2", parent="O1")],
                pillars=[{"id": "nan", "name": "Naan bread"}])
    ctx = context(eng)
    page = visible(strategy(ctx).html)
    assert "2 objectives in the cascade serve this pillar" in page
    assert "serve no pillar" not in page
    soup = BeautifulSoup(appendix_definitions(ctx).html, "html.parser")  # the objectives in cascade order
    row = next(tr for tr in soup.select("table.objectives tbody tr") if tr.select_one("td.id").get_text() == "O1")
    assert [td.get_text(strip=True) for td in row.select("td")][3] == "nan"


def test_summary_says_a_missed_target_was_due_rather_than_asking_for_pace() -> None:
    acts = [{"metric_id": "M1", "period": p, "value": v}
            for p, v in zip(["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"], [50, 52, 54, 56], strict=True)]
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1", name="Uptime")],
                kpis=[kpi("O1", "M1", 90, "2026-Q1")], actuals=acts)
    text = visible(executive_summary(context(eng)).html)
    assert "The target for Uptime was due and has not been reached." in text
    assert "asks for faster progress" not in text


def test_definition_sheet_thresholds_read_right_for_zero_tolerance_down_kpis_and_percent_units() -> None:
    acts = [{"metric_id": m, "period": "2026-Q2", "value": v} for m, v in (("M1", 50), ("M2", 13))]
    eng = build(objectives=[obj("O1", pillar="P1")],
                metrics=[metric("M1", name="Flat"), metric("M2", name="Falls", direction="down")],
                kpis=[kpi("O1", "M1", 50, "2027-Q2", baseline=50, baseline_period="2025-Q2"),   # target = baseline
                      kpi("O1", "M2", 5, "2027-Q2", baseline=20, baseline_period="2025-Q2")],   # expected 12.5 now
                actuals=acts)
    text = visible(appendix_definitions(context(eng)).html)
    assert "green at or above 50%; red below it (no amber band: the tolerance, 10% of |target − baseline|, is 0)" in text
    assert "amber between 50% and 50%" not in text
    # down: the band reads low to high, and a % tolerance is in percentage points
    assert ("green at or below 12.5%; amber between 12.5% and 14%; red above 14% "
            "(tolerance 1.5 percentage points, 10% of |target − baseline|)") in text
