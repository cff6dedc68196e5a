"""Three-way merge of one table by row ID: keep our edits and theirs when they touch different rows.

Two notebooks (or a consultant and a colleague) edit the same folder. When a file changed
on disk since an editor loaded it, refusing the save loses work. Instead the rows are
compared by their key (``id``; for tables of numbers the key columns of
``validation.ROW_KEYS``; for ``raci.csv`` and the decision log the whole row): our
changes against the state we loaded (``base``) are applied onto the file as it is now
(``theirs``). A row both sides changed differently is a conflict: nothing is merged and
the rows are named.
"""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from kpikit.data.cells import cell_text
from kpikit.data.schema import SPECS
from kpikit.data.validation import ROW_KEYS

Key = tuple[str, ...]


class Conflict(Exception):
    """Rows both sides changed differently (their keys, as text)."""

    def __init__(self, rows: list[str]) -> None:
        super().__init__(", ".join(rows))
        self.rows = rows


def key_columns(name: str, df: pd.DataFrame) -> list[str]:
    """The columns that identify a row of table ``name``."""
    if name in ROW_KEYS:
        return list(ROW_KEYS[name])
    if "id" in df.columns:
        return ["id"]
    return [str(c) for c in df.columns]


def _rows(df: pd.DataFrame, keys: list[str]) -> dict[Key, tuple[str, ...]] | None:
    """key -> the row's cells as text; None when a key repeats (no merge by ID then)."""
    cols: list[Hashable] = list(df.columns)
    texts = [[cell_text(v) for v in df[c]] for c in cols]
    cells = list(zip(*texts, strict=True)) if cols else []
    at = [cols.index(k) for k in keys]
    out: dict[Key, tuple[str, ...]] = {}
    for row in cells:
        k = tuple(row[j] for j in at)
        if k in out:
            return None
        out[k] = row
    return out


def merge_table(name: str, base: pd.DataFrame, ours: pd.DataFrame, theirs: pd.DataFrame,
                prefer: str = "") -> pd.DataFrame:
    """``theirs`` with our changes since ``base`` applied, row by row; raises :class:`Conflict`.

    ``name`` is the table's (``objectives``); conflicts name its file and the row's key.

    ``prefer="theirs"`` resolves a conflicting row in their favour instead of raising
    (a reload keeps every edit of ours it can). Rows keep their order in ``theirs``;
    rows we added come after, in our order.
    """
    label = SPECS[name].file if name in SPECS else name
    if list(ours.columns) != list(theirs.columns):
        raise Conflict([f"{label}: the columns changed"])
    keys = key_columns(name, theirs)
    b, o, t = _rows(base, keys), _rows(ours, keys), _rows(theirs, keys)
    if b is None or o is None or t is None:
        raise Conflict([f"{label}: rows without a unique ID"])
    mine = {k: o.get(k) for k in set(b) | set(o) if b.get(k) != o.get(k)}
    clash = sorted(k for k, v in mine.items() if b.get(k) != t.get(k) and t.get(k) != v)
    if clash and prefer != "theirs":
        raise Conflict([f"{label}: {'/'.join(k)}" for k in clash])
    for k in clash:
        del mine[k]
    o_pos = {k: n for n, k in enumerate(o)}
    seq: list[int] = []
    n_theirs = len(theirs)
    for n, k in enumerate(t):
        if k not in mine:
            seq.append(n)
        elif mine[k] is not None:
            seq.append(n_theirs + o_pos[k])
    seq += [n_theirs + o_pos[k] for k in o if k in mine and k not in t]
    both = pd.concat([theirs, ours.astype(theirs.dtypes.to_dict())], ignore_index=True) if len(ours) else theirs
    return both.iloc[seq].reset_index(drop=True)
