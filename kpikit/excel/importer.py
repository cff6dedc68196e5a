"""Reading a client's workbook back into the engagement folder, checked like ``kpikit validate``.

The sheets are read as text (dates, periods and numbers normalised by
:mod:`kpikit.excel.cells`), combined with the folder's files for any table the workbook
has no sheet for, and checked by :func:`kpikit.data.store.build_engagement`: the same
rules as ``kpikit validate``, with each problem pointed at its cell (``actuals!C14``).
Only when everything is valid are the tables that really changed written, atomically,
after a backup; unchanged tables keep their bytes. Every changed target and KPI
selection is logged in ``changes.csv``. A workbook that changes an actual a board already
saw (a period in ``DIR/published/``) is refused unless the import gives the reason
(``--reason``); each restated actual is then logged with it, in the words that explain the
restatement, so ``ACTUAL_RESTATED`` does not fire for it.

>>> result = import_workbook("harbor-filled.xlsx", "clients/demo-harbor", dry_run=True)  # doctest: +SKIP
>>> print("\\n".join(result.summary()))                                                 # doctest: +SKIP
"""

from __future__ import annotations

import io
import posixpath
import re
import stat
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from kpikit.data import journal, limits
from kpikit.data.cells import TEXT_DTYPE, is_missing, text_column
from kpikit.data.config import EngagementConfig, parse_config
from kpikit.data.csvio import RawTable
from kpikit.data.model import Engagement
from kpikit.data.schema import SPECS, TABLES, Column, TableSpec
from kpikit.data.store import (
    BACKUP_DIR,
    LOG_COLUMNS,
    MATCH_KEYS,
    append_log,
    build_engagement,
    folder_with_changes,
    frames_equal,
    keep_row_order,
    log_row,
    read_engagement,
)
from kpikit.data.validation import RawEngagement
from kpikit.errors import (
    EngagementError,
    ExcelError,
    ImportWriteError,
    Problem,
    RefusedError,
    WorkbookInputError,
)
from kpikit.excel.cells import cell_text, number_text
from kpikit.excel.layout import (
    CLIENT_PROPERTY,
    INSTRUCTIONS_SHEET,
    SERVICE_SHEETS,
    TITLE_SUFFIX,
    table_specs,
)

ROW_KEYS = MATCH_KEYS
"""What identifies a row of each table, for counting rows added, changed and removed (the store's own)."""
LOGGED_KPI_FIELDS = ("target", "target_period")
DECIDED_BY = "excel import"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


@dataclass(frozen=True)
class SheetMap:
    """Where a table's columns sit on its sheet, to turn problems into cell references."""

    sheet: str
    letters: dict[str, str]
    last_letter: str


@dataclass(frozen=True)
class TableDiff:
    """How one table differs from the folder's file."""

    table: str
    file: str
    added: int
    changed: int
    removed: int
    created: bool = False

    def __str__(self) -> str:
        what = "new file, " if self.created else ""
        return f"{self.file}: {what}{self.added} added, {self.changed} changed, {self.removed} removed"


@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    workbook: str
    folder: str
    dry_run: bool
    diffs: list[TableDiff] = field(default_factory=list)
    log_rows: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    backup: Path | None = None

    @property
    def changed(self) -> bool:
        return bool(self.diffs)

    def summary(self) -> list[str]:
        """Lines for a person: notes, then per-file changes and the decision-log rows."""
        out = [f"note: {n}" for n in self.notes]
        if not self.diffs:
            out.append(f"{self.folder}: no changes; the folder already matches {self.workbook}")
            return out
        verb = "would update" if self.dry_run else "updated"
        out.append(f"{self.folder}: {verb} {len(self.diffs)} file{'s' if len(self.diffs) != 1 else ''}")
        out.extend(f"  {d}" for d in self.diffs)
        for row in self.log_rows:
            out.append(f"  changes.csv += {row['date']} {row['item_id']}: {row['change']}")
        if self.backup is not None:
            out.append(f"  previous files backed up in {self.backup}")
        if self.dry_run:
            out.append("  (dry run: nothing written)")
        return out


# -- reading the workbook ----------------------------------------------------------------
def read_workbook_file(path: Path, shown: str) -> bytes:
    """The workbook's bytes: a regular file of at most ``limits.XLSX`` bytes (a FIFO is never opened)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ExcelError(f"{shown}: no such file") from None
    except OSError as exc:
        raise ExcelError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ExcelError(f"{shown}: is a folder, not an Excel workbook")
    if not stat.S_ISREG(st.st_mode):
        raise ExcelError(f"{shown}: is not a regular file (a pipe or a device), not an Excel workbook")
    if st.st_size > limits.XLSX.max_bytes:
        raise ExcelError(f"{shown}: is {limits.size_text(st.st_size)}, more than the {limits.size_text(limits.XLSX.max_bytes)} "
                         "a workbook may be (see docs/reliability.md): is this the right file?")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ExcelError(f"{shown}: cannot be read ({exc.strerror or exc})") from None


def check_expansion(zf: zipfile.ZipFile, name: str) -> None:
    """Refuse a workbook whose parts expand past the limits, before anything decompresses them.

    A zip entry says how big it expands to, and Python's zipfile never reads past that
    size (a lie ends in a CRC error): so the declared sizes bound what openpyxl and the
    checks below may decompress, whatever the file's compression ratio.
    """
    infos = zf.infolist()
    if len(infos) > limits.MAX_XLSX_PARTS:
        raise ExcelError(f"{name}: holds {len(infos):,} parts, more than the {limits.MAX_XLSX_PARTS:,} a workbook "
                         "may have (see docs/reliability.md): is this an Excel workbook?")
    sheets = [i for i in infos if i.filename.startswith("xl/worksheets/")]
    for info in infos:
        if info not in sheets and info.file_size > limits.MAX_XLSX_PART_BYTES:
            what = ("its shared strings (xl/sharedStrings.xml, the text of the cells)"
                    if info.filename.endswith("sharedStrings.xml") else f"its part {info.filename}")
            raise ExcelError(f"{name}: {what} expands to {limits.size_text(info.file_size)}, more than the "
                             f"{limits.size_text(limits.MAX_XLSX_PART_BYTES)} allowed (see docs/reliability.md); "
                             "save the workbook again from Excel, or split the data")
    titles = {part: title for title, part in sheet_parts(zf).items()}
    for info in sheets:
        if info.file_size > limits.MAX_XLSX_SHEET_BYTES:
            title = titles.get(info.filename)
            what = f"sheet '{title}'" if title is not None else f"the sheet in {info.filename}"
            raise ExcelError(f"{name}: {what} expands to {limits.size_text(info.file_size)}, more than the "
                             f"{limits.size_text(limits.MAX_XLSX_SHEET_BYTES)} a sheet may (see docs/reliability.md): "
                             "delete the empty rows and columns below and right of the data, or split the data")
    total = sum(i.file_size for i in infos)
    if total > limits.MAX_XLSX_EXPANDED_BYTES:
        raise ExcelError(f"{name}: expands to {limits.size_text(total)}, more than the "
                         f"{limits.size_text(limits.MAX_XLSX_EXPANDED_BYTES)} a workbook may (see docs/reliability.md)")


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


def scan_sheet(archive: zipfile.ZipFile, member: str | None) -> tuple[int, bool]:
    """A sheet part's number of rows and whether it holds a formula, read in chunks (bounded memory)."""
    if member is None:
        return 0, False
    rows, formulas, tail = 0, False, b""
    try:
        fh = archive.open(member)
    except KeyError:
        return 0, False
    with fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            cut = buf.rfind(b"<")
            head, tail = (buf[:cut], buf[cut:]) if cut > 0 else (buf, b"")
            rows += len(_ROW_TAG.findall(head))
            formulas = formulas or _FORMULA.search(head) is not None
        rows += len(_ROW_TAG.findall(tail))
        formulas = formulas or _FORMULA.search(tail) is not None
    return rows, formulas


def open_workbook(data: bytes, name: str) -> Any:
    """Open workbook bytes read-only, turning every way it can fail into a clear ExcelError."""
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTION_STREAM in data:
            raise ExcelError(f"{name}: is password-protected (encrypted); remove the password in Excel "
                             "(File > Info > Protect Workbook) and save it again as .xlsx")
        raise ExcelError(f"{name}: is an old Excel 97-2003 (.xls) file; save it as an Excel workbook (.xlsx)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(b"PK"):
            raise ExcelError(f"{name}: is corrupt (a damaged or incomplete .xlsx file); save it again from Excel")
        raise ExcelError(f"{name}: is not an Excel workbook (.xlsx); save it from Excel as 'Excel Workbook'")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" not in names:
                kind = "an OpenDocument spreadsheet (.ods)" if "content.xml" in names else "a zip file but no Excel workbook"
                raise ExcelError(f"{name}: is {kind}; save it as an Excel workbook (.xlsx)")
            check_expansion(zf, name)
            broken = zf.testzip()
            if broken is not None:
                raise ExcelError(f"{name}: is corrupt (damaged part {broken}); save it again from Excel")
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ExcelError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged files; none may reach the user raw
        raise ExcelError(f"{name}: is corrupt or not a valid .xlsx workbook ({type(exc).__name__}: {exc})") from exc


def read_workbook(
    data: bytes, name: str, specs: dict[str, TableSpec], about: dict[str, str] | None = None
) -> tuple[dict[str, RawTable], list[Problem], list[str], dict[str, SheetMap]]:
    """The workbook's table sheets as raw text tables (``lines`` = sheet rows), read problems, notes, cell maps.

    ``about``, when given, receives ``client``: the client the workbook was exported for, if it says.
    """
    wb = open_workbook(data, name)
    if about is not None:
        client = workbook_client(wb)
        if client is not None:
            about["client"] = client
    archive = zipfile.ZipFile(io.BytesIO(data))  # a valid zip: open_workbook checked it
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    notes: list[str] = []
    maps: dict[str, SheetMap] = {}
    try:
        parts = sheet_parts(archive)
        by_name: dict[str, str] = {}
        for title in wb.sheetnames:
            key = title.strip().lower()
            if key in specs:
                if key in by_name:
                    problems.append(Problem(specs[key].file, None,
                                            f"sheets '{by_name[key]}' and '{title}' are both the {key} table; keep one"))
                    continue
                by_name[key] = title
            elif title not in SERVICE_SHEETS:
                notes.append(f"sheet '{title}' is not a table of the engagement: ignored")
        for key, title in by_name.items():
            ws = wb[title]
            if getattr(ws, "sheet_state", "visible") != "visible" and key in specs:
                notes.append(f"sheet '{title}' is hidden; it is read all the same")
            rows, has_formulas = scan_sheet(archive, parts.get(title))
            if rows > limits.MAX_XLSX_ROWS:
                problems.append(Problem(specs[key].file, None, f"sheet '{title}' has {rows:,} rows, more than the "
                                        f"{limits.MAX_CSV_ROWS:,} data rows a table may have (empty rows Excel keeps "
                                        "for formatting count too; see docs/reliability.md): delete the rows below "
                                        "the data, or split the data"))
                maps[specs[key].file] = SheetMap(title, {}, "A")
                continue
            uncomputed = formulas_without_result(_part(archive, parts.get(title))) if has_formulas else set()
            table, sheet_problems, smap = _read_sheet(ws, title, specs[key], uncomputed)
            problems.extend(sheet_problems)
            maps[specs[key].file] = smap
            if table is not None:
                tables[key] = table
    except ExcelError:
        raise
    except Exception as exc:
        raise ExcelError(f"{name}: is corrupt or not a valid .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    finally:
        wb.close()
        archive.close()
    return tables, problems, notes, maps


def workbook_client(wb: Any) -> str | None:
    """The client a workbook was exported for: its ``kpikit_client`` property, else its Instructions title."""
    try:
        for prop in wb.custom_doc_props:
            if prop.name == CLIENT_PROPERTY and isinstance(prop.value, str) and prop.value.strip():
                return str(prop.value).strip()
        if INSTRUCTIONS_SHEET in wb.sheetnames:
            first = next(wb[INSTRUCTIONS_SHEET].iter_rows(min_row=1, max_row=1, max_col=1, values_only=True), None)
            title = first[0] if first else None
            if isinstance(title, str) and title.endswith(TITLE_SUFFIX) and title[: -len(TITLE_SUFFIX)].strip():
                return title[: -len(TITLE_SUFFIX)].strip()
    except Exception:  # a damaged property part says nothing about the client; the sheets are what is checked
        return None
    return None


def _same_client(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> the zip member that holds its XML, from the workbook's own index.

    ``xl/workbook.xml`` names each sheet and its relationship id; the workbook's
    relationships (``xl/_rels/workbook.xml.rels``) give the part. Tags are matched by
    local name, so transitional and strict OOXML namespaces both work. An index that
    cannot be read gives no parts (the formula check is then skipped; the read still works).
    """
    try:
        book = ET.fromstring(archive.read("xl/workbook.xml"))
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter() if _local(r.tag) == "Relationship"}
    out: dict[str, str] = {}
    for sheet in book.iter():
        if _local(sheet.tag) != "sheet":
            continue
        rid = next((v for k, v in sheet.attrib.items() if k.startswith("{") and _local(k) == "id"), None)
        target, name = targets.get(rid), sheet.get("name")
        if target and name is not None:
            out[name] = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _part(archive: zipfile.ZipFile, member: str | None) -> bytes:
    """A zip member's bytes; empty when it is not there."""
    if member is None:
        return b""
    try:
        return archive.read(member)
    except KeyError:
        return b""


_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)', re.S)
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_CACHED = re.compile(rb"<(?:\w+:)?v>[^<]+</(?:\w+:)?v>")


def formulas_without_result(xml: bytes) -> set[tuple[int, int]]:
    """(row, column) of formula cells whose result was never saved.

    Excel and LibreOffice save each formula's last result, which is what a read with
    ``data_only`` sees; a file written by a program (openpyxl, a script) may hold formulas
    with no result, which would read as empty cells. Those are reported, not dropped.
    ``xml`` is the sheet's part of the zip (see :func:`sheet_parts`).
    """
    if not _FORMULA.search(xml):
        return set()
    out: set[tuple[int, int]] = set()
    for m in _CELL.finditer(xml):
        body = m.group(2) or b""
        if not _FORMULA.search(body) or _CACHED.search(body) or b't="str"' in m.group(1):
            continue
        ref = _REF.search(m.group(1))
        if ref:
            out.add((int(ref.group(2)), column_index_from_string(ref.group(1).decode())))
    return out


def _read_sheet(
    ws: Any, title: str, spec: TableSpec, uncomputed: set[tuple[int, int]]
) -> tuple[RawTable | None, list[Problem], SheetMap]:
    file = spec.file
    problems: list[Problem] = []
    ws.reset_dimensions()  # read-only mode trusts a stored size that some tools get wrong
    header: list[str] | None = None
    written: list[str] = []
    kinds: list[Column] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    for r, cells in enumerate(ws.iter_rows(), start=1):
        values = [c.value for c in cells]
        if header is None:
            if all(cell_text(v, "text") == "" for v in values):
                continue
            written = [cell_text(v, "text") for v in values]
            while written and not written[-1]:
                written.pop()
            header = [w.lower() for w in written]
            if len(header) > limits.MAX_CSV_COLUMNS:
                problems.append(Problem(file, r, f"the header has {len(header):,} columns, more than the "
                                        f"{limits.MAX_CSV_COLUMNS} a table may have (see docs/reliability.md)"))
                return None, problems, SheetMap(title, {}, "A")
            kinds = [_column(spec, h) for h in header]
            seen: set[str] = set()
            for h in header:
                if h and h in seen:
                    problems.append(Problem(file, r, f"column '{h}' appears twice in the header", h))
                seen.add(h)
            continue
        texts: list[str] = []
        row_problems: list[Problem] = []
        for j, cell in enumerate(cells):
            v = cell.value
            if j >= len(header) or not header[j]:
                if cell_text(v, "text"):
                    row_problems.append(Problem(file, r, f"cell {get_column_letter(j + 1)}{r} has a value "
                                                         "but its column has no header"))
                continue
            col = kinds[j]
            if v is None and (r, j + 1) in uncomputed:
                row_problems.append(Problem(file, r, f"{col.name}: the cell holds a formula whose result was never "
                                            "saved; open the file in Excel or LibreOffice and save it, or type the value",
                                            col.name, len(rows)))
            if col.kind == "number" and isinstance(v, int | float) and not isinstance(v, bool) \
                    and "%" in str(getattr(cell, "number_format", "") or ""):
                row_problems.append(Problem(file, r, f"{col.name}: the cell is formatted as a percentage "
                                            f"(it shows {v * 100:g}%, it holds {number_text(float(v))}); "
                                            "type the number without %", col.name, len(rows)))
            texts.append(cell_text(v, col.kind))
        texts = texts[: len(header)] + [""] * (len(header) - len(texts))
        if not any(texts) and not row_problems:
            continue
        problems.extend(row_problems)
        if len(rows) >= limits.MAX_CSV_ROWS:
            problems.append(Problem(file, r, f"the sheet has more than {limits.MAX_CSV_ROWS:,} data rows, the most a "
                                    "table may have (see docs/reliability.md): split the data or keep fewer periods"))
            return None, problems, SheetMap(title, {}, "A")
        rows.append(texts)
        lines.append(r)
    if header is None:
        problems.append(Problem(file, None, f"sheet '{title}' is empty: it needs at least the header row"))
        return None, problems, SheetMap(title, {}, "A")
    # Unnamed columns with no values are formatting left-overs: drop them.
    keep = [j for j, h in enumerate(header) if h]
    if len(keep) != len(header):
        header = [header[j] for j in keep]
        written = [written[j] for j in keep]
        rows = [[row[j] for j in keep] for row in rows]
    letters = {h: get_column_letter(j + 1) for j, h in zip(keep, header, strict=True)}
    last = get_column_letter(max(keep) + 1 if keep else 1)
    return RawTable(file, header, rows, lines, written), problems, SheetMap(title, letters, last)


def _column(spec: TableSpec, name: str) -> Column:
    try:
        return spec.column(name)
    except KeyError:
        return Column(name, "text")


def locate(problem: Problem, maps: dict[str, SheetMap]) -> str:
    """A problem as ``SHEET!CELL: message`` (or ``FILE:LINE: message`` for a file the workbook left alone)."""
    smap = maps.get(problem.file)
    if smap is None:
        return str(problem)
    msg = re.sub(r"\bline (\d+)", r"row \1", problem.message)
    sheet = smap.sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", smap.sheet) else f"'{smap.sheet}'"
    if problem.line is None:
        return f"{sheet}: {msg}"
    if problem.column and problem.column in smap.letters:
        return f"{sheet}!{smap.letters[problem.column]}{problem.line}: {msg}"
    return f"{sheet}!A{problem.line}:{smap.last_letter}{problem.line}: {msg}"


# -- comparing and logging --------------------------------------------------------------------
def same_cells_any_eol(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two typed tables hold the same cells, reading every line ending as ``\n``.

    A workbook stores ``\r\n`` as ``\n``, and that alone must not rewrite a file; past
    the line endings this is :func:`kpikit.data.store.frames_equal`.
    """
    return frames_equal(_same_eol(a), _same_eol(b))


def _same_eol(df: pd.DataFrame) -> pd.DataFrame:
    out = df.reset_index(drop=True).copy()
    for c in out.columns:
        if out[c].dtype != "float64" and out[c].astype("str").str.contains("\r", regex=False).any():
            out[c] = out[c].str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
    return out


def same_content(old: pd.DataFrame, new: pd.DataFrame, spec: TableSpec) -> bool:
    """Whether two tables (typed, or text from an invalid folder) hold the same cells in the same order."""
    if len(old) != len(new):
        return False
    for name in dict.fromkeys([*map(str, new.columns), *map(str, old.columns)]):
        col = _column(spec, name)
        a = [_canon(v, col) for v in old[name]] if name in old.columns else [""] * len(old)
        b = [_canon(v, col) for v in new[name]] if name in new.columns else [""] * len(new)
        if a != b:
            return False
    return True


def _canon(value: object, col: Column) -> str:
    if is_missing(value):
        return ""
    text = str(value).strip().replace("\r\n", "\n").replace("\r", "\n")
    if col.kind == "number" and text:
        try:
            return number_text(float(text))
        except ValueError:
            return text
    if col.kind == "enum":
        return {c.lower(): c for c in col.choices}.get(text.lower(), text)
    return text


def _rows_by_key(df: pd.DataFrame, spec: TableSpec) -> dict[tuple[str, ...], tuple[str, ...]]:
    cols = [_column(spec, str(c)) for c in df.columns]
    key = ROW_KEYS.get(spec.name)
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for n, row in enumerate(df.itertuples(index=False, name=None)):
        cells = tuple(_canon(v, c) for v, c in zip(row, cols, strict=True))
        named = dict(zip([c.name for c in cols], cells, strict=True))
        k = tuple(named.get(c, "") for c in key) if key else (*cells, str(n))
        out[k] = cells
    return out


def diff_rows(old: pd.DataFrame, new: pd.DataFrame, spec: TableSpec) -> tuple[int, int, int]:
    """Rows (added, changed, removed), matching rows by the table's key (whole rows for ``changes``)."""
    if spec.name not in ROW_KEYS:
        a = pd.Series([str(r) for r in _rows_by_key(old, spec).values()]).value_counts() if len(old) else pd.Series(dtype=int)
        b = pd.Series([str(r) for r in _rows_by_key(new, spec).values()]).value_counts() if len(new) else pd.Series(dtype=int)
        both = a.index.union(b.index)
        delta = b.reindex(both, fill_value=0) - a.reindex(both, fill_value=0)
        return int(delta[delta > 0].sum()), 0, int(-delta[delta < 0].sum())
    o, n = _rows_by_key(old, spec), _rows_by_key(new, spec)
    shared = [c for c in new.columns if c in set(old.columns)]
    oi = [list(old.columns).index(c) for c in shared]
    ni = [list(new.columns).index(c) for c in shared]
    changed = sum(1 for k in o.keys() & n.keys() if [o[k][i] for i in oi] != [n[k][i] for i in ni])
    return len(n.keys() - o.keys()), changed, len(o.keys() - n.keys())


def kpi_log_rows(old: pd.DataFrame, new: pd.DataFrame, workbook: str, today: date) -> list[dict[str, str]]:
    """One decision-log row per changed target and per KPI selected or removed."""
    spec = SPECS["kpis"]
    cols = [c.name for c in spec.columns]

    def index(df: pd.DataFrame) -> dict[tuple[str, str], dict[str, str]]:
        out: dict[tuple[str, str], dict[str, str]] = {}
        for row in df.to_dict("records"):
            cells = {c: _canon(row.get(c), spec.column(c)) for c in cols}
            out[(cells["objective_id"], cells["metric_id"])] = cells
        return out

    o, n = index(old), index(new)
    rows: list[dict[str, str]] = []

    def log(item: str, change: str) -> None:
        rows.append(log_row(item, change, f"imported from {workbook}", DECIDED_BY, today))

    for key in sorted(o.keys() | n.keys()):
        item = f"{key[0]}/{key[1]}"
        if key not in o:
            t = n[key]
            log(item, f"KPI selected: target {t['target']} by {t['target_period']}")
        elif key not in n:
            t = o[key]
            log(item, f"KPI removed (was target {t['target']} by {t['target_period']})")
        else:
            parts = [f"{f} {o[key][f] or '(none)'} -> {n[key][f] or '(none)'}" for f in LOGGED_KPI_FIELDS
                     if o[key][f] != n[key][f]]
            if parts:
                log(item, "; ".join(parts))
    return [{k: r[k] for k in LOG_COLUMNS} for r in rows]


def milestone_log_rows(old: pd.DataFrame, new: pd.DataFrame, workbook: str, today: date) -> list[dict[str, str]]:
    """One decision-log row per interim target set, changed or removed (a plan's numbers are decisions too)."""
    spec = SPECS["milestones"]

    def index(df: pd.DataFrame) -> dict[tuple[str, str, str], str]:
        return {(_canon(r.get("objective_id"), spec.column("objective_id")),
                 _canon(r.get("metric_id"), spec.column("metric_id")),
                 _canon(r.get("period"), spec.column("period"))): _canon(r.get("target"), spec.column("target"))
                for r in df.to_dict("records")}

    o, n = index(old), index(new)
    rows: list[dict[str, str]] = []
    for key in sorted(o.keys() | n.keys()):
        item, period = f"{key[0]}/{key[1]}", key[2]
        if key not in o:
            change = f"milestone {period} set to {n[key]}"
        elif key not in n:
            change = f"milestone {period} removed (was {o[key]})"
        elif o[key] != n[key]:
            change = f"milestone {period} {o[key]} -> {n[key]}"
        else:
            continue
        rows.append(log_row(item, change, f"imported from {workbook}", DECIDED_BY, today))
    return [{k: r[k] for k in LOG_COLUMNS} for r in rows]


def restatement_log_rows(folder: Path, before: pd.DataFrame, after: pd.DataFrame, workbook: str, reason: str | None,
                         dry_run: bool, notes: list[str], today: date) -> list[dict[str, str]]:
    """One decision-log row per published actual the workbook restates, with the reason given.

    Without a reason the import is refused (:class:`~kpikit.errors.RefusedError`: a number the
    board saw does not change silently); a dry run says so in ``notes`` instead.
    """
    from kpikit.engine.restatements import published_actuals, restating

    found = restating(published_actuals(folder), before, after)
    if not found:
        return []
    why = (reason or "").strip()
    if not why:
        named = ", ".join(f"{r.metric_id} {r.period} ({r.publication} report)" for r in found[:10])
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        said = (f"{workbook} changes {len(found)} actual{'s' if len(found) != 1 else ''} the board already saw in a "
                f"published report: {named}{more}")
        if dry_run:
            notes.append(f"{said}; the import needs --reason TEXT saying why")
            return []
        raise RefusedError(f"{said}; nothing was written. Say why with --reason TEXT (it is logged in changes.csv "
                           "for each of them)")
    rows = [log_row(r.metric_id, r.change, why, DECIDED_BY, today) for r in found]
    return [{k: row[k] for k in LOG_COLUMNS} for row in rows]


# -- the import ---------------------------------------------------------------------------------
def import_workbook(
    workbook: str | Path,
    folder: str | Path,
    *,
    dry_run: bool = False,
    today: date | None = None,
    allow_other_client: bool = False,
    reason: str | None = None,
) -> ImportResult:
    """Check ``workbook`` against the folder's rules and, if all is valid, update ``folder``.

    A workbook exported for another client is refused (:class:`~kpikit.errors.RefusedError`,
    naming both) unless ``allow_other_client``. Raises :class:`~kpikit.errors.WorkbookInputError` with every problem as
    ``SHEET!CELL: message`` (nothing written), :class:`~kpikit.errors.ExcelError` for a
    file that is no readable ``.xlsx``. A table with no sheet in the workbook is left as it is.
    A change to a published actual without ``reason`` is refused (:class:`~kpikit.errors.RefusedError`,
    naming each one; a dry run only notes it).
    """
    path, dest = Path(workbook), Path(folder)
    data = read_workbook_file(path, str(workbook))
    raw_folder = read_engagement(dest)
    config: EngagementConfig | None = None
    if raw_folder.config_text is not None:
        config, _ = parse_config(raw_folder.config_text)
    specs = table_specs(config) if config is not None else {t.name: t for t in TABLES}
    about: dict[str, str] = {}
    sheets, read_problems, notes, maps = read_workbook(data, path.name, specs, about)
    made_for = about.get("client")
    if config is not None and made_for is not None and not _same_client(made_for, config.client):
        if not allow_other_client:
            raise RefusedError(
                f"{path.name} was exported for {limits.quote(made_for)}, but {folder} is the engagement of "
                f"{limits.quote(config.client)}; nothing was written. If the workbook is meant for this folder "
                "(the client was renamed), import it with --allow-other-client"
            )
        notes.append(f"the workbook was exported for {limits.quote(made_for)}; imported into "
                     f"{limits.quote(config.client)} as asked (--allow-other-client)")
    elif config is not None and made_for is None:
        notes.append("the workbook does not say which client it was made for (not exported by kpikit)")

    from_sheets = {specs[n].file for n in sheets} | set(maps)
    combined = RawEngagement(
        str(dest),
        raw_folder.config_text,
        {**raw_folder.tables, **sheets},
        [p for p in raw_folder.problems if p.file not in from_sheets] + read_problems,
        dict(raw_folder.fingerprints),
    )
    try:
        new = build_engagement(combined)
    except EngagementError as exc:
        lines = [locate(p, maps) for p in exc.problems]
        raise WorkbookInputError(path.name, lines, exc.problems) from None
    for spec in TABLES:
        if spec.name not in sheets and spec.file not in maps:
            notes.append(f"no sheet '{spec.name}': {spec.file} left as it is")

    old: Engagement | None
    try:
        old = build_engagement(raw_folder)
    except EngagementError:
        old = None  # the folder itself is invalid; the workbook may be what fixes it
    before = _before_frames(old, raw_folder, specs)
    result = ImportResult(path.name, str(folder), dry_run, notes=notes)
    frames: dict[str, pd.DataFrame] = {}
    for spec in TABLES:
        name = spec.name
        if name not in sheets:
            continue
        now = new.tables[name]
        if not (dest / spec.file).exists():
            if now.empty:
                continue
        elif name in raw_folder.tables:
            same = same_cells_any_eol(now, old.tables[name]) if old is not None else \
                same_content(before[name], now, specs[name])
            if same:
                continue
            if old is not None:  # a sorted sheet or a row added in the middle: the file keeps its order
                now = keep_row_order(name, now, old.tables[name])
                if frames_equal(now, old.tables[name]):
                    continue
        frames[name] = now

    if "kpis" in frames:
        result.log_rows = kpi_log_rows(before["kpis"], frames["kpis"], path.name, today or date.today())
    if "milestones" in frames:
        result.log_rows += milestone_log_rows(before["milestones"], frames["milestones"], path.name,
                                              today or date.today())
    if "actuals" in frames:
        result.log_rows += restatement_log_rows(dest, before["actuals"], frames["actuals"], path.name, reason, dry_run,
                                                notes, today or date.today())
    if result.log_rows:
        frames["changes"] = append_log(frames.get("changes", new.tables["changes"]), result.log_rows)
    if "changes" in sheets and len(before["changes"]):
        _, _, dropped = diff_rows(before["changes"], new.tables["changes"], specs["changes"])
        if dropped:
            notes.append(f"the changes sheet lost {dropped} row(s) of the decision log, which is meant to be append-only")
    for spec in TABLES:
        if spec.name in frames:
            added, changed, removed = diff_rows(before[spec.name], frames[spec.name], specs[spec.name])
            result.diffs.append(TableDiff(spec.name, spec.file, added, changed, removed,
                                          created=not (dest / spec.file).exists()))
    if dry_run or not frames:
        return result
    # The one write path of the kit: Engagement.save validates again, refuses files changed
    # since they were read, backs up what it replaces and writes atomically. The tables it
    # starts from are the folder's, so only the tables that changed count as changed.
    base = old if old is not None else new
    unchanged = {n: df for n, df in base.tables.items() if n not in frames}
    eng = folder_with_changes(raw_folder, new.config, unchanged, frames, old)
    try:
        saved = eng.save()
    except OSError as exc:
        where = journal.target_of(exc.filename) if getattr(exc, "filename", None) else "the folder"
        state = ("the save is recorded and is finished the next time the folder is opened"
                 if journal.pending(dest) else "nothing was changed (a save writes all its files or none)")
        raise ImportWriteError(f"{folder}: could not write {where} ({exc.strerror or exc}); {state}; "
                         f"the previous files are in {dest / BACKUP_DIR}") from exc
    result.written = saved.written
    result.backup = saved.backup
    return result


def _before_frames(old: Engagement | None, raw: RawEngagement, specs: dict[str, TableSpec]) -> dict[str, pd.DataFrame]:
    """The folder's tables before the import (as text when the folder itself is invalid)."""
    if old is not None:
        return dict(old.tables)
    out: dict[str, pd.DataFrame] = {}
    for name, spec in specs.items():
        t = raw.tables.get(name)
        if t is None:
            out[name] = pd.DataFrame({c: pd.Series([], dtype=TEXT_DTYPE) for c in spec.column_names})
        else:
            text = pd.DataFrame(t.rows, columns=t.header, dtype=object)
            for j in range(text.shape[1]):  # by position: an invalid file may repeat a column
                text.isetitem(j, text_column(text.iloc[:, j]).array)
            out[name] = text
    return out
