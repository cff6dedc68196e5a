"""Metric scoring: which candidate metrics the workshop's scores recommend as KPIs.

The rule is the contract's, written once here and called by the notebooks, the live
scoring grid and the report alike:

* **Weighted score** of a pairing (objective x candidate metric) =
  ``sum(weight_c * score_c) / sum(weight_c)`` over the criteria of
  ``engagement.yaml`` (``scoring.criteria``).
* **Recommended KPIs** of an objective: its pairings scoring at least
  ``select_threshold``, best first, at most ``max_kpis_per_objective``, ties broken
  by metric ID (alphabetical).

Scores are rounded to 9 decimals before they are compared, so that a pairing whose
score is exactly the threshold on paper (e.g. 3.5) is recommended even when binary
floating point makes it 3.4999999999999996.

Findings (:func:`findings`), and when they are held back because a step is not done:

* ``KPI_NOT_RECOMMENDED``: a selected KPI that scored below the threshold, or was
  never scored. Only when ``metric_scores.csv`` exists: before the scoring workshop,
  "never scored" would be true of every KPI and say nothing new.
* ``KPI_TOO_MANY``: an objective with more rows in ``kpis.csv`` than
  ``max_kpis_per_objective``.
* ``OBJECTIVE_NO_KPI``: an objective with no row in ``kpis.csv``. Only when
  ``kpis.csv`` exists: before KPI selection the report lists the step as outstanding
  instead of one warning per objective.
* ``METRIC_UNUSED``: a candidate metric neither scored nor selected. Only when at
  least one of ``metric_scores.csv`` and ``kpis.csv`` exists, for the same reason.

>>> weighted_score({"relevance": 5, "cost": 2}, {"relevance": 3, "cost": 1})
4.25
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from kpikit.data.model import Engagement
from kpikit.engine.findings import Finding

PRECISION = 9
"""Decimals kept in weighted scores before comparing them with the threshold."""

RANKED_COLUMNS = ["objective_id", "metric_id", "metric_name", "weighted_score", "rank", "recommended", "selected"]
SENSITIVITY_CHANGES: tuple[float, ...] = (-0.5, 0.5)


def weighted_score(scores: Mapping[str, float], criteria: Mapping[str, float]) -> float:
    """The weighted mean of one pairing's scores, rounded to :data:`PRECISION` decimals.

    ``criteria`` maps each criterion to its weight (> 0); ``scores`` must give a
    number for every criterion (extra keys are ignored).

    >>> weighted_score({"a": 4, "b": 3}, {"a": 1, "b": 1})
    3.5
    """
    if not criteria:
        raise ValueError("no scoring criteria: engagement.yaml scoring.criteria needs at least one")
    missing = [c for c in criteria if c not in scores]
    if missing:
        raise ValueError(f"no score for criterion {', '.join(repr(c) for c in missing)}")
    total = 0.0
    weight = 0.0
    for name, w in criteria.items():
        s = float(scores[name])
        if math.isnan(s):
            raise ValueError(f"the score for criterion '{name}' is empty")
        if w <= 0:
            raise ValueError(f"the weight of criterion '{name}' must be > 0, got {w:g}")
        total += w * s
        weight += w
    return round(total / weight, PRECISION)


def _weighted(scores: pd.DataFrame, criteria: Mapping[str, float]) -> pd.Series:
    """Vectorised :func:`weighted_score` over a metric_scores frame."""
    if scores.empty:
        return pd.Series([], dtype="float64", index=scores.index)
    total = pd.Series(0.0, index=scores.index, dtype="float64")
    for c, w in criteria.items():
        total = total + scores[c].astype("float64") * w
    return (total / sum(criteria.values())).round(PRECISION).astype("float64")


def _rank(df: pd.DataFrame, threshold: float, max_kpis: int) -> pd.DataFrame:
    """Add ``rank`` (1 = best, ties by metric ID) and ``recommended`` to scored pairings."""
    df = df.sort_values(["objective_id", "weighted_score", "metric_id"], ascending=[True, False, True], kind="mergesort")
    df["rank"] = df.groupby("objective_id", sort=False).cumcount().astype("int64") + 1
    df["recommended"] = (df["weighted_score"] >= threshold) & (df["rank"] <= max_kpis)
    return df.reset_index(drop=True)


def ranked(eng: Engagement, criteria: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Every scored pairing with its weighted score, rank and whether it is recommended.

    One row per row of ``metric_scores.csv``, sorted by objective then rank. Columns:
    ``objective_id, metric_id, metric_name, weighted_score, rank, recommended,
    selected`` (``selected`` = the pairing is in ``kpis.csv``). ``criteria`` overrides
    the weights of ``engagement.yaml`` (what-if analysis); by default they are used.
    """
    sc = eng.config.scoring
    weights = dict(criteria if criteria is not None else sc.criteria)
    scores = eng.metric_scores
    df = pd.DataFrame({
        "objective_id": scores["objective_id"].astype("str"),
        "metric_id": scores["metric_id"].astype("str"),
        "weighted_score": _weighted(scores, weights),
    })
    df = _rank(df, sc.select_threshold, sc.max_kpis_per_objective)
    names = dict(zip(eng.metrics["id"], eng.metrics["name"], strict=True))
    df["metric_name"] = df["metric_id"].map(names).astype("str")
    chosen = set(zip(eng.kpis["objective_id"], eng.kpis["metric_id"], strict=True))
    df["selected"] = pd.Series(
        [(o, m) in chosen for o, m in zip(df["objective_id"], df["metric_id"], strict=True)],
        index=df.index, dtype="bool",
    )
    return df[RANKED_COLUMNS].astype({"recommended": "bool", "rank": "int64", "weighted_score": "float64"})


def recommended(eng: Engagement, criteria: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The recommended KPIs of every objective, best first (the rows of :func:`ranked` that qualify)."""
    df = ranked(eng, criteria)
    return df[df["recommended"]].reset_index(drop=True)


def _lists(eng: Engagement, criteria: Mapping[str, float]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(recommended metric IDs, full ranking) per objective, best first, for one set of weights."""
    df = ranked(eng, criteria)
    rec: dict[str, list[str]] = {}
    order: dict[str, list[str]] = {}
    for o, m, r in zip(df["objective_id"], df["metric_id"], df["recommended"], strict=True):
        order.setdefault(str(o), []).append(str(m))
        if r:
            rec.setdefault(str(o), []).append(str(m))
    return rec, order


def sensitivity(eng: Engagement, changes: tuple[float, ...] = SENSITIVITY_CHANGES) -> pd.DataFrame:
    """How robust each objective's recommendation is to the criteria weights.

    For every criterion and every relative change (default -50% and +50% of its
    weight, the others unchanged), recompute each scored objective's recommended KPIs.
    A recommendation that changes when one weight moves by half is fragile: worth a
    second look in the workshop.

    Columns: ``criterion, change`` (text, e.g. ``-50%``), ``weight_before,
    weight_after, objective_id, recommended_before, recommended_after`` (metric IDs,
    best first, comma-separated), ``changed`` (the recommended set differs) and
    ``rank_changed`` (the order of any of the objective's scored metrics differs).
    """
    base = dict(eng.config.scoring.criteria)
    objectives = sorted(set(eng.metric_scores["objective_id"].astype("str")))
    before, before_rank = _lists(eng, base)
    rows = []
    for criterion, weight in base.items():
        for change in changes:
            moved = dict(base)
            moved[criterion] = weight * (1 + change)
            after, after_rank = _lists(eng, moved)
            for oid in objectives:
                b, a = before.get(oid, []), after.get(oid, [])
                rows.append({
                    "criterion": criterion,
                    "change": f"{change:+.0%}",
                    "weight_before": weight,
                    "weight_after": moved[criterion],
                    "objective_id": oid,
                    "recommended_before": ", ".join(b),
                    "recommended_after": ", ".join(a),
                    "changed": set(a) != set(b),
                    "rank_changed": after_rank.get(oid, []) != before_rank.get(oid, []),
                })
    cols = ["criterion", "change", "weight_before", "weight_after", "objective_id",
            "recommended_before", "recommended_after", "changed", "rank_changed"]
    return pd.DataFrame(rows, columns=cols).astype({"changed": "bool", "rank_changed": "bool"})


def findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """KPI_NOT_RECOMMENDED, KPI_TOO_MANY, OBJECTIVE_NO_KPI, METRIC_UNUSED (see the module doc)."""
    del period
    sc = eng.config.scoring
    titles = dict(zip(eng.objectives["id"], eng.objectives["title"], strict=True))
    names = dict(zip(eng.metrics["id"], eng.metrics["name"], strict=True))
    out: list[Finding] = []
    kpis = eng.kpis
    if eng.has("metric_scores"):
        df = ranked(eng)
        score_of = {(o, m): s for o, m, s in zip(df["objective_id"], df["metric_id"], df["weighted_score"], strict=True)}
        for o, m in zip(kpis["objective_id"], kpis["metric_id"], strict=True):
            s = score_of.get((o, m))
            what = f"KPI {names.get(m, m)} ({m}) of objective {o} '{titles.get(o, '')}'"
            if s is None:
                out.append(Finding("KPI_NOT_RECOMMENDED", f"{o}/{m}",
                                   f"{what} was selected but never scored in the metric workshop: "
                                   f"score it in metric_scores.csv so its choice can be explained."))
            elif s < sc.select_threshold:
                out.append(Finding("KPI_NOT_RECOMMENDED", f"{o}/{m}",
                                   f"{what} scored {s:.2f}, below the selection threshold of "
                                   f"{sc.select_threshold:g}: record why it was chosen anyway, or pick a better-scoring metric."))
    counts = kpis.groupby("objective_id").size() if len(kpis) else pd.Series(dtype="int64")
    for o, n in counts.items():
        if int(n) > sc.max_kpis_per_objective:
            ms = ", ".join(sorted(kpis.loc[kpis["objective_id"] == o, "metric_id"].astype("str")))
            out.append(Finding("KPI_TOO_MANY", str(o),
                               f"Objective {o} '{titles.get(str(o), '')}' has {int(n)} KPIs ({ms}); the agreed maximum "
                               f"is {sc.max_kpis_per_objective}. Too many KPIs dilute attention: keep the most telling ones."))
    if eng.has("kpis"):
        with_kpi = set(kpis["objective_id"])
        for o in eng.objectives["id"]:
            if o not in with_kpi:
                out.append(Finding("OBJECTIVE_NO_KPI", str(o),
                                   f"Objective {o} '{titles[o]}' has no KPI yet, so its progress cannot be measured "
                                   f"or reported: select at least one in kpis.csv."))
    if eng.has("kpis") or eng.has("metric_scores"):
        used = set(kpis["metric_id"]) | set(eng.metric_scores["metric_id"])
        for m in eng.metrics["id"]:
            if m not in used:
                out.append(Finding("METRIC_UNUSED", str(m),
                                   f"Candidate metric {names[m]} ({m}) was neither scored nor selected for any "
                                   f"objective: score it in the workshop or drop it from the library."))
    return out


__all__ = [
    "PRECISION",
    "RANKED_COLUMNS",
    "SENSITIVITY_CHANGES",
    "findings",
    "ranked",
    "recommended",
    "sensitivity",
    "weighted_score",
]
