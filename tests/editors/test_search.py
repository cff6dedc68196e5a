"""Long lists: searchable pickers, paged gap lists, and keeping the consultant's place across a save."""

from __future__ import annotations

from pathlib import Path

from kpikit.data.store import load_engagement
from kpikit.editors.actuals import ActualsEntry
from kpikit.editors.cascade import GAP_PAGE, CascadeLinker
from kpikit.editors.objectives import ObjectivesEditor
from kpikit.editors.picker import SearchPicker
from kpikit.editors.raci import RaciGrid
from kpikit.editors.scoring import ScoringGrid
from kpikit.editors.targets import TargetSetter


def test_typing_an_id_lands_on_it(big_client: Path) -> None:
    eng = load_engagement(big_client)
    ed = ObjectivesEditor(eng)
    assert ed.picker.value == "O0000"
    ed.picker.search = "O0412"
    assert ed.picker.value == "O0412"
    assert ed.id_box.value == "O0412"
    assert ed.picker.search.startswith("O0412 — Raise outcome 412")
    ed.picker.search = "o0348"  # any case
    assert ed.id_box.value == "O0348"


def test_partial_text_says_how_many_match_and_words_pick_one() -> None:
    p = SearchPicker("Metric", [("M-1 — Falls per 1,000 bed days", "M-1"), ("M-2 — Staff turnover", "M-2"),
                                ("M-10 — Falls with harm", "M-10")])
    p.search = "falls"
    assert p.value == "M-1"  # unchanged: two match
    assert "2 matches" in p.hint.value
    p.search = "falls harm"
    assert p.value == "M-10"
    p.search = "zebra"
    assert p.value == "M-10"
    assert "nothing matches 'zebra'" in p.hint.value


def test_other_long_pickers_search_too(big_client: Path) -> None:
    eng = load_engagement(big_client)
    g = ScoringGrid(eng)
    g.objective.search = "O0412"
    assert g.objective.value == "O0412"
    assert {str(g.scores.at[i, "objective_id"]) for i in g.row_indices()} == {"O0412"}
    g.add_metric.search = "M1499"
    assert g.add_metric.value == "M1499"
    a = ActualsEntry(eng)
    a.metric_box.search = "M0777"
    assert a.metric_box.value == "M0777"
    assert a.metric_box.search.startswith("M0777 — Metric M0777")
    t = TargetSetter(eng)
    t.picker.search = "O0412 / M0825"
    i = t.picker.value
    assert (t.work.at[i, "objective_id"], t.work.at[i, "metric_id"]) == ("O0412", "M0825")


def test_parent_that_would_loop_says_why_it_is_missing(client: Path) -> None:
    ed = ObjectivesEditor(load_engagement(client))
    ed.picker.value = "O-01"
    offered = [v for _l, v in ed.parent_box.options]
    assert "O-03" not in offered  # O-03 sits under O-01
    ed.parent_box.search = "O-03"
    assert "would make a loop" in ed.parent_box.hint.value
    assert "O-03" in ed.parent_box.hint.value
    ed.parent_box.search = "O-01"
    assert "cannot be its own parent" in ed.parent_box.hint.value


def test_cascade_gaps_are_paged(big_client: Path) -> None:
    c = CascadeLinker(load_engagement(big_client))
    n = len(c.gap_list)
    assert n > GAP_PAGE
    assert c.gaps.value.count("<li>") == GAP_PAGE
    assert f"({n} gaps)" in c.gap_label.value
    last = -(-n // GAP_PAGE) - 1
    c.set_gap_page(99)
    assert c.gap_page == last
    assert c.gaps.value.count("<li>") == n - last * GAP_PAGE
    assert c.gap_next.disabled


def test_a_save_keeps_the_objective_and_the_filters(client: Path) -> None:
    ed = ObjectivesEditor(load_engagement(client))
    ed.picker.value = "O-03"
    ed.owner_box.value = "Cy Diaz"
    assert ed.save() is True, ed.message.value
    assert ed.picker.value == "O-03"
    assert ed.owner_box.value == "Cy Diaz"
    g = RaciGrid(load_engagement(client))
    g.filter_box.value = "O-0"
    g.unit_box.value = "U-A"
    cell = g.dropdowns[("O-02", "S-2")]
    cell.value = "R/A"
    assert g.save() is True, g.message.value
    assert g.filter_box.value == "O-0"
    assert g.unit_box.value == "U-A"
    assert g.dropdowns[("O-02", "S-2")].value == "R/A"
    s = ScoringGrid(load_engagement(client))
    s.objective.value = "O-02"
    next(iter(s.sliders.values())).value = 1
    assert s.save() is True, s.message.value
    assert s.objective.value == "O-02"


def test_the_target_chart_sits_below_the_inputs(client: Path) -> None:
    t = TargetSetter(load_engagement(client))
    body = list(t.body.children)
    form = next(w for w in body if t.boxes["target"] in getattr(w, "children", ()))
    assert body.index(t.chart) > body.index(form)  # not beside: a wide chart cannot cover a box
    assert t.chart.layout.overflow == "auto"
    assert t.chart.layout.max_width == "100%"
