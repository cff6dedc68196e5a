"""Decompression and expansion bombs in a workbook are refused before openpyxl reads them (issue 10).

Each hostile workbook is imported by ``kpikit excel import`` in a fresh process, whose
peak memory and time are measured: a sheet that expands to a gigabyte, shared strings
of 40 MB, 600,000 rows, 10,001 zip parts, a 65 MB file. Every one ends with exit 1, one
clear message naming the workbook (and the sheet, when it is a sheet's fault), no
traceback, the folder untouched, in bounded memory and time. The limits are in
``kpikit/data/limits.py``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from support import FIXTURES

from kpikit.data import limits
from kpikit.data.store import load_engagement
from kpikit.excel import export_workbook
from kpikit.excel.importer import sheet_parts

MEASURE = """
import json, resource, sys, time
def hwm():  # this process's peak RSS in kB (ru_maxrss keeps the forking parent's)
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))
t0 = time.monotonic()
from kpikit.cli import main
base = hwm()
code = main(["excel", "import", sys.argv[1], sys.argv[2]])
peak = hwm()
print(json.dumps({"code": code, "seconds": time.monotonic() - t0, "grew_mb": (peak - base) / 1024,
                  "peak_mb": peak / 1024}), file=sys.__stdout__)
"""
PEAK_MB = 300
"""The most memory the whole import process may use on a hostile workbook (kpikit, pandas and openpyxl alone
are about 120-150 MB; the refusals measured 123-148 MB in all)."""
SECONDS = 30


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("xlsx")
    client = root / "client"
    shutil.copytree(FIXTURES / "excel_small", client)
    book = root / "clean.xlsx"
    export_workbook(load_engagement(client), book)
    return client, book


def rebuild(src: Path, dest: Path, replace: dict[str, Callable[[zipfile.ZipFile, str], None]],
            extra: Callable[[zipfile.ZipFile], None] | None = None) -> Path:
    """A copy of the workbook ``src`` with some parts written by functions (streamed, so a part may be huge)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            if info.filename in replace:
                replace[info.filename](zout, info.filename)
            else:
                zout.writestr(info, zin.read(info.filename))
        if extra is not None:
            extra(zout)
    return dest


def sheet_member(book: Path, title: str) -> str:
    with zipfile.ZipFile(book) as zf:
        return sheet_parts(zf)[title]


def run_import(book: Path, client: Path) -> tuple[dict[str, float], str, str]:
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(book), str(client)], capture_output=True, text=True,
                          timeout=120)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result, proc.stdout, proc.stderr


def check(book: Path, client: Path, *says: str) -> dict[str, float]:
    before = tree_hashes(client)
    result, out, err = run_import(book, client)
    assert result["code"] == 1, (out, err)
    assert "Traceback" not in out + err
    told = out + err
    for s in says:
        assert s in told, told
    assert result["peak_mb"] < PEAK_MB, result
    assert result["seconds"] < SECONDS, result
    assert tree_hashes(client) == before
    print(f"{book.name}: {result}")  # the measurement (pytest -s shows it; docs/reliability.md quotes it)
    return result


def test_a_sheet_that_expands_to_a_gigabyte(exported: tuple[Path, Path], tmp_path: Path) -> None:
    client, book = exported
    member = sheet_member(book, "actuals")

    def bomb(zout: zipfile.ZipFile, name: str) -> None:
        with zipfile.ZipFile(book) as zin:
            xml = zin.read(name)
        at = xml.index(b"<sheetData>") + len(b"<sheetData>")
        with zout.open(name, "w", force_zip64=True) as fh:
            fh.write(xml[:at])
            chunk = b" " * (1 << 24)
            for _ in range(64):  # 1 GB of whitespace: valid XML, a few MB compressed
                fh.write(chunk)
            fh.write(xml[at:])

    bad = rebuild(book, tmp_path / "bomb.xlsx", {member: bomb})
    assert bad.stat().st_size < 8 * limits.MIB
    check(bad, client, "bomb.xlsx: sheet 'actuals' expands to 1024 MB", "more than the 128 MB a sheet may")


def test_huge_shared_strings(exported: tuple[Path, Path], tmp_path: Path) -> None:
    client, book = exported

    def strings(zout: zipfile.ZipFile, name: str) -> None:
        with zout.open(name, "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                     b'spreadsheetml/2006/main" count="400000" uniqueCount="400000">')
            one = b"<si><t>" + b"x" * 90 + b"</t></si>"
            fh.write(one * 400_000)  # 40 MB of text cells
            fh.write(b"</sst>")

    with zipfile.ZipFile(book) as zf:
        names = zf.namelist()
    if "xl/sharedStrings.xml" in names:
        bad = rebuild(book, tmp_path / "strings.xlsx", {"xl/sharedStrings.xml": strings})
    else:
        bad = rebuild(book, tmp_path / "strings.xlsx", {}, lambda z: strings(z, "xl/sharedStrings.xml"))
    check(bad, client, "strings.xlsx: its shared strings (xl/sharedStrings.xml", "more than the 32 MB allowed")


def test_six_hundred_thousand_rows(exported: tuple[Path, Path], tmp_path: Path) -> None:
    client, book = exported
    member = sheet_member(book, "actuals")
    n = 600_000

    def rows(zout: zipfile.ZipFile, name: str) -> None:
        with zipfile.ZipFile(book) as zin:
            xml = zin.read(name)
        start = xml.index(b"<sheetData>") + len(b"<sheetData>")
        end = xml.index(b"</sheetData>")
        with zout.open(name, "w", force_zip64=True) as fh:
            fh.write(xml[:start])
            fh.write(xml[start:end])  # the header and the real rows
            block = []
            for r in range(3, n + 3):
                block.append(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>M-Q</t></is></c>'
                             b'<c r="B%d" t="inlineStr"><is><t>2026-Q1</t></is></c><c r="C%d"><v>1</v></c></row>'
                             % (r, r, r, r))
                if len(block) == 10_000:
                    fh.write(b"".join(block))
                    block = []
            fh.write(b"".join(block))
            fh.write(xml[end:])

    bad = rebuild(book, tmp_path / "rows.xlsx", {member: rows})
    result = check(bad, client, "actuals: sheet 'actuals' has 600,00", "more than the 500,000 data rows")
    assert result["seconds"] < 15, result


def test_ten_thousand_and_one_parts(exported: tuple[Path, Path], tmp_path: Path) -> None:
    client, book = exported

    def parts(zout: zipfile.ZipFile) -> None:
        for i in range(limits.MAX_XLSX_PARTS + 1):
            zout.writestr(f"customXml/item{i}.xml", b"<a/>")

    bad = rebuild(book, tmp_path / "parts.xlsx", {}, parts)
    check(bad, client, "parts.xlsx: holds 10,0", "more than the 10,000 a workbook may have")


def test_a_workbook_file_above_the_size_limit_is_not_read(exported: tuple[Path, Path], tmp_path: Path) -> None:
    client, _ = exported
    big = tmp_path / "big.xlsx"
    with big.open("wb") as fh:
        fh.truncate(65 * limits.MIB)  # sparse: costs no disk, and must never be read
    check(big, client, "big.xlsx: is 65 MB, more than the 64 MB a workbook may be")


def test_the_limits_hold_a_real_large_workbook() -> None:
    """500,000 actuals rows are about 80 MB of sheet XML: under the sheet limit, so the row limit decides."""
    row = b'<row r="500000"><c r="A500000" t="s"><v>12</v></c><c r="B500000" t="s"><v>40</v></c>' \
          b'<c r="C500000"><v>81.25</v></c><c r="D500000" t="s"><v>7</v></c></row>'
    assert len(row) * limits.MAX_CSV_ROWS < limits.MAX_XLSX_SHEET_BYTES
    assert limits.MAX_XLSX_PART_BYTES * 2 < limits.MAX_XLSX_SHEET_BYTES <= limits.MAX_XLSX_EXPANDED_BYTES
