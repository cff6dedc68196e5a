"""The cascade linker, target setter, RACI grid and actuals entry, driven from Python."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from support import FIXTURES

from kpikit.data.store import load_engagement
from kpikit.editors.actuals import ActualsEntry
from kpikit.editors.cascade import CascadeLinker
from kpikit.editors.objectives import ObjectivesEditor
from kpikit.editors.raci import RaciGrid, letters_of
from kpikit.editors.scoring import ScoringGrid
from kpikit.editors.targets import TargetSetter
from kpikit.engine import cascade

FIXTURE = FIXTURES / "editors_small"



def _values(dropdown: object) -> list[str]:
    return [v for _label, v in dropdown.options]  # type: ignore[attr-defined]


# -- cascade linker ------------------------------------------------------------------

def test_cascade_offers_only_the_engines_valid_choices(client: Path) -> None:
    eng = load_engagement(client)
    ed = CascadeLinker(eng)
    ed.picker.value = "O-03"
    assert _values(ed.parent_box)[1:] == cascade.valid_parents(eng, "O-03")
    assert _values(ed.unit_box) == cascade.valid_units(eng, "O-03")
    ed.picker.value = "O-01"
    assert "O-02" not in _values(ed.parent_box)  # its own child: a cycle


def test_cascade_gap_list_updates_and_save_logs(client: Path) -> None:
    ed = CascadeLinker(load_engagement(client))
    assert "OBJECTIVE_UNALIGNED" not in ed.gaps.value
    ed.picker.value = "O-04"
    ed.pillar_box.value = ""
    assert "OBJECTIVE_UNALIGNED" in ed.gaps.value
    assert "O-04" in ed.gaps.value
    ed.parent_box.value = "O-01"
    assert "OBJECTIVE_UNALIGNED" not in ed.gaps.value
    assert "U-ROOT" in _values(ed.unit_box)
    ed.decided_by.value = "Ann Lee"
    assert ed.save() is True
    obj = pd.read_csv(client / "objectives.csv").set_index("id")
    assert obj.at["O-04", "parent_id"] == "O-01"
    assert pd.isna(obj.at["O-04", "pillar_id"])
    log = pd.read_csv(client / "changes.csv").iloc[-1]
    assert log["item_id"] == "O-04"
    assert "parent '' -> 'O-01'" in log["change"]
    assert "pillar 'P2' -> ''" in log["change"]


def test_cascade_unit_change_narrows_parent_choices(client: Path) -> None:
    ed = CascadeLinker(load_engagement(client))
    ed.picker.value = "O-04"
    ed.parent_box.value = "O-01"
    ed.unit_box.value = "U-A1"
    assert "O-02" in _values(ed.parent_box)  # Division A's objective is above Team A1


# -- target setter -------------------------------------------------------------------

def test_target_change_redraws_realism_and_logs_on_save(client: Path) -> None:
    ed = TargetSetter(load_engagement(client))
    assert ed.boxes["target"].value == "95"
    assert "Unrealistic" in ed.verdict.value
    ed.boxes["target"].value = "88"
    assert "✓ Realistic" in ed.verdict.value
    assert "<svg" in ed.chart.value  # the history chart was redrawn
    ed.rationale.value = "board accepted a slower pace"
    assert ed.save() is True
    kpis = pd.read_csv(client / "kpis.csv")
    assert kpis.loc[0, "target"] == 88
    assert kpis.loc[1, "target"] == 12
    log = pd.read_csv(client / "changes.csv").iloc[-1]
    assert (log["item_id"], log["change"]) == ("O-01/M-ED4", "target 95 -> 88")


def test_target_setter_rejects_bad_text_and_writes_nothing(client: Path) -> None:
    before = (client / "kpis.csv").read_bytes()
    ed = TargetSetter(load_engagement(client))
    ed.boxes["target"].value = "95%"
    assert "is not a number" in ed.field_errors.value
    ed.boxes["baseline_period"].value = "Q4 2024"
    assert "is not a period" in ed.field_errors.value
    assert ed.save() is False
    assert "O-01/M-ED4" in ed.message.value
    ed.boxes["target"].value = "95"
    ed.boxes["baseline_period"].value = ""  # baseline without its period: a contract error
    assert ed.save() is False
    assert "kpis.csv:2" in ed.message.value
    assert (client / "kpis.csv").read_bytes() == before


# -- RACI grid ------------------------------------------------------------------------

def test_raci_gap_appears_live_and_save_keeps_other_rows(client: Path) -> None:
    before = pd.read_csv(client / "raci.csv")
    ed = RaciGrid(load_engagement(client))
    assert "exactly one Accountable" in ed.gaps.value
    ed.dropdowns[("O-04", "S-3")].value = ""
    assert "O-04 (objective): no one is Accountable" in ed.gaps.value
    ed.dropdowns[("O-04", "S-1")].value = "A"
    ed.dropdowns[("O-01", "S-2")].value = "R/A"
    assert "O-01 (objective): 2 people are Accountable" in ed.gaps.value
    assert ed.save() is True
    after = pd.read_csv(client / "raci.csv")
    rows = set(map(tuple, after.to_numpy().tolist()))
    assert ("O-04", "S-3", "A") not in rows
    assert {("O-04", "S-1", "A"), ("O-01", "S-2", "A"), ("O-01", "S-2", "R")} <= rows
    kept = before[~((before["item_id"] == "O-04") & (before["stakeholder_id"] == "S-3"))]
    assert after.head(len(kept)).reset_index(drop=True).equals(kept.reset_index(drop=True))
    assert len(pd.read_csv(client / "changes.csv")) == 1 + 3  # one decision-log row per changed cell (issue 12)


def test_raci_pages_and_filter() -> None:
    assert letters_of("a/R") == ["R", "A"]
    eng = load_engagement(FIXTURE)
    ed = RaciGrid(eng)
    assert "6 items" in ed.page_label.value  # 4 objectives + 2 KPI metrics
    ed.filter_box.value = "M-"
    assert "2 items" in ed.page_label.value
    assert len(ed.grid.children) == 3  # header + two rows


# -- actuals entry ---------------------------------------------------------------------

def test_actuals_entry_validates_corrects_and_saves(client: Path) -> None:
    ed = ActualsEntry(load_engagement(client))
    ed.metric_box.value = "M-FALLS"
    ed.period_box.value = "2026-Q3"
    ed.value_box.value = "2.9"
    assert ed.stage() is False
    assert "frequency" in ed.entry_message.value
    ed.period_box.value = "2026-07"
    ed.value_box.value = "2,9"
    assert ed.stage() is False
    assert "not a number" in ed.entry_message.value
    ed.value_box.value = "2.9"
    assert ed.stage() is True
    ed.period_box.value = "2026-05"
    ed.value_box.value = "3.2"
    ed.note_box.value = "late incident reports"
    assert ed.stage() is True
    assert "corrected M-FALLS 2026-05: 3.1 -&gt; 3.2" in ed.staged_list.value
    before = (client / "actuals.csv").read_bytes()
    ed.period_box.value = ""
    assert before == (client / "actuals.csv").read_bytes()  # staging writes nothing
    assert ed.save() is True
    acts = pd.read_csv(client / "actuals.csv")
    falls = acts[acts["metric_id"] == "M-FALLS"].set_index("period")
    assert falls.at["2026-05", "value"] == 3.2
    assert falls.at["2026-05", "note"] == "late incident reports"
    assert falls.at["2026-07", "value"] == 2.9
    assert len(acts) == 14


def test_actuals_save_refuses_an_unstaged_entry(client: Path) -> None:
    before = (client / "actuals.csv").read_bytes()
    ed = ActualsEntry(load_engagement(client))
    ed.period_box.value = "2026-Q3"
    ed.value_box.value = "87"
    assert ed.save() is False
    assert "Add / correct" in ed.message.value
    assert (client / "actuals.csv").read_bytes() == before


@pytest.mark.parametrize("editor", [ObjectivesEditor, ScoringGrid, CascadeLinker, TargetSetter, RaciGrid, ActualsEntry])
def test_saving_without_edits_writes_nothing(client: Path, editor: type) -> None:
    before = {p.name: p.read_bytes() for p in client.iterdir() if p.is_file()}
    ed = editor(load_engagement(client))
    assert ed.save() is False
    assert "Nothing to save" in ed.message.value
    assert {p.name: p.read_bytes() for p in client.iterdir() if p.is_file()} == before
    assert not (client / ".kpikit").exists()


def _html_values(widget: object) -> list[str]:
    """Every HTML string an editor shows, walking its widget tree."""
    import ipywidgets as widgets

    out: list[str] = []
    if isinstance(widget, widgets.HTML):
        out.append(widget.value)
    for child in getattr(widget, "children", ()):
        out.extend(_html_values(child))
    return out


@pytest.mark.parametrize("editor", [ObjectivesEditor, ScoringGrid, CascadeLinker, TargetSetter, RaciGrid, ActualsEntry])
def test_user_text_is_escaped_in_every_editor(client: Path, editor: type) -> None:
    evil = "<img src=x onerror=alert(1)>"
    eng = load_engagement(client)
    eng.tables["objectives"].loc[0, "title"] = f"Reduce waits to 4 hours by 2027 {evil}"
    eng.tables["objectives"].loc[0, "description"] = evil
    eng.tables["objectives"].loc[3, "title"] = f"Open a second lab {evil}"
    eng.tables["objectives"].loc[3, "pillar_id"] = float("nan")  # a gap whose message quotes the title
    eng.tables["metrics"]["name"] = eng.metrics["name"] + " " + evil
    eng.tables["stakeholders"].loc[0, "name"] = evil
    eng.tables["actuals"].loc[12, "note"] = evil
    eng.save()
    ed = editor(load_engagement(client))
    if isinstance(ed, ActualsEntry):
        ed.metric_box.value = "M-FALLS"
    shown = "\n".join(_html_values(ed))
    assert evil not in shown
    assert "&lt;img src=x" in shown
