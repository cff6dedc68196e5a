"""Which rows of an edited table are exactly rows of the table as validated.

An editor's save changes a few rows of a table of 100,000; re-checking the cells of every
row costs seconds, re-checking the changed ones nothing. A row counts as unchanged only
when every cell is equal to a validated row's cell: the same value in a column of the same
dtype, or the same text (what the validator reads) where the edit changed the dtype.
Rows are found by hash and then compared cell by cell, so a hash collision can only cost
time, never a check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpikit.data.csvio import format_column


def _comparable(new: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables with the columns whose dtypes differ replaced by their cell text (stripped, as validated)."""
    a, b = {}, {}
    for c in new.columns:
        x, y = new[c].reset_index(drop=True), old[c].reset_index(drop=True)
        if x.dtype != y.dtype:
            x = pd.Series([t.strip() for t in format_column(x)], dtype=object)
            y = pd.Series([t.strip() for t in format_column(y)], dtype=object)
        a[c], b[c] = x, y
    return pd.DataFrame(a, index=pd.RangeIndex(len(new))), pd.DataFrame(b, index=pd.RangeIndex(len(old)))


def cells_equal(x: pd.Series, y: pd.Series) -> np.ndarray:
    """Cell by cell (same length): whether the two columns would be written as the same text.

    Equal values of one dtype are (missing ones too); across dtypes the written text is compared.
    """
    x, y = x.reset_index(drop=True), y.reset_index(drop=True)
    if x.dtype != y.dtype:
        return np.array([a == b for a, b in zip(format_column(x), format_column(y), strict=True)], dtype=bool)
    return _equal(x, y)


def _equal(x: pd.Series, y: pd.Series) -> np.ndarray:
    """Cell by cell: equal values, or both missing."""
    both_na = x.isna().to_numpy(dtype=bool) & y.isna().to_numpy(dtype=bool)
    same = (x == y)
    same_arr = same.fillna(False).to_numpy(dtype=bool) if same.dtype != bool else same.to_numpy()
    return np.asarray(same_arr | both_na, dtype=bool)


def matched_rows(new: pd.DataFrame, old: pd.DataFrame) -> np.ndarray:
    """For each row of ``new``, the position of an identical row of ``old``, or -1 (changed or added).

    Tables with different columns match nothing (the whole table is new).

    >>> old = pd.DataFrame({"id": ["A", "B"], "v": [1.0, 2.0]})
    >>> matched_rows(pd.DataFrame({"id": ["B", "C", "D"], "v": [2.0, 3.0, 4.0]}), old).tolist()
    [1, -1, -1]

    Same length: rows are compared in place first; a few edited rows stay -1 without a search.
    """
    out = np.full(len(new), -1, dtype=np.int64)
    if list(new.columns) != list(old.columns) or not len(new) or not len(old):
        return out
    a, b = _comparable(new, old)
    if len(a) == len(b):  # an edit in place: compare row by row first, then look for moved rows
        same = np.ones(len(a), dtype=bool)
        for c in a.columns:
            same &= _equal(a[c], b[c])
        out[same] = np.flatnonzero(same)
        if (~same).sum() <= max(10, len(a) // 100):
            return out  # a few edited rows: re-checking them is cheaper than hashing every row
    ha = pd.util.hash_pandas_object(a, index=False).to_numpy()
    hb = pd.util.hash_pandas_object(b, index=False).to_numpy()
    first = pd.Series(np.arange(len(hb)), index=hb)
    first = first[~first.index.duplicated(keep="first")]
    cand = first.reindex(ha).to_numpy()
    has = ~np.isnan(cand)
    i = np.flatnonzero(has)
    j = cand[has].astype(np.int64)
    ok = np.ones(len(i), dtype=bool)
    for c in a.columns:
        ok &= _equal(a[c].iloc[i].reset_index(drop=True), b[c].iloc[j].reset_index(drop=True))
    hit = i[ok]
    out[hit] = np.where(out[hit] >= 0, out[hit], j[ok])
    return out
