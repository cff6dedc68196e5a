"""Restatements: actuals a board already saw that have changed since (engagement-format.md, "Published reports").

A published report (``DIR/published/<period>/``, :mod:`kpikit.data.published`) keeps the
exact ``actuals.csv`` it was built from. An actual in that copy whose value is now
different, or that is gone, is a **restatement**. It is explained when ``changes.csv`` has
a row for that metric (``item_id`` the metric ID) whose text names the period, dated on or
after the publication; otherwise it is ``ACTUAL_RESTATED``: the board was shown a number
that nobody has said was corrected.

Each (metric, period) is compared with the latest publication that contains it (the last
number the board saw).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kpikit.data.model import Engagement
from kpikit.data.published import Publication, load_published, publications, published_up_to
from kpikit.engine.compare import explanation
from kpikit.engine.definitions import BREAKING_FIELDS, definition_breaks, definition_changes
from kpikit.engine.findings import Finding
from kpikit.text import fmt

RESTATEMENT_COLUMNS = ["metric_id", "period", "published", "current", "publication", "published_on", "explained", "rationale"]


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def published_actuals(folder: Path, pubs: list[Publication] | None = None) -> dict[tuple[str, str], tuple[float, Publication]]:
    """(metric, period) -> the value the board last saw for it and the publication that showed it (empty without)."""
    pubs = publications(folder) if pubs is None else pubs
    seen: dict[tuple[str, str], tuple[float, Publication]] = {}
    for pub in pubs:  # oldest first: a later publication overrides what an earlier one showed
        old = load_published(pub)
        if old is None or old.actuals.empty:
            continue
        a = old.actuals
        for mid, per, val in zip(a["metric_id"].astype(str), a["period"].astype(str), a["value"].astype("float64"), strict=True):
            seen[(mid, per)] = (float(val), pub)
    return seen


@dataclass(frozen=True)
class Restating:
    """A published actual that an edit is about to change: what the board saw, what the file holds, what it will hold."""

    metric_id: str
    period: str
    published: float
    publication: str
    before: float
    after: float

    @property
    def change(self) -> str:
        """The changes.csv wording: names the metric's period, so the row explains the restatement (:func:`explanation`)."""
        def show(v: float) -> str:
            return "(removed)" if math.isnan(v) else f"{v:.15g}"

        return (f"published actual for {self.period} restated: {show(self.before)} -> {show(self.after)} "
                f"(the {self.publication} report showed {show(self.published)})")


def restating(published: dict[tuple[str, str], tuple[float, Publication]], before: pd.DataFrame,
              after: pd.DataFrame) -> list[Restating]:
    """The published actuals that saving ``after`` (actuals.csv as edited) instead of ``before`` (as on disk) restates.

    A value changed (or removed) to one other than the board saw; putting back the published
    value restates nothing. ``published`` is :func:`published_actuals`.
    """
    if not published:
        return []

    def values(df: pd.DataFrame) -> dict[tuple[str, str], float]:
        nums = pd.to_numeric(pd.Series(df["value"], dtype="object"), errors="coerce").to_numpy(dtype="float64")
        return {(str(m), str(p)): float(v) for m, p, v in zip(df["metric_id"], df["period"], nums, strict=True)}

    old, new = values(before), values(after)
    out = []
    for key in sorted(old.keys() | new.keys()):
        if key not in published:
            continue
        was, now = old.get(key, math.nan), new.get(key, math.nan)
        shown, pub = published[key]
        if _same(was, now) or _same(now, shown):
            continue
        out.append(Restating(key[0], key[1], shown, pub.period, was, now))
    return out


def restatements(eng: Engagement, pubs: list[Publication] | None = None) -> pd.DataFrame:
    """Every published actual whose value changed (or that was removed), with the explaining rationale.

    ``current`` is NaN for an actual that is gone; ``explained`` says whether ``changes.csv``
    explains it. Empty (with :data:`RESTATEMENT_COLUMNS`) without publications.
    """
    seen = published_actuals(eng.path, pubs)
    if not seen:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in RESTATEMENT_COLUMNS})
    cur = eng.actuals
    now = {
        (m, p): float(v)
        for m, p, v in zip(cur["metric_id"].astype(str), cur["period"].astype(str), cur["value"].astype("float64"), strict=True)
    }
    rows = []
    for (mid, per), (val, pub) in sorted(seen.items()):
        new = now.get((mid, per), math.nan)
        if _same(val, new):
            continue
        why = explanation(eng.changes, mid, per, pub.published_on)
        rows.append({
            "metric_id": mid, "period": per, "published": val, "current": new, "publication": pub.period,
            "published_on": pub.published_on.isoformat(), "explained": why is not None, "rationale": why or "",
        })
    return pd.DataFrame(rows, columns=RESTATEMENT_COLUMNS)


def changed_definitions(eng: Engagement, period: str | None = None) -> dict[str, str]:
    """Metric ID -> the published period after which its history is comparable, for metrics whose formula,
    unit, direction, source or query changed since the last published report up to the review period."""
    return {mid: b.publication for mid, b in definition_breaks(eng, period).items()}


def definition_findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """``KPI_DEFINITION_CHANGED`` for each selected KPI whose metric's formula, unit, direction or source
    changed since the last published report up to the review period."""
    review = eng.review_period(period)
    pub = published_up_to(eng.path, review, eng.config.fiscal_year_start)
    old = load_published(pub) if pub is not None else None
    if pub is None or old is None:
        return []
    selected = set(eng.kpis["metric_id"].astype(str))
    out = []
    for mid, field, was, now in definition_changes(old, eng, BREAKING_FIELDS):
        if mid not in selected:
            continue
        for o in sorted(eng.kpis.loc[eng.kpis["metric_id"].astype(str) == mid, "objective_id"].astype(str)):
            out.append(Finding(
                "KPI_DEFINITION_CHANGED", f"{o}/{mid}",
                f"the {field.replace('_', ' ')} of {mid} changed since the {pub.period} report "
                f"('{was or 'none'}' -> '{now or 'none'}'): its history before the change is not comparable",
            ))
    return out


def findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """``ACTUAL_RESTATED`` for each restatement that ``changes.csv`` does not explain; ``KPI_DEFINITION_CHANGED``."""
    out = definition_findings(eng, period)
    table = restatements(eng)
    units = eng.metrics.set_index("id")["unit"] if "unit" in eng.metrics.columns else pd.Series(dtype="object")
    for r in table.to_dict("records"):
        if r["explained"]:
            continue
        mid, per = str(r["metric_id"]), str(r["period"])
        unit = units.get(mid)
        unit_text = unit if isinstance(unit, str) else None
        current = float(r["current"])
        was = fmt(float(r["published"]), unit_text)
        now = "removed" if math.isnan(current) else f"now {fmt(current, unit_text)}"
        out.append(Finding(
            "ACTUAL_RESTATED", mid,
            f"{per} was {was} in the {r['publication']} report published on {r['published_on']}, {now}; "
            f"add a changes.csv row for {mid} naming {per} to say why",
        ))
    return out


__all__ = [
    "RESTATEMENT_COLUMNS",
    "Restating",
    "changed_definitions",
    "definition_findings",
    "findings",
    "published_actuals",
    "restatements",
    "restating",
]
