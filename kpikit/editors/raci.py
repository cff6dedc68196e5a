"""The RACI grid: items x stakeholders, one R/A/C/I dropdown per cell, gaps shown live.

Rows are :func:`kpikit.engine.stakeholders.raci_matrix`'s items (objectives, then selected KPI
metrics), a page at a time (a large client has hundreds of cells; each dropdown is a
live widget). A cell holds the person's letters for the item (``R/A`` when one person
is both). After each change the accountability gaps
(:func:`kpikit.engine.stakeholders.accountability`: exactly one ``A`` per item) are redrawn.
Saving rewrites ``raci.csv`` keeping the rows that did not change, in their order.
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

PAGE = 12
"""Items per page of the grid."""
LABEL_WIDTH, CELL_WIDTH = "300px", "62px"


def _fixed(width: str) -> widgets.Layout:
    """A layout that keeps its width in a crowded row (no flex shrinking)."""
    return widgets.Layout(width=width, min_width=width, flex="0 0 auto")


def letters_of(cell: str) -> list[str]:
    """'R/A' -> ['R', 'A'] in RACI order; '' -> []."""
    parts = {p.strip().upper() for p in cell.split("/") if p.strip()}
    return [x for x in RACI_LETTERS if x in parts]


class RaciGrid(EditorBox):
    """Dropdowns for who is Responsible, Accountable, Consulted, Informed."""

    heading = "RACI grid"
    logs_changes = False

    def build(self) -> None:
        eng = self.eng
        matrix = stakeholders.raci_matrix(eng)
        self.people = [str(p) for p in eng.stakeholders["id"]]
        self.names = stakeholders.people_names(eng)
        self.items = [(str(i), str(k), cell_text(n)) for i, k, n in zip(matrix["item_id"], matrix["kind"], matrix["name"], strict=True)]
        self.cells: dict[tuple[str, str], str] = {
            (i, p): cell_text(v) for i, *_ in self.items for p, v in zip(self.people, matrix.loc[matrix["item_id"] == i, self.people].iloc[0], strict=True)
        }
        self.dropdowns: dict[tuple[str, str], Any] = {}
        combos = sorted({v for v in self.cells.values() if v} | {"R/A"}, key=lambda v: (len(v), [RACI_LETTERS.index(x) for x in letters_of(v)]))
        self.choices = [("", "")] + [(c, c) for c in combos]
        self.page = 0
        self.filter_box = widgets.Text(description="Filter", placeholder="item ID or name", continuous_update=False)
        self.filter_box.observe(lambda _c: self.set_page(0), names="value")
        self.prev_button = widgets.Button(description="◀ Previous")
        self.next_button = widgets.Button(description="Next ▶")
        self.prev_button.on_click(lambda _b: self.set_page(self.page - 1))
        self.next_button.on_click(lambda _b: self.set_page(self.page + 1))
        self.page_label = widgets.HTML()
        self.grid = widgets.VBox(layout=widgets.Layout(overflow="auto"))  # many people: scroll sideways
        legend = ", ".join(f"{p} {self.names.get(p, p)}" for p in self.people)
        self.gaps = widgets.HTML()
        self.gaps.add_class("kpikit-gaps")
        self.body.children = [widgets.HBox([self.filter_box, self.prev_button, self.next_button, self.page_label]),
                              widgets.HTML(f"<small>{html.escape(legend)}</small>"),
                              self.grid, widgets.HTML("<b>Accountability gaps</b>"), self.gaps]
        self.set_page(0)

    def visible_items(self) -> list[tuple[str, str, str]]:
        q = self.filter_box.value.strip().lower()
        return [it for it in self.items if not q or q in it[0].lower() or q in it[2].lower()]

    def set_page(self, page: int) -> None:
        items = self.visible_items()
        pages = max(1, -(-len(items) // PAGE))
        self.page = min(max(page, 0), pages - 1)
        shown = items[self.page * PAGE:(self.page + 1) * PAGE]
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= pages - 1
        self.page_label.value = f"page {self.page + 1} of {pages} ({len(items)} items)"
        head = widgets.HBox([widgets.HTML("<b>Item</b>", layout=_fixed(LABEL_WIDTH))]
                            + [widgets.HTML(f"<b title='{html.escape(self.names.get(p, p), quote=True)}'>{html.escape(p)}</b>",
                                            layout=_fixed(CELL_WIDTH)) for p in self.people])
        rows = [head]
        for item_id, kind, name in shown:
            short = name if len(name) <= 48 else name[:47] + "…"
            label = widgets.HTML(f"<div style='line-height:1.25' title='{html.escape(name, quote=True)}'>{html.escape(item_id)} "
                                 f"<small>({kind})</small><br><small>{html.escape(short)}</small></div>",
                                 layout=_fixed(LABEL_WIDTH))
            rows.append(widgets.HBox([label] + [self.dropdown(item_id, p) for p in self.people]))
        self.grid.children = rows
        self.refresh_gaps()

    def dropdown(self, item_id: str, person: str) -> Any:
        key = (item_id, person)
        if key not in self.dropdowns:
            value = self.cells.get(key, "")
            opts = self.choices if value in [v for _l, v in self.choices] else [*self.choices, (value, value)]
            d = widgets.Dropdown(options=opts, value=value, layout=_fixed(CELL_WIDTH),
                                 tooltip=f"{self.names.get(person, person)} for {item_id}")
            d.add_class("kpikit-raci-cell")

            def changed(change: dict[str, Any], key: tuple[str, str] = key) -> None:
                self.cells[key] = str(change["new"] or "")
                self.mark_dirty()
                self.refresh_gaps()

            d.observe(changed, names="value")
            self.dropdowns[key] = d
        return self.dropdowns[key]

    def table(self) -> pd.DataFrame:
        """raci.csv as the grid says: unchanged rows kept in order, new ones appended."""
        raci = self.eng.raci
        wanted = {(i, p, x) for (i, p), v in self.cells.items() for x in letters_of(v)}
        keep = [(str(i), str(p), str(r)) in wanted for i, p, r in zip(raci["item_id"], raci["stakeholder_id"], raci["raci"], strict=True)]
        kept = raci[keep]
        have = {(str(i), str(p), str(r)) for i, p, r in zip(kept["item_id"], kept["stakeholder_id"], kept["raci"], strict=True)}
        order = {it[0]: n for n, it in enumerate(self.items)}
        new = sorted(wanted - have, key=lambda t: (order.get(t[0], 0), self.people.index(t[1]) if t[1] in self.people else 0,
                                                   RACI_LETTERS.index(t[2])))
        if not new:
            return kept.reset_index(drop=True)
        add = pd.DataFrame(new, columns=["item_id", "stakeholder_id", "raci"])
        for col in raci.columns:
            if col not in add.columns:
                add[col] = float("nan")
        add = add[list(raci.columns)].astype(raci.dtypes.to_dict())
        return pd.concat([kept, add], ignore_index=True) if len(kept) else add

    def refresh_gaps(self) -> None:
        view = with_tables(self.eng, raci=self.table())
        view.present = view.present | {"raci"}
        acc = stakeholders.accountability(view)
        bad = acc[~acc["ok"]]
        if bad.empty:
            self.gaps.value = "<span style='color:#1a5e20'>Every objective and KPI metric has exactly one Accountable.</span>"
            return
        lis = "".join(f"<li>{html.escape(str(i))} ({html.escape(str(k))}): {html.escape(str(p))}</li>"
                      for i, k, p in zip(bad["item_id"], bad["kind"], bad["problem"], strict=True))
        self.gaps.value = f"<div>{len(bad)} item{'s' if len(bad) != 1 else ''} without exactly one A:</div><ul>{lis}</ul>"

    def apply(self, draft: Engagement) -> list[Change]:
        draft.tables["raci"] = self.table()
        return []


def _summary(eng: Engagement) -> list[str]:
    acc = stakeholders.accountability(eng)
    return [f"{len(eng.raci)} RACI assignments over {len(acc)} items; {int((~acc['ok']).sum())} items without exactly one A."]


def raci_grid(eng: Engagement | str | os.PathLike[str], keep_backups: int | None = None) -> Any:
    """The RACI grid (a widget), or a static summary when unattended."""
    return editor_or_summary(eng, lambda e: RaciGrid(e, keep_backups), "RACI grid", _summary)
