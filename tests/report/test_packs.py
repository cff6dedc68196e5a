"""Packs per audience: each unit pack and owner brief holds its own part of the strategy and nothing else.

The confidentiality tests read what a department head would read: the PDF's text
(pdftotext) and the HTML. The generated client (tests/canaryclient.py) marks every item
of unit ``Uxx`` with ``CANARY_Uxx``; the only items of other units a pack may name are the
objectives above it ("How our work counts", titles only).
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from canaryclient import canary, tree, write_client
from support import pdf_text

from kpikit.charts.render import print_svg
from kpikit.data.store import load_engagement
from kpikit.report.packs import (
    CHART_IMAGE_CLASS,
    chart_image,
    chart_image_css,
    charts_as_images,
    owner_subset,
    pack_pdf,
    unit_subset,
    unit_tree,
    write_packs,
)

CANARY = re.compile(r"CANARY_U\d\d")


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("packs")
    client = write_client(root / "client")
    before = {p.name: p.read_bytes() for p in client.iterdir()}
    write_packs(load_engagement(client), None, root / "out", {"units", "owners"})
    assert {p.name: p.read_bytes() for p in client.iterdir()} == before  # inputs only read
    return root


def split(html: str) -> tuple[str, str]:
    """(the page's text without the chain section, the chain section's text)."""
    soup = BeautifulSoup(html, "html.parser")
    chain = soup.find(id="chain")
    chain_text = chain.get_text(" ") if chain else ""
    if chain:
        chain.decompose()
    return soup.get_text(" "), chain_text


def ancestors(unit: str) -> list[str]:
    parents = tree(8)
    out, p = [], parents[unit]
    while p is not None:
        out.append(p)
        p = parents[p]
    return out


@pytest.mark.parametrize("unit", [f"U{i:02d}" for i in range(7)])
def test_unit_pack_holds_its_own_and_its_sub_units_canaries_only(packs: Path, unit: str) -> None:
    eng = load_engagement(packs / "client")
    own = {canary(u) for u in unit_tree(eng, unit) if u != "U07"}  # U07 has no items
    html = (packs / "out" / "packs" / "units" / f"{unit}.html").read_text(encoding="utf-8")
    body, chain = split(html)
    assert set(CANARY.findall(body)) == own
    above = {canary(u) for u in ancestors(unit)}
    assert set(CANARY.findall(chain)) == above  # the chain up to the pillar names the objectives above, by title
    pdf = pdf_text(packs / "out" / "packs" / "units" / f"{unit}.pdf")
    found = CANARY.findall(pdf)
    assert set(found) == own | above
    for c in above:  # an objective above appears only as often as the chain names it
        assert found.count(c) == chain.count(c)
    assert f"Unit pack: Unit {unit} ({unit})" in " ".join(body.split())
    assert "Strictly confidential" in pdf


def test_root_pack_covers_the_whole_client(packs: Path) -> None:
    eng = load_engagement(packs / "client")
    sub = unit_subset(eng, "U00")
    assert sorted(sub.objectives["id"]) == sorted(eng.objectives["id"])
    assert sorted(sub.kpis["metric_id"]) == sorted(eng.kpis["metric_id"])
    assert len(sub.raci) == len(eng.raci)
    text = pdf_text(packs / "out" / "packs" / "units" / "U00.pdf")
    assert set(CANARY.findall(text)) == {canary(f"U{i:02d}") for i in range(7)}


def test_leaf_pack_has_only_the_leaf(packs: Path) -> None:
    eng = load_engagement(packs / "client")
    sub = unit_subset(eng, "U04")  # a team under U01
    assert list(sub.objectives["id"]) == ["O-U04-0"]
    assert list(sub.org_units["id"]) == ["U04"]
    assert sub.objectives["parent_id"].isna().all()
    assert list(sub.objectives["pillar_id"]) == ["P1"]
    assert list(sub.stakeholders["id"]) == ["S-U04"]
    assert set(sub.actuals["metric_id"]) == {"M-U04-0"}
    assert eng.objectives["parent_id"].notna().sum() > 0  # the original is untouched (a deep copy)


def test_unit_without_objectives_says_so(packs: Path) -> None:
    html = (packs / "out" / "packs" / "units" / "U07.html").read_text(encoding="utf-8")
    body, _ = split(html)
    assert "Unit U07 has no objectives yet" in " ".join(body.split())
    assert not CANARY.findall(body)
    text = " ".join(pdf_text(packs / "out" / "packs" / "units" / "U07.pdf").split())
    assert "has no objectives yet" in text


def test_owner_brief_names_only_its_owner(packs: Path) -> None:
    eng = load_engagement(packs / "client")
    briefs = sorted((packs / "out" / "packs" / "owners").glob("*.pdf"))
    assert [p.stem for p in briefs] == sorted(f"S-U{i:02d}" for i in range(7))
    names = dict(zip(eng.stakeholders["id"], eng.stakeholders["name"], strict=True))
    for pdf in briefs:
        unit = pdf.stem.removeprefix("S-")
        html = pdf.with_suffix(".html").read_text(encoding="utf-8")
        body, _chain = split(html)
        assert set(CANARY.findall(body)) == {canary(unit)}
        assert names[pdf.stem] in body
        assert not [n for sid, n in names.items() if sid != pdf.stem and n in body]
        text = pdf_text(pdf)
        assert set(CANARY.findall(text)) == {canary(unit)} | {canary(u) for u in ancestors(unit)}
        sub = owner_subset(eng, pdf.stem)
        assert set(sub.raci["stakeholder_id"]) == {pdf.stem}
        assert "Owner brief" in body


def pdf_alt_texts(pdf: bytes) -> list[str]:
    """The alternative texts (``/Alt``) of a PDF's structure tree, from its objects and compressed object streams."""
    chunks = [pdf]
    for m in re.finditer(rb"stream\r?\n", pdf):
        try:
            chunks.append(zlib.decompressobj().decompress(pdf[m.end():]))
        except zlib.error:
            continue
    out = []
    for chunk in chunks:
        for m in re.finditer(rb"/Alt\s*(?:\(((?:[^()\\]|\\.)*)\)|<([0-9A-Fa-f]+)>)", chunk, re.S):
            if m.group(1) is not None:
                out.append(re.sub(rb"\\(.)", rb"\1", m.group(1)).decode("latin-1"))
            else:
                out.append(bytes.fromhex(m.group(2).decode()).decode("utf-16"))
    return out


@pytest.mark.parametrize("doc", ["units/U00", "units/U01", "owners/S-U01"])
def test_pack_pdf_charts_stay_text_and_carry_their_alternative_text(packs: Path, doc: str) -> None:
    """The PDF prints each chart as an SVG image (charts_as_images): vector shapes and text, not pixels; every chart
    the HTML shows is a tagged Figure whose alternative text is the chart's aria-label."""
    html = (packs / "out" / "packs" / f"{doc}.html").read_text(encoding="utf-8")
    charts = BeautifulSoup(html, "html.parser").find_all("svg")
    assert charts
    pdf = (packs / "out" / "packs" / f"{doc}.pdf").read_bytes()
    assert sorted(pdf_alt_texts(pdf)) == sorted(str(svg["aria-label"]) for svg in charts)
    assert b"/Subtype /Image" not in pdf  # no chart became a raster image
    words = set(pdf_text(packs / "out" / "packs" / f"{doc}.pdf").split())
    chart_words = {w for svg in charts for t in svg.find_all("text") for w in t.get_text(" ").split()}
    assert chart_words
    assert chart_words <= words  # every word drawn in the charts is text pdftotext reads


def test_chart_image_css_repeats_only_the_rules_that_place_a_chart() -> None:
    css = ("td.spark svg { width: 26mm; }\np { color: red; }\n.a svg, .b p { margin: 0; }\n"
           "@media print { figure svg { max-height: 5mm; } svg text { fill: red; } }")
    assert chart_image_css(css) == (
        f"td.spark img.{CHART_IMAGE_CLASS} {{ width: 26mm; }}\n.a img.{CHART_IMAGE_CLASS} {{ margin: 0; }}\n"
        f"@media print {{\nfigure img.{CHART_IMAGE_CLASS} {{ max-height: 5mm; }}\n}}")


def test_chart_image_keeps_the_label_and_leaves_a_broken_chart_inline() -> None:
    svg = ('<svg role="img" aria-label="Beds &amp; &lt;occupancy&gt;" xmlns="http://www.w3.org/2000/svg" width="10" '
           'height="10"><g role="graphics-object"><text x="1" y="5">Beds</text></g></svg>')
    img = chart_image(svg)
    assert img.startswith(f'<img class="{CHART_IMAGE_CLASS}" alt="Beds &amp; &lt;occupancy&gt;" src="data:image/svg+xml;base64,')
    data = base64.b64decode(img.split("base64,", 1)[1].removesuffix('">')).decode("utf-8")
    assert data == print_svg(svg)
    broken = svg.replace(">Beds<", ">Beds&nbsp;<")  # an HTML entity: not XML, so WeasyPrint could not read it as an image
    assert chart_image(broken) == broken
    page = f"<style>td svg {{ width: 1mm; }}</style><p>{svg}</p>"
    assert charts_as_images(page) == (f"<style>td svg {{ width: 1mm; }}\ntd img.{CHART_IMAGE_CLASS} {{ width: 1mm; }}\n"
                                      f"</style><p>{img}</p>")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm is not installed")
def test_chart_printed_as_image_looks_the_same_as_inline(tmp_path: Path) -> None:
    """A pack page with a real chart, printed with the chart inline or as its image: the same pixels at 150 dpi."""
    import altair as alt
    from weasyprint import HTML

    from kpikit.charts import render
    from kpikit.report.html import figure
    from kpikit.report.printing import _stylesheets

    data = pd.DataFrame({"period": ["2026-01", "2026-02", "2026-03"], "value": [3.0, 1.5, 2.25]})
    made = alt.Chart(data, title="Beds & <occupancy>").mark_line(point=True).encode(x="period:O", y="value:Q")
    svg = render.print_svg(str(figure(made, "Beds & <occupancy>", "Three months").svg))
    page = (f'<html lang="en"><head><title>t</title></head><body class="kpikit-report"><table class="scorecard"><tr>'
            f'<td class="spark">{svg}</td></tr></table><figure class="chart"><div class="fig-body">{svg}</div></figure>'
            f"</body></html>")
    fonts, *sheets = _stylesheets()
    inline = HTML(string=page).write_pdf(stylesheets=sheets, font_config=fonts, pdf_variant="pdf/ua-1")
    pngs = []
    for name, pdf in (("inline", inline), ("image", pack_pdf(page))):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / f"{name}.pdf"),
                        str(tmp_path / name)], check=True)
        pngs.append((tmp_path / f"{name}.png").read_bytes())
        assert "Beds & <occupancy>" in pdf_text(tmp_path / f"{name}.pdf")
    assert pngs[0] == pngs[1]


@pytest.mark.parametrize("doc", ["units/U00", "units/U03", "owners/S-U01"])
def test_a_pack_numbers_its_own_sections_and_sends_the_reader_to_the_full_reports_appendix(
        packs: Path, doc: str) -> None:
    """A pack has five of the report's sections and no appendix: it numbers them 01-05 (not the report's 01, 03, 04,
    07, 08), and every mention of an appendix says it is the full report's."""
    html = (packs / "out" / "packs" / f"{doc}.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    kickers = [k.get_text(strip=True) for k in soup.select(".section-kicker")]
    assert kickers == [f"Section {i:02d}" for i in range(1, 6)]
    text = " ".join(soup.get_text(" ").split())
    mentions = re.findall(r".{0,20}\bappendix\b.{0,25}", text, re.I)
    assert mentions  # the summary, cascade, stakeholders and recommendations refer to it
    for m in mentions:
        assert "of the full report" in m or "full report's appendix" in m, m


def test_the_report_keeps_its_own_numbers_and_appendix(packs: Path) -> None:
    from kpikit.report.context import ReportContext
    from kpikit.report.sections import stakeholder_map
    from kpikit.report.sections.contents import appendix, in_pack

    ctx = ReportContext(load_engagement(packs / "client"))
    with in_pack(["summary", "stakeholders"]):
        assert appendix("B") == "Appendix B of the full report"
        in_a_pack = str(stakeholder_map(ctx))
    assert "Section 02" in in_a_pack
    assert "Appendix A of the full report" in in_a_pack
    assert appendix("B") == "Appendix B"
    assert appendix() == "the appendix"
    in_the_report = str(stakeholder_map(ctx))
    assert "Section 07" in in_the_report
    assert "in Appendix A." in in_the_report
