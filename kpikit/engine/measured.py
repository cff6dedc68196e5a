"""Measurability proven by data: is each KPI's number pulled from a declared source, and did that work?

The contract's step "ensure measurability" is met by data, not words: a metric is
**measured** when a query on a declared source feeds its actuals (``kpikit refresh``),
**declared** when only its free-text ``data_source`` names a system, and has **no source**
otherwise (:func:`kpikit.data.sources.metric_status`). :func:`measurability_table` gives
each selected KPI's source, query and last refresh (when, rows, latest period, outcome) for
notebook 04, the report's measurability section and the KPI definition sheets;
:func:`findings` raises ``KPI_SOURCE_BROKEN`` (its query failed at the last refresh) and
``KPI_NOT_MEASURED`` (declared, not measured).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from kpikit.data.sources import FAILED, looks_like_file, metric_status, read_record, source_of
from kpikit.engine.findings import Finding

if TYPE_CHECKING:
    from kpikit.data.model import Engagement

COLUMNS = ["objective_id", "metric_id", "status", "source", "query", "refreshed", "rows", "latest_period",
           "outcome", "message"]
STATUS_WORDS = {"measured": "measured (from a source)", "declared": "declared (named, not queried)",
                "none": "no source"}


def _text(v: object) -> str:
    return v.strip() if isinstance(v, str) else ""


def measurability_table(eng: Engagement) -> pd.DataFrame:
    """One row per selected KPI (kpis.csv order): :data:`COLUMNS`; last-refresh cells empty when never refreshed."""
    status = metric_status(eng.metrics, eng.config)
    record = read_record(eng.folder)
    metrics = eng.metrics.set_index("id")
    metrics = metrics[~metrics.index.duplicated()]
    rows = []
    for oid, mid in zip(eng.kpis["objective_id"], eng.kpis["metric_id"], strict=True):
        if mid not in metrics.index:
            continue
        m = metrics.loc[mid]
        query = _text(m.get("query")) if "query" in metrics.columns else ""
        src = source_of(_text(m.get("source")) if "source" in metrics.columns else "", query, eng.config) or ""
        shown_query = query if (not query or looks_like_file(query)) else "SQL in metrics.csv"
        if not query and src and eng.config.sources.get(src) and eng.config.sources[src].query:
            shown_query = f"bulk: {eng.config.sources[src].query}"
        last = record.get(str(mid)) if status.get(str(mid)) == "measured" else None
        rows.append({
            "objective_id": oid, "metric_id": mid, "status": status.get(str(mid), "none"),
            "source": src if status.get(str(mid)) == "measured" else _text(m.get("data_source")),
            "query": shown_query if status.get(str(mid)) == "measured" else "",
            "refreshed": last.when if last else "", "rows": str(last.rows) if last else "",
            "latest_period": last.latest_period if last else "", "outcome": last.outcome if last else "",
            "message": last.message if last else "",
        })
    return pd.DataFrame(rows, columns=COLUMNS).astype("str")


def findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """``KPI_SOURCE_BROKEN`` and ``KPI_NOT_MEASURED`` for the selected KPIs that earn them."""
    del period  # the last refresh is not tied to a review period
    out: list[Finding] = []
    for r in measurability_table(eng).itertuples(index=False):
        item = f"{r.objective_id}/{r.metric_id}"
        if r.status == "measured" and r.outcome == FAILED:
            out.append(Finding("KPI_SOURCE_BROKEN", item,
                               f"the query of {r.metric_id} on source {r.source} failed at the last refresh "
                               f"({r.refreshed}): {r.message}"))
        elif r.status == "declared":
            out.append(Finding("KPI_NOT_MEASURED", item,
                               f"{r.metric_id} names {r.source!r} as its data source but has no query: its actuals "
                               "are typed in, not pulled from the source"))
    return out


def describe(row: Mapping[Any, Any]) -> str:
    """A measurability row in words, for the report's definition sheets and notebook 04.

    >>> describe({"status": "measured", "source": "ed", "query": "queries/ed_4hr.sql", "refreshed": "",
    ...           "rows": "", "latest_period": "", "outcome": "", "message": ""})
    'measured: source ed, queries/ed_4hr.sql; not refreshed yet'
    """
    if row["status"] == "declared":
        return f"declared: {row['source']} (named, no query)"
    if row["status"] != "measured":
        return "no source"
    head = f"measured: source {row['source']}, {row['query']}"
    if not row["refreshed"]:
        return head + "; not refreshed yet"
    when = row["refreshed"].replace("T", " ").removesuffix("Z") + " UTC"
    last = f"last refresh {when}: {row['rows']} rows, latest {row['latest_period'] or 'none'}"
    return f"{head}; {last}, {row['outcome']}" + (f" ({row['message']})" if row["outcome"] != "ok" and row["message"] else "")


def counts(table: pd.DataFrame) -> dict[str, int]:
    """How many selected KPIs are measured, declared and without a source, from :func:`measurability_table`."""
    by = table["status"].value_counts()
    return {k: int(by.get(k, 0)) for k in STATUS_WORDS}


def refresh_words(row: Mapping[Any, Any]) -> str:
    """A measured KPI's last refresh in words for a table cell: when (UTC), or that it never ran.

    >>> refresh_words({"refreshed": "2026-12-03T16:40:05Z"}), refresh_words({"refreshed": ""})
    ('2026-12-03 16:40 UTC', 'not refreshed yet')
    """
    when = str(row["refreshed"])
    return when.replace("T", " ").removesuffix("Z")[:16] + " UTC" if when else "not refreshed yet"
