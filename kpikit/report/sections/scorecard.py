"""Section "KPI scorecard": status, figures and a trend sparkline per KPI, roll-ups and status changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpikit.charts import performance
from kpikit.engine import review
from kpikit.periods import Period
from kpikit.report.context import ReportContext
from kpikit.report.formatting import missing, pct, short_unit, text, tnum
from kpikit.report.html import Figure, Fragment, figure
from kpikit.report.sections.contents import section
from kpikit.report.wording import STATUS

SPARK_POINTS = 8
"""A sparkline shows the last this-many periods up to the KPI's review period."""


def kpi_scorecard(ctx: ReportContext) -> Fragment:
    """Status (colour, shape and word), actual, expected, target and a trend sparkline per KPI; roll-ups."""
    detail = ctx.detail
    groups = []
    for oid, g in detail.groupby("objective_id", sort=False):
        kpis = []
        for r in g.to_dict("records"):
            spark = _sparkline(ctx, r)
            kpis.append({
                "metric_id": r["metric_id"], "name": ctx.kpi_label(r["metric_id"]),
                "unit": "" if short_unit(r["unit"]) else text(r["unit"], ""),
                "period": text(r["period"]), "status": r["status"],
                "actual": tnum(r["actual"], r["unit"]), "expected": tnum(r["expected"], r["unit"]),
                "target": tnum(r["target"], r["unit"]), "target_period": text(r["target_period"]),
                "trend": _arrow(r["trend"]), "spark": spark.svg if spark else None,
                "change": text(r["status_change"], ""),
            })
        groups.append({"id": str(oid), "title": ctx.objective_titles.get(str(oid), str(oid)), "kpis": kpis})
    rollups = []
    if ctx.period is not None and len(detail):
        for by, label in (("pillar", "Pillar"), ("org_unit", "Org unit")):
            df = review.rollup(ctx.eng, by, ctx.period_override)  # type: ignore[arg-type]
            df = df[(df["n_objectives"] > 0) | (df["n_kpis"] > 0)]
            rollups.append({"label": label, "rows": [
                {"id": r["id"], "name": r["name"], "score": pct(r["score"]), "n_objectives": int(r["n_objectives"]),
                 "n_kpis": int(r["n_kpis"]), **{s.replace("-", "_"): int(r[s]) for s in STATUS}}
                for r in df.to_dict("records")]})
    changes = []
    if ctx.period is not None and len(detail):
        ch = review.changes_since_previous(ctx.eng, ctx.period_override)
        changes = [{"name": ctx.kpi_label(r["metric_id"]), "objective_id": r["objective_id"],
                    "before": r["previous_status"], "now": r["status"], "change": r["change"],
                    "previous_period": r["previous_period"], "period": r["period"]}
                   for r in ch.to_dict("records")]
    return section("scorecard", groups=groups, rollups=rollups, changes=changes,
                   has_kpis=len(detail) > 0, has_period=ctx.period is not None, period=ctx.period_text)


def _arrow(trend: object) -> str:
    return {"improving": "↗ improving", "worsening": "↘ worsening", "flat": "→ flat"}.get(str(trend), "—")


def _sparkline(ctx: ReportContext, r: Mapping[Any, Any]) -> Figure | None:
    """The KPI's last :data:`SPARK_POINTS` periods up to its review period, as a small inline SVG.

    The KPI's period comes from the engine's scorecard; gaps stay gaps (NaN). None
    when fewer than two actuals fall in the window.
    """
    if ctx.period is None or missing(r["period"]):
        return None
    series = ctx.series_by_metric.get(str(r["metric_id"]))
    if series is None:
        return None
    p = Period.parse(str(r["period"])).ordinal
    window = series.reindex([float(o) for o in range(p - SPARK_POINTS + 1, p + 1)])
    if window.notna().sum() < 2:
        return None
    return figure(performance.sparkline(window.to_numpy(), str(r["direction"])),
                  f"Last {SPARK_POINTS} periods of {r['name']}", "")
