"""Process behaviour: is this period's value a signal, or the ordinary variation of the process?

Not every red is news. The contract (engagement-format.md, "Process behaviour") reads each
selected KPI's history as an XmR chart (Wheeler's natural process limits):

- over the KPI's actuals before its review period p (at least :data:`MIN_POINTS`, the latest
  :data:`MAX_POINTS` at most): centre = their mean, mR = the mean absolute difference of
  successive values, limits = centre -/+ :data:`SCALE` * mR;
- the value in p is then ``outside`` (beyond a limit), else ``run`` (it and the values just
  before it on the same side of the centre, 8 or more in a row, values equal to the centre
  not counted), else ``near-limit`` (at least 3 of the latest 4 values up to p closer to the
  same limit than to the centre), else ``none``; empty with too little history or no value
  in p.

A red with signal ``none`` is a KPI that has always varied this much: reacting to one
quarter is reacting to noise. A target beyond the limit on the good side is more than the
process, as it runs, produces: the effort alone will not reach it, the process must change.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpikit.data.model import Engagement
from kpikit.engine.frames import actuals_frame, selected_kpis
from kpikit.periods import Period
from kpikit.text import fmt

MIN_POINTS = 8
MAX_POINTS = 24
SCALE = 2.66
RUN_LENGTH = 8
NEAR_WINDOW, NEAR_COUNT = 4, 3
SIGNALS = ("outside", "run", "near-limit", "none")
BEHAVIOUR_COLUMNS = ["objective_id", "metric_id", "period", "centre", "lower_limit", "upper_limit", "signal", "points"]

METHOD = (
    "Signal or noise: for each KPI with at least 8 earlier values, the latest 24 at most give a centre line "
    "(their mean) and natural process limits (the centre plus or minus 2.66 times the average change from one "
    "period to the next). A value beyond a limit, 8 values in a row on one side of the centre, or 3 of the latest "
    "4 values near one limit is a signal: something in the process changed. Anything else is the ordinary "
    "variation the KPI has always shown, whatever its colour."
)
"""The method in plain words, for the report's method notes."""


@dataclass(frozen=True)
class Limits:
    """Natural process limits of a series: centre line, average moving range, lower and upper limit."""

    centre: float
    mr: float
    lower: float
    upper: float


def xmr(values: Sequence[float]) -> Limits:
    """The XmR limits of ``values`` (at least two, in time order).

    >>> xmr([1.0, 3.0, 2.0])
    Limits(centre=2.0, mr=1.5, lower=-1.9900000000000002, upper=5.99)
    """
    v = np.asarray(values, dtype="float64")
    if len(v) < 2:
        raise ValueError("XmR limits need at least two values")
    centre = float(v.mean())
    mr = float(np.abs(np.diff(v)).mean())
    return Limits(centre, mr, centre - SCALE * mr, centre + SCALE * mr)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def signal(values: Sequence[float], limits: Limits) -> str:
    """The signal of the last of ``values`` (the series up to and including the review period) under ``limits``."""
    v = [float(x) for x in values]
    last = v[-1]
    if (last > limits.upper and not _close(last, limits.upper)) or (last < limits.lower and not _close(last, limits.lower)):
        return "outside"
    if not _close(last, limits.centre):
        side = last > limits.centre
        n = 0
        for x in reversed(v):
            if _close(x, limits.centre):
                continue
            if (x > limits.centre) != side:
                break
            n += 1
        if n >= RUN_LENGTH:
            return "run"
    recent = v[-NEAR_WINDOW:]
    near_upper = sum(1 for x in recent if abs(x - limits.upper) < abs(x - limits.centre) and not _close(abs(x - limits.upper), abs(x - limits.centre)))
    near_lower = sum(1 for x in recent if abs(x - limits.lower) < abs(x - limits.centre) and not _close(abs(x - limits.lower), abs(x - limits.centre)))
    if near_upper >= NEAR_COUNT or near_lower >= NEAR_COUNT:
        return "near-limit"
    return "none"


def behaviour(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """One row per selected KPI (kpis.csv order): its period, centre, limits and signal (:data:`BEHAVIOUR_COLUMNS`).

    ``period`` is the review period R; each KPI is read in the period the scorecard reviews it in.
    ``points`` is how many earlier values the limits come from (0 without limits).
    """
    from kpikit.engine.restatements import changed_definitions
    from kpikit.engine.review import scorecard

    card = scorecard(eng, period)
    kt = selected_kpis(eng)
    breaks = {m: _period_or_none(p) for m, p in changed_definitions(eng, period).items()}
    acts = actuals_frame(eng)
    by_metric = {str(m): g for m, g in acts.groupby("metric_id", sort=False)} if len(acts) else {}
    rows = []
    for i in range(len(card)):
        oid, mid, per = str(card["objective_id"].iat[i]), str(card["metric_id"].iat[i]), card["period"].iat[i]
        row: dict[str, object] = {"objective_id": oid, "metric_id": mid, "period": per, "centre": math.nan,
                                  "lower_limit": math.nan, "upper_limit": math.nan, "signal": "", "points": 0}
        g = by_metric.get(mid)
        p_ord = _ordinal(per)
        if g is not None and p_ord is not None:
            ords = g["ord"].to_numpy(dtype="float64")
            vals = g["value"].to_numpy(dtype="float64")
            since = breaks.get(mid)
            if since is not None:  # a changed definition: only the comparable part (after the published report)
                keep = ords > _in_frequency(since, str(per), eng)
                ords, vals = ords[keep], vals[keep]
            earlier = vals[ords < p_ord]
            if len(earlier) >= MIN_POINTS:
                base = earlier[-MAX_POINTS:]
                lim = xmr(base.tolist())
                row.update(centre=lim.centre, lower_limit=lim.lower, upper_limit=lim.upper, points=len(base))
                now = vals[ords == p_ord]
                if len(now):
                    row["signal"] = signal([*earlier.tolist(), float(now[0])], lim)
        rows.append(row)
    out = pd.DataFrame(rows, columns=BEHAVIOUR_COLUMNS)
    if len(kt) == len(out):
        out["direction"] = kt["direction"].to_numpy()
        out["target"] = kt["target"].to_numpy(dtype="float64")
        out["status"] = card["status"].to_numpy()
    return out


SCORECARD_FILE_COLUMNS = ["objective_id", "metric_id", "period", "actual", "expected", "gap", "status", "attainment",
                          "centre", "lower_limit", "upper_limit", "signal"]
"""The columns of ``scorecard.csv``: the review's scorecard and the process-behaviour columns of the contract."""


def scorecard_file(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """``scorecard.csv``: :func:`kpikit.engine.review.scorecard` with ``centre, lower_limit, upper_limit, signal``."""
    from kpikit.engine.review import scorecard

    card = scorecard(eng, period)
    b = behaviour(eng, period)
    for col in ("centre", "lower_limit", "upper_limit", "signal"):
        card[col] = b[col].to_numpy()
    return card[SCORECARD_FILE_COLUMNS]


def has_limits(eng: Engagement, period: str | None = None) -> bool:
    """Whether any selected KPI has natural process limits in the review period."""
    table = behaviour(eng, period)
    return bool(len(table)) and bool(table["centre"].notna().any())


def _period_or_none(text: str) -> Period | None:
    try:
        return Period.parse(text)
    except ValueError:
        return None


def _in_frequency(published: Period | None, kpi_period: str, eng: Engagement) -> float:
    """The published period as an ordinal of the KPI's own frequency (its last period ending by then)."""
    if published is None:
        return -math.inf
    own = Period.parse(kpi_period)
    return float(published.in_frequency(own.freq, eng.config.fiscal_year_start).ordinal)


def _ordinal(text: object) -> int | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return Period.parse(text).ordinal
    except ValueError:
        return None


def target_beyond_limits(row: Mapping[Hashable, Any]) -> bool:
    """Whether the KPI's target is beyond the limit on its good side (above the upper for ``up``, below the lower for ``down``)."""
    if math.isnan(float(row["upper_limit"])):
        return False
    if str(row["direction"]) == "down":
        return bool(row["target"] < row["lower_limit"] and not _close(float(row["target"]), float(row["lower_limit"])))
    return bool(row["target"] > row["upper_limit"] and not _close(float(row["target"]), float(row["upper_limit"])))


def reading(status: str, sig: str) -> str:
    """What a status means given its signal, in the words of the executive summary."""
    if not sig:
        return ""
    if status == "red":
        return ("a real change: act on it" if sig != "none"
                else "within ordinary variation: a KPI that has always varied this much; do not react to one period")
    if status == "green":
        return "a real improvement" if sig != "none" else "green by ordinary variation, not yet a real improvement"
    return "a signal: something changed" if sig != "none" else "ordinary variation"


def target_notes(eng: Engagement, period: str | None = None) -> dict[str, str]:
    """``OBJECTIVE_ID/METRIC_ID`` -> a sentence, for each KPI whose target is beyond its good-side limit.

    Not a finding of its own: a plan that asks for a 30% improvement always sets a target
    beyond how the process runs today, so a finding per KPI would drown the review. The
    sentence is what the target-realism check and the report's "Signal or noise" add: the
    target needs a change to the process, not just more effort.
    """
    table = behaviour(eng, period)
    if table.empty or "direction" not in table.columns:
        return {}
    units = eng.metrics.set_index("id")["unit"] if len(eng.metrics) else pd.Series(dtype="object")
    out = {}
    for r in table.to_dict("records"):
        if not target_beyond_limits(r):
            continue
        u = units.get(r["metric_id"])
        unit = u if isinstance(u, str) else None
        side, limit = ("below the lower", r["lower_limit"]) if r["direction"] == "down" else ("above the upper", r["upper_limit"])
        out[f"{r['objective_id']}/{r['metric_id']}"] = (
            f"the target {fmt(float(r['target']), unit)} is {side} natural process limit {fmt(float(limit), unit)} "
            f"(centre {fmt(float(r['centre']), unit)} over {int(r['points'])} periods): more than the process produces "
            "as it runs; the process must change, not just the effort"
        )
    return out


__all__ = [
    "BEHAVIOUR_COLUMNS", "METHOD", "SCORECARD_FILE_COLUMNS", "SIGNALS", "Limits", "behaviour", "has_limits", "reading",
    "scorecard_file", "signal", "target_beyond_limits", "target_notes", "xmr",
]
