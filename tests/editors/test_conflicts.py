"""Two notebooks on one folder: a save in one must not make the other lose work."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from support import set_owners

from kpikit.data.store import load_engagement
from kpikit.editors.base import Change, Session
from kpikit.editors.merge import Conflict, merge_table
from kpikit.editors.objectives import ObjectivesEditor
from kpikit.editors.raci import RaciGrid
from kpikit.errors import EditConflictError


def _objectives(client: Path) -> pd.DataFrame:
    return pd.read_csv(client / "objectives.csv", dtype=str, keep_default_na=False).set_index("id")


def test_edits_to_different_rows_both_survive(client: Path) -> None:
    first = ObjectivesEditor(load_engagement(client))
    second = ObjectivesEditor(load_engagement(client))
    set_owners(first, O_02="Cy Diaz")
    assert first.save() is True
    set_owners(second, O_04="Ann Lee")
    assert second.save() is True, second.message.value  # was: refused as stale
    on_disk = _objectives(client)
    assert on_disk.loc["O-02", "owner"] == "Cy Diaz"
    assert on_disk.loc["O-04", "owner"] == "Ann Lee"
    assert list(on_disk.index) == ["O-01", "O-02", "O-03", "O-04"]  # rows stay in place
    assert second.picker.value == "O-04"
    assert second.work.set_index("id").loc["O-02", "owner"] == "Cy Diaz"  # the editor shows theirs now
    log = pd.read_csv(client / "changes.csv")
    assert list(log["item_id"])[-2:] == ["O-02", "O-04"]


def test_the_same_row_is_refused_with_its_id_and_reload_keeps_the_rest(client: Path) -> None:
    first = ObjectivesEditor(load_engagement(client))
    second = ObjectivesEditor(load_engagement(client))
    set_owners(first, O_02="Cy Diaz")
    assert first.save() is True
    set_owners(second, O_02="Di Ez", O_04="Ann Lee")
    assert second.save() is False
    assert "objectives.csv: O-02" in second.message.value
    assert "O-04" not in second.message.value
    assert second.reload_button.layout.display is None
    second.reload()
    assert "are kept" in second.message.value
    assert second.dirty
    work = second.work.set_index("id")
    assert work.loc["O-02", "owner"] == "Cy Diaz"  # theirs wins the row both changed
    assert work.loc["O-04", "owner"] == "Ann Lee"  # ours kept
    assert second.picker.value == "O-04"
    assert second.save() is True, second.message.value
    assert _objectives(client).loc["O-04", "owner"] == "Ann Lee"
    assert _objectives(client).loc["O-02", "owner"] == "Cy Diaz"


def test_undo_after_someone_else_saved_puts_back_only_our_rows(client: Path) -> None:
    mine = Session(load_engagement(client))
    theirs = Session(load_engagement(client))
    d = mine.draft()
    d.tables["objectives"].loc[1, "owner"] = "Cy Diaz"  # O-02
    mine.save(d, [Change("O-02", "owner -> Cy Diaz")])
    d = theirs.draft()
    d.tables["objectives"].loc[3, "owner"] = "Ann Lee"  # O-04
    theirs.save(d, [Change("O-04", "owner -> Ann Lee")])
    mine.reload()
    assert mine.history, "the undo history survives a reload"
    mine.undo()
    on_disk = _objectives(client)
    assert on_disk.loc["O-02", "owner"] == "Bo Chan"
    assert on_disk.loc["O-04", "owner"] == "Ann Lee"
    log = pd.read_csv(client / "changes.csv")
    assert "O-04" in list(log["item_id"])
    assert "O-02" not in list(log["item_id"])[1:]


def test_undo_of_a_row_someone_else_changed_again_is_refused(client: Path) -> None:
    mine = Session(load_engagement(client))
    theirs = Session(load_engagement(client))
    d = mine.draft()
    d.tables["objectives"].loc[1, "owner"] = "Cy Diaz"
    mine.save(d, [])
    theirs.reload()
    d = theirs.draft()
    d.tables["objectives"].loc[1, "owner"] = "Di Ez"
    theirs.save(d, [])
    with pytest.raises(EditConflictError, match=r"objectives\.csv: O-02"):
        mine.undo()
    assert _objectives(client).loc["O-02", "owner"] == "Di Ez"


def test_two_raci_grids_on_different_cells(client: Path) -> None:
    a = RaciGrid(load_engagement(client))
    b = RaciGrid(load_engagement(client))
    a.dropdowns[("O-04", "S-1")].value = "C"
    assert a.save() is True
    b.dropdowns[("O-02", "S-2")].value = "R/A"
    assert b.save() is True, b.message.value
    rows = set(map(tuple, pd.read_csv(client / "raci.csv").to_numpy().tolist()))
    assert {("O-04", "S-1", "C"), ("O-02", "S-2", "R"), ("O-02", "S-2", "A")} <= rows


def test_merge_table_applies_adds_deletes_and_edits_in_place() -> None:
    base = pd.DataFrame({"id": ["A", "B", "C"], "v": ["1", "2", "3"]})
    ours = pd.DataFrame({"id": ["A", "C", "D"], "v": ["1", "30", "4"]})  # B removed, C edited, D added
    theirs = pd.DataFrame({"id": ["A", "B", "C", "E"], "v": ["10", "2", "3", "5"]})  # A edited, E added
    got = merge_table("t.csv", base, ours, theirs)
    assert got.to_dict("list") == {"id": ["A", "C", "E", "D"], "v": ["10", "30", "5", "4"]}
    clash = pd.DataFrame({"id": ["A", "B", "C"], "v": ["1", "2", "31"]})
    with pytest.raises(Conflict, match=r"t\.csv: C"):
        merge_table("t.csv", base, ours, clash)
    kept = merge_table("t.csv", base, ours, clash, prefer="theirs")
    assert kept.set_index("id").loc["C", "v"] == "31"


def test_scores_of_another_pairing_merge_by_their_key(client: Path) -> None:
    from kpikit.editors.scoring import ScoringGrid

    g = ScoringGrid(load_engagement(client))
    i = next(i for i in g.row_indices() if g.scores.at[i, "metric_id"] == "M-ED4")
    g.sliders[(i, "relevance")].value = 3
    text = (client / "metric_scores.csv").read_text(encoding="utf-8")  # someone rescores another pairing
    (client / "metric_scores.csv").write_text(text.replace("O-03,M-FALLS,5,", "O-03,M-FALLS,2,"), encoding="utf-8")
    assert g.save() is True, g.message.value
    scores = pd.read_csv(client / "metric_scores.csv").set_index(["objective_id", "metric_id"])
    assert scores.loc[("O-01", "M-ED4"), "relevance"] == 3
    assert scores.loc[("O-03", "M-FALLS"), "relevance"] == 2
    assert len(scores) == 5
