"""The board deck (report.pptx): slide order, native charts equal to the scorecard, alt text, plain text,
the consultancy's own template, and LibreOffice Impress opening it (rendered pages kept in test-artifacts/deck)."""

from __future__ import annotations

import hashlib
import io
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE_TYPE
from support import DEMO, FIXTURES, ROOT, copy_client

from kpikit.data.store import load_engagement
from kpikit.engine.review import scorecard
from kpikit.errors import RunSetupError
from kpikit.report.context import ReportContext
from kpikit.report.deck import MAX_KPI_SLIDES, SLIDE_ORDER, alt_text, build_deck, default_template
from kpikit.run.runner import prepare_run

ARTIFACTS = ROOT / "test-artifacts" / "deck"


@pytest.fixture(scope="module")
def demo_deck() -> tuple[ReportContext, bytes]:
    ctx = ReportContext(load_engagement(DEMO))
    return ctx, build_deck(ctx)


def titles(data: bytes) -> list[str]:
    return [s.shapes.title.text_frame.text if s.shapes.title is not None else "" for s in Presentation(io.BytesIO(data)).slides]


def kind(title: str) -> str:
    if title.startswith("Pillar: "):
        return "Pillar"
    if title.startswith("Appendix"):
        return "Appendix"
    for k in SLIDE_ORDER:
        if title == k:
            return k
    return "KPI"


def test_slides_follow_the_order_of_the_issue(demo_deck: tuple[ReportContext, bytes]) -> None:
    ctx, data = demo_deck
    names = titles(data)
    assert names[0] == f"{ctx.eng.client}: {ctx.eng.config.report.title}"
    kinds = ["Title"] + [kind(t) for t in names[1:]]
    collapsed = [k for i, k in enumerate(kinds) if i == 0 or k != kinds[i - 1]]
    assert collapsed == list(SLIDE_ORDER)
    assert [t.removeprefix("Pillar: ") for t in names if t.startswith("Pillar: ")] == [p.name for p in ctx.eng.config.pillars]
    attention = ctx.attention_rows()
    assert kinds.count("KPI") == min(len(attention), MAX_KPI_SLIDES)
    assert [t.rsplit(": ", 1)[0] for t in names[1:] if kind(t) == "KPI"] == [ctx.kpi_label(r["metric_id"]) for r in attention]
    assert sum(1 for k in kinds if k == "Appendix") == math.ceil(len(ctx.rows) / 10)


def test_each_chart_is_native_and_its_series_equal_the_scorecard(demo_deck: tuple[ReportContext, bytes]) -> None:
    ctx, data = demo_deck
    card = scorecard(ctx.eng).set_index(["objective_id", "metric_id"])
    kpis = ctx.eng.kpis.set_index(["objective_id", "metric_id"])
    charts = 0
    for slide, r in zip([s for s in list(Presentation(io.BytesIO(data)).slides)[1:]
                         if kind(s.shapes.title.text_frame.text) == "KPI"], ctx.attention_rows(), strict=True):
        frames = [sh for sh in slide.shapes if sh.has_chart]
        assert len(frames) == 1
        chart = frames[0].chart
        plot = chart.plots[0]
        cats = list(plot.categories)
        series = {s.name: list(s.values) for s in plot.series}
        key = (r["objective_id"], r["metric_id"])
        want = card.loc[key]
        assert list(series)[:3] == ["Actual", "Trajectory", "Target"]
        i = cats.index(str(want["period"]))
        if math.isnan(want["actual"]):
            assert series["Actual"][i] is None
        else:
            assert series["Actual"][i] == pytest.approx(want["actual"])
        assert series["Trajectory"][i] == pytest.approx(want["expected"])
        assert series["Target"] == pytest.approx([kpis.loc[key, "target"]] * len(cats))
        bench = kpis.loc[key, "benchmark"]
        assert ("Benchmark" in series) == (not math.isnan(bench))
        if "Benchmark" in series:
            assert series["Benchmark"] == pytest.approx([bench] * len(cats))
        charts += 1
    assert charts >= 5


def test_every_chart_table_and_picture_has_alt_text(demo_deck: tuple[ReportContext, bytes]) -> None:
    _, data = demo_deck
    seen = 0
    for slide in Presentation(io.BytesIO(data)).slides:
        for sh in slide.shapes:
            if sh.has_chart or sh.has_table or sh.shape_type == MSO_SHAPE_TYPE.PICTURE:
                assert len(alt_text(sh)) > 20, (slide.shapes.title.text_frame.text, sh.name)
                seen += 1
        assert slide.has_notes_slide
        assert len(slide.notes_slide.notes_text_frame.text) > 40
    assert seen > 10


def test_hostile_user_text_stays_plain_text(tmp_path: Path) -> None:
    client = copy_client(FIXTURES / "xss_client", tmp_path)
    with (client / "metrics.csv").open("a", encoding="utf-8") as f:
        f.write('M9,"=HYPERLINK(""http://evil.example"",""x"")",,,%,up,quarterly,,,\n')
    with (client / "kpis.csv").open("r+", encoding="utf-8") as f:
        header = f.readline().strip().split(",")
        f.seek(0, 2)
        row = {"objective_id": "O1", "metric_id": "M9", "target": "90", "target_period": "2026-Q4"}
        f.write(",".join(row.get(h, "") for h in header) + "\n")
    ctx = ReportContext(load_engagement(client))
    data = build_deck(ctx)
    prs = Presentation(io.BytesIO(data))
    texts = [p.text for s in prs.slides for sh in s.shapes if sh.has_text_frame for p in sh.text_frame.paragraphs]
    texts += [c.text for s in prs.slides for sh in s.shapes if sh.has_table for row in sh.table.rows for c in row.cells]
    joined = "\n".join(texts)
    assert "<script>alert(1)</script>" in joined  # shown as the characters typed
    assert '=HYPERLINK("http://evil.example","x")' in joined
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("ppt/slides/slide"))
    assert "<script>" not in xml  # escaped in the XML: text, never markup
    assert "&lt;script&gt;" in xml
    assert "<a:fld" not in xml  # no field holds user text
    assert "hlinkClick" not in xml  # and nothing became a link


def test_large_client_gets_attention_slides_and_an_appendix_not_a_slide_per_kpi(tmp_path: Path) -> None:
    from canaryclient import write_client

    client = write_client(tmp_path / "big", n_units=25, kpis_per_unit=8, empty=())
    ctx = ReportContext(load_engagement(client))
    assert len(ctx.rows) == 200
    names = titles(build_deck(ctx))
    assert sum(1 for t in names[1:] if kind(t) == "KPI") == min(MAX_KPI_SLIDES, len(ctx.attention_rows()))
    assert sum(1 for t in names if t.startswith("Appendix")) == 20
    assert len(names) < 200


def _custom_template(path: Path) -> bytes:
    """A template with other layout names, no 'Title and Content', a dark-blue master and a sample slide."""
    prs = Presentation(str(default_template()))
    master = prs.slide_masters[0]
    fill = master.background.fill
    fill.solid()
    fill.fore_color.rgb = RGBColor(0x10, 0x20, 0x60)
    names = {"Title Slide": "Firm Cover", "Title and Content": "Firm Bullets", "Title Only": "Firm Heading"}
    for lay in prs.slide_layouts:
        lay.name = names.get(lay.name, lay.name)
    prs.slides.add_slide(prs.slide_layouts[0]).shapes.title.text = "SAMPLE SLIDE of the firm"
    prs.save(str(path))
    return path.read_bytes()


def test_custom_deck_template_is_honoured_and_never_written(tmp_path: Path) -> None:
    client = copy_client(DEMO, tmp_path)
    (client / "brand").mkdir()
    before = _custom_template(client / "brand" / "firm.pptx")
    y = (client / "engagement.yaml").read_text(encoding="utf-8")
    (client / "engagement.yaml").write_text(y.replace("report:\n", "report:\n  deck_template: brand/firm.pptx\n", 1),
                                            encoding="utf-8")
    eng = load_engagement(client)
    assert eng.config.report.deck_template == "brand/firm.pptx"
    prs = Presentation(io.BytesIO(build_deck(ReportContext(eng))))
    used = {s.slide_layout.name for s in prs.slides}
    assert used == {"Firm Cover", "Firm Bullets", "Firm Heading"}
    assert prs.slides[0].shapes.title.text_frame.text.startswith(eng.client)  # the sample slide is gone
    assert "SAMPLE SLIDE" not in "".join(titles(build_deck(ReportContext(eng))))
    assert prs.slide_masters[0].background.fill.fore_color.rgb == RGBColor(0x10, 0x20, 0x60)
    assert hashlib.sha256((client / "brand" / "firm.pptx").read_bytes()).digest() == hashlib.sha256(before).digest()


def test_bad_deck_template_stops_the_run_before_anything_is_written(tmp_path: Path) -> None:
    client = copy_client(DEMO, tmp_path)
    (client / "brand.pptx").write_bytes(b"not a zip")
    y = (client / "engagement.yaml").read_text(encoding="utf-8")
    (client / "engagement.yaml").write_text(y.replace("report:\n", "report:\n  deck_template: brand.pptx\n", 1),
                                            encoding="utf-8")
    with pytest.raises(RunSetupError, match=r"engagement.yaml: .*report.deck_template 'brand.pptx' is not a PowerPoint"):
        prepare_run(client, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    prepare_run(client, out=tmp_path / "out", formats="html,pdf")  # without the deck the template is not read
    (client / "engagement.yaml").write_text(y.replace("report:\n", "report:\n  deck_template: gone.pptx\n", 1),
                                            encoding="utf-8")
    from kpikit.errors import EngagementError

    with pytest.raises(EngagementError, match=r"engagement.yaml:\d+: report.deck_template 'gone.pptx'"):
        load_engagement(client)


def test_libreoffice_impress_converts_the_deck_and_the_slides_render(demo_deck: tuple[ReportContext, bytes],
                                                                     tmp_path: Path) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None or shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("libreoffice-impress and poppler-utils are installed by .ci/run")
        pytest.skip("LibreOffice or pdftoppm is not installed")
    _, data = demo_deck
    deck = tmp_path / "report.pptx"
    deck.write_bytes(data)
    done = subprocess.run([office, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(deck)],
                          capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "report.pdf"
    assert done.returncode == 0, done.stderr
    assert pdf.exists(), done.stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert f"Pages:{len(titles(data))}\n" in info.replace(" ", "")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for page in (1, 2, 8, len(titles(data))):
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf),
                        str(ARTIFACTS / f"slide-{page:02d}")], check=True)
    assert (ARTIFACTS / "slide-08.png").stat().st_size > 5000  # a chart slide, drawn
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Executive summary" in text
    assert "Appendix: every KPI" in text
