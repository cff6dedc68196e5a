"""Reporting periods: ``YYYY`` (annual), ``YYYY-Qn`` (quarterly), ``YYYY-MM`` (monthly).

A period is stored as text in the engagement files; this module is the one place
that parses it, orders it, counts between periods in a metric's frequency and
maps a review period onto a KPI's own period.

>>> Period.parse("2026-Q2").in_frequency("annual")
Period(freq='annual', ordinal=2025)
>>> str(Period.parse("2026-05").in_frequency("quarterly"))
'2026-Q1'
>>> Period.parse("2025-Q4").shift(1)
Period(freq='quarterly', ordinal=8104)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

Frequency = Literal["monthly", "quarterly", "annual"]
FREQUENCIES: tuple[Frequency, ...] = get_args(Frequency)
"""The frequencies in the order help texts list them (the :data:`Frequency` literal's)."""
PERIODS_PER_YEAR: dict[str, int] = {"annual": 1, "quarterly": 4, "monthly": 12}

FORMS: dict[Frequency, str] = {"annual": "YYYY", "quarterly": "YYYY-Qn", "monthly": "YYYY-MM"}
"""How a period of each frequency is written, as help and error messages show it."""
FORM_PATTERNS: dict[Frequency, str] = {
    "annual": r"[0-9]{4}",
    "quarterly": r"[0-9]{4}-Q[1-4]",
    "monthly": r"[0-9]{4}-(?:0[1-9]|1[0-2])",
}
"""Each frequency's form as a pattern string (for ``str.fullmatch``): what checks that a period fits a metric."""


def forms_phrase(each: str = "{form}") -> str:
    """The three forms in one phrase, each written by the template ``each`` (``{form}``, ``{freq}``).

    One source for every help text and message that lists the forms, so they cannot drift.

    >>> forms_phrase()
    'YYYY, YYYY-Qn or YYYY-MM'
    >>> forms_phrase("{form} ({freq})")
    'YYYY (annual), YYYY-Qn (quarterly) or YYYY-MM (monthly)'
    """
    items = [each.format(form=form, freq=freq) for freq, form in FORMS.items()]
    return ", ".join(items[:-1]) + " or " + items[-1]


FORMS_TEXT = forms_phrase()
"""The three forms in one phrase: ``'2026-13' is not a period (YYYY, YYYY-Qn or YYYY-MM)``."""
NOT_A_PERIOD = f"is not a period ({FORMS_TEXT})"
"""The words after a rejected value in every "not a period" message (files, editors, command line)."""

PERIOD_RE = re.compile(r"([0-9]{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?", re.ASCII)
"""The contract's three period forms, for ``fullmatch`` (the groups give the quarter or month to :meth:`Period.parse`).

Digits are ASCII 0-9 only: ``２０２６`` or ``٢٠٢٦`` would otherwise parse as 2026 and
duplicate an existing period under another spelling."""
PERIOD_PATTERN = "(?:" + "|".join(FORM_PATTERNS.values()) + ")"
"""Any of the three forms as a pattern string, for vectorised pandas checks."""


def foreign_digit_hint(text: str) -> str:
    """A hint for a value written with digits other than ASCII 0-9 (full-width, Arabic-Indic...), else ``''``.

    The files' numbers and periods use the digits 0-9 only; a value typed with other
    digits is an input error with this hint, never read as another value or as no data.

    >>> foreign_digit_hint("２０２６-Q1"), foreign_digit_hint("2026-Q1")
    (": it is written with the digit '２' (FULLWIDTH DIGIT TWO); type the digits 0-9", '')
    """
    for ch in text:
        if ch.isdigit() and not ("0" <= ch <= "9"):
            name = unicodedata.name(ch, "a digit other than 0-9")
            return f": it is written with the digit '{ch}' ({name}); type the digits 0-9"
    return ""


def frequency_of(text: str) -> Frequency | None:
    """The frequency a period string is written in, or None if it is not a period.

    >>> frequency_of("2026-Q3"), frequency_of("2026-09"), frequency_of("2026"), frequency_of("2026-13")
    ('quarterly', 'monthly', 'annual', None)
    """
    m = PERIOD_RE.fullmatch(text)
    if not m:
        return None
    if m.group(2):
        return "quarterly"
    if m.group(3):
        return "monthly"
    return "annual"


@dataclass(frozen=True, order=True)
class Period:
    """A period of one frequency; ``ordinal`` counts periods since year 0."""

    freq: Frequency
    ordinal: int

    @classmethod
    def parse(cls, text: str) -> Period:
        m = PERIOD_RE.fullmatch(str(text).strip())
        if not m:
            raise ValueError(f"'{text}' {NOT_A_PERIOD}{foreign_digit_hint(str(text))}")
        year = int(m.group(1))
        if m.group(2):
            return cls("quarterly", year * 4 + int(m.group(2)) - 1)
        if m.group(3):
            return cls("monthly", year * 12 + int(m.group(3)) - 1)
        return cls("annual", year)

    @property
    def year(self) -> int:
        return self.ordinal // PERIODS_PER_YEAR[self.freq]

    @property
    def end_month(self) -> int:
        """Months since year 0 of the last month in this period (for comparing across frequencies)."""
        n = PERIODS_PER_YEAR[self.freq]
        return (self.ordinal + 1) * (12 // n) - 1

    @property
    def end_date(self) -> date:
        m = self.end_month + 1  # first month after the period
        y, mo = divmod(m, 12)
        nxt = date(y, mo + 1, 1)
        return date.fromordinal(nxt.toordinal() - 1)

    def last_month(self, fiscal_year_start: int = 1) -> int:
        """Months since year 0 of this period's last month when years start in month ``fiscal_year_start``.

        Annual and quarterly periods are fiscal (named by the year in which they end);
        monthly periods are calendar months.

        >>> str(Period("monthly", Period.parse("2030").last_month(7)))
        '2030-06'
        """
        return self.end_month - (0 if self.freq == "monthly" else fiscal_offset(fiscal_year_start))

    def first_month(self, fiscal_year_start: int = 1) -> int:
        """Months since year 0 of this period's first month (see :meth:`last_month`).

        >>> str(Period("monthly", Period.parse("2030-Q1").first_month(7)))
        '2029-07'
        """
        return self.last_month(fiscal_year_start) - 12 // PERIODS_PER_YEAR[self.freq] + 1

    def ends_on(self, fiscal_year_start: int = 1) -> date:
        """The last day of this period under a fiscal year starting in month ``fiscal_year_start``.

        >>> Period.parse("2030").ends_on(7), Period.parse("2030-Q1").ends_on(7), Period.parse("2030").ends_on()
        (datetime.date(2030, 6, 30), datetime.date(2029, 9, 30), datetime.date(2030, 12, 31))
        """
        y, mo = divmod(self.last_month(fiscal_year_start) + 1, 12)  # the first month after the period
        return date.fromordinal(date(y, mo + 1, 1).toordinal() - 1)

    def starts_on(self, fiscal_year_start: int = 1) -> date:
        """The first day of this period under a fiscal year starting in month ``fiscal_year_start``.

        >>> Period.parse("2030").starts_on(7), Period.parse("2030-Q4").starts_on(7)
        (datetime.date(2029, 7, 1), datetime.date(2030, 4, 1))
        """
        y, mo = divmod(self.first_month(fiscal_year_start), 12)
        return date(y, mo + 1, 1)

    def shift(self, n: int) -> Period:
        return Period(self.freq, self.ordinal + n)

    def minus(self, other: Period) -> int:
        """How many periods of this frequency from ``other`` to ``self``.

        >>> Period.parse("2026-Q3").minus(Period.parse("2025-Q4"))
        3
        """
        if other.freq != self.freq:
            raise ValueError(f"cannot count from {other} to {self}: different frequencies")
        return self.ordinal - other.ordinal

    def in_frequency(self, freq: Frequency, fiscal_year_start: int = 1) -> Period:
        """The latest period of ``freq`` that ends on or before the end of this period.

        Both ends are read under a fiscal year starting in month ``fiscal_year_start``
        (1 = calendar years): with 7, ``2026-06`` ends fiscal year ``2026``.

        >>> str(Period.parse("2026-06").in_frequency("annual", 7)), str(Period.parse("2026-06").in_frequency("annual"))
        ('2026', '2025')
        """
        months_per = 12 // PERIODS_PER_YEAR[freq]
        shift = 0 if freq == "monthly" else fiscal_offset(fiscal_year_start)
        # period k of freq ends at month (k+1)*months_per - 1 - shift; need that <= this period's last month
        k = (self.last_month(fiscal_year_start) + 1 + shift) // months_per - 1
        return Period(freq, k)

    def __str__(self) -> str:
        if self.freq == "annual":
            return f"{self.ordinal:04d}"
        n = PERIODS_PER_YEAR[self.freq]
        y, i = divmod(self.ordinal, n)
        return f"{y:04d}-Q{i + 1}" if self.freq == "quarterly" else f"{y:04d}-{i + 1:02d}"


def fiscal_offset(fiscal_year_start: int) -> int:
    """How many months a fiscal year ends before the calendar year of the same name (0 to 11).

    A fiscal year is named by the year in which it ends: with ``fiscal_year_start`` 7,
    ``2030`` runs from July 2029 to June 2030, six months before December 2030.

    >>> fiscal_offset(1), fiscal_offset(7), fiscal_offset(2), fiscal_offset(12)
    (0, 6, 11, 1)
    """
    if not 1 <= fiscal_year_start <= 12:
        raise ValueError(f"fiscal_year_start {fiscal_year_start} is not a month (1 to 12)")
    return (13 - fiscal_year_start) % 12


def period_range(start: Period, end: Period) -> list[Period]:
    """Every period from ``start`` to ``end`` inclusive (same frequency).

    >>> [str(p) for p in period_range(Period.parse("2025-11"), Period.parse("2026-01"))]
    ['2025-11', '2025-12', '2026-01']
    """
    return [Period(start.freq, o) for o in range(start.ordinal, end.minus(start) + start.ordinal + 1)]
