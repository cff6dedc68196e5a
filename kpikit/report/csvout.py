"""The analyst's CSV files (``findings.csv``, ``scorecard.csv``, ...): safe to open in a spreadsheet.

IDs and titles come from the client's files, and the ID rule allows values such as
``-1-1`` or ``@SUM``: a spreadsheet opening the CSV would read them as formulas (CSV
injection). Following the OWASP guidance, a text cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading ``'``, which spreadsheets show
as text and do not display. Numbers stay numbers (``-0.25`` is left alone), so the
files remain machine-readable; :func:`unescape_cell` is the exact inverse for a program
that reads them (a cell starting with ``'`` and then one of those characters, or a
second ``'``, loses its first ``'``). Every CSV the kit writes for a reader (not the
engagement's own files, which must keep their bytes) goes through :func:`write_csv`.

>>> escape_cell("-1-1"), escape_cell("-0.25"), escape_cell("=HYPERLINK(1)"), escape_cell("O1")
("'-1-1", '-0.25', "'=HYPERLINK(1)", 'O1')
>>> unescape_cell(escape_cell("'=x")) == "'=x"
True
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from kpikit.data.csvio import atomic_write, frame_cells, to_csv_bytes

FORMULA_START = frozenset("=+-@\t\r")
"""First characters that make a spreadsheet evaluate a cell (OWASP CSV injection)."""
_NUMBER = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf)")


def escape_cell(text: str) -> str:
    """``text`` as written to an analyst CSV: a leading ``'`` when a spreadsheet would run it."""
    if not text:
        return text
    first = text[0]
    if first in FORMULA_START and not _NUMBER.fullmatch(text):
        return "'" + text
    if first == "'" and len(text) > 1 and (text[1] in FORMULA_START or text[1] == "'"):
        return "'" + text  # keeps unescape_cell exact for text that already starts with '
    return text


def unescape_cell(cell: str) -> str:
    """The value :func:`escape_cell` was given (for programs reading the CSV)."""
    if len(cell) > 1 and cell[0] == "'" and (cell[1] in FORMULA_START or cell[1] == "'"):
        return cell[1:]
    return cell


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The table as canonical CSV (:func:`kpikit.data.csvio.to_csv_bytes`), every cell escaped."""
    header = [escape_cell(str(c)) for c in df.columns]
    rows = [[escape_cell(cell) for cell in row] for row in frame_cells(df)]
    return to_csv_bytes(header, rows)


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    """Write an analyst CSV atomically (see the module docstring); returns ``path``."""
    atomic_write(path, csv_bytes(df))
    return path
