"""A file that appeared since an editor loaded the folder is read like a changed one, not by a whole load.

The common case: the first save of a workshop writes ``changes.csv`` (or ``actions.csv``), and
every other editor open on the folder then merges. That merge used to fall back to re-reading and
re-typing every file (100,000 actuals on a large client: seconds per save). The result must still
be what a whole load gives, errors included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import DEMO, copy_client

import kpikit.data.store as store
from kpikit.data.store import load_engagement, record_of, refresh_engagement
from kpikit.errors import EngagementError

ACTIONS_OK = "id,action,owner,due,status,item_id\nACT-1,Call the ward leads,{owner},2026-12-31,open,{item}\n"
ACTIONS_BAD = "id,action,owner,due,status,item_id\nACT-1,Call the ward leads,NOBODY-9,2026-31-12,open,{item}\n"


def _folder(tmp_path: Path) -> Path:
    folder = copy_client(DEMO, tmp_path, "copy")
    (folder / "changes.csv").unlink()
    return folder


def _no_whole_load(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_folder: object) -> object:
        raise AssertionError("refresh_engagement fell back to a whole load")
    monkeypatch.setattr(store, "load_engagement", refuse)


def test_a_decision_log_written_by_another_editor_is_merged_without_a_whole_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    mine = load_engagement(folder)
    assert "changes" not in mine.present
    (folder / "changes.csv").write_text(
        "date,item_id,change,rationale,decided_by\n2026-12-03,OBJ-01,title edited,agreed in the workshop,Board\n")
    whole = load_engagement(folder)
    _no_whole_load(monkeypatch)
    fresh = refresh_engagement(mine)
    assert "changes" in fresh.present
    assert fresh.tables["changes"]["rationale"].tolist() == ["agreed in the workshop"]
    assert fresh.present == whole.present
    assert record_of(fresh).fingerprints == record_of(whole).fingerprints
    assert record_of(fresh).source_lines == record_of(whole).source_lines


def test_a_new_file_with_problems_gets_the_whole_loads_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    mine = load_engagement(folder)
    item = str(mine.objectives["id"].iloc[0])
    owner = str(mine.stakeholders["id"].iloc[0])
    if "actions" in mine.present:
        (folder / "actions.csv").unlink()
        mine = load_engagement(folder)
    (folder / "actions.csv").write_text(ACTIONS_OK.format(owner=owner, item=item))
    assert "actions" in refresh_engagement(mine).present  # a valid new file is taken
    (folder / "actions.csv").write_text(ACTIONS_BAD.format(item=item))
    with pytest.raises(EngagementError) as whole:
        load_engagement(folder)
    _no_whole_load(monkeypatch)
    with pytest.raises(EngagementError) as fresh:
        refresh_engagement(mine)
    assert [str(p) for p in fresh.value.problems] == [str(p) for p in whole.value.problems]
    assert any("actions.csv" in str(p) and "NOBODY-9" in str(p) for p in fresh.value.problems)
