"""The one chart-render switch: interactive in JupyterLab, static SVG unattended and in reports."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from kpikit.charts import render


def chart() -> alt.Chart:
    return alt.Chart(pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})).mark_line(clip=True).encode(x="x", y="y")


def test_setup_static_uses_inline_svg_renderer() -> None:
    try:
        assert render.setup(static=True) == "svg"
        assert alt.renderers.active == "kpikit-svg"
        bundle = alt.renderers.get()(chart().to_dict())
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        assert "image/svg+xml" in data
        assert render.setup(static=False) == "html-inline"
        assert alt.renderers.active == "kpikit-html"
        bundle = alt.renderers.get()(chart().to_dict())
        page = (bundle[0] if isinstance(bundle, tuple) else bundle)["text/html"]
        assert "vega-embed" in page or "vegaEmbed" in page
        assert "cdn.jsdelivr.net" not in page  # interactive AND offline
    finally:
        alt.renderers.enable("default")


def test_the_parameter_is_the_only_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """No environment variable decides: without the flag, charts are interactive."""
    monkeypatch.setenv("KPIKIT_STATIC_CHARTS", "1")  # the variable an older runner set
    try:
        assert render.setup() == "html-inline"
        assert render.setup(True) == "svg"
    finally:
        alt.renderers.enable("default")


def test_to_svg_gives_each_chart_its_own_element_ids() -> None:
    import re

    a, b = render.to_svg(chart()), render.to_svg(chart())
    assert a.startswith("<svg")
    assert b.startswith("<svg")
    ids_a, ids_b = set(re.findall(r'id="([^"]+)"', a)), set(re.findall(r'id="([^"]+)"', b))
    assert ids_a
    assert not ids_a & ids_b
    for ref in re.findall(r"url\(#([^)]+)\)", a):
        assert ref in ids_a  # every reference follows its renamed target


def test_same_chart_is_rendered_once_per_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report notebook reuses 04_targets' KPI charts: same spec, one vl-convert call, same SVG."""
    import vl_convert

    calls: list[object] = []
    real = vl_convert.vegalite_to_svg

    def counting(spec: object) -> str:
        calls.append(spec)
        return str(real(spec))

    monkeypatch.setattr(vl_convert, "vegalite_to_svg", counting)
    render._render_svg.cache_clear()
    spec = {"data": {"values": [{"x": 1, "y": 2}]}, "mark": "point",
            "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}}
    render.reset_kernel_state()
    first = render.to_svg(spec)
    render.reset_kernel_state()
    second = render.to_svg(dict(reversed(list(spec.items()))))  # same spec, other key order
    assert len(calls) == 1
    assert first == second
    assert "<svg" in first
