"""The decision log says what was decided: one row per change, each with its own rationale."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from support import set_owners

from kpikit.data.store import load_engagement
from kpikit.editors.actuals import ActualsEntry
from kpikit.editors.objectives import ObjectivesEditor
from kpikit.editors.raci import RaciGrid
from kpikit.editors.scoring import ScoringGrid


def _new_rows(client: Path, before: int) -> pd.DataFrame:
    return pd.read_csv(client / "changes.csv").iloc[before:].reset_index(drop=True)


def _log_len(client: Path) -> int:
    return len(pd.read_csv(client / "changes.csv"))


def test_two_changes_in_one_save_keep_their_own_reasons(client: Path) -> None:
    n = _log_len(client)
    ed = ObjectivesEditor(load_engagement(client))
    set_owners(ed, O_02="Cy Diaz", O_04="Ann Lee")
    assert [c.item_id for c in ed.pending] == ["O-02", "O-04"]
    assert "Decisions to log (2)" in ed.log_panel.children[0].value
    ed.reasons["O-02"].value = "Bo moves to the board"
    ed.reasons["O-04"].value = "the CEO sponsors the new lab"
    ed.decided_by.value = "Steering group"
    assert ed.save() is True, ed.message.value
    rows = _new_rows(client, n)
    assert list(rows["item_id"]) == ["O-02", "O-04"]
    assert list(rows["rationale"]) == ["Bo moves to the board", "the CEO sponsors the new lab"]
    assert list(rows["decided_by"]) == ["Steering group", "Steering group"]
    assert "Bo Chan' -> 'Cy Diaz" in rows["change"].iloc[0]
    assert "2 decisions logged" in ed.message.value
    assert ed.log_panel.children == ()  # cleared for the next save


def test_the_common_rationale_fills_changes_without_their_own(client: Path) -> None:
    n = _log_len(client)
    ed = ObjectivesEditor(load_engagement(client))
    set_owners(ed, O_02="Cy Diaz", O_04="Ann Lee")
    ed.reasons["O-04"].value = "own reason"
    ed.rationale.value = "workshop consensus"
    assert ed.save() is True
    assert list(_new_rows(client, n)["rationale"]) == ["workshop consensus", "own reason"]


def test_a_reason_survives_further_edits_of_the_same_item(client: Path) -> None:
    ed = ObjectivesEditor(load_engagement(client))
    set_owners(ed, O_02="Cy")
    ed.reasons["O-02"].value = "new owner"
    ed.owner_box.value = "Cy Diaz"  # the change's wording changes, its reason stays
    assert ed.reasons["O-02"].value == "new owner"
    assert "Cy Diaz" in ed.pending[0].change


def test_a_rationale_typed_in_the_scoring_grid_is_kept(client: Path) -> None:
    n = _log_len(client)
    g = ScoringGrid(load_engagement(client))
    g.objective.value = "O-02"
    i = g.row_indices()[0]
    slider = g.sliders[(i, next(iter(g.criteria)))]
    old = slider.value
    slider.value = 1 if old != 1 else 2
    g.rationale.value = "data is only yearly"
    assert g.save() is True, g.message.value
    rows = _new_rows(client, n)
    assert len(rows) == 1
    assert rows["rationale"].iloc[0] == "data is only yearly"
    assert rows["change"].iloc[0].startswith("scores: ")
    assert f"{old:g} -> {slider.value:g}" in rows["change"].iloc[0]


def test_raci_changes_are_logged_per_cell(client: Path) -> None:
    n = _log_len(client)
    g = RaciGrid(load_engagement(client))
    g.dropdowns[("O-04", "S-3")].value = ""
    g.dropdowns[("O-04", "S-1")].value = "A"
    assert [c.about for c in g.pending] == ["O-04|S-1", "O-04|S-3"]
    g.reasons["O-04|S-1"].value = "the CEO takes the lab"
    g.reasons["O-04|S-3"].value = "Cy leaves in March"
    assert g.save() is True, g.message.value
    rows = _new_rows(client, n)
    assert list(rows["item_id"]) == ["O-04", "O-04"]
    assert list(rows["change"]) == ["RACI S-1 (Ann Lee): (none) -> A", "RACI S-3 (Cy Diaz): A -> (none)"]
    assert list(rows["rationale"]) == ["the CEO takes the lab", "Cy leaves in March"]


def test_corrections_of_actuals_are_logged_new_values_are_not(client: Path) -> None:
    n = _log_len(client)
    a = ActualsEntry(load_engagement(client))
    saved = a.eng.actuals
    mid, period, value = (str(saved.iloc[0][c]) for c in ("metric_id", "period", "value"))
    a.metric_box.value = mid
    a.period_box.value = period
    a.value_box.value = "99"
    assert a.stage() is True, a.entry_message.value
    a.period_box.value = "2030-Q1" if "Q" in period else "2030"
    a.value_box.value = "5"
    a.stage()
    assert [c.item_id for c in a.pending] == [mid]
    a.reasons[f"{mid}|{period}"].value = "the source system was restated"
    assert a.save() is True, a.message.value
    rows = _new_rows(client, n)
    assert list(rows["item_id"]) == [mid]
    assert rows["change"].iloc[0] == f"actual for {period} corrected: {float(value):.15g} -> 99"
    assert rows["rationale"].iloc[0] == "the source system was restated"


def test_a_rationale_with_nothing_to_log_is_reported(client: Path) -> None:
    a = ActualsEntry(load_engagement(client))
    a.metric_box.value = "M-ED4"
    a.period_box.value = "2023-Q1"
    a.value_box.value = "75"
    assert a.stage() is True, a.entry_message.value
    a.rationale.value = "new quarter"
    assert a.save() is True, a.message.value
    assert "The rationale was not recorded" in a.message.value
