"""The target setter: baseline, target, stretch and benchmark per KPI, judged as you type.

For the chosen KPI (a row of ``kpis.csv``) the form edits ``baseline``,
``baseline_period``, ``target``, ``target_period``, ``stretch``, ``benchmark`` and
``benchmark_source``, and the KPI's interim targets (``milestones.csv``: one
``PERIOD: TARGET`` line each, for a plan with a target for every year). After each change
(Enter or leaving the box: a chart takes about half a second, too slow to redraw per
keystroke) the history chart (:func:`kpikit.charts.performance.kpi_history`, as static SVG
so it shows offline) and the realism verdict (:func:`kpikit.engine.targets.realism`) are
redrawn from the edited values. A target, baseline, stretch, benchmark or milestone change
is logged in ``changes.csv`` on Save; the milestones' rules (after the baseline period,
before the target period) are checked by the same save as every other edit. A block of
targets copied from Excel (objective, metric, target, target period, then optionally the
baseline, its period, stretch, benchmark and its source, or the columns a header row names)
updates those KPIs at once (:mod:`kpikit.editors.paste`: checked like a save, by pasted line).
"""

from __future__ import annotations

import html
import math
import os
import re
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.data.store import frames_equal
from kpikit.editors.base import (
    Change,
    EditorBox,
    editor_or_summary,
    number,
    parse_number,
    with_tables,
)
from kpikit.editors.paste import check_draft, merge_rows, not_added, paste_area, read_paste, staged
from kpikit.editors.picker import SearchPicker
from kpikit.engine import targets
from kpikit.errors import EngagementError, Problem
from kpikit.periods import NOT_A_PERIOD, Period

NUMBERS = ("baseline", "target", "stretch", "benchmark")
PERIODS = ("baseline_period", "target_period")
FIELDS = ("baseline", "baseline_period", "target", "target_period", "stretch", "benchmark", "benchmark_source")
MILESTONES = "milestones"
"""The form's key for the milestones box (one ``PERIOD: TARGET`` line per interim target)."""
_MILESTONE_LINE = re.compile(r"\s*(\S+?)\s*(?:[:=,;]\s*|\s+)(\S+)\s*")


class TargetSetter(EditorBox):
    """One KPI at a time: its numbers, its chart and whether the target is realistic."""

    heading = "Targets and benchmarks"

    def build(self) -> None:
        eng = self.eng
        self.work: pd.DataFrame = eng.kpis.copy().reset_index(drop=True)
        self.ms_work: pd.DataFrame = eng.milestones.copy().reset_index(drop=True)
        self.bad: dict[tuple[int, str], str] = {}
        self._loading = False
        names = {str(m): cell_text(n) for m, n in zip(eng.metrics["id"], eng.metrics["name"], strict=True)}
        self.picker = SearchPicker(
            description="KPI", layout=widgets.Layout(width="80%"), placeholder="type an objective or metric ID, or words",
            options=[(f"{o} / {m} — {names.get(str(m), '')}", i)
                     for i, (o, m) in enumerate(zip(self.work["objective_id"], self.work["metric_id"], strict=True))],
        )
        self.boxes: dict[str, Any] = {}
        for f in FIELDS:
            hint = "number" if f in NUMBERS else ("period, e.g. 2027-Q4" if f in PERIODS else "")
            box = widgets.Text(description=f.replace("_", " "), placeholder=hint, continuous_update=False,
                               layout=widgets.Layout(width="340px"),
                               style={"description_width": "120px"})
            box.add_class(f"kpikit-field-{f}")
            box.observe(lambda change, f=f: self.field_changed(f, change["new"]), names="value")
            self.boxes[f] = box
        self.milestones_box = widgets.Textarea(
            description="milestones", placeholder="interim targets, one per line: 2026-Q4: 85",
            continuous_update=False, layout=widgets.Layout(width="340px", height="110px"),
            style={"description_width": "120px"})
        self.milestones_box.add_class("kpikit-field-milestones")
        self.milestones_box.observe(lambda change: self.milestones_changed(change["new"]), names="value")
        self.field_errors = widgets.HTML()
        self.verdict = widgets.HTML()
        self.verdict.add_class("kpikit-realism")
        # static SVG (works offline, whatever renderer the kernel uses), below the inputs and scrolling
        # sideways in its own box: a long monthly history never covers the form
        self.chart = widgets.HTML(layout=widgets.Layout(max_width="100%", overflow="auto"))
        self.chart.add_class("kpikit-chart")
        self.picker.observe(lambda _c: self.load_form(), names="value")
        self.paste_box, paste_row = paste_area(
            "rows copied from Excel: objective_id, metric_id, target, target_period[, baseline, baseline_period, "
            "stretch, benchmark, benchmark_source] (tab-separated)", self.paste)
        self.paste_message = widgets.HTML()
        self.paste_message.add_class("kpikit-paste-message")
        self.body.children = [self.picker,
                              widgets.VBox([*(self.boxes[f] for f in FIELDS), self.milestones_box]), self.chart,
                              self.field_errors, widgets.HTML("<b>Realism</b>"), self.verdict,
                              paste_row, self.paste_message]
        self.load_form()

    def place(self) -> object:
        i = self.picker.value
        return None if i is None else (str(self.work.at[i, "objective_id"]), str(self.work.at[i, "metric_id"]))

    def restore(self, place: object) -> None:
        pairs = list(zip(self.work["objective_id"].astype("str"), self.work["metric_id"].astype("str"), strict=True))
        if place in pairs and pairs.index(place) != self.picker.value:
            self.picker.value = pairs.index(place)

    def load_form(self) -> None:
        i = self.picker.value
        self._loading = True
        try:
            for f, box in self.boxes.items():
                box.disabled = i is None
                box.value = "" if i is None else _show(self.work.at[i, f])
            self.milestones_box.disabled = i is None
            self.milestones_box.value = "" if i is None else milestone_text(self.ms_work, *self._key(int(i)))
        finally:
            self._loading = False
        self.refresh()

    def field_changed(self, f: str, value: str) -> None:
        if self._loading or self.picker.value is None:
            return
        i = int(self.picker.value)
        raw = value.strip()
        self.bad.pop((i, f), None)
        if f in NUMBERS:
            parsed = parse_number(raw)
            if raw and parsed is None:
                self.bad[(i, f)] = f"{f} '{raw}' is not a number"
            else:
                self.work.at[i, f] = parsed if parsed is not None else math.nan
        elif f in PERIODS:
            try:
                if raw:
                    Period.parse(raw)
                self.work.at[i, f] = raw or math.nan
            except (ValueError, KeyError):
                self.bad[(i, f)] = f"{f} '{raw}' {NOT_A_PERIOD}"
        else:
            self.work.at[i, f] = raw or math.nan
        self.mark_dirty()
        self.refresh()

    def paste(self, text: str) -> bool:
        """Update the KPIs of a block pasted from a spreadsheet; False (every problem, by pasted line) if any is wrong.

        Only KPIs already in kpis.csv: selecting a new one is the scoring grid's decision.
        """
        pairs = set(zip(self.work["objective_id"].astype("str"), self.work["metric_id"].astype("str"), strict=True))
        rows, problems = read_paste(
            text, ["objective_id", "metric_id", "target", "target_period", "baseline", "baseline_period", "stretch",
                   "benchmark", "benchmark_source"], keys=2, required=4, numbers=NUMBERS,
            known=lambda key: None if key in pairs else
            f"{key[1]} is not a KPI of {key[0]} in kpis.csv (select it in the scoring grid first)",
            expected="objective, metric, target and target period")
        if problems:
            self.paste_message.value = not_added(problems)
            return False
        candidate, origin, _ = merge_rows(self.work, rows, ["objective_id", "metric_id"], add=False)
        draft = self.session.draft()
        draft.tables["kpis"] = candidate
        problems = check_draft(draft, "kpis.csv", origin)
        if problems:
            self.paste_message.value = not_added(problems)
            return False
        self.work = candidate
        self.bad = {(i, f): msg for (i, f), msg in self.bad.items() if i not in origin}
        self.paste_box.value = ""
        self.mark_dirty()
        first = min(origin, key=lambda i: origin[i].line)
        if first != self.picker.value:
            self.picker.value = first  # shows the first pasted KPI
        else:
            self.load_form()
        self.paste_message.value = staged(len(rows))
        return True

    def _key(self, i: int) -> tuple[str, str]:
        return str(self.work.at[i, "objective_id"]), str(self.work.at[i, "metric_id"])

    def milestones_changed(self, value: str) -> None:
        """Replace the chosen KPI's milestones with the box's lines (a line that cannot be read is shown, not kept)."""
        if self._loading or self.picker.value is None:
            return
        i = int(self.picker.value)
        self.bad.pop((i, MILESTONES), None)
        o, m = self._key(i)
        rows, errors = parse_milestones(value)
        if errors:
            self.bad[(i, MILESTONES)] = "; ".join(errors)
        else:
            mine = (self.ms_work["objective_id"] == o) & (self.ms_work["metric_id"] == m)
            new = pd.DataFrame({"objective_id": [o] * len(rows), "metric_id": [m] * len(rows),
                                "period": [p for p, _ in rows], "target": [t for _, t in rows]})
            kept = self.ms_work[~mine.to_numpy()]
            self.ms_work = pd.concat([kept, new.astype(kept.dtypes.to_dict())] if len(new) else [kept],
                                     ignore_index=True)
        self.mark_dirty()
        self.refresh()

    def refresh(self) -> None:
        """Redraw the field errors, realism verdict and history chart from the edited values."""
        i = self.picker.value
        errors = [msg for (row, _f), msg in self.bad.items() if row == i]
        self.field_errors.value = ("<div style='color:#a40000'>" + "<br>".join(html.escape(e) for e in errors) + "</div>") if errors else ""
        self.chart.value = ""
        if i is None:
            self.verdict.value = "<i>No KPI selected yet (select KPIs in the scoring grid).</i>"
            return
        o, m = str(self.work.at[i, "objective_id"]), str(self.work.at[i, "metric_id"])
        # this KPI's row only: the verdict and chart of one KPI need no other (1,000 KPIs took seconds)
        ms = self.ms_work
        mine_ms = ms[(ms["objective_id"].astype("str") == o) & (ms["metric_id"].astype("str") == m)] if len(ms) else ms
        # and this metric's actuals, judged at the whole engagement's review period (which, with no
        # current_period set, is the latest actual of any metric): 100,000 actuals took most of a second
        a = self.eng.actuals
        period = self.eng.review_period()
        at = str(period) if period is not None else None
        # and this metric's row of the library: each engine step the verdict and the chart call joins
        # the KPI to its metric again (six times an edit), which cost 1,500 metrics' lookups each time
        lib = self.eng.metrics
        view = with_tables(self.eng, kpis=self.work.iloc[[i]].reset_index(drop=True), milestones=mine_ms,
                           actuals=a[a["metric_id"].astype("str") == m], metrics=lib[lib["id"].astype("str") == m])
        try:
            r = targets.realism(view, at)
            mine = r[(r["objective_id"] == o) & (r["metric_id"] == m)]
            ok = mine["realistic"].iloc[0] if len(mine) else None
            reason = str(mine["reason"].iloc[0]) if len(mine) else ""
        except (ValueError, KeyError, TypeError) as exc:
            self.verdict.value = f"<i>Cannot judge yet: {html.escape(str(exc))}</i>"
            return
        if ok is None or pd.isna(ok):
            mark, colour = "? Not enough to judge", "#6b6b00"
        elif bool(ok):
            mark, colour = "✓ Realistic", "#1a5e20"
        else:
            mark, colour = "✗ Unrealistic", "#a40000"
        self.verdict.value = (f"<div style='color:{colour}'><b>{mark}</b>: "
                              f"<span class='kpikit-reason'>{html.escape(reason)}</span></div>")
        try:
            from kpikit.charts.performance import kpi_history
            from kpikit.charts.render import to_svg

            self.chart.value = to_svg(kpi_history(view, o, m, at))
        except Exception as exc:  # a chart must never break the form; say why it is missing
            self.chart.value = f"<i>(no chart: {html.escape(str(exc))})</i>"

    def apply(self, draft: Engagement) -> list[Change]:
        if self.bad:
            raise EngagementError(draft.folder, [Problem("kpis.csv", None, f"{cell_text(self.work.at[i, 'objective_id'])}/"
                                                         f"{cell_text(self.work.at[i, 'metric_id'])}: {msg}")
                                                 for (i, _f), msg in self.bad.items()])
        draft.tables["kpis"] = self.work.copy()
        changes = kpi_changes(self.eng.kpis, self.work)
        if not frames_equal(self.ms_work, self.eng.milestones):
            draft.tables["milestones"] = self.ms_work.copy()
            changes += milestone_changes(self.eng.milestones, self.ms_work)
        return changes


def kpi_changes(before: pd.DataFrame, after: pd.DataFrame) -> list[Change]:
    """One decision-log entry per KPI whose target, baseline, stretch or benchmark changed.

    Runs on every keystroke (the pending-changes panel), so the cells are compared as arrays
    first and only the KPIs with a differing cell are worded (1,500 KPIs: a few milliseconds).
    """
    if not len(after) or not len(before):
        return []
    old_keys = before["objective_id"].astype("str") + "\x1f" + before["metric_id"].astype("str")
    new_keys = (after["objective_id"].astype("str") + "\x1f" + after["metric_id"].astype("str")).to_numpy()
    last = before.assign(_key=old_keys.to_numpy()).drop_duplicates("_key", keep="last").set_index("_key")
    known = pd.Series(new_keys).isin(last.index).to_numpy()
    differ = np.zeros(len(after), dtype=bool)
    for f in FIELDS:
        was = last[f].reindex(new_keys).to_numpy(dtype=object)
        now = after[f].to_numpy(dtype=object)
        differ |= ~((was == now) | (pd.isna(was) & pd.isna(now)))
    out = []
    for i in np.flatnonzero(known & differ).tolist():
        r, was_r = after.iloc[i], last.loc[new_keys[i]]
        diffs = [f"{f} {_show(was_r[f]) or '(none)'} -> {_show(r[f]) or '(none)'}"
                 for f in FIELDS if _show(was_r[f]) != _show(r[f])]
        if diffs:
            out.append(Change(str(new_keys[i]).replace("\x1f", "/"), "; ".join(diffs)))
    return out


def milestone_text(ms: pd.DataFrame, objective_id: str, metric_id: str) -> str:
    """One KPI's milestones as the box shows them: ``PERIOD: TARGET`` lines in period order."""
    mine = ms[(ms["objective_id"] == objective_id) & (ms["metric_id"] == metric_id)]
    pairs = sorted((str(p), _show(t)) for p, t in zip(mine["period"], mine["target"], strict=True))
    return "\n".join(f"{p}: {t}" for p, t in pairs)


def parse_milestones(text: str) -> tuple[list[tuple[str, float]], list[str]]:
    """The box's lines as ``(period, target)`` pairs, or what is wrong with them (form and numbers only).

    >>> parse_milestones("2026: 88\\n2027 89")
    ([('2026', 88.0), ('2027', 89.0)], [])
    >>> parse_milestones("2026: 88%")[1]
    ["line 1: target '88%' is not a number"]
    """
    rows: list[tuple[str, float]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _MILESTONE_LINE.fullmatch(line)
        if m is None:
            errors.append(f"line {n}: write the period and its target, like 2026-Q4: 85")
            continue
        period, value = m.group(1), m.group(2)
        try:
            Period.parse(period)
        except ValueError:
            errors.append(f"line {n}: '{period}' {NOT_A_PERIOD}")
            continue
        target = parse_number(value)
        if target is None:
            errors.append(f"line {n}: target '{value}' is not a number")
        elif period in seen:
            errors.append(f"line {n}: {period} is given twice")
        else:
            seen.add(period)
            rows.append((period, target))
    return rows, errors


def milestone_changes(before: pd.DataFrame, after: pd.DataFrame) -> list[Change]:
    """One decision-log entry per KPI whose interim targets changed (set, changed or removed)."""
    def index(df: pd.DataFrame) -> dict[tuple[str, str], dict[str, str]]:
        out: dict[tuple[str, str], dict[str, str]] = {}
        for o, m, p, t in zip(df["objective_id"], df["metric_id"], df["period"], df["target"], strict=True):
            out.setdefault((str(o), str(m)), {})[str(p)] = _show(t)
        return out

    old, new = index(before), index(after)
    out = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key, {}), new.get(key, {})
        words = [f"milestone {p} set to {b[p]}" if p not in a else
                 f"milestone {p} removed (was {a[p]})" if p not in b else f"milestone {p} {a[p]} -> {b[p]}"
                 for p in sorted(a.keys() | b.keys()) if a.get(p) != b.get(p)]
        if words:
            out.append(Change(f"{key[0]}/{key[1]}", "; ".join(words)))
    return out


def _show(v: object) -> str:
    n = number(v) if not isinstance(v, str) else None
    return f"{n:.15g}" if n is not None else cell_text(v)



def _summary(eng: Engagement) -> list[str]:
    r = targets.realism(eng)
    flags = [None if pd.isna(v) else bool(v) for v in r["realistic"]]
    bad, unknown = sum(f is False for f in flags), sum(f is None for f in flags)
    return [f"{len(eng.kpis)} KPIs with targets; {bad} {'looks' if bad == 1 else 'look'} unrealistic, "
            f"{unknown} {'has' if unknown == 1 else 'have'} too little history to judge."]


def target_setter(eng: Engagement | str | os.PathLike[str], keep_backups: int | None = None) -> Any:
    """The target setter (a widget), or a static summary when unattended."""
    return editor_or_summary(eng, lambda e: TargetSetter(e, keep_backups), "Target setter", _summary)
