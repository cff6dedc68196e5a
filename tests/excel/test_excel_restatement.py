"""A workbook that changes a published actual is refused unless the import says why (``--reason``)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from published_client import PUBLISHED_PERIOD, client_copy, publish_demo
from support import run_cli

from kpikit.data.store import load_engagement
from kpikit.engine.restatements import findings


@pytest.fixture(scope="module")
def published(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_demo(demo_run, tmp_path_factory.mktemp("published"))


@pytest.fixture
def restating_book(published: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the published client and a workbook from it with M-ED-4HR's published value changed."""
    client = client_copy(published, tmp_path)
    book = tmp_path / "harbor.xlsx"
    assert run_cli(["excel", "export", str(client), str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["actuals"]
    header = [c.value for c in ws[1]]
    (row,) = [r for r in ws.iter_rows(min_row=2)
              if r[header.index("metric_id")].value == "M-ED-4HR" and r[header.index("period")].value == PUBLISHED_PERIOD]
    row[header.index("value")].value = 90.4
    wb.save(book)
    return client, book


def _restated(client: Path) -> list[str]:
    return [f.item_id for f in findings(load_engagement(client)) if f.code == "ACTUAL_RESTATED"]


def test_refused_without_a_reason_then_logged_with_it(restating_book: tuple[Path, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    client, book = restating_book
    files = ("actuals.csv", "changes.csv")
    before = [(client / f).read_bytes() for f in files]
    capsys.readouterr()
    assert run_cli(["excel", "import", str(book), str(client)]) == 2
    err = capsys.readouterr()
    said = err.out + err.err
    assert f"changes 1 actual the board already saw in a published report: M-ED-4HR {PUBLISHED_PERIOD}" in said
    assert "nothing was written" in said
    assert "--reason TEXT" in said
    assert "Traceback" not in said
    assert [(client / f).read_bytes() for f in files] == before

    assert run_cli(["excel", "import", str(book), str(client), "--dry-run"]) == 0
    assert "the import needs --reason TEXT" in capsys.readouterr().out
    assert [(client / f).read_bytes() for f in files] == before

    assert run_cli(["excel", "import", str(book), str(client), "--reason", "Epic re-extract after the coding fix"]) == 0
    out = capsys.readouterr().out
    assert "changes.csv += " in out
    assert f"M-ED-4HR: published actual for {PUBLISHED_PERIOD} restated: 89.6 -> 90.4" in out
    row = pd.read_csv(client / "changes.csv").iloc[-1]
    assert (row["item_id"], row["rationale"], row["decided_by"]) == (
        "M-ED-4HR", "Epic re-extract after the coding fix", "excel import")
    assert pd.read_csv(client / "actuals.csv").set_index(["metric_id", "period"]).at[
        ("M-ED-4HR", PUBLISHED_PERIOD), "value"] == pytest.approx(90.4)
    assert _restated(client) == []


def test_a_workbook_that_restates_nothing_needs_no_reason(published: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    client = client_copy(published, tmp_path)
    book = tmp_path / "harbor.xlsx"
    assert run_cli(["excel", "export", str(client), str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["actuals"]
    ws.append(["M-ED-4HR", "2026-Q4", 91, None])  # a period no board has seen
    wb.save(book)
    capsys.readouterr()
    assert run_cli(["excel", "import", str(book), str(client)]) == 0
    assert "published actual" not in capsys.readouterr().out
    assert "2026-Q4" in (client / "actuals.csv").read_text(encoding="utf-8")
