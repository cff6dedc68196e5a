"""Notebook 04's measurability view: where each KPI's number comes from, and whether the last refresh worked.

The facts are :func:`kpikit.engine.measured.measurability_table` (the same the report's
measurability section and definition sheets show); this module only words them for the
screen: the status in words, the query as written (a file's name, or the SQL itself cut to
a line, so the consultant sees which query it is), the last refresh's time in UTC (or "not
refreshed yet"). The title counts the three kinds.

>>> measurability_view(eng)        # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.data.sources import looks_like_file
from kpikit.editors.tables import Table, show_table
from kpikit.engine.measured import STATUS_WORDS, counts, measurability_table, refresh_words
from kpikit.text import plural, short

COLUMNS = ["objective_id", "metric_id", "measurability", "source_or_system", "query", "last_refresh", "rows", "latest_period",
           "outcome"]
SQL_CHARS = 70
"""SQL written in metrics.csv is shown cut to this many characters (the Test query box shows all of it)."""


def measurability_frame(eng: Engagement) -> pd.DataFrame:
    """One row per selected KPI (kpis.csv order) with :data:`COLUMNS`, worded for the screen (None: nothing to say)."""
    table = measurability_table(eng)
    queries = {str(m): cell_text(q) for m, q in zip(eng.metrics["id"], eng.metrics["query"], strict=True)} \
        if "query" in eng.metrics.columns else {}
    rows = []
    for rec in table.to_dict("records"):
        r = {str(k): str(v) for k, v in rec.items()}  # measurability_table is all text
        measured = r["status"] == "measured"
        query = r["query"]
        own = queries.get(r["metric_id"], "")
        if measured and own and not looks_like_file(own):
            query = short(" ".join(own.split()), SQL_CHARS)
        outcome = r["outcome"]
        if outcome not in ("", "ok") and r["message"]:
            outcome = r["message"] if r["message"].startswith(outcome) else f"{outcome}: {r['message']}"
        rows.append({
            "objective_id": r["objective_id"], "metric_id": r["metric_id"],
            "measurability": STATUS_WORDS.get(r["status"], r["status"]),
            "source_or_system": r["source"] or None, "query": query or None,
            "last_refresh": refresh_words(r) if measured else None,
            "rows": r["rows"] or None, "latest_period": r["latest_period"] or None, "outcome": outcome or None,
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def measurability_view(eng: Engagement) -> Table:
    """The readable table of :func:`measurability_frame`, titled with the counts of measured, declared and unsourced KPIs."""
    table = measurability_table(eng)
    n = counts(table)
    title = (f"Measurability: {n['measured']} of {plural(len(table), 'KPI')} measured from a source, "
             f"{n['declared']} declared (named, not queried), {n['none']} with no source")
    broken = int((table["outcome"] == "failed").sum())
    if broken:
        title += f"; {broken} {'query' if broken == 1 else 'queries'} failed at the last refresh"
    return show_table(measurability_frame(eng), sort=False, title=title,
                      empty="No KPIs are selected yet (kpis.csv), so there is nothing to measure.")
