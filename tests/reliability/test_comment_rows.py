"""No data row is ever skipped as a comment (issue 10).

The rule (``csvio.comments_allowed``): a row whose first cell starts with ``#`` is a
comment only when the file's first column is one whose values can never start with
``#`` (an ID, a reference, a number, a period, a date or a choice). Such a row could
not be loaded as data anyway, so skipping it loses nothing, and the scaffold's example
rows stay comments. When the first column is text (a name, a note, an unknown column),
every row is data. These tests hold the rule for every column of every table, end to end
through a load, a save and an Excel round trip, and check that the templates stay valid.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from support import ROOT, write_minimal_client

from kpikit.cli import main
from kpikit.data.csvio import COMMENT_KINDS, comments_allowed, parse_csv
from kpikit.data.schema import TABLES
from kpikit.data.store import load_engagement
from kpikit.data.validation import RawEngagement, validate
from kpikit.errors import EngagementError
from kpikit.excel import export_workbook, import_workbook

NOTE = "#1 confirmed by CFO"
EVERY_COLUMN = [(spec.file, c.name, c.kind) for spec in TABLES for c in spec.columns]


@pytest.mark.parametrize(("file", "column", "kind"), EVERY_COLUMN, ids=[f"{f}:{c}" for f, c, _ in EVERY_COLUMN])
def test_a_hash_row_is_skipped_only_where_it_could_never_be_data(file: str, column: str, kind: str) -> None:
    """For every column of every table placed first: a '#' row is kept, or it is a value the table refuses."""
    others = [c for c in next(s for s in TABLES if s.file == file).column_names if c != column]
    header = ",".join([column, *others])
    table, problems = parse_csv(f"{header}\n{NOTE},{','.join('' for _ in others)}\n".encode(), file)
    assert table is not None
    assert problems == []
    if kind not in COMMENT_KINDS:
        assert table.rows == [[NOTE, *([""] * len(others))]]  # kept as data, at its line
        assert table.lines == [2]
        return
    assert table.rows == []  # a comment: and such a row could never have loaded, as validation shows
    table.rows, table.lines = [[NOTE, *([""] * len(others))]], [2]
    name = next(s.name for s in TABLES if s.file == file)
    with pytest.raises(EngagementError) as info:
        validate(RawEngagement("mem", None, {name: table}))
    assert any(p.file == file and p.line == 2 and p.column == column for p in info.value.problems), info.value


def test_an_unknown_first_column_keeps_its_hash_rows() -> None:
    table, _ = parse_csv(b"remark,id,name\n#todo,M1,x\n", "metrics.csv")
    assert table is not None
    assert table.rows == [["#todo", "M1", "x"]]
    assert not comments_allowed("notes.csv", "id")  # a file outside the contract has no comments either


def test_a_note_first_is_loaded_saved_and_reloaded(tmp_path: Path) -> None:
    folder = write_minimal_client(tmp_path / "c")
    (folder / "actuals.csv").write_text(
        f"note,metric_id,period,value\n{NOTE},M1,2026-Q1,90\n# not a comment either,M1,2026-Q2,91\n", encoding="utf-8"
    )
    eng = load_engagement(folder)
    assert eng.actuals["note"].tolist() == [NOTE, "# not a comment either"]
    eng.actuals.loc[0, "value"] = 95
    eng.save()
    again = load_engagement(folder)
    assert again.actuals["note"].tolist() == [NOTE, "# not a comment either"]
    assert again.actuals["value"].tolist() == [95, 91]


def test_an_excel_round_trip_never_loses_a_row_whose_first_cell_starts_with_hash(tmp_path: Path) -> None:
    folder = write_minimal_client(tmp_path / "c")
    (folder / "actuals.csv").write_text("note,metric_id,period,value\nfirst,M1,2026-Q1,90\nsecond,M1,2026-Q2,91\n",
                                        encoding="utf-8")
    book = tmp_path / "c.xlsx"
    export_workbook(load_engagement(folder), book)
    wb = openpyxl.load_workbook(book)
    ws = wb["actuals"]
    header = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("note")].value == "first":
            row[header.index("note")].value = NOTE
    wb.save(book)
    result = import_workbook(book, folder)
    assert "actuals.csv" in result.written
    assert (folder / "actuals.csv").read_text(encoding="utf-8").splitlines()[1].startswith(f"{NOTE},M1,2026-Q1")
    eng = load_engagement(folder)
    assert eng.actuals["note"].tolist() == [NOTE, "second"]
    assert eng.actuals["value"].tolist() == [90, 91]


def test_an_id_first_hash_row_is_a_comment(tmp_path: Path) -> None:
    folder = write_minimal_client(tmp_path / "c")
    path = folder / "metrics.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], "# M0,an example the consultant kept", *lines[1:]]) + "\n", encoding="utf-8")
    eng = load_engagement(folder)
    assert eng.metrics["id"].tolist() == ["M1"]


def test_every_template_keeps_its_example_rows_as_comments_and_kpikit_new_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = ROOT / "templates" / "engagement"
    for csv_file in templates.glob("*.csv"):
        header, *rows = csv_file.read_text(encoding="utf-8").splitlines()
        first = header.split(",")[0].strip().lower()
        if any(r.startswith("#") for r in rows):
            assert comments_allowed(csv_file.name, first), f"{csv_file.name}: its example rows would load as data"
    dest = tmp_path / "new-client"
    assert main(["new", str(dest), "--client", "Acme"]) == 0
    capsys.readouterr()
    assert main(["validate", str(dest)]) == 0, capsys.readouterr()
    eng = load_engagement(dest)
    assert eng.org_units.empty
    assert eng.objectives.empty


def test_the_demo_client_has_no_hash_first_cells_it_would_lose(tmp_path: Path) -> None:
    demo = ROOT / "clients" / "demo-harbor"
    copy = tmp_path / "demo"
    shutil.copytree(demo, copy, ignore=shutil.ignore_patterns("runs", ".kpikit"))
    eng = load_engagement(copy)
    for spec in TABLES:
        path = copy / spec.file
        if not path.exists():
            continue
        data_lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()[1:] if ln.strip()]
        assert len(eng.tables[spec.name]) <= len(data_lines)
        assert not any(ln.startswith("#") for ln in data_lines) or comments_allowed(spec.file, spec.column_names[0])
