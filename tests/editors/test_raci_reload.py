"""The RACI grid keeps the consultant's place: filters, people and pages stay after a save and after Reload.

On a 1,500-item, 200-person client the consultant narrows the grid (items filter, a unit or
everyone, a person search, a page of items, a page of people); losing that on every save or
every Reload (issue 12 item 4) means finding the row again in front of the client.
"""

from __future__ import annotations

from pathlib import Path

from ipywidgets.widgets import widget

from kpikit.data.store import load_engagement
from kpikit.editors.raci import EVERYONE, RaciGrid


def _place(g: RaciGrid) -> tuple[object, ...]:
    return (g.filter_box.value, g.gaps_only.value, g.unit_box.value, g.person_search.value, g.page, g.people_page,
            [i for i, *_ in g.shown_items], list(g.shown_people), g.page_label.value, g.people_label.value)


def _narrowed(folder: Path) -> RaciGrid:
    g = RaciGrid(load_engagement(folder))
    g.filter_box.value = "O0"
    g.set_page(3)
    g.unit_box.value = EVERYONE
    g.person_search.value = "person 1"
    g.set_people_page(1)
    assert g.page == 3
    assert g.people_page == 1
    assert "page 4 of" in g.page_label.value
    return g


def test_a_save_keeps_filters_and_pages(big_client: Path) -> None:
    g = _narrowed(big_client)
    before = _place(g)
    item, person = g.shown_items[0][0], g.shown_people[0]
    new = "C" if g.dropdowns[(item, person)].value != "C" else "I"
    g.dropdowns[(item, person)].value = new
    assert g.save(), g.message.value
    assert _place(g) == before
    assert g.dropdowns[(item, person)].value == new
    assert g.cells[(item, person)] == new


def test_reload_keeps_filters_and_pages_and_shows_their_change(big_client: Path) -> None:
    g = _narrowed(big_client)
    before = _place(g)
    item, person = g.shown_items[1][0], g.shown_people[2]
    theirs = "I" if g.dropdowns[(item, person)].value != "I" else "C"
    other = RaciGrid(load_engagement(big_client))  # a colleague's notebook on the same folder
    other.cells[(item, person)] = theirs
    other.mark_dirty()
    assert other.save(), other.message.value

    widgets_before = len(widget._instances)
    g.reload()
    assert _place(g) == before, "Reload lost the filters or the page"
    assert g.dropdowns[(item, person)].value == theirs
    assert "Reloaded" in g.message.value
    grown = len(widget._instances) - widgets_before
    assert grown < 20, f"Reload rebuilt the grid ({grown} new widgets)"


def test_reload_keeps_our_unsaved_cell_and_the_place(big_client: Path) -> None:
    g = _narrowed(big_client)
    before = _place(g)
    mine_key = (g.shown_items[0][0], g.shown_people[0])
    mine = "R" if g.dropdowns[mine_key].value != "R" else "I"
    g.dropdowns[mine_key].value = mine
    theirs_key = (g.shown_items[2][0], g.shown_people[1])
    other = RaciGrid(load_engagement(big_client))
    other.cells[theirs_key] = "A"
    other.mark_dirty()
    assert other.save(), other.message.value

    g.reload()
    assert _place(g) == before
    assert g.dropdowns[mine_key].value == mine, "our unsaved edit was lost"
    assert g.dropdowns[theirs_key].value == "A"
    assert "unsaved" in g.dirty_label.value
    assert g.save(), g.message.value  # and it saves on top of theirs
    assert _place(g) == before
    fresh = RaciGrid(load_engagement(big_client))
    assert fresh.cells.get(mine_key) == mine
    assert fresh.cells.get(theirs_key) == "A"
