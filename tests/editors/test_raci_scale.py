"""The RACI grid at the benchmark client's size (500 objectives, 1,000 KPI metrics, 200 people).

The grid must show a page of items by a handful of people, let the consultant find
people by unit or search, and page and save without rebuilding its widgets.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from ipywidgets.widgets import widget

from kpikit.data.store import load_engagement
from kpikit.editors.raci import COLUMNS, EVERYONE, PAGE, RaciGrid


def _widget_count() -> int:
    return len(widget._instances)


def test_grid_at_benchmark_size_is_one_page_by_a_few_people(big_client: Path) -> None:
    eng = load_engagement(big_client)
    g = RaciGrid(eng)  # its speed: benchmarks/bench_editors.py, docs/workshop-latency.md
    assert "1500 items" in g.page_label.value
    assert "page 1 of 125" in g.page_label.value
    assert len(g.grid.children) == 1 + PAGE
    shown = g.shown_people
    assert 0 < len(shown) <= COLUMNS
    # the people shown are those holding a letter on the page's items (not all 200)
    raci = eng.raci
    on_page = {str(i) for i, *_ in g.shown_items}
    holders = set(raci[raci["item_id"].isin(on_page)]["stakeholder_id"])
    assert set(shown) <= holders
    assert len(g.dropdowns) == len(g.shown_items) * len(shown) <= PAGE * COLUMNS


def test_paging_and_people_filters_reuse_the_widgets(big_client: Path) -> None:
    g = RaciGrid(load_engagement(big_client))
    before = _widget_count()
    g.set_page(40)
    assert "page 41 of 125" in g.page_label.value
    assert g.shown_items[0][0] == "O0480"
    g.unit_box.value = "U007"
    assert g.shown_people
    assert all(g.unit_of[p] == "U007" for p in g.shown_people)
    g.unit_box.value = EVERYONE
    assert "of 200" in g.people_label.value
    g.set_people_page(19)
    assert g.shown_people == [f"S{n:03d}" for n in range(190, 200)]
    g.person_search.value = "person 19"
    assert g.shown_people[0] == "S019"
    assert all("19" in p for p in g.shown_people)
    g.filter_box.value = "O0412"
    assert [i for i, *_ in g.shown_items] == ["O0412"]
    assert _widget_count() == before, "paging and filtering must not create widgets"


def test_every_letter_is_offered_and_a_save_refreshes_in_place(big_client: Path) -> None:
    g = RaciGrid(load_engagement(big_client))
    g.filter_box.value = "O0412"
    g.unit_box.value = EVERYONE
    g.person_search.value = "S150"
    assert g.shown_people == ["S150"]
    cell = g.dropdowns[("O0412", "S150")]
    assert [v for _l, v in cell.options][:5] == ["", "R", "A", "C", "I"]
    cell.value = "C"
    g.rationale.value = "finance signs off"
    before = _widget_count()
    assert g.save() is True, g.message.value  # its speed: benchmarks/bench_editors.py
    assert _widget_count() == before, "a save must refresh the grid, not rebuild it"
    # the place is kept: same filters, same person, the new letter shown
    assert g.filter_box.value == "O0412"
    assert g.unit_box.value == EVERYONE
    assert g.person_search.value == "S150"
    assert g.dropdowns[("O0412", "S150")].value == "C"
    raci = pd.read_csv(big_client / "raci.csv")
    assert (("O0412", "S150", "C") in set(map(tuple, raci.to_numpy().tolist())))
    log = pd.read_csv(big_client / "changes.csv")
    assert list(log["item_id"]) == ["O0412"]
    assert "S150" in log["change"].iloc[0]
    assert "(none) -> C" in log["change"].iloc[0]
    assert log["rationale"].iloc[0] == "finance signs off"


def test_gaps_are_counted_and_paged_not_listed_in_full(big_client: Path) -> None:
    g = RaciGrid(load_engagement(big_client))
    g.unit_box.value = EVERYONE
    for i, *_ in g.shown_items:  # take every A off the first page's items
        for p in g.people:
            if "A" in g.cells.get((i, p), ""):
                g.cells[(i, p)] = ""
    g.refresh_gaps()
    assert f"{PAGE} items without exactly one A" in g.gaps.value
    assert g.gaps.value.count("<li>") == PAGE
    g.gaps_only.value = True
    assert f"({PAGE} items)" in g.page_label.value
    # the grid's own gap rule agrees with the engine's
    from kpikit.engine import stakeholders

    acc = stakeholders.accountability(g.check_view())
    assert set(acc[~acc["ok"]]["item_id"]) == set(g.gap_items())
