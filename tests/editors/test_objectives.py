"""The objectives editor: live SMART verdicts, saving edits, additions and removals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from support import set_owners

from kpikit.data.store import load_engagement
from kpikit.editors.objectives import ObjectivesEditor, next_id


def test_title_verdict_follows_each_keystroke_without_writing(client: Path) -> None:
    before = (client / "objectives.csv").read_bytes()
    ed = ObjectivesEditor(load_engagement(client))
    assert "✓ Specific" in ed.title_verdict.value
    ed.title_box.value = "Improve culture"
    assert "Not specific" in ed.title_verdict.value
    assert "too short to be specific" in ed.title_verdict.value
    assert "✗</td><td><b>Specific" in ed.smart_table.value
    ed.title_box.value = "Make the operating theatres more efficient"
    assert "more efficient" in ed.title_verdict.value
    assert ed.dirty
    assert (client / "objectives.csv").read_bytes() == before


def test_smart_table_reflects_other_fields(client: Path) -> None:
    ed = ObjectivesEditor(load_engagement(client))
    ed.picker.value = "O-04"
    assert "✓</td><td><b>Time-bound" in ed.smart_table.value
    ed.due_box.value = ""
    assert "✗</td><td><b>Time-bound" in ed.smart_table.value
    ed.pillar_box.value = ""
    assert "✗</td><td><b>Relevant" in ed.smart_table.value


def test_edit_saves_row_and_logs_rationale(client: Path) -> None:
    ed = ObjectivesEditor(load_engagement(client))
    set_owners(ed, O_03="Cy Diaz")
    ed.rationale.value = "ward manager left"
    ed.decided_by.value = "Bo Chan"
    assert ed.save() is True
    obj = pd.read_csv(client / "objectives.csv").set_index("id")
    assert obj.at["O-03", "owner"] == "Cy Diaz"
    assert pd.isna(obj.at["O-02", "description"])
    log = pd.read_csv(client / "changes.csv").iloc[-1]
    assert log["item_id"] == "O-03"
    assert log["change"] == "objective edited: owner '' -> 'Cy Diaz'"
    assert (log["rationale"], log["decided_by"]) == ("ward manager left", "Bo Chan")
    assert ed.rationale.value == ""  # ready for the next decision


def test_parent_choices_exclude_descendants(client: Path) -> None:
    ed = ObjectivesEditor(load_engagement(client))
    ed.picker.value = "O-01"
    values = [v for _label, v in ed.parent_box.options]
    assert "O-02" not in values
    assert "O-03" not in values


def test_add_objective_then_save_logs_it(client: Path) -> None:
    ed = ObjectivesEditor(load_engagement(client))
    ed.picker.value = "O-04"
    ed.add_objective()
    assert ed.id_box.value == "O-05"
    ed.title_box.value = "Hire 12 cardiac nurses for the Lakeside catheterisation lab by 2027"
    ed.parent_box.value = "O-04"
    assert ed.save() is True, ed.message.value
    obj = pd.read_csv(client / "objectives.csv").set_index("id")
    assert obj.at["O-05", "org_unit_id"] == "U-B"
    assert obj.at["O-05", "parent_id"] == "O-04"
    assert pd.read_csv(client / "changes.csv").iloc[-1]["change"].startswith("objective added: 'Hire 12")


def test_removing_a_parent_in_use_is_refused_with_the_reason(client: Path) -> None:
    before = (client / "objectives.csv").read_bytes()
    ed = ObjectivesEditor(load_engagement(client))
    ed.picker.value = "O-02"
    ed.remove_objective()
    assert "O-02" not in [v for _l, v in ed.picker.options]
    assert ed.save() is False
    assert "O-02" in ed.message.value
    assert (client / "objectives.csv").read_bytes() == before


def test_next_id_follows_the_house_style() -> None:
    assert next_id(["OBJ-01", "OBJ-09"]) == "OBJ-10"
    assert next_id(["O-1"], ["O-2", "M-5"]) == "O-3"
    assert next_id([]) == "OBJ-01"
