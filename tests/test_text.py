"""kpikit.text: numbers, counts, period words and cut-off labels written one way everywhere."""

from __future__ import annotations

import math

from kpikit.periods import FREQUENCIES
from kpikit.text import PERIOD_WORDS, fmt, period_word, plural, short


def test_fmt_reads_like_a_report() -> None:
    assert fmt(14403, "USD") == "14,403 USD"
    assert fmt(0.72) == "0.72"
    assert fmt(95.0, "%") == "95%"
    assert fmt(1.5, "%", change=True) == "1.5 percentage points"
    assert fmt(math.nan) == "(none)"


def test_every_frequency_has_its_period_word() -> None:
    assert set(PERIOD_WORDS) == set(FREQUENCIES)
    assert plural(1, period_word("monthly")) == "1 month"
    assert plural(4, period_word("quarterly")) == "4 quarters"
    assert period_word("nan") == "period"


def test_short_labels_keep_the_start_and_mark_the_cut() -> None:
    assert short("abcdef", 4) == "abc…"
    assert short("abc", 4) == "abc"
    assert short(float("nan"), 4) == ""
    assert short("ab cdef", 4) == "ab…"  # no space left before the ellipsis
