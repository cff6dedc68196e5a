"""Files keep their own style (issue 12 item 7): a one-cell edit is a one-line diff.

For files with CRLF and LF line ends, quoted and unquoted, a one-cell edit through the
store, the editors' save path (a real editor: the RACI grid, which rebuilds its whole
table) and the Excel import changes exactly one line of the edited file; its line
ends, quoting, BOM, final newline, comment and blank lines and row order stay as they
were, and every file the edit did not touch keeps its bytes.
"""

from __future__ import annotations

import csv
import difflib
import io
import shutil
from pathlib import Path

import openpyxl
import pytest
from support import FIXTURES

from kpikit.data.schema import CONFIG_FILE, TABLES
from kpikit.data.store import load_engagement
from kpikit.editors.base import Session
from kpikit.editors.raci import RaciGrid
from kpikit.excel import export_workbook, import_workbook

STYLES = [("\r\n", False), ("\r\n", True), ("\n", False), ("\n", True)]
IDS = ["crlf", "crlf-quoted", "lf", "lf-quoted"]


def restyle(folder: Path, eol: str, quoted: bool, bom: bool = False, final_eol: bool = True) -> None:
    """Rewrite every CSV of the folder with these line ends and quoting (as another tool would save them)."""
    for spec in TABLES:
        path = folder / spec.file
        if not path.exists():
            continue
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        buf = io.StringIO(newline="")
        csv.writer(buf, lineterminator=eol, quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL).writerows(rows)
        text = buf.getvalue() if final_eol else buf.getvalue().removesuffix(eol)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def snapshot(folder: Path) -> dict[str, bytes]:
    files = [CONFIG_FILE, *(t.file for t in TABLES)]
    return {f: (folder / f).read_bytes() for f in files if (folder / f).exists()}


def changed_lines(before: bytes, after: bytes) -> list[tuple[str, list[bytes], list[bytes]]]:
    """The diff of two files by physical lines (line ends kept): (op, old lines, new lines)."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    return [(op, a[i1:i2], b[j1:j2]) for op, i1, i2, j1, j2 in ops if op != "equal"]


def assert_one_line(before: bytes, after: bytes, new_text: str, eol: str) -> None:
    diff = changed_lines(before, after)
    assert len(diff) == 1, diff
    op, old, new = diff[0]
    assert op == "replace", diff
    assert len(old) == 1, diff
    assert len(new) == 1, diff
    assert new_text in new[0].decode()
    assert new[0].endswith(eol.encode()) == old[0].endswith(eol.encode())
    ends = {line[-2:] == b"\r\n" for line in after.splitlines(keepends=True) if line.endswith(b"\n")}
    assert ends == {eol == "\r\n"}


@pytest.fixture
def client(tmp_path: Path) -> Path:
    dest = tmp_path / "client"
    shutil.copytree(FIXTURES / "editors_small", dest)
    return dest


@pytest.mark.parametrize(("eol", "quoted"), STYLES, ids=IDS)
def test_an_edit_through_the_editors_save_path_is_one_line(client: Path, eol: str, quoted: bool) -> None:
    restyle(client, eol, quoted)
    before = snapshot(client)
    session = Session(load_engagement(client))
    draft = session.draft()
    row = 2  # a row in the middle of the file
    draft.objectives.loc[row, "title"] = "Reduce ward falls to 1 per 1000 bed days by December 2027"
    assert session.save(draft, []) is not None
    after = snapshot(client)
    assert {f for f in after if after[f] != before[f]} == {"objectives.csv"}
    assert_one_line(before["objectives.csv"], after["objectives.csv"], "1 per 1000", eol)
    if quoted:
        assert '"Reduce ward falls to 1 per 1000 bed days by December 2027"' in after["objectives.csv"].decode()


@pytest.mark.parametrize(("eol", "quoted"), STYLES, ids=IDS)
def test_a_raci_edit_in_the_grid_stays_in_its_row(client: Path, eol: str, quoted: bool) -> None:
    """The grid rebuilds the whole table; the changed assignment keeps its line (it used to move to the end)."""
    restyle(client, eol, quoted)
    before = snapshot(client)
    grid = RaciGrid(load_engagement(client))
    grid.filter_box.value = "O-01"
    cell = grid.dropdowns[("O-01", "S-2")]
    assert cell.value == "R"
    cell.value = "C"
    assert grid.save() is True, grid.message.value
    after = snapshot(client)
    assert {f for f in after if after[f] != before[f]} == {"raci.csv", "changes.csv"}
    assert_one_line(before["raci.csv"], after["raci.csv"], "O-01", eol)
    assert after["raci.csv"].splitlines()[2].decode().replace('"', "") == "O-01,S-2,C"
    log = changed_lines(before["changes.csv"], after["changes.csv"])
    assert [op for op, _, _ in log] == ["insert"], log  # the decision log only grows
    assert all(line.endswith(eol.encode()) for _, _, new in log for line in new)


@pytest.mark.parametrize(("eol", "quoted"), STYLES, ids=IDS)
def test_an_edit_through_the_excel_import_is_one_line(client: Path, tmp_path: Path, eol: str, quoted: bool) -> None:
    restyle(client, eol, quoted)
    before = snapshot(client)
    book = tmp_path / "c.xlsx"
    export_workbook(load_engagement(client), book)
    wb = openpyxl.load_workbook(book)
    ws = wb["actuals"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("value") + 1).value = 4.25
    wb.save(book)
    result = import_workbook(book, client)
    assert result.written == ["actuals.csv"]
    after = snapshot(client)
    assert {f for f in after if after[f] != before[f]} == {"actuals.csv"}
    assert_one_line(before["actuals.csv"], after["actuals.csv"], "4.25", eol)


def test_a_sorted_sheet_does_not_reorder_the_file(client: Path, tmp_path: Path) -> None:
    """A client who sorts a sheet in Excel and changes one cell: still a one-line diff, rows in file order."""
    restyle(client, "\r\n", False)
    before = snapshot(client)
    book = tmp_path / "c.xlsx"
    export_workbook(load_engagement(client), book)
    wb = openpyxl.load_workbook(book)
    ws = wb["objectives"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2) if any(c.value is not None for c in r)]
    rows.sort(key=lambda r: str(r[1]), reverse=True)  # sorted by title, Z to A
    title_at = [c.value for c in ws[1]].index("title")
    target = next(r for r in rows if r[0] == "O-03")
    target[title_at] = "Reduce ward falls to 1 per 1000 bed days by December 2027"
    for i, r in enumerate(rows, start=2):
        for j, v in enumerate(r, start=1):
            ws.cell(row=i, column=j).value = v
    wb.save(book)
    import_workbook(book, client)
    after = snapshot(client)
    assert {f for f in after if after[f] != before[f]} == {"objectives.csv"}
    assert_one_line(before["objectives.csv"], after["objectives.csv"], "1 per 1000", "\r\n")


def test_bom_comments_blank_lines_and_no_final_newline_are_kept(client: Path) -> None:
    restyle(client, "\r\n", False, bom=True, final_eol=False)
    path = client / "metrics.csv"
    lines = path.read_bytes().split(b"\r\n")
    lines.insert(2, b"# M-X,an example row kept as a comment")
    lines.insert(3, b"")
    path.write_bytes(b"\r\n".join(lines))
    before = path.read_bytes()
    eng = load_engagement(client)
    last = len(eng.metrics) - 1
    eng.metrics.loc[last, "name"] = "A renamed last metric"
    eng.save()
    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf")
    assert not after.endswith(b"\n")
    assert b"\r\n# M-X,an example row kept as a comment\r\n\r\n" in after
    assert_one_line(before, after, "A renamed last metric", "\r\n")
    assert load_engagement(client).metrics.loc[last, "name"] == "A renamed last metric"


def test_a_large_crlf_actuals_file_edit_is_one_line(client: Path) -> None:
    """One actual corrected in a large CRLF file (72,000 rows) rewrote every line; now one."""
    eng = load_engagement(client)
    quarterly = eng.metrics.loc[eng.metrics["frequency"] == "quarterly", "id"].astype(str).tolist()
    assert len(quarterly) >= 2
    lines = ["metric_id,period,value,note"]
    for metric in quarterly:
        lines += [f"{metric},{year}-Q{q},{(year * 4 + q) % 97}.5," for year in range(1000, 10000) for q in range(1, 5)][:60_000]
    lines = lines[:100_001]
    (client / "actuals.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    before = (client / "actuals.csv").read_bytes()
    eng = load_engagement(client)
    eng.actuals.loc[50_000, "value"] = 12345.0
    eng.save()
    after = (client / "actuals.csv").read_bytes()
    assert_one_line(before, after, "12345", "\r\n")
