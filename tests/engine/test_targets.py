"""Measurability, target realism and suggested targets (kpikit.engine.targets)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from enginebuild import build, kpi, metric, obj

from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement
from kpikit.engine import targets

QUARTERS = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]


def make(kpis: list[dict[str, Any]], metrics: list[dict[str, Any]],
         actuals: Sequence[tuple[str, str, float]], current: str = "2026-Q2") -> Engagement:
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=metrics, kpis=kpis,
                actuals=[{"metric_id": m, "period": p, "value": v} for m, p, v in actuals])
    eng.config.current_period = current
    return eng


def steady(step: float, target: float, target_period: str = "2027-Q2", direction: str = "up",
           start: float = 50, **extra: Any) -> Engagement:
    """Six quarterly actuals 2025-Q1..2026-Q2 that move by ``step`` each quarter."""
    acts = [("M1", p, start + i * step) for i, p in enumerate(QUARTERS)]
    return make([kpi("O1", "M1", target, target_period, **extra)], [metric("M1", direction=direction)], acts)


def verdict(eng: Engagement) -> dict[str, Any]:
    r = targets.realism(eng)
    assert len(r) == 1
    return {str(c): r[c].iloc[0] for c in r.columns}


def test_realism_has_the_columns_part_a_relies_on() -> None:
    r = targets.realism(steady(1, 60))
    assert list(r.columns[:4]) == ["objective_id", "metric_id", "realistic", "reason"]


def test_a_pace_the_metric_has_shown_is_realistic() -> None:
    # latest 55 (2026-Q2); 60 by 2027-Q2 is 4 quarters: 1.25 a quarter; history did 1 a quarter (x1.25 headroom)
    v = verdict(steady(1, 60))
    assert v["required_pace"] == pytest.approx(1.25)
    assert v["best_pace"] == pytest.approx(1.0)
    assert v["realistic"] is True
    assert "within the 25% headroom" in v["reason"]


def test_a_pace_beyond_history_is_unrealistic() -> None:
    v = verdict(steady(1, 65))       # needs 2.5 a quarter, best is 1
    assert v["realistic"] is False
    assert v["pace_window"] == 4
    for text in ("O1/M1", "65%", "2027-Q2", "2.5 percentage points better per quarter", "best it ever did was 1 "):
        assert text in v["reason"]
    f = targets.findings(steady(1, 65))
    assert [x.code for x in f] == ["KPI_TARGET_UNREALISTIC"]
    assert f[0].item_id == "O1/M1"


def test_realism_is_polarity_aware() -> None:
    # lower is better and the metric fell by 1 a quarter: 50 -> 45; 41 by 2027-Q2 needs 1 a quarter
    assert verdict(steady(-1, 41, direction="down"))["realistic"] is True
    # the same numbers read as "higher is better": it never improved
    v = verdict(steady(-1, 49, direction="up"))
    assert v["realistic"] is False
    assert "never improved" in v["reason"]


def test_a_target_better_than_its_benchmark_is_unrealistic() -> None:
    v = verdict(steady(1, 58, benchmark=57, benchmark_source="Peer survey 2025"))
    assert bool(v["beyond_benchmark"])
    assert v["realistic"] is False
    assert "benchmark 57%" in v["reason"]
    assert "Peer survey 2025" in v["reason"]
    # lower is better: a target below the benchmark asks for more than peers do
    assert verdict(steady(-1, 44, direction="down", benchmark=44.5))["realistic"] is False
    assert verdict(steady(-1, 44, direction="down", benchmark=43))["realistic"] is True


def test_too_little_history_is_not_judged() -> None:
    eng = make([kpi("O1", "M1", 90, "2027-Q2")], [metric("M1")], [("M1", "2026-Q1", 50), ("M1", "2026-Q2", 55)])
    v = verdict(eng)
    assert v["realistic"] is pd.NA
    assert "too little history" in v["reason"]
    assert targets.findings(eng) == []


def test_start_is_the_baseline_when_there_are_no_later_actuals() -> None:
    eng = make([kpi("O1", "M1", 90, "2027-Q2", baseline=70, baseline_period="2026-Q2")], [metric("M1")], [])
    v = verdict(eng)
    assert (v["start_period"], v["start_value"], v["periods_left"]) == ("2026-Q2", 70, 4)
    assert v["required_pace"] == pytest.approx(5)
    assert v["realistic"] is pd.NA


def test_a_target_already_reached_is_realistic_and_a_missed_one_is_not() -> None:
    assert verdict(steady(1, 54))["realistic"] is True
    passed = verdict(steady(1, 70, target_period="2026-Q1"))
    assert passed["realistic"] is False
    assert "has passed" in passed["reason"]


def test_periods_left_count_from_the_review_when_the_latest_actual_is_older() -> None:
    # actuals stop at 2025-Q4 (70); reviewed in 2026-Q2 the 2026-Q1 target (90) has passed, even though
    # one quarter at the pace the history shows (+20) would have reached it from the latest actual
    acts = [("M1", p, v) for p, v in zip(QUARTERS[:4], [50, 70, 50, 70], strict=True)]
    v = verdict(make([kpi("O1", "M1", 90, "2026-Q1")], [metric("M1")], acts))
    assert v["realistic"] is False
    assert "the target period 2026-Q1 has passed" in v["reason"]
    # a later target: 2 quarters left from the 2026-Q2 review, not 4 from the stale 2025-Q4 actual
    late = verdict(make([kpi("O1", "M1", 90, "2026-Q4")], [metric("M1")], acts))
    assert late["periods_left"] == 2
    assert "for 2 quarters" in late["reason"]


def test_review_period_bounds_the_history() -> None:
    # reviewed in 2025-Q4 the latest actual is 53, not 55
    v = targets.realism(steady(1, 60), period="2025-Q4").iloc[0].to_dict()
    assert v["start_value"] == 53
    assert v["n_history"] == 4


def test_best_pace_uses_windows_of_the_needed_length() -> None:
    hist = np.array([0.0, 5.0, 5.0, 5.0, 6.0])
    assert targets.best_pace(hist, 1) == (5.0, 1)
    assert targets.best_pace(hist, 4) == (1.5, 4)
    assert targets.best_pace(hist, 10) == (1.5, 4)   # longest window available
    gaps = np.array([1.0, np.nan, 3.0])
    assert math.isnan(targets.best_pace(gaps, 1)[0])   # no two consecutive actuals
    assert targets.best_pace(gaps, 2) == (1.0, 2)


def test_measurability_and_missing_data_source() -> None:
    eng = make([kpi("O1", "M1", 90, "2027-Q2"), kpi("O1", "M2", 90, "2027-Q2")],
               [metric("M1", source="", unit=""), metric("M2", name="Beds")], [("M2", "2026-Q1", 1)])
    m = targets.measurability(eng).set_index("metric_id")
    assert not m.loc["M1", "has_data_source"]
    assert not m.loc["M1", "has_unit"]
    assert not m.loc["M1", "measurable"]
    assert m.loc["M2", "measurable"]
    assert m.loc["M2", "n_actuals"] == 1
    assert m.loc["M2", "last_period"] == "2026-Q1"
    f = [x for x in targets.findings(eng) if x.code == "KPI_NO_DATA_SOURCE"]
    assert [x.item_id for x in f] == ["O1/M1"]
    assert "no data_source" in f[0].message
    assert "no unit" in f[0].message


@pytest.mark.parametrize(("direction", "baseline", "benchmark", "expected"), [
    ("up", 60, 80, 70.0),
    ("down", 40, 20, 30.0),
    ("up", 90, 80, 90.0),        # already beyond the benchmark: keep it
])
def test_suggest_target_closes_half_the_gap(direction: str, baseline: float, benchmark: float,
                                            expected: float) -> None:
    eng = make([kpi("O1", "M1", 1, "2027-Q2", baseline=baseline, baseline_period="2025-Q4", benchmark=benchmark)],
               [metric("M1", direction=direction)], [])
    assert targets.suggest_target(eng, "O1", "M1") == pytest.approx(expected)


def test_suggest_target_for_an_unselected_pairing() -> None:
    # M2 is not selected for O1; its latest actual and a benchmark given elsewhere are used
    eng = build(objectives=[obj("O1", pillar="P1"), obj("O2", pillar="P1")],
                metrics=[metric("M2")], kpis=[kpi("O2", "M2", 1, "2027-Q2", benchmark=100)],
                actuals=[{"metric_id": "M2", "period": "2026-Q1", "value": 40}])
    before = eng.kpis.copy()
    assert targets.suggest_target(eng, "O1", "M2") == pytest.approx(70)
    pd.testing.assert_frame_equal(before, eng.kpis)   # nothing is written
    assert targets.suggest_target(eng, "O1", "NOPE") is None
    no_bench = make([kpi("O1", "M1", 1, "2027-Q2", baseline=1, baseline_period="2025-Q4")], [metric("M1")], [])
    assert targets.suggest_target(no_bench, "O1", "M1") is None


def test_method_is_written_down() -> None:
    assert "25%" in targets.METHOD
    assert str(targets.MIN_HISTORY) in targets.METHOD
    assert "benchmark" in targets.METHOD


def test_demo_client_has_one_unrealistic_target() -> None:
    eng = load_engagement("clients/demo-harbor")
    r = targets.realism(eng)
    bad = r[r["realistic"].eq(False).fillna(False).astype(bool)]
    assert list(zip(bad["objective_id"], bad["metric_id"], strict=True)) == [("OBJ-05", "M-PX-TOPBOX")]
    assert r.set_index("metric_id")["realistic"]["M-ENGAGE"] is pd.NA       # 3 annual actuals: too little history


def test_a_stretch_below_the_target_is_pointed_out() -> None:
    v = verdict(steady(1, 60, stretch=58))
    assert "stretch 58% is less ambitious than the target 60%" in v["reason"]
    assert "less ambitious" not in verdict(steady(1, 60, stretch=62))["reason"]
    assert "less ambitious" not in verdict(steady(-1, 41, direction="down", stretch=40))["reason"]


def test_fixture_folder_realism_matches_its_readme() -> None:
    eng = load_engagement("tests/fixtures/review_mixed_frequencies")
    r = targets.realism(eng).set_index("metric_id")
    assert r.loc["MM", "required_pace"] == pytest.approx(1.5)
    assert r.loc["MM", "best_pace"] == pytest.approx(3.5 / 3)
    assert r["realistic"]["MM"] is False
    assert r["realistic"]["MQ"] is True
    assert r["realistic"]["MA"] is pd.NA
    assert r["realistic"]["MT"] is pd.NA
    assert [(f.code, f.item_id) for f in targets.findings(eng)] == [("KPI_TARGET_UNREALISTIC", "O2/MM")]
