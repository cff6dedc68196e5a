"""Pasting a block of rows from Excel (tab-separated) into the actuals entry, checked like a save."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpikit.data.store import load_engagement
from kpikit.editors.actuals import ActualsEntry


def test_pasted_rows_are_staged_and_saved(client: Path) -> None:
    a = ActualsEntry(load_engagement(client))
    block = "metric_id\tperiod\tvalue\tnote\nM-ED4\t2026-Q3\t87\tfrom the board pack\nM-ED4\t2026-Q2\t85.5\t\n"
    assert a.paste(block) is True, a.entry_message.value
    assert "Staged 2 pasted rows" in a.entry_message.value
    assert a.paste_box.value == ""
    assert a.save() is True, a.message.value
    df = pd.read_csv(client / "actuals.csv")
    mine = df[df["metric_id"] == "M-ED4"].set_index("period")
    assert mine.loc["2026-Q3", "value"] == 87
    assert mine.loc["2026-Q3", "note"] == "from the board pack"
    assert mine.loc["2026-Q2", "value"] == 85.5  # a correction of a saved value ...
    log = pd.read_csv(client / "changes.csv")
    assert log["change"].iloc[-1] == "actual for 2026-Q2 corrected: 86 -> 85.5"  # ... is logged


def test_every_bad_pasted_row_is_named_and_nothing_is_staged(client: Path) -> None:
    before = (client / "actuals.csv").read_bytes()
    a = ActualsEntry(load_engagement(client))
    block = "M-ED4\t2026-Q3\t87\nM-NOPE\t2026-Q3\t1\nM-ED4\t2026-Q4\t12%\nM-ED4 2026-Q4 12\nM-ED4\t2026-07\t80\n"
    assert a.paste(block) is False
    msg = a.entry_message.value
    assert "pasted line 2 (M-NOPE 2026-Q3): no metric" in msg
    assert "pasted line 3 (M-ED4 2026-Q4): value &#x27;12%&#x27; is not a number" in msg
    assert "pasted line 4: expected metric, period and value separated by tabs" in msg
    assert not a.dirty
    assert a.save() is False  # nothing staged
    assert (client / "actuals.csv").read_bytes() == before


def test_a_period_in_the_wrong_form_names_the_pasted_line_not_a_draft_line(client: Path) -> None:
    a = ActualsEntry(load_engagement(client))
    assert a.paste("M-ED4\t2026-Q3\t87\nM-ED4\t2026-07\t80\n") is False
    msg = a.entry_message.value
    assert "pasted line 2 (M-ED4 2026-07)" in msg
    assert "actuals.csv:" not in msg


def test_a_value_after_the_review_period_is_staged_with_a_warning(client: Path) -> None:
    a = ActualsEntry(load_engagement(client))
    a.metric_box.value = "M-ED4"
    a.period_box.value = "2027-Q1"  # the review period is 2026-Q2
    a.value_box.value = "88"
    assert a.stage() is True
    assert "ends after the review period 2026-Q2" in a.entry_message.value
