"""The scoring grid, driven from Python as the browser would: sliders, KPI toggles, Save."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from support import FIXTURES

from kpikit.data.store import list_backups, load_engagement
from kpikit.editors.scoring import ScoringGrid
from kpikit.engine import scoring

FIXTURE = FIXTURES / "editors_small"



def _row(grid: ScoringGrid, metric: str) -> int:
    return next(i for i in grid.row_indices() if grid.scores.at[i, "metric_id"] == metric)


def test_slider_updates_weighted_score_and_rank_live(client: Path) -> None:
    g = ScoringGrid(load_engagement(client))
    assert g.objective.value == "O-01"
    i = _row(g, "M-ED4")
    assert "4.80" in g.score_labels[i].value
    assert "#1" in g.score_labels[i].value
    g.sliders[(i, "relevance")].value = 1
    expected = scoring.weighted_score({"relevance": 1, "measurability": 5, "data_availability": 5,
                                       "actionability": 4, "cost_to_collect": 5}, g.criteria)
    assert f"{expected:.2f}" in g.score_labels[i].value
    g.sliders[(i, "measurability")].value = 1
    g.sliders[(i, "data_availability")].value = 1
    j = _row(g, "M-SURVEY")
    assert "#1" in g.score_labels[j].value  # M-SURVEY (2.4) now outranks M-ED4 (2.2)
    assert g.dirty


def test_save_writes_exactly_the_moved_score(client: Path) -> None:
    before = pd.read_csv(client / "metric_scores.csv")
    kpis_before = (client / "kpis.csv").read_bytes()
    g = ScoringGrid(load_engagement(client))
    g.objective.value = "O-02"
    i = _row(g, "M-TURN")
    g.sliders[(i, "actionability")].value = 5
    assert g.save() is True
    after = pd.read_csv(client / "metric_scores.csv")
    assert after.loc[2, "actionability"] == 5
    diff = (after != before).sum().sum()
    assert diff == 1
    assert (client / "kpis.csv").read_bytes() == kpis_before
    assert len(pd.read_csv(client / "changes.csv")) == 2  # the moved score is logged (issue 12: every decision)
    assert len(list_backups(client)) == 1


def test_select_as_kpi_adds_row_and_logs_it(client: Path) -> None:
    g = ScoringGrid(load_engagement(client))
    g.objective.value = "O-03"
    i = _row(g, "M-FALLS")
    g.toggles[i].value = True
    t_box, p_box = g.new_targets[("O-03", "M-FALLS")]
    t_box.value = "2.0"
    p_box.value = "2027-12"
    g.rationale.value = "falls are the ward's main harm"
    g.decided_by.value = "Bo Chan"
    assert g.save() is True, g.message.value
    kpis = pd.read_csv(client / "kpis.csv")
    row = kpis[(kpis["objective_id"] == "O-03") & (kpis["metric_id"] == "M-FALLS")]
    assert len(row) == 1
    assert row["target"].iloc[0] == 2.0
    assert row["target_period"].iloc[0] == "2027-12"
    log = pd.read_csv(client / "changes.csv").iloc[-1]
    assert log["item_id"] == "O-03/M-FALLS"
    assert "selected as KPI" in log["change"]
    assert log["rationale"] == "falls are the ward's main harm"
    assert log["decided_by"] == "Bo Chan"


def test_deselect_removes_row_and_logs_it(client: Path) -> None:
    g = ScoringGrid(load_engagement(client))
    g.objective.value = "O-02"
    g.toggles[_row(g, "M-TURN")].value = False
    assert g.save() is True
    kpis = pd.read_csv(client / "kpis.csv")
    assert list(kpis["metric_id"]) == ["M-ED4"]
    log = pd.read_csv(client / "changes.csv").iloc[-1]
    assert (log["item_id"], log["change"]) == ("O-02/M-TURN", "removed as KPI")


def test_new_kpi_without_target_writes_nothing_and_says_why(client: Path) -> None:
    files = {p.name: p.read_bytes() for p in client.iterdir() if p.is_file()}
    g = ScoringGrid(load_engagement(client))
    g.objective.value = "O-03"
    g.toggles[_row(g, "M-FALLS")].value = True
    t_box, p_box = g.new_targets[("O-03", "M-FALLS")]
    t_box.value = "two"
    assert g.save() is False
    assert "is not a number" in g.message.value
    assert "target period is required" in g.message.value
    t_box.value, p_box.value = "2", "2027-Q4"  # quarterly period for a monthly metric
    assert g.save() is False
    assert "kpis.csv" in g.message.value
    assert {p.name: p.read_bytes() for p in client.iterdir() if p.is_file()} == files


def test_concurrent_change_refuses_and_offers_reload(client: Path) -> None:
    g = ScoringGrid(load_engagement(client))
    i = _row(g, "M-ED4")
    g.sliders[(i, "relevance")].value = 3
    text = (client / "metric_scores.csv").read_text(encoding="utf-8")  # someone else rescores the same pairing
    with (client / "metric_scores.csv").open("w", encoding="utf-8") as f:
        f.write(text.replace("O-01,M-ED4,5,5,5,4,5", "O-01,M-ED4,4,5,5,4,5") + "O-04,M-SURVEY,1,1,1,1,1\n")
    theirs = (client / "metric_scores.csv").read_bytes()
    assert g.save() is False
    assert "changed on disk" in g.message.value
    assert g.reload_button.layout.display is None  # shown
    assert (client / "metric_scores.csv").read_bytes() == theirs
    g.reload()
    assert len(g.scores) == 6
    assert g.reload_button.layout.display == "none"


def test_add_candidate_then_undo(client: Path) -> None:
    before = (client / "metric_scores.csv").read_bytes()
    g = ScoringGrid(load_engagement(client))
    g.objective.value = "O-04"
    assert g.row_indices() == []
    g.add_metric.value = "M-SURVEY"
    g.add_pairing()
    assert len(g.row_indices()) == 1
    assert g.save() is True
    assert list(pd.read_csv(client / "metric_scores.csv").iloc[-1][["objective_id", "metric_id", "relevance"]]) == ["O-04", "M-SURVEY", 3]
    assert g.undo() is True
    assert (client / "metric_scores.csv").read_bytes() == before
    assert "Undone" in g.message.value


def test_slider_step_never_rounds_an_existing_score(client: Path) -> None:
    from kpikit.editors.scoring import slider_step

    assert slider_step([1.0, 5.0], 1.0) == 1.0
    assert slider_step([3.5, 2.0], 1.0) == 0.5
    assert slider_step([3.3], 1.0) == 0.1
    text = (client / "metric_scores.csv").read_text().replace("O-01,M-SURVEY,2,", "O-01,M-SURVEY,2.25,")
    (client / "metric_scores.csv").write_text(text, encoding="utf-8")
    g = ScoringGrid(load_engagement(client))
    s = g.sliders[(_row(g, "M-SURVEY"), "relevance")]
    assert s.step == 0.25
    assert s.value == 2.25


def test_remove_candidate_drops_its_row_on_save(client: Path) -> None:
    before = pd.read_csv(client / "metric_scores.csv")
    g = ScoringGrid(load_engagement(client))
    i = _row(g, "M-SURVEY")
    g.remove_pairing(i)
    assert [g.scores.at[k, "metric_id"] for k in g.row_indices()] == ["M-ED4"]
    assert "M-SURVEY" in [v for _l, v in g.add_metric.options]  # can be added back
    assert (client / "metric_scores.csv").read_bytes() == (FIXTURE / "metric_scores.csv").read_bytes()
    assert g.save() is True
    after = pd.read_csv(client / "metric_scores.csv")
    assert len(after) == len(before) - 1
    assert not ((after["objective_id"] == "O-01") & (after["metric_id"] == "M-SURVEY")).any()
    assert after.equals(before.drop(index=1).reset_index(drop=True))
