"""The KPI history draws a plan's milestones on its trajectory: diamonds at the interim targets, named in the subtitle."""

from __future__ import annotations

from typing import Any

from enginebuild import build, kpi, metric, obj

from kpikit.charts import performance as perf
from kpikit.charts.render import to_svg
from kpikit.data.model import Engagement

YEARLY = [("2026", 88.0), ("2027", 89.0), ("2028", 90.0), ("2029", 91.0)]


def plan(milestones: list[tuple[str, float]], target_period: str = "2030") -> Engagement:
    """Annual KPI: baseline 80 (2025), target 92 (2030), an actual of 88 in 2026; review 2026."""
    return build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1", "Graduation rate", frequency="annual")],
                 kpis=[kpi("O1", "M1", 92, target_period, baseline=80, baseline_period="2025")],
                 actuals=[{"metric_id": "M1", "period": "2026", "value": 88}],
                 milestones=[{"objective_id": "O1", "metric_id": "M1", "period": p, "target": t} for p, t in milestones],
                 settings={"current_period": "2026"})


def rows_of(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    name = layer.get("data", {}).get("name") or spec.get("data", {}).get("name")
    out: list[dict[str, Any]] = spec["datasets"][name]
    return out


def diamonds(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = [layer for layer in spec["layer"]
             if isinstance(layer["mark"], dict) and layer["mark"].get("shape") == perf.MILESTONE_SHAPE]
    return rows_of(spec, found[0]) if found else []


def test_milestones_are_diamonds_on_the_plans_line_and_named() -> None:
    chart = perf.kpi_history(plan(YEARLY), "O1", "M1")
    spec = chart.to_dict()

    marks = diamonds(spec)
    assert [(m["period"], m["value"]) for m in marks] == [("2026", 88), ("2027", 89), ("2028", 90), ("2029", 91)]
    assert marks[0]["label"] == "interim target 88% for 2026"
    line = {r["period"]: r["value"] for r in rows_of(spec, spec["layer"][0]) if r["series"].startswith("plan")}
    assert {p: line[p] for p in ("2026", "2027", "2029", "2030")} == {"2026": 88, "2027": 89, "2029": 91, "2030": 92}
    subtitle = spec["title"]["subtitle"]
    assert "green in 2026: actual 88%, expected 88%" in subtitle
    assert "milestones (diamonds): 88% (2026), 89% (2027), 90% (2028), 91% (2029)" in subtitle
    assert "milestones (diamonds): 88% (2026)" in to_svg(chart)  # the static chart of the report says it too


def test_more_milestones_than_the_subtitle_names_are_counted() -> None:
    six = [*YEARLY, ("2030", 91.5), ("2031", 91.8)]
    spec = perf.kpi_history(plan(six, target_period="2032"), "O1", "M1").to_dict()

    assert len(diamonds(spec)) == 6
    assert "milestones (diamonds): 88% (2026), 89% (2027), 90% (2028), 91% (2029) and 2 more" in spec["title"]["subtitle"]


def test_without_milestones_the_chart_is_as_before() -> None:
    spec = perf.kpi_history(plan([]), "O1", "M1").to_dict()

    assert diamonds(spec) == []
    assert {r["series"] for r in rows_of(spec, spec["layer"][0])} == {"actual", "trajectory (baseline to target)"}
    assert not any("milestones" in s for s in spec["title"]["subtitle"])
