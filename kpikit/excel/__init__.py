"""Collecting data from clients in an Excel workbook: export, then import with every check.

:func:`export_workbook` writes an engagement to ``.xlsx``; :func:`import_workbook`
reads one back, checks it with exactly the rules of ``kpikit validate`` (problems as
``SHEET!CELL: message``) and updates the folder only when everything is valid.
A table whose sheet is absent from the workbook is left untouched.
"""

from __future__ import annotations

from kpikit.excel.export import export_workbook
from kpikit.excel.importer import ImportResult, TableDiff, import_workbook, read_workbook

__all__ = ["ImportResult", "TableDiff", "export_workbook", "import_workbook", "read_workbook"]
