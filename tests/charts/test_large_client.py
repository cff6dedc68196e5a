"""Every chart of the report and the notebooks draws on a generated large client (issue 12, item 2).

The client comes from the engine benchmark's own generator (``benchmarks/bench_engine.py``)
with its 1,500 metrics, 1,500 scored pairings and 100,000 actuals, and fewer objectives
(150 instead of 500) so the test stays under a minute on two cores. 1,500 metrics is
what broke the scoring heatmap ("Maximum call stack size exceeded" in Vega, ``kpikit run``
exit 3), so the size that matters is kept.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from kpikit.charts import alignment, performance, render
from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement
from kpikit.engine import scoring

ROOT = Path(__file__).resolve().parents[2]
N_OBJECTIVES = 150

pytestmark = pytest.mark.timeout(240)


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "benchmarks" / "bench_engine.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Engagement:
    bench = _bench()
    setattr(bench, "N_OBJECTIVES", N_OBJECTIVES)  # the generator reads its module constants  # noqa: B010
    folder = tmp_path_factory.mktemp("large") / "bench-client"
    counts = bench.generate(folder)
    assert counts["metrics"] == 1500
    assert counts["metric_scores"] == 1500
    return load_engagement(folder)


def _drawn(svg: str) -> bool:
    return svg.lstrip().startswith("<svg") and "kpikit-chart-fallback" not in svg and "not drawn" not in svg


def test_every_report_chart_draws_at_benchmark_size(large: Engagement) -> None:
    from kpikit.report import sections
    from kpikit.report.context import ReportContext

    ctx = ReportContext(large)
    counts = {}
    for fn in (sections.objective_cascade, sections.metric_selection, sections.targets_benchmarks,
               sections.stakeholder_map, sections.kpi_scorecard):
        page = fn(ctx).html
        svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
        assert svgs, f"{fn.__name__} drew no chart"
        assert all(_drawn(s) for s in svgs), f"{fn.__name__}: a chart fell back to a table"
        counts[fn.__name__] = len(svgs)
    assert counts["metric_selection"] == 1
    assert counts["targets_benchmarks"] == 40  # the report charts at most 40 KPIs
    # the main body's scorecard shows the KPIs that need attention, each with its sparkline
    from kpikit.report.sections.scorecard import _sparkline
    sparks = sum(_sparkline(ctx, r) is not None for r in ctx.attention_rows())
    assert sparks > 100
    assert counts["kpi_scorecard"] == sparks


def test_heatmap_of_1500_metrics_shows_every_pairing_readably(large: Engagement) -> None:
    chart = alignment.scoring_heatmap(large)
    spec = chart.to_dict(validate=False)
    assert spec["width"] <= 1200  # candidates by rank, not 1,500 columns (51,000 px)
    svg = render.to_svg(chart)
    assert _drawn(svg)
    ranked = scoring.ranked(large)
    for m in ranked.sort_values("weighted_score")["metric_id"].head(5):
        assert f">{m}  " in svg  # each cell names its metric


@pytest.mark.parametrize("build", [
    lambda e: alignment.cascade_tree(e), lambda e: alignment.scoring_heatmap(e), lambda e: alignment.influence_map(e),
    lambda e: alignment.raci_chart(e), lambda e: performance.status_overview(e),
], ids=["cascade", "heatmap", "influence", "raci", "status"])
def test_notebook_charts_draw_statically_and_interactively(large: Engagement, build: object) -> None:
    chart = build(large)  # type: ignore[operator]
    bundle = render._svg_renderer(chart.to_dict(validate=False))
    assert _drawn(bundle["image/svg+xml"])
    page = render.html_bundle(chart)
    assert "kpikit-chart-fallback" not in page
    assert "__kpikitVegaEmbed_" in page


def test_a_chart_beyond_the_limits_degrades_to_a_table_with_the_reason() -> None:
    import altair as alt
    import pandas as pd

    n = render.MAX_ROWS + 1
    df = pd.DataFrame({"kpi": [f"K{i}" for i in range(n)], "value": range(n)})
    chart = alt.Chart(df).mark_point().encode(
        x="value:Q", y="kpi:N", tooltip=[alt.Tooltip("kpi:N", title="KPI"), alt.Tooltip("value:Q", title="Value")],
    ).properties(title="Every KPI")
    svg = render.to_svg(chart)  # refused before Vega runs: no layout of 20,001 marks
    assert "Every KPI" in svg
    assert f"{n:,} marks" in svg
    assert f"first {render.FALLBACK_ROWS} of {n:,} rows" in svg
    assert ">KPI<" in svg
    assert ">Value<" in svg
    assert ">K0<" in svg
    assert f">K{render.FALLBACK_ROWS - 1}<" in svg
    assert f">K{render.FALLBACK_ROWS}<" not in svg
    page = render.html_bundle(chart)
    assert "kpikit-chart-fallback" in page
    assert "<script" not in page


def test_a_long_sort_list_is_refused_before_vega_overflows() -> None:
    labels = [f"m{i}" for i in range(render.MAX_SORT + 1)]
    spec = {"data": {"values": [{"a": v} for v in labels]}, "mark": "point",
            "encoding": {"x": {"field": "a", "type": "nominal", "sort": labels}}, "title": "Sorted"}
    svg = render.to_svg(spec)
    assert "fixed order" in svg
    assert "Sorted" in svg
    assert ">m0<" in svg  # the data, as a table
