"""Charts never take a notebook down (issue 10, "Bounded resources"): text, periods, sizes.

What broke: a control character in a title made vl-convert abort the whole process
(the kernel died); a review period typed as ``2206-Q3`` or actuals spanning centuries
made an axis of thousands of periods that overflowed Vega's stack. The promise: any
text draws (control characters shown as visible symbols), a KPI history shows at most
:data:`kpikit.charts.performance.MAX_PERIODS` periods and says what it left out, and
every chart is SVG or a table with the reason, never an exception.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from enginebuild import build, kpi, metric, obj, score
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kpikit.charts import alignment, performance, render
from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement
from kpikit.errors import EngagementError

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "clients" / "demo-harbor"
C0 = [chr(c) for c in range(32) if chr(c) not in "\n"]


def _drawn(svg: str) -> bool:
    return svg.lstrip().startswith("<svg") and "kpikit-chart-fallback" not in svg


def _with_actuals(periods: list[str], frequency: str = "quarterly", title: str = "Cut the defect rate to 2% by 2027",
                  name: str = "Defect rate") -> Engagement:
    return build(
        objectives=[obj("O1", title, pillar="P1")],
        metrics=[metric("M1", name, frequency=frequency, direction="down")],
        scores=[score("O1", "M1", 4)],
        kpis=[kpi("O1", "M1", 2.0, "2027-Q2" if frequency == "quarterly" else "2027-06", baseline=9.0,
                  baseline_period=periods[0])],
        actuals=[{"metric_id": "M1", "period": p, "value": 9.0 - i * 0.01} for i, p in enumerate(periods)],
    )


# -- control characters and other hostile text -------------------------------------------

def test_a_control_character_in_a_title_does_not_kill_the_process() -> None:
    """Each C0 character once, in a fresh interpreter, through the notebook's static renderer:
    the process must live and print the SVG (before the fix it aborted, exit -6)."""
    code = textwrap.dedent("""
        import altair as alt, pandas as pd, sys
        from kpikit.charts import render
        render.setup(static=True)
        names = [f"KPI {c}end" for c in map(chr, range(32))]
        chart = alt.Chart(pd.DataFrame({"name": names, "v": range(32)})).mark_text().encode(
            y="name:N", text="name:N").properties(title="Title \\x00\\x1b[31m\\x07")
        bundle = chart._repr_mimebundle_()
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        sys.stdout.write(data["image/svg+xml"])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert _drawn(out.stdout)
    assert "Title ␀␛[31m␇" in out.stdout  # visible, not silently dropped
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", out.stdout)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(min_size=1, max_size=60), name=st.text(min_size=1, max_size=40))
@example(title="Cut \x00defects\x1b[2J to 2% by 2027", name="Rate \x07\x0b\ud800 <b>&amp;")
def test_any_text_in_titles_and_names_draws(title: str, name: str) -> None:
    """Any Unicode (surrogates, controls, markup, quotes) as an objective title and metric name."""
    if not title.strip() or not name.strip() or "\n" in title or "\r" in title or "\n" in name or "\r" in name:
        return  # the CSV validator's business (a cell is one line and not blank)
    try:
        eng = _with_actuals(["2025-Q1", "2025-Q2", "2025-Q3"], title=title, name=name)
    except EngagementError:  # rejected by validation: then no chart is ever drawn
        return
    for chart in (alignment.cascade_tree(eng), alignment.scoring_heatmap(eng),
                  performance.kpi_history(eng, "O1", "M1")):
        svg = render.to_svg(chart)
        assert _drawn(svg)
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", svg)
        page = render.html_bundle(chart)
        spec_json = page.split("var spec = ", 1)[1].split(";\n", 1)[0]
        assert "<" not in spec_json  # no text can close the script
        assert json.loads(spec_json)["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_clean_text_keeps_line_breaks_and_shows_controls() -> None:
    assert render.clean_text("a\nb") == "a\nb"
    assert render.clean_text("a\tb\r\nc") == "a b\nc"
    assert render.clean_text("".join(C0)).count("\n") == 0
    assert render.clean_text("\x00\x1b\x7f") == "␀␛\x7f"
    assert render.clean_text("bad \ud800 half") == "bad \ufffd half"


def test_script_text_in_data_cannot_break_out_of_an_interactive_chart() -> None:
    eng = _with_actuals(["2025-Q1", "2025-Q2"], title="</script><script>alert(1)</script> Cut defects by 2027")
    page = render.html_bundle(alignment.cascade_tree(eng))
    assert page.count("<script") == 1
    assert page.count("</script>") == 1
    assert "\\u003c/script>\\u003cscript>alert(1)" in page


# -- periods far from the data -----------------------------------------------------------

@pytest.mark.parametrize("period", ["2206-Q3", "1806-Q3", "9999-Q4"])
def test_a_review_period_far_from_the_data_draws_a_bounded_chart(period: str) -> None:
    eng = load_engagement(DEMO)
    kt = eng.kpis.iloc[0]
    chart = performance.kpi_history(eng, str(kt["objective_id"]), str(kt["metric_id"]), period)
    spec = chart.to_dict(validate=False)
    shown = {r["period"] for rows in spec["datasets"].values() for r in rows if "period" in r}
    assert 0 < len(shown) <= performance.MAX_PERIODS
    assert f"outside the chart: review period {period}" in spec["title"]["subtitle"][-1]
    assert _drawn(render.to_svg(chart))
    assert _drawn(render.to_svg(performance.status_overview(eng, period)))


def test_actuals_spanning_centuries_show_the_latest_window() -> None:
    periods = [f"{y}-Q{q}" for y in range(1826, 2026) for q in range(1, 5)]  # 800 quarters
    eng = _with_actuals(periods)
    chart = performance.kpi_history(eng, "O1", "M1", "2025-Q4")
    spec = chart.to_dict(validate=False)
    order = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert len(order) == performance.MAX_PERIODS
    assert order[-1] == "2025-Q4"  # the latest actuals, with the review period
    sub = spec["title"]["subtitle"][-1]
    assert f"({performance.MAX_PERIODS} of " in sub
    assert "baseline period 1826-Q1" in sub  # named, since it is off the chart
    assert _drawn(render.to_svg(chart))


def test_monthly_actuals_over_two_centuries_draw_in_the_grid_too() -> None:
    periods = [f"{y}-{m:02d}" for y in range(1826, 2026) for m in range(1, 13)]  # 2,400 months
    eng = _with_actuals(periods, frequency="monthly")
    grid = performance.kpi_history_grid(eng, "2025-12")
    assert _drawn(render.to_svg(grid))


def test_window_is_a_no_op_for_short_histories() -> None:
    eng = _with_actuals(["2025-Q1", "2025-Q2", "2025-Q3"])
    spec = performance.kpi_history(eng, "O1", "M1").to_dict(validate=False)
    assert not any("shown (" in s for s in spec["title"]["subtitle"])


# -- failures become a note, never an exception ------------------------------------------

def test_a_chart_vega_cannot_draw_becomes_a_note_and_table() -> None:
    spec = {"data": {"values": [{"a": "x", "b": 1}]}, "mark": "point", "title": "Broken",
            "encoding": {"x": {"field": "a", "type": "nominal"},
                         "tooltip": [{"field": "a", "title": "Name"}, {"field": "b", "title": "Count"}]},
            "transform": [{"calculate": "datum.a +* 1", "as": "c"}]}  # a parse error inside Vega
    svg = render.to_svg(spec)
    assert "kpikit-chart-fallback" in svg
    assert "This chart was not drawn: the chart engine failed" in svg
    assert ">Name<" in svg
    assert ">Count<" in svg
