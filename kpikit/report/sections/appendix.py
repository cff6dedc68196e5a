"""Appendix A: the reference a board does not read but may look up: every KPI's scorecard row, every
objective, the RACI matrix and the people, and one definition sheet per selected KPI."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from typing import Any

from kpikit.engine import stakeholders as st
from kpikit.periods import FREQUENCIES, Period
from kpikit.report.context import ReportContext
from kpikit.report.formatting import missing, num, text
from kpikit.report.html import Fragment
from kpikit.report.sections.cascade import cascade_rows
from kpikit.report.sections.contents import section
from kpikit.report.sections.scorecard import full_scorecard
from kpikit.report.sections.selection import candidate_rows, selection_rows
from kpikit.report.sections.stakeholders import stakeholder_reference
from kpikit.report.sections.targets import realism_rows
from kpikit.text import fmt, natural_key


def appendix_definitions(ctx: ReportContext) -> Fragment:
    """Appendix A: the full scorecard, the objectives in cascade order, RACI and people, one definition sheet per KPI.

    The main body shows what needs attention; this is where every row of the client's
    tables can be found, in natural ID order.
    """
    detail = ctx.detail
    why = {(r["objective_id"], r["metric_id"]): r for r in selection_rows(ctx)}
    realism = {(k["objective_id"], k["metric_id"]): k for k in realism_rows(ctx)}
    m = ctx.eng.metrics.set_index("id")
    acc = st.accountability(ctx.eng)
    accountable = {str(i): text(n, "") for i, n in zip(acc["item_id"], acc["accountable_names"], strict=True)}
    tol = ctx.eng.config.status.amber_tolerance
    plans = {(str(o), str(mi)): (f, every, ms) for o, mi, f, every, ms in zip(
        ctx.selected["objective_id"], ctx.selected["metric_id"], ctx.selected["frequency"],
        ctx.selected["measured_every"], ctx.selected["milestones"], strict=True)}
    fiscal = ctx.eng.config.fiscal_year_start
    sheets = []
    for r in detail.to_dict("records"):
        oid, mid = str(r["objective_id"]), str(r["metric_id"])
        met = m.loc[mid] if mid in m.index else None

        def field(col: str, met: Any = met) -> str:
            return text(met[col]) if met is not None else "—"

        unit = r["unit"]
        baseline = (f"{num(r['baseline'], unit)} ({text(r['baseline_period'])})" if not missing(r["baseline"])
                    else "none (a threshold KPI: the target applies in every period)")
        target = f"{num(r['target'], unit)} by {text(r['target_period'])}"
        if not missing(r["stretch"]):
            target += f"; stretch {num(r['stretch'], unit)}"
        sel = ctx.selected[(ctx.selected["objective_id"] == oid) & (ctx.selected["metric_id"] == mid)]
        bench = "—"
        if not missing(r["benchmark"]):
            src = text(sel["benchmark_source"].iloc[0], "") if len(sel) else ""
            bench = num(r["benchmark"], unit) + (f" ({src})" if src else "")
        direction = "Higher is better" if str(r["direction"]) != "down" else "Lower is better"
        w, k = why.get((oid, mid), {}), realism.get((oid, mid), {})
        chosen = str(w.get("why", "—")) + (f" Decision log {w['decision']}" if w.get("decision") else "")
        verdict = {True: "Realistic", False: "Unrealistic", None: "Not judged"}[k.get("realistic")]
        if k.get("reason"):
            verdict += f": {k['reason']}"
        data = f"{k.get('data_source', '—')}; {k.get('n_actuals', 0)} actual{'' if k.get('n_actuals') == 1 else 's'}"
        notes = "; ".join(f"{p}: {n}" for p, n in ctx.notes_of(mid)) or "—"
        owner = field("owner")
        acc_name = accountable.get(mid, "")
        freq, every, ms = plans.get((oid, mid), ("", 1.0, ()))
        frequency = frequency_words(field("frequency"), float(every), fiscal)
        milestones = ([("Milestones", "; ".join(f"{num(v, unit)} ({Period(freq, int(at))})" for at, v in ms))]
                      if ms and freq in FREQUENCIES else [])
        sheets.append({
            "id": f"{oid}/{mid}", "name": ctx.kpi_label(mid),
            "objective": f"{oid}: {ctx.objective_titles.get(oid, oid)}",
            "fields": [
                ("Definition", field("definition")), ("Formula", field("formula")), ("Unit", field("unit")),
                ("Direction", direction), ("Frequency", frequency),
                ("Type", field("type").capitalize()), ("Data", data),
                ("Owner", owner + (f" (accountable: {acc_name})" if acc_name and acc_name != owner else "")),
                ("Baseline", baseline), *milestones, ("Target", target), ("Benchmark", bench),
                ("Weight", f"{float(r['weight']):g}" if not missing(r["weight"]) else "1"),
                ("Thresholds", _thresholds(r, tol)), ("Realism", verdict), ("Why chosen", chosen),
                ("Notes on actuals", notes),
            ],
        })
    sheets.sort(key=lambda x: (natural_key(str(x["id"]).split("/")[0]), natural_key(str(x["id"]).split("/", 1)[1])))
    return section("appendix", sheets=sheets, scorecard=full_scorecard(ctx), objectives=cascade_rows(ctx),
                   people=stakeholder_reference(ctx), candidates=candidate_rows(ctx),
                   threshold=f"{ctx.eng.config.scoring.select_threshold:g}")


def frequency_words(frequency: str, every: float, fiscal_year_start: int) -> str:
    """A KPI's frequency as its definition sheet says it: with its cadence and, for fiscal years, their start.

    >>> frequency_words("annual", 2, 7)
    'Annual, measured every 2 years (fiscal years from July to June)'
    >>> frequency_words("monthly", 1, 7), frequency_words("quarterly", 1, 1)
    ('Monthly', 'Quarterly')
    """
    words = frequency.capitalize()
    unit = {"annual": "years", "quarterly": "quarters", "monthly": "months"}.get(frequency, "periods")
    if every > 1:
        words += f", measured every {every:g} {unit}"
    if fiscal_year_start != 1 and frequency in ("annual", "quarterly"):
        words += (f" (fiscal years from {calendar.month_name[fiscal_year_start]} to "
                  f"{calendar.month_name[(fiscal_year_start - 2) % 12 + 1]})")
    return words


def _thresholds(r: Mapping[Any, Any], amber_tolerance: float) -> str:
    """The green/amber/red boundaries of a KPI in its review period, from the engine's expected and tolerance."""
    unit = r["unit"]
    if missing(r["expected"]) or missing(r["tolerance"]):
        of = "the distance from baseline to target" if not missing(r["baseline"]) else "the target (|target|)"
        return (f"Green at or better than the expected value; amber when short by at most "
                f"{amber_tolerance:.0%} of {of}; red beyond.")
    up = str(r["direction"]) != "down"
    exp, tol = float(r["expected"]), float(r["tolerance"])
    edge = exp - tol if up else exp + tol
    better, worse = ("at or above", "below") if up else ("at or below", "above")
    of = "|target − baseline|" if not missing(r["baseline"]) else "|target|"
    if tol == 0:  # target = baseline, a zero target or amber_tolerance 0: nothing lies between green and red
        return (f"In {r['period']}: green {better} {num(exp, unit)}; red {worse} it (no amber band: the "
                f"tolerance, {amber_tolerance:.0%} of {of}, is 0).")
    low, high = sorted((edge, exp))
    # the tolerance is a distance: for a % unit that is percentage points, not a percentage
    gap = fmt(tol, None if missing(unit) else str(unit), change=True)
    return (f"In {r['period']}: green {better} {num(exp, unit)}; amber between {num(low, unit)} and "
            f"{num(high, unit)}; red {worse} {num(edge, unit)} (tolerance {gap}, {amber_tolerance:.0%} of {of}).")
