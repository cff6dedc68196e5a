"""The actions editor: the follow-ups agreed at a review, added, updated and closed in the meeting.

A review that agrees nothing about a red KPI has not done its job (``KPI_OFF_TRACK_NO_ACTION``),
and an action nobody updates is a promise forgotten (``ACTION_OVERDUE``). This form keeps
``actions.csv`` (engagement-format.md, "actions.csv") where the meeting happens: pick an action
(or *New action*), set what it is about (an objective, a metric or one KPI), what will be done,
the owner, the due date, the status and a note; *Close as done* and *Drop* close it today.

Dates are typed ``YYYY-MM-DD``; a date that is not one is shown under the form at once and the
save is refused by the engagement's own rule (the file, line and problem), like every editor's
save (:class:`~kpikit.editors.base.EditorBox`: validated, stale check, backup, atomic, Undo).
Every action added, changed or closed is a decision logged in ``changes.csv`` against the item
it is about, naming the action.
"""

from __future__ import annotations

import html
import math
import os
import re
from datetime import date
from typing import Any

import ipywidgets as widgets
import pandas as pd

from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.data.schema import ACTION_STATUSES, SPECS
from kpikit.editors.base import Change, EditorBox, editor_or_summary, id_options, with_tables
from kpikit.editors.objectives import next_id
from kpikit.editors.picker import SearchPicker
from kpikit.engine.actions import action_table
from kpikit.text import plural, short

FIELDS = ("item_id", "action", "owner", "due", "status", "opened", "closed", "note")
DATES = ("due", "opened", "closed")
NONE = ""
"""The owner dropdown's "no owner" (stored as a missing cell)."""
FIRST_ID = "ACT-01"
"""The first action's ID when actions.csv has none yet (later ones follow the existing style)."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def date_problem(field: str, text: str) -> str | None:
    """Why ``text`` is no date for ``field`` (the contract's ``YYYY-MM-DD``, in the calendar), or None.

    >>> date_problem("due", "31/08/2026")
    "due '31/08/2026' is not a date: write YYYY-MM-DD, like 2026-08-31"
    >>> date_problem("due", "2026-02-30")
    "due '2026-02-30' is not a date in the calendar"
    >>> date_problem("due", "2026-08-31") is None
    True
    """
    raw = text.strip()
    if not raw:
        return None
    if not _DATE.fullmatch(raw):
        return f"{field} '{short(raw, 40)}' is not a date: write YYYY-MM-DD, like 2026-08-31"
    try:
        date.fromisoformat(raw)
    except ValueError:
        return f"{field} '{raw}' is not a date in the calendar"
    return None


class ActionsEditor(EditorBox):
    """One action at a time from a working copy of actions.csv, with the list of actions by state."""

    heading = "Actions agreed at reviews"

    def build(self) -> None:
        eng = self.eng
        self.work: pd.DataFrame = _actions(eng).copy().reset_index(drop=True)
        self._loading = False
        wide = widgets.Layout(width="80%")
        self.picker = SearchPicker(description="Action", layout=widgets.Layout(width="560px"),
                                   placeholder="type an action's ID or words")
        self.picker.observe(lambda _c: self.load_form(), names="value")
        self.new_button = widgets.Button(description="New action", icon="plus")
        self.new_button.on_click(lambda _b: self.add_action())
        self.done_button = widgets.Button(description="Close as done", icon="check", tooltip="status done, closed today")
        self.done_button.on_click(lambda _b: self.close_action("done"))
        self.drop_button = widgets.Button(description="Drop", icon="times", tooltip="status dropped, closed today "
                                          "(say why in the note)")
        self.drop_button.on_click(lambda _b: self.close_action("dropped"))
        self.id_box = widgets.Text(description="ID", disabled=True)
        self.item_box = SearchPicker(description="About", layout=wide, options=item_options(eng),
                                     placeholder="an objective, a metric, or OBJECTIVE/METRIC for one KPI")
        people = eng.tables["stakeholders"]
        self.owner_box = SearchPicker(description="Owner", layout=wide, placeholder="type a person's ID or name",
                                      options=[("(no owner)", NONE), *id_options(zip(people["id"], people["name"], strict=True))])
        self.action_box = widgets.Textarea(description="Action", layout=widgets.Layout(width="80%", height="56px"),
                                           placeholder="what will be done")
        self.status_box = widgets.Dropdown(description="Status", options=list(ACTION_STATUSES))
        self.date_boxes = {f: widgets.Text(description=f.capitalize(), placeholder="YYYY-MM-DD") for f in DATES}
        self.note_box = widgets.Textarea(description="Note", layout=widgets.Layout(width="80%", height="48px"),
                                         placeholder="progress, or why it was dropped")
        self.boxes: dict[str, Any] = {"item_id": self.item_box, "action": self.action_box, "owner": self.owner_box,
                                      "status": self.status_box, "note": self.note_box, **self.date_boxes}
        for name, box in self.boxes.items():
            box.add_class(f"kpikit-field-{name}")
            box.observe(lambda change, name=name: self.field_changed(name, change["new"]), names="value")
        self.field_errors = widgets.HTML()
        self.field_errors.add_class("kpikit-field-errors")
        self.table = widgets.HTML()
        self.table.add_class("kpikit-actions-table")
        self.body.children = [
            widgets.HBox([self.picker, self.new_button]), self.id_box, self.item_box, self.action_box, self.owner_box,
            widgets.HBox([self.date_boxes["due"], self.status_box]),
            widgets.HBox([self.date_boxes["opened"], self.date_boxes["closed"]]), self.note_box,
            widgets.HBox([self.done_button, self.drop_button]), self.field_errors,
            widgets.HTML("<b>Actions in the review period</b>"), self.table,
        ]
        self.refresh_picker(str(self.work.at[0, "id"]) if len(self.work) else None)

    # -- form <-> working table ---------------------------------------------------------
    def refresh_picker(self, select: str | None) -> None:
        self._loading = True
        try:
            self.picker.options = [(f"{i} — {short(cell_text(a), 60)} ({cell_text(s)})", str(i))
                                   for i, a, s in zip(self.work["id"], self.work["action"], self.work["status"], strict=True)]
        finally:
            self._loading = False
        self.picker.value = select
        self.load_form()

    def current_index(self) -> int | None:
        hits = [i for i, a in enumerate(self.work["id"]) if a == self.picker.value]
        return hits[0] if hits else None

    def place(self) -> object:
        return self.picker.value

    def restore(self, place: object) -> None:
        if place in [v for _l, v in self.picker.options] and place != self.picker.value:
            self.picker.value = place

    def load_form(self) -> None:
        if self._loading:
            return
        i = self.current_index()
        self._loading = True
        try:
            for box in (*self.boxes.values(), self.done_button, self.drop_button):
                box.disabled = i is None
            self.id_box.value = "" if i is None else str(self.work.at[i, "id"])
            for name, box in self.boxes.items():
                value = "" if i is None else cell_text(self.work.at[i, name])
                if isinstance(box, SearchPicker) and value and value not in [v for _l, v in box.options]:
                    box.options = [*box.options, (f"{value} (not in the engagement)", value)]
                if name == "status" and not value:
                    value = "open"
                box.value = None if isinstance(box, SearchPicker) and value not in [v for _l, v in box.options] else value
        finally:
            self._loading = False
        self.refresh()

    def field_changed(self, name: str, value: object) -> None:
        i = None if self._loading else self.current_index()
        if i is None:
            return
        text = str(value if value is not None else "")
        cell = text if name in ("action", "note") else text.strip()
        self.work.at[i, name] = cell if cell.strip() else math.nan
        if name == "status":
            self._loading = True
            try:  # a closed action has the day it was closed; reopening it clears that day
                closed = self.date_boxes["closed"]
                if cell in ("done", "dropped") and not closed.value.strip():
                    closed.value = date.today().isoformat()
                elif cell == "open":
                    closed.value = ""
                self.work.at[i, "closed"] = closed.value.strip() or math.nan
            finally:
                self._loading = False
        self.mark_dirty()
        if name in ("action", "status"):
            label = (f"{cell_text(self.work.at[i, 'id'])} — {short(cell_text(self.work.at[i, 'action']), 60)} "
                     f"({cell_text(self.work.at[i, 'status'])})")
            keep = self.picker.value
            self._loading = True
            try:
                self.picker.options = [(label if v == keep else lab, v) for lab, v in self.picker.options]
            finally:
                self._loading = False
        self.refresh()

    def refresh(self) -> None:
        """The form's date problems (as typed) and the list of actions with their state in the review period."""
        i = self.current_index()
        problems = [] if i is None else [p for f in DATES if (p := date_problem(f, cell_text(self.work.at[i, f])))]
        self.field_errors.value = ("<div style='color:#a40000'>" + "<br>".join(html.escape(p) for p in problems)
                                   + "</div>") if problems else ""
        self.table.value = self.table_html()

    def table_html(self) -> str:
        """The actions as the review reads them (overdue first), from the edited copy; dates that are no dates aside."""
        if self.work.empty:
            return "<i>No actions yet: press New action to record what was agreed.</i>"
        shown = self.work.copy()
        for f in DATES:  # the state needs real dates; a bad one is shown in the form, not guessed at
            shown[f] = [v if date_problem(f, cell_text(v)) is None else math.nan for v in shown[f]]
        view = with_tables(self.eng, actions=shown)
        try:
            table = action_table(view)
        except (ValueError, KeyError, TypeError) as exc:
            return f"<i>(cannot list the actions yet: {html.escape(str(exc))})</i>"
        names = {str(p): cell_text(n) for p, n in zip(self.eng.tables["stakeholders"]["id"],
                                                      self.eng.tables["stakeholders"]["name"], strict=True)}
        pad = "style='padding:2px 10px 2px 0;text-align:left'"
        head = "".join(f"<th {pad}>{h}</th>" for h in ("state", "ID", "about", "action", "owner", "due", "status"))
        rows = "".join(
            "<tr>" + "".join(f"<td {pad}>{html.escape(c)}</td>" for c in (
                str(r["state"]), cell_text(r["id"]), cell_text(r["item_id"]), short(cell_text(r["action"]), 70),
                names.get(cell_text(r["owner"]), cell_text(r["owner"])), cell_text(r["due"]), cell_text(r["status"]),
            )) + "</tr>"
            for r in table.to_dict("records"))
        return f"<table style='border-collapse:collapse'><tr>{head}</tr>{rows}</table>"

    def add_action(self) -> None:
        """A new open action, opened today, about the item of the action on screen (often the next one is too)."""
        eng = self.eng
        ids = [str(a) for a in self.work["id"]]
        taken = [str(x) for name in ("objectives", "metrics", "org_units", "stakeholders")
                 for x in eng.tables[name]["id"]] + [p.id for p in eng.config.pillars]
        new_id = next_id(ids, taken) if ids else (FIRST_ID if FIRST_ID not in taken else next_id([FIRST_ID], taken))
        row: dict[str, object] = dict.fromkeys(self.work.columns, math.nan)
        row.update({"id": new_id, "status": "open", "opened": date.today().isoformat()})
        i = self.current_index()
        row["item_id"] = self.work.at[i, "item_id"] if i is not None else (self.item_box.options[0][1]
                                                                            if self.item_box.options else math.nan)
        new = pd.DataFrame([row])[list(self.work.columns)].astype(self.work.dtypes.to_dict())
        self.work = pd.concat([self.work, new], ignore_index=True) if len(self.work) else new
        self.mark_dirty()
        self.refresh_picker(new_id)

    def close_action(self, status: str) -> None:
        """Close the action on screen as ``done`` or ``dropped``, today (Save to make it final)."""
        if self.current_index() is None:
            return
        self.date_boxes["closed"].value = self.date_boxes["closed"].value.strip() or date.today().isoformat()
        self.status_box.value = status

    def apply(self, draft: Engagement) -> list[Change]:
        draft.tables["actions"] = self.work.copy()
        return action_changes(_actions(self.eng), self.work)


def _actions(eng: Engagement) -> pd.DataFrame:
    """actions.csv as loaded, or an empty table with its columns (text) when the file is absent."""
    table = eng.tables.get("actions")
    if table is not None:
        return table
    return pd.DataFrame({c: pd.Series([], dtype="str") for c in SPECS["actions"].column_names})


def item_options(eng: Engagement) -> list[tuple[str, str]]:
    """What an action can be about: each objective, each selected KPI (``OBJECTIVE/METRIC``), each metric."""
    metric_names = {str(m): cell_text(n) for m, n in zip(eng.metrics["id"], eng.metrics["name"], strict=True)}
    kpis = [(f"{o}/{m}", metric_names.get(str(m), "")) for o, m in zip(eng.kpis["objective_id"], eng.kpis["metric_id"], strict=True)]
    return [*id_options(zip(eng.objectives["id"], eng.objectives["title"], strict=True)), *id_options(kpis),
            *id_options(metric_names.items())]


def action_changes(before: pd.DataFrame, after: pd.DataFrame) -> list[Change]:
    """One decision-log entry per action added, changed, closed or removed, against the item it is about."""
    old = {str(r["id"]): r for r in before.to_dict("records")}
    new = {str(r["id"]): r for r in after.to_dict("records")}
    out: list[Change] = []
    for aid, r in new.items():
        item = cell_text(r["item_id"]) or aid
        key = f"action|{aid}"
        if aid not in old:
            who = f", owner {cell_text(r['owner'])}" if cell_text(r["owner"]) else ""
            due = f", due {cell_text(r['due'])}" if cell_text(r["due"]) else ""
            out.append(Change(item, f"action {aid} agreed: '{short(cell_text(r['action']), 80)}'{who}{due}", key=key))
            continue
        was = old[aid]
        diffs = [f"{f} '{short(cell_text(was[f]), 60) or '(none)'}' -> '{short(cell_text(r[f]), 60) or '(none)'}'"
                 for f in FIELDS if cell_text(was[f]) != cell_text(r[f]) and f not in ("status", "closed")]
        status, before_status = cell_text(r["status"]), cell_text(was["status"])
        if status != before_status and status in ("done", "dropped"):
            diffs.insert(0, f"closed as {status} on {cell_text(r['closed']) or '(no date)'}")
        elif status != before_status:
            diffs.insert(0, f"status {before_status or '(none)'} -> {status or '(none)'}")
        elif cell_text(was["closed"]) != cell_text(r["closed"]):
            diffs.append(f"closed '{cell_text(was['closed']) or '(none)'}' -> '{cell_text(r['closed']) or '(none)'}'")
        if diffs:
            out.append(Change(item, f"action {aid}: " + "; ".join(diffs), key=key))
    out.extend(Change(cell_text(r["item_id"]) or aid, f"action {aid} removed: '{short(cell_text(r['action']), 80)}'",
                      key=f"action|{aid}") for aid, r in old.items() if aid not in new)
    return out


def _summary(eng: Engagement) -> list[str]:
    table = action_table(eng)
    if table.empty:
        return ["No actions recorded yet (actions.csv)."]
    counts = table["state"].value_counts().to_dict()
    return [f"{plural(len(table), 'action')}: {int(counts.get('overdue', 0))} overdue, {int(counts.get('open', 0))} open, "
            f"{int(counts.get('closed', 0))} closed in the review period."]


def actions_editor(eng: Engagement | str | os.PathLike[str], keep_backups: int | None = None) -> Any:
    """The actions editor (a widget), or a static summary when unattended."""
    return editor_or_summary(eng, lambda e: ActionsEditor(e, keep_backups), "Actions editor", _summary)


__all__ = ["ActionsEditor", "action_changes", "actions_editor", "date_problem", "item_options"]
