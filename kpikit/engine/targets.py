"""Measurability, targets and benchmarks: can each selected KPI be measured, and is its target realistic?

A target is only useful if the number can be collected (a data source and a unit)
and if reaching it is plausible. :func:`realism` compares the improvement per period
a target needs with the best improvement the metric has actually shown over windows
of the same length, and with its benchmark; :data:`METHOD` states the rule in the
words the report prints. :func:`suggest_target` proposes a target for a pairing
that has none; it is a suggestion only and is never written to any file.

The joined KPI table, the sorted actuals and each KPI's review period come from
:mod:`kpikit.engine.frames`, shared with :mod:`kpikit.engine.review`.

>>> realism(eng)[["objective_id", "metric_id", "realistic"]]   # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from kpikit.data.cells import text_column
from kpikit.engine.findings import Finding
from kpikit.engine.frames import actuals_frame, kpi_periods, selected_kpis
from kpikit.periods import FREQUENCIES, Period
from kpikit.text import fmt, period_word, plural

if TYPE_CHECKING:
    from kpikit.data.model import Engagement

MIN_HISTORY = 4
"""Fewest actuals (up to the review period) needed before the pace of a target is judged."""
HEADROOM = 1.25
"""A target may ask for up to 25% more improvement per period than the best ever observed."""
SUGGEST_SHARE = 0.5
""":func:`suggest_target` closes this share of the gap from the baseline to the benchmark."""

METHOD = (
    "Target realism. For each selected KPI the starting point is its latest actual up to the "
    "review period (or its baseline when no later actual exists). The improvement the target "
    "needs is the distance from that start to the target in the KPI's good direction, divided "
    "by the number of periods (in the metric's own frequency) left until the target period, "
    "counted from the review period when the start is older. "
    "That required pace is compared with the best improvement per period the metric has "
    f"actually achieved over any window of the same length in its history (shorter windows when "
    f"the history is shorter); it is judged unrealistic when it exceeds that best pace by more "
    f"than {HEADROOM - 1:.0%}, or when the metric never improved at all. A target that is "
    "better than the KPI's benchmark is also judged unrealistic. With fewer than "
    f"{MIN_HISTORY} actuals the pace is not judged (too little history). A target already "
    "reached is realistic; a target whose period has passed without being reached is not. A stretch "
    "target less ambitious than the target is pointed out in the reason."
)
"""The realism rule as the report's method notes print it."""

SUGGEST_METHOD = (
    f"Suggested targets close {SUGGEST_SHARE:.0%} of the gap between the KPI's baseline (or "
    "latest actual) and its benchmark, in the good direction; they are suggestions for the "
    "workshop and are never written to kpis.csv."
)


def _label(row: Mapping[Any, Any]) -> str:
    name = row["name"]
    return f"KPI {row['objective_id']}/{row['metric_id']}" + (f" ({name})" if isinstance(name, str) else "")


# -- measurability -----------------------------------------------------------------

def measurability(eng: Engagement) -> pd.DataFrame:
    """Per selected KPI: does its metric have a data source and a unit, and how much history?

    Columns: ``objective_id, metric_id, name, data_source, unit, has_data_source,
    has_unit, n_actuals, first_period, last_period, measurable`` (measurable = has
    both a data source and a unit).
    """
    kt = selected_kpis(eng)
    hist = histories(actuals_frame(eng))
    counts = {m: len(h.ords) for m, h in hist.items()}
    first = {m: str(h.periods[0]) for m, h in hist.items()}
    last = {m: str(h.periods[-1]) for m, h in hist.items()}
    has_src, has_unit = _present(kt["data_source"]), _present(kt["unit"])
    out = pd.DataFrame({
        "objective_id": kt["objective_id"],
        "metric_id": kt["metric_id"],
        "name": kt["name"],
        "data_source": kt["data_source"].where(has_src, np.nan),
        "unit": kt["unit"].where(has_unit, np.nan),
        "has_data_source": has_src.astype(bool),
        "has_unit": has_unit.astype(bool),
        "n_actuals": kt["metric_id"].map(counts).fillna(0).astype("int64"),
        "first_period": text_column(kt["metric_id"].map(first)),
        "last_period": text_column(kt["metric_id"].map(last)),
    })
    out["measurable"] = out["has_data_source"] & out["has_unit"]
    return out


def _present(s: pd.Series) -> pd.Series:
    """True where a text cell is filled (not missing, not blank)."""
    return (s.notna() & s.str.strip().ne("").fillna(False)).astype(bool)


# -- realism -----------------------------------------------------------------------

def best_pace(history: np.ndarray, window: int) -> tuple[float, int]:
    """Best improvement per period over windows of ``window`` periods (or shorter, if none).

    ``history`` holds a metric's values on consecutive periods, already multiplied by
    the KPI's sign (so bigger is better) and NaN where a period has no actual. Returns
    the best pace and the window length it was measured over (0 when no two actuals exist).

    >>> best_pace(np.array([1.0, 2.0, 2.5, 4.0]), 2)
    (1.0, 2)
    """
    n = len(history)
    for k in range(min(window, n - 1), 0, -1):
        diffs = (history[k:] - history[:-k]) / k
        if np.isfinite(diffs).any():
            return float(np.nanmax(diffs)), k
    return math.nan, 0


def realism(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """Is each selected KPI's target realistic? (see :data:`METHOD`).

    Columns: ``objective_id, metric_id, realistic`` (bool, or ``pd.NA`` when there is
    too little to judge), ``reason`` (plain words, with the numbers), and the inputs of
    the verdict: ``start_period, start_value, periods_left, required_pace, best_pace,
    pace_window, n_history, beyond_benchmark``.
    """
    kt = selected_kpis(eng)
    return _realism(kt, histories(actuals_frame(eng)), kpi_periods(eng, kt, period))


def _realism(kt: pd.DataFrame, groups: dict[str, History], p_ord: np.ndarray) -> pd.DataFrame:
    rows = [_realism_row(row, groups.get(str(row["metric_id"])), float(p))
            for row, p in zip(kt.to_dict("records"), p_ord.tolist(), strict=True)]
    cols = ["objective_id", "metric_id", "realistic", "reason", "start_period", "start_value",
            "periods_left", "required_pace", "best_pace", "pace_window", "n_history", "beyond_benchmark"]
    out = pd.DataFrame(rows, columns=cols)
    out["realistic"] = out["realistic"].astype("object")
    return out


class History(NamedTuple):
    """One metric's actuals as arrays, in period order."""

    ords: np.ndarray
    values: np.ndarray
    periods: np.ndarray

    def upto(self, p: float) -> History:
        """The actuals up to ordinal ``p`` (all of them when p is NaN)."""
        if math.isnan(p):
            return self
        n = int(np.searchsorted(self.ords, p, side="right"))
        return History(self.ords[:n], self.values[:n], self.periods[:n])


def histories(acts: pd.DataFrame) -> dict[str, History]:
    """Every metric's :class:`History`, split from the sorted actuals in one pass."""
    if acts.empty:
        return {}
    mids = acts["metric_id"].to_numpy(dtype=object)
    ords = acts["ord"].to_numpy(dtype="float64")
    vals = acts["value"].to_numpy(dtype="float64")
    pers = acts["period"].to_numpy(dtype=object)
    cuts = [0, *(np.flatnonzero(mids[1:] != mids[:-1]) + 1).tolist(), len(mids)]
    return {str(mids[a]): History(ords[a:b], vals[a:b], pers[a:b]) for a, b in itertools.pairwise(cuts)}


def _realism_row(row: Mapping[Any, Any], hist: History | None, p: float) -> dict[str, object]:
    out = _verdict(row, hist, p)
    stretch, target, sign = float(row["stretch"]), float(row["target"]), float(row["sign"])
    if not math.isnan(stretch) and sign * (stretch - target) < 0:
        unit = str(row["unit"])
        out["reason"] = (f"{out['reason']} Note: the stretch {fmt(stretch, unit)} is less ambitious than the "
                         f"target {fmt(target, unit)}; swap them or correct one.")
    return out


def _verdict(row: Mapping[Any, Any], hist: History | None, p: float) -> dict[str, object]:
    unit = str(row["unit"])
    sign = float(row["sign"])
    target = float(row["target"])
    freq = str(row["frequency"])
    better = "higher" if sign > 0 else "lower"
    label = _label(row)
    out: dict[str, object] = {"objective_id": row["objective_id"], "metric_id": row["metric_id"],
                              "realistic": pd.NA, "reason": "", "start_period": np.nan,
                              "start_value": np.nan, "periods_left": np.nan, "required_pace": np.nan,
                              "best_pace": np.nan, "pace_window": 0, "n_history": 0,
                              "beyond_benchmark": False}
    if hist is not None:
        hist = hist.upto(p)
    n_hist = 0 if hist is None else len(hist.ords)
    out["n_history"] = n_hist

    # the benchmark says how good peers are: a target better than that is beyond it
    bench = float(row["benchmark"])
    beyond = not math.isnan(bench) and sign * (target - bench) > 0
    out["beyond_benchmark"] = beyond
    bench_note = ""
    if beyond:
        src = row["benchmark_source"]
        src_txt = f" ({src})" if isinstance(src, str) else ""
        bench_note = (f"the target {fmt(target, unit)} is better than the benchmark {fmt(bench, unit)}{src_txt}, "
                      f"where {better} is better")

    # starting point: the latest actual up to the review period, else the baseline
    start_ord, start_val, start_txt = math.nan, math.nan, ""
    if n_hist and hist is not None:
        start_ord, start_val = float(hist.ords[-1]), float(hist.values[-1])
        start_txt = f"the latest actual {fmt(start_val, unit)} ({hist.periods[-1]})"
    if not math.isnan(float(row["baseline"])) and (math.isnan(start_ord) or float(row["baseline_ord"]) > start_ord):
        start_ord, start_val = float(row["baseline_ord"]), float(row["baseline"])
        start_txt = f"the baseline {fmt(start_val, unit)} ({row['baseline_period']})"
    if math.isnan(start_ord):
        if beyond:
            out["realistic"] = False
            out["reason"] = f"{label}: {bench_note}; there is no baseline or actual to judge the pace."
        else:
            out["reason"] = f"{label}: no baseline and no actuals, so the target's pace cannot be judged."
        return out
    start_period = str(Period(freq, int(start_ord))) if freq in FREQUENCIES else ""
    out["start_period"], out["start_value"] = start_period, start_val
    needed = sign * (target - start_val)
    # the periods between a stale start and the review are spent: what is left runs from the review
    left = float(row["target_ord"]) - (p if not math.isnan(p) and p > start_ord else start_ord)
    out["periods_left"] = left
    if needed <= 0:
        if beyond:
            out["realistic"] = False
            out["reason"] = f"{label}: {bench_note}, although {start_txt} already reaches it."
        else:
            out["realistic"] = True
            out["reason"] = f"{label}: {start_txt} already reaches the target {fmt(target, unit)}."
        return out
    if left <= 0:
        out["realistic"] = False
        out["reason"] = (f"{label}: the target period {row['target_period']} has passed and {start_txt} "
                         f"is still {fmt(needed, unit, change=True)} short of the target {fmt(target, unit)}.")
        return out
    pace = needed / left
    out["required_pace"] = pace
    need_txt = (f"reaching {fmt(target, unit)} by {row['target_period']} from {start_txt} needs "
                f"{fmt(pace, unit, change=True)} better per {period_word(freq)} for {plural(int(left), period_word(freq))}")
    if n_hist < MIN_HISTORY or hist is None:
        if beyond:
            out["realistic"] = False
            out["reason"] = f"{label}: {bench_note}; {need_txt} (too little history to judge the pace)."
        else:
            out["reason"] = (f"{label}: {need_txt}, but with {n_hist} actual{'s' if n_hist != 1 else ''} "
                             f"(fewer than {MIN_HISTORY}) there is too little history to judge it.")
        return out
    ords = hist.ords
    base = int(ords[0])
    series = np.full(int(ords[-1]) - base + 1, np.nan)
    series[(ords - base).astype(int)] = sign * hist.values
    best, window = best_pace(series, int(left))
    out["best_pace"], out["pace_window"] = best, window
    hist_txt = f"{window}-{period_word(freq)} window" if window > 1 else period_word(freq)
    too_fast = math.isnan(best) or best <= 0 or pace > HEADROOM * best
    if math.isnan(best) or best <= 0:
        pace_note = f"the metric never improved over any {hist_txt} in its {n_hist} actuals"
    else:
        pace_note = (f"the best it ever did was {fmt(best, unit, change=True)} per {period_word(freq)} "
                     f"(over a {hist_txt})")
    if too_fast or beyond:
        out["realistic"] = False
        parts = [f"{need_txt}, but {pace_note}"] if too_fast else []
        if beyond:
            parts.append(bench_note)
        out["reason"] = f"{label}: " + "; and ".join(parts) + "."
    else:
        out["realistic"] = True
        within = ("so the pace is within reach" if pace <= best else
                  f"so the pace is beyond its best but within the {HEADROOM - 1:.0%} headroom allowed")
        out["reason"] = f"{label}: {need_txt}; {pace_note}, {within}."
    return out


# -- suggestions -------------------------------------------------------------------

def suggest_target(eng: Engagement, objective_id: str, metric_id: str) -> float | None:
    """A target for a pairing that has none: the start plus :data:`SUGGEST_SHARE` of the gap to the benchmark.

    The start is the pairing's baseline in kpis.csv, else the metric's latest actual;
    the benchmark is the pairing's, else one given for the same metric on another
    objective. Returns None when either is unknown; returns the start when it is
    already at or beyond the benchmark. Nothing is written anywhere.
    """
    k = eng.kpis
    m = eng.metrics.set_index("id")
    if metric_id not in m.index:
        return None
    sign = -1.0 if m.at[metric_id, "direction"] == "down" else 1.0
    own = k[(k["objective_id"] == objective_id) & (k["metric_id"] == metric_id)]
    same = k[k["metric_id"] == metric_id]
    start = float(own["baseline"].iloc[0]) if len(own) else math.nan
    if math.isnan(start):
        acts = actuals_frame(eng)
        acts = acts[acts["metric_id"] == metric_id]
        if len(acts):
            start = float(acts["value"].iloc[-1])
    bench = float(own["benchmark"].iloc[0]) if len(own) else math.nan
    if math.isnan(bench):
        benches = same["benchmark"].dropna()
        bench = float(benches.iloc[0]) if len(benches) else math.nan
    if math.isnan(start) or math.isnan(bench):
        return None
    if sign * (bench - start) <= 0:
        return start
    return start + SUGGEST_SHARE * (bench - start)


# -- findings ----------------------------------------------------------------------

def findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """KPI_NO_DATA_SOURCE and KPI_TARGET_UNREALISTIC for every selected KPI that earns one."""
    out: list[Finding] = []
    kt = selected_kpis(eng)
    no_src = ~_present(kt["data_source"])
    no_unit = ~_present(kt["unit"])
    for row, unitless in zip(kt[no_src].to_dict("records"), no_unit[no_src].tolist(), strict=True):
        unit_txt = " It has no unit either." if unitless else ""
        out.append(Finding(
            "KPI_NO_DATA_SOURCE", f"{row['objective_id']}/{row['metric_id']}",
            f"{_label(row)}: metric {row['metric_id']} has no data_source in metrics.csv, so nobody knows "
            f"where its actuals come from.{unit_txt}",
        ))
    real = _realism(kt, histories(actuals_frame(eng)), kpi_periods(eng, kt, period))
    for oid, mid, ok, reason in zip(real["objective_id"], real["metric_id"], real["realistic"], real["reason"],
                                    strict=True):
        if ok is False:
            out.append(Finding("KPI_TARGET_UNREALISTIC", f"{oid}/{mid}", str(reason)))
    return out


__all__ = [
    "HEADROOM",
    "METHOD",
    "MIN_HISTORY",
    "SUGGEST_METHOD",
    "SUGGEST_SHARE",
    "History",
    "best_pace",
    "findings",
    "histories",
    "measurability",
    "realism",
    "suggest_target",
]
