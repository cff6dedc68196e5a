"""Section "Executive summary": headline score, status counts, concerns and successes in plain words."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from kpikit.engine import review, targets
from kpikit.engine.findings import Finding
from kpikit.report.context import ReportContext
from kpikit.report.formatting import missing, num, pct
from kpikit.report.html import Fragment
from kpikit.report.sections.contents import section
from kpikit.report.wording import MAX_NAMED, VIEW_STATUS
from kpikit.text import join_words


def executive_summary(ctx: ReportContext) -> Fragment:
    """Headline score against the plan, KPI status counts, top concerns and successes in plain words, outstanding steps."""
    w = summary_words(ctx)
    return section("summary", headline=w["headline"], score_line=w["score_line"], tiles=w["tiles"],
                   concerns=w["concerns"], successes=w["successes"], has_figures=w["has_figures"],
                   outstanding=ctx.eng.outstanding_steps(), n_objectives=len(ctx.eng.objectives),
                   n_kpis=len(ctx.detail), errors=w["errors"], warnings=w["warnings"], period=ctx.period_text)


def summary_words(ctx: ReportContext) -> dict[str, Any]:
    """The summary's words and figures (headline, score line, tiles, concerns, successes): the report's and the deck's."""
    detail = ctx.detail
    counts = _status_counts(ctx)
    by_pillar = review.rollup(ctx.eng, "pillar", ctx.period_override) if ctx.period is not None else None
    overall = review.overall_score(by_pillar) if by_pillar is not None else math.nan
    expected = ctx.expected_overall
    concerns = _concerns(ctx)
    successes = _successes(ctx, by_pillar)
    n = len(detail)
    if n and ctx.period is not None:
        phrase = {"green": "on track", "amber": "at risk (behind, within tolerance)", "red": "off track",
                  "no-data": "without a figure", "baseline": "not yet measured against plan (only a baseline)"}
        parts = [f"{counts[s]} {phrase[s]}" for s in VIEW_STATUS if counts[s]]
        headline = f"{n} KPI{'s' if n != 1 else ''} reviewed for {ctx.period_text}: " + join_words(parts) + "."
    elif n:
        headline = f"{n} KPIs are selected, but no actuals have been recorded yet, so none can be reviewed."
    else:
        headline = "No KPIs have been selected yet, so there is no scorecard to review."
    score_line = ""
    if not math.isnan(overall) and not math.isnan(expected):
        ahead = "ahead of" if overall > expected + 0.005 else "behind" if overall < expected - 0.005 else "in line with"
        score_line = (f"The overall score is {pct(overall)} of the way from baseline to target; by now the plan expects "
                      f"{pct(expected)} (the same KPIs at their expected values, scored the same way), so the "
                      f"engagement is {ahead} plan.")
    tiles = [{"value": pct(overall) if not math.isnan(overall) else "—", "label": "Overall score", "cls": "",
              "sub": f"plan expects {pct(expected)} by now" if not math.isnan(expected) else ""}]
    tiles += [{"value": str(counts[s]), "label": VIEW_STATUS[s]["label"], "cls": f"status-{s}", "sub": ""}
              for s in VIEW_STATUS if s != "baseline" or counts[s]]
    errors = sum(1 for f in ctx.findings if f.severity == "error")
    warnings = sum(1 for f in ctx.findings if f.severity == "warning")
    return {"headline": headline, "score_line": score_line, "tiles": tiles, "concerns": concerns,
            "successes": successes, "has_figures": ctx.period is not None and counts["no-data"] < n,
            "errors": errors, "warnings": warnings}


def _status_counts(ctx: ReportContext) -> dict[str, int]:
    return {s: sum(1 for v in ctx.view_status if v == s) for s in VIEW_STATUS}


def _names(ctx: ReportContext, rows: list[dict[str, Any]]) -> str:
    """At most :data:`MAX_NAMED` KPIs by name, then how many more: ``A, B and C and 4 more``."""
    names = [ctx.kpi_label(r["metric_id"]) for r in rows]
    more = len(names) - MAX_NAMED
    return join_words(names[:MAX_NAMED]) + (f" and {more} more" if more > 0 else "")


def _concerns(ctx: ReportContext, limit: int = 6) -> list[str]:
    """The issues a board should hear first, most serious first, in plain sentences.

    KPIs without a figure and KPIs only at their baseline always have their line (they
    are counted, not cut by the limit); each KPI is named once.
    """
    rows = ctx.rows
    reds = [r for r in rows if r["view"] == "red"]
    out: list[str] = []
    named = {str(r["metric_id"]) for r in reds[:MAX_NAMED]}
    for r in reds[:MAX_NAMED]:
        note = f" Note on the figure: {str(r['note']).rstrip('.')}." if r["note"] else ""
        was = (f" It was {VIEW_STATUS[str(r['previous_status'])]['label'].lower()} at the last review "
               f"({r['previous_period']})." if r["status_change"] in ("worse", "new red")
               and str(r["previous_status"]) in ("green", "amber") else "")
        out.append(f"{ctx.kpi_label(r['metric_id'])} is off track: {num(r['actual'], r['unit'])} in {r['period']} "
                   f"against {num(r['expected'], r['unit'])} expected (objective {r['objective_id']}).{was}{note}")
    if len(reds) > MAX_NAMED:
        out.append(f"{len(reds) - MAX_NAMED} more KPI{'s are' if len(reds) - MAX_NAMED != 1 else ' is'} off track: "
                   f"{join_words([ctx.kpi_label(r['metric_id']) for r in reds[MAX_NAMED:]][:MAX_NAMED])}"
                   f"{' and others' if len(reds) > 2 * MAX_NAMED else ''} (the scorecard lists them).")
    n_red_lines = len(out)
    fixed: list[str] = []  # always shown, right after the KPIs off track
    stale = [r for r in rows if r["view"] == "no-data"]
    if ctx.period is not None and stale:
        fixed.append(f"{len(stale)} KPI{' has' if len(stale) == 1 else 's have'} no figure for this review, so "
                     f"{'its' if len(stale) == 1 else 'their'} progress is unknown: {_names(ctx, stale)}.")
    base = [r for r in rows if r["view"] == "baseline"]
    if base:
        fixed.append(f"{len(base)} KPI{' is' if len(base) == 1 else 's are'} not yet measured against plan (only "
                     f"the baseline is recorded): {_names(ctx, base)}.")
    by_code: dict[str, list[Finding]] = {}
    for f in ctx.findings:
        by_code.setdefault(f.code, []).append(f)
    unaligned = by_code.get("OBJECTIVE_UNALIGNED", [])
    if unaligned:
        titles = [f"“{ctx.objective_titles.get(f.item_id, f.item_id)}”" for f in unaligned]
        more = len(titles) - MAX_NAMED
        out.append(f"{len(titles)} objective{' serves' if len(titles) == 1 else 's serve'} no strategic pillar: "
                   f"{join_words(titles[:MAX_NAMED])}{f' and {more} more' if more > 0 else ''}.")
    unrealistic = by_code.get("KPI_TARGET_UNREALISTIC", [])
    if unrealistic:
        real = targets.realism(ctx.eng, ctx.period_override)
        left_of = {f"{o}/{m}": left for o, m, left in
                   zip(real["objective_id"], real["metric_id"], real["periods_left"], strict=True)}
        due = [f for f in unrealistic if not missing(left_of.get(f.item_id))
               and float(left_of[f.item_id]) <= 0]  # its period is gone
        # a KPI already named as off track is not named again for its pace (once per KPI)
        pace = [f for f in unrealistic if f not in due and f.item_id.split("/")[-1] not in named]
        label = [ctx.metric_names.get(f.item_id.split("/")[-1], f.item_id) for f in due]
        if due:
            out.append(f"The target{'s' if len(due) != 1 else ''} for {join_words(label[:MAX_NAMED])}"
                       f"{f' and {len(due) - MAX_NAMED} more' if len(due) > MAX_NAMED else ''} "
                       f"{'was' if len(due) == 1 else 'were'} due and {'has' if len(due) == 1 else 'have'} not been reached.")
        label = [ctx.metric_names.get(f.item_id.split("/")[-1], f.item_id) for f in pace]
        if pace:
            out.append(f"The target{'s' if len(pace) != 1 else ''} for {join_words(label[:MAX_NAMED])}"
                       f"{f' and {len(pace) - MAX_NAMED} more' if len(pace) > MAX_NAMED else ''} "
                       f"{'asks' if len(pace) == 1 else 'ask'} for faster progress than history or benchmark supports.")
    acc = by_code.get("KPI_NO_ACCOUNTABLE", [])
    if acc:
        out.append(f"{len(acc)} objective{'s' if len(acc) != 1 else ''} or KPI{'s' if len(acc) != 1 else ''} "
                   "lack exactly one accountable person.")
    # a KPI that had no figure at the last review has not worsened: if it is red now, it is named above
    worse = [r for r in rows if r["status_change"] in ("worse", "new red") and r["previous_status"] != "no-data"
             and r["view"] != "red"]
    if worse:
        out.append(f"Status worsened since the last review for {_names(ctx, worse)}.")
    kept = out[: max(n_red_lines, limit - len(fixed))]
    return kept[:n_red_lines] + fixed + kept[n_red_lines:]


def _successes(ctx: ReportContext, by_pillar: pd.DataFrame | None, limit: int = 5) -> list[str]:
    """What is going well: the best pillar, KPIs back on track, KPIs ahead of plan and improving.

    Each KPI appears at most once; a KPI with only its baseline is never a success, and
    "improving" is said only when the latest movement agrees (:meth:`ReportContext.trend_word`).
    """
    out: list[str] = []
    if by_pillar is not None:
        best = by_pillar.dropna(subset=["score"]).sort_values("score", ascending=False, kind="stable")
        pillar_of = review.group_of(ctx.eng, "pillar")
        on_track = pd.Series([str(pillar_of.get(r["objective_id"], "")) for r in ctx.rows if r["view"] == "green"],
                             dtype="str").value_counts().to_dict()
        top = best.iloc[0] if len(best) else None
        n_green = int(on_track.get(str(top["id"]), 0)) if top is not None else 0
        if top is not None and n_green > 0 and float(top["score"]) > 0:  # leading with nothing on track is no success
            out.append(f"Pillar “{top['name']}” leads with a score of {pct(top['score'])}; "
                       f"{n_green} of its {int(top['n_kpis'])} KPI{'s' if int(top['n_kpis']) != 1 else ''} "
                       f"{'is' if n_green == 1 else 'are'} on track.")
    seen: set[str] = set()
    green = [r for r in ctx.rows if r["view"] == "green"]
    for r in [r for r in green if r["status_change"] in ("better", "data arrived")][:2]:
        seen.add(str(r["metric_id"]))
        label, figure_now = ctx.kpi_label(r["metric_id"]), num(r["actual"], r["unit"])
        if r["status_change"] == "better":  # it was amber or red at the last review
            out.append(f"{label} is back on track ({figure_now} in {r['period']}).")
        else:  # it had no figure at the last review: "back" would claim it was off track
            out.append(f"{label} is on track ({figure_now} in {r['period']}); the last review "
                       f"({r['previous_period']}) had no figure for it.")
    good = sorted((r for r in green if r["trend_word"] == "improving"),
                  key=lambda r: -float(r["attainment"]) if not missing(r["attainment"]) else 0.0)
    for r in good:
        if len(out) >= limit:
            break
        if str(r["metric_id"]) in seen:
            continue
        seen.add(str(r["metric_id"]))
        out.append(f"{ctx.kpi_label(r['metric_id'])} is ahead of plan and improving: "
                   f"{num(r['actual'], r['unit'])} in {r['period']} against {num(r['expected'], r['unit'])} expected.")
    return out[:limit]
