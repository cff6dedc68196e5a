"""The Excel round trip carries the plan model: a milestones sheet, measured_every, and their rules.

A client who keeps the plan in a spreadsheet types the yearly targets there; they come back as
milestones.csv through the same checks (``SHEET!CELL``) and are logged as decisions.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from support import FIXTURES

from kpikit.data.store import load_engagement
from kpikit.errors import WorkbookInputError
from kpikit.excel import export_workbook, import_workbook

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def client(tmp_path: Path) -> Path:
    dest = tmp_path / "client"
    shutil.copytree(FIXTURES / "excel_small", dest)
    (dest / "milestones.csv").write_text("objective_id,metric_id,period,target\nOBJ-1,M-Q,2026-Q4,85\n",
                                         encoding="utf-8")
    return dest


def export(client: Path, tmp_path: Path) -> Path:
    out = tmp_path / "client.xlsx"
    export_workbook(load_engagement(client), out)
    return out


def test_the_milestones_sheet_round_trips_and_edits_are_logged(client: Path, tmp_path: Path) -> None:
    book = export(client, tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb["milestones"]
    assert [c.value for c in ws[1]] == ["objective_id", "metric_id", "period", "target"]
    assert [c.value for c in ws[2]] == ["OBJ-1", "M-Q", "2026-Q4", 85]
    ws.cell(row=2, column=4).value = 86
    ws.append(["OBJ-1", "M-Q", "Q2 2027", 88])  # a usual spreadsheet spelling of 2027-Q2
    wb.save(book)

    result = import_workbook(book, client, today=TODAY)

    assert sorted(result.written) == ["changes.csv", "milestones.csv"]
    assert (client / "milestones.csv").read_text(encoding="utf-8") == (
        "objective_id,metric_id,period,target\nOBJ-1,M-Q,2026-Q4,86\nOBJ-1,M-Q,2027-Q2,88\n")
    assert (client / "changes.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "2026-11-27,OBJ-1/M-Q,milestone 2026-Q4 85 -> 86,imported from client.xlsx,excel import",
        "2026-11-27,OBJ-1/M-Q,milestone 2027-Q2 set to 88,imported from client.xlsx,excel import",
    ]
    assert load_engagement(client).milestones["target"].tolist() == [86.0, 88.0]


def test_a_milestone_outside_its_kpi_is_refused_at_its_cell(client: Path, tmp_path: Path) -> None:
    book = export(client, tmp_path)
    wb = openpyxl.load_workbook(book)
    wb["milestones"].append(["OBJ-1", "M-Q", "2028-Q1", 91])  # after the target period 2027-Q4
    wb["milestones"].append(["OBJ-2", "M-Q", "2026-Q4", 91])  # not a selected KPI
    wb.save(book)
    before = (client / "milestones.csv").read_bytes()

    with pytest.raises(WorkbookInputError) as exc:
        import_workbook(book, client, today=TODAY)

    text = str(exc.value)
    assert "milestones!C3: period 2028-Q1 is not before the target_period 2027-Q4 of KPI OBJ-1/M-Q" in text
    assert "milestones!A4:D4: KPI OBJ-2/M-Q is not a row of kpis.csv" in text  # the whole row: no one cell is wrong
    assert (client / "milestones.csv").read_bytes() == before


def test_measured_every_is_offered_as_a_whole_number(client: Path, tmp_path: Path) -> None:
    book = export(client, tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb["metrics"]
    header = [c.value for c in ws[1]]
    assert "measured_every" in header
    col = openpyxl.utils.get_column_letter(header.index("measured_every") + 1)
    rules = [dv for dv in ws.data_validations.dataValidation if any(str(r).startswith(f"{col}2") for r in dv.sqref.ranges)]
    assert [(dv.type, dv.formula1) for dv in rules] == [("whole", "1")]
    ws[f"{col}4"] = 2  # M-ENG, the annual survey index: every two years
    wb.save(book)

    import_workbook(book, client, today=TODAY)

    assert load_engagement(client).metrics.set_index("id")["measured_every"]["M-ENG"] == 2.0
