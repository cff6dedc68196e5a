"""Section "Executive summary": headline score, status counts, concerns and successes in plain words."""

from __future__ import annotations

import math

import pandas as pd

from kpikit.engine import review, targets
from kpikit.engine.findings import Finding
from kpikit.report.context import ReportContext
from kpikit.report.formatting import missing, num, pct
from kpikit.report.html import Fragment
from kpikit.report.sections.contents import section
from kpikit.report.wording import STATUS
from kpikit.text import join_words


def executive_summary(ctx: ReportContext) -> Fragment:
    """Headline score, KPI status counts, top concerns and successes in plain words, outstanding steps."""
    detail = ctx.detail
    counts = _status_counts(detail)
    by_pillar = review.rollup(ctx.eng, "pillar", ctx.period_override) if ctx.period is not None else None
    overall = review.overall_score(by_pillar) if by_pillar is not None else math.nan
    concerns = _concerns(ctx, detail)
    successes = _successes(ctx, detail, by_pillar)
    n = len(detail)
    if n and ctx.period is not None:
        phrase = {"green": "on track", "amber": "at risk (behind, within tolerance)",
                  "red": "off track", "no-data": "without a figure"}
        parts = [f"{counts[s]} {phrase[s]}" for s in STATUS if counts[s]]
        headline = f"{n} KPI{'s' if n != 1 else ''} reviewed for {ctx.period_text}: " + join_words(parts) + "."
    elif n:
        headline = f"{n} KPIs are selected, but no actuals have been recorded yet, so none can be reviewed."
    else:
        headline = "No KPIs have been selected yet, so there is no scorecard to review."
    tiles = [{"value": pct(overall) if not math.isnan(overall) else "—", "label": "Overall score", "cls": ""}]
    tiles += [{"value": str(counts[s]), "label": STATUS[s]["label"], "cls": f"status-{s}"} for s in STATUS]
    errors = sum(1 for f in ctx.findings if f.severity == "error")
    warnings = sum(1 for f in ctx.findings if f.severity == "warning")
    return section("summary", headline=headline, tiles=tiles, concerns=concerns, successes=successes,
                   has_figures=ctx.period is not None and counts["no-data"] < n,
                   outstanding=ctx.eng.outstanding_steps(), n_objectives=len(ctx.eng.objectives),
                   n_kpis=n, errors=errors, warnings=warnings, period=ctx.period_text)


def _status_counts(detail: pd.DataFrame) -> dict[str, int]:
    counts = detail["status"].value_counts().to_dict() if len(detail) else {}
    return {s: int(counts.get(s, 0)) for s in STATUS}


def _concerns(ctx: ReportContext, detail: pd.DataFrame, limit: int = 6) -> list[str]:
    """The issues a board should hear first, most serious first, in plain sentences."""
    out: list[str] = []
    for r in detail[detail["status"] == "red"].to_dict("records"):
        out.append(f"{ctx.kpi_label(r['metric_id'])} is off track: "
                   f"{num(r['actual'], r['unit'])} in {r['period']} against {num(r['expected'], r['unit'])} expected "
                   f"(objective {r['objective_id']}).")
    by_code: dict[str, list[Finding]] = {}
    for f in ctx.findings:
        by_code.setdefault(f.code, []).append(f)
    for f in by_code.get("OBJECTIVE_UNALIGNED", []):
        out.append(f"Objective “{ctx.objective_titles.get(f.item_id, f.item_id)}” serves no strategic pillar.")
    unrealistic = by_code.get("KPI_TARGET_UNREALISTIC", [])
    if unrealistic:
        real = targets.realism(ctx.eng, ctx.period_override)
        left_of = {f"{o}/{m}": left for o, m, left in
                   zip(real["objective_id"], real["metric_id"], real["periods_left"], strict=True)}
    for f in unrealistic:
        mid = f.item_id.split("/")[-1]
        name = ctx.metric_names.get(mid, mid)
        left = left_of.get(f.item_id)
        if not missing(left) and float(left) <= 0:  # type: ignore[arg-type]  # its period is gone: not a matter of pace
            out.append(f"The target for {name} was due and has not been reached.")
        else:
            out.append(f"The target for {name} asks for faster progress than its history "
                       "or its benchmark supports.")
    stale = detail[detail["status"] == "no-data"]
    if ctx.period is not None and len(stale):
        names = [ctx.kpi_label(m) for m in stale["metric_id"]]
        out.append(f"{len(names)} KPI{' has' if len(names) == 1 else 's have'} no figure for this review: "
                   f"{join_words(names[:4])}{' and others' if len(names) > 4 else ''}.")
    acc = by_code.get("KPI_NO_ACCOUNTABLE", [])
    if acc:
        out.append(f"{len(acc)} objective{'s' if len(acc) != 1 else ''} or KPI{'s' if len(acc) != 1 else ''} "
                   "lack exactly one accountable person.")
    # a KPI that had no figure at the last review has not worsened: if it is red now, it is named above
    worse = detail[detail["status_change"].isin(["worse", "new red"]) & (detail["previous_status"] != "no-data")]
    if len(worse):
        names = [ctx.kpi_label(m) for m in worse["metric_id"]]
        out.append(f"Status worsened since the last review for {join_words(names[:4])}"
                   f"{' and others' if len(names) > 4 else ''}.")
    return out[:limit]


def _successes(ctx: ReportContext, detail: pd.DataFrame, by_pillar: pd.DataFrame | None, limit: int = 5) -> list[str]:
    """What is going well: pillars scoring best, KPIs ahead of plan and improving, recoveries."""
    out: list[str] = []
    if by_pillar is not None:
        best = by_pillar.dropna(subset=["score"]).sort_values("score", ascending=False, kind="stable")
        if len(best) and best.iloc[0]["green"] > 0:  # leading with nothing on track is not a success
            top = best.iloc[0]
            out.append(f"Pillar “{top['name']}” leads with a score of {pct(top['score'])}; "
                       f"{int(top['green'])} of its {int(top['n_kpis'])} KPI{'s' if int(top['n_kpis']) != 1 else ''} "
                       f"{'is' if int(top['green']) == 1 else 'are'} on track.")
    better = detail[detail["status_change"].isin(["better", "data arrived"]) & (detail["status"] == "green")]
    for r in better.to_dict("records")[:2]:
        label, figure_now = ctx.kpi_label(r["metric_id"]), num(r["actual"], r["unit"])
        if r["status_change"] == "better":  # it was amber or red at the last review
            out.append(f"{label} is back on track ({figure_now} in {r['period']}).")
        else:  # it had no figure at the last review: "back" would claim it was off track
            out.append(f"{label} is on track ({figure_now} in {r['period']}); the last review "
                       f"({r['previous_period']}) had no figure for it.")
    good = detail[(detail["status"] == "green") & (detail["trend"] == "improving")].copy()
    good = good.sort_values("attainment", ascending=False, kind="stable")
    for r in good.to_dict("records"):
        if len(out) >= limit:
            break
        line = (f"{ctx.kpi_label(r['metric_id'])} is ahead of plan and improving: "
                f"{num(r['actual'], r['unit'])} in {r['period']} against {num(r['expected'], r['unit'])} expected.")
        if line not in out:
            out.append(line)
    return out[:limit]
