"""The report says for each KPI where its number came from and when: "Where the numbers come from" in the targets
section and the Data line of each definition sheet (both from engine/measured.py), on the demo before and after a refresh."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from support import DEMO, run_cli

from kpikit.data.store import load_engagement
from kpikit.report.sections import appendix_definitions, context, targets_benchmarks


def _text(html_text: str) -> str:
    return " ".join(BeautifulSoup(html_text, "html.parser").get_text().split())


def _measured_rows(html_text: str) -> list[list[str]]:
    table = BeautifulSoup(html_text, "html.parser").select_one("table.measured")
    assert table is not None
    return [[" ".join(c.get_text(" ").split()) for c in tr.find_all(["th", "td"])] for tr in table.select("tbody tr")]


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from kpikit.report.sections import targets as targets_section

    monkeypatch.setattr(targets_section, "MAX_KPI_CHARTS", 0)  # the charts are not what these tests read
    folder = tmp_path / "demo-harbor"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("runs", ".kpikit"))
    return folder


def test_where_the_numbers_come_from_before_and_after_a_refresh(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = targets_benchmarks(context(load_engagement(demo))).html
    said = _text(page)
    assert ("2 of 29 KPIs are measured: their actuals are pulled by a query from the client's own data. 26 are "
            "declared: a system of record is named, but the figures are typed in. 1 has no data source: Hand hygiene "
            "compliance (OBJ-16).") in said
    assert _measured_rows(page) == [
        ["ED 4-hour performance", "OBJ-02", "ed: queries/ed_4hr.sql", "not refreshed yet", "—", "—", "—"],
        ["ED door-to-provider time (median)", "OBJ-12", "ed: queries/ed_d2p.sql", "not refreshed yet", "—", "—", "—"],
    ]
    assert run_cli(["refresh", str(demo), "--quiet"]) == 0
    capsys.readouterr()
    eng = load_engagement(demo)
    rows = _measured_rows(targets_benchmarks(context(eng)).html)
    assert [r[4:] for r in rows] == [["9", "2026-Q3", "ok"], ["27", "2026-09", "ok"]]
    assert rows[0][3].endswith("UTC")
    sheets = _text(appendix_definitions(context(eng)).html)
    assert "measured: source ed, queries/ed_4hr.sql; last refresh " in sheets
    assert "9 rows, latest 2026-Q3, ok; 9 actuals" in sheets
    assert "declared: RLDatix incident reporting (named, no query); 9 actuals" in sheets
    assert "no source recorded; " in sheets


def test_a_failed_query_is_named_in_the_report_with_the_database_words_escaped(
    demo: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (demo / "queries" / "ed_d2p.sql").write_text("SELECT \"<script>x</script>\" AS period, 1 AS value FROM source\n")
    assert run_cli(["refresh", str(demo), "--keep-going", "--quiet"]) == 4
    capsys.readouterr()
    page = targets_benchmarks(context(load_engagement(demo))).html
    assert "<script>" not in page
    rows = _measured_rows(page)
    assert rows[0][6] == "ok"
    assert rows[1][6].startswith("failed : query (queries/ed_d2p.sql): Binder Error: Referenced column \"<script>x</script>\"")


def test_a_client_without_sources_keeps_its_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No source declared: no 'Where the numbers come from' block (the definition sheets and KPI_NOT_MEASURED say it)."""
    from sourcesupport import write_client

    from kpikit.report.sections import targets as targets_section

    monkeypatch.setattr(targets_section, "MAX_KPI_CHARTS", 0)
    folder = write_client(tmp_path / "c", "", ["M1,Survey,up,annual,HR survey,,"], actuals="M1,2025,70,\n")
    page = targets_benchmarks(context(load_engagement(folder))).html
    assert "Targets and benchmarks" in page
    assert "Where the numbers come from" not in page
