"""Pasting rows from Excel into the scoring grid and the target setter, checked like a save (issue 12 item 9)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpikit.data.store import load_engagement
from kpikit.editors.paste import header_columns, read_paste
from kpikit.editors.scoring import ScoringGrid
from kpikit.editors.targets import TargetSetter


@pytest.fixture(autouse=True)
def _interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIKIT_UNATTENDED", "0")


def _refused(editor: ScoringGrid | TargetSetter, block: str) -> str:
    """The message of a paste that must stage nothing."""
    assert editor.paste(block) is False
    assert not editor.dirty
    message: str = editor.paste_message.value
    assert ".csv:" not in message  # named by pasted line, never by a draft file's line
    return message


def test_pasted_scores_update_one_pairing_add_another_and_are_logged(client: Path) -> None:
    grid = ScoringGrid(load_engagement(client))
    block = ("Objective ID\tMetric ID\trelevance\tmeasurability\tdata availability\tactionability\tcost to collect\n"
             "O-01\tM-SURVEY\t4\t4\t3\t3\t2\n"
             "O-03\tM-TURN\t3\t3\t3\t3\t3\n")
    assert grid.paste(block) is True, grid.paste_message.value
    assert "Staged 2 pasted rows (O-01, O-03)" in grid.paste_message.value
    assert grid.objective.value == "O-01"  # the first pasted row's objective is shown
    assert grid.sliders[(1, "relevance")].value == 4  # the slider shows the pasted score
    assert grid.paste_box.value == ""
    assert grid.save() is True, grid.message.value
    scores = pd.read_csv(client / "metric_scores.csv")
    survey = scores[(scores["objective_id"] == "O-01") & (scores["metric_id"] == "M-SURVEY")].iloc[0]
    assert survey[["relevance", "measurability", "data_availability", "actionability", "cost_to_collect"]].tolist() == [4, 4, 3, 3, 2]
    assert len(scores) == 6
    assert scores.iloc[-1][["objective_id", "metric_id", "relevance"]].tolist() == ["O-03", "M-TURN", 3]
    log = pd.read_csv(client / "changes.csv")
    assert "relevance 2 -> 4" in " ".join(log["change"].astype(str))
    assert "candidate added" in " ".join(log["change"].astype(str))


def test_bad_score_rows_are_all_named_by_pasted_line_and_nothing_changes(client: Path) -> None:
    before = (client / "metric_scores.csv").read_bytes()
    grid = ScoringGrid(load_engagement(client))
    block = ("O-01\tM-SURVEY\t4\t4\t3\t3\t2\n"
             "O-99\tM-SURVEY\t4\t4\t3\t3\t2\n"
             "O-01\tM-ED4\t4\tfive\t3\t3\t2\n"
             "O-02\tM-TURN\t4\t4\n")
    msg = _refused(grid, block)
    assert "pasted line 2 (O-99 M-SURVEY): no objective &#x27;O-99&#x27; in objectives.csv" in msg
    assert "pasted line 3 (O-01 M-ED4): measurability &#x27;five&#x27; is not a number" in msg
    assert "pasted line 4: expected objective, metric and a score for each of relevance" in msg
    # a score off the scale is caught by the save's own rules, named by the pasted line
    assert "pasted line 2 (O-01 M-SURVEY)" in _refused(grid, "O-01\tM-ED4\t4\t4\t3\t3\t2\nO-01\tM-SURVEY\t9\t4\t3\t3\t2\n")
    assert (client / "metric_scores.csv").read_bytes() == before


def test_pasted_targets_update_the_kpis_and_are_logged(client: Path) -> None:
    setter = TargetSetter(load_engagement(client))
    block = "O-02\tM-TURN\t11\t2027-Q4\t18\t2024-Q4\t10\nO-01\tM-ED4\t96\t2027-Q2\n"
    assert setter.paste(block) is True, setter.paste_message.value
    assert "Staged 2 pasted rows" in setter.paste_message.value
    assert setter.boxes["target"].value == "11"  # the first pasted KPI is on the form
    assert setter.boxes["stretch"].value == "10"
    assert setter.save() is True, setter.message.value
    kpis = pd.read_csv(client / "kpis.csv").set_index(["objective_id", "metric_id"])
    assert kpis.loc[("O-02", "M-TURN"), "target"] == 11
    assert kpis.loc[("O-02", "M-TURN"), "stretch"] == 10
    assert kpis.loc[("O-01", "M-ED4"), "target"] == 96
    assert kpis.loc[("O-01", "M-ED4"), "stretch"] == 97  # not pasted: kept
    assert kpis.loc[("O-01", "M-ED4"), "benchmark_source"] == "Peer top decile"
    log = " ".join(pd.read_csv(client / "changes.csv")["change"].astype(str))
    assert "target 12 -> 11" in log
    assert "target 95 -> 96" in log


def test_pasted_targets_refuse_a_non_kpi_a_bad_number_and_a_period_of_another_frequency(client: Path) -> None:
    before = (client / "kpis.csv").read_bytes()
    setter = TargetSetter(load_engagement(client))
    msg = _refused(setter, "O-03\tM-FALLS\t2\t2027-12\nO-01\tM-ED4\t95%\t2027-Q2\n")
    assert "pasted line 1 (O-03 M-FALLS): M-FALLS is not a KPI of O-03 in kpis.csv" in msg
    assert "pasted line 2 (O-01 M-ED4): target &#x27;95%&#x27; is not a number" in msg
    assert "pasted line 1 (O-01 M-ED4)" in _refused(setter, "O-01\tM-ED4\t96\t2027-06\n")  # monthly, not quarterly
    assert (client / "kpis.csv").read_bytes() == before


def test_header_rows_set_the_column_order() -> None:
    assert header_columns(["Metric", "Period", "Value"], ["metric_id", "period", "value", "note"]) == ["metric_id", "period", "value"]
    assert header_columns(["M-ED4", "2026-Q3", "87"], ["metric_id", "period", "value", "note"]) is None
    rows, problems = read_paste("period\tvalue\tmetric_id\n2026-Q3\t87\tM-ED4\n", ["metric_id", "period", "value"],
                                keys=2, required=3, numbers=["value"])
    assert problems == []
    assert rows[0].values == {"period": "2026-Q3", "value": 87.0, "metric_id": "M-ED4"}
    assert rows[0].where() == "pasted line 2 (M-ED4 2026-Q3)"
