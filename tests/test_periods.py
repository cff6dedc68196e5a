"""Periods: the three written forms, ordering and counting across year ends.

The status rule reviews each KPI in its own period (the latest period of the metric's
frequency ending on or before the end of the review period); getting a year end wrong
shows last year's number as this year's.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpikit.periods import FORMS, FORMS_TEXT, FREQUENCIES, Period, frequency_of, period_range


@pytest.mark.parametrize(
    ("text", "freq", "year"),
    [("2026", "annual", 2026), ("2026-Q1", "quarterly", 2026), ("2026-Q4", "quarterly", 2026),
     ("2026-01", "monthly", 2026), ("2026-12", "monthly", 2026), (" 2026-05 ", "monthly", 2026)],
)
def test_parse_the_three_forms(text: str, freq: str, year: int) -> None:
    p = Period.parse(text)
    assert p.freq == freq
    assert p.year == year
    assert str(p) == text.strip()
    assert frequency_of(text.strip()) == freq


@pytest.mark.parametrize("text", ["2026-Q5", "2026-Q0", "2026-13", "2026-00", "26", "2026-1", "2026Q1", "FY2026", "", "2026-q1"])
def test_malformed_periods_are_rejected_with_the_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a period \(YYYY, YYYY-Qn or YYYY-MM\)"):
        Period.parse(text)
    assert frequency_of(text) is None


def test_every_frequency_has_its_written_form() -> None:
    assert set(FORMS) == set(FREQUENCIES)
    assert all(form in FORMS_TEXT for form in FORMS.values())
    examples = {"YYYY": "2026", "YYYY-Qn": "2026-Q3", "YYYY-MM": "2026-09"}
    assert {freq: frequency_of(examples[form]) for freq, form in FORMS.items()} == {f: f for f in FORMS}


@pytest.mark.parametrize(
    ("review", "freq", "expected"),
    [
        ("2026-Q2", "monthly", "2026-06"),
        ("2026-Q2", "quarterly", "2026-Q2"),
        ("2026-Q2", "annual", "2025"),
        ("2026-05", "quarterly", "2026-Q1"),
        ("2026-06", "quarterly", "2026-Q2"),
        ("2026-Q4", "annual", "2026"),
        ("2026-12", "annual", "2026"),
        ("2026-11", "annual", "2025"),
        ("2026-01", "quarterly", "2025-Q4"),
        ("2026-02", "quarterly", "2025-Q4"),
        ("2026-Q1", "annual", "2025"),
        ("2026", "monthly", "2026-12"),
        ("2026", "quarterly", "2026-Q4"),
        ("2026-03", "monthly", "2026-03"),
    ],
)
def test_in_frequency_is_the_latest_period_ending_by_the_review_end(review: str, freq: str, expected: str) -> None:
    assert str(Period.parse(review).in_frequency(freq)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "n", "end"),
    [("2025-12", 1, "2026-01"), ("2026-01", -1, "2025-12"), ("2025-Q4", 1, "2026-Q1"), ("2026-Q1", -5, "2024-Q4"),
     ("2026-03", 22, "2028-01"), ("2025", 2, "2027")],
)
def test_shift_and_minus_across_years(start: str, n: int, end: str) -> None:
    a = Period.parse(start)
    b = a.shift(n)
    assert str(b) == end
    assert b.minus(a) == n
    assert a.minus(b) == -n


def test_minus_refuses_mixed_frequencies() -> None:
    with pytest.raises(ValueError, match="different frequencies"):
        Period.parse("2026-Q1").minus(Period.parse("2026-01"))


def test_end_dates_and_ordering() -> None:
    assert Period.parse("2024-02").end_date == date(2024, 2, 29)
    assert Period.parse("2026-Q4").end_date == date(2026, 12, 31)
    assert Period.parse("2026-Q1").end_date == date(2026, 3, 31)
    assert Period.parse("2026").end_date == date(2026, 12, 31)
    assert sorted(Period.parse(t) for t in ["2026-03", "2025-12", "2026-01"]) == [
        Period.parse("2025-12"), Period.parse("2026-01"), Period.parse("2026-03")
    ]


def test_period_range_spans_year_end() -> None:
    got = [str(p) for p in period_range(Period.parse("2025-Q3"), Period.parse("2026-Q2"))]
    assert got == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert period_range(Period.parse("2026-05"), Period.parse("2026-04")) == []


periods = st.one_of(
    st.integers(1900, 2200).map(str),
    st.tuples(st.integers(1900, 2200), st.integers(1, 4)).map(lambda t: f"{t[0]}-Q{t[1]}"),
    st.tuples(st.integers(1900, 2200), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
)


@given(periods, st.sampled_from(["monthly", "quarterly", "annual"]))
def test_in_frequency_properties(text: str, freq: str) -> None:
    p = Period.parse(text)
    q = p.in_frequency(freq)  # type: ignore[arg-type]
    assert str(Period.parse(str(p))) == text  # round trip of the text form
    assert q.freq == freq
    assert q.end_date <= p.end_date  # ends on or before the review end ...
    assert q.shift(1).end_date > p.end_date  # ... and is the latest such period


@given(periods, st.integers(-500, 500))
def test_shift_then_minus_is_identity(text: str, n: int) -> None:
    p = Period.parse(text)
    assert p.shift(n).minus(p) == n
    assert str(Period.parse(str(p.shift(n)))) == str(p.shift(n))


def test_docstring_examples_are_true() -> None:
    import doctest

    import kpikit.periods

    result = doctest.testmod(kpikit.periods)
    assert result.attempted > 0
    assert result.failed == 0
