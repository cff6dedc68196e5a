"""Fiscal years: annual and quarterly periods under ``fiscal_year_start`` (contract: "Fiscal years").

A school year that ends in June is the plan's year; reading it as a calendar year
compares every target and due date with the wrong six months.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpikit.periods import FREQUENCIES, Frequency, Period, fiscal_offset

starts = st.integers(min_value=1, max_value=12)
freqs = st.sampled_from(FREQUENCIES)
ordinals = {"annual": st.integers(1900, 2200), "quarterly": st.integers(1900 * 4, 2200 * 4),
            "monthly": st.integers(1900 * 12, 2200 * 12)}
periods = freqs.flatmap(lambda f: ordinals[f].map(lambda o: Period(f, o)))


@pytest.mark.parametrize(
    ("text", "start", "first", "last"),
    [
        ("2030", 7, date(2029, 7, 1), date(2030, 6, 30)),
        ("2030-Q1", 7, date(2029, 7, 1), date(2029, 9, 30)),
        ("2030-Q2", 7, date(2029, 10, 1), date(2029, 12, 31)),
        ("2030-Q3", 7, date(2030, 1, 1), date(2030, 3, 31)),
        ("2030-Q4", 7, date(2030, 4, 1), date(2030, 6, 30)),
        ("2026", 4, date(2025, 4, 1), date(2026, 3, 31)),   # a UK-style April year
        ("2026-Q1", 10, date(2025, 10, 1), date(2025, 12, 31)),  # a US federal year
        ("2026", 2, date(2025, 2, 1), date(2026, 1, 31)),
        ("2026", 12, date(2025, 12, 1), date(2026, 11, 30)),
        ("2026", 1, date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-02", 7, date(2026, 2, 1), date(2026, 2, 28)),  # months stay calendar months
        ("2024-02", 4, date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_fiscal_period_starts_and_ends_by_hand(text: str, start: int, first: date, last: date) -> None:
    p = Period.parse(text)
    assert (p.starts_on(start), p.ends_on(start)) == (first, last)


@pytest.mark.parametrize(
    ("review", "freq", "start", "expected"),
    [
        ("2026-06", "annual", 7, "2026"),     # June closes the school year 2026
        ("2026-05", "annual", 7, "2025"),
        ("2026-07", "quarterly", 7, "2026-Q4"),
        ("2026-09", "quarterly", 7, "2027-Q1"),
        ("2027-Q1", "monthly", 7, "2026-09"),
        ("2027-Q1", "annual", 7, "2026"),
        ("2026-Q4", "annual", 7, "2026"),
        ("2026", "quarterly", 7, "2026-Q4"),
        ("2026", "monthly", 7, "2026-06"),
        ("2026-03", "annual", 4, "2026"),
        ("2026-Q2", "annual", 1, "2025"),
    ],
)
def test_review_period_maps_onto_fiscal_periods(review: str, freq: Frequency, start: int, expected: str) -> None:
    assert str(Period.parse(review).in_frequency(freq, start)) == expected


@pytest.mark.parametrize("bad", [0, 13, -1])
def test_a_start_that_is_not_a_month_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="is not a month"):
        fiscal_offset(bad)


@given(periods, freqs)
def test_january_start_is_the_calendar(p: Period, freq: Frequency) -> None:
    assert p.last_month(1) == p.end_month
    assert p.ends_on(1) == p.end_date
    assert p.in_frequency(freq, 1) == p.in_frequency(freq)


@given(periods, starts)
def test_periods_of_a_frequency_tile_the_months(p: Period, start: int) -> None:
    nxt = p.shift(1)
    assert nxt.first_month(start) == p.last_month(start) + 1
    assert (nxt.starts_on(start) - p.ends_on(start)).days == 1
    assert p.last_month(start) - p.first_month(start) + 1 == {"annual": 12, "quarterly": 3, "monthly": 1}[p.freq]


@given(periods, freqs, starts)
def test_in_frequency_is_the_latest_period_ending_by_the_end(p: Period, freq: Frequency, start: int) -> None:
    q = p.in_frequency(freq, start)
    assert q.freq == freq
    assert q.ends_on(start) <= p.ends_on(start) < q.shift(1).ends_on(start)


@given(st.integers(1900, 2200), starts)
def test_a_fiscal_year_is_named_by_the_year_it_ends_in_and_spans_its_quarters(year: int, start: int) -> None:
    fy = Period("annual", year)
    assert fy.ends_on(start).year == year
    assert fy.starts_on(start).month == start
    quarters = [Period("quarterly", year * 4 + i) for i in range(4)]
    assert quarters[0].starts_on(start) == fy.starts_on(start)
    assert quarters[3].ends_on(start) == fy.ends_on(start)
    assert quarters[3].in_frequency("annual", start) == fy  # the year ends with its fourth quarter
    assert quarters[2].in_frequency("annual", start) == fy.shift(-1)
