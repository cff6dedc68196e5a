"""The KPI history chart draws the centre line and natural process limits (grey, solid and dotted) and says the signal."""

from __future__ import annotations

from typing import Any

import pytest
from support import DEMO

from kpikit.charts import performance as perf
from kpikit.data.store import load_engagement


def _limit_layer(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = [layer for layer in spec["layer"] if layer.get("mark", {}).get("color") == perf.LIMIT_COLOUR]
    if not found:
        return []
    (layer,) = found
    name = layer["data"]["name"]
    return list(spec["datasets"][name])


def test_limits_drawn_and_named() -> None:
    eng = load_engagement(DEMO)
    spec = perf.kpi_history(eng, "OBJ-02", "M-ED-4HR").to_dict()
    rows = {r["kind"]: r["value"] for r in _limit_layer(spec)}
    # 2024-Q3..2026-Q2: centre 82.825, limits 82.825 -/+ 2.66 * 11.4 / 7
    assert rows["centre"] == pytest.approx(82.825)
    assert rows["lower limit"] == pytest.approx(82.825 - 2.66 * 11.4 / 7)
    assert rows["upper limit"] == pytest.approx(82.825 + 2.66 * 11.4 / 7)
    subtitle = spec["title"]["subtitle"]
    assert "process limits (dotted) 78.49% to 87.16%; beyond a limit: a signal" in subtitle
    # the limits are inside the y domain: they can be seen
    domain = next(layer["encoding"]["y"]["scale"]["domain"] for layer in spec["layer"] if "scale" in layer["encoding"].get("y", {}))
    assert domain[0] < rows["lower limit"] < rows["upper limit"] < domain[1]


def test_no_limits_without_history() -> None:
    eng = load_engagement(DEMO)
    spec = perf.kpi_history(eng, "OBJ-10", "M-ENGAGE").to_dict()  # three annual values
    assert _limit_layer(spec) == []
    assert not any("process limits" in s for s in spec["title"]["subtitle"])


def test_grid_and_svg_render_with_limits() -> None:
    from kpikit.charts import render

    eng = load_engagement(DEMO)
    render.setup(static=True)
    grid = perf.kpi_history_grid(eng, kpis=[("OBJ-02", "M-ED-4HR"), ("OBJ-10", "M-ENGAGE")])
    svg = render.to_svg(grid)
    assert "<svg" in svg
    assert "process limits (dotted)" in svg
