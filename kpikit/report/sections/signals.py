"""Section "Signal or noise": which reds (and greens) are a real change, and which are ordinary variation.

Every red reads as news unless the report says otherwise. Each KPI with natural process
limits (:mod:`kpikit.engine.behaviour`) is listed with its limits and signal, reds and
signals first, and in words: a red with no signal "has always varied this much: do not react
to one period"; a green with no signal is not yet a real improvement. Targets beyond the
good-side limit are named: the process must change, not just the effort. Shown when at least
one KPI has limits.
"""

from __future__ import annotations

import math

from kpikit.engine.behaviour import METHOD, behaviour, reading, target_beyond_limits
from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment
from kpikit.report.sections.contents import section
from kpikit.text import fmt, join_words

NAMED = 3
"""At most this many KPIs named in a sentence; the rest are counted (scorecard.csv has every limit)."""

SIGNAL_WORDS = {"outside": "beyond a limit", "run": "a run on one side", "near-limit": "near a limit", "none": "none"}


def signals(ctx: ReportContext) -> Fragment:
    """The section, or an empty fragment when no KPI has enough history for limits."""
    table = behaviour(ctx.eng, ctx.period_override)
    if table.empty or not table["centre"].notna().any():
        return Fragment("")
    units = {str(i): (u if isinstance(u, str) else None) for i, u in zip(ctx.eng.metrics["id"], ctx.eng.metrics["unit"], strict=True)}
    card = ctx.eng.actuals.set_index(["metric_id", "period"])["value"] if len(ctx.eng.actuals) else None
    rows, beyond = [], []
    reds_noise = reds_signal = 0
    for r in table.to_dict("records"):
        if isinstance(r["centre"], float) and math.isnan(r["centre"]):
            continue
        mid, unit = str(r["metric_id"]), units.get(str(r["metric_id"]))
        sig, status = str(r["signal"]), str(r.get("status", ""))
        value = card.get((mid, r["period"])) if card is not None else None
        if status == "red" and sig:
            reds_signal += sig != "none"
            reds_noise += sig == "none"
        if target_beyond_limits(r):
            beyond.append((status == "green", f"{ctx.kpi_label(mid)} (target {fmt(float(r['target']), unit)}, limits "
                                              f"{fmt(float(r['lower_limit']), unit)} to {fmt(float(r['upper_limit']), unit)})"))
        rows.append({
            "kpi": f"{ctx.kpi_label(mid)} ({r['objective_id']})", "status": status or "no-data",
            "actual": fmt(float(value), unit) if value is not None else "—",
            "limits": f"{fmt(float(r['lower_limit']), unit)} – {fmt(float(r['upper_limit']), unit)}",
            "signal": SIGNAL_WORDS.get(sig, "no value this period"), "reading": reading(status, sig),
            "rank": (0 if status == "red" else 1 if sig not in ("", "none") else 2),
        })
    rows.sort(key=lambda x: (x["rank"], x["kpi"]))
    greens = [r for r in rows if r["status"] == "green"]
    rows = [r for r in rows if r["status"] != "green"]  # the body grows with what needs attention
    real = sum(1 for r in greens if r["signal"] not in ("none", "no value this period"))
    green_words = (f"Of {len(greens)} green KPIs with limits, {real} {'is a' if real == 1 else 'are'} real "
                   f"improvement{'s' if real != 1 else ''} and {len(greens) - real} green by ordinary variation."
                   if greens else "")
    if reds_signal + reds_noise:
        lede = (f"Of the red KPIs with enough history, {reds_signal} {'shows' if reds_signal == 1 else 'show'} a real "
                f"change and {reds_noise} {'is' if reds_noise == 1 else 'are'} within the variation the KPI has always had: "
                "act on the first, do not react to one period of the second.")
    else:
        lede = "No red KPI has enough history to tell a signal from noise; the table reads the others."
    return section("signals", rows=rows, beyond=beyond_words(beyond), lede=f"{lede} {green_words}".strip(), method=METHOD)


def beyond_words(beyond: list[tuple[bool, str]]) -> str:
    """The KPIs whose target lies beyond their process limits, in one sentence: those that need
    attention first, at most :data:`NAMED` named and the rest counted (never a wall of items).

    >>> beyond_words([(True, "A"), (False, "B")])
    '2 KPI targets lie beyond what their process produces today: B and A.'
    >>> beyond_words([(False, x) for x in "ABCDE"])
    '5 KPI targets lie beyond what their process produces today: A, B, C and 2 more.'
    """
    if not beyond:
        return ""
    named = [label for _green, label in sorted(beyond, key=lambda b: b[0])]
    shown = named[:NAMED] + ([f"{len(named) - NAMED} more"] if len(named) > NAMED else [])
    n = len(named)
    return f"{n} KPI target{'s lie' if n != 1 else ' lies'} beyond what {'their' if n != 1 else 'its'} process produces today: {join_words(shown)}."


__all__ = ["signals"]
