"""Performance charts: they show the scorecard's numbers, tell status by shape as well as colour, and scale."""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import pytest
from enginebuild import build, kpi, metric, obj

from kpikit.charts import performance as perf
from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement

DEMO = "clients/demo-harbor"


@pytest.fixture(scope="module")
def demo() -> Engagement:
    return load_engagement(DEMO)


def layers(chart: Any) -> list[dict[str, Any]]:
    spec = chart.to_dict()
    out: list[dict[str, Any]] = spec["layer"]
    return out


def data_of(chart: Any, layer: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a layer draws (altair moves inline data into top-level datasets)."""
    spec = chart.to_dict()
    name = layer.get("data", {}).get("name") or spec.get("data", {}).get("name")
    rows: list[dict[str, Any]] = spec["datasets"][name]
    return rows


def mark_type(layer: dict[str, Any]) -> str:
    m = layer["mark"]
    return str(m["type"] if isinstance(m, dict) else m)


def test_kpi_history_draws_actuals_by_status_trajectory_references_and_forecast(demo: Engagement) -> None:
    chart = perf.kpi_history(demo, "OBJ-08", "M-RN-VAC")
    assert isinstance(chart, alt.TopLevelMixin)
    ls = layers(chart)
    lines = data_of(chart, ls[0])
    series = {r["series"] for r in lines}
    assert series == {"actual", "trajectory (baseline to target)", "forecast"}
    traj = {r["period"]: r["value"] for r in lines if r["series"].startswith("trajectory")}
    assert traj["2026-Q3"] == pytest.approx(8.41667, abs=1e-4)
    assert traj["2027-Q4"] == 6
    assert traj["2024-Q3"] == 11.8          # held at the baseline before the baseline period
    points = {r["period"]: r for r in data_of(chart, ls[1])}
    assert points["2026-Q3"]["status"] == "red"
    assert points["2026-Q3"]["actual"] == 9.9
    # status is encoded twice: colour and shape, on the same fixed domain
    enc = ls[1]["encoding"]
    assert enc["color"]["field"] == enc["shape"]["field"] == "status"
    assert enc["shape"]["scale"]["range"] == [perf.STATUS_SHAPES[s] for s in perf.STATUS_ORDER]
    refs = [r for layer in ls[2:] if mark_type(layer) in ("rule", "text") for r in data_of(chart, layer)
            if "label" in r and "kind" in r]
    labels = {r["kind"]: r["label"] for r in refs}
    assert labels["target"] == "target 6%"
    assert labels["stretch"] == "stretch 5%"
    assert labels["benchmark"].startswith("benchmark 5.8% (NSI")
    text = json.dumps(chart.to_dict())
    assert "review 2026-Q3" in text
    assert "lower is better" in text
    assert "red in 2026-Q3" in text


def test_kpi_history_of_a_threshold_kpi_and_an_unknown_one() -> None:
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1", name="Clinics open", unit="")],
                kpis=[kpi("O1", "M1", 10, "2026-Q4")],
                actuals=[{"metric_id": "M1", "period": "2026-Q1", "value": 8}])
    chart = perf.kpi_history(eng, "O1", "M1")
    series = {r["series"] for r in data_of(chart, layers(chart)[0])}
    assert series == {"actual", "target (threshold)"}
    with pytest.raises(KeyError):
        perf.kpi_history(eng, "O1", "NOPE")


def test_status_overview_counts_match_the_scorecard(demo: Engagement) -> None:
    chart = perf.status_overview(demo)
    sym, head = layers(chart)
    points = data_of(chart, sym)
    assert len(points) == 29
    statuses = [p["status"] for p in points]
    assert {s: statuses.count(s) for s in set(statuses)} == {"green": 15, "amber": 11, "red": 2, "no-data": 1}
    headers = [h["text"] for h in data_of(chart, head)]
    assert len(headers) == 5     # four pillars and the unaligned OBJ-17
    assert headers[4].startswith("No pillar (unaligned): score 77%")
    assert headers[1].startswith("Timely access and patient experience (P2): score 40%")
    assert "1 red" in headers[1]
    # reds first within a group
    p2 = [p["status"] for p in points if p["group"] == "Timely access and patient experience"]
    assert p2[0] == "red"
    by_unit = perf.status_overview(demo, by="org_unit")
    assert any(h["text"] == "Supply Chain & Procurement (ORG-FIN-SUPPLY): no score, no KPIs"
               for h in data_of(by_unit, layers(by_unit)[1]))


def test_status_overview_stays_readable_with_200_kpis() -> None:
    metrics = [metric(f"M{i:03d}") for i in range(200)]
    objectives = [obj(f"O{i:02d}", pillar="P1" if i % 2 else "P2") for i in range(40)]
    kpis = [kpi(f"O{i % 40:02d}", f"M{i:03d}", 50, "2026-Q4") for i in range(200)]
    acts = [{"metric_id": f"M{i:03d}", "period": "2026-Q2", "value": 20 + i % 40} for i in range(0, 200, 3)]
    eng = build(objectives=objectives, metrics=metrics, kpis=kpis, actuals=acts)
    chart = perf.status_overview(eng)
    spec = chart.to_dict()
    sym = layers(chart)[0]
    points = data_of(chart, sym)
    assert len(points) == 200
    assert max(p["col"] for p in points) == perf.PER_ROW - 1      # wraps instead of widening
    assert spec["width"] == perf.PER_ROW * 18
    lines = max(p["line"] for p in points) + 1
    assert spec["height"] == lines * perf.ROW_PX                 # grows with the KPIs
    assert lines == 2 + 2 * (100 // perf.PER_ROW + 1)             # per pillar: a header and 5 lines of 24


def test_sparkline_is_polarity_aware() -> None:
    def last_colour(values: list[float], direction: str | None) -> str:
        chart = perf.sparkline(values, direction)
        return str(layers(chart)[1]["mark"]["color"])

    assert last_colour([5, 4, 3], "down") == perf.STATUS_COLOURS["green"]   # falling is better here
    assert last_colour([5, 4, 3], "up") == perf.STATUS_COLOURS["red"]
    assert last_colour([3, 4, 5], "up") == perf.STATUS_COLOURS["green"]
    assert last_colour([3, 4, 5], None) == "#555555"
    chart = perf.sparkline([1.0, float("nan"), 3.0])
    assert [r["value"] for r in data_of(chart, layers(chart)[0])] == [1.0, None, 3.0]


def test_charts_render_to_svg(demo: Engagement) -> None:
    vlc = pytest.importorskip("vl_convert")
    for chart in (perf.kpi_history(demo, "OBJ-12", "M-ED-D2P"), perf.status_overview(demo),
                  perf.sparkline([1, 2, 3], "up")):
        svg = vlc.vegalite_to_svg(chart.to_dict())
        assert svg.startswith("<svg")
    svg = vlc.vegalite_to_svg(perf.status_overview(demo).to_dict())
    assert "P2): score 40%" in svg


def test_kpi_history_grid_has_one_panel_per_kpi(demo: Engagement) -> None:
    grid = perf.kpi_history_grid(demo, kpis=[("OBJ-08", "M-RN-VAC"), ("OBJ-12", "M-ED-D2P")])
    spec = grid.to_dict()
    assert spec["columns"] == 2
    titles = [p["title"]["text"] for p in spec["concat"]]
    assert titles == ["RN vacancy rate", "ED door-to-provider time (median)"]
    assert all(p["width"] == perf.GRID_WIDTH for p in spec["concat"])
    assert "red in 2026-Q3: actual 9.9%, expected 8.417%" in json.dumps(spec)
    with pytest.raises(KeyError, match="OBJ-01/M-NOPE"):
        perf.kpi_history_grid(demo, kpis=[("OBJ-01", "M-NOPE")])


def test_kpi_history_grid_without_kpis_says_so() -> None:
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1")])
    assert "No KPIs selected yet" in json.dumps(perf.kpi_history_grid(eng).to_dict())
