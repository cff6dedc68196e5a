"""The client deliverable, checked as the client receives it.

``report.html`` and ``report.pdf`` of the demo come from the session's one real run
(``demo_run``); the XSS client is run once per module with the real runner. No mocks:
the HTML is parsed, the PDF is read with pypdf.
"""

from __future__ import annotations

import html as htmllib
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from support import DEMO, FIXTURES, ROOT, copy_client, visible

from kpikit import load_engagement
from kpikit.errors import ReportError
from kpikit.report import build as report
from kpikit.report.sections import SECTIONS, context, cover, figure, strategy
from kpikit.run.runner import run_engagement

XSS = FIXTURES / "xss_client"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'

EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//"""
    r"""|@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//"""
    r"""|import\(\s*["']\s*(?:https?:)?//""",
    re.IGNORECASE,
)


visible_text = visible


@pytest.fixture(scope="module")
def demo_html(demo_run: Path) -> str:
    return (demo_run / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def xss_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    client = copy_client(XSS, tmp_path_factory.mktemp("xss"))
    result = run_engagement(client, out=client.parent / "out", formats={"html", "pdf"})
    assert result.ok, result.failure
    return result.out_dir


DEMO_ABSENT = {"since_published", "open_actions"}
"""Optional sections the demo does not show: it has no published report and no actions.csv."""


# -- contents ----------------------------------------------------------------------------

@pytest.mark.slow
def test_html_has_every_section_heading_in_contract_order(demo_html: str) -> None:
    soup = BeautifulSoup(demo_html, "html.parser")
    h1 = [" ".join(h.get_text(" ").split()) for h in soup.find_all("h1")]
    expected = [title for key, title in SECTIONS if key not in DEMO_ABSENT]
    found = [t for t in h1 if t in expected]
    assert found == expected, h1
    assert h1[0] == "Strategy 2027: KPI Alignment Report"  # the cover title comes first


@pytest.mark.slow
def test_html_names_every_objective_and_every_selected_kpi(demo_html: str) -> None:
    eng = load_engagement(DEMO)
    text = visible_text(demo_html)
    for title in eng.objectives["title"]:
        assert " ".join(str(title).split()) in text, title
    names = dict(zip(eng.metrics["id"], eng.metrics["name"], strict=True))
    for mid in eng.kpis["metric_id"]:
        assert names[mid] in text, names[mid]


@pytest.mark.slow
def test_html_cover_and_summary_facts(demo_html: str) -> None:
    text = visible_text(demo_html)
    for fact in ("Harbor Regional Health", "Review period 2026-Q3", "Northwind Advisory", "Confidential",
                 "Top concerns", "Successes", "Outstanding steps", "Overall score"):
        assert fact in text, fact
    # the two red KPIs of the demo are named as concerns, with their numbers
    assert "Patient 'would recommend' top-box score is off track: 71.4%" in text
    assert "RN vacancy rate is off track: 9.9%" in text


@pytest.mark.slow
def test_html_is_self_contained(demo_html: str) -> None:
    assert EXTERNAL.findall(demo_html) == []
    assert "<script" not in demo_html.lower()  # the deliverable runs no code at all
    assert "cdnjs" not in demo_html
    assert "unpkg" not in demo_html


@pytest.mark.slow
def test_html_has_no_code_no_prompts_no_local_paths(demo_html: str, demo_run: Path) -> None:
    assert "jp-InputArea" not in demo_html
    assert "In&nbsp;[" not in demo_html
    assert "Out[" not in demo_html
    assert "load_engagement" not in demo_html
    assert "report.cover(ctx)" not in demo_html
    for path in (demo_run, demo_run.parent.parent, ROOT):
        assert str(path) not in demo_html
    assert not re.search(r"(?:/tmp/|/home/|/root/|[A-Z]:\\\\)", demo_html)


@pytest.mark.slow
def test_charts_are_inline_svg_with_text_title_and_description(demo_html: str) -> None:
    soup = BeautifulSoup(demo_html, "html.parser")
    figures = soup.select("figure.chart")
    from kpikit.report.context import context
    attention = sum(1 for r in context(load_engagement(DEMO)).rows if r["view"] != "green")
    # the cascade, the influence map and one chart per KPI that needs attention; the demo's
    # metric selection is a table (most of its heatmap would be empty)
    assert len(figures) == 2 + attention
    assert soup.select_one("#sec-selection table") is not None
    for fig in figures:
        svg = fig.find("svg")
        assert svg is not None
        assert svg.get("role") == "img"
        assert svg.get("aria-label")
        assert fig.select_one(".fig-title").get_text(strip=True)
        assert fig.select_one(".fig-desc").get_text(strip=True)
        assert svg.find(["path", "rect", "text"]) is not None
    ids = [el["id"] for el in soup.select("svg [id]")]
    assert len(ids) == len(set(ids)), "two inline SVGs share an element id"


@pytest.mark.slow
def test_tables_have_header_cells_and_status_reads_without_colour(demo_html: str) -> None:
    soup = BeautifulSoup(demo_html, "html.parser")
    tables = soup.select("table")
    assert tables
    assert all(t.find("th") is not None for t in tables)
    badges = soup.select("table.scorecard .badge")
    words = {b.get_text(" ", strip=True) for b in badges}
    assert {"● On track", "▲ At risk", "■ Off track", "○ No data"} <= words


# -- the PDF -----------------------------------------------------------------------------

@pytest.mark.slow
def test_pdf_pages_client_contents_and_tags(demo_run: Path) -> None:
    reader = PdfReader(str(demo_run / "report.pdf"))
    assert len(reader.pages) > 1
    first = reader.pages[0].extract_text()
    assert "Harbor Regional Health" in first
    contents = reader.pages[1].extract_text()
    assert "Contents" in contents
    for key, title in SECTIONS:
        if key in DEMO_ABSENT:
            continue
        assert re.search(re.escape(title) + r"[\s.]*\d+", contents), f"no page number for {title}"
    # running header with the client name from page 2 on; page numbers n / N
    n = len(reader.pages)
    third = reader.pages[2].extract_text()
    assert "Harbor Regional Health" in third
    assert f"3 / {n}" in third
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert str(root.get("/Lang", "")).startswith("en")
    assert reader.metadata is not None
    assert "Harbor Regional Health" in (reader.metadata.title or "")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4


@pytest.mark.slow
def test_letter_page_size_from_engagement_yaml(xss_run: Path, tmp_path: Path) -> None:
    eng = load_engagement(XSS)
    eng.config.report.page_size = "Letter"
    shutil.copy(xss_run / "notebooks" / "07_report.ipynb", tmp_path / "07_report.ipynb")
    written = report.build_report(tmp_path / "07_report.ipynb", tmp_path, eng, {"pdf"})
    assert written == [tmp_path / "report.pdf"]
    box = PdfReader(str(written[0])).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


# -- escaping ----------------------------------------------------------------------------

@pytest.mark.slow
def test_user_text_is_escaped_in_html(xss_run: Path) -> None:
    page = (xss_run / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find_all("script") == []
    assert soup.find_all("img") == []
    assert soup.find_all(attrs={"onerror": True}) == []
    assert htmllib.escape(SCRIPT, quote=False) in page  # shown as text
    text = visible_text(page)
    assert SCRIPT in text
    assert IMG in text
    assert "Grow revenue by 10% by December 2026 <script>alert(1)</script>" in text


@pytest.mark.slow
def test_user_text_is_escaped_in_pdf(xss_run: Path) -> None:
    reader = PdfReader(str(xss_run / "report.pdf"))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Evil & Co <script>alert(1)</script>" in text


def test_sections_escape_every_user_text() -> None:
    ctx = context(load_engagement(XSS))
    for frag in (cover(ctx), strategy(ctx)):
        assert "<script" not in frag.html
        assert "<img src=x" not in frag.html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in frag.html


def test_chart_figure_escapes_title_and_labels() -> None:
    import altair as alt
    import pandas as pd

    chart = alt.Chart(pd.DataFrame({"k": [SCRIPT, IMG], "v": [1, 2]})).mark_bar().encode(x="v", y="k")
    fig = figure(chart, f"Title {SCRIPT}", f"About {IMG}")
    assert "<script" not in str(fig.svg)
    assert "<img" not in str(fig.svg)
    assert "&lt;script&gt;" in str(fig.svg)


# -- errors ------------------------------------------------------------------------------

def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="unknown report format"):
        report.build_report(tmp_path / "x.ipynb", tmp_path, load_engagement(XSS), {"docx"})


def test_unreadable_notebook_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "07_report.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match=r"07_report\.ipynb"):
        report.build_report(bad, tmp_path, load_engagement(XSS), {"html"})
    assert not (tmp_path / "report.html").exists()


def test_a_local_path_in_the_output_is_refused(tmp_path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    eng = load_engagement(XSS)
    nb = new_notebook()
    cell = new_code_cell("x")
    cell.outputs = [new_output("display_data", data={"text/html": f"<p>{eng.path.resolve()}</p>"})]
    nb.cells.append(cell)
    path = tmp_path / "07_report.ipynb"
    nbformat.write(nb, str(path))
    with pytest.raises(ReportError, match="local folder path"):
        report.build_report(path, tmp_path, eng, {"html"})
    assert not (tmp_path / "report.html").exists()


def test_logo_is_embedded_as_data_uri(tmp_path: Path) -> None:
    import base64

    client = copy_client(XSS, tmp_path)
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    (client / "brand").mkdir()
    (client / "brand" / "logo.png").write_bytes(png)
    eng = load_engagement(client)
    eng.config.report.logo = "brand/logo.png"
    page = cover(context(eng)).html
    assert '<img class="cover-logo" src="data:image/png;base64,' in page
    assert str(client) not in page
    eng.config.report.logo = "brand/missing.png"
    assert "<img" not in cover(context(eng)).html  # a missing logo leaves the slot empty, no broken image


def test_large_clients_get_charts_for_the_kpis_that_need_attention(monkeypatch: pytest.MonkeyPatch) -> None:
    from kpikit.report import sections as report_sections
    from kpikit.report.sections import targets as targets_section

    monkeypatch.setattr(targets_section, "MAX_KPI_CHARTS", 2)
    page = report_sections.targets_benchmarks(context(load_engagement(DEMO))).html
    soup = BeautifulSoup(page, "html.parser")
    titles = [t.get_text(strip=True) for t in soup.select("figure.chart .fig-title")]
    # the two red KPIs of the demo, in kpis.csv order
    assert titles == ["Patient 'would recommend' top-box score (OBJ-05)", "RN vacancy rate (OBJ-08)"]
    ctx = context(load_engagement(DEMO))
    attention = sum(1 for r in ctx.rows if r["view"] != "green")
    assert f"{attention - 2} more need attention; their figures are in the scorecard of Appendix A" in visible_text(page)
    assert "workbook" not in visible_text(page)  # the client has no notebooks
    # every KPI keeps its row in the appendix's full scorecard
    full = BeautifulSoup(report_sections.appendix_definitions(ctx).html, "html.parser").get_text(" ")
    assert all(str(r["name"]) in full for r in ctx.rows)


def test_raci_becomes_a_list_of_names_when_there_are_many_people(monkeypatch: pytest.MonkeyPatch) -> None:
    from kpikit.report import sections as report_sections
    from kpikit.report.sections import stakeholders as stakeholders_section

    ctx = context(load_engagement(DEMO))
    assert "The RACI matrix and every person's ratings are in Appendix A." in visible_text(report_sections.stakeholder_map(ctx).html)
    assert 'class="data raci"' in report_sections.appendix_definitions(ctx).html
    monkeypatch.setattr(stakeholders_section, "RACI_GRID_MAX", 3)
    page = report_sections.appendix_definitions(ctx).html
    soup = BeautifulSoup(page, "html.parser")
    row = next(tr for tr in soup.select("table.raci-list tbody tr") if "OBJ-01" in tr.get_text())
    assert row.select("td")[0].get_text(strip=True) == "Dr. Rajiv Menon"  # the Accountable column, by name
