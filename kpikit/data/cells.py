"""How a cell of the typed tables holds its value: text in pandas' text dtype, missing as NaN.

pandas 3 types text as ``str`` with NaN for a missing cell; pandas 2 has no such dtype,
and its ``astype("str")`` turns NaN into the text ``"nan"``. :func:`text_column` gives the
same values on every pandas the kit supports, and :func:`is_missing` is the one test for
an empty cell (:func:`cell_text` and :func:`optional_text` read a cell through it for the
editors, the engine and the report). The text ``nan`` in a cell (a legal ID) is a value, never "missing".
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import pandas as pd

TEXT_DTYPE: Final = "str"
"""The dtype text columns are declared with: pandas' ``str`` (an object column on pandas 2)."""


def is_missing(value: object) -> bool:
    """Whether a cell holds nothing: None, NaN, pandas' NA or NaT, or text that is only blanks.

    >>> [is_missing(v) for v in (None, float("nan"), pd.NA, "", "  ", "nan", 0.0, "x")]
    [True, True, True, True, True, False, False, False]
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def cell_text(value: object, default: str = "") -> str:
    """A cell as display text, ``default`` when it is missing (editors show '', the report a dash).

    >>> cell_text("Ops"), cell_text(float("nan")), cell_text(None, "—"), cell_text("nan", "—")
    ('Ops', '', '—', 'nan')
    """
    return default if is_missing(value) else str(value)


def optional_text(value: object) -> str | None:
    """A cell as text, None when it is missing: for references such as a parent ID, where None means "none".

    >>> optional_text("O1"), optional_text(float("nan")), optional_text(""), optional_text("nan")
    ('O1', None, None, 'nan')
    """
    return None if is_missing(value) else str(value)


def text_column(values: pd.Series) -> pd.Series:
    """``values`` as a text column: each cell as text, NaN where it is missing (see :func:`is_missing`).

    >>> text_column(pd.Series(["a", "", None, "nan"], dtype=object)).tolist()
    ['a', nan, nan, 'nan']
    """
    na = values.isna().to_numpy(dtype=bool)
    text: pd.Series = values.where(~na, "").astype(TEXT_DTYPE)
    empty = na | (text.str.strip() == "").to_numpy(dtype=bool)
    out: pd.Series = text.where(~empty, np.nan)
    return out


def empty_text_column(index: pd.Index) -> pd.Series:
    """A text column of ``len(index)`` missing cells (an optional column the file does not have)."""
    return text_column(pd.Series(np.nan, index=index, dtype=object))
