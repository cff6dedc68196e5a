"""The plan model in the engine: milestones, fiscal years and measurement cadence (issue 11).

Contract: engagement-format.md, "milestones.csv", "Fiscal years" and "Status, attainment and
roll-up" (expected(p) through the points; measured every n periods). Every number below is
worked out by hand in the comment beside it. The last tests check that the plan model
changes nothing for an engagement that does not use it: with no milestones, fiscal_year_start
1 and measured_every 1, every result of 40 generated engagements at 4 review periods hashes as
the engine before the plan model gave it (``tests/fixtures/plan_model_golden.json``, recorded
from commit 0eeb8b2; its README.md says how to re-record).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from enginebuild import build, kpi, metric, obj

from kpikit.data.model import Engagement
from kpikit.engine import frames, review, smart, targets
from kpikit.engine.findings import Finding
from kpikit.periods import FREQUENCIES, Period

Acts = Sequence[tuple[str, str, float]]


def make(
    kpis: list[dict[str, Any]],
    metrics: list[dict[str, Any]],
    actuals: Acts = (),
    milestones: Sequence[tuple[str, str, str, float]] | None = None,
    current: str = "2026",
    fiscal: int | None = None,
    objectives: list[dict[str, str]] | None = None,
    cadence: str = "annual",
) -> Engagement:
    """One objective O1 (unless given) with the KPIs, metrics, actuals and milestones, through the validator."""
    extra: dict[str, Any] = {"current_period": current, "review_cadence": cadence}
    if fiscal is not None:
        extra["fiscal_year_start"] = fiscal
    return build(
        objectives=objectives or [obj("O1", pillar="P1")],
        metrics=metrics,
        kpis=kpis,
        actuals=[{"metric_id": m, "period": p, "value": v} for m, p, v in actuals],
        milestones=None if milestones is None else [
            {"objective_id": o, "metric_id": m, "period": p, "target": t} for o, m, p, t in milestones],
        settings=extra,
    )


def row(eng: Engagement, period: str | None = None) -> dict[str, Any]:
    d = review.scorecard_detail(eng, period)
    assert len(d) == 1
    return {str(k): v for k, v in d.iloc[0].to_dict().items()}


def codes(eng: Engagement, period: str | None = None) -> list[str]:
    return [f.code for f in review.findings(eng, period)]


# -- expected(p) through the points ---------------------------------------------------

def plan(actuals: Acts = (), current: str = "2026", with_milestones: bool = True, **extra: Any) -> Engagement:
    """Baseline 80 (2025), milestones 80.5 (2026) and 89 (2027), target 92 (2030); annual, up.

    Tolerance 0.10 * |92 - 80| = 1.2. The straight line from baseline to target alone would
    expect 80 + 12 / 5 = 82.4 in 2026.
    """
    return make([kpi("O1", "M1", 92, "2030", baseline=80, baseline_period="2025")],
                [metric("M1", frequency="annual")], actuals,
                [("O1", "M1", "2026", 80.5), ("O1", "M1", "2027", 89)] if with_milestones else None,
                current=current, **extra)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2024", 80.0),   # before the baseline: held at the first point
        ("2025", 80.0),   # the baseline
        ("2026", 80.5),   # the first milestone
        ("2027", 89.0),   # the second milestone
        ("2028", 90.0),   # 89 + (92 - 89) * 1/3
        ("2029", 91.0),   # 89 + (92 - 89) * 2/3
        ("2030", 92.0),   # the target
        ("2032", 92.0),   # after the target period: held at the target
    ],
)
def test_expected_runs_through_baseline_milestones_and_target(period: str, expected: float) -> None:
    assert row(plan(current=period))["expected"] == pytest.approx(expected, abs=1e-12)


def test_the_plans_own_number_is_green_where_the_straight_line_calls_it_red() -> None:
    with_plan = row(plan([("M1", "2026", 80.5)]))
    straight = row(plan([("M1", "2026", 80.5)], with_milestones=False))

    assert (with_plan["status"], with_plan["gap"]) == ("green", 0.0)
    assert straight["expected"] == pytest.approx(82.4)  # gap -1.9 beyond the tolerance 1.2
    assert straight["status"] == "red"


def test_milestones_do_not_change_the_tolerance_or_the_attainment() -> None:
    r = row(plan([("M1", "2028", 88.9)], current="2028"))  # expected 90, gap -1.1, tolerance 1.2

    assert r["tolerance"] == pytest.approx(1.2)
    assert r["status"] == "amber"
    assert r["attainment"] == pytest.approx((88.9 - 80) / (92 - 80))
    assert row(plan([("M1", "2028", 88.7)], current="2028"))["status"] == "red"  # gap -1.3


def test_without_a_baseline_the_first_milestone_is_held_before_it() -> None:
    eng = make([kpi("O1", "M1", 92, "2030")], [metric("M1", frequency="annual")],
               [("M1", "2026", 87)], [("O1", "M1", "2027", 88)], current="2026")
    r = row(eng)

    assert r["expected"] == 88.0
    assert r["tolerance"] == pytest.approx(9.2)  # 0.10 * |92|
    assert r["status"] == "amber"                # gap -1
    assert row(eng, "2028")["expected"] == pytest.approx(88 + 4 / 3)


def test_a_down_kpi_follows_its_milestones_per_quarter() -> None:
    # down: baseline 40 (2025-Q4), milestone 38 (2026-Q2), target 20 (2027-Q4)
    eng = make([kpi("O1", "M1", 20, "2027-Q4", baseline=40, baseline_period="2025-Q4")],
               [metric("M1", direction="down")], [("M1", "2026-Q1", 39.5), ("M1", "2026-Q3", 35)],
               [("O1", "M1", "2026-Q2", 38)], current="2026-Q1", cadence="quarterly")

    q1 = row(eng)
    assert q1["expected"] == pytest.approx(39.0)            # halfway from 40 to 38
    assert (q1["gap"], q1["status"]) == (pytest.approx(-0.5), "amber")  # tolerance 0.10 * 20 = 2
    q3 = row(eng, "2026-Q3")
    assert q3["expected"] == pytest.approx(38 - 18 / 6)     # 35.0, one of six quarters to 2027-Q4
    assert q3["status"] == "green"


def test_off_track_message_names_the_plans_points_around_the_period() -> None:
    eng = plan([("M1", "2028", 85)], current="2028")
    (off,) = [f for f in review.findings(eng) if f.code == "KPI_OFF_TRACK"]

    assert "actual 85% vs expected 90% on the plan's line from milestone 89% (2027) to target 92% (2030)" in off.message


def test_the_trajectory_and_the_chart_data_follow_the_milestones() -> None:
    traj = review.trajectory(plan([("M1", "2026", 80.5)]), "O1", "M1")
    by_period = dict(zip(traj["period"], traj["expected"], strict=True))

    assert by_period["2026"] == pytest.approx(80.5)
    assert by_period["2027"] == pytest.approx(89)
    assert by_period["2029"] == pytest.approx(91)


# -- measured every n periods -----------------------------------------------------------

def survey(actuals: Acts, current: str) -> Engagement:
    """A biennial survey: annual, measured every 2 years; threshold target 70 (2030), tolerance 7."""
    return make([kpi("O1", "M1", 70, "2030")], [metric("M1", frequency="annual", every=2)], actuals, current=current)


def test_a_biennial_survey_is_reviewed_on_its_latest_actual_within_the_cadence() -> None:
    eng = survey([("M1", "2024", 64), ("M1", "2026", 71)], "2027")
    r = row(eng)

    assert (r["period"], r["actual"], r["status"]) == ("2026", 71.0, "green")
    assert review.scorecard(eng)["period"].tolist() == ["2026"]
    assert "KPI_STALE" not in codes(eng)
    assert "fix-data-feed" not in set(review.suggestions(eng)["kind"])
    assert r["status_change"] == "unchanged"  # the previous review (2026) saw the same survey
    assert (row(eng, "2025")["period"], row(eng, "2025")["status"]) == ("2024", "amber")  # 64: gap -6


def test_a_survey_missing_beyond_its_cadence_is_stale_naming_the_window() -> None:
    eng = survey([("M1", "2024", 64), ("M1", "2026", 71)], "2028")
    r = row(eng)

    assert (r["period"], r["status"]) == ("2028", "no-data")
    (stale,) = [f for f in review.findings(eng) if f.code == "KPI_STALE"]
    assert "has no actual for 2027 to 2028 (it is measured every 2 years)" in stale.message
    assert "the latest is 2026 (71%)" in stale.message
    sugg = review.suggestions(eng)
    assert "No actual for 2027 to 2028 (it is measured every 2 years)" in sugg[sugg["kind"] == "fix-data-feed"]["reason"].iloc[0]


def test_a_cadence_of_one_is_every_period() -> None:
    eng = make([kpi("O1", "M1", 70, "2030")], [metric("M1", frequency="annual", every=1)],
               [("M1", "2026", 71)], current="2027")

    assert (row(eng)["period"], row(eng)["status"]) == ("2027", "no-data")
    assert codes(eng) == ["KPI_STALE"]


def test_objective_scores_use_the_reviewed_measurement() -> None:
    eng = survey([("M1", "2026", 63)], "2027")  # threshold: 63 / 70 = 0.9

    assert review.objective_scores(eng)["score"].tolist() == [pytest.approx(0.9)]


def test_three_red_measurements_of_a_survey_count_as_a_red_run() -> None:
    eng = survey([("M1", "2022", 50), ("M1", "2024", 55), ("M1", "2026", 60)], "2027")  # all red (tolerance 7)

    reds = review.suggestions(eng)
    reason = reds[reds["kind"] == "review-target-or-initiative"]["reason"].tolist()
    assert reason == ["Red for 3 measurements (every 2 years) in a row up to 2026 (now 60% vs 70% expected)."]


# -- fiscal years in every comparison ---------------------------------------------------

def test_a_monthly_review_maps_onto_the_fiscal_year_it_closes() -> None:
    eng = make([kpi("O1", "M1", 70, "2030")], [metric("M1", frequency="annual")], [("M1", "2026", 66)],
               current="2026-06", fiscal=7, cadence="monthly")

    assert row(eng)["period"] == "2026"  # June 2026 closes the school year 2026
    assert row(eng, "2026-05")["period"] == "2025"
    calendar = make([kpi("O1", "M1", 70, "2030")], [metric("M1", frequency="annual")], [("M1", "2026", 66)],
                    current="2026-06", cadence="monthly")
    assert row(calendar)["period"] == "2025"


def test_fiscal_quarters_and_years_line_up() -> None:
    metrics = [metric("MQ"), metric("MA", frequency="annual")]
    eng = make([kpi("O1", "MQ", 90, "2027-Q4"), kpi("O1", "MA", 90, "2027")], metrics, current="2026-Q4", fiscal=7)

    assert review.scorecard(eng)["period"].tolist() == ["2026-Q4", "2026"]
    assert frames.kpi_periods(eng, frames.selected_kpis(eng), "2027-Q1").tolist() == [Period.parse("2027-Q1").ordinal, 2026]


def test_due_dates_compare_with_fiscal_period_ends() -> None:
    objectives = [obj("O1", pillar="P1", due="2030-06-30")]
    kpis = [kpi("O1", "MA", 90, "2030"), kpi("O1", "MQ", 90, "2030-Q4")]
    metrics = [metric("MA", frequency="annual"), metric("MQ")]

    fiscal = make(kpis, metrics, fiscal=7, objectives=objectives)
    calendar = make(kpis, metrics, objectives=objectives)

    time_bound = smart.assess(fiscal).query("criterion == 'Time-bound'")
    assert time_bound["passed"].tolist() == [True]
    late = smart.assess(calendar).query("criterion == 'Time-bound'")["reason"].iloc[0]
    assert "MA targets 2030 (ends 2030-12-31); MQ targets 2030-Q4 (ends 2030-12-31)" in late


def test_the_previous_review_steps_back_from_the_fiscal_year_end() -> None:
    # annual review period 2026 with a quarterly cadence: one quarter before its last month
    eng = make([kpi("O1", "M1", 70, "2030")], [metric("M1", frequency="annual")], fiscal=7, cadence="quarterly")

    assert str(review.previous_review_period(eng)) == "2026-03"  # June 2026 minus 3 months
    eng.config.fiscal_year_start = 1
    assert str(review.previous_review_period(eng)) == "2026-09"


# -- a real plan: school years, yearly targets, a biennial survey ------------------------

def test_a_six_year_school_plan_agrees_with_its_own_numbers() -> None:
    """A state education agency's plan: school years July-June, targets for each year 2026..2030.

    Entering exactly the plan's 2026 targets as 2026 actuals is green everywhere; objectives due
    2030-06-30 are time-bound; the biennial survey is reviewed on its latest result.
    """
    objectives = [obj("G1", "Raise the four-year graduation rate to 92% by 2030", pillar="P1", due="2030-06-30"),
                  obj("G2", "Cut chronic absenteeism to 12% of students by 2030", pillar="P1", due="2030-06-30"),
                  obj("G3", "Raise the share of students who feel safe at school to 85% by 2030",
                      pillar="P2", due="2030-06-30")]
    metrics = [metric("GRAD", "Graduation rate", frequency="annual"),
               metric("ABS", "Chronic absenteeism", direction="down", frequency="annual"),
               metric("SAFE", "Students who feel safe (climate survey)", frequency="annual", every=2)]
    kpis = [kpi("G1", "GRAD", 92, "2030", baseline=86.5, baseline_period="2025"),
            kpi("G2", "ABS", 12, "2030", baseline=19, baseline_period="2025"),
            kpi("G3", "SAFE", 85, "2030", baseline=74, baseline_period="2024")]
    milestones: list[tuple[str, str, str, float]] = [("G1", "GRAD", str(y), t) for y, t in zip(range(2026, 2030), (88, 89, 90, 91), strict=True)]
    milestones += [("G2", "ABS", str(y), t) for y, t in zip(range(2026, 2030), (18.5, 17, 15.5, 14), strict=True)]
    milestones += [("G3", "SAFE", "2026", 77), ("G3", "SAFE", "2028", 81)]
    actuals = [("GRAD", "2025", 86.5), ("GRAD", "2026", 88), ("ABS", "2025", 19), ("ABS", "2026", 18.5),
               ("SAFE", "2024", 74), ("SAFE", "2026", 77)]
    eng = make(kpis, metrics, actuals, milestones, current="2026-06", fiscal=7, objectives=objectives, cadence="annual")

    sc = review.scorecard(eng)
    assert sc["period"].tolist() == ["2026", "2026", "2026"]
    assert sc["status"].tolist() == ["green", "green", "green"]
    assert sc["gap"].tolist() == [0.0, 0.0, 0.0]
    time_bound = smart.assess(eng).query("criterion == 'Time-bound'")
    assert time_bound["passed"].all(), time_bound["reason"].tolist()
    assert not [f for f in smart.findings(eng) if "Time-bound" in f.message]
    # a year later the survey has no 2027 result, as planned: reviewed on 2026, not stale
    later = review.scorecard(eng, "2027-06")
    assert later["period"].tolist() == ["2027", "2027", "2026"]
    assert later["status"].tolist() == ["no-data", "no-data", "green"]
    assert [f.item_id for f in review.findings(eng, "2027-06") if f.code == "KPI_STALE"] == ["G1/GRAD", "G2/ABS"]


# -- nothing changes for an engagement that does not use the plan model -----------------
#
# The golden file holds one SHA-256 per (case, review period, result), recorded from the engine
# before the plan model (README.md beside it says when and how). The cases come from a
# ``random.Random(seed)`` generator, not hypothesis: hypothesis's examples change between its
# versions, and these tests also run on the lowest allowed ones (``make test-lowest``).

GOLDEN = Path(__file__).parents[1] / "fixtures" / "plan_model_golden.json"
N_CASES = 40
REVIEW_PERIODS = (None, "2026-Q1", "2025-11", "2027")
FREQ_FORMS = {"annual": "{y}", "quarterly": "{y}-Q{q}", "monthly": "{y}-{m:02d}"}
DUES = ["", "2026-06-30", "2026-12-31", "2027-06-30", "2028-03-31"]


def period_of(rng: random.Random, freq: str) -> str:
    """A period of ``freq`` between 2023 and 2028."""
    y, q, m = rng.randint(2023, 2028), rng.randint(1, 4), rng.randint(1, 12)
    return FREQ_FORMS[freq].format(y=y, q=q, m=m)


def case(seed: int) -> dict[str, Any]:
    """:func:`build`'s arguments for a small engagement that uses none of the plan model, in one of the ways of saying so.

    1-4 objectives (parents, pillars, due dates), 1-4 metrics of every frequency and direction,
    up to 5 KPIs with or without baseline and benchmark, up to 8 actuals per metric, any current
    period and review cadence; ``fiscal_year_start`` absent or 1, ``measured_every`` absent,
    empty or 1, ``milestones.csv`` absent or empty.
    """
    rng = random.Random(seed)

    def coin() -> bool:
        return rng.random() < 0.5

    objs = [obj(f"O{i}", pillar="P1" if i == 0 or coin() else "",
                parent="" if i == 0 else rng.choice(["", "O0"]), due=rng.choice(DUES))
            for i in range(rng.randint(1, 4))]
    every = rng.choice([None, "", "1"])  # no column, empty cells, or 1
    metrics = [metric(f"M{i}", direction=rng.choice(["up", "down"]), frequency=rng.choice(FREQUENCIES),
                      every=every, unit=rng.choice(["%", ""]))
               for i in range(rng.randint(1, 4))]
    kpis, seen = [], set()
    for _ in range(rng.randint(1, 5)):
        o, m = rng.choice(objs)["id"], rng.choice(metrics)
        if (o, m["id"]) in seen:
            continue
        seen.add((o, m["id"]))
        extra: dict[str, Any] = {}
        if coin():
            extra = {"baseline": rng.randint(0, 100), "baseline_period": period_of(rng, m["frequency"])}
        if coin():
            extra["benchmark"] = rng.randint(0, 100)
        kpis.append(kpi(o, m["id"], rng.randint(0, 100), period_of(rng, m["frequency"]), **extra))
    actuals: dict[tuple[str, str], float] = {}
    for m in metrics:
        for _ in range(rng.randint(0, 8)):
            actuals[(m["id"], period_of(rng, m["frequency"]))] = rng.randint(0, 100) / rng.choice([1, 4])
    settings_: dict[str, Any] = {"current_period": period_of(rng, rng.choice(FREQUENCIES)),
                                 "review_cadence": rng.choice(FREQUENCIES)}
    if coin():
        settings_["fiscal_year_start"] = 1
    return {"objectives": objs, "metrics": metrics, "kpis": kpis,
            "actuals": [{"metric_id": m, "period": p, "value": v} for (m, p), v in actuals.items()],
            "milestones": rng.choice([None, []]), "settings": settings_}


def results(eng: Engagement, period: str | None, engine: Sequence[ModuleType] = (frames, review, targets, smart),
            ) -> dict[str, Any]:
    """Every result the plan model must leave alone, by name; ``engine``: its frames, review, targets and smart modules."""
    frames_, review_, targets_, smart_ = engine
    kt = frames_.selected_kpis(eng)
    out: dict[str, Any] = {
        "selected_kpis": kt.drop(columns=["measured_every", "milestones"], errors="ignore"),
        "kpi_periods": frames_.kpi_periods(eng, kt, period),
    }
    for name in ("scorecard", "scorecard_detail", "objective_scores", "suggestions", "changes_since_previous"):
        out[name] = getattr(review_, name)(eng, period)
    for by in ("pillar", "org_unit"):
        out[f"rollup_{by}"] = review_.rollup(eng, by, period)
    out["previous_review_period"] = review_.previous_review_period(eng, period)
    out["trajectories"] = list(review_.trajectories(eng, period).items())
    out["realism"] = targets_.realism(eng, period)
    out["measurability"] = targets_.measurability(eng)
    out["assess"] = smart_.assess(eng, period)
    for module in (review_, targets_, smart_):
        out[f"{module.__name__.rsplit('.', 1)[-1]}_findings"] = module.findings(eng, period)
    return out


def canonical(x: Any) -> Any:
    """``x`` as JSON-able Python natives, values only: the same for pandas 2.2 and 3.x whatever the dtypes.

    Numbers are floats rounded to 12 significant digits (3 and 3.0 agree; -0.0 is 0.0);
    every kind of missing value is None, also the text "nan" that pandas 2.2 makes of one where
    pandas 3 keeps it missing; a frame is its column names and rows, not its index.
    """
    if isinstance(x, pd.DataFrame):
        return {"columns": [str(c) for c in x.columns], "rows": canonical(x.astype(object).to_numpy().tolist())}
    if isinstance(x, pd.Series | np.ndarray | list | tuple):
        return [canonical(v) for v in (x.tolist() if isinstance(x, pd.Series | np.ndarray) else x)]
    if isinstance(x, dict):
        return {str(k): canonical(v) for k, v in x.items()}
    if isinstance(x, Finding):
        return {"code": x.code, "item_id": x.item_id, "message": x.message}
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, int | float | np.integer | np.floating):
        f = float(x)
        return None if np.isnan(f) else float(f"{f:.12g}") + 0.0
    if isinstance(x, str) and x == "nan":
        return None  # pandas 2.2's astype(str) of a missing value (measurability's first_period)
    if isinstance(x, str | Period):
        return str(x)
    if isinstance(x, date):
        return x.isoformat()
    raise TypeError(f"no canonical form for {type(x).__name__}: {x!r}")


def digest(value: Any) -> str:
    text = json.dumps(canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def golden(engine: Sequence[ModuleType] = (frames, review, targets, smart)) -> dict[str, Any]:
    """The golden file's content as ``engine`` computes it (how it was recorded: README.md beside it)."""
    cases: dict[str, Any] = {}
    for seed in range(N_CASES):
        eng = build(**case(seed))
        cases[str(seed)] = {"input": digest(case(seed)), "results": {
            str(p): {name: digest(v) for name, v in results(eng, p, engine).items()} for p in REVIEW_PERIODS}}
    return {"review_periods": [str(p) for p in REVIEW_PERIODS], "cases": cases}


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert data["review_periods"] == [str(p) for p in REVIEW_PERIODS]
    assert sorted(data["cases"], key=int) == [str(s) for s in range(N_CASES)]
    return data


@pytest.mark.parametrize("seed", range(N_CASES))
def test_without_the_plan_model_every_result_equals_the_recorded_one(seed: int, recorded: dict[str, Any]) -> None:
    want = recorded["cases"][str(seed)]
    assert digest(case(seed)) == want["input"], (
        f"case {seed} is not the engagement recorded: the generator changed; re-record (tests/fixtures/plan_model_golden/README.md)")
    eng = build(**case(seed))
    differ = [f"case {seed}, review period {p}: {name}"
              for p in REVIEW_PERIODS for name, v in results(eng, p).items()
              if digest(v) != want["results"][str(p)].get(name)]
    assert not differ, "differs from the engine before the plan model:\n" + "\n".join(differ)


def test_the_generated_engagements_exercise_the_rules() -> None:
    """The generator is not vacuous: its cases make every status and both findings."""
    seen: set[str] = set()
    found: set[str] = set()
    for seed in range(N_CASES):
        eng = build(**case(seed))
        seen.update(review.scorecard(eng)["status"])
        found.update(f.code for f in review.findings(eng))

    assert seen >= {"green", "amber", "red", "no-data"}
    assert found >= {"KPI_STALE", "KPI_OFF_TRACK"}
