"""The cascade linker: link each objective to its parent and unit, with only valid choices.

The parent dropdown offers :func:`kpikit.engine.cascade.valid_parents` (no cycles; the
parent's unit is the objective's or above it) and the unit dropdown
:func:`kpikit.engine.cascade.valid_units` (a unit under the parent's, above the children's),
both recomputed from the links as edited. The gap list (objectives serving no pillar,
links to the wrong unit, units with no objective) is redrawn from the engine's
findings after every change. Link changes are logged in ``changes.csv`` on Save.
"""

from __future__ import annotations

import html
import math
import os
from typing import Any

import ipywidgets as widgets

from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.editors.base import editor_or_summary, id_options, with_tables
from kpikit.editors.objectives import NONE, ObjectiveForm, keep_current
from kpikit.engine import cascade, smart
from kpikit.engine.findings import Finding, sort_findings

GAP_CODES = ("OBJECTIVE_UNALIGNED", "CASCADE_WRONG_UNIT", "UNIT_NO_OBJECTIVE")
GAP_PAGE = 15
"""Gaps listed per page (a large client has hundreds; Save stays within reach)."""


def cascade_gaps(eng: Engagement) -> list[Finding]:
    """The alignment gaps of the cascade, from the engine (SMART's unaligned rule + cascade's)."""
    structure_only = with_tables(eng, kpis=eng.kpis.iloc[0:0])  # KPIs play no part in these codes
    found = [f for f in smart.findings(structure_only) if f.code == "OBJECTIVE_UNALIGNED"]
    found += cascade.findings(eng)
    return sort_findings([f for f in found if f.code in GAP_CODES])


class CascadeLinker(ObjectiveForm):
    """Parent, unit and pillar of one objective at a time, and the gaps they leave."""

    heading = "Cascade linker"

    def build(self) -> None:
        eng = self.eng
        self.start_form(id_options(zip(eng.objectives["id"], eng.objectives["title"], strict=True)))
        self.unit_names = {str(u): cell_text(n) for u, n in zip(eng.org_units["id"], eng.org_units["name"], strict=True)}
        wide = widgets.Layout(width="80%")
        self.parent_box = self.parent_picker("(none: top level)")
        self.unit_box = widgets.Dropdown(description="Unit", layout=wide)
        self.gaps = widgets.HTML()
        self.gaps.add_class("kpikit-gaps")
        self.gap_page = 0
        self.gap_list: list[Finding] = []
        self.gap_label = widgets.HTML()
        self.gap_prev = widgets.Button(description="◀ gaps", layout=widgets.Layout(width="90px"))
        self.gap_next = widgets.Button(description="gaps ▶", layout=widgets.Layout(width="90px"))
        self.gap_prev.on_click(lambda _b: self.set_gap_page(self.gap_page - 1))
        self.gap_next.on_click(lambda _b: self.set_gap_page(self.gap_page + 1))
        for name, box in (("parent_id", self.parent_box), ("org_unit_id", self.unit_box), ("pillar_id", self.pillar_box)):
            box.observe(lambda change, name=name: self.link_changed(name, change["new"]), names="value")
        self.body.children = [self.picker, self.parent_box, self.unit_box, self.pillar_box,
                              widgets.HBox([widgets.HTML("<b>Alignment gaps</b>"), self.gap_prev, self.gap_next, self.gap_label]),
                              self.gaps]
        self.load_form()

    def load_form(self) -> None:
        """Fill the dropdowns for the chosen objective with the choices the engine allows."""
        i = self.current_index()
        if i is None:
            self.refresh_gaps()
            return
        oid = str(self.work.at[i, "id"])
        view = self.view()
        titles = {str(o): cell_text(t) for o, t in zip(self.work["id"], self.work["title"], strict=True)}
        self._loading = True
        try:
            parents = [("(none: top level)", NONE),
                       *id_options(((p, titles.get(p, "")) for p in cascade.valid_parents(view, oid)), 50)]
            units = [(f"{u} — {self.unit_names.get(u, '')}", u) for u in cascade.valid_units(view, oid)]
            now = {f: cell_text(self.work.at[i, f]) for f in ("parent_id", "org_unit_id", "pillar_id")}
            for box, opts, key in ((self.parent_box, parents, "parent_id"), (self.unit_box, units, "org_unit_id")):
                box.options = keep_current(opts, now[key])
                box.value = now[key]
            self.pillar_box.value = now["pillar_id"] if now["pillar_id"] in [v for _l, v in self.pillar_box.options] else NONE
        finally:
            self._loading = False
        self.refresh_gaps()

    def link_changed(self, name: str, value: object) -> None:
        i = self.edited_row()
        if i is None:
            return
        self.work.at[i, name] = str(value) if value else math.nan
        self.mark_dirty()
        self.load_form()  # a new unit changes the valid parents, a new parent the valid units

    def refresh_gaps(self) -> None:
        try:
            self.gap_list = cascade_gaps(self.view())
        except (KeyError, ValueError) as exc:
            self.gap_list = []
            self.gaps.value = f"<i>Cannot check the cascade: {html.escape(str(exc))}</i>"
            return
        self.set_gap_page(self.gap_page)

    def set_gap_page(self, page: int) -> None:
        """Show one page of the gap list (the objective on screen's own gaps first)."""
        gaps = self.gap_list
        pages = max(1, -(-len(gaps) // GAP_PAGE))
        self.gap_page = min(max(page, 0), pages - 1)
        self.gap_prev.disabled = self.gap_page == 0
        self.gap_next.disabled = self.gap_page >= pages - 1
        if not gaps:
            self.gap_label.value = ""
            self.gaps.value = "<span style='color:#1a5e20'>No alignment gaps.</span>"
            return
        self.gap_label.value = f"page {self.gap_page + 1} of {pages} ({len(gaps)} gaps)"
        here = str(self.picker.value or "")
        ordered = [f for f in gaps if f.item_id == here] + [f for f in gaps if f.item_id != here]
        shown = ordered[self.gap_page * GAP_PAGE:(self.gap_page + 1) * GAP_PAGE]
        items = "".join(f"<li><b>{html.escape(f.code)}</b> {html.escape(f.item_id)}: {html.escape(f.message)}</li>" for f in shown)
        self.gaps.value = f"<ul>{items}</ul>"

def _summary(eng: Engagement) -> list[str]:
    gaps = cascade_gaps(eng)
    counts: dict[str, int] = {}
    for f in gaps:
        counts[f.code] = counts.get(f.code, 0) + 1
    return [f"{len(eng.objectives)} objectives over {len(eng.org_units)} units; gaps: "
            + (", ".join(f"{n} {c}" for c, n in counts.items()) or "none")]


def cascade_linker(eng: Engagement | str | os.PathLike[str], keep_backups: int | None = None) -> Any:
    """The cascade linker (a widget), or a static summary when unattended."""
    return editor_or_summary(eng, lambda e: CascadeLinker(e, keep_backups), "Cascade linker", _summary)
