"""Review: where each KPI stands in the review period, how objectives score, what changed and what to adapt.

The numbers follow the contract (engagement-format.md, "Status, attainment and
roll-up") exactly; this module is the one place that computes them, for the
scorecard, the notebooks, the report and ``kpikit validate`` alike.

- A KPI is reviewed in its own period p: the latest period of its metric's frequency
  that ends on or before the end of the review period R, fiscal years read as
  ``fiscal_year_start`` says (:func:`kpikit.engine.frames.kpi_periods`); a metric measured
  every n periods in its latest period with an actual within n - 1 periods before p
  (:func:`kpikit.engine.frames.reviewed_ords`).
- expected follows the KPI's points: baseline, milestones, target (:func:`expected_values`).
- expected, gap, tolerance, status and attainment: :func:`scorecard`.
- Objective scores roll up KPIs and child objectives: :func:`objective_scores`;
  pillars and org units: :func:`rollup`.
- Trend, forecast and status change: :func:`scorecard_detail`. Trend and forecast read only the
  comparable part of a KPI's history: after a change of its metric's definition since the last
  published report, only the actuals after that report (:func:`comparable_actuals`).
- What changed since the previous review and what to adapt next: :func:`changes_since_previous`,
  :func:`suggestions`.

Everything is vectorised over KPIs and actuals (no Python loop over actual rows).
Comparisons allow a relative rounding slack of 1e-9, so that an actual typed exactly
on the trajectory is green, not amber by a floating-point hair.

>>> scorecard(eng, "2026-Q2")                      # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from kpikit.data.cells import empty_text_column, text_column
from kpikit.engine import cascade
from kpikit.engine.definitions import definition_breaks
from kpikit.engine.findings import Finding
from kpikit.engine.frames import (
    ORD_SPAN,
    actuals_frame,
    kpi_periods,
    metric_codes,
    reviewed_ords,
    selected_kpis,
)
from kpikit.periods import FREQUENCIES, PERIODS_PER_YEAR, Frequency, Period
from kpikit.text import fmt, period_word, plural

if TYPE_CHECKING:
    from kpikit.data.model import Engagement

SCORECARD_COLUMNS = ["objective_id", "metric_id", "period", "actual", "expected", "gap", "status", "attainment"]
"""The columns of ``scorecard.csv`` (contract)."""
OBJECTIVE_SCORE_COLUMNS = ["objective_id", "score"]
STATUSES = ("green", "amber", "red", "no-data")
STATUS_RANK = {"green": 0, "amber": 1, "red": 2}

N_TREND = 4
"""Trend: least-squares slope over the last N_TREND actuals up to p (at least 2)."""
N_FORECAST = 6
"""Forecast: linear fit on the last N_FORECAST actuals up to p (at least 3), read at target_period."""
MIN_FORECAST = 3
FLAT_SHARE = 0.01
"""A trend is flat when it moves less than 1% of |target - baseline| (|target| for a threshold KPI) per period."""
RED_RUN = 3
"""Red in this many consecutive periods (ending in p) suggests reviewing the target or the initiative."""
EPS = 1e-9
NO_PILLAR_ID = "(none)"
NO_PILLAR_NAME = "No pillar (unaligned)"
"""The roll-up row of objectives that reach no pillar (OBJECTIVE_UNALIGNED and their children)."""

METHOD = (
    "Status. Each KPI is reviewed in its own period: the latest period of its metric's frequency "
    "that ends on or before the end of the review period (years and quarters are fiscal ones when "
    "engagement.yaml sets fiscal_year_start: with 7, the year 2030 runs from July 2029 to June 2030). "
    "A metric measured once every n periods (measured_every) is reviewed on its latest actual "
    "within the last n periods of its own period, and has no data only when there is none. "
    "Expected value: the target for a KPI without a baseline or milestones; otherwise the straight "
    "line through its points in period order (the baseline, each interim target of milestones.csv, "
    "the target), counted in periods of the metric's frequency, held at the first point's value "
    "before it and at the target after the target period. Gap: actual minus expected when higher is "
    "better, expected minus actual when lower is better. Tolerance: amber_tolerance times "
    "|target - baseline| (times |target| without a baseline; milestones do not change it). Green when the gap is 0 or better, amber when it is short by no more than the "
    "tolerance, red beyond it, no-data without an actual (values within one part in a billion count as "
    "equal, so an actual typed exactly on the line is green). Attainment: with a baseline different from "
    "the target, (actual - baseline) / (target - baseline); otherwise 1 when the target is met, else "
    "actual / target (higher is better) or target / actual (lower is better); always clipped to 0..1, "
    "0 where the division is undefined. An objective's score is the weighted mean (kpis.csv weight) of "
    "its KPIs' attainments together with its child objectives' scores (weight 1 each); KPIs without "
    "data are left out. A pillar's score is the mean of the scores of its top objectives (objectives of "
    "the pillar whose parent is not in the pillar; their scores already include their children; "
    "objectives that reach no pillar form a group of their own); an org unit's score is the mean of the "
    "scores of the objectives it owns. "
    f"Trend: the least-squares slope of the last {N_TREND} actuals, read in the KPI's good direction "
    f"(improving means better, not bigger); flat when it moves less than {FLAT_SHARE:.0%} of "
    "|target - baseline| per period. "
    f"Forecast: a straight line fitted to the last {N_FORECAST} actuals (at least {MIN_FORECAST}), read at "
    "the target period; the KPI will meet its target when that forecast reaches it."
)
"""The review rules as the report's method notes print them."""


# -- periods -----------------------------------------------------------------------

def previous_review_period(eng: Engagement, period: str | Period | None = None) -> Period | None:
    """The review before R: one ``review_cadence`` step earlier.

    In R's own frequency when the step is a whole number of R's periods
    (2026-Q3, quarterly -> 2026-Q2; 2026-09, quarterly -> 2026-06), else as the month
    that ends one step before R (2026, quarterly -> 2026-09).
    """
    r = period if isinstance(period, Period) else eng.review_period(period)
    if r is None:
        return None
    step = 12 // PERIODS_PER_YEAR[eng.config.review_cadence]
    months = 12 // PERIODS_PER_YEAR[r.freq]
    if step % months == 0:
        return r.shift(-(step // months))
    return Period("monthly", r.last_month(eng.config.fiscal_year_start) - step)


def _period_text(freq: pd.Series, ords: np.ndarray) -> pd.Series:
    names: dict[str, Frequency] = {f: f for f in FREQUENCIES}
    out = [str(Period(names[f], int(o))) if f in names and not math.isnan(o) else np.nan
           for f, o in zip(freq.tolist(), ords.tolist(), strict=True)]
    return pd.Series(out, index=freq.index, dtype="str")


# -- the status rule ---------------------------------------------------------------

def _lookup(acts: pd.DataFrame, metric_ids: pd.Series, ords: np.ndarray) -> np.ndarray:
    """Actual value of each (metric, ordinal), NaN where there is none (one binary search)."""
    out = np.full(len(metric_ids), np.nan)
    if acts.empty:
        return out
    codes = metric_codes(acts, metric_ids)
    ok = (codes >= 0) & ~np.isnan(ords)
    want = codes[ok] * ORD_SPAN + ords[ok].astype("int64")
    keys = acts["key"].to_numpy()
    pos = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
    hit = keys[pos] == want
    vals = np.where(hit, acts["value"].to_numpy(dtype="float64")[pos], np.nan)
    out[ok] = vals
    return out


def plan_points(row: Mapping[Hashable, Any]) -> list[tuple[str, float, float]]:
    """One KPI's points in period order: ``(what, ordinal, value)`` for the baseline (when there is
    one), each milestone and the target; the expected value runs through them."""
    out: list[tuple[str, float, float]] = []
    if not math.isnan(float(row["baseline"])):
        out.append(("baseline", float(row["baseline_ord"]), float(row["baseline"])))
    out.extend(("milestone", float(o), float(v)) for o, v in (row.get("milestones") or ()))
    out.append(("target", float(row["target_ord"]), float(row["target"])))
    return out


def expected_values(kt: pd.DataFrame, p: np.ndarray) -> np.ndarray:
    """Expected value of each KPI in period ordinal p (contract: through the KPI's points, or threshold).

    Without milestones: the line from the baseline to the target (held before and after it), or
    the target alone. With milestones (``kt["milestones"]``, see :func:`~kpikit.engine.frames.selected_kpis`):
    the straight line between successive points (baseline, milestones, target), held at the first
    point's value before it and at the target after the target period.
    """
    t = kt["target"].to_numpy(dtype="float64")
    b = kt["baseline"].to_numpy(dtype="float64")
    to = kt["target_ord"].to_numpy(dtype="float64")
    bo = kt["baseline_ord"].to_numpy(dtype="float64")
    span = to - bo
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(span > 0, (p - bo) / np.where(span > 0, span, 1.0), np.where(p >= to, 1.0, 0.0))
    line = np.where(frac >= 1, t, np.where(frac <= 0, b, b + frac * (t - b)))
    out = np.where(np.isnan(b), t, line)
    if "milestones" not in kt:
        return out
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, ms in enumerate(kt["milestones"].tolist()):
        if ms:  # rows of one KPI (a trajectory repeats it) share one interpolation
            key = tuple(None if math.isnan(x) else float(x) for x in (b[i], bo[i], t[i], to[i]))  # NaN != NaN
            groups.setdefault((*key, ms), []).append(i)
    for (b_i, bo_i, t_i, to_i, ms), rows in groups.items():
        pts = plan_points({"baseline": math.nan if b_i is None else b_i, "baseline_ord": math.nan if bo_i is None else bo_i,
                           "target": t_i, "target_ord": to_i, "milestones": ms})
        at = np.array(rows)
        out[at] = np.interp(p[at], [x for _, x, _ in pts], [v for _, _, v in pts])  # holds at both ends
    return out


def evaluate(kt: pd.DataFrame, acts: pd.DataFrame, p: np.ndarray, amber_tolerance: float) -> pd.DataFrame:
    """The contract's numbers for each KPI in period ordinal p: actual, expected, gap, tolerance, status, attainment."""
    actual = _lookup(acts, kt["metric_id"], p)
    expected = expected_values(kt, p)
    sign = kt["sign"].to_numpy(dtype="float64")
    t = kt["target"].to_numpy(dtype="float64")
    b = kt["baseline"].to_numpy(dtype="float64")
    has_base = ~np.isnan(b)
    scale = np.maximum(np.maximum(np.abs(actual), np.abs(expected)), np.abs(t))
    gap = sign * (actual - expected)
    gap = np.where(np.abs(gap) <= EPS * scale, 0.0, gap)
    tolerance = amber_tolerance * np.where(has_base, np.abs(t - b), np.abs(t))
    missing = np.isnan(actual)
    status = np.where(missing, "no-data",
                      np.where(gap >= 0, "green", np.where(gap >= -tolerance - EPS * scale, "amber", "red")))
    with np.errstate(divide="ignore", invalid="ignore"):
        linear = (actual - b) / (t - b)
        met = sign * (actual - t) >= -EPS * scale
        ratio = np.where(sign > 0, actual / t, t / actual)
    ratio = np.where(np.isfinite(ratio), ratio, 0.0)
    threshold = np.where(met, 1.0, ratio)
    attainment = np.clip(np.where(has_base & (b != t), linear, threshold), 0.0, 1.0)
    attainment = np.where(missing, np.nan, attainment)
    gap = np.where(missing, np.nan, gap)
    return pd.DataFrame({"actual": actual, "expected": expected, "gap": gap, "tolerance": tolerance,
                         "status": status, "attainment": attainment, "met": met & ~missing})


def _base(eng: Engagement, period: str | Period | None) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The KPI table, the sorted actuals and the period each KPI is reviewed in.

    That period is the KPI's own period p, or for a metric measured every n periods the
    latest period with an actual within n - 1 periods before p (:func:`~kpikit.engine.frames.reviewed_ords`).
    """
    kt = selected_kpis(eng)
    acts = actuals_frame(eng)
    return kt, acts, reviewed_ords(kt, acts, kpi_periods(eng, kt, period))


def scorecard(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """``scorecard.csv``: one row per selected KPI, in kpis.csv order, with exactly :data:`SCORECARD_COLUMNS`.

    ``period`` is the review period R (default: ``eng.review_period()``); the
    ``period`` column shows each KPI's own period p.
    """
    kt, acts, p = _base(eng, period)
    return _scorecard(kt, p, evaluate(kt, acts, p, eng.config.status.amber_tolerance))


def _scorecard(kt: pd.DataFrame, p: np.ndarray, ev: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"objective_id": kt["objective_id"], "metric_id": kt["metric_id"],
                        "period": _period_text(kt["frequency"], p)})
    for col in ("actual", "expected", "gap", "status", "attainment"):
        out[col] = ev[col].to_numpy()
    out["status"] = out["status"].astype("str")
    return out[SCORECARD_COLUMNS]


# -- trend and forecast --------------------------------------------------------------

def _fits(kt: pd.DataFrame, acts: pd.DataFrame, p: np.ndarray, n: int) -> pd.DataFrame:
    """Per KPI: least-squares line through the last ``n`` actuals up to p, x = periods from p.

    Returns ``n_points, slope, level`` (level = the fitted value at p; with no review
    period, at the metric's latest actual). Pure numpy over the sorted actuals: per-metric
    sums with ``bincount``, no loop over KPIs or actuals.
    """
    k_codes = metric_codes(acts, kt["metric_id"])
    n_codes = int(acts["code"].max()) + 1 if len(acts) else 0
    p_by_code = np.full(n_codes, np.nan)
    has = k_codes >= 0
    p_by_code[k_codes[has]] = p[has]          # one metric, one frequency, one p
    code = acts["code"].to_numpy()
    ords = acts["ord"].to_numpy(dtype="float64")
    vals = acts["value"].to_numpy(dtype="float64")
    pc = p_by_code[code] if n_codes else np.array([])
    keep = np.isnan(pc) | (ords <= pc)
    code, ords, vals, pc = code[keep], ords[keep], vals[keep], pc[keep]
    end = np.searchsorted(code, code, side="right")       # one past the end of each row's metric
    last = (end - 1 - np.arange(len(code))) < n            # among its metric's last n actuals
    ref = np.where(np.isnan(pc), ords[np.maximum(end - 1, 0)] if len(code) else pc, pc)
    code, x, y = code[last], (ords - ref)[last], vals[last]
    cnt = np.bincount(code, minlength=n_codes).astype("float64")
    sx = np.bincount(code, x, n_codes)
    sy = np.bincount(code, y, n_codes)
    sxx = np.bincount(code, x * x, n_codes)
    sxy = np.bincount(code, x * y, n_codes)
    with np.errstate(divide="ignore", invalid="ignore"):
        den = cnt * sxx - sx**2
        slope = np.where(den != 0, (cnt * sxy - sx * sy) / np.where(den != 0, den, 1.0), np.nan)
        level = (sy - slope * sx) / cnt
    pick = np.where(has, k_codes, 0)
    return pd.DataFrame({
        "n_points": np.where(has, cnt[pick] if n_codes else 0, 0).astype("int64"),
        "slope": np.where(has, slope[pick] if n_codes else np.nan, np.nan),
        "level": np.where(has, level[pick] if n_codes else np.nan, np.nan),
    })


def comparable_actuals(eng: Engagement, acts: pd.DataFrame, period: str | Period | None = None) -> pd.DataFrame:
    """:func:`~kpikit.engine.frames.actuals_frame` without the actuals a changed definition made incomparable.

    A metric whose formula, unit, direction, source or query changed since the last published
    report up to the review period (:func:`kpikit.engine.definitions.definition_breaks`,
    ``KPI_DEFINITION_CHANGED``) keeps only its actuals after that report's period (in its own
    frequency): a trend or forecast across the break would mix two different numbers.
    Status still reads every actual; only the fits use this (the process limits do the same).
    """
    if acts.empty:
        return acts
    breaks = definition_breaks(eng, period)
    if not breaks:
        return acts
    after = {mid: float(b.after) for mid, b in breaks.items() if b.after is not None}
    cut = acts["metric_id"].map(after).to_numpy(dtype="float64")  # NaN: no break, keep
    drop = acts["ord"].to_numpy(dtype="float64") <= cut
    return acts[~drop].reset_index(drop=True) if drop.any() else acts


def _trend(kt: pd.DataFrame, acts: pd.DataFrame, p: np.ndarray) -> pd.DataFrame:
    fit = _fits(kt, acts, p, N_TREND)
    sign = kt["sign"].to_numpy(dtype="float64")
    t = kt["target"].to_numpy(dtype="float64")
    b = kt["baseline"].to_numpy(dtype="float64")
    scale = np.where(~np.isnan(b) & (b != t), np.abs(t - b), np.abs(t))
    slope = np.where(fit["n_points"].to_numpy() >= 2, fit["slope"].to_numpy(), np.nan)
    better = sign * slope
    flat = np.abs(slope) <= FLAT_SHARE * scale
    trend = np.where(np.isnan(slope), "", np.where(flat, "flat", np.where(better > 0, "improving", "worsening")))
    return pd.DataFrame({"trend": trend, "trend_slope": slope})


def trend_word(trend: str, values: Sequence[float], direction: str) -> str:
    """The trend word as a reader should see it: ``mixed`` when the latest movement runs against the slope.

    ``trend`` is the scorecard's (the least-squares slope of the last :data:`N_TREND`
    actuals); ``values`` are the KPI's actuals up to its review period, oldest first.
    65.4 -> 72.1 -> 67 slopes upwards, but "improving" beside a fall would mislead, so the
    report and the charts both say "mixed".

    >>> trend_word("improving", [65.4, 72.1, 67.0], "up")
    'mixed'
    >>> trend_word("improving", [67.0, 65.4, 60.1], "down")
    'improving'
    """
    known = [float(v) for v in values if v == v]  # NaN is a gap
    if trend not in ("improving", "worsening") or len(known) < 2:
        return trend
    move = (known[-1] - known[-2]) * (-1 if direction == "down" else 1)
    return "mixed" if (trend == "improving" and move < 0) or (trend == "worsening" and move > 0) else trend


def _forecast(kt: pd.DataFrame, acts: pd.DataFrame, p: np.ndarray, ev: pd.DataFrame) -> pd.DataFrame:
    fit = _fits(kt, acts, p, N_FORECAST)
    to = kt["target_ord"].to_numpy(dtype="float64")
    t = kt["target"].to_numpy(dtype="float64")
    sign = kt["sign"].to_numpy(dtype="float64")
    ok = (fit["n_points"].to_numpy() >= MIN_FORECAST) & (to > p)
    forecast = np.where(ok, fit["level"].to_numpy() + fit["slope"].to_numpy() * (to - p), np.nan)
    will = pd.array([pd.NA] * len(kt), dtype="boolean")
    scale = np.maximum(np.abs(forecast), np.abs(t))
    meets = sign * (forecast - t) >= -EPS * scale
    has_fc = ~np.isnan(forecast)
    will[has_fc] = meets[has_fc]
    passed = (to <= p) & (ev["status"].to_numpy() != "no-data")
    will[passed] = ev["met"].to_numpy()[passed]
    return pd.DataFrame({"forecast": forecast, "will_meet_target": will})


# -- the detail table --------------------------------------------------------------

def scorecard_detail(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """The scorecard plus what the report needs to explain each row.

    Adds: ``name, unit, direction, frequency, target, target_period, baseline,
    baseline_period, stretch, benchmark, weight, tolerance, trend`` (improving / flat /
    worsening, polarity-aware; empty with fewer than 2 actuals), ``trend_slope`` (per
    period, in the metric's unit), ``forecast`` (value at target_period; NaN once the
    target period is reached or with fewer than 3 actuals), ``will_meet_target``
    (forecast meets the target; after the target period: the actual meets it),
    ``previous_period, previous_status, status_change`` (see
    :func:`changes_since_previous`; "unchanged" when the status is the same).
    """
    return _detail(eng, period, _base(eng, period))


def _detail(eng: Engagement, period: str | None, base: tuple[pd.DataFrame, pd.DataFrame, np.ndarray]) -> pd.DataFrame:
    kt, acts, p = base
    ev = evaluate(kt, acts, p, eng.config.status.amber_tolerance)
    out = _scorecard(kt, p, ev)
    for col in ("name", "unit", "direction", "frequency", "target", "target_period", "baseline",
                "baseline_period", "stretch", "benchmark", "weight"):
        out[col] = kt[col].to_numpy()
    out["tolerance"] = ev["tolerance"].to_numpy()
    comparable = comparable_actuals(eng, acts, period)
    trend = _trend(kt, comparable, p)
    out["trend"] = trend["trend"].astype("str").to_numpy()
    out["trend_slope"] = trend["trend_slope"].to_numpy()
    fc = _forecast(kt, comparable, p, ev)
    out["forecast"] = fc["forecast"].to_numpy()
    out["will_meet_target"] = fc["will_meet_target"].to_numpy()
    prev = _previous(eng, kt, acts, period)
    out["previous_period"] = prev["previous_period"].to_numpy()
    out["previous_status"] = prev["previous_status"].to_numpy()
    out["status_change"] = [_change(a, b) for a, b in zip(prev["previous_status"], out["status"], strict=True)]
    out["status_change"] = out["status_change"].astype("str")
    return out


def _previous(eng: Engagement, kt: pd.DataFrame, acts: pd.DataFrame, period: str | None) -> pd.DataFrame:
    prev_r = previous_review_period(eng, period)
    if prev_r is None:
        return pd.DataFrame({"previous_period": empty_text_column(kt.index).to_numpy(),
                             "previous_status": empty_text_column(kt.index).to_numpy()})
    pp = reviewed_ords(kt, acts, kpi_periods(eng, kt, prev_r))
    ev = evaluate(kt, acts, pp, eng.config.status.amber_tolerance)
    return pd.DataFrame({"previous_period": _period_text(kt["frequency"], pp).to_numpy(),
                         "previous_status": text_column(ev["status"]).to_numpy()})


def _change(before: object, now: object) -> str:
    """Name a status change: new red, worse, better, data missing, data arrived, unchanged."""
    if not isinstance(before, str):
        return ""
    if before == now:
        return "unchanged"
    if now == "red":
        return "new red"
    if now == "no-data":
        return "data missing"
    if before == "no-data":
        return "data arrived"
    return "worse" if STATUS_RANK[str(now)] > STATUS_RANK[before] else "better"


def changes_since_previous(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """KPIs whose status differs from the previous review (:func:`previous_review_period`).

    Columns: ``objective_id, metric_id, previous_period, period, previous_status,
    status, change`` (new red, worse, better, data missing, data arrived) and
    ``message``. New reds first, then worse, data missing, data arrived, better.
    """
    d = scorecard_detail(eng, period)
    d = d[~d["status_change"].isin(["", "unchanged"])].copy()
    order = {"new red": 0, "worse": 1, "data missing": 2, "data arrived": 3, "better": 4}
    d["_o"] = d["status_change"].map(order)
    d = d.sort_values(["_o", "objective_id", "metric_id"], kind="stable")
    msgs = [
        f"KPI {r['objective_id']}/{r['metric_id']} ({r['name']}) went from {r['previous_status']} in "
        f"{r['previous_period']} to {r['status']} in {r['period']}"
        + (f" (actual {fmt(r['actual'], r['unit'])}, expected {fmt(r['expected'], r['unit'])})"
           if r["status"] != "no-data" else " (no actual yet)") + "."
        for r in d.to_dict("records")
    ]
    out = d[["objective_id", "metric_id", "previous_period", "period", "previous_status", "status",
             "status_change"]].rename(columns={"status_change": "change"}).reset_index(drop=True)
    out["message"] = pd.Series(msgs, dtype="str")
    return out


# -- objective scores and roll-ups -------------------------------------------------

def objective_scores(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """``objective_id, score`` for every objective, in objectives.csv order (contract roll-up).

    score = (sum of weight x attainment over its KPIs with data + sum of its scored
    children's scores) / (sum of those weights + number of scored children); NaN when
    it has neither.
    """
    kt, acts, p = _base(eng, period)
    return _objective_scores(eng, kt, _scorecard(kt, p, evaluate(kt, acts, p, eng.config.status.amber_tolerance)))


def _objective_scores(eng: Engagement, kt: pd.DataFrame, sc: pd.DataFrame) -> pd.DataFrame:
    has = sc["attainment"].notna()
    w = kt["weight"].to_numpy(dtype="float64")
    att = sc["attainment"].to_numpy(dtype="float64")
    g = pd.DataFrame({"o": sc["objective_id"].to_numpy(), "wa": np.where(has, w * att, 0.0),
                      "w": np.where(has, w, 0.0)}).groupby("o").sum()
    num = g["wa"].to_dict()
    den = g["w"].to_dict()
    obj = eng.objectives
    ids = obj["id"].tolist()
    parent = dict(zip(ids, obj["parent_id"].tolist(), strict=True))
    # deepest first: each scored child is folded into its parent (weight 1) before the parent is scored
    score: dict[str, float] = {}
    acc_n = {o: num.get(o, 0.0) for o in ids}
    acc_d = {o: den.get(o, 0.0) for o in ids}
    for o in _bottom_up(ids, parent):
        s = acc_n[o] / acc_d[o] if acc_d[o] > 0 else math.nan
        score[o] = s
        par = parent.get(o)
        if isinstance(par, str) and par in acc_n and not math.isnan(s):
            acc_n[par] += s
            acc_d[par] += 1.0
    return pd.DataFrame({"objective_id": pd.Series(ids, dtype="str"),
                         "score": pd.Series([score[o] for o in ids], dtype="float64")})


def _bottom_up(ids: list[str], parent: dict[str, object]) -> list[str]:
    """Objectives ordered deepest first, so every child comes before its parent."""
    depth: dict[str, int] = {}
    for o in ids:
        chain = []
        cur: object = o
        while isinstance(cur, str) and cur in parent and cur not in depth and cur not in chain:
            chain.append(cur)
            cur = parent[cur]
        d = depth[cur] + 1 if isinstance(cur, str) and cur in depth else 0
        for c in reversed(chain):
            depth[c] = d
            d += 1
    return sorted(ids, key=lambda o: -depth[o])


def group_of(eng: Engagement, by: Literal["pillar", "org_unit"] = "pillar") -> pd.Series:
    """Each objective's roll-up group, indexed by objective ID: its (inherited) pillar or
    :data:`NO_PILLAR_ID`, or its org unit."""
    if by == "pillar":
        # The inheritance rule lives in kpikit.engine.cascade; the roll-up only names the gap.
        pillars = cascade.effective_pillars(eng)["pillar_id"]
        return pillars.astype("str").where(pillars.notna(), NO_PILLAR_ID)
    if by == "org_unit":
        return eng.objectives.set_index("id")["org_unit_id"].astype("str")
    raise ValueError(f"rollup by '{by}': choose 'pillar' or 'org_unit'")


def rollup(eng: Engagement, by: Literal["pillar", "org_unit"] = "pillar", period: str | None = None) -> pd.DataFrame:
    """Scores and status counts by pillar or by org unit (rule in :data:`METHOD`).

    A pillar's score is the mean of its top objectives' scores (objectives of the
    pillar whose parent is not in it; their scores already include their children).
    An org unit's score is the mean of the scores of the objectives it owns. Columns:
    ``id, name, score, n_objectives, n_kpis, green, amber, red, no-data``; every
    pillar or unit appears, in the order of engagement.yaml / org_units.csv; objectives
    that reach no pillar are gathered in a last row :data:`NO_PILLAR_ID`.
    """
    kt, acts, p = _base(eng, period)
    sc = _scorecard(kt, p, evaluate(kt, acts, p, eng.config.status.amber_tolerance))
    scores = _objective_scores(eng, kt, sc).set_index("objective_id")["score"]
    obj = eng.objectives.set_index("id")
    key = group_of(eng, by)
    if by == "pillar":
        parent_key = obj["parent_id"].map(key)
        top = key[(parent_key.reindex(key.index) != key) | obj["parent_id"].reindex(key.index).isna()]
        keys = [(p.id, p.name) for p in eng.config.pillars]
        if (key == NO_PILLAR_ID).any():
            keys.append((NO_PILLAR_ID, NO_PILLAR_NAME))
        scored = scores.reindex(top.index)
        group_of_score = top
    else:
        keys = list(zip(eng.org_units["id"].tolist(), eng.org_units["name"].tolist(), strict=True))
        scored = scores.reindex(key.index)
        group_of_score = key
    mean = pd.Series(scored.to_numpy(), index=group_of_score.to_numpy()).groupby(level=0).mean()
    n_obj = key.groupby(key).size()
    sc["key"] = sc["objective_id"].map(key)
    counts = sc.groupby(["key", "status"]).size().unstack(fill_value=0) if len(sc) else pd.DataFrame()
    rows = []
    for k, name in keys:
        row: dict[str, object] = {"id": k, "name": name, "score": float(mean.get(k, math.nan)),
                                  "n_objectives": int(n_obj.get(k, 0))}
        have = counts.loc[k].to_dict() if k in counts.index else {}
        row["n_kpis"] = int(sum(have.values()))
        for s in STATUSES:
            row[s] = int(have.get(s, 0))
        rows.append(row)
    out = pd.DataFrame(rows, columns=["id", "name", "score", "n_objectives", "n_kpis", *STATUSES])
    out["score"] = out["score"].astype("float64")
    return out


# -- trajectory for charts ---------------------------------------------------------

def overall_score(rollup_by_pillar: pd.DataFrame) -> float:
    """The engagement's headline score: the mean of the pillar scores, each pillar counting once.

    Pillars without a score (no KPI with data yet) are left out; NaN when none has one.
    Stated in the method notes, because a board will ask how the number is made.
    """
    scores = rollup_by_pillar["score"].dropna()
    return float(scores.mean()) if len(scores) else math.nan


OVERALL_METHOD = (
    "Overall score. The headline score on the executive summary is the mean of the pillar scores, "
    "each pillar counting once; pillars with no KPI data yet are left out."
)



def trajectory(eng: Engagement, objective_id: str, metric_id: str, period: str | None = None) -> pd.DataFrame:
    """One KPI period by period: ``period, ord, actual, expected, status, forecast``.

    From its first actual or baseline period (whichever is earlier) to the later of
    its target period and p; ``status`` is each period's status by the contract's rule
    (no-data where there is no actual); ``forecast`` is filled from p to the target period along
    the fitted line (see :data:`N_FORECAST`). Raises KeyError for an unknown pairing.
    """
    kt, acts, p = base = _base(eng, period)
    hit = np.flatnonzero(((kt["objective_id"] == objective_id) & (kt["metric_id"] == metric_id)).to_numpy())
    if not len(hit):
        raise KeyError(f"{objective_id}/{metric_id} is not a selected KPI (kpis.csv)")
    i = int(hit[0])
    fit = _fits(kt.iloc[[i]].reset_index(drop=True), comparable_actuals(eng, acts, period), p[[i]], N_FORECAST)
    return _trajectory(eng, base, i, fit.to_dict("records")[0])


def trajectories(eng: Engagement, period: str | None = None) -> dict[tuple[str, str], pd.DataFrame]:
    """:func:`trajectory` of every selected KPI, keyed by (objective_id, metric_id), in kpis.csv order.

    Shares the joined KPI table, the sorted actuals and the forecast fits between KPIs,
    so 1,000 KPIs cost about as much as a few.
    """
    kt, acts, p = base = _base(eng, period)
    fits = _fits(kt, comparable_actuals(eng, acts, period), p, N_FORECAST).to_dict("records")
    return {(str(o), str(m)): _trajectory(eng, base, i, fits[i])
            for i, (o, m) in enumerate(zip(kt["objective_id"], kt["metric_id"], strict=True))}


def _trajectory(eng: Engagement, base: tuple[pd.DataFrame, pd.DataFrame, np.ndarray], i: int,
                fit: Mapping[Hashable, Any]) -> pd.DataFrame:
    kt_all, acts, p_all = base
    kt = kt_all.iloc[[i]].reset_index(drop=True)
    p = float(p_all[i])
    one = kt.to_dict("records")[0]
    freq: Frequency = one["frequency"]
    code = int(metric_codes(acts, kt["metric_id"])[0])
    codes = acts["code"].to_numpy()
    lo_i, hi_i = (np.searchsorted(codes, code, "left"), np.searchsorted(codes, code, "right")) if code >= 0 else (0, 0)
    mine = acts.iloc[int(lo_i):int(hi_i)]
    if not math.isnan(p):
        mine = mine[mine["ord"] <= p]
    first = float(mine["ord"].min()) if len(mine) else math.nan
    starts = [x for x in (float(one["baseline_ord"]), first, p, float(one["target_ord"])) if not math.isnan(x)]
    lo, hi = int(min(starts)), int(max(starts))
    ords = np.arange(lo, hi + 1, dtype="float64")
    rep = kt.loc[np.zeros(len(ords), dtype=int)].reset_index(drop=True)
    ev = evaluate(rep, mine, ords, eng.config.status.amber_tolerance)
    out = pd.DataFrame({
        "period": [str(Period(freq, int(o))) for o in ords],
        "ord": ords,
        "actual": ev["actual"].to_numpy(),
        "expected": ev["expected"].to_numpy(),
        "status": ev["status"].astype("str").to_numpy(),
    })
    fc = np.full(len(ords), np.nan)
    if not math.isnan(p) and int(fit["n_points"]) >= MIN_FORECAST:
        ahead = ords >= p
        fc[ahead] = float(fit["level"]) + float(fit["slope"]) * (ords[ahead] - p)
    out["forecast"] = fc
    return out


# -- findings and suggestions ------------------------------------------------------

def _latest_by_metric(acts: pd.DataFrame) -> dict[str, tuple[str, float]]:
    """Each metric's latest actual: (period, value)."""
    code = acts["code"].to_numpy()
    if len(code) == 0:
        return {}
    ends = np.flatnonzero(np.r_[code[1:] != code[:-1], True])
    return {str(m): (str(p), float(v)) for m, p, v in zip(acts["metric_id"].to_numpy()[ends],
                                                          acts["period"].to_numpy()[ends],
                                                          acts["value"].to_numpy()[ends], strict=True)}


def _latest_upto(acts: pd.DataFrame, metric_ids: pd.Series, ords: np.ndarray) -> list[tuple[str, float] | None]:
    """Each KPI's latest actual up to its own period p: (period, value), None where there is none.

    A review of an earlier period (``--period 2025-Q4``) must not quote actuals entered after it.
    """
    out: list[tuple[str, float] | None] = [None] * len(metric_ids)
    if acts.empty:
        return out
    codes = metric_codes(acts, metric_ids)
    ok = (codes >= 0) & ~np.isnan(ords)
    keys = acts["key"].to_numpy()
    acode = acts["code"].to_numpy()
    pers, vals = acts["period"].to_numpy(), acts["value"].to_numpy(dtype="float64")
    want = codes * ORD_SPAN + np.where(ok, ords, 0).astype("int64")
    pos = np.searchsorted(keys, want, side="right") - 1
    for i in np.flatnonzero(ok):
        j = int(pos[i])
        if j >= 0 and acode[j] == codes[i]:
            out[i] = (str(pers[j]), float(vals[j]))
    return out


def _expected_words(r: Mapping[Hashable, Any], q: float = math.nan) -> str:
    """How the expected value was reached, in words: the line it lies on (or the target alone).

    ``r`` is a detail row with the KPI's ``milestones`` (and ``frequency``); ``q`` the period it is
    reviewed in. With milestones the words name the two points of the plan around q.
    """
    unit = str(r["unit"])
    points = plan_points(r) if r.get("milestones") else []
    if points:
        freq: Frequency = r["frequency"]

        def point(what: str, at: float, value: float) -> str:
            return f"{what} {fmt(value, unit)} ({Period(freq, int(at))})"

        later = [i for i, (_, at, _) in enumerate(points) if at > q]
        if not later:
            return f"target {fmt(r['target'], unit)} ({r['target_period']})"
        nxt = later[0]
        if nxt == 0:
            return f"expected {fmt(r['expected'], unit)}, the first point of the plan: {point(*points[0])}"
        return (f"expected {fmt(r['expected'], unit)} on the plan's line from {point(*points[nxt - 1])} "
                f"to {point(*points[nxt])}")
    if isinstance(r["baseline_period"], str):
        return (f"expected {fmt(r['expected'], unit)} on the line from baseline {fmt(r['baseline'], unit)} "
                f"({r['baseline_period']}) to target {fmt(r['target'], unit)} ({r['target_period']})")
    return f"target {fmt(r['target'], unit)}"


def _missing_for(period: str, freq: str, every: int) -> str:
    """Which periods lack an actual, in words: ``2026`` or, measured every n periods, the window ending there."""
    if every <= 1:
        return period
    first = Period.parse(period).shift(-(every - 1))
    return f"{first} to {period} (it is measured every {plural(every, period_word(freq))})"


def findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """KPI_STALE (no actual in the KPI's period p, or within its cadence) and KPI_OFF_TRACK (red where reviewed)."""
    if eng.review_period(period) is None or eng.kpis.empty:
        return []
    base = _base(eng, period)
    d = _detail(eng, period, base)
    last = _latest_by_metric(base[1])
    upto = _latest_upto(base[1], base[0]["metric_id"], base[2])
    every = base[0]["measured_every"].astype("int64").tolist()
    kpi_rows = base[0].to_dict("records")
    out: list[Finding] = []
    for n, r in enumerate(d.to_dict("records")):
        item = f"{r['objective_id']}/{r['metric_id']}"
        label = f"KPI {item} ({r['name']})"
        unit = str(r["unit"])
        if r["status"] == "no-data":
            mid, before = str(r["metric_id"]), upto[n]
            if before is not None:
                latest = f"the latest is {before[0]} ({fmt(before[1], unit)})"
            elif mid in last:
                latest = "metric has no actual up to this period"
            else:
                latest = "metric has no actuals at all"
            out.append(Finding("KPI_STALE", item,
                               f"{label} has no actual for {_missing_for(str(r['period']), str(r['frequency']), every[n])}, "
                               f"its period in this review; {latest}. "
                               "Its status is no-data until the value is entered in actuals.csv."))
        elif r["status"] == "red":
            better = "higher" if r["direction"] != "down" else "lower"
            words = _expected_words({**kpi_rows[n], **r}, float(base[2][n]))
            out.append(Finding("KPI_OFF_TRACK", item,
                               f"{label} is red in {r['period']}: actual {fmt(r['actual'], unit)} vs "
                               f"{words}, {fmt(-r['gap'], unit, change=True)} short, beyond the "
                               f"amber tolerance of {fmt(r['tolerance'], unit, change=True)} ({better} is better)."))
    return out


SUGGESTION_COLUMNS = ["item_id", "kind", "suggestion", "reason"]


def suggestions(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """Adaptation suggestions for the next review, each with its reason.

    Kinds: ``raise-or-retire`` (target already met before its target period),
    ``review-target-or-initiative`` (red in p and the :data:`RED_RUN` - 1 periods before),
    ``fix-data-feed`` (no actual in p), ``drop-metric`` (a candidate metric neither
    scored nor selected). Suggestions only: nothing is changed.
    """
    rows: list[dict[str, str]] = []
    kt, acts, p = base = _base(eng, period)
    tol = eng.config.status.amber_tolerance
    if len(kt) and eng.review_period(period) is not None:
        d = _detail(eng, period, base)
        reds = np.ones(len(kt), dtype=bool)
        every = kt["measured_every"].to_numpy(dtype="float64")
        for j in range(RED_RUN):  # the last RED_RUN measurements: every n periods for a metric measured so
            reds &= evaluate(kt, acts, p - j * every, tol)["status"].to_numpy() == "red"
        ev = evaluate(kt, acts, p, tol)
        last = _latest_by_metric(acts)
        upto = _latest_upto(acts, kt["metric_id"], p)
        sign = kt["sign"].to_numpy(dtype="float64")
        target_ord = kt["target_ord"].to_numpy(dtype="float64")
        met = ev["met"].to_numpy(dtype=bool)
        for n, r in enumerate(d.to_dict("records")):
            item = f"{r['objective_id']}/{r['metric_id']}"
            unit = str(r["unit"])
            if r["status"] != "no-data" and met[n] and p[n] < target_ord[n]:
                stretch = r["stretch"]
                to = (f" (the stretch target is {fmt(float(stretch), unit)})" if not math.isnan(float(stretch))
                      and sign[n] * (float(stretch) - float(r["actual"])) > 0 else "")
                rows.append({"item_id": item, "kind": "raise-or-retire",
                             "suggestion": f"Raise the target{to} or retire the KPI.",
                             "reason": f"The actual {fmt(r['actual'], unit)} in {r['period']} already meets the "
                                       f"target {fmt(r['target'], unit)} set for {r['target_period']}."})
            if reds[n]:
                run = (plural(RED_RUN, period_word(str(r['frequency']))) if every[n] <= 1
                       else f"{RED_RUN} measurements (every {plural(int(every[n]), period_word(str(r['frequency'])))})")
                rows.append({"item_id": item, "kind": "review-target-or-initiative",
                             "suggestion": "Review the target or the initiative behind it.",
                             "reason": f"Red for {run} in a "
                                       f"row up to {r['period']} (now {fmt(r['actual'], unit)} vs "
                                       f"{fmt(r['expected'], unit)} expected)."})
            if r["status"] == "no-data":
                mid, before = str(r["metric_id"]), upto[n]
                seen = (f"the latest actual is for {before[0]}" if before is not None
                        else "it has no actual up to this period" if mid in last
                        else "it has never had an actual")
                rows.append({"item_id": item, "kind": "fix-data-feed",
                             "suggestion": "Fix the data feed so the value arrives for each review.",
                             "reason": f"No actual for {_missing_for(str(r['period']), str(r['frequency']), int(every[n]))}; {seen}."})
    used = set(eng.metric_scores["metric_id"].dropna()) | set(eng.kpis["metric_id"].dropna())
    for mid, name in zip(eng.metrics["id"], eng.metrics["name"], strict=True):
        if mid not in used:
            rows.append({"item_id": str(mid), "kind": "drop-metric",
                         "suggestion": "Drop it from the KPI library, or score it in the next workshop.",
                         "reason": f"Metric {mid} ({name}) is neither scored in metric_scores.csv nor selected in kpis.csv."})
    return pd.DataFrame(rows, columns=SUGGESTION_COLUMNS).astype("str")


__all__ = [
    "FLAT_SHARE", "METHOD", "NO_PILLAR_ID", "NO_PILLAR_NAME", "N_FORECAST", "N_TREND", "OBJECTIVE_SCORE_COLUMNS", "RED_RUN", "SCORECARD_COLUMNS",
    "STATUSES", "SUGGESTION_COLUMNS", "changes_since_previous", "comparable_actuals", "evaluate", "expected_values",
    "findings", "group_of", "objective_scores", "previous_review_period", "rollup", "scorecard",
    "scorecard_detail", "suggestions", "trajectories", "trajectory", "trend_word",
]
