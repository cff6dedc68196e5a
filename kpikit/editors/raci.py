"""The RACI grid: items x stakeholders, one R/A/C/I dropdown per cell, gaps shown live.

Built for a client of hundreds of items and hundreds of people: the grid shows a page of
:data:`PAGE` items (filtered by ID or name, or only the items with an accountability gap)
and at most :data:`COLUMNS` people at a time: by default the people who already hold a
letter on the page's items, or everyone of a unit, or whoever a search finds (name or
ID). The cell widgets are a fixed pool created once; paging and filtering only change
their values, and a save refreshes them in place, keeping the page and the filters.

A cell holds the person's letters for the item (``R/A`` when one person is both).
After each change the accountability gaps
(:func:`kpikit.engine.stakeholders.accountability`: exactly one ``A`` per item) are redrawn.
Saving rewrites ``raci.csv`` keeping the rows that did not change, in their order, and
logs one decision-log row per changed cell.
"""

from __future__ import annotations

import html
import os
from typing import Any

import ipywidgets as widgets
import pandas as pd

from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.data.schema import RACI_LETTERS
from kpikit.editors.base import Change, EditorBox, editor_or_summary, with_tables
from kpikit.engine import stakeholders
from kpikit.text import plural

PAGE = 12
"""Items per page of the grid."""
COLUMNS = 10
"""People shown side by side at most (more: page through them)."""
GAPS_SHOWN = 12
"""Accountability gaps listed by name (the rest are counted; 'only items with a gap' pages through them)."""
LABEL_WIDTH, CELL_WIDTH = "300px", "74px"
ON_PAGE, EVERYONE = "", "*"
"""People-box values: the people holding a letter on the shown items; everyone."""


def _fixed(width: str) -> widgets.Layout:
    """A layout that keeps its width in a crowded row (no flex shrinking)."""
    return widgets.Layout(width=width, min_width=width, flex="0 0 auto")


def letters_of(cell: str) -> list[str]:
    """'R/A' -> ['R', 'A'] in RACI order; '' -> []."""
    parts = {p.strip().upper() for p in cell.split("/") if p.strip()}
    return [x for x in RACI_LETTERS if x in parts]


def combo_order(value: str) -> tuple[int, list[int]]:
    """Sort key of a cell value: single letters first, in RACI order."""
    return len(value), [RACI_LETTERS.index(x) for x in letters_of(value)]


def cells_of(raci: pd.DataFrame) -> dict[tuple[str, str], str]:
    """raci.csv as ``{(item, person): 'R/A'}`` (one pass over the rows)."""
    got: dict[tuple[str, str], set[str]] = {}
    for i, p, r in zip(raci["item_id"], raci["stakeholder_id"], raci["raci"], strict=True):
        got.setdefault((str(i), str(p)), set()).add(str(r).strip().upper())
    return {k: "/".join(x for x in RACI_LETTERS if x in v) for k, v in got.items()}


class RaciGrid(EditorBox):
    """Dropdowns for who is Responsible, Accountable, Consulted, Informed; a page of items by a few people."""

    heading = "RACI grid"

    def build(self) -> None:
        """The widgets, once; :meth:`load_state` fills them from the saved files.

        Called again (Reload, a reload that keeps unsaved edits), it only refreshes the cells
        in place: the items filter, the people unit and search, and both pages stay.
        """
        if getattr(self, "pool", None):
            self.load_state()
            return
        self._loading = False
        self.page = 0
        self.people_page = 0
        self.filter_box = widgets.Text(description="Items", placeholder="item ID or name", continuous_update=True)
        self.gaps_only = widgets.Checkbox(description="only items with a gap", indent=False, value=False)
        self.unit_box = widgets.Dropdown(description="People", layout=widgets.Layout(width="340px"))
        self.person_search = widgets.Text(placeholder="search a person (name or ID)", continuous_update=True)
        for w in (self.filter_box, self.gaps_only):  # a refresh (load_state) sets them back: no page reset then
            w.observe(lambda _c: None if self._loading else self.set_page(0), names="value")
        for w in (self.unit_box, self.person_search):
            w.observe(lambda _c: None if self._loading else self.set_people_page(0), names="value")
        self.prev_button = widgets.Button(description="◀ Previous", tooltip="previous page of items")
        self.next_button = widgets.Button(description="Next ▶", tooltip="next page of items")
        self.prev_button.on_click(lambda _b: self.set_page(self.page - 1))
        self.next_button.on_click(lambda _b: self.set_page(self.page + 1))
        self.prev_people = widgets.Button(description="◀ people", layout=widgets.Layout(width="90px"))
        self.next_people = widgets.Button(description="people ▶", layout=widgets.Layout(width="90px"))
        self.prev_people.on_click(lambda _b: self.set_people_page(self.people_page - 1))
        self.next_people.on_click(lambda _b: self.set_people_page(self.people_page + 1))
        self.page_label = widgets.HTML()
        self.page_label.add_class("kpikit-raci-page")
        self.filter_box.add_class("kpikit-raci-filter")
        self.people_label = widgets.HTML()
        self.corner = widgets.HTML("<b>Item</b>", layout=_fixed(LABEL_WIDTH))
        self.heads = [widgets.HTML(layout=_fixed(CELL_WIDTH)) for _ in range(COLUMNS)]
        self.labels = [widgets.HTML(layout=_fixed(LABEL_WIDTH)) for _ in range(PAGE)]
        self.pool: list[list[Any]] = []
        for r in range(PAGE):
            row = []
            for c in range(COLUMNS):
                d = widgets.Dropdown(options=[("", "")], value="", layout=_fixed(CELL_WIDTH))
                d.add_class("kpikit-raci-cell")
                d.observe(lambda change, r=r, c=c: self.cell_changed(r, c, change["new"]), names="value")
                row.append(d)
            self.pool.append(row)
        self.head_row = widgets.HBox()
        self.rows = [widgets.HBox() for _ in range(PAGE)]
        self.grid = widgets.VBox(layout=widgets.Layout(overflow="auto"))
        self.gaps = widgets.HTML()
        self.gaps.add_class("kpikit-gaps")
        self.shown_items: list[tuple[str, str, str]] = []
        self.shown_people: list[str] = []
        self.body.children = [
            widgets.HBox([self.filter_box, self.gaps_only, self.prev_button, self.next_button, self.page_label]),
            widgets.HBox([self.unit_box, self.person_search, self.prev_people, self.next_people, self.people_label]),
            self.grid, widgets.HTML("<b>Accountability gaps</b>"), self.gaps,
        ]
        self.load_state()

    def load_state(self) -> None:
        """Items, people and cells from the last-saved engagement; the page and filters stay."""
        eng = self.eng
        base = stakeholders.items(eng)
        known = set(base["item_id"])
        extra = [i for i in dict.fromkeys(str(x) for x in eng.raci["item_id"]) if i not in known]
        titles = {str(o): cell_text(t) for o, t in zip(eng.objectives["id"], eng.objectives["title"], strict=True)}
        names = {str(m): cell_text(n) for m, n in zip(eng.metrics["id"], eng.metrics["name"], strict=True)}
        self.items = [(str(i), str(k), cell_text(n)) for i, k, n in zip(base["item_id"], base["kind"], base["name"], strict=True)]
        self.items += [(i, "objective" if i in titles else "metric", titles.get(i, names.get(i, i))) for i in extra]
        s = eng.stakeholders
        self.people = [str(p) for p in s["id"]]
        self.names = stakeholders.people_names(eng)
        self.unit_of = {str(p): cell_text(u) for p, u in zip(s["id"], s["org_unit_id"], strict=True)} if "org_unit_id" in s else {}
        self.saved: dict[tuple[str, str], str] = cells_of(eng.raci)
        self.cells: dict[tuple[str, str], str] = dict(self.saved)
        combos = {v for v in self.cells.values() if v} | set(RACI_LETTERS) | {"R/A"}
        self.choices = [("", ""), *((c, c) for c in sorted(combos, key=combo_order))]
        self.holders: dict[str, list[str]] = {}
        for (i, p), v in self.cells.items():
            if v:
                self.holders.setdefault(i, []).append(p)
        units = {str(u): cell_text(n) for u, n in zip(eng.org_units["id"], eng.org_units["name"], strict=True)}
        count: dict[str, int] = {}
        for p in self.people:
            count[self.unit_of.get(p, "")] = count.get(self.unit_of.get(p, ""), 0) + 1
        options = [("holding a letter on these items", ON_PAGE), (f"everyone ({len(self.people)})", EVERYONE)]
        options += [(f"{u} — {n} ({count[u]})", u) for u, n in units.items() if count.get(u)]
        keep = self.unit_box.value
        self._loading = True
        try:
            self.unit_box.options = options
            self.unit_box.value = keep if keep in [v for _l, v in options] else ON_PAGE
            for row in self.pool:
                for d in row:
                    d.options = self.choices
        finally:
            self._loading = False
        self.set_page(self.page)

    # -- what is shown ----------------------------------------------------------------------
    def visible_items(self) -> list[tuple[str, str, str]]:
        q = self.filter_box.value.strip().lower()
        out = [it for it in self.items if not q or q in it[0].lower() or q in it[2].lower()]
        if self.gaps_only.value:
            bad = set(self.gap_items())
            out = [it for it in out if it[0] in bad]
        return out

    def candidate_people(self) -> list[str]:
        """The people the unit box and search allow, in stakeholders.csv order."""
        scope = self.unit_box.value
        q = self.person_search.value.strip().lower()
        if scope == ON_PAGE and not q:
            on = {p for it in self.shown_items for p in self.holders.get(it[0], [])}
            return [p for p in self.people if p in on]
        pool = self.people if scope in (ON_PAGE, EVERYONE) else [p for p in self.people if self.unit_of.get(p) == scope]
        return [p for p in pool if not q or q in p.lower() or q in self.names.get(p, "").lower()]

    def set_page(self, page: int) -> None:
        """Show a page of items (the people follow: those on the page, unless a unit or search is chosen)."""
        items = self.visible_items()
        pages = max(1, -(-len(items) // PAGE))
        self.page = min(max(page, 0), pages - 1)
        self.shown_items = items[self.page * PAGE:(self.page + 1) * PAGE]
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1
        for n, (item_id, kind, name) in enumerate(self.shown_items):
            short = name if len(name) <= 48 else name[:47] + "…"
            self.labels[n].value = (f"<div style='line-height:1.25' title='{html.escape(name, quote=True)}'>{html.escape(item_id)} "
                                    f"<small>({kind})</small><br><small>{html.escape(short)}</small></div>")
        self.set_people_page(self.people_page if self.unit_box.value != ON_PAGE else 0, refresh_items=True)
        # last, so the label never names a page the grid does not show yet (its rows change in many messages)
        self.page_label.value = f"page {self.page + 1} of {pages} ({plural(len(items), 'item')})"

    def set_people_page(self, page: int, refresh_items: bool = False) -> None:
        people = self.candidate_people()
        pages = max(1, -(-len(people) // COLUMNS))
        self.people_page = min(max(page, 0), pages - 1)
        self.shown_people = people[self.people_page * COLUMNS:(self.people_page + 1) * COLUMNS]
        self.prev_people.disabled = self.people_page == 0
        self.next_people.disabled = self.people_page >= pages - 1
        first = self.people_page * COLUMNS
        self.people_label.value = (f"people {first + 1}–{first + len(self.shown_people)} of {len(people)}" if people
                                   else "<i>nobody holds a letter on these items yet: choose 'everyone', a unit, or search</i>")
        for c, p in enumerate(self.shown_people):
            name = self.names.get(p, p)
            self.heads[c].value = (f"<div title='{html.escape(f'{p} {name}', quote=True)}' style='line-height:1.2'>"
                                   f"<b>{html.escape(p)}</b><br><small>{html.escape(name[:10])}</small></div>")
        self._loading = True
        try:
            for r, it in enumerate(self.shown_items):
                for c, p in enumerate(self.shown_people):
                    d = self.pool[r][c]
                    value = self.cells.get((it[0], p), "")
                    if value not in [v for _l, v in d.options]:
                        d.options = [*self.choices, (value, value)]
                    d.value = value
                    d.tooltip = f"{self.names.get(p, p)} for {it[0]}"
        finally:
            self._loading = False
        n_cols = len(self.shown_people)
        self.head_row.children = [self.corner, *self.heads[:n_cols]]
        for r in range(len(self.shown_items)):
            self.rows[r].children = [self.labels[r], *self.pool[r][:n_cols]]
        self.grid.children = [self.head_row, *self.rows[:len(self.shown_items)]]
        if refresh_items:
            self.refresh_gaps()

    @property
    def dropdowns(self) -> dict[tuple[str, str], Any]:
        """The cell widgets on screen, by (item, person)."""
        return {(it[0], p): self.pool[r][c] for r, it in enumerate(self.shown_items) for c, p in enumerate(self.shown_people)}

    def cell_changed(self, r: int, c: int, value: object) -> None:
        if self._loading or r >= len(self.shown_items) or c >= len(self.shown_people):
            return
        key = (self.shown_items[r][0], self.shown_people[c])
        self.cells[key] = str(value or "")
        self.mark_dirty()
        self.refresh_gaps()

    # -- the table and its gaps ----------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """raci.csv as the grid says: unchanged rows kept in order, new ones appended."""
        raci = self.eng.raci
        wanted = {(i, p, x) for (i, p), v in self.cells.items() for x in letters_of(v)}
        keep = [(str(i), str(p), str(r)) in wanted for i, p, r in zip(raci["item_id"], raci["stakeholder_id"], raci["raci"], strict=True)]
        kept = raci[keep]
        have = {(str(i), str(p), str(r)) for i, p, r in zip(kept["item_id"], kept["stakeholder_id"], kept["raci"], strict=True)}
        order = {it[0]: n for n, it in enumerate(self.items)}
        person = {p: n for n, p in enumerate(self.people)}
        new = sorted(wanted - have, key=lambda t: (order.get(t[0], 0), person.get(t[1], 0), RACI_LETTERS.index(t[2])))
        if not new:
            return kept.reset_index(drop=True)
        add = pd.DataFrame(new, columns=["item_id", "stakeholder_id", "raci"])
        for col in raci.columns:
            if col not in add.columns:
                add[col] = float("nan")
        add = add[list(raci.columns)].astype(raci.dtypes.to_dict())
        return pd.concat([kept, add], ignore_index=True) if len(kept) else add

    def gap_items(self) -> dict[str, str]:
        """Items without exactly one Accountable, as the grid stands: {item: problem}."""
        accountable: dict[str, list[str]] = {}
        for (i, p), v in self.cells.items():
            if "A" in letters_of(v):
                accountable.setdefault(i, []).append(p)
        needed = self.required
        out: dict[str, str] = {}
        for i in (it[0] for it in self.items if it[0] in needed):
            who = accountable.get(i, [])
            if not who:
                out[i] = "no one is Accountable"
            elif len(who) > 1:
                out[i] = f"{len(who)} people are Accountable: {', '.join(self.names.get(p, p) for p in sorted(who, key=self.people.index))}"
        return out

    @property
    def required(self) -> set[str]:
        """Items that need exactly one Accountable (objectives and KPI metrics, as the engine says)."""
        if getattr(self, "_required_for", None) is not self.eng:
            self._required = {str(i) for i in stakeholders.items(self.eng)["item_id"]}
            self._required_for = self.eng
        return self._required

    def refresh_gaps(self) -> None:
        bad = self.gap_items()
        if not bad:
            self.gaps.value = "<span style='color:#1a5e20'>Every objective and KPI metric has exactly one Accountable.</span>"
            return
        kind = {it[0]: it[1] for it in self.items}
        here = [it[0] for it in self.shown_items if it[0] in bad]
        rest = [i for i in bad if i not in here]
        listed = (here + rest)[:GAPS_SHOWN]
        lis = "".join(f"<li>{html.escape(i)} ({html.escape(kind.get(i, ''))}): {html.escape(bad[i])}</li>" for i in listed)
        more = (f"<div>… and {len(bad) - len(listed)} more: tick 'only items with a gap' to page through them.</div>"
                if len(bad) > len(listed) else "")
        self.gaps.value = f"<div>{len(bad)} item{'s' if len(bad) != 1 else ''} without exactly one A:</div><ul>{lis}</ul>{more}"

    def check_view(self) -> Engagement:
        """The engagement with the grid's RACI (the engine's own check, for tests and the save warning)."""
        view = with_tables(self.eng, raci=self.table())
        view.present = view.present | {"raci"}
        return view

    def cell_changes(self) -> list[Change]:
        """One decision-log entry per changed cell: who, what item, old -> new letters."""
        out = []
        for key in sorted(set(self.cells) | set(self.saved), key=lambda k: (k[0], k[1])):
            old, new = self.saved.get(key, ""), self.cells.get(key, "")
            if old != new:
                item, person = key
                out.append(Change(item, f"RACI {person} ({self.names.get(person, person)}): {old or '(none)'} -> {new or '(none)'}",
                                  key=f"{item}|{person}"))
        return out

    def save_warnings(self) -> list[str]:
        """Items this save touched that still lack exactly one Accountable."""
        bad = self.gap_items()
        return [f"{i}: {bad[i]}" for i in dict.fromkeys(c.item_id for c in self.pending) if i in bad]

    def apply(self, draft: Engagement) -> list[Change]:
        draft.tables["raci"] = self.table()
        return self.cell_changes()

    def rebased(self) -> None:
        """Decisions are logged against the files as reloaded (the kept edits stay unsaved)."""
        self.saved = cells_of(self.eng.raci)

    def after_write(self) -> None:
        """After a save: refresh the cells in place (same page, same filters), not a rebuild."""
        self.finish_write()
        self.load_state()


def _summary(eng: Engagement) -> list[str]:
    acc = stakeholders.accountability(eng)
    return [f"{len(eng.raci)} RACI assignments over {len(acc)} items; {int((~acc['ok']).sum())} items without exactly one A."]


def raci_grid(eng: Engagement | str | os.PathLike[str], keep_backups: int | None = None) -> Any:
    """The RACI grid (a widget), or a static summary when unattended."""
    return editor_or_summary(eng, lambda e: RaciGrid(e, keep_backups), "RACI grid", _summary)
