"""The objectives editor: add, edit or remove an objective and see its SMART verdict live.

As the consultant types a title, :func:`kpikit.engine.smart.assess_title` judges it on every
keystroke (the reason appears under the box); the full SMART assessment
(:func:`kpikit.engine.smart.assess`, all five criteria) is redrawn from the edited objective
as the other fields change. Parent choices come from
:func:`kpikit.engine.cascade.valid_parents` (no cycles, units above). Every added, edited or
removed objective is logged in ``changes.csv`` on Save.
"""

from __future__ import annotations

import html
import math
import os
import re
from typing import Any

import ipywidgets as widgets
import pandas as pd

from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.editors.base import Change, EditorBox, editor_or_summary, id_options, with_tables
from kpikit.editors.picker import SearchPicker
from kpikit.engine import cascade, smart

FIELDS = ("title", "org_unit_id", "parent_id", "pillar_id", "owner", "due", "description")
NONE = ""
"""Dropdown value for 'no parent' / 'no pillar' (stored as a missing cell)."""


def keep_current(options: list[tuple[str, str]], value: str) -> list[tuple[str, str]]:
    """``options`` plus ``value`` marked "not a valid choice" when the engine would not offer it (the link stays visible)."""
    return options if value in [v for _l, v in options] else [*options, (f"{value} (not a valid choice)", value)]


class ObjectiveForm(EditorBox):
    """What the objectives editor and the cascade linker share: one objective at a time from a working copy."""

    def start_form(self, options: list[tuple[str, str]] | None = None) -> None:
        """The working copy of objectives.csv, the objective picker and the pillar dropdown."""
        self.work: pd.DataFrame = self.eng.objectives.copy().reset_index(drop=True)
        self._loading = False
        wide = widgets.Layout(width="80%")
        self.picker = SearchPicker(description="Objective", layout=wide, options=options or [])
        self.picker.observe(lambda _c: self.load_form(), names="value")
        self.pillar_box = widgets.Dropdown(description="Pillar", layout=wide,
                                           options=[("(none)", NONE), *((f"{p.id} — {p.name}", p.id) for p in self.eng.config.pillars)])

    def load_form(self) -> None:
        """Show the chosen objective's fields."""
        raise NotImplementedError

    def parent_picker(self, none_label: str) -> SearchPicker:
        """The parent box: searchable, and saying why an objective asked for is not offered."""
        return SearchPicker(description="Parent", layout=widgets.Layout(width="80%"),
                            options=[(none_label, NONE)], explain=self.why_not_parent,
                            placeholder="type a parent's ID or words")

    def why_not_parent(self, text: str) -> str | None:
        """Why the objective named by ``text`` is not a parent choice (a loop, or a unit not above), or None."""
        i = self.current_index()
        if i is None:
            return None
        ids = {str(o).lower(): str(o) for o in self.work["id"]}
        pid = ids.get(text.split(" — ")[0].strip().lower())
        if pid is None:
            return None
        oid = str(self.work.at[i, "id"])
        if pid == oid:
            return f"{oid} cannot be its own parent"
        children: dict[str, list[str]] = {}
        for o, p in zip(self.work["id"], self.work["parent_id"], strict=True):
            children.setdefault(cell_text(p), []).append(str(o))
        below, stack = set(), [oid]
        while stack:
            for c in children.get(stack.pop(), []):
                if c not in below:
                    below.add(c)
                    stack.append(c)
        if pid in below:
            return f"{pid} is not offered: it sits under {oid} in the cascade, so linking them would make a loop"
        unit = dict(zip(self.work["id"].astype("str"), self.work["org_unit_id"], strict=True))
        return (f"{pid} is not offered: its unit ({cell_text(unit.get(pid))}) is not {oid}'s unit "
                f"({cell_text(unit.get(oid))}) or above it")

    def save_warnings(self) -> list[str]:
        """Edited objectives whose title still fails SMART's Specific test."""
        titles = dict(zip(self.work["id"].astype("str"), self.work["title"], strict=True))
        out = []
        for oid in dict.fromkeys(c.item_id for c in self.pending):
            if oid in titles:
                passed, reason = smart.assess_title(cell_text(titles[oid]))
                if not passed:
                    out.append(f"{oid} is not Specific: {reason}")
        return out

    def place(self) -> object:
        """The objective on screen (kept across a save)."""
        return self.picker.value

    def restore(self, place: object) -> None:
        if place in [v for _l, v in self.picker.options] and place != self.picker.value:
            self.picker.value = place

    def current_index(self) -> int | None:
        """The working-copy row of the objective the picker shows, or None."""
        hits = [i for i, o in enumerate(self.work["id"]) if o == self.picker.value]
        return hits[0] if hits else None

    def edited_row(self) -> int | None:
        """The row a field change edits: None while the form itself is filling the boxes, or with no objective."""
        return None if self._loading else self.current_index()

    def view(self) -> Engagement:
        """The engagement with the edited objectives (for the engine's live checks; never saved)."""
        return with_tables(self.eng, objectives=self.work)

    def apply(self, draft: Engagement) -> list[Change]:
        draft.tables["objectives"] = self.work.copy()
        return objective_changes(self.eng.objectives, self.work)


class ObjectivesEditor(ObjectiveForm):
    """A form over one objective at a time, with the list of objectives to pick from."""

    heading = "Objectives"

    def build(self) -> None:
        eng = self.eng
        self.start_form()
        self.new_button = widgets.Button(description="New objective", icon="plus")
        self.new_button.on_click(lambda _b: self.add_objective())
        self.remove_button = widgets.Button(description="Remove", icon="trash", button_style="danger",
                                            tooltip="remove this objective (Save to make it final)")
        self.remove_button.on_click(lambda _b: self.remove_objective())
        wide = widgets.Layout(width="80%")
        self.id_box = widgets.Text(description="ID", disabled=True)
        self.title_box = widgets.Textarea(description="Title", continuous_update=True, layout=widgets.Layout(width="80%", height="56px"))
        self.title_box.add_class("kpikit-title")
        self.title_verdict = widgets.HTML()
        self.title_verdict.add_class("kpikit-smart-title")
        unit_names = dict(zip(eng.org_units["id"], eng.org_units["name"], strict=True))
        self.unit_box = widgets.Dropdown(description="Unit", options=[(f"{u} — {cell_text(n)}", str(u)) for u, n in unit_names.items()],
                                         layout=wide)
        self.parent_box = self.parent_picker("(none)")
        self.owner_box = widgets.Text(description="Owner")
        self.due_box = widgets.Text(description="Due", placeholder="YYYY-MM-DD")
        self.description_box = widgets.Textarea(description="Description", layout=widgets.Layout(width="80%", height="70px"))
        self.smart_table = widgets.HTML()
        self.smart_table.add_class("kpikit-smart")
        self.boxes: dict[str, Any] = {
            "title": self.title_box, "org_unit_id": self.unit_box, "parent_id": self.parent_box,
            "pillar_id": self.pillar_box, "owner": self.owner_box, "due": self.due_box,
            "description": self.description_box,
        }
        for name, box in self.boxes.items():
            box.observe(lambda change, name=name: self.field_changed(name, change["new"]), names="value")
        self.body.children = [
            widgets.HBox([self.picker, self.new_button, self.remove_button]),
            self.id_box, self.title_box, self.title_verdict, self.unit_box, self.parent_box, self.pillar_box,
            self.owner_box, self.due_box, self.description_box,
            widgets.HTML("<b>SMART assessment</b>"), self.smart_table,
        ]
        self.refresh_picker(str(self.work.at[0, "id"]) if len(self.work) else None)

    # -- form <-> working table ---------------------------------------------------------
    def refresh_picker(self, select: str | None) -> None:
        self._loading = True
        self.picker.options = id_options(zip(self.work["id"], self.work["title"], strict=True))
        self._loading = False
        self.picker.value = select
        self.load_form()

    def load_form(self) -> None:
        if self._loading:
            return
        i = self.current_index()
        self._loading = True
        try:
            for box in (*self.boxes.values(), self.remove_button):
                box.disabled = i is None
            if i is None:
                self.id_box.value = ""
                self.title_verdict.value = self.smart_table.value = ""
                return
            self.id_box.value = str(self.work.at[i, "id"])
            self.parent_box.options = self.parent_options(i)
            for name, box in self.boxes.items():
                value = cell_text(self.work.at[i, name])
                if isinstance(box, (widgets.Dropdown, SearchPicker)) and len(kept := keep_current(list(box.options), value)) > len(box.options):
                    box.options = kept
                box.value = value
        finally:
            self._loading = False
        self.refresh_verdicts()

    def parent_options(self, i: int) -> list[tuple[str, str]]:
        """'(none)' plus the parents the engine allows for this objective (no cycles, units above)."""
        oid = str(self.work.at[i, "id"])
        titles = dict(zip(self.work["id"], self.work["title"], strict=True))
        try:
            allowed = cascade.valid_parents(self.view(), oid)
        except (KeyError, ValueError):
            allowed = []
        return [("(none)", NONE), *id_options(((p, titles.get(p)) for p in allowed), 50)]

    def field_changed(self, name: str, value: object) -> None:
        i = self.edited_row()
        if i is None:
            return
        cell = str(value).strip() if name != "description" else str(value)
        self.work.at[i, name] = cell if cell else math.nan
        self.mark_dirty()
        if name == "title":
            self.refresh_title()
        elif name == "org_unit_id":
            self._loading = True
            try:
                keep = self.parent_box.value
                self.parent_box.options = self.parent_options(i)
                self.parent_box.value = keep if keep in [v for _l, v in self.parent_box.options] else NONE
                self.work.at[i, "parent_id"] = self.parent_box.value or math.nan
            finally:
                self._loading = False
        self.refresh_verdicts()

    def refresh_title(self) -> None:
        passed, reason = smart.assess_title(self.title_box.value)
        mark, colour = ("✓ Specific", "#1a5e20") if passed else ("✗ Not specific", "#a40000")
        self.title_verdict.value = (f"<div style='color:{colour}'><b>{mark}</b>: "
                                    f"<span class='kpikit-reason'>{html.escape(reason)}</span></div>")

    def refresh_verdicts(self) -> None:
        """The five SMART criteria for the objective as edited (from :func:`kpikit.engine.smart.assess`)."""
        self.refresh_title()
        i = self.current_index()
        if i is None:
            return
        oid = str(self.work.at[i, "id"])
        k = self.eng.kpis
        view = with_tables(self.eng, objectives=self.work, kpis=k[k["objective_id"] == oid])
        try:
            table = smart.assess(view)
        except (ValueError, KeyError) as exc:
            self.smart_table.value = f"<i>Cannot assess yet: {html.escape(str(exc))}</i>"
            return
        rows = table[table["objective_id"] == oid]
        cells = "".join(
            f"<tr><td>{'✓' if ok else '✗'}</td><td><b>{html.escape(str(c))}</b></td><td>{html.escape(str(r))}</td></tr>"
            for c, ok, r in zip(rows["criterion"], rows["passed"], rows["reason"], strict=True)
        )
        self.smart_table.value = f"<table>{cells}</table>"

    def add_objective(self) -> None:
        new_id = next_id([str(o) for o in self.work["id"]],
                         [str(m) for m in self.eng.metrics["id"]] + [p.id for p in self.eng.config.pillars])
        row: dict[str, object] = dict.fromkeys(self.work.columns, math.nan)
        row.update({"id": new_id, "org_unit_id": str(self.eng.org_units["id"].iloc[0])})
        i = self.current_index()
        if i is not None:  # a new objective usually sits where the consultant is working
            row["org_unit_id"] = str(self.work.at[i, "org_unit_id"])
        new = pd.DataFrame([row])[list(self.work.columns)].astype(self.work.dtypes.to_dict())
        self.work = pd.concat([self.work, new], ignore_index=True)
        self.mark_dirty()
        self.refresh_picker(new_id)

    def remove_objective(self) -> None:
        i = self.current_index()
        if i is None:
            return
        self.work = self.work.drop(index=i).reset_index(drop=True)
        self.mark_dirty()
        self.refresh_picker(str(self.work.at[0, "id"]) if len(self.work) else None)


def objective_changes(before: pd.DataFrame, after: pd.DataFrame) -> list[Change]:
    """Decision-log entries for added, removed and edited objectives (one per objective)."""
    old = {str(r["id"]): r for r in before.to_dict("records")}
    new = {str(r["id"]): r for r in after.to_dict("records")}
    out: list[Change] = []
    for oid, r in new.items():
        if oid not in old:
            out.append(Change(oid, f"objective added: '{cell_text(r['title'])}'"))
            continue
        diffs = [f"{f.replace('_id', '')} '{cell_text(old[oid][f])}' -> '{cell_text(r[f])}'" for f in FIELDS if cell_text(old[oid][f]) != cell_text(r[f])]
        if diffs:
            out.append(Change(oid, "objective edited: " + "; ".join(diffs)))
    out.extend(Change(oid, f"objective removed: '{cell_text(r['title'])}'") for oid, r in old.items() if oid not in new)
    return out


def next_id(objective_ids: list[str], taken: list[str] | None = None) -> str:
    """A free ID in the style of the existing objectives: ``OBJ-07`` after ``OBJ-06``.

    ``taken`` adds the other IDs of the engagement (one ID space across files).

    >>> next_id(["OBJ-01", "OBJ-02"])
    'OBJ-03'
    """
    pattern = re.compile(r"^(.*?)(\d+)$")
    best: tuple[str, int, int] | None = None
    for t in objective_ids:
        m = pattern.match(t)
        if m and (best is None or int(m.group(2)) > best[1]):
            best = (m.group(1), int(m.group(2)), len(m.group(2)))
    stem, n, width = best if best else ("OBJ-", 0, 2)
    used = set(objective_ids) | set(taken or [])
    while True:
        n += 1
        cand = f"{stem}{n:0{width}d}"
        if cand not in used:
            return cand


def _summary(eng: Engagement) -> list[str]:
    a = smart.assess(eng)
    failing = a[~a["passed"]]
    return [f"{len(eng.objectives)} objectives; {failing['objective_id'].nunique()} fail at least one SMART criterion."]


def objectives_editor(eng: Engagement | str | os.PathLike[str], keep_backups: int | None = None) -> Any:
    """The objectives editor (a widget), or a static summary when unattended."""
    return editor_or_summary(eng, lambda e: ObjectivesEditor(e, keep_backups), "Objectives editor", _summary)
