"""The Excel round trip: export, edit as a client would, import with validate's rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import DEMO, FIXTURES

from kpikit.cli import main
from kpikit.data.schema import SPECS
from kpikit.data.store import load_engagement
from kpikit.errors import ExcelError, WorkbookInputError
from kpikit.excel import export_workbook, import_workbook
from kpikit.excel.cells import cell_text, normalise_date, normalise_period
from kpikit.excel.layout import LISTS_SHEET

FIXTURE = FIXTURES / "excel_small"
TODAY = dt.date(2026, 11, 27)


def folder_hashes(folder: Path) -> dict[str, str]:
    """Every file under the folder (backups included) and its hash."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def client(tmp_path: Path) -> Path:
    dest = tmp_path / "client"
    shutil.copytree(FIXTURE, dest)
    return dest


@pytest.fixture
def workbook(client: Path, tmp_path: Path) -> Path:
    out = tmp_path / "client.xlsx"
    export_workbook(load_engagement(client), out)
    return out


def edit(path: Path, change: object) -> None:
    """Open the workbook with openpyxl as a client's tool would, apply ``change``, save."""
    wb = openpyxl.load_workbook(path)
    change(wb)  # type: ignore[operator]
    wb.save(path)


def row_of(ws: object, column: int, value: str) -> int:
    for row in ws.iter_rows(min_row=2):  # type: ignore[attr-defined]
        if row[column - 1].value == value:
            return int(row[0].row)
    raise AssertionError(f"{value} not found")


def header_col(ws: object, name: str) -> int:
    for cell in next(ws.iter_rows(min_row=1, max_row=1)):  # type: ignore[attr-defined]
        if cell.value == name:
            return int(cell.column)
    raise AssertionError(name)


# -- round trip without edits ---------------------------------------------------------------
def test_round_trip_without_edits_leaves_every_byte(client: Path, workbook: Path) -> None:
    before = folder_hashes(client)
    result = import_workbook(workbook, client, today=TODAY)
    assert not result.changed
    assert result.written == []
    assert folder_hashes(client) == before  # no rewrite, no backup, changes.csv not created


@pytest.mark.skipif(not (DEMO / "engagement.yaml").exists(), reason="demo client not there yet")
def test_round_trip_of_the_demo_client_is_byte_identical(tmp_path: Path) -> None:
    dest = tmp_path / "demo"
    shutil.copytree(DEMO, dest, ignore=shutil.ignore_patterns("runs", ".kpikit", ".ipynb_checkpoints", "notebooks"))
    before = folder_hashes(dest)
    out = tmp_path / "demo.xlsx"
    assert main(["excel", "export", str(dest), str(out)]) == 0
    assert main(["excel", "import", str(out), str(dest)]) == 0
    assert folder_hashes(dest) == before


# -- what the export looks like ---------------------------------------------------------------
def test_export_has_contract_columns_instructions_and_dropdowns(client: Path, workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames[0] == "Instructions"
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    metrics = wb["metrics"]
    header = [c.value for c in metrics[1]]
    assert header == [*SPECS["metrics"].column_names, "comment"]  # extra column kept
    assert metrics.freeze_panes == "A2"
    scores = [c.value for c in wb["metric_scores"][1]]
    assert scores == ["objective_id", "metric_id", "relevance", "cost_to_collect"]
    # existing rows prefilled, numbers as numbers, enum spelled canonically
    assert metrics.cell(row=4, column=6).value == "up"
    kpis = wb["kpis"]
    assert kpis.cell(row=2, column=3).value == 90
    assert kpis.cell(row=2, column=8).value == 0.1
    assert wb["objectives"].cell(row=2, column=7).number_format == "yyyy-mm-dd"
    # dropdowns: every closed set, via named ranges on the hidden lists sheet
    lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in metrics.data_validations.dataValidation}
    assert lists["F"] == "list_direction"
    assert lists["G"] == "list_frequency"
    assert lists["J"] == "list_type"
    assert {dv.formula1 for dv in wb["raci"].data_validations.dataValidation} >= {
        "list_objectives_metrics", "list_stakeholders", "list_raci"}
    assert {dv.formula1 for dv in wb["objectives"].data_validations.dataValidation} >= {
        "list_org_units", "list_objectives", "list_pillars"}
    dn = wb.defined_names["list_objectives_metrics"]
    ids = [c.value for row in wb[LISTS_SHEET][dn.attr_text.split("!")[1].replace("$", "")] for c in row]
    assert ids == ["OBJ-1", "OBJ-2", "M-Q", "M-COST", "M-ENG"]
    # instructions are generated from the schema: every column is explained
    text = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    for spec in SPECS.values():
        for col in spec.columns:
            assert col.name in text
    assert "up, down" in text
    assert "YYYY-Qn" in text
    assert "relevance 2" in text


def test_formula_looking_text_is_stored_as_text(workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    desc = wb["objectives"].cell(row=2, column=8)
    assert desc.value.startswith("=1+1")
    assert desc.data_type == "s"
    assert desc.quotePrefix
    assert wb["objectives"].cell(row=3, column=8).data_type == "s"  # "-3 points vs plan"
    raw = zipfile.ZipFile(workbook).read("xl/worksheets/sheet3.xml").decode()
    assert "<f>" not in raw  # no formula anywhere in the objectives sheet


def test_user_text_that_looks_like_a_formula_is_never_a_formula(client: Path, tmp_path: Path) -> None:
    yaml = (client / "engagement.yaml").read_text()
    (client / "engagement.yaml").write_text(yaml.replace("client: Small Excel Client", "client: '=HYPERLINK(\"http://x\")'"))
    (client / "org_units.csv").write_text("id,name,parent_id,lead,=cmd|' /C calc'!A0\nORG,+Small,,@lead,-1+1\nORG-OPS,Ops,ORG,,\n")
    out = tmp_path / "f.xlsx"
    export_workbook(load_engagement(client), out)
    with zipfile.ZipFile(out) as zf:
        assert not any("<f>" in zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.endswith(".xml"))
    wb = openpyxl.load_workbook(out)
    assert wb["Instructions"]["A1"].value.startswith("=HYPERLINK")
    assert [c.value for c in wb["org_units"][1]][-1] == "=cmd|' /c calc'!a0"  # names are lower-cased by the loader
    assert all(c.data_type == "s" for c in wb["org_units"][2] if c.value is not None)
    before = folder_hashes(client)
    assert not import_workbook(out, client).changed
    assert folder_hashes(client) == before


def test_rows_added_on_several_sheets_reference_each_other(client: Path, workbook: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb["metrics"].append(["M-NEW", "New metric", None, None, "%", "Down", "quarterly"])
        wb["actuals"].append(["M-NEW", "2026 Q2", 12.5])
        wb["kpis"].append(["OBJ-2", "M-NEW", 10, "Q4 2027"])

    edit(workbook, change)
    result = import_workbook(workbook, client, today=TODAY)
    assert sorted(result.written) == ["actuals.csv", "changes.csv", "kpis.csv", "metrics.csv"]
    assert (client / "metrics.csv").read_text().endswith("M-NEW,New metric,,,%,down,quarterly,,,,\n")
    assert "OBJ-2,M-NEW,10,2027-Q4," in (client / "kpis.csv").read_text()
    assert "OBJ-2/M-NEW,KPI selected: target 10 by 2027-Q4" in (client / "changes.csv").read_text()


def test_unknown_table_in_sheets_option_is_a_usage_error(client: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["excel", "export", str(client), str(tmp_path / "x.xlsx"), "--sheets", "budget"])
    assert info.value.code == 2


def test_export_only_some_sheets(client: Path, tmp_path: Path) -> None:
    out = tmp_path / "some.xlsx"
    assert main(["excel", "export", str(client), str(out), "--sheets", "actuals", "kpis"]) == 0
    assert openpyxl.load_workbook(out).sheetnames == ["Instructions", "kpis", "actuals", LISTS_SHEET]


def test_export_refuses_an_invalid_folder(client: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (client / "metrics.csv").write_text("id,name,direction,frequency\nM-Q,Q,sideways,quarterly\n")
    assert main(["excel", "export", str(client), str(tmp_path / "x.xlsx")]) == 1
    assert "metrics.csv:2: direction 'sideways' is not one of up, down" in capsys.readouterr().out
    assert not (tmp_path / "x.xlsx").exists()


# -- edits a client makes ---------------------------------------------------------------------
def test_new_actuals_and_changed_target_are_written_and_logged(client: Path, workbook: Path) -> None:
    before = folder_hashes(client)

    def change(wb: openpyxl.Workbook) -> None:
        wb["actuals"].append(["M-COST", "2026-03", 1280, "typed by the client"])
        wb["actuals"].append(["M-Q", "Q3 2026", 0.1 + 0.2 + 85, None])  # float noise, usual period form
        kpis = wb["kpis"]
        kpis.cell(row=row_of(kpis, 2, "M-Q"), column=3).value = 95

    edit(workbook, change)
    result = import_workbook(workbook, client, today=TODAY)
    assert sorted(result.written) == ["actuals.csv", "changes.csv", "kpis.csv"]
    actuals = (client / "actuals.csv").read_text()
    assert actuals.endswith("M-COST,2026-03,1280,typed by the client\nM-Q,2026-Q3,85.3,\n")
    assert "OBJ-1,M-Q,95,2027-Q4" in (client / "kpis.csv").read_text()
    assert (client / "changes.csv").read_text() == (
        "date,item_id,change,rationale,decided_by\n"
        "2026-11-27,OBJ-1/M-Q,target 90 -> 95,imported from client.xlsx,excel import\n"
    )
    after = folder_hashes(client)
    for name in ("metrics.csv", "objectives.csv", "org_units.csv", "raci.csv", "metric_scores.csv"):
        assert after[name] == before[name]
    assert result.backup is not None
    assert (result.backup / "kpis.csv").read_bytes() == (FIXTURE / "kpis.csv").read_bytes()
    assert str(result.diffs[0]) == "kpis.csv: 0 added, 1 changed, 0 removed"
    load_engagement(client)  # still valid


def test_numbers_come_back_without_float_noise(client: Path, workbook: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb["actuals"]
        ws.cell(row=row_of(ws, 2, "2026-Q1"), column=3).value = 0.1
        ws.cell(row=row_of(ws, 2, "2026-02"), column=3).value = 12.0

    edit(workbook, change)
    import_workbook(workbook, client, today=TODAY)
    text = (client / "actuals.csv").read_text()
    assert "M-Q,2026-Q1,0.1," in text
    assert "M-COST,2026-02,12," in text


def test_bad_direction_is_reported_at_its_cell_and_nothing_is_written(
    client: Path, workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb["metrics"]
        ws.cell(row=row_of(ws, 1, "M-COST"), column=6).value = "sideways"
        ws.cell(row=row_of(ws, 1, "M-Q"), column=2).value = None  # a deleted required cell
        wb["actuals"].append(["M-Q", "2026-Q3", "n/a"])
        wb["changes"].append(["03/04/2026", "OBJ-1", "ambiguous date"])

    edit(workbook, change)
    before = folder_hashes(client)
    assert main(["excel", "import", str(workbook), str(client)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert "metrics!F3: direction 'sideways' is not one of up, down" in lines
    assert "metrics!B2: name is empty (required)" in lines
    assert any(line.startswith("actuals!C8: value 'n/a' is not a number") for line in lines)
    assert "changes!A2: date '03/04/2026' is not a date (YYYY-MM-DD)" in lines
    assert "4 input errors; nothing was written" in err
    assert folder_hashes(client) == before


def test_errors_match_validate_on_the_same_data(client: Path, workbook: Path) -> None:
    """The import applies validate's rules: the same problem in the CSV gives the same message."""
    edit(workbook, lambda wb: wb["raci"].append(["OBJ-1", "S-9", "A"]))
    with pytest.raises(WorkbookInputError) as info:
        import_workbook(workbook, client)
    assert info.value.lines == ["raci!B4: stakeholder_id 'S-9' is not a known stakeholder (see stakeholders.csv)"]
    with (client / "raci.csv").open("a") as fh:
        fh.write("OBJ-1,S-9,A\n")
    assert main(["validate", str(client)]) == 1
    assert info.value.problems[0].message == "stakeholder_id 'S-9' is not a known stakeholder (see stakeholders.csv)"


def test_excel_date_cell_and_usual_period_forms_are_normalised(client: Path, workbook: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb["changes"].append([dt.datetime(2026, 3, 4), "M-Q", "definition clarified", "workshop", "Ann"])
        wb["actuals"].append(["M-COST", dt.datetime(2026, 3, 1), 1275])  # Excel turned 2026-03 into a date
        wb["actuals"].append(["M-ENG", 2026, 4.1])  # a year typed as a number
        wb["actuals"].append(["M-Q", "2026-q3", 86])

    edit(workbook, change)
    import_workbook(workbook, client, today=TODAY)
    assert (client / "changes.csv").read_text().splitlines()[1] == "2026-03-04,M-Q,definition clarified,workshop,Ann"
    assert (client / "actuals.csv").read_text().endswith("M-COST,2026-03,1275,\nM-ENG,2026,4.1,\nM-Q,2026-Q3,86,\n")


def test_percentage_formatted_cell_is_rejected(client: Path, workbook: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        ws = wb["actuals"]
        cell = ws.cell(row=row_of(ws, 2, "2026-Q2"), column=3)
        cell.value = 0.85
        cell.number_format = "0%"

    edit(workbook, change)
    with pytest.raises(WorkbookInputError) as info:
        import_workbook(workbook, client)
    assert info.value.lines[0].startswith("actuals!C4: value: the cell is formatted as a percentage (it shows 85%")


def test_unknown_sheet_is_ignored_and_absent_sheet_leaves_its_table(client: Path, workbook: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb.create_sheet("my notes")["A1"] = "anything"
        del wb["metrics"]
        wb["org_units"].append(["ORG-HR", "People", "ORG"])

    edit(workbook, change)
    before = folder_hashes(client)
    result = import_workbook(workbook, client, dry_run=True)
    assert "sheet 'my notes' is not a table of the engagement: ignored" in result.notes
    assert "no sheet 'metrics': metrics.csv left as it is" in result.notes
    assert [str(d) for d in result.diffs] == ["org_units.csv: 1 added, 0 changed, 0 removed"]
    assert folder_hashes(client) == before  # dry run
    import_workbook(workbook, client)
    assert folder_hashes(client)["metrics.csv"] == before["metrics.csv"]
    assert (client / "org_units.csv").read_text().endswith("ORG-HR,People,ORG,\n")


def test_absent_sheet_still_counts_for_references(client: Path, workbook: Path) -> None:
    """A reference into a table whose sheet was deleted is checked against the folder's file."""
    def change(wb: openpyxl.Workbook) -> None:
        del wb["metrics"]
        wb["actuals"].append(["M-NOPE", "2026-Q3", 1])

    edit(workbook, change)
    with pytest.raises(WorkbookInputError) as info:
        import_workbook(workbook, client)
    assert info.value.lines == ["actuals!A8: metric_id 'M-NOPE' is not a known metric"]


def test_dry_run_writes_nothing_and_shows_the_changes(
    client: Path, workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        kpis = wb["kpis"]
        kpis.delete_rows(row_of(kpis, 2, "M-COST"))
        kpis.append(["OBJ-2", "M-ENG", 4.2, "2027"])

    edit(workbook, change)
    before = folder_hashes(client)
    assert main(["excel", "import", str(workbook), str(client), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert folder_hashes(client) == before
    assert "would update 2 files" in out
    assert "kpis.csv: 1 added, 0 changed, 1 removed" in out
    assert "changes.csv: new file, 2 added, 0 changed, 0 removed" in out
    assert "OBJ-2/M-COST: KPI removed (was target 1200.5 by 2027-06)" in out
    assert "OBJ-2/M-ENG: KPI selected: target 4.2 by 2027" in out
    assert "dry run: nothing written" in out


def test_unreadable_files_give_a_clear_error(client: Path, workbook: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "actuals.csv.xlsx"
    text.write_text("metric_id,period,value\n")
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(workbook.read_bytes()[:3000])
    # Made once with msoffcrypto-tool (Excel's agile encryption, password "secret") and with
    # LibreOffice saving as Excel 97-2003: real files of the kinds clients send.
    encrypted = FIXTURES / "excel_password_protected.xlsx"
    legacy = FIXTURES / "excel_legacy_97_2003.xls"
    ods = tmp_path / "sheet.xlsx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    ods.write_bytes(buf.getvalue())
    expected = {
        text: "is not an Excel workbook (.xlsx)",
        corrupt: "is corrupt (a damaged or incomplete .xlsx file)",
        encrypted: "is password-protected (encrypted); remove the password",
        legacy: "is an old Excel 97-2003 (.xls) file; save it as an Excel workbook (.xlsx)",
        ods: "is an OpenDocument spreadsheet",
        tmp_path / "missing.xlsx": "no such file",
    }
    for path, message in expected.items():
        with pytest.raises(ExcelError, match=re.escape(message)):
            import_workbook(path, client)
        assert main(["excel", "import", str(path), str(client)]) == 1
        err = capsys.readouterr().err
        assert message in err
        assert "Traceback" not in err


def test_damaged_part_inside_a_zip_is_an_excel_error(client: Path, workbook: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[: len(data) // 2] if item.filename == "xl/workbook.xml" else data)
    with pytest.raises(ExcelError, match=r"damaged\.xlsx: is corrupt"):
        import_workbook(damaged, client)


# -- normalising what people type ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "period"),
    [("2026-03", "2026-03"), ("2026/3", "2026-03"), ("Q1 2026", "2026-Q1"), ("2026 Q1", "2026-Q1"),
     ("2026-q1", "2026-Q1"), ("2026Q4", "2026-Q4"), ("Mar 2026", "2026-03"), ("September 2026", "2026-09"),
     ("2026", "2026"), ("03/04/2026", "03/04/2026"), ("2026-13", "2026-13"), ("FY2026", "FY2026")],
)
def test_normalise_period(typed: str, period: str) -> None:
    assert normalise_period(typed) == period


@pytest.mark.parametrize(
    ("typed", "iso"),
    [("2026-03-04", "2026-03-04"), ("2026/3/4", "2026-03-04"), ("4 March 2026", "2026-03-04"),
     ("March 4, 2026", "2026-03-04"), ("2026-03-04 00:00:00", "2026-03-04"), ("03/04/2026", "03/04/2026"),
     ("2026-02-30", "2026-02-30")],
)
def test_normalise_date(typed: str, iso: str) -> None:
    assert normalise_date(typed) == iso


def test_cell_values_become_contract_text() -> None:
    assert cell_text(2026, "period") == "2026"
    assert cell_text(2026.0, "period") == "2026"
    assert cell_text(dt.datetime(2026, 3, 1), "period") == "2026-03"
    assert cell_text(dt.datetime(2026, 3, 4, 0, 0), "date") == "2026-03-04"
    assert cell_text(0.1 + 0.2, "number") == "0.3"
    assert cell_text(1e20, "number") == "1e+20"
    assert cell_text("  007 ", "id") == "007"


# -- a workbook saved by LibreOffice -----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("libreoffice") is None and os.environ.get("CI") != "true",
    reason="LibreOffice is not installed (apt-get install libreoffice-calc); under CI=true this fails instead",
)
def test_workbook_saved_by_libreoffice_imports(client: Path, workbook: Path, tmp_path: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb["actuals"].append(["M-COST", "2026-03", 1280.75])
        wb["actuals"].append(["M-COST", "2026-04", "=1280+1"])  # LibreOffice computes and saves the result

    edit(workbook, change)
    out = tmp_path / "lo-out"
    subprocess.run(
        ["libreoffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
         "--convert-to", "xlsx", "--outdir", str(out), str(workbook)],
        check=True, capture_output=True, timeout=180,
    )
    saved = out / workbook.name
    # LibreOffice keeps formula-looking text as text
    wb = openpyxl.load_workbook(saved)
    assert wb["objectives"].cell(row=2, column=8).data_type == "s"
    assert str(wb["objectives"].cell(row=2, column=8).value).startswith("=1+1")
    before = folder_hashes(client)
    result = import_workbook(saved, client, today=TODAY)
    assert result.written == ["actuals.csv"]
    assert (client / "actuals.csv").read_text().endswith("M-COST,2026-03,1280.75,\nM-COST,2026-04,1281,\n")
    after = folder_hashes(client)
    assert {k for k in after if after[k] != before.get(k)} == {"actuals.csv"} | {
        k for k in after if k.startswith(".kpikit")}


# -- properties and less common paths ---------------------------------------------------------------
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1, max_size=40,
).map(str.strip).filter(bool)


@settings(max_examples=15, deadline=None)
@given(texts=st.lists(st.one_of(_TEXT, st.sampled_from(["=1+1", "+44 20", "-3", "@x", "007", "1e5", "_x000D_", "a\nb"])),
                      min_size=1, max_size=30))
def test_any_text_survives_export_and_read_back(texts: list[str]) -> None:
    """Whatever a consultant typed in a text column comes back exactly as it was."""
    from kpikit.excel.importer import read_workbook
    from kpikit.excel.layout import table_specs

    eng = load_engagement(FIXTURE)
    rows = [[f"U-{i}", text, "ORG", text] for i, text in enumerate(texts)]
    units = pd.DataFrame([["ORG", "Root", math.nan, math.nan], *rows], columns=["id", "name", "parent_id", "lead"])
    eng.tables["org_units"] = units.astype({"parent_id": "str", "lead": "str"})
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "t.xlsx"
        export_workbook(eng, out, ["org_units"])
        buf.write(out.read_bytes())
    tables, problems, _, _ = read_workbook(buf.getvalue(), "t.xlsx", table_specs(eng.config))
    assert problems == []
    assert [r[1] for r in tables["org_units"].rows[1:]] == texts
    assert [r[3] for r in tables["org_units"].rows[1:]] == texts


@pytest.mark.parametrize("bad", ["\x07", "\ufffe"])
def test_control_characters_are_refused_at_export_with_their_place(client: Path, tmp_path: Path, bad: str) -> None:
    (client / "org_units.csv").write_text(f"id,name,parent_id,lead\nORG,Small,,\nORG-OPS,Ops{bad},ORG,\n")
    with pytest.raises(ExcelError, match=r"org_units\.csv:3: column name holds a control character"):
        export_workbook(load_engagement(client), tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_a_broken_folder_is_repaired_from_the_workbook(client: Path, workbook: Path) -> None:
    """The folder went invalid after the export; the client's workbook has the right value."""
    metrics = (client / "metrics.csv").read_text()
    (client / "metrics.csv").write_text(metrics.replace("EUR,down,monthly", "EUR,downward,monthly"))
    assert main(["validate", str(client)]) == 1
    result = import_workbook(workbook, client, today=TODAY)
    assert result.written == ["metrics.csv"]
    assert [str(d) for d in result.diffs] == ["metrics.csv: 0 added, 1 changed, 0 removed"]
    assert (client / "metrics.csv").read_text() == metrics.replace("Up,annual", "up,annual")  # canonical spelling
    load_engagement(client)


def test_a_missing_workbook_sheet_does_not_hide_folder_errors(client: Path, workbook: Path) -> None:
    (client / "raci.csv").write_text("item_id,stakeholder_id,raci\nOBJ-1,S-1,X\n")
    edit(workbook, lambda wb: wb.remove(wb["raci"]))
    with pytest.raises(WorkbookInputError) as info:
        import_workbook(workbook, client)
    assert info.value.lines == ["raci.csv:2: raci 'X' is not one of R, A, C, I"]


def test_export_target_must_be_an_xlsx_file(client: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["excel", "export", str(client), str(tmp_path / "client.xls")]) == 1
    assert "must end in .xlsx" in capsys.readouterr().err
    (tmp_path / "dir.xlsx").mkdir()
    assert main(["excel", "export", str(client), str(tmp_path / "dir.xlsx")]) == 1
    assert "is a folder" in capsys.readouterr().err


def test_a_failed_write_says_what_was_written(client: Path, workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kpikit.data.journal

    def disk_full(path: Path, data: bytes, like: Path) -> None:
        raise OSError(28, "No space left on device", str(path))

    edit(workbook, lambda wb: wb["actuals"].append(["M-COST", "2026-03", 1]))
    monkeypatch.setattr(kpikit.data.journal, "_write_durably", disk_full)
    with pytest.raises(ExcelError, match=r"actuals\.csv \(No space left on device\); nothing was changed "
                                         r"\(a save writes all its files or none\); the previous files are in .*backups"):
        import_workbook(workbook, client)
    assert (client / "actuals.csv").read_bytes() == (FIXTURE / "actuals.csv").read_bytes()


def test_renamed_header_is_a_missing_column_at_the_header_row(client: Path, workbook: Path) -> None:
    def change(wb: openpyxl.Workbook) -> None:
        wb["actuals"].cell(row=1, column=3).value = "amount"
        wb["actuals"].cell(row=3, column=6).value = "stray"

    edit(workbook, change)
    with pytest.raises(WorkbookInputError) as info:
        import_workbook(workbook, client)
    assert info.value.lines == [
        "actuals!A1:D1: missing required column 'value' (header has: metric_id, period, amount, note)",
        "actuals!A3:D3: cell F3 has a value but its column has no header",
    ]


def test_a_file_changed_during_the_import_is_not_overwritten(
    client: Path, workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kpikit.excel.importer as importer
    from kpikit.errors import StaleFileError

    real = importer.read_engagement

    def read_then_someone_edits(folder: Path) -> object:
        raw = real(folder)
        with (client / "actuals.csv").open("a") as fh:
            fh.write("M-COST,2026-04,1,typed by a colleague meanwhile\n")
        return raw

    edit(workbook, lambda wb: wb["actuals"].append(["M-COST", "2026-03", 1]))
    monkeypatch.setattr(importer, "read_engagement", read_then_someone_edits)
    with pytest.raises(StaleFileError, match=r"actuals\.csv"):
        import_workbook(workbook, client)
    assert (client / "actuals.csv").read_text().endswith("typed by a colleague meanwhile\n")


def test_a_formula_without_a_saved_result_is_reported_not_dropped(
    client: Path, workbook: Path, tmp_path: Path
) -> None:
    edit(workbook, lambda wb: wb["actuals"].append(["M-COST", "2026-03", "=1280+1"]))  # a script wrote a formula
    with pytest.raises(WorkbookInputError) as info:
        import_workbook(workbook, client)
    assert info.value.lines == [
        "actuals!C8: value is empty (required)",
        "actuals!C8: value: the cell holds a formula whose result was never saved; open the file in Excel or "
        "LibreOffice and save it, or type the value",
    ]
