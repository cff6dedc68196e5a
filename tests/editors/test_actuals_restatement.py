"""The actuals editor asks why when a correction changes a number a board already saw (a published actual)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from published_client import PUBLISHED_PERIOD, client_copy, publish_demo

from kpikit.data.store import load_engagement
from kpikit.editors.actuals import ActualsEntry
from kpikit.engine.restatements import findings


@pytest.fixture(scope="module")
def published(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_demo(demo_run, tmp_path_factory.mktemp("published"))


@pytest.fixture
def client(published: Path, tmp_path: Path) -> Path:
    return client_copy(published, tmp_path)


def _stage(ed: ActualsEntry, metric: str, period: str, value: str) -> None:
    ed.metric_box.value = metric
    ed.period_box.value = period
    ed.value_box.value = value
    assert ed.stage(), ed.entry_message.value


def _restated(client: Path) -> list[str]:
    return [f.message for f in findings(load_engagement(client)) if f.code == "ACTUAL_RESTATED"]


def test_a_published_correction_is_refused_until_the_reason_is_typed(client: Path) -> None:
    before = (client / "actuals.csv").read_bytes(), (client / "changes.csv").read_bytes()
    ed = ActualsEntry(load_engagement(client))
    assert ed.restate_panel.layout.display == "none"  # nothing restated yet: no box in the way
    _stage(ed, "M-ED-4HR", PUBLISHED_PERIOD, "90.4")
    assert ed.restate_panel.layout.display is None
    assert f"the {PUBLISHED_PERIOD} report showed 89.6, now 90.4" in ed.restate_note.value

    assert ed.save() is False
    assert f"M-ED-4HR {PUBLISHED_PERIOD} was in a published report" in ed.message.value
    assert "Why restate" in ed.message.value
    assert ((client / "actuals.csv").read_bytes(), (client / "changes.csv").read_bytes()) == before

    ed.restate_box.value = "Epic re-extract after the ED coding fix"
    ed.decided_by.value = "Finance"
    assert ed.save() is True, ed.message.value
    row = pd.read_csv(client / "changes.csv").iloc[-1]
    assert row["item_id"] == "M-ED-4HR"
    assert row["change"] == (f"published actual for {PUBLISHED_PERIOD} restated: 89.6 -> 90.4 "
                             f"(the {PUBLISHED_PERIOD} report showed 89.6)")
    assert (row["rationale"], row["decided_by"]) == ("Epic re-extract after the ED coding fix", "Finance")
    assert _restated(client) == []  # explained: no finding


def test_the_same_edit_written_without_the_editor_is_a_finding(client: Path) -> None:
    """The counterpart: the finding the editor's row prevents does fire for an unexplained change."""
    path = client / "actuals.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"M-ED-4HR,{PUBLISHED_PERIOD},89.6,", f"M-ED-4HR,{PUBLISHED_PERIOD},90.4,"),
                    encoding="utf-8")
    (message,) = _restated(client)
    assert message.startswith(f"{PUBLISHED_PERIOD} was 89.6%")


def test_a_change_with_its_own_reason_needs_no_common_one_and_new_periods_ask_nothing(client: Path) -> None:
    n = len(pd.read_csv(client / "changes.csv"))
    ed = ActualsEntry(load_engagement(client))
    _stage(ed, "M-ED-4HR", "2026-Q4", "91")  # a period no board has seen: data entry
    assert ed.restate_panel.layout.display == "none"
    _stage(ed, "M-ED-4HR", "2026-Q2", "88.8")  # in the published copy's history
    assert ed.restate_panel.layout.display is None
    ed.reasons["M-ED-4HR|2026-Q2"].value = "late ED attendances added"
    assert ed.save() is True, ed.message.value
    (row,) = pd.read_csv(client / "changes.csv").iloc[n:].to_dict("records")  # the new value is not a decision
    assert row["change"].startswith("published actual for 2026-Q2 restated: 89.1 -> 88.8")
    assert row["rationale"] == "late ED attendances added"
    assert _restated(client) == []


def test_putting_the_published_value_back_asks_nothing(client: Path) -> None:
    ed = ActualsEntry(load_engagement(client))
    _stage(ed, "M-ED-4HR", PUBLISHED_PERIOD, "89.6")
    assert ed.restated() == []
    assert ed.restate_panel.layout.display == "none"
