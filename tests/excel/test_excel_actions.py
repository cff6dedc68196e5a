"""The actions sheet of the Excel round trip: owners update their actions in the workbook (through LibreOffice too)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from support import run_cli

ACTIONS = (
    "id,item_id,action,owner,due,status,opened,closed,note\n"
    "A1,OBJ-02/M-ED-4HR,Open the discharge lounge,S-02,2026-08-31,open,2026-07-15,,\n"
    "A2,OBJ-08,Weekly vacancy huddle,S-02,2026-12-31,open,2026-07-15,,\n"
)


def _set(path: Path, out: Path, action_id: str, **cells: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["actions"]
    header = [c.value for c in ws[1]]
    (row,) = [r for r in ws.iter_rows(min_row=2) if r[0].value == action_id]
    for name, value in cells.items():
        row[header.index(name)].value = value
    wb.save(out)


def _libreoffice_save(path: Path, tmp_path: Path) -> Path:
    out = tmp_path / "lo-out"
    subprocess.run(["libreoffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)], check=True, capture_output=True, timeout=180)
    return out / path.name


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("libreoffice") is None and os.environ.get("CI") != "true",
                    reason="LibreOffice is not installed (apt-get install libreoffice-calc); under CI=true this fails instead")
def test_an_owner_closes_an_action_in_the_workbook(make_client: Callable[[str], Path], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client("harbor")
    (client / "actions.csv").write_text(ACTIONS, encoding="utf-8")
    book = tmp_path / "harbor.xlsx"
    assert run_cli(["excel", "export", str(client), str(book)]) == 0
    assert "actions" in openpyxl.load_workbook(book).sheetnames
    capsys.readouterr()
    assert run_cli(["validate", str(client), "--findings"]) == 0
    assert "ACTION_OVERDUE" in capsys.readouterr().out

    # done without the date it was closed: refused at its cell, nothing written
    bad = tmp_path / "bad.xlsx"
    _set(book, bad, "A1", status="done")
    before = (client / "actions.csv").read_bytes()
    assert run_cli(["excel", "import", str(_libreoffice_save(bad, tmp_path)), str(client)]) == 1
    err = capsys.readouterr()
    assert "actions!H2: the action is done: give the date it was closed" in err.out + err.err
    assert (client / "actions.csv").read_bytes() == before

    # done with its date and a note, saved by LibreOffice: one row changes, in place
    good = tmp_path / "good.xlsx"
    _set(book, good, "A1", status="done", closed="2026-09-15", note="lounge open since 15 September")
    saved = _libreoffice_save(good, tmp_path / "second")
    assert run_cli(["excel", "import", str(saved), str(client)]) == 0
    out = capsys.readouterr().out
    assert "actions.csv: 0 added, 1 changed, 0 removed" in out
    lines = (client / "actions.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1] == "A1,OBJ-02/M-ED-4HR,Open the discharge lounge,S-02,2026-08-31,done,2026-07-15,2026-09-15,lounge open since 15 September"
    assert lines[2] == ACTIONS.splitlines()[2]
    capsys.readouterr()
    assert run_cli(["validate", str(client), "--findings"]) == 0
    assert "ACTION_OVERDUE" not in capsys.readouterr().out
