"""The actions editor: agree, update and close the follow-ups of a review, saved and logged like every editor."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from kpikit.data.store import load_engagement
from kpikit.editors.actions import ActionsEditor, date_problem
from kpikit.engine.actions import findings

ACTIONS = (
    "id,item_id,action,owner,due,status,opened,closed,note\n"
    "A-1,O-02/M-TURN,Exit interviews for every leaver,S-2,2026-05-31,open,2026-04-10,,\n"
    "A-2,O-01,Discharge lounge pilot,S-3,2026-12-31,open,2026-04-10,,\n"
)


@pytest.fixture
def with_actions(client: Path) -> Path:
    (client / "actions.csv").write_text(ACTIONS, encoding="utf-8")
    return client


def _log(client: Path) -> pd.DataFrame:
    return pd.read_csv(client / "changes.csv")


def test_a_new_action_is_saved_and_logged_against_its_item(client: Path) -> None:
    assert not (client / "actions.csv").exists()
    n = len(_log(client))
    ed = ActionsEditor(load_engagement(client))
    assert "No actions yet" in ed.table.value
    ed.add_action()
    assert (ed.id_box.value, ed.status_box.value, ed.date_boxes["opened"].value) == (
        "ACT-01", "open", date.today().isoformat())
    ed.item_box.value = "O-02/M-TURN"
    ed.action_box.value = "Stay interviews with every nurse in year one"
    ed.owner_box.value = "S-2"
    ed.date_boxes["due"].value = "2026-09-30"
    ed.rationale.value = "turnover red two quarters running"
    ed.decided_by.value = "Review board"
    assert ed.save() is True, ed.message.value
    saved = pd.read_csv(client / "actions.csv").iloc[0]
    assert (saved["id"], saved["item_id"], saved["owner"], saved["due"], saved["status"]) == (
        "ACT-01", "O-02/M-TURN", "S-2", "2026-09-30", "open")
    (row,) = _log(client).iloc[n:].to_dict("records")
    assert row["item_id"] == "O-02/M-TURN"
    assert row["change"] == "action ACT-01 agreed: 'Stay interviews with every nurse in year one', owner S-2, due 2026-09-30"
    assert (row["rationale"], row["decided_by"]) == ("turnover red two quarters running", "Review board")
    assert "Bo Chan" in ed.table.value  # the list names the owner

    assert ed.undo() is True, ed.message.value
    assert not (client / "actions.csv").exists()  # the save created it; undo removes it
    assert len(_log(client)) == n


def test_a_bad_due_date_is_shown_and_the_save_refused(with_actions: Path) -> None:
    before = {f: (with_actions / f).read_bytes() for f in ("actions.csv", "changes.csv")}
    ed = ActionsEditor(load_engagement(with_actions))
    ed.picker.value = "A-2"
    ed.date_boxes["due"].value = "31/12/2026"
    assert "due &#x27;31/12/2026&#x27; is not a date: write YYYY-MM-DD, like 2026-08-31" in ed.field_errors.value
    assert ed.save() is False
    assert "Not saved" in ed.message.value
    assert "actions.csv:3: due &#x27;31/12/2026&#x27; is not a date (YYYY-MM-DD)" in ed.message.value
    assert {f: (with_actions / f).read_bytes() for f in before} == before
    ed.date_boxes["due"].value = "2027-01-31"
    assert ed.field_errors.value == ""
    assert ed.save() is True, ed.message.value
    assert "A-2,O-01,Discharge lounge pilot,S-3,2027-01-31,open," in (with_actions / "actions.csv").read_text(encoding="utf-8")
    assert _log(with_actions).iloc[-1]["change"] == "action A-2: due '2026-12-31' -> '2027-01-31'"


def test_closing_an_overdue_action_clears_the_finding_and_undo_brings_it_back(with_actions: Path) -> None:
    eng = load_engagement(with_actions)
    assert [f.item_id for f in findings(eng) if f.code == "ACTION_OVERDUE"] == ["O-02/M-TURN"]
    before = (with_actions / "actions.csv").read_bytes()
    ed = ActionsEditor(eng)
    rows = [re.findall(r">([^<]*)</td>", r) for r in ed.table.value.split("<tr>")[2:]]
    assert [r[:2] for r in rows] == [["overdue", "A-1"], ["open", "A-2"]]  # overdue first
    ed.picker.value = "A-1"
    ed.note_box.value = "42 interviews held; themes to HR"
    ed.close_action("done")
    today = date.today().isoformat()
    assert ed.date_boxes["closed"].value == today
    assert ed.save() is True, ed.message.value
    row = pd.read_csv(with_actions / "actions.csv").set_index("id").loc["A-1"]
    assert (row["status"], row["closed"], row["note"]) == ("done", today, "42 interviews held; themes to HR")
    assert _log(with_actions).iloc[-1]["change"] == (
        f"action A-1: closed as done on {today}; note '(none)' -> '42 interviews held; themes to HR'")
    assert [f for f in findings(load_engagement(with_actions)) if f.code == "ACTION_OVERDUE"] == []

    assert ed.undo() is True, ed.message.value
    assert (with_actions / "actions.csv").read_bytes() == before
    assert ed.status_box.value == "open"  # the form shows the restored file


def test_reopening_clears_the_closed_date_and_owner_changes_are_logged(with_actions: Path) -> None:
    ed = ActionsEditor(load_engagement(with_actions))
    ed.picker.value = "A-2"
    ed.close_action("dropped")
    ed.status_box.value = "open"
    assert ed.date_boxes["closed"].value == ""
    ed.owner_box.value = "S-1"
    assert [c.change for c in ed.pending_changes()] == ["action A-2: owner 'S-3' -> 'S-1'"]


def test_date_problem_names_the_field_and_the_form() -> None:
    assert date_problem("closed", "2026-13-01") == "closed '2026-13-01' is not a date in the calendar"
    assert date_problem("opened", "") is None
