"""Section "Mission, vision and pillars": the pillars with the top-level objectives serving each."""

from __future__ import annotations

from kpikit.engine import cascade
from kpikit.report.context import ReportContext
from kpikit.report.formatting import ident
from kpikit.report.html import Fragment
from kpikit.report.sections.contents import section


def strategy(ctx: ReportContext) -> Fragment:
    """Mission, vision and the pillars, with the top-level objectives serving each pillar."""
    eff = cascade.effective_pillars(ctx.eng)
    parents = cascade.objective_parents(ctx.eng)
    pillars = []
    for p in ctx.eng.config.pillars:
        objs = [o for o in eff.index if eff.at[o, "pillar_id"] == p.id]
        top = [o for o in objs if parents.get(o) is None]
        pillars.append({
            "id": p.id, "name": p.name, "description": p.description,
            "top": [(o, ctx.objective_titles[o]) for o in top],
            "n_objectives": len(objs),
        })
    unaligned = [(o, ctx.objective_titles[o]) for o in eff.index if ident(eff.at[o, "pillar_id"]) is None]
    return section("strategy", mission=ctx.eng.config.mission, vision=ctx.eng.config.vision,
                   pillars=pillars, unaligned=unaligned)
