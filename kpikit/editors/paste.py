"""Pasting a block of rows copied from Excel into an editor: one reader and one check for all of them.

A consultant copies cells from the client's spreadsheet and pastes them into the editor's
*Paste* box: lines of tab-separated cells. :func:`read_paste` splits them into rows of the
editor's columns (in the editor's order, or in the order a pasted header row names them),
checks the numbers, and says what is wrong by *pasted line* and row key, every problem at
once. :func:`merge_rows` puts the rows into the editor's working table (a row with the same
key is updated, others are added), and :func:`check_draft` validates the result with exactly
the rules of a save, naming each problem by the pasted line it came from, never by a line
of a draft file the consultant has never seen. Nothing is staged unless every row is right.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import pandas as pd

from kpikit.data.model import Engagement
from kpikit.editors.base import parse_number
from kpikit.errors import EngagementError, Problem


@dataclass(frozen=True)
class PastedRow:
    """One pasted line: its number in the block and its cells by column (numbers parsed)."""

    line: int
    values: dict[str, str | float]
    key: tuple[str, ...]

    def where(self) -> str:
        """How a message names this row: ``pasted line 3 (M-ED4 2026-Q3)``."""
        return f"pasted line {self.line} ({' '.join(self.key)})"


def read_paste(
    text: str,
    columns: Sequence[str],
    *,
    keys: int,
    required: int,
    numbers: Sequence[str] = (),
    known: Callable[[tuple[str, ...]], str | None] | None = None,
    expected: str | None = None,
) -> tuple[list[PastedRow], list[str]]:
    """The block's rows and every problem with them.

    ``columns`` is the default column order; a first line whose cells are all column
    names (``metric_id``, ``Metric ID``, ``metric``) is a header that sets the order
    instead. The first ``keys`` columns identify a row and must be given, as must the
    first ``required`` columns (those a header names, when there is one). ``numbers`` must be plain decimals (an empty cell is
    missing). ``known`` says what is wrong with a row's key (an unknown ID), or None.
    ``expected`` names the columns in the message for a line that is too short.
    """
    order = list(columns)
    rows: list[PastedRow] = []
    problems: list[str] = []
    names = expected or ", ".join(c.replace("_", " ") for c in columns[:required])
    for n, line in enumerate(text.splitlines(), start=1):
        cells = [c.strip() for c in line.split("\t")]
        if not any(cells):
            continue
        header = header_columns(cells, columns)
        if header is not None and not rows and not problems and set(columns[:keys]) <= set(header):
            order = header
            continue
        values: dict[str, str | float] = {c: raw for c, raw in zip(order, cells, strict=False) if c}
        if any(not values.get(c) for c in columns[:keys]) or any(c not in values for c in columns[:required] if c in order):
            problems.append(f"pasted line {n}: expected {names} separated by tabs, got {line.strip()!r}")
            continue
        row = PastedRow(n, values, tuple(str(values[c]) for c in columns[:keys]))
        bad = known(row.key) if known is not None else None
        if bad:
            problems.append(f"{row.where()}: {bad}")
        for column in numbers:
            if column not in values:
                continue
            raw = str(values[column])
            value = parse_number(raw) if raw else math.nan
            if value is None:
                problems.append(f"{row.where()}: {column.replace('_', ' ')} {raw!r} is not a number "
                                "(plain decimal like 1234.5, no % or thousands separators)")
                bad = bad or "not a number"
            else:
                values[column] = value
        for column in columns[keys:]:
            if values.get(column) == "":
                values[column] = math.nan
        if not bad:
            rows.append(row)
    if not rows and not problems:
        problems.append(f"nothing to add: paste rows of {names}")
    return rows, problems


def header_columns(cells: Sequence[str], columns: Sequence[str]) -> list[str] | None:
    """The column order a header line names (``Metric ID``, ``metric`` for ``metric_id``), or None if it is no header."""
    out = []
    for cell in cells:
        name = re.sub(r"\s+", "_", cell.strip().lower())
        if not name:
            out.append("")
        elif name in columns:
            out.append(name)
        elif f"{name}_id" in columns:
            out.append(f"{name}_id")
        else:
            return None
    return out if any(out) else None


def merge_rows(frame: pd.DataFrame, rows: Sequence[PastedRow], key_columns: Sequence[str],
               *, add: bool = True) -> tuple[pd.DataFrame, dict[int, PastedRow], list[PastedRow]]:
    """``frame`` with the pasted rows in: ``(candidate, row index -> pasted row, rows not found)``.

    A row whose key is in ``frame`` updates the pasted columns of that row (others keep
    their values); the rest are added at the end with the frame's column types, unless
    ``add=False``: then they are returned as not found.
    """
    out = frame.copy()
    at = {tuple(str(v) for v in k): i for i, k in enumerate(zip(*(out[c] for c in key_columns), strict=True))}
    origin: dict[int, PastedRow] = {}
    new: list[dict[str, str | float]] = []
    missing: list[PastedRow] = []
    for row in rows:
        i = at.get(row.key)
        if i is not None:
            for column, value in row.values.items():
                if column in out.columns and column not in key_columns:
                    out.at[i, column] = value
            origin[i] = row
        elif add:
            at[row.key] = len(out) + len(new)
            origin[at[row.key]] = row
            new.append({c: v for c, v in row.values.items() if c in out.columns})
        else:
            missing.append(row)
    if new:
        extra = pd.DataFrame(new)
        for column in out.columns:
            if column not in extra.columns:
                extra[column] = math.nan
        extra = extra[list(out.columns)].astype(out.dtypes.to_dict())
        out = pd.concat([out, extra], ignore_index=True) if len(out) else extra
    return out, origin, missing


def check_draft(draft: Engagement, file: str, origin: dict[int, PastedRow]) -> list[str]:
    """Validate ``draft`` (holding the pasted rows) like a save; the problems of ``file`` by pasted line."""
    try:
        draft.validate()
    except EngagementError as exc:
        mine = [p for p in exc.problems if p.file == file]
        if not mine:
            return [str(p) for p in exc.problems]

        def place(p: Problem) -> str:
            row = p.row if p.row is not None else (p.line - 2 if p.line else -1)
            return origin[row].where() if row in origin else file

        return [f"{place(p)}: {_without_place(p.message, file)}" for p in mine]
    return []


def not_added(problems: Sequence[str]) -> str:
    """The message for a refused paste or entry: every problem, escaped, in one red line."""
    import html

    return "<div style='color:#a40000'>Not added: " + "; ".join(html.escape(p) for p in problems) + "</div>"


def staged(n: int, where: str = "") -> str:
    """The message for a staged paste: how many rows, and that Save writes them."""
    import html

    from kpikit.text import plural

    at = f" ({html.escape(where)})" if where else ""
    return f"<span style='color:#1a5e20'>Staged {plural(n, 'pasted row')}{at} (press Save to write).</span>"


def paste_area(placeholder: str, on_paste: Callable[[str], object]) -> tuple[widgets.Textarea, widgets.HBox]:
    """The *Paste* box and its button (the button hands the box's text to ``on_paste``)."""
    box = widgets.Textarea(description="Paste", placeholder=placeholder,
                           layout=widgets.Layout(width="60%", height="80px"))
    box.add_class("kpikit-paste")
    button = widgets.Button(description="Add pasted rows", icon="paste")
    button.on_click(lambda _b: on_paste(box.value))
    return box, widgets.HBox([box, button])


def _without_place(message: str, file: str) -> str:
    """A validation message without a leading ``FILE:N:`` (a draft's line numbers mean nothing to the user)."""
    return re.sub(rf"^{re.escape(file)}:\d+:\s*", "", message)
