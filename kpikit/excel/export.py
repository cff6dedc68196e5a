"""Writing an engagement to an Excel workbook that clients can fill in safely.

One sheet per table with the contract's columns, an Instructions sheet generated from
:mod:`kpikit.data.schema`, dropdowns for every closed set (through named ranges on a hidden
``lists`` sheet, so that lists of any length work), number and date formats, and the
existing rows prefilled. Text that a spreadsheet would take as a formula is stored as a
text cell with a quote prefix, so it is shown and never evaluated.

>>> export_workbook(load_engagement("clients/demo-harbor"), Path("harbor.xlsx"))  # doctest: +SKIP
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from kpikit.data.cells import is_missing
from kpikit.data.csvio import atomic_write
from kpikit.data.model import Engagement
from kpikit.data.schema import TABLES, Column, TableSpec
from kpikit.errors import ExcelError, RefusedError
from kpikit.excel.cells import escape_text, looks_like_formula
from kpikit.excel.layout import (
    CLIENT_PROPERTY,
    ID_LISTS,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    TITLE_SUFFIX,
    list_name,
    ref_sources,
    table_specs,
)
from kpikit.periods import forms_phrase

EXTRA_INPUT_ROWS = 2000
"""How many empty rows below the data get the column's format and dropdown."""
MAX_ROW = 1_048_576
REQUIRED_FILL = PatternFill("solid", fgColor="1F3864")
OPTIONAL_FILL = PatternFill("solid", fgColor="5B7DB1")
HEADER_FONT = Font(bold=True, color="FFFFFF")
WRAPPED = Alignment(wrap_text=True, vertical="top")
HEADER_BORDER = Border(bottom=Side(style="medium", color="000000"))
FORMATS = {"number": "General", "date": "yyyy-mm-dd"}
TEXT_FORMAT = "@"
"""Text format for IDs, periods and text, so that Excel keeps ``2026-03`` and ``007`` as typed."""
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters an .xlsx file cannot hold (its XML forbids them)."""
PERIOD_HELP = f"{forms_phrase('{form} ({freq})')}, in the metric's frequency"


def export_workbook(
    eng: Engagement, out: str | Path, sheets: Sequence[str] | None = None, *, force: bool = False
) -> Path:
    """Write ``eng`` to the workbook ``out`` (atomically); ``sheets`` limits the tables exported.

    An existing ``out`` may be the workbook the client filled in: it is replaced only with
    ``force`` (:class:`~kpikit.errors.RefusedError` otherwise). The workbook records the
    client it was made for (``CLIENT_PROPERTY``), which the import checks.
    """
    path = Path(out)
    if path.suffix.lower() != ".xlsx":
        raise ExcelError(f"{out}: the workbook's name must end in .xlsx (Excel will not open it otherwise)")
    if path.is_dir():
        raise ExcelError(f"{out}: is a folder; give the workbook's file name")
    if (path.exists() or path.is_symlink()) and not force:
        raise RefusedError(f"{out}: exists, and may be the workbook the client filled in; nothing was written. "
                           "Give a new name, or add --force to replace it")
    names = _chosen(sheets)
    specs = table_specs(eng.config)
    wb = Workbook()
    intro = wb.active
    assert intro is not None
    intro.title = INSTRUCTIONS_SHEET
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    list_ranges = _write_lists(wb, lists, eng, [specs[n] for n in names])
    for name in names:
        _write_table(wb.create_sheet(name), specs[name], eng.tables[name], list_ranges)
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    _write_instructions(intro, eng, [specs[n] for n in names])
    wb.properties.creator = "kpikit"
    wb.properties.title = f"{eng.client}{TITLE_SUFFIX}"
    wb.custom_doc_props.append(StringProperty(name=CLIENT_PROPERTY, value=eng.client))
    buf = io.BytesIO()
    wb.save(buf)
    try:
        atomic_write(path, buf.getvalue())
    except OSError as exc:
        raise ExcelError(f"{out}: cannot be written ({exc.strerror or exc})") from exc
    return path


def _chosen(sheets: Sequence[str] | None) -> list[str]:
    known = [t.name for t in TABLES]
    if not sheets:
        return known
    wanted = {s.strip().lower() for s in sheets}
    unknown = sorted(wanted - set(known))
    if unknown:
        raise ExcelError(f"unknown sheet(s): {', '.join(unknown)}; choose from {', '.join(known)}")
    return [n for n in known if n in wanted]


# -- lists ---------------------------------------------------------------------------
def _write_lists(wb: Workbook, ws: Worksheet, eng: Engagement, specs: list[TableSpec]) -> dict[str, str]:
    """Write every dropdown list the exported sheets need; return list key -> defined name."""
    wanted: dict[str, list[str]] = {}
    for spec in specs:
        for c in spec.columns:
            if c.kind == "enum":
                wanted.setdefault(c.name, list(c.choices))
            sources = ref_sources(spec.name, c.name) if c.kind == "ref" else ()
            if sources:
                key = "_".join(sources)
                if key not in wanted:
                    wanted[key] = [i for s in sources for i in _ids(eng, s)]
    out: dict[str, str] = {}
    for n, (key, values) in enumerate(wanted.items(), start=1):
        letter = get_column_letter(n)
        ws.cell(row=1, column=n, value=key).font = Font(bold=True)
        for r, v in enumerate(values, start=2):
            _set_text(ws.cell(row=r, column=n), v)
        last = max(2, len(values) + 1)
        name = list_name(key)
        ref = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${last}"
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
        out[key] = name
    return out


def _ids(eng: Engagement, source: str) -> list[str]:
    if source == "pillars":
        return [p.id for p in eng.config.pillars]
    return [str(v) for v in eng.tables[source]["id"].dropna().tolist()]


# -- table sheets ------------------------------------------------------------------------
def _write_table(ws: Worksheet, spec: TableSpec, df: pd.DataFrame, lists: dict[str, str]) -> None:
    columns = [str(c) for c in df.columns]
    kinds = [_column(spec, c) for c in columns]
    last_row = min(MAX_ROW, len(df) + 1 + EXTRA_INPUT_ROWS)
    for j, (name, col) in enumerate(zip(columns, kinds, strict=True), start=1):
        cell = ws.cell(row=1, column=j)
        _set_text(cell, name)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if col.nonempty or col.required else OPTIONAL_FILL
        cell.border = HEADER_BORDER
        cell.comment = Comment(_column_note(spec, col), "kpikit", width=320, height=110)
        letter = get_column_letter(j)
        ws.column_dimensions[letter].number_format = FORMATS.get(col.kind, TEXT_FORMAT)
        _add_validation(ws, spec, col, f"{letter}2:{letter}{last_row}", lists)
    for i, row in enumerate(df.itertuples(index=False, name=None), start=2):
        lines = 1
        for j, (value, col) in enumerate(zip(row, kinds, strict=True), start=1):
            _write_cell(ws, i, j, value, col, spec)
            if isinstance(value, str) and "\n" in value:
                lines = max(lines, len(value.splitlines()))
        if lines > 1:  # spreadsheets do not grow the rows a program wrote
            ws.row_dimensions[i].height = 15 * min(lines, 20)
    for j, (name, col) in enumerate(zip(columns, kinds, strict=True), start=1):
        sample = df.iloc[:500, j - 1].dropna().astype(str).tolist()
        line_lengths = (len(line) for s in sample for line in s.splitlines())
        widest = max([len(name) + 3, *line_lengths]) if col.kind != "date" else 12
        ws.column_dimensions[get_column_letter(j)].width = max(9, min(60, widest + 2))
    ws.freeze_panes = "A2"
    _print_setup(ws, landscape=len(columns) > 4)
    ws.print_title_rows = "1:1"
    ws.auto_filter.ref = f"A1:{get_column_letter(max(1, len(columns)))}{len(df) + 1}"


def _print_setup(ws: Worksheet, landscape: bool) -> None:
    """One page wide when printed: clients do print these to fill them in by hand."""
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_setup.orientation = "landscape" if landscape else "portrait"


def _column(spec: TableSpec, name: str) -> Column:
    try:
        return spec.column(name)
    except KeyError:
        return Column(name, "text", help="an extra column (kept, not checked)")


def _write_cell(ws: Worksheet, r: int, c: int, value: object, col: Column, spec: TableSpec) -> None:
    cell = ws.cell(row=r, column=c)
    if is_missing(value):
        cell.number_format = FORMATS.get(col.kind, TEXT_FORMAT)
        return
    if col.kind == "number":
        f = float(value)  # type: ignore[arg-type]
        cell.value = int(f) if f.is_integer() and abs(f) < 1e15 else f
        cell.number_format = FORMATS["number"]
        return
    text = str(value)
    if col.kind == "date":
        cell.value = date.fromisoformat(text)
        cell.number_format = FORMATS["date"]
        return
    if UNSTORABLE.search(text):
        raise ExcelError(
            f"{spec.file}:{r}: column {col.name} holds a control character that Excel cannot store; remove it first"
        )
    _set_text(cell, text)
    cell.number_format = TEXT_FORMAT
    if "\n" in text or "\r" in text:
        cell.alignment = WRAPPED


def _set_text(cell: object, text: str) -> None:
    """Store ``text`` as a text cell; a formula-looking one gets a quote prefix and is never evaluated."""
    if UNSTORABLE.search(text):
        raise ExcelError(f"{text[:60]!r} holds a control character that Excel cannot store; remove it first")
    cell.value = escape_text(text)  # type: ignore[attr-defined]
    cell.data_type = "s"  # type: ignore[attr-defined]
    if looks_like_formula(text):
        cell.quotePrefix = True  # type: ignore[attr-defined]


def _add_validation(ws: Worksheet, spec: TableSpec, col: Column, ref: str, lists: dict[str, str]) -> None:
    dv: DataValidation | None = None
    if col.kind == "enum" and col.name in lists:
        dv = DataValidation(type="list", formula1=lists[col.name], allow_blank=True, errorStyle="stop",
                            error=f"Choose one of: {', '.join(col.choices)}", errorTitle=col.name[:32])
    elif col.kind == "ref" and ref_sources(spec.name, col.name):
        key = "_".join(ref_sources(spec.name, col.name))
        sheets = " or ".join(s for s in ref_sources(spec.name, col.name) if s != "pillars") or "engagement.yaml"
        dv = DataValidation(type="list", formula1=lists[key], allow_blank=True, errorStyle="warning",
                            error=f"Not an ID known when this file was made. Keep it only if it exists on the {sheets} sheet.",
                            errorTitle=col.name[:32])
    elif col.kind == "number":
        low = "-1E+300" if col.min is None else f"{col.min:g}"
        high = "1E+300" if col.max is None else f"{col.max:g}"
        op = "greaterThan" if col.min_exclusive and col.max is None else "between"
        dv = DataValidation(type="whole" if col.whole else "decimal", operator=op, formula1=low,
                            formula2=None if op == "greaterThan" else high,
                            allow_blank=True, errorStyle="stop", errorTitle=col.name[:32],
                            error=("A whole number" if col.whole else "A plain number (no %, units or text)")
                            + _bounds(col))
    if dv is None:
        return
    dv.showErrorMessage = True
    dv.showInputMessage = True
    dv.promptTitle = col.name[:32]
    dv.prompt = (col.help or col.name)[:250]
    ws.add_data_validation(dv)
    dv.add(ref)


def _bounds(col: Column) -> str:
    if col.min is not None and col.max is not None:
        return f", {col.min:g} to {col.max:g}"
    if col.min is not None:
        return f", {'>' if col.min_exclusive else '>='} {col.min:g}"
    return f", <= {col.max:g}" if col.max is not None else ""


# -- instructions ----------------------------------------------------------------------------
def allowed_values(spec: TableSpec, col: Column) -> str:
    """What a column accepts, in words, from its declaration."""
    if col.kind == "enum":
        return "one of " + ", ".join(col.choices)
    if col.kind == "ref":
        sources = ref_sources(spec.name, col.name)
        return "an ID from " + " or ".join(ID_LISTS[s] for s in sources) if sources else "an ID"
    if col.kind == "id":
        return "unique ID: 1 to 64 letters, digits, '.', '_' or '-'"
    if col.kind == "number":
        return ("a whole number" if col.whole else "a plain number") + _bounds(col)
    if col.kind == "period":
        return PERIOD_HELP
    if col.kind == "date":
        return "a date, YYYY-MM-DD"
    return "text"


def _column_note(spec: TableSpec, col: Column) -> str:
    need = "required" if col.nonempty else ("column required" if col.required else "optional")
    return f"{col.name} ({need}): {col.help or 'extra column'}.\nAllowed: {allowed_values(spec, col)}."


GENERAL_RULES = (
    "Fill in or correct the rows of the sheets that follow, then return the file. It is read back with "
    "`kpikit excel import`, which checks it with the same rules as the engagement's files and reports every "
    "problem with its sheet and cell (for example actuals!C14). Nothing changes until everything is valid.",
    "Do not rename the sheets or the header cells. Dark blue headers are required: every row must fill them; "
    "light blue ones are optional. Columns may be moved; extra columns are kept.",
    "Empty rows are ignored. To remove a row, delete the whole row. A sheet you delete leaves that table "
    "unchanged; a sheet this file does not know is ignored.",
    f"Periods: {PERIOD_HELP}. '2026 Q1', 'Q1 2026' and 'Mar 2026' are understood too.",
    "Dates: YYYY-MM-DD or a date cell. A date such as 03/04/2026 is ambiguous and is rejected.",
    "Numbers: plain numbers only, without % signs, units or thousands separators in text. A cell formatted "
    "as a percentage is rejected: type 85, not 85%.",
    "Text is kept as typed and never evaluated as a formula. Dropdowns list the allowed values and the IDs "
    "known when the file was made.",
)


INSTRUCTION_WIDTHS = (22, 14, 60, 50)


def _fit_height(ws: Worksheet, row: int, texts: Sequence[str]) -> None:
    """Row height for wrapped text: spreadsheets do not grow rows that a program wrote."""
    lines = max(math.ceil(len(t) / (w * 1.1)) for t, w in zip(texts, INSTRUCTION_WIDTHS, strict=False)) or 1
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines


def _write_instructions(ws: Worksheet, eng: Engagement, specs: list[TableSpec]) -> None:
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, width in enumerate(INSTRUCTION_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    r = 1
    title = ws.cell(row=r, column=1)
    _set_text(title, f"{eng.client}{TITLE_SUFFIX}")
    title.font = Font(bold=True, size=14)
    r += 2
    for rule in GENERAL_RULES:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        cell = ws.cell(row=r, column=1)
        _set_text(cell, rule)
        cell.alignment = wrap
        ws.row_dimensions[r].height = 15 * math.ceil(len(rule) / 150)
        r += 1
    for spec in specs:
        r += 1
        head = ws.cell(row=r, column=1, value=f"Sheet {spec.name} ({spec.file}, {'required' if spec.required_file else 'optional'} file)")
        head.font = Font(bold=True, size=12)
        r += 1
        _set_text(ws.cell(row=r, column=1), spec.help)
        if spec.name == "metric_scores":
            sc = eng.config.scoring
            weights = ", ".join(f"{k} {v:g}" for k, v in sc.criteria.items())
            r += 1
            _set_text(ws.cell(row=r, column=1), f"Criteria and weights from engagement.yaml: {weights}; scale "
                      f"{sc.scale[0]:g} to {sc.scale[1]:g}, higher is always better; select threshold {sc.select_threshold:g}.")
        r += 1
        for j, label in enumerate(("column", "required", "meaning", "allowed values"), start=1):
            cell = ws.cell(row=r, column=j, value=label)
            cell.font = HEADER_FONT
            cell.fill = OPTIONAL_FILL
        r += 1
        for col in spec.columns:
            need = "yes" if col.nonempty else ("column only" if col.required else "no")
            texts = (col.name, need, col.help, allowed_values(spec, col))
            for j, text in enumerate(texts, start=1):
                cell = ws.cell(row=r, column=j)
                _set_text(cell, text)
                cell.alignment = wrap
            _fit_height(ws, r, texts)
            r += 1
    _print_setup(ws, landscape=False)
