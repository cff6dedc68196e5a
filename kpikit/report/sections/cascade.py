"""Section "Objective cascade": the objective tree over the org hierarchy and the alignment gaps."""

from __future__ import annotations

from kpikit.charts import alignment
from kpikit.engine import cascade, review
from kpikit.report.context import ReportContext
from kpikit.report.formatting import ident, pct, text
from kpikit.report.html import Fragment, chart
from kpikit.report.sections.contents import section


def objective_cascade(ctx: ReportContext) -> Fragment:
    """The objective tree over the org hierarchy (chart and table) and the alignment gaps."""
    eng = ctx.eng
    cov = cascade.coverage(eng)
    nodes = cascade.layout(eng)
    scores = _scores(ctx) if ctx.period is not None else {}
    obj = eng.objectives.set_index("id")
    rows = []
    for r in nodes.to_dict("records"):
        oid = str(r["objective_id"])
        rows.append({
            "id": oid, "title": r["title"], "depth": int(r["depth"]),
            "unit": ctx.unit_names.get(str(r["org_unit_id"]), str(r["org_unit_id"])),
            "pillar": ident(r["pillar_id"]) or "—", "owner": text(obj.at[oid, "owner"]), "due": text(obj.at[oid, "due"]),
            "score": pct(scores.get(oid)),
        })
    gaps: list[str] = []
    for f in ctx.findings:
        if f.code == "OBJECTIVE_UNALIGNED":
            gaps.append(f"Objective {f.item_id} “{ctx.objective_titles.get(f.item_id, f.item_id)}” has no parent "
                        "objective and no pillar: it is not aligned to the strategy.")
    for w in cascade.wrong_unit_links(eng).to_dict("records"):
        gaps.append(
            f"Objective {w['objective_id']} ({ctx.unit_names.get(str(w['org_unit_id']), w['org_unit_id'])}) supports "
            f"{w['parent_id']}, which belongs to {ctx.unit_names.get(str(w['parent_unit_id']), w['parent_unit_id'])}: "
            "a unit that is neither its own nor above it.")
    for u in cascade.units_without_objectives(eng):
        gaps.append(f"Org unit {ctx.unit_names.get(u, u)} ({u}) owns no objective.")
    for f in ctx.findings:
        if f.code == "OBJECTIVE_NO_KPI":
            gaps.append(f"Objective {f.item_id} “{ctx.objective_titles.get(f.item_id, f.item_id)}” has no KPI, "
                        "so its progress cannot be measured.")
    n_levels = int(nodes["depth"].max()) + 1 if len(nodes) else 0
    fig = chart(
        alignment.cascade_tree, "The objective cascade",
        f"{cov['objectives']} objectives in {n_levels} level{'s' if n_levels != 1 else ''}, read left to right from "
        f"the top-level objectives to the objectives that support them; colour shows the pillar served. "
        f"{cov['reach_pillar']} of {cov['objectives']} reach a pillar.",
        eng,
    ) if len(nodes) else None
    tiles = [
        {"value": str(cov["objectives"]), "label": "Objectives", "cls": ""},
        {"value": pct(cov["reach_pillar_share"]), "label": "Reach a pillar", "cls": ""},
        {"value": pct(cov["with_kpi_share"]), "label": "Have a KPI", "cls": ""},
        {"value": str(len(gaps)), "label": "Alignment gaps", "cls": "status-red" if gaps else "status-green"},
    ]
    return section("cascade", tiles=tiles, fig=fig, rows=rows, gaps=gaps, has_period=ctx.period is not None)


def _scores(ctx: ReportContext) -> dict[str, float]:
    """Each objective's score in the review period."""
    s = review.objective_scores(ctx.eng, ctx.period_override)
    return {str(o): float(v) for o, v in zip(s["objective_id"], s["score"], strict=True)}
