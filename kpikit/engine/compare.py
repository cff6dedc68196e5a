"""What changed between two states of an engagement, in the consultant's words.

:func:`compare` takes two engagements (a published report's ``inputs/``, a run's, or the
folder as it is now), each with its review period, and lists every difference a board
would ask about, one row each: KPIs whose status changed, actuals restated (old -> new),
targets, baselines, stretch and weights moved, metric definitions changed, KPIs and
objectives added or removed, objectives reworded or moved in the cascade, and (when the
caller passes both sides' findings) findings opened and resolved. Each row carries the
rationale of the ``changes.csv`` row that explains it, when the newer side logged one
that the older side did not have. ``kpikit compare`` (:mod:`kpikit.run.compare`) prints
the table and the report's "What changed since the last published report" shows it.

Also here, because both need it: :func:`explanation` (the ``changes.csv`` row that
explains a restated actual); :func:`definition_changes` (the metric fields whose change
breaks a KPI's history: formula, unit, direction, source) lives in the leaf
:mod:`kpikit.engine.definitions` and is re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd

from kpikit.data.model import Engagement
from kpikit.engine.definitions import BREAKING_FIELDS, DEFINITION_FIELDS, definition_changes
from kpikit.engine.findings import Finding
from kpikit.text import fmt

COMPARE_COLUMNS = ["kind", "item_id", "change", "old", "new", "rationale"]
KINDS = (
    "status", "restated", "target", "baseline", "stretch", "weight", "definition", "kpi added", "kpi removed",
    "objective added", "objective removed", "objective reworded", "objective moved", "finding opened", "finding resolved",
)
"""The kinds of change, in the order the table lists them."""



def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return " ".join(str(v).split())


def _num(v: object) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _differ(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) != math.isnan(b)
    return not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def explanation(changes: pd.DataFrame, metric_id: str, period: str, since: date) -> str | None:
    """The rationale of the ``changes.csv`` row explaining a restated actual (``""`` if it gives none), or None.

    The row's ``item_id`` is the metric, its text names the period, and it is dated on or after ``since``.
    """
    if changes.empty:
        return None
    for item, change, rationale, on in zip(changes["item_id"], changes["change"], changes["rationale"], changes["date"], strict=True):
        if _text(item) != metric_id or period not in f"{_text(change)} {_text(rationale)}":
            continue
        try:
            day = date.fromisoformat(_text(on)[:10])
        except ValueError:
            continue
        if day >= since:
            return _text(rationale)
    return None


def _new_log_rows(old: Engagement, new: Engagement) -> pd.DataFrame:
    """``changes.csv`` rows the newer side has and the older one had not (latest last)."""
    def keys(df: pd.DataFrame) -> list[tuple[str, ...]]:
        return [tuple(_text(v) for v in row) for row in df[["date", "item_id", "change", "rationale"]].itertuples(index=False)]

    seen = set(keys(old.changes)) if not old.changes.empty else set()
    if new.changes.empty:
        return new.changes
    mask = [k not in seen for k in keys(new.changes)]
    return new.changes[mask]


class _Log:
    """Finds the rationale a newer side logged for an item."""

    def __init__(self, rows: pd.DataFrame) -> None:
        self.rows = [(_text(r["item_id"]), _text(r["change"]), _text(r["rationale"])) for _, r in rows.iterrows()]

    def why(self, items: Iterable[str], mention: str = "") -> str:
        wanted = {i for i in items if i}
        best = ""
        for item, change, rationale in self.rows:
            if item in wanted and (not mention or mention in f"{change} {rationale}"):
                best = rationale or change
        return best


def _shown(v: float, period: str, unit: str | None) -> str:
    return "none" if math.isnan(v) else fmt(v, unit) + (f" by {period}" if period else "")


def _status_word(s: str) -> str:
    return {"no-data": "no data"}.get(s, s)


def compare(
    old: Engagement,
    old_period: str | None,
    new: Engagement,
    new_period: str | None,
    *,
    old_findings: Sequence[Finding] | None = None,
    new_findings: Sequence[Finding] | None = None,
) -> pd.DataFrame:
    """Every change from ``old`` to ``new`` as rows of :data:`COMPARE_COLUMNS`, in :data:`KINDS` order."""
    from kpikit.engine.review import scorecard

    log = _Log(_new_log_rows(old, new))
    units = {str(r["id"]): _text(r.get("unit")) or None for _, r in new.metrics.iterrows()}
    names = {str(r["id"]): _text(r.get("name")) for _, r in pd.concat([old.metrics, new.metrics]).iterrows()}
    rows: list[dict[str, str]] = []

    def add(kind: str, item: str, change: str, was: str = "", now: str = "", why: str = "") -> None:
        rows.append({"kind": kind, "item_id": item, "change": change, "old": was, "new": now, "rationale": why})

    def label(mid: str) -> str:
        return f"{names.get(mid) or mid} ({mid})"

    # KPI status
    sa, sb = scorecard(old, old_period), scorecard(new, new_period)
    key = ["objective_id", "metric_id"]
    both = sa.merge(sb, on=key, suffixes=("_old", "_new"))
    for r in both.itertuples(index=False):
        so, sn = str(r.status_old), str(r.status_new)
        if so != sn:
            item = f"{r.objective_id}/{r.metric_id}"
            add("status", item, f"{label(str(r.metric_id))} went from {_status_word(so)} in {r.period_old} to "
                f"{_status_word(sn)} in {r.period_new}", so, sn, log.why([item, str(r.metric_id), str(r.objective_id)]))

    # restated actuals: a value both sides have that differs, or one the newer side dropped
    a_old = {(str(m), str(p)): float(v) for m, p, v in zip(old.actuals["metric_id"], old.actuals["period"], old.actuals["value"], strict=True)}
    a_new = {(str(m), str(p)): float(v) for m, p, v in zip(new.actuals["metric_id"], new.actuals["period"], new.actuals["value"], strict=True)}
    for (mid, per), was in sorted(a_old.items()):
        value = a_new.get((mid, per), math.nan)
        if not _differ(was, value):
            continue
        u = units.get(mid)
        now_text = "removed" if math.isnan(value) else fmt(value, u)
        add("restated", mid, f"{label(mid)} {per} restated from {fmt(was, u)} to {now_text}", fmt(was, u),
            "" if math.isnan(value) else fmt(value, u), log.why([mid], per))

    # KPI rows: targets, baselines, stretch, weights; KPIs added and removed
    ka = {(str(r["objective_id"]), str(r["metric_id"])): r for _, r in old.kpis.iterrows()}
    kb = {(str(r["objective_id"]), str(r["metric_id"])): r for _, r in new.kpis.iterrows()}
    for k in sorted(set(ka) & set(kb)):
        item, u = f"{k[0]}/{k[1]}", units.get(k[1])
        ra, rb = ka[k], kb[k]
        why = log.why([item, k[1], k[0]])
        for field, period_field in (("target", "target_period"), ("baseline", "baseline_period"), ("stretch", None), ("weight", None)):
            va, vb = _num(ra.get(field)), _num(rb.get(field))
            pa = _text(ra.get(period_field)) if period_field else ""
            pb = _text(rb.get(period_field)) if period_field else ""
            if not _differ(va, vb) and pa == pb:
                continue
            unit = None if field == "weight" else u
            was_text, now_text = _shown(va, pa, unit), _shown(vb, pb, unit)
            add(field, item, f"{field} of {label(k[1])} for {k[0]} moved from {was_text} to {now_text}", was_text, now_text, why)
    for k in sorted(set(kb) - set(ka)):
        item = f"{k[0]}/{k[1]}"
        add("kpi added", item, f"{label(k[1])} selected as a KPI of {k[0]}", "", item, log.why([item, k[1], k[0]]))
    for k in sorted(set(ka) - set(kb)):
        item = f"{k[0]}/{k[1]}"
        add("kpi removed", item, f"{label(k[1])} is no longer a KPI of {k[0]}", item, "", log.why([item, k[1], k[0]]))

    # metric definitions
    for mid, field, before, after in definition_changes(old, new):
        add("definition", mid, f"{field.replace('_', ' ')} of {label(mid)} changed from '{before or 'none'}' to '{after or 'none'}'",
            before, after, log.why([mid]))

    # objectives
    oa = {str(r["id"]): r for _, r in old.objectives.iterrows()}
    ob = {str(r["id"]): r for _, r in new.objectives.iterrows()}
    for oid in sorted(set(ob) - set(oa)):
        add("objective added", oid, f"objective {oid} added: {_text(ob[oid]['title'])}", "", _text(ob[oid]["title"]), log.why([oid]))
    for oid in sorted(set(oa) - set(ob)):
        add("objective removed", oid, f"objective {oid} removed: {_text(oa[oid]['title'])}", _text(oa[oid]["title"]), "", log.why([oid]))
    for oid in sorted(set(oa) & set(ob)):
        ta, tb = _text(oa[oid]["title"]), _text(ob[oid]["title"])
        if ta != tb:
            add("objective reworded", oid, f"objective {oid} reworded from '{ta}' to '{tb}'", ta, tb, log.why([oid]))
        for field, words in (("parent_id", "parent"), ("org_unit_id", "unit")):
            pa, pb = _text(oa[oid].get(field)), _text(ob[oid].get(field))
            if pa != pb:
                add("objective moved", oid, f"objective {oid} moved in the cascade: {words} {pa or 'none'} -> {pb or 'none'}",
                    pa, pb, log.why([oid]))

    # findings
    if old_findings is not None and new_findings is not None:
        fa = {(f.code, f.item_id): f for f in old_findings}
        fb = {(f.code, f.item_id): f for f in new_findings}
        for k in sorted(set(fb) - set(fa)):
            add("finding opened", k[1], f"{k[0]} on {k[1]}: {fb[k].message}", "", k[0])
        for k in sorted(set(fa) - set(fb)):
            add("finding resolved", k[1], f"{k[0]} on {k[1]} resolved", k[0], "")

    order = {k: i for i, k in enumerate(KINDS)}
    out = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    if len(out):
        kinds = [str(k) for k in out["kind"]]
        out = out.iloc[sorted(range(len(out)), key=lambda i: order[kinds[i]])].reset_index(drop=True)
    return out


def counts(table: pd.DataFrame) -> dict[str, int]:
    """Rows per kind, in :data:`KINDS` order (kinds with none left out)."""
    found = {str(k): int(v) for k, v in table["kind"].value_counts().items()} if len(table) else {}
    return {k: found[k] for k in KINDS if k in found}


__all__ = ["BREAKING_FIELDS", "COMPARE_COLUMNS", "DEFINITION_FIELDS", "KINDS", "compare", "counts", "definition_changes", "explanation"]
