"""Readable tables for the step notebooks: what a client may see on the screen.

A raw pandas display in front of a client shows six decimals, ``NaN``, ``True`` and 27
columns folded into "...". :func:`show_table` shows the same frame the way the report
writes numbers (:func:`kpikit.text.fmt`: four significant digits, thousands separators),
missing values as a dash, yes/no for flags, only the columns asked for (and never a
column that is empty in every row), IDs in the order people count them
(:func:`kpikit.text.natural_key`: O2 before O10), and a sentence instead of an empty grid.
A long table scrolls in its own box with its header kept in view, every row included up
to ``max_rows`` (the rest are counted, not silently dropped).

>>> show_table(smart.assess(eng).query("not passed"), ["objective_id", "criterion", "reason"],
...            empty="Every objective passes.")        # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpikit.data.cells import is_missing
from kpikit.text import fmt, natural_key

DASH = "—"
"""What a missing value shows as."""
MAX_ROWS = 500
MAX_COLUMNS = 30
SHORT = 16
"""Cells this short (IDs, periods, numbers) never wrap: "2026-Q3" on one line."""
NOWRAP = ";white-space:nowrap"
HEIGHT_PX = 420
"""The scroll box's height: about fifteen rows, so the cells below stay in reach."""


@dataclass(frozen=True)
class Table:
    """A formatted table: ``frame`` holds the display text of every shown cell."""

    frame: pd.DataFrame
    numeric: frozenset[str]
    total_rows: int
    hidden_columns: tuple[str, ...] = ()
    empty: str = "No rows."
    title: str | None = None

    def notes(self) -> list[str]:
        """What the table leaves out, said under it."""
        out = []
        if self.total_rows > len(self.frame):
            out.append(f"Showing the first {len(self.frame):,} of {self.total_rows:,} rows.")
        if self.hidden_columns:
            names = ", ".join(_label(c) for c in self.hidden_columns[:8])
            more = f" and {len(self.hidden_columns) - 8} more" if len(self.hidden_columns) > 8 else ""
            out.append(f"{len(self.hidden_columns)} more columns not shown ({names}{more}).")
        return out

    def _repr_html_(self) -> str:
        title = f"<div class='kpikit-table-title'><b>{html.escape(self.title)}</b></div>" if self.title else ""
        if self.frame.empty:
            return f"{title}<p class='kpikit-table-empty'><i>{html.escape(self.empty)}</i></p>"
        cols = list(self.frame.columns)
        head = "".join(f"<th style='{_align(c in self.numeric)};position:sticky;top:0;background:#f4f6f8'>"
                       f"{html.escape(_label(c))}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td style='{_align(c in self.numeric)}{NOWRAP if len(v) <= SHORT else ''}'>{html.escape(v)}</td>"
                             for c, v in zip(cols, row, strict=True)) + "</tr>"
            for row in self.frame.itertuples(index=False, name=None))
        notes = "".join(f"<div class='kpikit-table-note'><i>{html.escape(n)}</i></div>" for n in self.notes())
        count = f"{self.total_rows:,} row{'s' if self.total_rows != 1 else ''}"
        return (f"{title}<div class='kpikit-table' style='max-height:{HEIGHT_PX}px;overflow:auto'>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
                f"<div class='kpikit-table-count' style='color:#666;font-size:90%'>{count}</div>{notes}")

    def __repr__(self) -> str:
        if self.frame.empty:
            return self.empty
        shown = self.frame.rename(columns=_label)
        return "\n".join([shown.to_string(index=False), *self.notes()])


def show_table(
    df: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    sort: bool | Sequence[str] = True,
    empty: str = "No rows.",
    title: str | None = None,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
) -> Table:
    """``df`` as a readable table (see the module doc).

    ``columns`` picks and orders the columns (a named index counts as a column);
    ``sort=True`` orders rows by the ID columns (``id`` and ``*_id``, left to right) in
    natural order, a list of columns sorts by those, ``False`` keeps the frame's order
    (findings come most severe first). ``empty`` is the sentence shown for no rows.
    """
    frame = df.reset_index() if _named_index(df) else df.reset_index(drop=True)
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise KeyError(f"show_table: no column {', '.join(map(repr, missing))}; "
                           f"the table has {', '.join(map(str, frame.columns))}")
        frame = frame[list(columns)]
    frame = frame[[c for c in frame.columns if not frame[c].map(is_missing).all()]] if len(frame) else frame
    keys = _id_columns(frame) if sort is True else [] if sort is False else list(sort)
    if keys and len(frame):
        order = sorted(range(len(frame)), key=lambda i: tuple(natural_key(frame[k].iat[i]) for k in keys))
        frame = frame.iloc[order]
    total = len(frame)
    hidden = tuple(str(c) for c in frame.columns[max_columns:])
    frame = frame.iloc[:max_rows, :max_columns]
    numeric = frozenset(str(c) for c in frame.columns
                        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
    text = pd.DataFrame({str(c): [cell(v) for v in frame[c]] for c in frame.columns}, columns=[str(c) for c in frame.columns])
    return Table(text, numeric, total, hidden, empty, title)


def cell(value: object) -> str:
    """One value as shown: a number like the report writes it, yes/no, a dash for nothing."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if is_missing(value):
        return DASH
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        number = float(value)
        return DASH if math.isnan(number) else fmt(number)
    return str(value)


def _named_index(df: pd.DataFrame) -> bool:
    return any(n is not None for n in df.index.names)


def _id_columns(frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in frame.columns if str(c) == "id" or str(c).endswith("_id")]


def _label(column: object) -> str:
    return str(column).replace("_", " ")


def _align(numeric: bool) -> str:
    return "text-align:right" if numeric else "text-align:left"
