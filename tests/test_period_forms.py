"""The period forms are declared once (kpikit.periods); every check and help text reads them.

If the per-frequency patterns drifted from the parser, a file could pass validation with
a period that fits its metric's frequency by the pattern but parses to another one.
"""

from __future__ import annotations

import re

import pytest

from kpikit.data.config import EngagementConfig
from kpikit.data.schema import SPECS
from kpikit.periods import (
    FORM_PATTERNS,
    FREQUENCIES,
    NOT_A_PERIOD,
    PERIOD_PATTERN,
    forms_phrase,
    frequency_of,
)

SAMPLES = ["2026", "0001", "2026-Q1", "2026-Q4", "2026-Q5", "2026-Q0", "2026-01", "2026-12", "2026-13",
           "2026-00", "2026-1", "26", "2026Q1", "2026-q1", "FY2026", ""]


@pytest.mark.parametrize("text", SAMPLES)
def test_each_frequency_pattern_matches_what_the_parser_calls_that_frequency(text: str) -> None:
    matched = [freq for freq, pattern in FORM_PATTERNS.items() if re.fullmatch(pattern, text)]
    assert matched == ([frequency_of(text)] if frequency_of(text) else [])
    assert bool(re.fullmatch(PERIOD_PATTERN, text)) == (frequency_of(text) is not None)


def test_the_frequencies_of_files_and_settings_are_the_periods_ones() -> None:
    assert SPECS["metrics"].column("frequency").choices == FREQUENCIES
    assert set(FORM_PATTERNS) == set(FREQUENCIES)
    with pytest.raises(ValueError, match="'monthly', 'quarterly' or 'annual'"):
        EngagementConfig.model_validate({"client": "C", "mission": "M", "pillars": [{"id": "P", "name": "N"}],
                                         "review_cadence": "weekly"})


def test_the_phrases_list_every_form_in_one_order() -> None:
    assert NOT_A_PERIOD == "is not a period (YYYY, YYYY-Qn or YYYY-MM)"
    assert forms_phrase("{form} ({freq})") == "YYYY (annual), YYYY-Qn (quarterly) or YYYY-MM (monthly)"
