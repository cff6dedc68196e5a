"""The Excel round trip never loses the client's data (issue 10).

* ``kpikit excel export`` never replaces an existing workbook (it may be the one the
  client filled in) without ``--force``: exit 2, the file untouched.
* A workbook exported for another client is refused on import, naming both clients,
  unless ``--allow-other-client``: exit 2, the folder untouched.
* The comment-row rule and Excel: the import never writes a row that the CSV reader
  would then skip, and an export -> edit -> import round trip keeps every actual whose
  first cell starts with ``#``.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pytest
from support import FIXTURES

from kpikit.cli import EXIT_USAGE, main
from kpikit.data.csvio import parse_csv
from kpikit.data.store import guard_comment_rows, load_engagement
from kpikit.errors import EngagementError, RefusedError, WorkbookInputError
from kpikit.excel import export_workbook, import_workbook
from kpikit.excel.layout import CLIENT_PROPERTY


def tree_hashes(folder: Path) -> dict[str, str]:
    """Every file under the folder (backups included): 'nothing written' means this is unchanged."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def client(tmp_path: Path) -> Path:
    dest = tmp_path / "harbor"
    shutil.copytree(FIXTURES / "excel_small", dest)
    return dest


def rename_client(folder: Path, name: str) -> None:
    cfg = folder / "engagement.yaml"
    lines = cfg.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("client:"))
    lines[at] = f"client: {name}\n"
    cfg.write_text("".join(lines), encoding="utf-8")


# -- export never overwrites -----------------------------------------------------------------
def test_export_refuses_to_replace_a_workbook(client: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "filled-by-client.xlsx"
    export_workbook(load_engagement(client), book)
    wb = openpyxl.load_workbook(book)
    wb["actuals"].append(["M-COST", "2026-03", 1])  # the client's work
    wb.save(book)
    filled = book.read_bytes()
    capsys.readouterr()

    assert main(["excel", "export", str(client), str(book)]) == EXIT_USAGE == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "exists, and may be the workbook the client filled in; nothing was written" in err
    assert "--force" in err
    assert book.read_bytes() == filled
    with pytest.raises(RefusedError):
        export_workbook(load_engagement(client), book)
    assert book.read_bytes() == filled

    assert main(["excel", "export", str(client), str(book), "--force"]) == 0
    assert book.read_bytes() != filled
    assert main(["excel", "export", str(client), str(tmp_path / "new-name.xlsx")]) == 0


def test_export_refuses_a_link_at_the_name_too(client: Path, tmp_path: Path) -> None:
    """A symbolic link (even a dangling one) at the name is something that exists: refused."""
    target = tmp_path / "elsewhere.xlsx"
    link = tmp_path / "book.xlsx"
    link.symlink_to(target)
    with pytest.raises(RefusedError):
        export_workbook(load_engagement(client), link)
    assert not target.exists()


# -- another client's workbook -------------------------------------------------------------------
def test_export_records_the_client(client: Path, tmp_path: Path) -> None:
    book = tmp_path / "c.xlsx"
    export_workbook(load_engagement(client), book)
    wb = openpyxl.load_workbook(book, read_only=True)
    props = {p.name: p.value for p in wb.custom_doc_props}
    assert props[CLIENT_PROPERTY] == load_engagement(client).client


def northwind_book(client: Path, book: Path) -> Path:
    """A workbook exported for another client ('Northwind Traders') with this client's data."""
    other = book.parent / "other"
    shutil.copytree(client, other)
    rename_client(other, "Northwind Traders")
    export_workbook(load_engagement(other), book)
    return book


def test_importing_another_clients_workbook_is_refused_naming_both(
    client: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = northwind_book(client, tmp_path / "northwind.xlsx")
    wb = openpyxl.load_workbook(book)
    wb["actuals"].append(["M-COST", "2026-03", 1])
    wb.save(book)
    mine = load_engagement(client).client
    before = tree_hashes(client)
    capsys.readouterr()

    for extra in ([], ["--dry-run"]):
        assert main(["excel", "import", str(book), str(client), *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert "was exported for 'Northwind Traders'" in err
        assert f"the engagement of '{mine}'" in err
        assert "--allow-other-client" in err
        assert "nothing was written" in err
    assert tree_hashes(client) == before

    assert main(["excel", "import", str(book), str(client), "--allow-other-client"]) == 0
    out = capsys.readouterr().out
    assert "exported for 'Northwind Traders'" in out  # said, even when allowed
    assert load_engagement(client).actuals["metric_id"].tolist().count("M-COST") >= 1


def test_the_same_client_spelled_differently_is_the_same_client(client: Path, tmp_path: Path) -> None:
    book = tmp_path / "c.xlsx"
    name = load_engagement(client).client
    export_workbook(load_engagement(client), book)
    rename_client(client, "  " + name.upper().replace(" ", "  "))
    assert import_workbook(book, client, dry_run=True).dry_run


def test_an_older_workbook_is_known_by_its_title_and_one_without_either_is_noted(client: Path, tmp_path: Path) -> None:
    book = northwind_book(client, tmp_path / "old.xlsx")
    wb = openpyxl.load_workbook(book)
    wb.custom_doc_props = openpyxl.packaging.custom.CustomPropertyList()  # as exports before the property
    wb.save(book)
    with pytest.raises(RefusedError, match="Northwind Traders"):
        import_workbook(book, client)
    wb = openpyxl.load_workbook(book)
    wb["Instructions"]["A1"].value = "Our data"
    wb.save(book)
    result = import_workbook(book, client, dry_run=True)
    assert any("does not say which client" in n for n in result.notes)


# -- the comment-row rule and Excel --------------------------------------------------------------
NOTE = "#1 confirmed by CFO"


def test_a_round_trip_keeps_actuals_whose_first_cell_starts_with_hash(client: Path, tmp_path: Path) -> None:
    """actuals.csv with a note first: an edited actual, an untouched one and a new one, all starting with '#'."""
    eng = load_engagement(client)
    metric = str(eng.actuals["metric_id"].iloc[0])
    periods = eng.actuals.loc[eng.actuals["metric_id"] == metric, "period"].astype(str).tolist()
    rows = ["note,metric_id,period,value"]
    rows += [f"{NOTE if i < 2 else ''},{metric},{p},{10 + i}" for i, p in enumerate(periods)]
    (client / "actuals.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = load_engagement(client).actuals
    assert before["note"].tolist()[:2] == [NOTE, NOTE]

    book = tmp_path / "c.xlsx"
    export_workbook(load_engagement(client), book)
    wb = openpyxl.load_workbook(book)
    ws = wb["actuals"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("value") + 1).value = 99  # edit the first '#' actual
    added = {"note": "#2 added in the workshop", "metric_id": metric, "period": _next_period(periods[-1]), "value": 42}
    ws.append([added.get(str(h)) for h in header])
    wb.save(book)
    import_workbook(book, client)

    text = (client / "actuals.csv").read_bytes()
    assert text.startswith(b"note,metric_id,period,value\n")  # the file's own column order: the note first
    table, problems = parse_csv(text, "actuals.csv")
    assert problems == []
    assert table is not None
    firsts = [r[0] for r in table.rows]
    assert firsts.count(NOTE) == 2
    assert "#2 added in the workshop" in firsts
    after = load_engagement(client).actuals
    assert len(after) == len(before) + 1
    assert after.loc[0, "value"] == 99
    assert after.loc[1, "value"] == before.loc[1, "value"]


def _next_period(p: str) -> str:
    if "-Q" in p:
        y, q = p.split("-Q")
        return f"{int(y) + (q == '4')}-Q{1 if q == '4' else int(q) + 1}"
    if "-" in p:
        y, m = p.split("-")
        return f"{int(y) + (m == '12')}-{1 if m == '12' else int(m) + 1:02d}"
    return str(int(p) + 1)


def test_an_import_never_writes_a_row_the_reader_would_skip(client: Path, tmp_path: Path) -> None:
    """Where the file's first column allows comment rows (an ID), a '#' value is an error, not a lost row."""
    book = tmp_path / "c.xlsx"
    export_workbook(load_engagement(client), book)
    before = tree_hashes(client)
    wb = openpyxl.load_workbook(book)
    ws = wb["metrics"]
    header = [c.value for c in ws[1]]
    row = [None] * len(header)
    row[header.index("id")] = "#M-NEW"
    row[header.index("name")] = "A metric written as a comment"
    ws.append(row)
    wb.save(book)
    with pytest.raises(WorkbookInputError) as info:
        import_workbook(book, client)
    assert any(line.startswith("metrics!") and "#M-NEW" in line for line in info.value.lines), info.value.lines
    assert tree_hashes(client) == before


def test_the_writer_itself_refuses_a_row_it_would_lose() -> None:
    """The store's own check, below validation: a row under an ID column starting with '#' is never written."""
    guard_comment_rows("actuals.csv", ["note", "metric_id"], [["#kept", "M1"]])  # text first: a data row
    with pytest.raises(EngagementError, match="read as a comment"):
        guard_comment_rows("actuals.csv", ["metric_id", "period"], [["M1", "2026-Q1"], [" #M2", "2026-Q1"]])
