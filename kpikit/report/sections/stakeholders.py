"""Section "Stakeholders": RACI matrix, accountability gaps, overload and the influence/support map."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kpikit.charts import alignment
from kpikit.engine import stakeholders as st
from kpikit.report.context import ReportContext
from kpikit.report.formatting import num
from kpikit.report.html import Fragment, chart
from kpikit.report.sections.contents import section
from kpikit.text import natural_key

RACI_GRID_MAX = 20
"""Up to this many people the RACI matrix is a grid (items x people); beyond, a list of names per letter."""


def stakeholder_map(ctx: ReportContext) -> Fragment:
    """The influence/support map, who to engage how, accountability gaps and overload; the RACI matrix is in Appendix A."""
    eng = ctx.eng
    ref = stakeholder_reference(ctx)
    has_people = ref["has_people"]
    acc = st.accountability(eng)
    gaps = sorted(({"item_id": r["item_id"], "kind": r["kind"], "name": r["name"], "problem": r["problem"]}
                   for r in acc.to_dict("records") if not r["ok"]), key=lambda g: natural_key(g["item_id"]))
    over = st.overloaded(eng).to_dict("records") if has_people else []
    quads = st.quadrants(eng) if has_people else pd.DataFrame()
    approach = [{"quadrant": q, "advice": advice, "names": [str(n) for n in quads.loc[quads["quadrant"] == q, "name"]]}
                for q, advice in st.ADVICE.items()] if has_people else []
    fig = None
    if has_people and quads[["influence", "support"]].notna().all(axis=1).any():
        counts = quads["quadrant"].value_counts().to_dict()
        fig = chart(
            alignment.influence_map, "Stakeholder influence and support",
            "Each person placed by influence (up) and support (right) on a 1 to 5 scale. "
            + "; ".join(f"{counts[q]} {q.lower()}" + (" (not on the map)" if q == "Not assessed" else "")
                        for q in st.ADVICE if q in counts) + ".",
            eng,
        )
    return section("stakeholders", has_people=has_people, gaps=gaps, over=over, fig=fig, limit=st.OVERLOAD_LIMIT,
                   approach=[a for a in approach if a["names"]])


def stakeholder_reference(ctx: ReportContext) -> dict[str, Any]:
    """The RACI matrix (a grid up to :data:`RACI_GRID_MAX` people, else names per letter) and the people table."""
    eng = ctx.eng
    has_people = eng.has("stakeholders") and not eng.stakeholders.empty
    matrix = st.raci_matrix(eng) if has_people else pd.DataFrame()
    people = [str(p) for p in eng.stakeholders["id"]] if has_people else []
    used = [p for p in people if len(matrix) and matrix[p].ne("").any()]
    names = ctx.stakeholder_names
    raci_rows = [{"item_id": r["item_id"], "kind": r["kind"], "name": r["name"],
                  "cells": [r[p] for p in used],
                  "by_letter": {x: [names.get(p, p) for p in used if x in str(r[p]).split("/")] for x in "ARCI"}}
                 for r in matrix.to_dict("records")] if len(matrix) else []
    raci_rows.sort(key=lambda r: (r["kind"] != "objective", natural_key(r["item_id"])))
    quads = st.quadrants(eng) if has_people else pd.DataFrame()
    people_rows = [{"id": r["stakeholder_id"], "name": r["name"], "role": r["role"],
                    "influence": num(r["influence"]), "support": num(r["support"]),
                    "quadrant": r["quadrant"], "advice": r["advice"]} for r in quads.to_dict("records")]
    people_rows.sort(key=lambda r: natural_key(r["id"]))
    return {"has_people": has_people, "has_raci": eng.has("raci") and not eng.raci.empty, "used": used,
            "names": names, "grid": len(used) <= RACI_GRID_MAX, "raci_rows": raci_rows, "people": people_rows}
