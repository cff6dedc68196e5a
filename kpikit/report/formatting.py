"""How a cell value reads in the report: dashes for missing cells, numbers, shares.

Words and numbers only, no rules. Numbers are written by the shared
:func:`kpikit.text.fmt`, so a figure reads the same in a finding and in the report.

>>> num(14403, "USD"), pct(0.953), text(None)
('14,403 USD', '95%', '—')
"""

from __future__ import annotations

from kpikit.data.cells import cell_text, is_missing, optional_text
from kpikit.text import fmt

missing = is_missing
"""Whether a cell holds nothing (:func:`kpikit.data.cells.is_missing`: the one empty-cell test).

The text ``nan`` is a value, not "missing": typed tables hold NaN for an empty cell on
every pandas (``docs/decisions.md``).
"""


def text(value: object, default: str = "—") -> str:
    """A cell as display text, with a dash when it is missing."""
    return cell_text(value, default)


def ident(value: object) -> str | None:
    """An ID cell as text, None when missing (a pillar or unit ``nan`` is an ID, as the contract allows)."""
    return optional_text(value)


def num(value: object, unit: object = None) -> str:
    """A number as a consultant reads it (delegates to :func:`kpikit.text.fmt`)."""
    if missing(value):
        return "—"
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return fmt(f, None if missing(unit) else str(unit))


SHORT_UNIT = 8
"""Units up to this many characters are printed with each number; longer ones once, by the KPI's name."""


def short_unit(unit: object) -> bool:
    """Whether a unit is short enough to repeat after every number in a table."""
    return not missing(unit) and len(str(unit)) <= SHORT_UNIT


def tnum(value: object, unit: object = None) -> str:
    """A number for a table cell: with its unit when the unit is short, bare otherwise."""
    return num(value, unit if short_unit(unit) else None)


def pct(value: object, digits: int = 0) -> str:
    """A share 0..1 as a percentage: ``pct(0.953)`` -> ``'95%'``."""
    if missing(value):
        return "—"
    return f"{float(value) * 100:.{digits}f}%"  # type: ignore[arg-type]
