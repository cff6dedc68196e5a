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
from kpikit.report.sections.contents import appendix, section
from kpikit.report.wording import ACTIONS, MAX_NAMED, SUGGESTION_ACTIONS
from kpikit.text import join_words, natural_key


def recommendations(ctx: ReportContext) -> Fragment:
    """What to do before the next review, most pressing first, each naming the items it concerns and why.

    Each recommendation is a heading (the action) and sentences: why, then the items by
    name, at most :data:`~kpikit.report.wording.MAX_NAMED`, and how many more there are
    (Appendix B lists every finding by code).
    """
    return section("recommendations", recs=recommendation_items(ctx), period=ctx.period_text)


def recommendation_items(ctx: ReportContext) -> list[dict[str, Any]]:
    """The recommendations (``title``, ``why``, ``named``), most pressing first: the report's and the deck's."""
    recs: list[dict[str, Any]] = []
    reds = [r for r in ctx.attention_rows() if r["view"] == "red"]
    if reds:
        recs.append({"title": "Agree recovery actions for the KPIs that are off track",
                     "why": "They are behind the plan by more than the agreed tolerance in this review.",
                     "named": _sentence("KPI", [f"{ctx.kpi_label(r['metric_id'])} ({r['objective_id']})" for r in reds])})
    if ctx.period is not None:
        sug = review.suggestions(ctx.eng, ctx.period_override)
        for kind, title in SUGGESTION_ACTIONS.items():
            g = sug[sug["kind"] == kind]
            if len(g):
                ids = sorted((str(i) for i in g["item_id"]), key=natural_key)
                recs.append({"title": title, "why": str(g["reason"].iloc[0]) if len(g) == 1 else _WHY.get(kind, ""),
                             "named": _sentence("KPI", [ctx.item_label(i) for i in ids]) if len(g) > 1 else ""})
    by_code: dict[str, list[Finding]] = {}
    for f in ctx.findings:
        by_code.setdefault(f.code, []).append(f)
    order = sorted(ACTIONS, key=lambda c: (["error", "warning", "info"].index(CODES[c]), list(ACTIONS).index(c)))
    for code in order:
        fs = by_code.get(code, [])
        if fs:
            ids = sorted({f.item_id for f in fs}, key=natural_key)
            recs.append({"title": ACTIONS[code], "why": fs[0].message if len(ids) == 1 else "",
                         "named": _sentence(_NOUN.get(code, "item"), [ctx.item_label(i) for i in ids], code)
                         if len(ids) > 1 else ""})
    for step in ctx.eng.outstanding_steps():
        recs.append({"title": f"Complete the outstanding step: {step}", "why":
                     "Until it is done, the sections that depend on it cannot show results.", "named": ""})
    return recs


_NOUN = {"OBJECTIVE_UNALIGNED": "objective", "OBJECTIVE_NO_KPI": "objective", "OBJECTIVE_NOT_SMART": "objective",
         "CASCADE_WRONG_UNIT": "objective", "KPI_TOO_MANY": "objective", "UNIT_NO_OBJECTIVE": "org unit",
         "METRIC_UNUSED": "metric", "KPI_NOT_RECOMMENDED": "KPI", "KPI_NO_DATA_SOURCE": "metric",
         "KPI_TARGET_UNREALISTIC": "KPI", "KPI_NO_ACCOUNTABLE": "objective or KPI"}
"""What a finding code is about, to count its items in words."""

_WHY = {"review-target-or-initiative": "They have stayed off track for several reviews in a row.",
        "fix-data-feed": "Without a figure their progress cannot be judged in this review.",
        "raise-or-retire": "They already meet their final target, so the target no longer stretches anyone."}
"""Why a group of review suggestions matters (a single suggestion gives its own reason)."""


def _sentence(noun: str, labels: list[str], code: str | None = None) -> str:
    """``It concerns 5 KPIs: A, B and C, and 2 more (Appendix B).``: the items named, the rest counted."""
    n = len(labels)
    nouns = noun if n == 1 else ("objectives or KPIs" if noun == "objective or KPI" else f"{noun}s")
    shown = labels[:MAX_NAMED]
    rest = n - len(shown)
    where = f" ({appendix('B')}, {code}, lists them all)" if code else " (the scorecard lists them all)"
    tail = f", and {rest} more{where}" if rest > 0 else ""
    return f"It concerns {n} {nouns}: {join_words(shown)}{tail}."
