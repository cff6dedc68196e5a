"""Section "Targets and benchmarks": one history chart per KPI that needs it, and the realism verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from kpikit.charts import performance
from kpikit.engine import targets
from kpikit.report.context import ReportContext
from kpikit.report.formatting import missing, num, short_unit, text, tnum
from kpikit.report.html import Fragment, chart
from kpikit.report.sections.contents import section

MAX_KPI_CHARTS = 40
"""At most this many KPI history charts in the report; beyond it, the KPIs that most need
attention get one (red, unrealistic target, amber, no data, then the rest, in kpis.csv
order) and the text says where the others are. A 1,000-KPI client's board pack stays a
pack, not a 700-page print job; every KPI still has its row and its definition sheet."""

CHART_PRIORITY = {"red": 0, "amber": 2, "no-data": 3, "green": 4}


def targets_benchmarks(ctx: ReportContext) -> Fragment:
    """One chart per KPI (history, trajectory, target, stretch, benchmark, forecast) and the realism verdicts."""
    detail = ctx.detail
    real = targets.realism(ctx.eng, ctx.period_override)
    meas = targets.measurability(ctx.eng)
    verdicts = {(str(r["objective_id"]), str(r["metric_id"])): r for r in real.to_dict("records")}
    sources = {(str(r["objective_id"]), str(r["metric_id"])): r for r in meas.to_dict("records")}
    bench_src = {(str(o), str(m)): b for o, m, b in zip(ctx.selected["objective_id"], ctx.selected["metric_id"],
                                                        ctx.selected["benchmark_source"], strict=True)}
    kpis: list[dict[str, Any]] = []
    for r in detail.to_dict("records"):
        oid, mid = str(r["objective_id"]), str(r["metric_id"])
        unit = r["unit"]
        v = verdicts.get((oid, mid), {})
        raw = v.get("realistic")
        realistic = None if raw is None or raw is pd.NA else bool(raw)
        src = sources.get((oid, mid), {})
        priority = 1 if realistic is False and r["status"] != "red" else CHART_PRIORITY.get(str(r["status"]), 4)
        kpis.append({"objective_id": oid, "metric_id": mid, "name": ctx.kpi_label(mid), "fig": None,
                     "row": r, "priority": priority,
                     "unit": "" if short_unit(unit) else text(unit, ""),
                     "realistic": realistic, "reason": text(v.get("reason"), ""),
                     "baseline": tnum(r["baseline"], unit), "baseline_period": text(r["baseline_period"], ""),
                     "target": tnum(r["target"], unit), "target_period": text(r["target_period"], ""),
                     "stretch": tnum(r["stretch"], unit), "benchmark": tnum(r["benchmark"], unit),
                     "benchmark_source": text(bench_src.get((oid, mid)), ""),
                     "data_source": text(src.get("data_source"), "none recorded"),
                     "n_actuals": int(src.get("n_actuals", 0))})
    charted: list[dict[str, Any]] = []
    if ctx.period is not None:
        chosen = sorted(range(len(kpis)), key=lambda i: (kpis[i]["priority"], i))[:MAX_KPI_CHARTS]
        for i in sorted(chosen):
            k = kpis[i]
            k["fig"] = chart(performance.kpi_history, f"{k['name']} ({k['objective_id']})",
                             _history_description(k["row"]), ctx.eng, k["objective_id"], k["metric_id"],
                             ctx.period_override)
            charted.append(k)
    n_unreal = sum(1 for k in kpis if k["realistic"] is False)
    return section("targets", kpis=kpis, charted=charted, n_unrealistic=n_unreal,
                   n_uncharted=len(kpis) - len(charted) if ctx.period is not None else 0,
                   max_charts=MAX_KPI_CHARTS, has_period=ctx.period is not None)


def _history_description(r: Mapping[Any, Any]) -> str:
    """The text twin of a KPI history chart: target, baseline, actual, stretch, benchmark, forecast."""
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
    return desc
