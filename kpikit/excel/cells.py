"""Turning what a spreadsheet user typed into the contract's text forms.

Excel users type periods and dates in many ways, and Excel itself turns ``2026-03``
into a date and ``0.1 * 3`` into ``0.30000000000000004``. This module maps each cell
value to the exact text the CSV files hold, so that the rules of ``kpikit validate``
can then be applied unchanged. Only unambiguous forms are rewritten: ``03/04/2026``
(3 April or 4 March?) is left as typed, and validation reports it.

>>> normalise_period("Q1 2026"), normalise_period("2026-q1"), normalise_period("March 2026")
('2026-Q1', '2026-Q1', '2026-03')
>>> normalise_date("2026/3/4"), normalise_date("03/04/2026")
('2026-03-04', '03/04/2026')
>>> cell_text(0.1 + 0.2, "number"), cell_text(12.0, "number")
('0.3', '12')
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time

from kpikit.data.csvio import format_value
from kpikit.data.schema import Kind

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_OOXML_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_OOXML_ESCAPED = re.compile(r"_x005[Ff]_(x[0-9A-Fa-f]{4}_)")
"""Leading characters that make a spreadsheet read a typed text as a formula."""

_MONTHS = {
    name: i
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}
_QUARTER_FORMS = (
    re.compile(r"(?P<y>\d{4})\s*[-/ ]?\s*q(?P<q>[1-4])", re.I),  # 2026-Q1, 2026 Q1, 2026Q1, 2026-q1
    re.compile(r"q(?P<q>[1-4])\s*[-/ ]?\s*(?P<y>\d{4})", re.I),  # Q1 2026, Q1-2026, Q1/2026
)
_YEAR_MONTH = re.compile(r"(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})")  # 2026-03, 2026/3, 2026.03
_MONTH_NAME_YEAR = re.compile(r"(?P<mon>[a-z]+)\.?\s*[-/ ]?\s*(?P<y>\d{4})", re.I)  # Mar 2026, March-2026
_YEAR_MONTH_NAME = re.compile(r"(?P<y>\d{4})\s*[-/ ]?\s*(?P<mon>[a-z]+)\.?", re.I)  # 2026 Mar
_ISO_DATE = re.compile(r"(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})")  # year first
_DAY_MONTHNAME_YEAR = re.compile(r"(?P<d>\d{1,2})\.?\s*[- ]?\s*(?P<mon>[a-z]+)\.?,?\s*[- ]?\s*(?P<y>\d{4})", re.I)
_MONTHNAME_DAY_YEAR = re.compile(r"(?P<mon>[a-z]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})", re.I)


def normalise_period(text: str) -> str:
    """The contract's form of a period typed in a usual way; anything else unchanged.

    Accepts ``2026``, ``2026-Q1``/``2026 Q1``/``Q1 2026``/``2026q1``, ``2026-03``/``2026/3``,
    ``Mar 2026``/``March 2026``. Day-month orders are left alone (validation rejects them).
    """
    t = text.strip()
    for form in _QUARTER_FORMS:
        m = form.fullmatch(t)
        if m:
            return f"{m['y']}-Q{m['q']}"
    m = _YEAR_MONTH.fullmatch(t)
    if m and 1 <= int(m["m"]) <= 12:
        return f"{m['y']}-{int(m['m']):02d}"
    for form in (_MONTH_NAME_YEAR, _YEAR_MONTH_NAME):
        m = form.fullmatch(t)
        if m and m["mon"].lower() in _MONTHS:
            return f"{m['y']}-{_MONTHS[m['mon'].lower()]:02d}"
    return t


def normalise_date(text: str) -> str:
    """``YYYY-MM-DD`` for a date typed year first or with a month name; anything else unchanged.

    ``03/04/2026`` is ambiguous (day or month first) and stays as typed so that
    validation reports it instead of guessing.
    """
    t = text.strip()
    m = _ISO_DATE.fullmatch(t)
    if m:
        return _iso(int(m["y"]), int(m["m"]), int(m["d"]), t)
    for form in (_DAY_MONTHNAME_YEAR, _MONTHNAME_DAY_YEAR):
        m = form.fullmatch(t)
        if m and m["mon"].lower() in _MONTHS:
            return _iso(int(m["y"]), _MONTHS[m["mon"].lower()], int(m["d"]), t)
    if " " in t or "T" in t:
        # A date and a midnight time, as some tools write it: 2026-03-04 00:00:00.
        head, _, tail = t.replace("T", " ").partition(" ")
        if re.fullmatch(r"0{1,2}:00(?::00(?:\.0+)?)?", tail.strip()):
            return normalise_date(head) if _ISO_DATE.fullmatch(head) else t
    return t


def _iso(y: int, m: int, d: int, fallback: str) -> str:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return fallback


def number_text(value: float) -> str:
    """A float as the contract writes it, without binary noise (15 significant digits).

    >>> number_text(0.30000000000000004), number_text(1234.5), number_text(-3.0)
    ('0.3', '1234.5', '-3')
    """
    if not math.isfinite(value):
        return str(value)
    return format_value(float(f"{value:.15g}"))


def cell_text(value: object, kind: Kind) -> str:
    """The contract's text for a cell value of a column of ``kind``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, datetime):
        if kind == "period":
            return f"{value.year:04d}-{value.month:02d}"
        if kind == "date" or value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}" if kind == "period" else value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    text = unescape_text(str(value)).strip()
    if kind == "period":
        return normalise_period(text)
    if kind == "date":
        return normalise_date(text)
    return text


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would evaluate this text if it were typed into a cell."""
    return text.startswith(FORMULA_START)


def escape_text(text: str) -> str:
    """Protect a literal ``_x000D_``-like sequence, which spreadsheets read as an escaped character.

    >>> escape_text("a _x000D_ b")
    'a _x005F_x000D_ b'
    """
    return _OOXML_ESCAPE.sub(r"_x005F_\1", text)


def unescape_text(text: str) -> str:
    """The inverse of :func:`escape_text`, for cells a program (not Excel) wrote back as they were."""
    return _OOXML_ESCAPED.sub(r"_\1", text)
