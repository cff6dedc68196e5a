"""Appendix D: the decision log of the review-and-adapt cycle (changes.csv), oldest first."""

from __future__ import annotations

from kpikit.report.context import ReportContext
from kpikit.report.formatting import ident, text
from kpikit.report.html import Fragment, render_template


def appendix_decisions(ctx: ReportContext) -> Fragment:
    """Appendix D: the decision log of the review-and-adapt cycle (changes.csv), oldest first."""
    ch = ctx.eng.changes.sort_values("date", kind="stable") if not ctx.eng.changes.empty else ctx.eng.changes
    rows = [{"date": text(r["date"]), "item": ctx.item_label(item) if (item := ident(r["item_id"])) else "—",
             "change": text(r["change"]), "rationale": text(r["rationale"]), "decided_by": text(r["decided_by"])}
            for r in ch.to_dict("records")]
    return render_template("appendix_decisions.html.j2", rows=rows, has_log=ctx.eng.has("changes"))
