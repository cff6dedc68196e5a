"""The review meeting pre-read (``--packs meeting``): two or three pages of what the meeting must decide.

Read as a board member would: the PDF's text (pdftotext) and page count (pdfinfo). The
agenda items are checked against the findings and limits the engine reports for the same
client, not against the module's own lists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from canaryclient import write_client
from support import DEMO, copy_client, write_minimal_client

from kpikit.data.store import load_engagement
from kpikit.engine.behaviour import behaviour
from kpikit.report.context import ReportContext
from kpikit.report.packs import write_packs


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())


def pages(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]


def meeting(folder: Path, out: Path) -> tuple[ReportContext, str, str]:
    eng = load_engagement(folder)
    ctx = ReportContext(eng)
    write_packs(eng, None, out, {"meeting"}, base=ctx)
    html = (out / "packs" / "meeting.html").read_text(encoding="utf-8")
    return ctx, html, pdf_text(out / "packs" / "meeting.pdf")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[ReportContext, str, str, Path]]:
    """The pre-read of another client first (same process: nothing of it may reach the demo's), then the demo's,
    a busier demo (an overdue action, a red KPI without an action) and a client with nothing to decide."""
    root = tmp_path_factory.mktemp("meeting")
    out: dict[str, tuple[ReportContext, str, str, Path]] = {}
    canary = write_client(root / "canary")
    busy = copy_client(DEMO, root, "busy")
    (busy / "actions.csv").write_text(
        "id,item_id,action,owner,due,status,opened,closed,note\n"
        "A-1,OBJ-05/M-PX-TOPBOX,Run bedside rounding on every ward,,2026-08-15,open,2026-07-01,,\n",
        encoding="utf-8")
    calm = write_minimal_client(root / "calm")
    (calm / "kpis.csv").write_text("objective_id,metric_id,target,target_period,baseline,baseline_period,stretch,"
                                   "benchmark,benchmark_source,weight\nO1,M1,2,2026-Q4,3,2025-Q4,,,,\n", encoding="utf-8")
    (calm / "actuals.csv").write_text("metric_id,period,value,note\nM1,2025-Q4,3,\nM1,2026-Q1,2.7,\nM1,2026-Q2,2.5,\n",
                                      encoding="utf-8")
    for name, folder in (("canary", canary), ("demo", DEMO), ("busy", busy), ("calm", calm)):
        ctx, html, text = meeting(folder, root / f"out-{name}")
        out[name] = (ctx, html, text, root / f"out-{name}" / "packs" / "meeting.pdf")
    return out


def test_demo_pre_read_is_two_or_three_pages_of_what_the_findings_say(built: dict) -> None:
    ctx, _html, text, pdf = built["demo"]
    assert 2 <= pages(pdf) <= 3
    assert "Review meeting pre-read: 2026-Q3" in text
    decide = {"KPI_TARGET_UNREALISTIC", "KPI_OFF_TRACK_NO_ACTION", "ACTION_OVERDUE", "ACTUAL_RESTATED"}
    expected = {f.item_id for f in ctx.findings if f.code in decide}
    assert expected == {"OBJ-05/M-PX-TOPBOX"}  # the demo: one target out of reach; no actions.csv, nothing published
    assert "Patient 'would recommend' top-box score (OBJ-05)" in text
    assert "a real change and a target out of reach" in text  # red and beyond its limits: both reasons, one item
    assert "To decide:" in text
    assert "reset the target?" in text
    assert "Not for decision: RN vacancy rate is red but within the variation it has always had" in text
    b = behaviour(ctx.eng)
    quiet_reds = [ctx.kpi_label(m) for m, s, st in zip(b["metric_id"], b["signal"], b["status"], strict=True)
                  if st == "red" and s == "none"]
    assert quiet_reds == ["RN vacancy rate"]
    for r in ctx.rows:  # no KPI on track or merely at risk by the plan's pace is put to the meeting
        if r["view"] in ("green", "amber"):
            assert f"{ctx.kpi_label(r['metric_id'])} ({r['objective_id']})" not in text


def test_each_item_has_its_chart_and_plain_text(built: dict) -> None:
    _ctx, html, _text, _pdf = built["demo"]
    assert html.count("<svg") == 1
    assert 'aria-label="Patient &#39;would recommend&#39; top-box score (OBJ-05)"' in html
    assert "<script" not in html
    assert not re.search(r"(src|href)=\"https?:", html)


def test_no_item_of_another_client(built: dict) -> None:
    for name in ("demo", "busy"):
        _ctx, html, text, _pdf = built[name]
        assert "CANARY" not in text
        assert "Canary Holdings" not in text
        assert "CANARY" not in html
    _ctx, _html, text, _pdf = built["canary"]
    assert "Harbor" not in text
    assert "OBJ-05" not in text
    assert "CANARY_U00" in text


def test_overdue_action_and_red_without_action_are_on_the_agenda(built: dict) -> None:
    ctx, _html, text, pdf = built["busy"]
    codes = {(f.code, f.item_id) for f in ctx.findings}
    assert ("ACTION_OVERDUE", "OBJ-05/M-PX-TOPBOX") in codes
    assert ("KPI_OFF_TRACK_NO_ACTION", "OBJ-08/M-RN-VAC") in codes
    assert 2 <= pages(pdf) <= 3
    assert "Action A-1 'Run bedside rounding on every ward' was due 2026-08-15" in text
    assert "Is it done, does it need a new date, or should it be dropped?" in text
    assert "RN vacancy rate (OBJ-08) (no action agreed)" in text
    assert "What will be done, by whom and by when?" in text


def test_nothing_to_decide_says_so(built: dict) -> None:
    ctx, _html, text, pdf = built["calm"]
    assert [r["view"] for r in ctx.rows] == ["green"]
    assert "Nothing needs a decision this period" in text
    assert pages(pdf) == 1
