"""Section "Targets and benchmarks": where each KPI's numbers come from, one history chart per KPI that needs it,
and the realism verdicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from kpikit.charts import performance
from kpikit.engine import measured, targets
from kpikit.report.context import ReportContext
from kpikit.report.formatting import missing, num, short_unit, text, tnum
from kpikit.report.html import Fragment, chart
from kpikit.report.sections.contents import section
from kpikit.text import natural_key

MAX_KPI_CHARTS = 40
"""At most this many KPI history charts in the report: those of the KPIs that need attention
(off track, unrealistic target, at risk, no data, only a baseline), most urgent first. The
section grows with the KPIs that need attention; an on-track KPI keeps its scorecard row and
definition sheet (Appendix A) and is charted in notebook 04_targets."""

CHART_PRIORITY = {"red": 0, "amber": 2, "no-data": 3, "baseline": 4}


def targets_benchmarks(ctx: ReportContext) -> Fragment:
    """The targets that need another look and one chart per KPI that needs attention, with the notes on its figures."""
    kpis = realism_rows(ctx)
    charted: list[dict[str, Any]] = []
    if ctx.period is not None:
        urgent = [i for i, k in enumerate(kpis) if k["priority"] is not None]
        chosen = sorted(urgent, key=lambda i: (kpis[i]["priority"], natural_key(kpis[i]["objective_id"]),
                                               natural_key(kpis[i]["metric_id"])))[:MAX_KPI_CHARTS]
        for i in chosen:
            k = kpis[i]
            k["fig"] = chart(performance.kpi_history, f"{k['name']} ({k['objective_id']})",
                             _history_description(k["row"], ctx.notes_of(k["metric_id"])), ctx.eng,
                             k["objective_id"], k["metric_id"], ctx.period_override)
            charted.append(k)
    n_unreal = sum(1 for k in kpis if k["realistic"] is False)
    n_attention = sum(1 for k in kpis if k["priority"] is not None)
    return section("targets", kpis=kpis, charted=charted, n_unrealistic=n_unreal, sources=sources_facts(ctx),
                   unrealistic=[k for k in kpis if k["realistic"] is False],
                   n_uncharted=n_attention - len(charted), n_on_track=len(kpis) - n_attention,
                   max_charts=MAX_KPI_CHARTS, has_period=ctx.period is not None)


def sources_facts(ctx: ReportContext) -> dict[str, Any]:
    """Where the numbers come from (engine/measured.py): the counts, each measured KPI's source, query and last
    refresh, and the KPIs with no source by name. Shown once the client declares a data source; before that the
    definition sheets and ``KPI_NOT_MEASURED`` say it (and the body keeps its pages)."""
    table = measured.measurability_table(ctx.eng)
    rows = [{"name": ctx.kpi_label(r["metric_id"]), "objective_id": r["objective_id"], "source": r["source"],
             "query": r["query"], "refreshed": measured.refresh_words(r), "rows": r["rows"],
             "latest": r["latest_period"], "outcome": r["outcome"], "failed": r["outcome"] == "failed",
             "message": r["message"] if r["outcome"] not in ("", "ok") else ""}
            for r in table.to_dict("records") if r["status"] == "measured"]
    unsourced = [f"{ctx.kpi_label(m)} ({o})" for o, m, st in
                 zip(table["objective_id"], table["metric_id"], table["status"], strict=True) if st == "none"]
    return {"counts": measured.counts(table), "total": len(table), "measured": rows, "unsourced": unsourced,
            "any_source": bool(ctx.eng.config.sources)}


def realism_rows(ctx: ReportContext) -> list[dict[str, Any]]:
    """Per KPI (detail order): baseline, target, stretch, benchmark, the realism verdict and why, and its chart priority.

    ``priority`` is None for a KPI that is on track with a realistic (or unjudged) target.
    """
    real = targets.realism(ctx.eng, ctx.period_override)
    meas = targets.measurability(ctx.eng)
    verdicts = {(str(r["objective_id"]), str(r["metric_id"])): r for r in real.to_dict("records")}
    sources = {(str(r["objective_id"]), str(r["metric_id"])): r for r in meas.to_dict("records")}
    table = measured.measurability_table(ctx.eng).to_dict("records")
    measured_rows = {(str(r["objective_id"]), str(r["metric_id"])): r for r in table if r["status"] == "measured"}
    declared_rows = {(str(r["objective_id"]), str(r["metric_id"])): r for r in table if r["status"] == "declared"}
    bench_src = {(str(o), str(m)): b for o, m, b in zip(ctx.selected["objective_id"], ctx.selected["metric_id"],
                                                        ctx.selected["benchmark_source"], strict=True)}
    kpis: list[dict[str, Any]] = []
    for r in ctx.rows:
        oid, mid = str(r["objective_id"]), str(r["metric_id"])
        unit = r["unit"]
        v = verdicts.get((oid, mid), {})
        raw = v.get("realistic")
        realistic = None if raw is None or raw is pd.NA else bool(raw)
        src = sources.get((oid, mid), {})
        view = str(r["view"])
        priority = (CHART_PRIORITY[view] if view in CHART_PRIORITY and not (view != "red" and realistic is False)
                    else 1 if realistic is False else None)
        kpis.append({"objective_id": oid, "metric_id": mid, "name": ctx.kpi_label(mid), "fig": None,
                     "row": r, "priority": priority,
                     "unit": "" if short_unit(unit) else text(unit, ""),
                     "realistic": realistic, "reason": text(v.get("reason"), ""),
                     "baseline": tnum(r["baseline"], unit), "baseline_period": text(r["baseline_period"], ""),
                     "target": tnum(r["target"], unit), "target_period": text(r["target_period"], ""),
                     "stretch": tnum(r["stretch"], unit), "benchmark": tnum(r["benchmark"], unit),
                     "benchmark_source": text(bench_src.get((oid, mid)), ""),
                     "data_source": measured.describe(measured_rows[(oid, mid)]) if (oid, mid) in measured_rows
                     else measured.describe(declared_rows[(oid, mid)]) if (oid, mid) in declared_rows
                     else "no source recorded",
                     "n_actuals": int(src.get("n_actuals", 0))})
    return kpis


def _history_description(r: Mapping[Any, Any], notes: Sequence[tuple[str, str]] = ()) -> str:
    """The text twin of a KPI history chart: target, baseline, actual, stretch, benchmark, forecast, the notes."""
    unit = r["unit"]
    parts = [f"Target {num(r['target'], unit)} by {text(r['target_period'])}"]
    if not missing(r["baseline"]):
        parts.append(f"from a baseline of {num(r['baseline'], unit)} in {text(r['baseline_period'])}")
    desc = " ".join(parts) + "."
    if not missing(r["actual"]):
        desc += f" Actual {num(r['actual'], unit)} in {r['period']} against {num(r['expected'], unit)} expected."
    if not missing(r["stretch"]):
        desc += f" Stretch {num(r['stretch'], unit)}."
    if not missing(r["benchmark"]):
        desc += f" Benchmark {num(r['benchmark'], unit)}."
    if not missing(r["forecast"]):
        desc += (f" On the current trend it reaches {num(r['forecast'], unit)} by {text(r['target_period'])}"
                 f" and {'meets' if r['will_meet_target'] else 'misses'} the target.")
    if notes:
        desc += " Notes on the figures: " + "; ".join(f"{p}: {n}" for p, n in notes) + "."
    return desc
