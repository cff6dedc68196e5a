"""The review rules of the contract, checked on hand-computed cases (engagement-format.md, "Status, attainment and roll-up")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest
from enginebuild import build, kpi, metric, obj
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement
from kpikit.engine import review


def make(
    kpis: list[dict[str, Any]],
    metrics: list[dict[str, Any]],
    actuals: Sequence[tuple[str, str, float]],
    objectives: list[dict[str, str]] | None = None,
    current: str = "2026-Q2",
    tolerance: float = 0.10,
    cadence: str = "quarterly",
) -> Engagement:
    """A validated engagement with one objective O1 (unless given) and the KPIs, metrics and actuals."""
    eng = build(
        objectives=objectives or [obj("O1", pillar="P1")],
        metrics=metrics,
        kpis=kpis,
        actuals=[{"metric_id": m, "period": p, "value": v} for m, p, v in actuals],
    )
    eng.config.current_period = current
    eng.config.status.amber_tolerance = tolerance
    eng.config.review_cadence = cadence  # type: ignore[assignment]
    return eng


def one(eng: Engagement, period: str | None = None) -> dict[str, Any]:
    """The scorecard_detail row of the only KPI."""
    d = review.scorecard_detail(eng, period)
    assert len(d) == 1
    return {str(k): v for k, v in d.iloc[0].to_dict().items()}


def up_line(actual: float | None, period: str = "2026-Q2") -> Engagement:
    """Up KPI, baseline 60 in 2025-Q4 to target 100 in 2026-Q4: expected 80 in 2026-Q2, tolerance 4."""
    acts: list[tuple[str, str, float]] = [("M1", period, actual)] if actual is not None else []
    return make([kpi("O1", "M1", 100, "2026-Q4", baseline=60, baseline_period="2025-Q4")],
                [metric("M1")], acts)


def down_line(actual: float) -> Engagement:
    """Down KPI, baseline 40 in 2025-Q4 to target 20 in 2026-Q4: expected 30 in 2026-Q2, tolerance 2."""
    return make([kpi("O1", "M1", 20, "2026-Q4", baseline=40, baseline_period="2025-Q4")],
                [metric("M1", direction="down")], [("M1", "2026-Q2", actual)])


# -- status, gap, attainment -------------------------------------------------------

@pytest.mark.parametrize(("actual", "gap", "status", "attainment"), [
    (80, 0.0, "green", 0.5),      # gap exactly 0 -> green
    (81, 1.0, "green", 0.525),
    (76, -4.0, "amber", 0.4),     # gap exactly -tolerance -> amber
    (75.9, -4.1, "red", 0.3975),
    (110, 30.0, "green", 1.0),    # attainment clipped at 1
    (50, -30.0, "red", 0.0),      # below the baseline: clipped at 0
])
def test_up_kpi_on_a_baseline_line(actual: float, gap: float, status: str, attainment: float) -> None:
    r = one(up_line(actual))
    assert r["period"] == "2026-Q2"
    assert r["expected"] == 80
    assert r["tolerance"] == pytest.approx(4.0)
    assert r["gap"] == pytest.approx(gap)
    assert r["status"] == status
    assert r["attainment"] == pytest.approx(attainment)


@pytest.mark.parametrize(("actual", "gap", "status", "attainment"), [
    (30, 0.0, "green", 0.5),
    (28, 2.0, "green", 0.6),
    (32, -2.0, "amber", 0.4),     # lower is better: 2 above expected is exactly -tolerance
    (32.5, -2.5, "red", 0.375),
    (45, -15.0, "red", 0.0),
])
def test_down_kpi_on_a_baseline_line(actual: float, gap: float, status: str, attainment: float) -> None:
    r = one(down_line(actual))
    assert r["expected"] == 30
    assert r["gap"] == pytest.approx(gap)
    assert r["status"] == status
    assert r["attainment"] == pytest.approx(attainment)


@pytest.mark.parametrize(("direction", "baseline", "target", "actual"), [
    ("up", 0.1, 0.2, 0.15),     # 0.1 + 0.5 * (0.2 - 0.1) is 0.15000000000000002 in floating point
    ("down", 0.3, 0.1, 0.2),
])
def test_an_actual_typed_on_the_line_is_green_despite_float_rounding(direction: str, baseline: float, target: float,
                                                                     actual: float) -> None:
    eng = make([kpi("O1", "M1", target, "2026-Q4", baseline=baseline, baseline_period="2025-Q4")],
               [metric("M1", direction=direction)], [("M1", "2026-Q2", actual)])
    r = one(eng)
    assert r["gap"] == 0
    assert r["status"] == "green"


@pytest.mark.parametrize(("direction", "target", "actual", "status", "attainment"), [
    ("up", 90, 95, "green", 1.0),          # met
    ("up", 90, 90, "green", 1.0),          # exactly met
    ("up", 90, 85, "amber", 85 / 90),      # tolerance 9
    ("up", 90, 80, "red", 80 / 90),
    ("down", 20, 15, "green", 1.0),
    ("down", 20, 22, "amber", 20 / 22),    # tolerance 2
    ("down", 20, 25, "red", 0.8),
    ("up", 0, -5, "red", 0.0),             # -5 / 0 undefined -> 0
    ("down", 0, 5, "red", 0.0),            # 0 / 5 = 0
    ("down", -2, 0, "red", 0.0),           # -2 / 0 undefined -> 0
    ("up", 50, -10, "red", 0.0),           # negative ratio clipped to 0
])
def test_threshold_kpi(direction: str, target: float, actual: float, status: str, attainment: float) -> None:
    eng = make([kpi("O1", "M1", target, "2026-Q4")], [metric("M1", direction=direction)],
               [("M1", "2026-Q2", actual)])
    r = one(eng)
    assert r["expected"] == target
    assert r["tolerance"] == pytest.approx(0.1 * abs(target))
    assert r["status"] == status
    assert r["attainment"] == pytest.approx(attainment)


def test_expected_is_held_at_baseline_before_and_at_target_after() -> None:
    eng = make([kpi("O1", "M1", 100, "2025-Q4", baseline=60, baseline_period="2025-Q2")], [metric("M1")],
               [("M1", "2025-Q1", 60), ("M1", "2026-Q2", 100)])
    before = one(eng, "2025-Q1")
    assert before["expected"] == 60
    assert before["status"] == "green"
    after = one(eng, "2026-Q2")
    assert after["expected"] == 100
    assert after["status"] == "green"
    assert after["attainment"] == 1


def test_target_equal_to_baseline_uses_the_threshold_attainment() -> None:
    eng = make([kpi("O1", "M1", 50, "2026-Q4", baseline=50, baseline_period="2025-Q4")], [metric("M1")],
               [("M1", "2026-Q2", 45)])
    r = one(eng)
    assert r["expected"] == 50
    assert r["tolerance"] == 0          # 0.1 * |50 - 50|
    assert r["status"] == "red"
    assert r["attainment"] == pytest.approx(0.9)  # 45 / 50, not the undefined (a - b) / 0


def test_quarterly_line_across_a_year_end() -> None:
    # 2025-Q3 -> 2026-Q3 is 4 quarters; 2026-Q1 is 2 of them
    eng = make([kpi("O1", "M1", 20, "2026-Q3", baseline=10, baseline_period="2025-Q3")], [metric("M1")],
               [("M1", "2026-Q1", 15)], current="2026-Q1")
    r = one(eng)
    assert (r["period"], r["expected"], r["status"]) == ("2026-Q1", 15, "green")


def test_monthly_line_across_a_year_end() -> None:
    # 2025-11 -> 2026-03 is 4 months; 2026-01 is 2 of them
    eng = make([kpi("O1", "M1", 10, "2026-03", baseline=30, baseline_period="2025-11")],
               [metric("M1", direction="down", frequency="monthly")], [("M1", "2026-01", 21)], current="2026-01")
    r = one(eng)
    assert (r["period"], r["expected"]) == ("2026-01", 20)
    assert r["gap"] == pytest.approx(-1)
    assert r["status"] == "amber"   # tolerance 0.1 * 20 = 2


def test_each_kpi_is_reviewed_in_its_own_frequency() -> None:
    metrics = [metric("MM", frequency="monthly"), metric("MQ"), metric("MA", frequency="annual")]
    kpis = [kpi("O1", "MM", 10, "2027-12"), kpi("O1", "MQ", 10, "2027-Q4"), kpi("O1", "MA", 10, "2027")]
    acts = [("MM", "2026-05", 1), ("MM", "2026-06", 11), ("MQ", "2026-Q1", 12), ("MQ", "2026-Q2", 13),
            ("MA", "2025", 14), ("MA", "2026", 1)]
    eng = make(kpis, metrics, acts)
    sc = review.scorecard(eng, "2026-Q2").set_index("metric_id")
    assert sc.loc["MM", "period"] == "2026-06"
    assert sc.loc["MM", "actual"] == 11
    assert sc.loc["MQ", "period"] == "2026-Q2"
    assert sc.loc["MA", "period"] == "2025"     # 2026 has not ended by the end of 2026-Q2
    assert sc.loc["MA", "actual"] == 14
    sc5 = review.scorecard(eng, "2026-05").set_index("metric_id")
    assert sc5.loc["MQ", "period"] == "2026-Q1"
    assert sc5.loc["MQ", "actual"] == 12
    assert sc5.loc["MM", "period"] == "2026-05"


def test_missing_actual_is_no_data() -> None:
    r = one(up_line(90, period="2026-Q1"))
    assert r["status"] == "no-data"
    assert math.isnan(r["actual"])
    assert math.isnan(r["gap"])
    assert math.isnan(r["attainment"])
    assert r["expected"] == 80


def test_scorecard_has_exactly_the_contract_columns() -> None:
    sc = review.scorecard(up_line(80))
    assert list(sc.columns) == ["objective_id", "metric_id", "period", "actual", "expected", "gap", "status",
                                "attainment"]
    assert list(review.objective_scores(up_line(80)).columns) == ["objective_id", "score"]


def test_demo_client_matches_its_readme_table() -> None:
    eng = load_engagement("clients/demo-harbor")
    sc = review.scorecard(eng)
    counts = sc["status"].value_counts().to_dict()
    assert counts == {"green": 15, "amber": 11, "red": 2, "no-data": 1}
    row = sc.set_index(["objective_id", "metric_id"]).loc[("OBJ-08", "M-RN-VAC")]
    assert row["expected"] == pytest.approx(8.41667, abs=1e-4)
    assert row["gap"] == pytest.approx(-1.48333, abs=1e-4)
    assert row["status"] == "red"
    assert sc.set_index("metric_id").loc["M-ENGAGE", "period"] == "2025"


# -- roll-up -----------------------------------------------------------------------

def rollup_engagement(extra: list[float] | None = None, direction: str = "up") -> Engagement:
    """O1 (P1) has KPIs a (weight 2, attainment 0.5), b (1.0) and children O2 (0.2) and O3 (no data).

    O1 = (2 * 0.5 + 1 * 1.0 + 0.2) / (2 + 1 + 1) = 0.55. O4 (P2) has nothing: no score.
    ``extra`` adds a metric MX with those actuals that no KPI uses.
    """
    objectives = [obj("O1", pillar="P1"), obj("O2", parent="O1", unit="U-A"), obj("O3", parent="O1", unit="U-A"),
                  obj("O4", pillar="P2", unit="U-B")]
    metrics = [metric("MA"), metric("MB"), metric("MC"), metric("MD")]
    kpis = [kpi("O1", "MA", 100, "2026-Q4", baseline=0, baseline_period="2025-Q4", weight=2),
            kpi("O1", "MB", 10, "2026-Q4"),
            kpi("O2", "MC", 100, "2026-Q4", baseline=0, baseline_period="2025-Q4"),
            kpi("O3", "MD", 10, "2026-Q4")]
    acts = [("MA", "2026-Q2", 50.0), ("MB", "2026-Q2", 12.0), ("MC", "2026-Q2", 20.0)]
    if extra is not None:
        metrics.append(metric("MX", direction=direction))
        acts += [("MX", p, v) for p, v in zip(["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"], extra, strict=False)]
    return make(kpis, metrics, acts, objectives=objectives)


def test_objective_score_rolls_up_kpis_and_children() -> None:
    s = review.objective_scores(rollup_engagement()).set_index("objective_id")["score"]
    assert s["O2"] == pytest.approx(0.2)
    assert math.isnan(s["O3"])          # its only KPI has no data
    assert s["O1"] == pytest.approx(0.55)
    assert math.isnan(s["O4"])          # no inputs at all = no score


def test_rollup_by_pillar_and_unit() -> None:
    eng = rollup_engagement()
    by_p = review.rollup(eng, "pillar").set_index("id")
    assert by_p.loc["P1", "score"] == pytest.approx(0.55)    # only O1 is a top objective of P1
    assert by_p.loc["P1", "n_objectives"] == 3               # O2, O3 inherit P1
    assert (by_p.loc["P1", "n_kpis"], by_p.loc["P1", "green"], by_p.loc["P1", "no-data"]) == (4, 2, 1)
    assert math.isnan(by_p.loc["P2", "score"])
    by_u = review.rollup(eng, "org_unit").set_index("id")
    assert by_u.loc["U-A", "score"] == pytest.approx(0.2)    # mean of O2 (0.2); O3 has no score
    assert by_u.loc["U-ROOT", "score"] == pytest.approx(0.55)
    assert by_u.loc["U-A1", "n_objectives"] == 0
    with pytest.raises(ValueError, match="pillar"):
        review.rollup(eng, "team")  # type: ignore[arg-type]


# -- trend, forecast, changes, suggestions -----------------------------------------

def history(values: list[float], direction: str = "up", target: float = 100, target_period: str = "2026-Q4",
            **extra: Any) -> Engagement:
    periods = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"][-len(values):]
    return make([kpi("O1", "M1", target, target_period, **extra)], [metric("M1", direction=direction)],
                list(zip(["M1"] * len(values), periods, values, strict=True)))


def test_trend_is_polarity_aware() -> None:
    assert one(history([10, 8, 6, 4], direction="down", target=1))["trend"] == "improving"
    assert one(history([4, 6, 8, 10], direction="down", target=1))["trend"] == "worsening"
    assert one(history([4, 6, 8, 10], direction="up"))["trend"] == "improving"
    assert one(history([50, 50.1, 50, 50.1], direction="up"))["trend"] == "flat"   # < 1% of |target| per quarter
    assert one(history([50]))["trend"] == ""


def test_forecast_is_a_line_through_the_last_actuals() -> None:
    r = one(history([10, 20, 30, 40], target=90))   # 2025-Q3..2026-Q2, +10 a quarter
    assert r["trend_slope"] == pytest.approx(10)
    assert r["forecast"] == pytest.approx(60)          # 2026-Q4 is 2 quarters after 2026-Q2
    assert r["will_meet_target"] is False or r["will_meet_target"] == False  # noqa: E712
    r2 = one(history([10, 20, 30, 40], target=60))
    assert bool(r2["will_meet_target"]) is True
    short = one(history([10, 20]))
    assert math.isnan(short["forecast"])               # fewer than 3 actuals


def test_status_change_since_previous_review() -> None:
    eng = make([kpi("O1", "M1", 100, "2026-Q4", baseline=60, baseline_period="2025-Q4")], [metric("M1")],
               [("M1", "2026-Q1", 70), ("M1", "2026-Q2", 70)])   # Q1 expected 70 green; Q2 expected 80 red
    ch = review.changes_since_previous(eng)
    assert len(ch) == 1
    c = ch.iloc[0]
    assert (c["previous_period"], c["period"], c["previous_status"], c["status"], c["change"]) == \
        ("2026-Q1", "2026-Q2", "green", "red", "new red")
    assert "O1/M1" in c["message"]
    assert "green in 2026-Q1 to red in 2026-Q2" in c["message"]
    assert one(eng)["status_change"] == "new red"


def test_previous_review_period_follows_the_cadence() -> None:
    eng = up_line(80)
    assert str(review.previous_review_period(eng, "2026-Q3")) == "2026-Q2"
    assert str(review.previous_review_period(eng, "2026-09")) == "2026-06"
    assert str(review.previous_review_period(eng, "2026")) == "2026-09"
    eng.config.review_cadence = "monthly"
    assert str(review.previous_review_period(eng, "2026-Q3")) == "2026-08"


def test_suggestions_name_their_reason() -> None:
    objectives = [obj("O1", pillar="P1")]
    metrics = [metric("MET"), metric("MRED"), metric("MSTALE"), metric("MUNUSED", name="Unused thing")]
    kpis = [kpi("O1", "MET", 50, "2027-Q4", stretch=60),
            kpi("O1", "MRED", 100, "2027-Q4"),
            kpi("O1", "MSTALE", 100, "2027-Q4")]
    acts = [("MET", "2026-Q2", 55), ("MRED", "2025-Q4", 10), ("MRED", "2026-Q1", 10), ("MRED", "2026-Q2", 10),
            ("MSTALE", "2025-Q3", 90)]
    sg = review.suggestions(make(kpis, metrics, acts, objectives=objectives))
    kinds = dict(zip(sg["item_id"], sg["kind"], strict=True))
    assert kinds == {"O1/MET": "raise-or-retire", "O1/MRED": "review-target-or-initiative",
                     "O1/MSTALE": "fix-data-feed", "MUNUSED": "drop-metric"}
    reasons = dict(zip(sg["item_id"], sg["reason"], strict=True))
    assert "55" in reasons["O1/MET"]
    assert "2027-Q4" in reasons["O1/MET"]
    assert "stretch target is 60" in sg.set_index("item_id").loc["O1/MET", "suggestion"]
    assert "3 quarters" in reasons["O1/MRED"]
    assert "2025-Q3" in reasons["O1/MSTALE"]
    assert "Unused thing" in reasons["MUNUSED"]


def test_two_reds_are_not_yet_a_run() -> None:
    eng = make([kpi("O1", "M1", 100, "2027-Q4")], [metric("M1")], [("M1", "2026-Q1", 10), ("M1", "2026-Q2", 10)])
    assert "review-target-or-initiative" not in set(review.suggestions(eng)["kind"])


def test_findings_stale_and_off_track_say_why() -> None:
    eng = make([kpi("O1", "M1", 100, "2026-Q4", baseline=60, baseline_period="2025-Q4"), kpi("O1", "M2", 5, "2026-Q4")],
               [metric("M1", name="Beds open"), metric("M2", name="Clinics")],
               [("M1", "2026-Q2", 70), ("M2", "2025-Q4", 4)])
    fs = {f.code: f for f in review.findings(eng)}
    off = fs["KPI_OFF_TRACK"]
    assert off.item_id == "O1/M1"
    for text in ("Beds open", "red in 2026-Q2", "70%", "expected 80%", "10 percentage points short", "4 percentage points"):
        assert text in off.message
    stale = fs["KPI_STALE"]
    assert stale.item_id == "O1/M2"
    assert "no actual for 2026-Q2" in stale.message
    assert "2025-Q4" in stale.message


def test_no_review_period_means_no_review_findings() -> None:
    eng = make([kpi("O1", "M1", 100, "2026-Q4")], [metric("M1")], [])
    eng.config.current_period = None
    assert review.findings(eng) == []
    assert review.scorecard(eng)["status"].tolist() == ["no-data"]


def test_trajectory_covers_baseline_to_target() -> None:
    t = review.trajectory(history([62, 66, 70, 74], target=100, baseline=60, baseline_period="2025-Q2"), "O1", "M1")
    assert t["period"].iloc[0] == "2025-Q2"
    assert t["period"].iloc[-1] == "2026-Q4"
    assert t.set_index("period").loc["2026-Q4", "expected"] == 100
    assert t.set_index("period").loc["2026-Q4", "forecast"] == pytest.approx(82)
    with pytest.raises(KeyError, match="O9/M1"):
        review.trajectory(up_line(80), "O9", "M1")


# -- properties --------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 3))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=finite, baseline=st.one_of(st.none(), finite), actual=finite, direction=st.sampled_from(["up", "down"]))
def test_attainment_is_always_between_0_and_1(target: float, baseline: float | None, actual: float,
                                              direction: str) -> None:
    extra = {"baseline": baseline, "baseline_period": "2025-Q4"} if baseline is not None else {}
    eng = make([kpi("O1", "M1", target, "2026-Q4", **extra)], [metric("M1", direction=direction)],
               [("M1", "2026-Q2", actual)])
    att = review.scorecard(eng)["attainment"].iloc[0]
    assert 0.0 <= att <= 1.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=finite, baseline=st.one_of(st.none(), finite), actual=finite, direction=st.sampled_from(["up", "down"]),
       tolerance=st.sampled_from([0.0, 0.05, 0.1, 0.25]))
def test_mirroring_a_kpi_keeps_its_status(target: float, baseline: float | None, actual: float, direction: str,
                                          tolerance: float) -> None:
    def status(sign: float, d: str) -> pd.Series:
        extra = {"baseline": sign * baseline, "baseline_period": "2025-Q4"} if baseline is not None else {}
        eng = make([kpi("O1", "M1", sign * target, "2026-Q4", **extra)], [metric("M1", direction=d)],
                   [("M1", "2026-Q2", sign * actual)], tolerance=tolerance)
        row: pd.Series = review.scorecard(eng).iloc[0]
        return row

    flipped = "down" if direction == "up" else "up"
    a, b = status(1.0, direction), status(-1.0, flipped)
    assert a["status"] == b["status"]
    assert a["gap"] == pytest.approx(b["gap"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(finite, min_size=1, max_size=4), direction=st.sampled_from(["up", "down"]))
def test_an_irrelevant_metric_changes_no_score(values: list[float], direction: str) -> None:
    eng, extra = rollup_engagement(), rollup_engagement(values, direction)
    pd.testing.assert_frame_equal(review.objective_scores(eng), review.objective_scores(extra))
    pd.testing.assert_frame_equal(review.rollup(eng), review.rollup(extra))
    pd.testing.assert_frame_equal(review.scorecard(eng), review.scorecard(extra))


# -- the hand-computed fixture folder (tests/fixtures/review_mixed_frequencies/README.md) ----

MIXED = "tests/fixtures/review_mixed_frequencies"


def test_fixture_folder_matches_its_hand_computed_table() -> None:
    eng = load_engagement(MIXED)
    sc = review.scorecard(eng).set_index("metric_id")
    assert sc["period"].to_dict() == {"MQ": "2026-Q2", "MA": "2025", "MM": "2026-06", "MT": "2026-Q2"}
    assert sc["status"].to_dict() == {"MQ": "amber", "MA": "green", "MM": "red", "MT": "no-data"}
    assert sc.loc["MQ", "expected"] == 80
    assert sc.loc["MA", "expected"] == pytest.approx(3.6 + 0.4 / 3)
    assert sc.loc["MM", "expected"] == pytest.approx(13)
    assert sc.loc["MM", "gap"] == pytest.approx(-1.5)
    assert sc["attainment"].drop("MT").to_dict() == pytest.approx({"MQ": 0.45, "MA": 0.5, "MM": 0.55})
    scores = review.objective_scores(eng).set_index("objective_id")["score"]
    assert scores.to_dict() == pytest.approx({"O1": 0.4875, "O2": 0.55})
    earlier = review.scorecard(eng, "2026-05").set_index("metric_id")
    assert earlier.loc["MQ", ["period", "status"]].tolist() == ["2026-Q1", "green"]
    assert earlier.loc["MM", ["period", "gap", "status"]].tolist() == ["2026-05", 0, "green"]
    ch = review.changes_since_previous(eng)
    assert ch[["metric_id", "previous_status", "status", "change"]].values.tolist() == [
        ["MM", "green", "red", "new red"], ["MQ", "green", "amber", "worse"], ["MT", "red", "no-data", "data missing"]]
    mine = {(f.code, f.item_id) for f in review.findings(eng)}
    assert mine == {("KPI_OFF_TRACK", "O2/MM"), ("KPI_STALE", "O2/MT")}


def test_engine_functions_are_pure() -> None:
    """Nothing in the review or targets modules changes the engagement it reads."""
    from kpikit.engine import all_findings, targets

    eng = load_engagement(MIXED)
    before = {k: v.copy() for k, v in eng.tables.items()}
    config = eng.config.model_dump()
    review.scorecard_detail(eng)
    review.rollup(eng, "org_unit")
    review.suggestions(eng)
    review.changes_since_previous(eng, "2026-05")
    review.trajectories(eng)
    targets.realism(eng)
    targets.suggest_target(eng, "O1", "MQ")
    all_findings(eng)
    for name, df in before.items():
        pd.testing.assert_frame_equal(df, eng.tables[name])
    assert eng.config.model_dump() == config
    assert eng.changed_tables() == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actuals=st.lists(st.one_of(st.none(), finite), min_size=4, max_size=4),
       weights=st.lists(st.sampled_from([0.5, 1.0, 3.0]), min_size=4, max_size=4))
def test_objective_scores_stay_between_0_and_1(actuals: list[float | None], weights: list[float]) -> None:
    objectives = [obj("O1", pillar="P1"), obj("O2", parent="O1"), obj("O3", parent="O2")]
    metrics = [metric(f"M{i}", direction="down" if i % 2 else "up") for i in range(4)]
    owners = ["O1", "O1", "O2", "O3"]
    kpis = [kpi(owners[i], f"M{i}", 50, "2026-Q4", weight=weights[i],
                **({"baseline": 10, "baseline_period": "2025-Q4"} if i < 2 else {})) for i in range(4)]
    acts = [(f"M{i}", "2026-Q2", v) for i, v in enumerate(actuals) if v is not None]
    s = review.objective_scores(make(kpis, metrics, acts, objectives=objectives))["score"]
    assert ((s >= 0) & (s <= 1) | s.isna()).all()
    assert s.notna().any() == any(v is not None for v in actuals)


def test_overall_score_is_the_mean_of_scored_pillars() -> None:
    import math

    import pandas as pd

    from kpikit.engine.review import overall_score

    by_pillar = pd.DataFrame({"pillar_id": ["P1", "P2", "P3"], "score": [0.5, 1.0, float("nan")]})
    assert overall_score(by_pillar) == 0.75  # P3 has no data yet and is left out
    assert math.isnan(overall_score(by_pillar.iloc[2:]))


def test_a_review_of_an_earlier_period_does_not_quote_later_actuals() -> None:
    # re-running the 2025-Q3 review after 2026 data arrived: the stale KPI's latest actual is 2025-Q1
    eng = make([kpi("O1", "M1", 90, "2027-Q2"), kpi("O1", "M2", 90, "2027-Q2")], [metric("M1"), metric("M2")],
               [("M1", "2025-Q1", 50), ("M1", "2026-Q2", 60), ("M2", "2026-Q1", 70)])
    stale = {f.item_id: f.message for f in review.findings(eng, "2025-Q3") if f.code == "KPI_STALE"}
    assert "the latest is 2025-Q1 (50%)" in stale["O1/M1"]
    assert "2026" not in stale["O1/M1"]
    assert "no actual up to this period" in stale["O1/M2"]  # it has actuals, but only later ones
    feed = review.suggestions(eng, "2025-Q3").set_index("item_id")["reason"]
    assert feed["O1/M1"] == "No actual for 2025-Q3; the latest actual is for 2025-Q1."
    assert feed["O1/M2"] == "No actual for 2025-Q3; it has no actual up to this period."
    # reviewed now, the latest is the latest
    assert "the latest is 2026-Q2 (60%)" in next(f.message for f in review.findings(eng, "2026-Q3")
                                                  if f.item_id == "O1/M1" and f.code == "KPI_STALE")
