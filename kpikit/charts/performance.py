"""Charts of results: one KPI's history against its trajectory, the status overview, sparklines.

Each builder returns an altair chart and leaves rendering to :mod:`kpikit.charts.render`. The
numbers come from :mod:`kpikit.engine.review` (``trajectory``, ``scorecard_detail``,
``rollup``), so a chart shows exactly what the scorecard says.

Status is never told by colour alone: every status has a colour that stays distinct
in greyscale (dark green, light amber, mid vermillion, hollow grey) AND a shape
(circle, down-triangle, cross, hollow square), and tooltips/labels spell it out.
Green always means good, whichever way the metric should move. Sizes grow with the
data (:data:`ROW_PX` per line of the overview), so 200 KPIs make a taller chart, not a
cramped one.

A KPI whose metric changed definition (formula, unit, direction, source or query) since the
last published report shows the break: a labelled vertical rule before its first comparable
period; the trend, forecast and process limits it shows come from the periods after it only
(:func:`kpikit.engine.review.comparable_actuals`, the behaviour's limits), and its limit lines
start at the break.

>>> kpi_history(eng, "OBJ-08", "M-RN-VAC").to_dict()["layer"][0]["mark"]   # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import altair as alt
import numpy as np
import pandas as pd

from kpikit.charts import FONT
from kpikit.data.model import Engagement
from kpikit.engine import review
from kpikit.engine.definitions import DefinitionBreak, definition_breaks
from kpikit.engine.frames import selected_kpis
from kpikit.periods import FREQUENCIES, PERIODS_PER_YEAR, Period
from kpikit.text import fmt, short

ROW_PX = 22
HISTORY_HEIGHT = 260
GRID_WIDTH = 330
PER_ROW = 24
MAX_PERIODS = 120
"""Most periods a KPI history shows (ten years of months); :func:`window` picks which."""
"""KPIs per line of the status overview (18 px each); a group with more wraps onto further lines."""

STATUS_ORDER: tuple[str, ...] = ("red", "amber", "green", "no-data")
STATUS_COLOURS: dict[str, str] = {"green": "#1B5E20", "amber": "#FFC107", "red": "#E4572E", "no-data": "#FFFFFF"}
"""Okabe-Ito-like hues chosen for distinct lightness (L* about 35, 82, 56, 100): they read in greyscale."""
STATUS_SHAPES: dict[str, str] = {"green": "circle", "amber": "triangle-down", "red": "cross", "no-data": "square"}
STATUS_STROKE = "#424242"
ACTUAL_COLOUR = "#0072B2"
TRAJECTORY_COLOUR = "#7F7F7F"
REFERENCE_DASH: dict[str, list[int]] = {"target": [1, 0], "stretch": [2, 3], "benchmark": [8, 3, 2, 3]}
MILESTONE_SHAPE = "diamond"
"""Interim targets (milestones.csv) are hollow diamonds on the plan's line: no status uses that shape."""
MILESTONES_NAMED = 4
"""The subtitle names at most this many milestones (the rest are counted; every one has a tooltip)."""


LIMIT_COLOUR = "#8a8a8a"
"""Centre line and natural process limits: mid grey, apart from the status colours and the black references."""
BREAK_COLOUR = "#222222"
"""The rule where a changed definition breaks a KPI's history: near black, dashed long, unlike the review marker."""
BREAK_TOP = 28
"""Pixels from the plot's top where the break rule starts: below the two label rows (review, break)."""


def _status_scale(field: str, what: Literal["color", "shape"], orient: Literal["right", "top"] = "right") -> Any:
    """Status as colour or shape, over the same fixed domain (so the two legends merge into one)."""
    domain = list(STATUS_ORDER)
    legend = alt.Legend(title="Status", orient=orient)
    if what == "shape":
        return alt.Shape(f"{field}:N", scale=alt.Scale(domain=domain, range=[STATUS_SHAPES[s] for s in domain]),
                         legend=legend)
    return alt.Color(f"{field}:N", scale=alt.Scale(domain=domain, range=[STATUS_COLOURS[s] for s in domain]),
                     legend=legend)


def _config(chart: Any) -> Any:
    """Fonts, sizes and a frameless view, set in one assignment (each ``configure_*`` call
    would deep-copy the whole chart: seconds for a grid of many KPIs)."""
    chart.config = alt.Config(
        axis=alt.AxisConfig(labelFont=FONT, titleFont=FONT, labelFontSize=11, titleFontSize=12),
        legend=alt.LegendConfig(labelFont=FONT, titleFont=FONT, labelFontSize=11, titleFontSize=12, labelLimit=260),
        title=alt.TitleConfig(font=FONT, fontSize=14, subtitleFont=FONT, subtitleFontSize=11, anchor="start"),
        view=alt.ViewConfig(stroke=None),
    )
    return chart


def _place_labels(refs: list[dict[str, Any]], lo: float, hi: float, height: int, gap: int = 12) -> None:
    """Give each reference label a pixel row ``px`` at its line, at least ``gap`` px from the next."""
    for r in refs:
        r["px"] = height * (1 - (r["value"] - lo) / (hi - lo))
    ordered = sorted(refs, key=lambda r: r["px"])
    for above, below in itertools.pairwise(ordered):
        below["px"] = max(below["px"], above["px"] + gap)


def _num(value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return math.nan
    return f


# -- one KPI ---------------------------------------------------------------------------

def kpi_history(eng: Engagement, objective_id: str, metric_id: str, period: str | None = None) -> alt.LayerChart:
    """One KPI over time: actuals (shaped and coloured by status), the trajectory from
    baseline through its milestones (hollow diamonds) to target, target / stretch / benchmark
    reference lines, the forecast (dashed) to the target period and a marker at the KPI's
    review period.

    Raises KeyError when the pairing is not in kpis.csv.
    """
    traj = review.trajectory(eng, objective_id, metric_id, period)
    kt = selected_kpis(eng)
    row = kt[(kt["objective_id"] == objective_id) & (kt["metric_id"] == metric_id)].to_dict("records")[0]
    detail = review.scorecard_detail(eng, period)
    me = detail[(detail["objective_id"] == objective_id) & (detail["metric_id"] == metric_id)].to_dict("records")[0]
    limits = _limits(eng, period).get((str(objective_id), str(metric_id)))
    brk = definition_breaks(eng, period).get(str(metric_id))
    return _config(_history(row, me, traj, limits=limits, definition=brk))  # type: ignore[no-any-return]


def _limits(eng: Engagement, period: str | None) -> dict[tuple[str, str], Mapping[str, Any]]:
    """Each KPI's natural process limits and signal (:mod:`kpikit.engine.behaviour`), where it has them."""
    from kpikit.engine.behaviour import behaviour

    table = behaviour(eng, period)
    return {(str(r["objective_id"]), str(r["metric_id"])): {str(k): v for k, v in r.items()}
            for r in table.to_dict("records") if not math.isnan(_num(r["centre"]))}


def kpi_history_grid(eng: Engagement, period: str | None = None, columns: int = 2,
                     kpis: Sequence[tuple[str, str]] | None = None) -> alt.ConcatChart:
    """:func:`kpi_history` of every selected KPI (or of ``kpis``, (objective, metric) pairs), ``columns`` a row.

    In kpis.csv order; the scorecard, trajectories and fits are computed once for all
    KPIs, so a grid of 200 costs seconds, not minutes. Each panel is
    :data:`GRID_WIDTH` px wide.
    """
    kt = selected_kpis(eng)
    detail = review.scorecard_detail(eng, period)
    trajs = review.trajectories(eng, period)
    rows = {(str(r["objective_id"]), str(r["metric_id"])): r for r in kt.to_dict("records")}
    mes = {(str(r["objective_id"]), str(r["metric_id"])): r for r in detail.to_dict("records")}
    wanted = list(kpis) if kpis is not None else list(rows)
    unknown = [f"{o}/{m}" for o, m in wanted if (o, m) not in rows]
    if unknown:
        raise KeyError(f"not selected KPIs (kpis.csv): {', '.join(unknown)}")
    limits = _limits(eng, period)
    breaks = definition_breaks(eng, period)
    panels = [_history(rows[k], mes[k], trajs[k], width=GRID_WIDTH, limits=limits.get(k), definition=breaks.get(k[1]))
              for k in wanted]
    if not panels:
        empty = alt.Chart(pd.DataFrame({"text": ["No KPIs selected yet (kpis.csv)."]})).mark_text(
            align="left", fontSize=12, font=FONT).encode(text="text:N").properties(width=GRID_WIDTH, height=30)
        panels = [empty]
    return _config(alt.concat(*panels, columns=max(1, columns)))  # type: ignore[no-any-return]


# a period label at -45 degrees takes about this many pixels of axis per character, plus its
# height, times cos 45, plus the axis' label separation (DejaVu Sans at 11 px)
LABEL_CHAR_PX = 6.6


def axis_periods(order: Sequence[str], width: float) -> list[str]:
    """The periods a history chart's x axis labels: as many as fit, on the calendar's cadence.

    Vega's own overlap pass would hide most of 84 monthly labels anyway, but only after
    measuring and placing every one of them (two thirds of the time vl-convert takes to
    draw a five-year monthly chart), and it kept every fifth month, so the axis read
    2020-07, 2020-12, 2021-05. Labelling whole steps of the calendar (a step that divides
    the year, or whole years) draws the same axis in under half the time and reads better.

    >>> axis_periods([f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01"], 120)
    ['2024-01', '2024-07', '2025-01']
    >>> axis_periods([f"{y}-Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)], 100)
    ['2024-Q1', '2025-Q1']
    >>> axis_periods(["2024-Q1", "2024-Q2"], 360)
    ['2024-Q1', '2024-Q2']
    """
    if not order:
        return []
    need = (max(len(p) for p in order) * LABEL_CHAR_PX + 11) * 0.71 + 4
    band = width / len(order)
    if band >= need:
        return list(order)
    try:
        periods = [Period.parse(p) for p in order]
    except ValueError:  # not periods this kit parses: every n-th label from the first
        return list(order[::math.ceil(need / band)])
    per_year = PERIODS_PER_YEAR[periods[0].freq]
    steps = [d for d in range(1, per_year + 1) if per_year % d == 0] + [per_year * k for k in (2, 5, 10, 20, 50)]
    step = next((s for s in steps if s * band >= need), steps[-1])
    return [t for t, p in zip(order, periods, strict=True) if p.ordinal % step == 0] or list(order[::step])


def _history(row: Mapping[Any, Any], me: Mapping[Any, Any], traj: pd.DataFrame, width: int | None = None,
             limits: Mapping[str, Any] | None = None, definition: DefinitionBreak | None = None) -> Any:
    """The layered history chart of one KPI (unconfigured, so it can sit in a grid).

    ``limits`` (a row of :func:`kpikit.engine.behaviour.behaviour`) adds the centre line (thin, solid) and
    the natural process limits (dotted), grey so that they read in greyscale and never compete with status.
    ``definition`` marks where a changed definition breaks the history (a labelled rule at the start of
    its first comparable period); the limit lines then start there too.
    """
    objective_id, metric_id = row["objective_id"], row["metric_id"]
    unit = str(row["unit"]) if isinstance(row["unit"], str) else ""
    traj, off_chart = window(traj, {"review": me["period"], "target": row["target_period"],
                                    "baseline": row["baseline_period"]})
    order = traj["period"].tolist()
    # the period order goes in as the scale domain (data), not as a sort list (an expression
    # that overflows Vega's parser at ~1,440 periods)
    width = width or max(360, min(900, 14 * len(order)))
    x_axis = alt.Axis(labelAngle=-45, labelOverlap="greedy", labelSeparation=4, values=axis_periods(order, width))
    x = alt.X("period:O", scale=alt.Scale(domain=order), title=None, axis=x_axis)
    y_title = unit or str(row["name"])
    values = pd.concat([traj["actual"], traj["expected"], traj["forecast"]]).dropna().tolist()
    refs = []
    for kind in ("target", "stretch", "benchmark"):
        v = _num(row[kind])
        if not math.isnan(v):
            extra = ""
            if kind == "benchmark" and isinstance(row["benchmark_source"], str):
                extra = f" ({short(row['benchmark_source'], 24)})"
            refs.append({"kind": kind, "value": v, "label": f"{kind} {fmt(v, unit)}{extra}"})
            values.append(v)
    limit_rows = []
    if limits is not None:
        for kind, key in (("centre", "centre"), ("lower limit", "lower_limit"), ("upper limit", "upper_limit")):
            v = _num(limits[key])
            limit_rows.append({"kind": kind, "value": v, "label": f"{kind} {fmt(v, unit)}"})
            values.append(v)
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    y_scale = alt.Scale(domain=[lo - pad, hi + pad], nice=False, zero=False)
    _place_labels(refs, lo - pad, hi + pad, HISTORY_HEIGHT)

    marks = _milestone_marks(row, unit, set(order))
    planned = "plan (baseline, milestones, target)" if isinstance(row["baseline_period"], str) else \
        "plan (milestones, target)"
    plan_series = planned if marks else ("trajectory (baseline to target)" if isinstance(row["baseline_period"], str)
                                         else "target (threshold)")
    lines = pd.concat([
        traj.assign(series=plan_series, value=traj["expected"]),
        traj.assign(series="actual", value=traj["actual"]),
        traj.assign(series="forecast", value=traj["forecast"]),
    ], ignore_index=True)[["period", "series", "value"]].dropna(subset=["value"])
    style = {"actual": (ACTUAL_COLOUR, [1, 0]), plan_series: (TRAJECTORY_COLOUR, [4, 3]),
             "forecast": (ACTUAL_COLOUR, [6, 4])}
    series = [k for k in style if k in set(lines["series"])]
    line_layer = alt.Chart(lines).mark_line(strokeWidth=2).encode(
        x=x,
        y=alt.Y("value:Q", scale=y_scale, title=y_title),
        color=alt.Color("series:N", scale=alt.Scale(domain=series, range=[style[k][0] for k in series]),
                        legend=alt.Legend(title=None, orient="top")),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=series, range=[style[k][1] for k in series]),
                                  legend=None),
        detail="series:N",
        tooltip=[alt.Tooltip("period:O", title="Period"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("value:Q", title="Value", format=",.4~g")],
    )
    points = traj.dropna(subset=["actual"]).assign(
        gap=lambda d: (d["actual"] - d["expected"]) * (1 if row["direction"] != "down" else -1))
    point_layer = alt.Chart(points).mark_point(filled=True, size=70, stroke=STATUS_STROKE, strokeWidth=1,
                                               opacity=1).encode(
        x=x, y=alt.Y("actual:Q", scale=y_scale),
        color=_status_scale("status", "color", "top"), shape=_status_scale("status", "shape", "top"),
        tooltip=[alt.Tooltip("period:O", title="Period"), alt.Tooltip("actual:Q", title="Actual", format=",.4~g"),
                 alt.Tooltip("expected:Q", title="Expected", format=",.4~g"),
                 alt.Tooltip("gap:Q", title="Gap (+ = better)", format="+,.4~g"),
                 alt.Tooltip("status:N", title="Status")],
    )
    layers: list[Any] = [line_layer, point_layer]
    if marks:
        layers.append(alt.Chart(pd.DataFrame(marks)).mark_point(
            shape=MILESTONE_SHAPE, filled=False, size=110, strokeWidth=1.5, color=TRAJECTORY_COLOUR, opacity=1,
        ).encode(x=x, y=alt.Y("value:Q", scale=y_scale),
                 tooltip=[alt.Tooltip("label:N", title="Milestone")]))
    if refs:
        ref = pd.DataFrame(refs)
        ref_base = alt.Chart(ref)
        layers.append(ref_base.mark_rule(strokeWidth=1, color="#222222").encode(
            y=alt.Y("value:Q", scale=y_scale),
            strokeDash=alt.StrokeDash("kind:N", scale=alt.Scale(domain=list(REFERENCE_DASH),
                                                                range=list(REFERENCE_DASH.values())), legend=None),
            tooltip=[alt.Tooltip("label:N", title="Reference")],
        ))
        # labels in a column right of the plot, nudged apart so close lines keep readable labels
        layers.append(ref_base.mark_text(align="left", baseline="middle", fontSize=10, font=FONT,
                                         color="#222222").encode(
            x=alt.value(width + 6), y=alt.Y("px:Q", scale=None), text="label:N"))
    brk_at = definition.start if definition is not None and definition.start in order else None
    if limit_rows:
        limit_x: dict[str, Any] = {}
        if brk_at is not None:  # the limits describe the comparable part only: draw them over it
            limit_rows = [{**r, "period": brk_at, "end": order[-1]} for r in limit_rows]
            limit_x = {"x": alt.X("period:O", scale=alt.Scale(domain=order), bandPosition=0, title=None, axis=x_axis),
                       "x2": alt.X2("end:O")}
        layers.append(alt.Chart(pd.DataFrame(limit_rows)).mark_rule(strokeWidth=1, color=LIMIT_COLOUR).encode(
            **limit_x,
            y=alt.Y("value:Q", scale=y_scale),
            strokeDash=alt.StrokeDash("kind:N", scale=alt.Scale(domain=["centre", "lower limit", "upper limit"],
                                                                range=[[1, 0], [1, 3], [1, 3]]), legend=None),
            tooltip=[alt.Tooltip("label:N", title="Natural process limits")],
        ))
    if isinstance(me["period"], str) and me["period"] in order:
        mark = pd.DataFrame({"period": [me["period"]], "label": [f"review {me['period']}"]})
        layers.append(alt.Chart(mark).mark_rule(color="#555555", strokeDash=[2, 2]).encode(x=x))
        layers.append(alt.Chart(mark).mark_text(align="right", baseline="top", dx=-3, dy=2, fontSize=10, font=FONT,
                                                color="#555555").encode(x=x, y=alt.value(0), text="label:N"))
    if definition is not None and brk_at is not None:
        brk = pd.DataFrame({"period": [brk_at], "label": [f"new definition from {brk_at}"],
                            "tip": [f"{definition.label}: values before {brk_at} are not comparable"]})
        brk_x = alt.X("period:O", scale=alt.Scale(domain=order), bandPosition=0, title=None, axis=x_axis)
        # the rule starts under the top text row (the review marker's label) and its label sits in the
        # second row, on the side away from the review marker, so no line crosses a label
        layers.append(alt.Chart(brk).mark_rule(color=BREAK_COLOUR, strokeWidth=1.5, strokeDash=[8, 3]).encode(
            x=brk_x, y=alt.value(BREAK_TOP), y2=alt.value(HISTORY_HEIGHT),
            tooltip=[alt.Tooltip("tip:N", title="Definition changed")]))
        review_after = isinstance(me["period"], str) and me["period"] in order and \
            order.index(me["period"]) >= order.index(brk_at)
        layers.append(alt.Chart(brk).mark_text(
            align="right" if review_after else "left", baseline="top", dx=-3 if review_after else 3, dy=14,
            fontSize=10, font=FONT, color=BREAK_COLOUR).encode(x=brk_x, y=alt.value(0), text="label:N"))
    better = "lower" if row["direction"] == "down" else "higher"
    status = str(me["status"])
    sub = [f"{objective_id}/{metric_id} · {better} is better", f"{status} in {me['period']}"]
    if not math.isnan(_num(me["actual"])):
        sub[1] += f": actual {fmt(_num(me['actual']), unit)}, expected {fmt(_num(me['expected']), unit)}"
    if isinstance(me["trend"], str) and me["trend"]:
        fc = _num(me["forecast"])
        upto = traj["period"].tolist().index(me["period"]) + 1 if me["period"] in order else len(traj)
        word = review.trend_word(me["trend"], traj["actual"].iloc[:upto].tolist(), str(row["direction"]))
        sub.append(f"trend {word}" + (f"; forecast {fmt(fc, unit)} at {row['target_period']}" if not math.isnan(fc)
                                              else ""))
    if marks:
        named = ", ".join(m["short"] for m in marks[:MILESTONES_NAMED])
        more = f" and {len(marks) - MILESTONES_NAMED} more" if len(marks) > MILESTONES_NAMED else ""
        sub.append(f"milestones (diamonds): {named}{more}")
    if limit_rows:
        signal = str(limits["signal"]) if limits is not None else ""
        said = {"outside": "beyond a limit: a signal", "run": "a run on one side: a signal",
                "near-limit": "near a limit: a signal", "none": "within ordinary variation"}.get(signal, "")
        low, high = _num(limit_rows[1]["value"]), _num(limit_rows[2]["value"])
        sub.append(f"process limits (dotted) {fmt(low, unit)} to {fmt(high, unit)}"
                   + (f"; {said}" if said else ""))
    if definition is not None:
        sub.append(f"{definition.label}: only {definition.start} on is comparable (trend, forecast, limits)")
    if off_chart:
        sub.append(off_chart)
    chart = alt.layer(*layers).properties(
        width=width, height=HISTORY_HEIGHT,
        title=alt.Title(short(row["name"], 80 if width > 500 else 50), subtitle=sub),
    ).resolve_scale(color="independent", shape="independent", strokeDash="independent")
    return chart


def _milestone_marks(row: Mapping[Any, Any], unit: str, shown: set[str]) -> list[dict[str, Any]]:
    """The KPI's milestones that fall in the chart's periods: ``period, value, label, short``."""
    freq = row.get("frequency")
    if freq not in FREQUENCIES:
        return []
    out = []
    for at, value in row.get("milestones") or ():
        period = str(Period(freq, int(at)))
        if period in shown:
            out.append({"period": period, "value": float(value), "short": f"{fmt(float(value), unit)} ({period})",
                        "label": f"interim target {fmt(float(value), unit)} for {period}"})
    return out


def window(traj: pd.DataFrame, anchors: Mapping[str, Any]) -> tuple[pd.DataFrame, str]:
    """At most :data:`MAX_PERIODS` rows of a trajectory around its actuals, and a note on what was cut.

    A review period typed as ``2206-Q3`` or actuals spanning centuries make a trajectory
    of thousands of periods: unreadable, and once Vega drew an axis that long it
    overflowed its stack. The window keeps the actuals (the latest :data:`MAX_PERIODS`
    of them when they alone are longer; with no actuals, the baseline or target period),
    then widens to take in the review, target and baseline periods (``anchors``: name ->
    period), in that order, while it fits; any anchor left out is named in the note.
    """
    n = len(traj)
    if n <= MAX_PERIODS:
        return traj, ""
    periods = traj["period"].astype("str").tolist()
    where = {p: i for i, p in enumerate(periods)}
    known = np.flatnonzero(traj["actual"].notna().to_numpy())
    marks = {k: where[str(v)] for k, v in anchors.items() if isinstance(v, str) and str(v) in where}
    if len(known):
        lo, hi = int(known[0]), int(known[-1])
    else:  # no actuals yet: the KPI's own plan (baseline, target) before the review period
        lo = hi = next((marks[k] for k in ("baseline", "target", "review") if k in marks), n - 1)
    lo = max(lo, hi - MAX_PERIODS + 1)
    for i in (marks[k] for k in ("review", "target", "baseline") if k in marks):
        if max(hi, i) - min(lo, i) + 1 <= MAX_PERIODS:
            lo, hi = min(lo, i), max(hi, i)
    cut = [f"{k} period {anchors[k]}" for k, i in marks.items() if not lo <= i <= hi]
    note = f"periods {periods[lo]} to {periods[hi]} shown ({hi - lo + 1} of {n})"
    if cut:
        note += "; outside the chart: " + ", ".join(cut)
    return traj.iloc[lo:hi + 1].reset_index(drop=True), note


# -- many KPIs -------------------------------------------------------------------------

def status_overview(eng: Engagement, period: str | None = None,
                    by: Literal["pillar", "org_unit"] = "pillar") -> alt.LayerChart:
    """Every KPI as one symbol (colour AND shape = status), grouped by pillar or org unit.

    Each group has a header line in words (name, score, counts per status: readable
    without colour), then its KPIs, reds first, :data:`PER_ROW` to a line. Width stays
    fixed (it fits an A4 page); height grows with the number of KPIs.
    """
    detail = review.scorecard_detail(eng, period)
    roll = review.rollup(eng, by, period)
    detail["group"] = detail["objective_id"].map(review.group_of(eng, by))
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    detail["rank"] = detail["status"].map(rank)
    kpis, headers = [], []
    line = 0
    for g in roll.to_dict("records"):
        mine = detail[detail["group"] == g["id"]].sort_values(["rank", "objective_id", "metric_id"], kind="stable")
        score = "no score" if math.isnan(g["score"]) else f"score {g['score']:.0%}"
        counts = ", ".join(f"{g[s]} {s}" for s in ("green", "amber", "red", "no-data") if g[s])
        name = short(g["name"], 48) + ("" if g["id"] == review.NO_PILLAR_ID else f" ({g['id']})")
        headers.append({"line": line, "text": f"{name}: {score}, {counts or 'no KPIs'}"})
        line += 1
        for i, r in enumerate(mine.to_dict("records")):
            kpis.append({"line": line + i // PER_ROW, "col": i % PER_ROW, "status": r["status"],
                         "kpi": f"{r['objective_id']}/{r['metric_id']}", "name": short(r["name"], 60),
                         "group": g["name"], "actual": r["actual"], "expected": r["expected"], "period": r["period"]})
        line += math.ceil(len(mine) / PER_ROW)
    n_lines = max(1, line)
    y = alt.Y("line:O", axis=None, scale=alt.Scale(domain=list(range(n_lines))))
    x = alt.X("col:Q", scale=alt.Scale(domain=[-0.6, PER_ROW - 0.4], nice=False), axis=None)
    sym = alt.Chart(pd.DataFrame(kpis, columns=["line", "col", "status", "kpi", "name", "group", "actual", "expected",
                                                "period"])).mark_point(filled=True, size=80, stroke=STATUS_STROKE,
                                                                       strokeWidth=1, opacity=1).encode(
        x=x, y=y,
        color=_status_scale("status", "color", "top"), shape=_status_scale("status", "shape", "top"),
        tooltip=[alt.Tooltip("kpi:N", title="KPI"), alt.Tooltip("name:N", title="Metric"),
                 alt.Tooltip("group:N", title="Pillar" if by == "pillar" else "Org unit"),
                 alt.Tooltip("period:N", title="Period"), alt.Tooltip("status:N", title="Status"),
                 alt.Tooltip("actual:Q", title="Actual", format=",.4~g"),
                 alt.Tooltip("expected:Q", title="Expected", format=",.4~g")],
    )
    head = alt.Chart(pd.DataFrame(headers, columns=["line", "text"])).mark_text(
        align="left", baseline="middle", fontSize=11, fontWeight="bold", font=FONT, color="#222222", limit=PER_ROW * 18,
    ).encode(x=alt.value(0), y=y, text="text:N")
    what = "pillar" if by == "pillar" else "org unit"
    tally = detail["status"].value_counts().to_dict()
    sub = (f"{len(detail)} KPIs: " + ", ".join(f"{int(tally.get(s, 0))} {s}" for s in ("green", "amber", "red", "no-data"))
           + f". One symbol per KPI, reds first; score = mean of the {what}'s objective scores.")
    r = eng.review_period(period)
    chart = alt.layer(sym, head).properties(
        width=PER_ROW * 18, height=max(60, ROW_PX * n_lines),
        title=alt.Title(f"KPI status by {what}" + (f", review {r}" if r is not None else ""), subtitle=sub),
    )
    return _config(chart)  # type: ignore[no-any-return]


def sparkline(values: Sequence[float] | pd.Series | np.ndarray, direction: str | None = None,
              width: int = 90, height: int = 22) -> alt.LayerChart:
    """A small trend line of ``values`` (oldest first; NaN = missing) with its last point marked.

    With ``direction`` (``up`` or ``down``), the last point is green when the last value
    is better than the first, vermillion when worse (polarity-aware), grey otherwise.
    """
    v = np.asarray(pd.Series(values, dtype="float64"))
    data = pd.DataFrame({"i": np.arange(len(v)), "value": v})
    known = data.dropna()
    state = "neutral"
    if direction in ("up", "down") and len(known) >= 2:
        change = float(known["value"].iloc[-1] - known["value"].iloc[0]) * (1 if direction == "up" else -1)
        state = "better" if change > 0 else "worse" if change < 0 else "neutral"
    colour = {"better": STATUS_COLOURS["green"], "worse": STATUS_COLOURS["red"], "neutral": "#555555"}[state]
    shape = {"better": "circle", "worse": "cross", "neutral": "circle"}[state]
    axis = {"x": alt.X("i:Q", axis=None, scale=alt.Scale(nice=False, padding=3)),
                "y": alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False, padding=3))}
    line = alt.Chart(data).mark_line(strokeWidth=1.5, color="#555555").encode(**axis)
    last = alt.Chart(known.tail(1).assign(state=state)).mark_point(filled=True, size=30, color=colour,
                                                                    shape=shape).encode(
        **axis, tooltip=[alt.Tooltip("value:Q", title="Latest", format=",.4~g"), alt.Tooltip("state:N", title="Change")])
    chart = alt.layer(line, last).properties(width=width, height=height)
    return chart.configure_view(stroke=None)  # type: ignore[no-any-return]


__all__ = ["GRID_WIDTH", "MAX_PERIODS", "PER_ROW", "STATUS_COLOURS", "STATUS_ORDER", "STATUS_SHAPES", "kpi_history",
           "kpi_history_grid", "sparkline", "status_overview", "window"]
