"""A changed metric definition breaks the KPI's history: the chart marks it, and trend, forecast and limits
read only the part after it.

The demo's 2026-Q3 report is published (the session's demo run); then M-ED-D2P (monthly, lower is
better) gets a new formula and three more months, 24, 23 and 22 minutes, reviewed in 2026-Q4.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from published_client import PUBLISHED_PERIOD, publish_demo

from kpikit.charts import performance, render
from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement
from kpikit.engine import review
from kpikit.engine.behaviour import behaviour
from kpikit.engine.restatements import definition_findings

KPI = ("OBJ-12", "M-ED-D2P")
OLD_FORMULA = "median(provider_seen_time - arrival_time) over all ED attendances in the month"
NEW_FORMULA = "median(triage_time - arrival_time) over all ED attendances in the month"


def _edit(folder: Path, months: dict[str, int], period: str) -> None:
    metrics = folder / "metrics.csv"
    text = metrics.read_text(encoding="utf-8")
    if OLD_FORMULA in text:
        metrics.write_text(text.replace(OLD_FORMULA, NEW_FORMULA), encoding="utf-8")
    actuals = folder / "actuals.csv"
    actuals.write_text(actuals.read_text(encoding="utf-8") + "".join(f"M-ED-D2P,{p},{v},\n" for p, v in months.items()),
                       encoding="utf-8")
    config = folder / "engagement.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(f'current_period: "{PUBLISHED_PERIOD}"', f'current_period: "{period}"'), encoding="utf-8")


@pytest.fixture(scope="module")
def changed(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = publish_demo(demo_run, tmp_path_factory.mktemp("break"))
    _edit(folder, {"2026-10": 24, "2026-11": 23, "2026-12": 22}, "2026-Q4")
    return folder


@pytest.fixture(scope="module")
def unpublished(changed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same files without the published report: nothing to break against (the control)."""
    folder = tmp_path_factory.mktemp("control") / "client"
    shutil.copytree(changed, folder, ignore=shutil.ignore_patterns("published"))
    return folder


def _row(eng: Engagement) -> dict[str, object]:
    d = review.scorecard_detail(eng)
    return d[(d["objective_id"] == KPI[0]) & (d["metric_id"] == KPI[1])].to_dict("records")[0]


def test_trend_and_forecast_use_only_the_months_after_the_report(changed: Path, unpublished: Path) -> None:
    eng = load_engagement(changed)
    assert [f.item_id for f in definition_findings(eng)] == ["OBJ-12/M-ED-D2P"]
    row = _row(eng)
    # by hand: 24, 23, 22 lie on a line falling 1 minute a month; 2026-12 -> 2027-03 (the target period) is 3 months
    assert row["trend_slope"] == pytest.approx(-1.0)
    assert row["trend"] == "improving"
    assert row["forecast"] == pytest.approx(19.0)
    assert row["status"] == "green"  # status still reads the actual itself
    control = _row(load_engagement(unpublished))
    assert not math.isclose(float(control["forecast"]), 19.0)  # with 2026-04..09 in the fit the line differs


def test_process_limits_need_eight_comparable_values(changed: Path, unpublished: Path) -> None:
    def centre(folder: Path) -> float:
        b = behaviour(load_engagement(folder))
        return float(b[(b["objective_id"] == KPI[0]) & (b["metric_id"] == KPI[1])]["centre"].iloc[0])

    assert math.isnan(centre(changed))  # two comparable values before 2026-12
    assert not math.isnan(centre(unpublished))


def test_the_chart_marks_the_break_with_a_labelled_rule(changed: Path) -> None:
    eng = load_engagement(changed)
    chart = performance.kpi_history(eng, *KPI)
    spec = chart.to_dict()
    rules = [layer for layer in spec["layer"] if layer["mark"].get("strokeDash") == [8, 3]]
    assert len(rules) == 1
    assert rules[0]["encoding"]["x"]["bandPosition"] == 0  # at the start of 2026-10: between 2026-09 and 2026-10
    datasets = spec["datasets"]
    assert any(rows == [{"period": "2026-10", "label": "new definition from 2026-10",
                         "tip": "formula changed after the 2026-Q3 report: values before 2026-10 are not comparable"}]
               for rows in datasets.values())
    subtitle = " / ".join(spec["title"]["subtitle"])
    assert "formula changed after the 2026-Q3 report: only 2026-10 on is comparable" in subtitle
    assert "forecast 19 minutes at 2027-03" in subtitle
    render.setup(static=True)
    svg = render.to_svg(chart)
    assert "new definition from 2026-10" in svg
    # a KPI whose definition did not change has no break
    other = performance.kpi_history(eng, "OBJ-02", "M-ED-4HR").to_dict()
    assert not [layer for layer in other["layer"] if layer["mark"].get("strokeDash") == [8, 3]]
    assert "comparable" not in " ".join(other["title"]["subtitle"])


def test_limit_lines_start_at_the_break(changed: Path, tmp_path: Path) -> None:
    folder = tmp_path / "later"
    shutil.copytree(changed, folder)
    _edit(folder, {"2027-01": 23, "2027-02": 22, "2027-03": 21, "2027-04": 22, "2027-05": 21, "2027-06": 20}, "2027-Q2")
    config = folder / "engagement.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace('current_period: "2026-Q4"', 'current_period: "2027-Q2"'),
                      encoding="utf-8")
    eng = load_engagement(folder)
    b = behaviour(eng)
    mine = b[(b["objective_id"] == KPI[0]) & (b["metric_id"] == KPI[1])].iloc[0]
    assert mine["points"] == 8  # 2026-10 .. 2027-05: nothing from before the new formula
    assert mine["centre"] == pytest.approx((24 + 23 + 22 + 23 + 22 + 21 + 22 + 21) / 8)
    grid = performance.kpi_history_grid(eng, kpis=[KPI]).to_dict()
    (panel,) = grid["concat"]
    limits = [layer for layer in panel["layer"] if "x2" in layer.get("encoding", {})]
    assert len(limits) == 1
    (rows,) = [r for r in grid["datasets"].values() if r and r[0].get("kind") == "centre"]
    assert {r["period"] for r in rows} == {"2026-10"}
    assert limits[0]["encoding"]["x"]["bandPosition"] == 0
