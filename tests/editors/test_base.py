"""The shared save/undo/backup/log mechanics of the editors, and their unattended mode."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from kpikit import editors
from kpikit.data.store import list_backups, load_engagement
from kpikit.editors.base import (
    Change,
    Session,
    configured_keep_backups,
    is_unattended,
    parse_number,
)
from kpikit.editors.objectives import ObjectivesEditor
from kpikit.errors import EngagementError, StaleFileError, UndoError

ENTRY_POINTS = [editors.objectives_editor, editors.scoring_grid, editors.cascade_linker,
                editors.target_setter, editors.raci_grid, editors.actuals_entry]



def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _retitle(session: Session, title: str) -> None:
    draft = session.draft()
    draft.tables["objectives"].loc[0, "title"] = title
    session.save(draft, [Change("O-01", f"title -> {title}")], "workshop", "Ann Lee")


def test_save_writes_table_and_log_row_with_a_backup(client: Path) -> None:
    before = (client / "objectives.csv").read_bytes()
    s = Session(load_engagement(client))
    _retitle(s, "Reduce emergency waits to under 3 hours for 95% of patients by 2027")
    objectives = pd.read_csv(client / "objectives.csv")
    assert objectives.loc[0, "title"] == "Reduce emergency waits to under 3 hours for 95% of patients by 2027"
    log = pd.read_csv(client / "changes.csv")
    assert len(log) == 2
    assert list(log.iloc[1][["item_id", "rationale", "decided_by"]]) == ["O-01", "workshop", "Ann Lee"]
    assert log.iloc[1]["change"].startswith("title -> Reduce")
    (backup,) = list_backups(client)
    assert (backup / "objectives.csv").read_bytes() == before
    assert sorted(p.name for p in backup.iterdir()) == ["changes.csv", "objectives.csv"]


def test_invalid_draft_writes_nothing(client: Path) -> None:
    before = _hashes(client)
    s = Session(load_engagement(client))
    draft = s.draft()
    draft.tables["objectives"].loc[1, "parent_id"] = "O-99"
    with pytest.raises(EngagementError) as err:
        s.save(draft, [Change("O-02", "parent -> O-99")])
    assert any("O-99" in p.message for p in err.value.problems)
    assert _hashes(client) == before
    assert not (client / ".kpikit").exists()


def test_file_changed_on_disk_refuses_then_reload_recovers(client: Path) -> None:
    """The same row changed on disk: refused (issue 12: other rows merge, tests/editors/test_conflicts.py)."""
    s = Session(load_engagement(client))
    text = (client / "objectives.csv").read_text(encoding="utf-8")
    (client / "objectives.csv").write_text(text.replace("Reduce emergency waits to under 4 hours", "Cut emergency waits"),
                                           encoding="utf-8")
    with (client / "objectives.csv").open("a", encoding="utf-8") as f:
        f.write("O-05,Someone else's objective with 5 words,U-B,,P2,,,\n")
    theirs = (client / "objectives.csv").read_bytes()
    with pytest.raises(StaleFileError):
        _retitle(s, "Reduce emergency waits to under 3 hours for 95% of patients")
    assert (client / "objectives.csv").read_bytes() == theirs
    s.reload()
    assert "O-05" in list(s.current.objectives["id"])
    _retitle(s, "Reduce emergency waits to under 3 hours for 95% of patients")
    assert "O-05" in set(pd.read_csv(client / "objectives.csv")["id"])


def test_undo_restores_files_and_is_itself_backed_up(client: Path) -> None:
    before = _hashes(client)
    s = Session(load_engagement(client))
    _retitle(s, "Reduce emergency waits to under 2 hours for 95% of patients by 2027")
    after_save = _hashes(client)
    assert after_save != before
    rec = s.undo()
    assert _hashes(client) == before
    assert rec.backup is not None
    assert (rec.backup / "objectives.csv").exists()
    assert hashlib.sha256((rec.backup / "objectives.csv").read_bytes()).hexdigest() == after_save["objectives.csv"]
    assert s.current.objectives.loc[0, "title"].startswith("Reduce emergency waits to under 4 hours")
    with pytest.raises(UndoError):
        s.undo()


def test_undo_refuses_when_the_file_changed_since_the_save(client: Path) -> None:
    s = Session(load_engagement(client))
    _retitle(s, "Reduce emergency waits to under 2 hours for 95% of patients by 2027")
    text = (client / "objectives.csv").read_text(encoding="utf-8")  # someone else edits the same row
    (client / "objectives.csv").write_text(text.replace("under 2 hours", "under 90 minutes"), encoding="utf-8")
    theirs = (client / "objectives.csv").read_bytes()
    with pytest.raises(StaleFileError):
        s.undo()
    assert (client / "objectives.csv").read_bytes() == theirs


def test_undo_removes_a_file_the_save_created(client: Path) -> None:
    (client / "changes.csv").unlink()
    s = Session(load_engagement(client))
    _retitle(s, "Reduce emergency waits to under 2 hours for 95% of patients by 2027")
    assert (client / "changes.csv").exists()
    s.undo()
    assert not (client / "changes.csv").exists()


def test_keep_backups_comes_from_engagement_yaml_and_prunes(client: Path) -> None:
    eng = load_engagement(client)
    assert configured_keep_backups(eng) == 3
    s = Session(eng)
    for n in range(5):
        _retitle(s, f"Reduce emergency waits to under {n + 2} hours for 95% of patients")
    assert len(list_backups(client)) == 3


def test_parse_number_follows_the_contract() -> None:
    assert parse_number(" 1e6 ") == 1e6
    assert parse_number("-3") == -3
    for bad in ("1,234", "12%", "nan", "inf", "1_000", ""):
        assert parse_number(bad) is None


def test_unattended_entry_points_return_summaries_and_never_write(client: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIKIT_UNATTENDED", "1")
    assert is_unattended()
    before = _hashes(client)
    eng = load_engagement(client)
    for entry in ENTRY_POINTS:
        out = entry(eng)
        html = out._repr_html_()
        assert "<li>" in html, entry.__name__
    assert _hashes(client) == before
    assert not (client / ".kpikit").exists()


def test_entry_points_give_widgets_in_a_live_session(client: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIKIT_UNATTENDED", "0")
    eng = load_engagement(client)
    for entry in ENTRY_POINTS:
        w = entry(str(client)) if entry is editors.actuals_entry else entry(eng)
        assert "kpikit-editor" in w._dom_classes, entry.__name__
        assert any(getattr(b, "description", "") == "Save" for b in w.children[-2].children)


def test_summary_text_is_escaped(client: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIKIT_UNATTENDED", "1")
    from kpikit.editors.base import static_summary

    html = static_summary("<b>x</b>", ["<script>alert(1)</script>"])._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_save_button_shows_problems_inline_and_undo_button(client: Path) -> None:
    ed = ObjectivesEditor(load_engagement(client))
    ed.due_box.value = "2027-02-30"
    assert ed.save() is False
    assert "not a date" in ed.message.value
    assert "objectives.csv:2" in ed.message.value
    ed.due_box.value = "2027-03-31"
    assert ed.save() is True
    assert ed.undo_button.disabled is False
    assert ed.undo() is True
    assert pd.read_csv(client / "objectives.csv").loc[0, "due"] == "2027-06-30"


def test_two_editors_can_both_log_decisions(client: Path) -> None:
    """Another notebook's editor appended to changes.csv: ours appends after it, no refusal."""
    first = Session(load_engagement(client))
    second = Session(load_engagement(client))
    _retitle(first, "Reduce emergency waits to under 3 hours for 95% of patients by 2027")
    draft = second.draft()
    draft.tables["objectives"].loc[0, "owner"] = "Bo Chan"  # the row the first one retitled: refused
    with pytest.raises(StaleFileError):
        second.save(draft, [Change("O-04", "owner -> Bo Chan")])
    draft = second.draft()
    draft.tables["kpis"].loc[0, "target"] = 90
    second.save(draft, [Change("O-01/M-ED4", "target 95 -> 90")], "board", "CEO")
    log = pd.read_csv(client / "changes.csv")
    assert list(log["item_id"]) == ["O-01/M-ED4", "O-01", "O-01/M-ED4"]
    assert pd.read_csv(client / "kpis.csv").loc[0, "target"] == 90


def test_a_rewritten_log_is_still_stale(client: Path) -> None:
    s = Session(load_engagement(client))
    (client / "changes.csv").write_text("date,item_id,change,rationale,decided_by\n2025-02-01,O-02,Edited by hand,,\n",
                                        encoding="utf-8")
    with pytest.raises(StaleFileError):
        _retitle(s, "Reduce emergency waits to under 3 hours for 95% of patients by 2027")


def test_undo_button_says_why_it_cannot_undo(client: Path) -> None:
    ed = ObjectivesEditor(load_engagement(client))
    ed.owner_box.value = "Cy Diaz"
    assert ed.save() is True
    text = (client / "objectives.csv").read_text(encoding="utf-8")  # someone else sets the same owner cell
    (client / "objectives.csv").write_text(text.replace("Cy Diaz,2027-06-30", "Di Ez,2027-06-30"), encoding="utf-8")
    assert ed.undo() is False
    assert "changed on disk" in ed.message.value


def test_unattended_summary_never_fails_the_run(client: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIKIT_UNATTENDED", "1")
    import kpikit.editors.scoring as scoring_editor

    def broken(_eng: object) -> list[str]:
        raise ValueError("engine bug")

    monkeypatch.setattr(scoring_editor, "_summary", broken)
    html = editors.scoring_grid(load_engagement(client))._repr_html_()
    assert "summary unavailable: engine bug" in html
