"""Section "Objective cascade": the objective tree over the org hierarchy, split across pages when large, and the gaps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from kpikit.charts import alignment
from kpikit.engine import cascade, review
from kpikit.report.context import ReportContext
from kpikit.report.formatting import ident, pct, text
from kpikit.report.html import Figure, Fragment, chart
from kpikit.report.sections.contents import appendix, section
from kpikit.text import join_words, natural_key, plural

CASCADE_PAGE_ROWS = 34
"""At most this many objectives in one cascade chart: above it, one chart per pillar, and a
pillar's cascade in page-sized parts of even size, so the labels print at a readable size (about
8 pt, the size of a 20-objective cascade: 34 rows still fit the page's height at the page's width)."""

MAX_IDS = 40
MAX_LINKS = 8
"""At most this many wrong-unit links get a bullet of their own; the rest are counted (Appendix B has each)."""
"""A gap sentence lists at most this many IDs and counts the rest (Appendix A lists every objective)."""


def objective_cascade(ctx: ReportContext) -> Fragment:
    """The objective tree (one chart, or one per pillar and page) and the alignment gaps, grouped by kind."""
    eng = ctx.eng
    cov = cascade.coverage(eng)
    nodes = cascade.layout(eng)
    n_levels = int(nodes["depth"].max()) + 1 if len(nodes) else 0
    figs = _charts(ctx, nodes, cov) if len(nodes) else []
    gaps = _gaps(ctx)
    tiles = [
        {"value": str(cov["objectives"]), "label": "Objectives", "cls": ""},
        {"value": pct(cov["reach_pillar_share"]), "label": "Reach a pillar", "cls": ""},
        {"value": pct(cov["with_kpi_share"]), "label": "Have a KPI", "cls": ""},
        {"value": str(sum(g["count"] for g in gaps)), "label": "Alignment gaps",
         "cls": "status-red" if gaps else "status-green"},
    ]
    return section("cascade", tiles=tiles, figs=figs, gaps=gaps, n_objectives=len(nodes), n_levels=n_levels)


def cascade_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Every objective in cascade order with unit, pillar, owner, due date and score (Appendix A's table)."""
    nodes = cascade.layout(ctx.eng)
    scores = _scores(ctx) if ctx.period is not None else {}
    obj = ctx.eng.objectives.set_index("id")
    return [{"id": str(r["objective_id"]), "title": r["title"], "depth": int(r["depth"]),
             "unit": ctx.unit_names.get(str(r["org_unit_id"]), str(r["org_unit_id"])),
             "pillar": ident(r["pillar_id"]) or "—", "owner": text(obj.at[str(r["objective_id"]), "owner"]),
             "due": text(obj.at[str(r["objective_id"]), "due"]), "score": pct(scores.get(str(r["objective_id"])))}
            for r in nodes.to_dict("records")]


def _charts(ctx: ReportContext, nodes: pd.DataFrame, cov: Mapping[str, Any]) -> list[Figure]:
    """One chart when it fits a page; else per pillar (in engagement.yaml order, then no pillar), in page-sized parts."""
    eng = ctx.eng
    if len(nodes) <= CASCADE_PAGE_ROWS:
        fig = chart(alignment.cascade_tree, "The objective cascade",
                    f"{cov['objectives']} objectives, read from the top-level objectives down to the objectives that "
                    f"support them; colour and shape show the pillar served. {cov['reach_pillar']} of "
                    f"{cov['objectives']} reach a pillar.", eng)
        return [fig] if fig else []
    names = {p.id: p.name for p in eng.config.pillars}
    order = [p.id for p in eng.config.pillars]
    pillar = nodes["pillar_id"].map(ident)
    groups: list[tuple[str | None, list[str]]] = [(p, nodes.loc[pillar == p, "objective_id"].astype("str").tolist())
                                                  for p in order]
    groups.append((None, nodes.loc[pillar.isna() | ~pillar.isin(order), "objective_id"].astype("str").tolist()))
    figs: list[Figure] = []
    parent = dict(zip(nodes["objective_id"].astype("str"), nodes["parent_id"], strict=True))
    for pid, ids in groups:
        if not ids:
            continue
        if pid is None and not any(isinstance(parent[o], str) and parent[o] for o in ids):
            continue  # lone objectives with no pillar and nothing under them: the gap list names each
        size = -(-len(ids) // -(-len(ids) // CASCADE_PAGE_ROWS))  # even parts: 37 is 19 + 18, not 34 + 3
        parts = [ids[i:i + size] for i in range(0, len(ids), size)]
        label = f"pillar {pid} “{names[pid]}”" if pid is not None else "no pillar"
        for k, part in enumerate(parts, start=1):
            of = f", part {k} of {len(parts)}" if len(parts) > 1 else ""
            title = (f"The cascade of {label}{of}" if pid is not None else f"Objectives that reach no pillar{of}")
            desc = (f"{plural(len(part), 'objective')} ({part[0]} to {part[-1]} in cascade order) of the "
                    f"{len(ids)} serving {label}; indented under the objective each supports.")
            fig = chart(alignment.cascade_tree, title, desc, eng, None, part)
            if fig:
                figs.append(fig)
    return figs


def _ids(ids: list[str]) -> str:
    ids = sorted(ids, key=natural_key)
    more = len(ids) - MAX_IDS
    return ", ".join(ids[:MAX_IDS]) + (f" and {more} more" if more > 0 else "")


def _gaps(ctx: ReportContext) -> list[dict[str, Any]]:
    """The alignment gaps grouped by kind: a heading, a count and sentences that name the items."""
    eng = ctx.eng
    out: list[dict[str, Any]] = []
    unaligned = sorted((f.item_id for f in ctx.findings if f.code == "OBJECTIVE_UNALIGNED"), key=natural_key)
    if unaligned:
        out.append({"title": "Objectives that serve no pillar", "count": len(unaligned), "lines": [
            f"{o} “{ctx.objective_titles.get(o, o)}” has no parent objective and no pillar: it is not aligned to the "
            "strategy." for o in unaligned]})
    wrong = cascade.wrong_unit_links(eng).to_dict("records")
    if wrong:
        wrong.sort(key=lambda w: natural_key(w["objective_id"]))
        lines = [f"{w['objective_id']} ({ctx.unit_names.get(str(w['org_unit_id']), w['org_unit_id'])}) supports "
                 f"{w['parent_id']} ({ctx.unit_names.get(str(w['parent_unit_id']), w['parent_unit_id'])}), a unit that "
                 "is neither its own nor above it." for w in wrong]
        if len(lines) > MAX_LINKS:  # a bullet each, like the other gaps; Appendix B lists every one
            lines = [*lines[:MAX_LINKS], f"{len(wrong) - MAX_LINKS} more links like these are listed in {appendix('B')} "
                                         "(CASCADE_WRONG_UNIT)."]
        out.append({"title": "Links to a parent in an unrelated unit", "count": len(wrong), "lines": lines})
    units = sorted(cascade.units_without_objectives(eng), key=natural_key)
    if units:
        out.append({"title": "Org units without objectives", "count": len(units), "lines": [
            f"{join_words([f'{ctx.unit_names.get(u, u)} ({u})' for u in units[:MAX_IDS]])}"
            f"{f' and {len(units) - MAX_IDS} more' if len(units) > MAX_IDS else ''} "
            f"{'owns' if len(units) == 1 else 'own'} no objective."]})
    no_kpi = [f.item_id for f in ctx.findings if f.code == "OBJECTIVE_NO_KPI"]
    if no_kpi:
        scores = _scores(ctx) if ctx.period is not None else {}
        scored = [o for o in no_kpi if o in scores and scores[o] == scores[o]]
        blind = [o for o in no_kpi if o not in scored]
        lines = []
        if scored:
            lines.append(f"{plural(len(scored), 'objective')} without a KPI of {'its' if len(scored) == 1 else 'their'} "
                         f"own {'is' if len(scored) == 1 else 'are'} scored through the objectives under "
                         f"{'it' if len(scored) == 1 else 'them'}: {_ids(scored)}.")
        if blind:
            lines.append(f"{plural(len(blind), 'objective')} {'has' if len(blind) == 1 else 'have'} no KPI and no "
                         f"scored objective under {'it' if len(blind) == 1 else 'them'}, so "
                         f"{'its' if len(blind) == 1 else 'their'} progress cannot be measured: {_ids(blind)}.")
        out.append({"title": "Objectives without a KPI of their own", "count": len(no_kpi), "lines": lines})
    return out


def _scores(ctx: ReportContext) -> dict[str, float]:
    """Each objective's score in the review period."""
    s = review.objective_scores(ctx.eng, ctx.period_override)
    return {str(o): float(v) for o, v in zip(s["objective_id"], s["score"], strict=True)}
