"""The target setter: baseline, target, stretch and benchmark per KPI, judged as you type.

For the chosen KPI (a row of ``kpis.csv``) the form edits ``baseline``,
``baseline_period``, ``target``, ``target_period``, ``stretch``, ``benchmark`` and
``benchmark_source``. After each change (Enter or leaving the box: a chart takes
about half a second, too slow to redraw per keystroke) the history chart
(:func:`kpikit.charts.performance.kpi_history`, as static SVG so it shows offline) and the realism verdict
(:func:`kpikit.engine.targets.realism`) are redrawn from the edited values. A target,
baseline, stretch or benchmark change is logged in ``changes.csv`` on Save.
"""

from __future__ import annotations

import html
import math
import os
from typing import Any

import ipywidgets as widgets
import pandas as pd

from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.editors.base import (
    Change,
    EditorBox,
    editor_or_summary,
    number,
    parse_number,
    with_tables,
)
from kpikit.engine import targets
from kpikit.errors import EngagementError, Problem
from kpikit.periods import NOT_A_PERIOD, Period

NUMBERS = ("baseline", "target", "stretch", "benchmark")
PERIODS = ("baseline_period", "target_period")
FIELDS = ("baseline", "baseline_period", "target", "target_period", "stretch", "benchmark", "benchmark_source")


class TargetSetter(EditorBox):
    """One KPI at a time: its numbers, its chart and whether the target is realistic."""

    heading = "Targets and benchmarks"

    def build(self) -> None:
        eng = self.eng
        self.work: pd.DataFrame = eng.kpis.copy().reset_index(drop=True)
        self.bad: dict[tuple[int, str], str] = {}
        self._loading = False
        names = {str(m): cell_text(n) for m, n in zip(eng.metrics["id"], eng.metrics["name"], strict=True)}
        self.picker = widgets.Dropdown(
            description="KPI", layout=widgets.Layout(width="80%"),
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
        self.field_errors = widgets.HTML()
        self.verdict = widgets.HTML()
        self.verdict.add_class("kpikit-realism")
        self.chart = widgets.HTML()  # static SVG: works offline, whatever renderer the kernel uses
        self.chart.add_class("kpikit-chart")
        self.picker.observe(lambda _c: self.load_form(), names="value")
        self.body.children = [self.picker,
                              widgets.HBox([widgets.VBox([self.boxes[f] for f in FIELDS]), self.chart]),
                              self.field_errors, widgets.HTML("<b>Realism</b>"), self.verdict]
        self.load_form()

    def load_form(self) -> None:
        i = self.picker.value
        self._loading = True
        try:
            for f, box in self.boxes.items():
                box.disabled = i is None
                box.value = "" if i is None else _show(self.work.at[i, f])
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
        view = with_tables(self.eng, kpis=self.work)
        try:
            r = targets.realism(view)
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

            self.chart.value = to_svg(kpi_history(view, o, m))
        except Exception as exc:  # a chart must never break the form; say why it is missing
            self.chart.value = f"<i>(no chart: {html.escape(str(exc))})</i>"

    def apply(self, draft: Engagement) -> list[Change]:
        if self.bad:
            raise EngagementError(draft.folder, [Problem("kpis.csv", None, f"{cell_text(self.work.at[i, 'objective_id'])}/"
                                                         f"{cell_text(self.work.at[i, 'metric_id'])}: {msg}")
                                                 for (i, _f), msg in self.bad.items()])
        draft.tables["kpis"] = self.work.copy()
        return kpi_changes(self.eng.kpis, self.work)


def kpi_changes(before: pd.DataFrame, after: pd.DataFrame) -> list[Change]:
    """One decision-log entry per KPI whose target, baseline, stretch or benchmark changed."""
    old = {(str(r["objective_id"]), str(r["metric_id"])): r for _i, r in before.iterrows()}
    out = []
    for _i, r in after.iterrows():
        key = (str(r["objective_id"]), str(r["metric_id"]))
        if key not in old:
            continue
        diffs = [f"{f} {_show(old[key][f]) or '(none)'} -> {_show(r[f]) or '(none)'}"
                 for f in FIELDS if _show(old[key][f]) != _show(r[f])]
        if diffs:
            out.append(Change(f"{key[0]}/{key[1]}", "; ".join(diffs)))
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
