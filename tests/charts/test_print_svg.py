"""The PDF's lean copy of a chart (render.print_svg): less markup, the same drawing and text."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.dom.minidom
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from kpikit.charts import render
from kpikit.report.html import figure


def chart_svg() -> str:
    """A real vl-convert chart with lines, points, axes, a legend and a title, as the report inlines it."""
    data = pd.DataFrame({"period": ["2026-01", "2026-02", "2026-03"] * 2, "value": [3.0, 1.5, 2.25, 4.0, 3.5, 1.0],
                         "series": ["Actual"] * 3 + ["Target"] * 3})
    made = alt.Chart(data, title="Beds & <occupancy>").mark_line(point=True).encode(
        x=alt.X("period:O", title="Period"), y=alt.Y("value:Q", title="Rate"), color="series:N",
        tooltip=["period", "value"])
    return str(figure(made, "Beds & <occupancy>", "Three months").svg)


def shapes(svg: str) -> list[str]:
    """Every drawing element with its geometry and paint, in document order (no screen-reader markup)."""
    out = []
    for m in re.finditer(r"<(path|line|rect|text|circle|tspan)\b([^>]*)>([^<]*)", svg):
        attrs = re.sub(r'\s(?:aria-[\w-]+|role|class)="[^"]*"', "", m.group(2))
        out.append(f"{m.group(1)}{attrs}|{m.group(3)}")
    return out


def test_print_copy_keeps_every_shape_and_text_and_the_alternative_text() -> None:
    svg = chart_svg()
    lean = render.print_svg(svg)
    xml.dom.minidom.parseString(lean)  # still well-formed
    assert shapes(lean) == shapes(svg)
    root = lean[: lean.index(">") + 1]
    assert 'role="img"' in root
    assert 'aria-label="Beds &amp; &lt;occupancy&gt;"' in root  # the figure's alternative text stays, escaped
    assert "Beds &amp; &lt;occupancy&gt;" in lean[len(root):]  # the title is still text in the chart
    assert "aria-roledescription" not in lean
    assert lean.count("<g") < svg.count("<g") * 0.8  # fewer elements for WeasyPrint to style and draw
    assert len(lean) < len(svg) * 0.85


def test_print_svgs_touches_only_charts() -> None:
    svg = chart_svg()
    page = f'<p class="lede" role="note">Before</p><figure class="chart">{svg}</figure><p aria-label="x">After</p>'
    lean = render.print_svgs(page)
    assert lean.startswith('<p class="lede" role="note">Before</p><figure class="chart">')
    assert lean.endswith('</figure><p aria-label="x">After</p>')
    assert render.print_svg(svg) in lean


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm is not installed")
def test_printed_chart_looks_the_same_at_print_resolution(tmp_path: Path) -> None:
    """Printed from the lean copy or the full SVG, the chart page is the same pixels at 150 dpi."""
    from weasyprint import HTML

    svg = chart_svg()
    pages = []
    for name, markup in (("full", svg), ("lean", render.print_svg(svg))):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(HTML(string=f'<html lang="en"><body><figure>{markup}</figure></body></html>').write_pdf(
            pdf_variant="pdf/ua-1"))
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / name)], check=True)
        pages.append((tmp_path / f"{name}.png").read_bytes())
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Beds & <occupancy>" in text  # the chart's text is still text in the PDF
    assert pages[0] == pages[1]
