"""Section "Metric selection": the scoring heatmap and why each KPI was chosen."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kpikit.charts import alignment
from kpikit.engine import scoring
from kpikit.report.context import ReportContext
from kpikit.report.formatting import text
from kpikit.report.html import Fragment, chart
from kpikit.report.sections.contents import section
from kpikit.text import natural_key

HEATMAP_MIN_FILL = 0.35
"""A heatmap is drawn only when at least this share of its cells would hold a score; a mostly
empty grid (one candidate per objective) is a table of each objective's candidates instead."""


def metric_selection(ctx: ReportContext) -> Fragment:
    """The workshop scores (a heatmap, or a table when the grid would be mostly empty) and the selection's exceptions.

    Why each KPI was chosen is on its definition sheet (Appendix A); this section names
    the KPIs chosen against or without the scores, so it grows with the exceptions.
    """
    sc = ctx.eng.config.scoring
    criteria = [{"name": k.replace("_", " "), "weight": f"{v:g}"} for k, v in sc.criteria.items()]
    ranked = scoring.ranked(ctx.eng) if ctx.eng.has("metric_scores") else pd.DataFrame(columns=scoring.RANKED_COLUMNS)
    rows = selection_rows(ctx, ranked)
    exceptions = [r for r in rows if not r["recommended"]]
    n_recommended = sum(1 for r in rows if r["recommended"])
    passed_over = sorted((
        {"objective_id": r["objective_id"], "name": text(r["metric_name"], r["metric_id"]),
         "score": f"{r['weighted_score']:.2f}"}
        for r in ranked.to_dict("records") if r["recommended"] and not r["selected"]),
        key=lambda r: natural_key(r["objective_id"]))
    fig, table = None, []
    if len(ranked):
        n_obj = ranked["objective_id"].nunique()
        if not _as_table(ranked):
            fig = chart(
                alignment.scoring_heatmap, "Workshop scores: objective × candidate metric",
                f"Weighted score of each of the {len(ranked)} pairings scored for {n_obj} objectives; darker is "
                f"better, pairings at or above the threshold of {sc.select_threshold:g} qualify as recommended.",
                ctx.eng,
            )
        else:
            table = _candidates(ranked)
    # the body lists only the objectives whose choice needs a look (a candidate chosen against the
    # scores, or recommended and left out); Appendix A.7 lists every objective's candidates
    n_table = len(table)
    table = [o for o in table if any(c["selected"] != c["recommended"] for c in o["candidates"])]
    return section("selection", criteria=criteria, fig=fig, table=table, n_table=n_table, exceptions=exceptions,
                   n_rows=len(rows), n_recommended=n_recommended, passed_over=passed_over,
                   has_scores=ctx.eng.has("metric_scores") and len(ranked) > 0,
                   threshold=f"{sc.select_threshold:g}", max_kpis=sc.max_kpis_per_objective,
                   scale=f"{sc.scale[0]:g} to {sc.scale[1]:g}")


def selection_rows(ctx: ReportContext, ranked: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Why each selected KPI was chosen, in the workshop's numbers (kpis.csv order); the definition sheets print it."""
    sc = ctx.eng.config.scoring
    if ranked is None:
        ranked = scoring.ranked(ctx.eng) if ctx.eng.has("metric_scores") else pd.DataFrame(columns=scoring.RANKED_COLUMNS)
    by_pair = {(str(r["objective_id"]), str(r["metric_id"])): r for r in ranked.to_dict("records")}
    n_cand = ranked.groupby("objective_id").size().to_dict() if len(ranked) else {}
    rows = []
    for r in ctx.selected.to_dict("records"):
        oid, mid = str(r["objective_id"]), str(r["metric_id"])
        s = by_pair.get((oid, mid))
        if s is None:
            why = "Selected without a workshop score."
        elif s["recommended"]:
            why = (f"Recommended by the workshop: weighted score {s['weighted_score']:.2f}, ranked "
                   f"{int(s['rank'])} of {int(n_cand.get(oid, 0))} candidates (threshold {sc.select_threshold:g}).")
        else:
            why = (f"Selected although the scores did not recommend it: weighted score {s['weighted_score']:.2f}, "
                   f"ranked {int(s['rank'])} of {int(n_cand.get(oid, 0))} (threshold {sc.select_threshold:g}, "
                   f"at most {sc.max_kpis_per_objective} per objective).")
        rows.append({"objective_id": oid, "metric_id": mid, "name": ctx.metric_names.get(mid, mid),
                     "score": f"{s['weighted_score']:.2f}" if s is not None else "—",
                     "recommended": bool(s["recommended"]) if s is not None else False,
                     "why": why, "decision": _decision_for(ctx, oid, mid)})
    return rows


def _as_table(ranked: pd.DataFrame) -> bool:
    """True when the scores are listed rather than drawn: the heatmap would be mostly empty (or one column)."""
    n_obj = ranked["objective_id"].nunique()
    n_cols = (ranked["metric_id"].nunique() if ranked["metric_id"].nunique() <= alignment.HEATMAP_MAX_METRICS
              else int(ranked.groupby("objective_id").size().max()))
    return len(ranked) / max(1, n_obj * n_cols) < HEATMAP_MIN_FILL or n_cols <= 1


def candidate_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Every scored objective's candidates, best first, when the body lists rather than draws them (Appendix
    A.7; the body keeps the objectives that need a look). Empty when the heatmap shows them all."""
    if not ctx.eng.has("metric_scores"):
        return []
    ranked = scoring.ranked(ctx.eng)
    return _candidates(ranked) if len(ranked) and _as_table(ranked) else []


def _candidates(ranked: pd.DataFrame) -> list[dict[str, Any]]:
    """Each objective's candidates, best first, for the table that replaces a mostly empty heatmap."""
    out = []
    for oid, g in sorted(ranked.groupby("objective_id"), key=lambda x: natural_key(x[0])):
        g = g.sort_values(["rank", "metric_id"], kind="stable")
        out.append({"objective_id": str(oid), "candidates": [
            {"name": text(r["metric_name"], r["metric_id"]), "id": str(r["metric_id"]),
             "score": f"{r['weighted_score']:.2f}", "selected": bool(r["selected"]), "recommended": bool(r["recommended"])}
            for r in g.to_dict("records")]})
    return out


def _decision_for(ctx: ReportContext, objective_id: str, metric_id: str) -> str | None:
    """The latest decision-log rationale about this KPI (item ``OBJ/MET``, the metric, or the objective)."""
    ch = ctx.eng.changes
    if ch.empty:
        return None
    keys = [f"{objective_id}/{metric_id}", metric_id]
    hits = ch[ch["item_id"].isin(keys)]
    if hits.empty:
        return None
    r = hits.sort_values("date", kind="stable").iloc[-1]
    rationale = text(r["rationale"], "")
    who = text(r["decided_by"], "")
    return f"{text(r['date'], '')}: {rationale}" + (f" (decided by {who})" if who else "") if rationale else None
