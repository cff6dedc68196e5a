"""Section "Recommendations for the next review cycle": what to do, most pressing first, and why.

The words of each recommendation come from :mod:`kpikit.report.wording`
(:data:`~kpikit.report.wording.ACTIONS` per finding code).
"""

from __future__ import annotations

from typing import Any

from kpikit.engine import review
from kpikit.engine.findings import CODES, Finding
from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment
from kpikit.report.sections.contents import section
from kpikit.report.wording import ACTIONS, SUGGESTION_ACTIONS

MAX_CONCERNS = 12
"""A recommendation names at most this many items; the appendix has the full list."""


def recommendations(ctx: ReportContext) -> Fragment:
    """What to do before the next review, most pressing first, each with the items it concerns and why."""
    recs: list[dict[str, Any]] = []
    detail = ctx.detail
    reds = detail[detail["status"] == "red"]
    if len(reds):
        recs.append({"title": "Agree recovery actions for the KPIs that are off track",
                     "why": "They are behind by more than the agreed tolerance in this review.",
                     "concerns": [f"{ctx.kpi_label(m)} ({o})" for o, m in
                                  zip(reds["objective_id"], reds["metric_id"], strict=True)]})
    if ctx.period is not None:
        sug = review.suggestions(ctx.eng, ctx.period_override)
        for kind, title in SUGGESTION_ACTIONS.items():
            g = sug[sug["kind"] == kind]
            if len(g):
                recs.append({"title": title, "why": str(g["reason"].iloc[0]) if len(g) == 1 else
                             f"{len(g)} KPIs; for example: {g['reason'].iloc[0]}",
                             "concerns": [ctx.item_label(str(i)) for i in g["item_id"]]})
    by_code: dict[str, list[Finding]] = {}
    for f in ctx.findings:
        by_code.setdefault(f.code, []).append(f)
    order = sorted(ACTIONS, key=lambda c: (["error", "warning", "info"].index(CODES[c]), list(ACTIONS).index(c)))
    for code in order:
        fs = by_code.get(code, [])
        if fs:
            recs.append({"title": ACTIONS[code], "why": fs[0].message if len(fs) == 1 else
                         f"{len(fs)} items; for example: {fs[0].message}",
                         "concerns": sorted({ctx.item_label(f.item_id) for f in fs})})
    for step in ctx.eng.outstanding_steps():
        recs.append({"title": f"Complete the outstanding step: {step}", "why":
                     "Until it is done, the sections that depend on it cannot show results.", "concerns": []})
    for rec in recs:
        items = rec["concerns"]
        if len(items) > MAX_CONCERNS:
            rec["concerns"] = [*items[:MAX_CONCERNS], f"and {len(items) - MAX_CONCERNS} more (Appendix B lists every finding)"]
    return section("recommendations", recs=recs, period=ctx.period_text)
