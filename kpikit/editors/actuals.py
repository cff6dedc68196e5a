"""Actuals entry: add a measured value, or correct one, for a metric and period.

The consultant picks a metric, types a period, a value and an optional note, and
presses *Add / correct*. While typing, the form shows the status the review would give
the typed value (green, amber, red or "not yet measured" for each KPI on the metric, with
the expected value it is compared with: :func:`kpikit.engine.review.evaluate`, the one
status rule). The entry is checked at once with the same rules as
``kpikit validate`` (the period must be in the metric's frequency, the value a
number; :meth:`Engagement.validate` on a draft), and staged. An entry for a period
that already has a value replaces it (a correction; the old value is shown). Nothing
is written until *Save*; corrections of saved values are logged in ``changes.csv``,
each with its own rationale.

A correction of a number a board already saw (an actual of a period in ``DIR/published/``)
is a restatement: the form then asks *why* (a required box; Save is refused until it is
filled, or the change has its own reason) and logs it in the wording that explains the
restatement (:class:`~kpikit.engine.restatements.Restating`), so ``ACTUAL_RESTATED`` does not
fire for it.
"""

from __future__ import annotations

import html
import math
import os
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.editors.base import Change, EditorBox, editor_or_summary, number, parse_number
from kpikit.editors.paste import check_draft, merge_rows, not_added, paste_area, read_paste, staged
from kpikit.editors.picker import SearchPicker
from kpikit.engine.frames import selected_kpis
from kpikit.engine.restatements import Restating, published_actuals, restating
from kpikit.engine.review import evaluate
from kpikit.errors import EngagementError, Problem
from kpikit.periods import FORMS, FREQUENCIES, Period
from kpikit.report.wording import VIEW_STATUS
from kpikit.text import fmt, plural

RECENT = 8
"""How many of the metric's latest values are shown next to the form."""


class ActualsEntry(EditorBox):
    """A small form that stages actuals; Save writes them all at once."""

    heading = "Actuals entry"

    def build(self) -> None:
        eng = self.eng
        self.work: pd.DataFrame = eng.actuals.copy().reset_index(drop=True)
        self.staged: list[str] = []
        m = eng.metrics
        self.metric_box = SearchPicker(description="Metric", layout=widgets.Layout(width="60%"),
                                       placeholder="type a metric's ID or name",
                                           options=[(f"{i} — {cell_text(n)} ({cell_text(f)})", str(i))
                                                    for i, n, f in zip(m["id"], m["name"], m["frequency"], strict=True)])
        self.period_box = widgets.Text(description="Period", placeholder="in the metric's frequency")
        self.value_box = widgets.Text(description="Value", placeholder="number")
        self.note_box = widgets.Text(description="Note", placeholder="optional", layout=widgets.Layout(width="60%"))
        self.add_button = widgets.Button(description="Add / correct", icon="plus")
        self.add_button.on_click(lambda _b: self.stage())
        self.entry_message = widgets.HTML()
        self.entry_message.add_class("kpikit-entry-message")
        self.kpi_table = selected_kpis(eng)
        self.live = widgets.HTML()
        self.live.add_class("kpikit-live-status")
        for box in (self.period_box, self.value_box):
            box.observe(lambda _c: self.show_live_status(), names="value")
        self.recent = widgets.HTML()
        self.staged_list = widgets.HTML()
        self.metric_box.observe(lambda _c: self.show_recent(), names="value")
        self.metric_box.observe(lambda _c: self.show_live_status(), names="value")
        self.paste_box, paste_row = paste_area("rows copied from Excel: metric_id, period, value[, note] (tab-separated)",
                                               self.paste)
        self.published = published_actuals(eng.path)
        self.restate_box = widgets.Text(description="Why restate", layout=widgets.Layout(width="70%"),
                                        placeholder="required: why a number the board already saw changes",
                                        style={"description_width": "90px"})
        self.restate_box.add_class("kpikit-restate-reason")
        self.restate_box.observe(lambda _c: self.mark_dirty(), names="value")
        self.restate_note = widgets.HTML()
        self.restate_panel = widgets.VBox([self.restate_note, self.restate_box], layout=widgets.Layout(display="none"))
        self.restate_panel.add_class("kpikit-restate")
        self.body.children = [self.metric_box, widgets.HBox([self.period_box, self.value_box]), self.live, self.note_box,
                              self.add_button, self.entry_message, paste_row,
                              widgets.HTML("<b>Latest values</b>"), self.recent, self.staged_list,
                              self.restate_panel]  # last: right above the decisions and Save
        self.show_recent()

    def place(self) -> object:
        return self.metric_box.value

    def restore(self, place: object) -> None:
        if place in [v for _l, v in self.metric_box.options] and place != self.metric_box.value:
            self.metric_box.value = place

    def stage(self) -> bool:
        """Check the entry with the engagement's rules and stage it; False (and why) if it is wrong."""
        mid = self.metric_box.value
        period = self.period_box.value.strip()
        raw = self.value_box.value.strip()
        problems: list[str] = []
        if not mid:
            problems.append("pick a metric")
        if not period:
            problems.append("a period is required")
        value = parse_number(raw)
        if value is None:
            problems.append(f"value '{raw}' is not a number (plain decimal like 1234.5, no % or thousands separators)"
                            if raw else "a value is required")
        if problems:
            return self.reject(problems)
        hits = [i for i, (m, p) in enumerate(zip(self.work["metric_id"], self.work["period"], strict=True)) if m == mid and p == period]
        candidate = self.work.copy()
        note = self.note_box.value.strip() or math.nan
        if hits:
            i = hits[0]
            old = number(candidate.at[i, "value"])
            candidate.at[i, "value"] = value
            candidate.at[i, "note"] = note
            what = f"corrected {mid} {period}: {old:.15g} -> {value:.15g}" if old is not None else f"set {mid} {period}: {value:.15g}"
        else:
            row = pd.DataFrame([{"metric_id": mid, "period": period, "value": value, "note": note}])
            for col in candidate.columns:
                if col not in row.columns:
                    row[col] = math.nan
            row = row[list(candidate.columns)].astype(candidate.dtypes.to_dict())
            candidate = pd.concat([candidate, row], ignore_index=True) if len(candidate) else row
            what = f"added {mid} {period}: {value:.15g}"
        draft = self.session.draft()
        draft.tables["actuals"] = candidate
        try:
            draft.validate()
        except EngagementError as exc:
            mine = [p.message for p in exc.problems if p.file == "actuals.csv"] or [str(p) for p in exc.problems]
            return self.reject(mine)
        self.work = candidate
        self.staged.append(what)
        self.entry_message.value = f"<span style='color:#1a5e20'>Staged: {html.escape(what)} (press Save to write).</span>"
        later = self.after_review(period)
        if later:
            self.entry_message.value += f"<div style='color:#8a5a00'>{html.escape(later)}</div>"
        self.value_box.value = ""
        self.note_box.value = ""
        self.mark_dirty()
        self.show_recent()
        return True

    def paste(self, text: str) -> bool:
        """Stage a block of rows pasted from a spreadsheet (tab-separated), checked like a save.

        Columns: metric ID, period, value, optional note (or the order a header row names);
        every problem is reported at once by pasted line and row (metric and period);
        nothing is staged unless every row is right (:mod:`kpikit.editors.paste`).
        """
        known = {str(m) for m in self.eng.metrics["id"]}
        rows, problems = read_paste(
            text, ["metric_id", "period", "value", "note"], keys=2, required=3, numbers=["value"],
            known=lambda key: None if key[0] in known else f"no metric {key[0]!r} in metrics.csv",
            expected="metric, period and value")
        if problems:
            return self.reject(problems)
        candidate, origin, _ = merge_rows(self.work, rows, ["metric_id", "period"])
        draft = self.session.draft()
        draft.tables["actuals"] = candidate
        problems = check_draft(draft, "actuals.csv", origin)
        if problems:
            return self.reject(problems)
        self.work = candidate
        self.staged.append(f"pasted {plural(len(rows), 'row')}")
        self.entry_message.value = staged(len(rows))
        self.paste_box.value = ""
        self.mark_dirty()
        self.show_recent()
        return True

    def live_status(self) -> list[tuple[str, str, str]]:
        """The status the review would give the typed value: ``(objective, status key, words)`` per KPI.

        Empty while the form is incomplete. The typed period counts as the KPI's period
        (what the review will read once the value is saved and that period is reviewed).
        """
        mid = self.metric_box.value
        value = parse_number(self.value_box.value.strip())
        try:
            period = Period.parse(self.period_box.value.strip())
        except (ValueError, KeyError, TypeError):
            return []
        rows = self.kpi_table[self.kpi_table["metric_id"] == mid].reset_index(drop=True)
        if not mid or value is None or rows.empty or period.freq != rows["frequency"].iat[0]:
            return []
        acts = pd.DataFrame({"metric_id": [mid], "period": [str(period)], "value": [value],
                             "ord": [float(period.ordinal)], "code": [0], "key": [period.ordinal]})
        p = np.full(len(rows), float(period.ordinal))
        ev = evaluate(rows, acts, p, self.eng.config.status.amber_tolerance)
        gaps, expected = ev["gap"].to_numpy(dtype="float64"), ev["expected"].to_numpy(dtype="float64")
        out = []
        for i in range(len(rows)):
            unit = cell_text(rows["unit"].iat[i]) or None
            key = "baseline" if rows["baseline_ord"].iat[i] == period.ordinal else str(ev["status"].iat[i])
            gap = float(gaps[i])
            words = (f"expected {fmt(float(expected[i]), unit)}"
                     + ("" if key == "baseline" or gap == 0 else
                        f", {fmt(abs(gap), unit, change=True)} {'ahead' if gap > 0 else 'behind'}"))
            out.append((str(rows["objective_id"].iat[i]), key, words))
        return out

    def show_live_status(self) -> None:
        """Show :meth:`live_status` under the form (or why there is none for this metric)."""
        verdicts = self.live_status()
        mid = self.metric_box.value
        if not verdicts:
            typed = self.period_box.value.strip() and parse_number(self.value_box.value.strip()) is not None
            selected = bool(mid) and bool((self.kpi_table["metric_id"] == mid).any())
            self.live.value = ("<span style='color:#555'>Status: none, this metric is not a selected KPI "
                               "(kpis.csv) of any objective.</span>" if typed and mid and not selected else "")
            return
        items = []
        for objective, key, words in verdicts:
            s = VIEW_STATUS[key]
            items.append(f"<span class='kpikit-status-{html.escape(s['key'])}'>{html.escape(s['glyph'])} "
                         f"<b>{html.escape(s['label'])}</b></span> for {html.escape(objective)} "
                         f"<span style='color:#555'>({html.escape(words)})</span>")
        self.live.value = "Status if saved: " + "; ".join(items)

    def after_review(self, period: str) -> str:
        """A warning when ``period`` ends after the review period (it will not count in this review)."""
        review = self.eng.review_period()
        try:
            p = Period.parse(period)
            later = review is not None and p.end_date > review.end_date
        except (ValueError, KeyError, AttributeError, TypeError):
            return ""
        return (f"Note: {period} ends after the review period {review}: this value does not count in the current "
                "review." if later else "")

    def reject(self, problems: list[str]) -> bool:
        self.entry_message.value = not_added(problems)
        return False

    def show_recent(self) -> None:
        mid = self.metric_box.value
        freq = cell_text(dict(zip(self.eng.metrics["id"], self.eng.metrics["frequency"], strict=True)).get(mid))
        self.period_box.placeholder = FORMS[freq] if freq in FREQUENCIES else "in the metric's frequency"
        mine = self.work[self.work["metric_id"] == mid].tail(RECENT)
        rows = "".join(f"<tr><td>{html.escape(cell_text(p))}</td><td>{html.escape(_fmt(v))}</td><td>{html.escape(cell_text(n))}</td></tr>"
                       for p, v, n in zip(mine["period"], mine["value"], mine["note"], strict=True))
        head = "<tr><th>period</th><th>value</th><th>note</th></tr>"
        self.recent.value = f"<table>{head}{rows}</table>" if rows else "<i>No values yet for this metric.</i>"
        self.staged_list.value = ("<b>Staged, not saved yet</b><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in self.staged)
                                  + "</ul>") if self.staged else ""
        self.show_restating()

    def restated(self) -> list[Restating]:
        """The staged changes that restate a published actual (a number a board already saw)."""
        return restating(self.published, self.eng.actuals, self.work)

    def show_restating(self) -> None:
        """Show the required reason box while a staged change restates a published actual."""
        found = self.restated()
        self.restate_panel.layout.display = None if found else "none"
        if not found:
            self.restate_note.value = ""
            return
        items = "".join(f"<li>{html.escape(r.metric_id)} {html.escape(r.period)}: the {html.escape(r.publication)} report "
                        f"showed {html.escape(_fmt(r.published))}, now {html.escape(_fmt(r.after) or 'removed')}</li>"
                        for r in found)
        self.restate_note.value = (f"<div style='color:#8a5a00'><b>{plural(len(found), 'published actual')} restated</b>"
                                   f" (the board saw {'it' if len(found) == 1 else 'them'}): say why below; the reason "
                                   f"goes to changes.csv and the next report's What changed.<ul>{items}</ul></div>")

    def missing_reasons(self) -> list[str]:
        """The restated actuals that have no reason yet (neither the box above nor their own)."""
        if self.restate_box.value.strip():
            return []
        out = []
        for r in self.restated():
            box = self.reasons.get(f"{r.metric_id}|{r.period}")
            if box is None or not str(box.value).strip():
                out.append(f"{r.metric_id} {r.period}")
        return out

    def _save(self) -> bool:
        missing = self.missing_reasons()
        if missing:
            self.show_error(
                f"Not saved: {', '.join(missing)} {'was' if len(missing) == 1 else 'were'} in a published report; "
                "type why the number changes in 'Why restate' above, or in the change's own box (nothing was "
                "written).", [])
            return False
        return super()._save()

    def apply(self, draft: Engagement) -> list[Change]:
        if self.period_box.value.strip() and self.value_box.value.strip():
            raise EngagementError(draft.folder, [Problem("actuals.csv", None, "the form holds an entry that was not "
                                                         "added: press Add / correct first (or clear it)")])
        draft.tables["actuals"] = self.work.copy()
        return self.corrections()

    def corrections(self) -> list[Change]:
        """One decision-log entry per saved value that is corrected (new values are data entry, not logged).

        A restated published actual is logged in the words that explain a restatement, with the
        reason typed for it (its own box, else *Why restate*).
        """
        saved, work = self.eng.actuals, self.work
        restated = {(r.metric_id, r.period): r for r in self.restated()}
        common = self.restate_box.value.strip()
        # the saved value of each (metric, period), the last one when a key repeats, compared in
        # numpy: only the rows that differ (and the restated ones) are looked at one by one
        last = saved.assign(_key=_keys(saved)).drop_duplicates("_key", keep="last")
        was_of = pd.Series(pd.to_numeric(last["value"], errors="coerce").to_numpy(dtype="float64"),
                           index=last["_key"].to_numpy())
        keys = _keys(work)
        known = keys.isin(was_of.index).to_numpy()
        was = was_of.reindex(keys).to_numpy()
        now = pd.to_numeric(work["value"], errors="coerce").to_numpy(dtype="float64")
        same = (was == now) | (np.isnan(was) & np.isnan(now))
        look = known & ~same
        if restated:
            look |= keys.isin([f"{m}\x1f{p}" for m, p in restated]).to_numpy()
        out = []
        for i in np.flatnonzero(look).tolist():
            key = (str(work["metric_id"].iat[i]), str(work["period"].iat[i]))
            if key in restated:
                box = self.reasons.get(f"{key[0]}|{key[1]}")
                own = str(box.value).strip() if box is not None else ""
                out.append(Change(key[0], restated[key].change, own or common, key=f"{key[0]}|{key[1]}"))
            else:
                before, after = number(was[i]), number(now[i])
                shown_was = "(none)" if before is None else f"{before:.15g}"
                shown_now = "(none)" if after is None else f"{after:.15g}"
                out.append(Change(key[0], f"actual for {key[1]} corrected: {shown_was} -> {shown_now}",
                                  key=f"{key[0]}|{key[1]}"))
        return out


def _keys(actuals: pd.DataFrame) -> pd.Series:
    """``metric_id`` and ``period`` of each row as one string key (the unit separator never occurs in IDs)."""
    return actuals["metric_id"].astype("str") + "\x1f" + actuals["period"].astype("str")


def _fmt(v: object) -> str:
    n = number(v)
    return "" if n is None else f"{n:.15g}"



def _summary(eng: Engagement) -> list[str]:
    latest = eng.review_period()
    return [f"{len(eng.actuals)} actuals for {eng.actuals['metric_id'].nunique()} metrics"
            + (f"; review period {latest}." if latest else ".")]


def actuals_entry(eng: Engagement | str | os.PathLike[str], keep_backups: int | None = None) -> Any:
    """The actuals entry form (a widget), or a static summary when unattended."""
    return editor_or_summary(eng, lambda e: ActualsEntry(e, keep_backups), "Actuals entry", _summary)
