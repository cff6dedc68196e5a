"""Alignment charts: valid Vega-Lite, the engine's numbers, and sizes that grow with the client."""

from __future__ import annotations

from typing import Any

import pytest
from enginebuild import big, build, kpi, metric, obj, person
from support import DEMO

from kpikit.charts import alignment
from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement
from kpikit.engine import scoring


@pytest.fixture(scope="module")
def demo() -> Engagement:
    return load_engagement(DEMO)


@pytest.fixture(scope="module")
def large() -> Engagement:
    return big(n_objectives=130, n_metrics=200, n_people=40, title_prefix="<b>&</b> ")


def _layer_data(spec: dict[str, Any], i: int) -> list[dict[str, Any]]:
    """The inline rows of layer ``i`` (altair puts data in ``datasets``; shared data at the top)."""
    name = spec["layer"][i].get("data", spec.get("data"))["name"]
    rows: list[dict[str, Any]] = spec["datasets"][name]
    return rows


def test_cascade_tree_shows_every_objective_pillar_and_the_wrong_unit_link(demo: Engagement) -> None:
    spec = alignment.cascade_tree(demo).to_dict()
    nodes = _layer_data(spec, 1)
    assert len(nodes) == 20
    by_id = {n["objective_id"]: n for n in nodes}
    assert by_id["OBJ-20"]["pillar"] == "Safe, high-quality care"   # inherited via OBJ-11 -> OBJ-01
    assert by_id["OBJ-17"]["pillar"] == "No pillar"
    assert by_id["OBJ-19"]["label"].startswith("OBJ-19  Cut average time-to-fill")
    segments = _layer_data(spec, 0)
    wrong = {s["objective_id"] for s in segments if s["link"] == "wrong unit"}
    assert wrong == {"OBJ-19"}
    assert len(segments) == 2 * 14  # 20 objectives, 6 at the top: 14 links, two segments (down, across) each
    assert spec["height"] == alignment.ROW_PX * 20


def test_cascade_tree_for_one_pillar(demo: Engagement) -> None:
    spec = alignment.cascade_tree(demo, pillar_id="P4").to_dict()
    nodes = _layer_data(spec, 1)
    assert [n["objective_id"] for n in nodes] == ["OBJ-04", "OBJ-09", "OBJ-18", "OBJ-13"]
    assert [n["y"] for n in nodes] == [0.0, 1.0, 2.0, 3.0]
    assert len(_layer_data(spec, 0)) == 2 * 3
    assert spec["height"] == max(100, alignment.ROW_PX * 4)


def test_scoring_heatmap_marks_selected_pairings(demo: Engagement) -> None:
    spec = alignment.scoring_heatmap(demo).to_dict()
    cells = {(c["objective_id"], c["metric_id"]): c for c in _layer_data(spec, 0)}
    assert len(cells) == 44
    assert cells["OBJ-04", "M-AGENCY"]["score_text"] == "2.90"
    assert cells["OBJ-04", "M-AGENCY"]["selected"] is True
    assert cells["OBJ-02", "M-ED-D2P"]["status"] == "not selected, recommended"
    only = alignment.scoring_heatmap(demo, objective_ids=["OBJ-01"]).to_dict()
    assert {c["objective_id"] for c in _layer_data(only, 0)} == {"OBJ-01"}


def test_raci_chart_flags_accountability_gaps_in_labels(demo: Engagement) -> None:
    spec = alignment.raci_chart(demo).to_dict()
    rows = _layer_data(spec, 0)
    labels = {r["item_id"]: r["item"] for r in rows}
    assert labels["OBJ-06"].endswith("[2 Accountable]")
    assert labels["M-BCMA-UNITS"].endswith("[no Accountable]")
    assert not labels["OBJ-01"].endswith("]")
    ar = [r for r in rows if r["item_id"] == "M-AR-DAYS" and r["letters"] == "R/A"]
    assert ar[0]["role_word"] == "Accountable"  # R and A together count as A


def test_influence_map_groups_people_at_the_same_point(demo: Engagement) -> None:
    spec = alignment.influence_map(demo).to_dict()
    groups = next(rows for name, rows in spec["datasets"].items() if rows and "people" in rows[0])
    at = {(g["influence"], g["support"]): g for g in groups}
    assert at[3.0, 4.0]["count"] == 4
    assert at[3.0, 4.0]["label"].split("\n")[0] == "Dr. Samuel Adeyemi"
    assert at[5.0, 3.0]["quadrant"] == "Manage closely"
    assert sum(g["count"] for g in groups) == 19


def test_influence_map_counts_unrated_people() -> None:
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1")], kpis=[kpi("O1", "M1")],
                stakeholders=[person("S1", "Ann", 4, 4), person("S2", "Bo")])
    spec = alignment.influence_map(eng).to_dict()
    assert "1 stakeholder not rated yet" in spec["title"]["subtitle"]


def test_charts_scale_to_a_big_client(large: Engagement) -> None:
    assert len(large.objectives) == 130
    assert len(large.kpis) == 200
    tree = alignment.cascade_tree(large).to_dict()
    assert tree["height"] == alignment.ROW_PX * 130
    heat = alignment.scoring_heatmap(large).to_dict()
    assert heat["height"] >= alignment.ROW_PX * 100
    # 200 candidate metrics: one column per candidate rank (readable, printable), not per metric
    assert heat["width"] <= 110 * 10
    assert "best first" in heat["title"]["subtitle"]
    (cells,) = heat["datasets"].values()
    assert len(cells) == len(scoring.ranked(large))
    raci = alignment.raci_chart(large).to_dict()
    assert raci["height"] == alignment.ROW_PX * (130 + 200)
    influence = alignment.influence_map(large).to_dict()
    assert (influence.get("width") or influence["vconcat"][0]["width"]) > 0  # with a key under the map: a vconcat


def test_a_chart_renders_to_svg_with_user_text_escaped(large: Engagement) -> None:
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(alignment.cascade_tree(large).to_dict())
    assert svg.lstrip().startswith("<svg")
    assert "Objective cascade" in svg
    assert "&lt;b&gt;&amp;&lt;/b&gt; Raise group result 0" in svg  # a title's markup shows as text
    assert "<b>" not in svg


def test_everything_runs_before_the_optional_steps() -> None:
    """A fresh engagement (objectives only, or none yet) gives empty tables and empty charts, not errors."""
    from kpikit.engine import cascade, scoring, smart
    from kpikit.engine import stakeholders as sh

    for eng in (build(objectives=[obj("O1", pillar="P1")]), build(objectives=[])):
        assert scoring.ranked(eng).empty
        assert scoring.sensitivity(eng).empty
        assert scoring.findings(eng) == []
        assert sh.quadrants(eng).empty
        assert sh.overloaded(eng).empty
        assert len(smart.assess(eng)) == 5 * len(eng.objectives)
        assert len(cascade.layout(eng)) == len(eng.objectives)
        assert cascade.edges(eng).empty
        for builder in (alignment.cascade_tree, alignment.scoring_heatmap, alignment.raci_chart, alignment.influence_map):
            assert "layer" in builder(eng).to_dict()


def test_cascade_legend_shows_the_shape_of_each_pillar_and_many_pillars_stay_distinct() -> None:
    from kpikit.charts import render

    pillars = [{"id": f"P{i:02d}", "name": f"Pillar {i}"} for i in range(25)]
    eng = build(objectives=[obj(f"O{i}", pillar=f"P{i:02d}") for i in range(25)], pillars=pillars)
    points = alignment.cascade_tree(eng).to_dict()["layer"][1]["encoding"]
    colour, shape = points["color"], points["shape"]
    assert shape["scale"]["domain"] == colour["scale"]["domain"]          # one merged legend, not circles only
    assert shape["legend"]["title"] == colour["legend"]["title"] == "Pillar"
    looks = list(zip(colour["scale"]["range"][:25], shape["scale"]["range"][:25], strict=True))
    assert len(set(looks)) == 25                                           # colours repeat after 8; shapes break ties
    svg = render.to_svg(alignment.cascade_tree(eng))
    assert svg.count(">Pillar<") == 1                                       # a single legend titled Pillar
