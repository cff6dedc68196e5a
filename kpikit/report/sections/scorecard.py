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
from kpikit.report.wording import STATUS, TREND_WORDS
from kpikit.text import natural_key

SPARK_POINTS = 8
"""A sparkline shows the last this-many periods up to the KPI's review period."""


def kpi_scorecard(ctx: ReportContext) -> Fragment:
    """The KPIs that need attention (status, actual and its note, expected, target, trend, sparkline); roll-ups.

    The board reads the KPIs off track, at risk, without a figure or only at their
    baseline; the on-track ones are counted here and listed in Appendix A with every
    other KPI, so the section grows with the KPIs that need attention, not with the total.
    """
    detail = ctx.detail
    attention = [_kpi(ctx, r) for r in ctx.attention_rows()]
    n_green = sum(1 for v in ctx.view_status if v == "green")
    rollups = []
    if ctx.period is not None and len(detail):
        df = review.rollup(ctx.eng, "pillar", ctx.period_override)
        df = df[(df["n_objectives"] > 0) | (df["n_kpis"] > 0)]
        rollups.append({"label": "Pillar", "rows": _rollup_rows(df)})
    changes = []
    if ctx.period is not None and len(detail):
        ch = review.changes_since_previous(ctx.eng, ctx.period_override)
        ch = ch.iloc[sorted(range(len(ch)), key=lambda i: (natural_key(ch["objective_id"].iloc[i]),
                                                           natural_key(ch["metric_id"].iloc[i])))]
        changes = [{"name": ctx.kpi_label(r["metric_id"]), "objective_id": r["objective_id"],
                    "before": r["previous_status"], "now": r["status"], "change": r["change"],
                    "previous_period": r["previous_period"], "period": r["period"]}
                   for r in ch.to_dict("records")]
    return section("scorecard", attention=attention, n_green=n_green, n_kpis=len(detail), rollups=rollups,
                   changes=changes, has_kpis=len(detail) > 0, has_period=ctx.period is not None, period=ctx.period_text)


def full_scorecard(ctx: ReportContext) -> dict[str, Any]:
    """Every KPI grouped under its objective (natural ID order) and the org-unit roll-up: Appendix A's reference."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in ctx.rows:
        groups.setdefault(str(r["objective_id"]), []).append(_kpi(ctx, r))
    out: list[dict[str, Any]] = [{"id": oid, "title": ctx.objective_titles.get(oid, oid),
                                  "kpis": sorted(kpis, key=lambda k: natural_key(k["metric_id"]))}
           for oid, kpis in sorted(groups.items(), key=lambda x: natural_key(x[0]))]
    units: list[dict[str, Any]] = []
    if ctx.period is not None and len(ctx.detail):
        df = review.rollup(ctx.eng, "org_unit", ctx.period_override)
        units = _rollup_rows(df[(df["n_objectives"] > 0) | (df["n_kpis"] > 0)])
    return {"groups": out, "units": units, "has_period": ctx.period is not None}


def _kpi(ctx: ReportContext, r: Mapping[str, Any]) -> dict[str, Any]:
    spark = _sparkline(ctx, r)
    return {
        "metric_id": r["metric_id"], "objective_id": r["objective_id"], "name": ctx.kpi_label(r["metric_id"]),
        "unit": "" if short_unit(r["unit"]) else text(r["unit"], ""),
        "period": text(r["period"]), "status": r["view"],
        "actual": tnum(r["actual"], r["unit"]), "expected": tnum(r["expected"], r["unit"]),
        "target": tnum(r["target"], r["unit"]), "target_period": text(r["target_period"]),
        "trend": TREND_WORDS.get(str(r["trend_word"]), "—"), "spark": spark.svg if spark else None,
        "change": text(r["status_change"], ""), "note": r["note"],
    }


def _rollup_rows(df: Any) -> list[dict[str, Any]]:
    return [{"id": r["id"], "name": r["name"], "score": pct(r["score"]), "n_objectives": int(r["n_objectives"]),
             "n_kpis": int(r["n_kpis"]), **{s.replace("-", "_"): int(r[s]) for s in STATUS}}
            for r in df.to_dict("records")]


def _sparkline(ctx: ReportContext, r: Mapping[Any, Any]) -> Figure | None:
    """The KPI's last :data:`SPARK_POINTS` periods up to its review period, as a small inline SVG.

    The KPI's period comes from the engine's scorecard; gaps stay gaps (NaN). None
    when fewer than two actuals fall in the window. A context with ``shared_figures``
    (the packs of one run, :class:`kpikit.report.packs.PackContext`) draws each KPI's
    sparkline once for all the packs it appears in.
    """
    if ctx.period is None or missing(r["period"]):
        return None
    shared: dict[tuple[str, ...], Figure | None] | None = getattr(ctx, "shared_figures", None)
    if shared is None:
        return _draw_sparkline(ctx, r)
    key = ("spark", str(r["objective_id"]), str(r["metric_id"]), str(r["period"]), str(r["direction"]), str(r["name"]))
    if key not in shared:
        shared[key] = _draw_sparkline(ctx, r)
    return shared[key]


def _draw_sparkline(ctx: ReportContext, r: Mapping[Any, Any]) -> Figure | None:
    series = ctx.series_by_metric.get(str(r["metric_id"]))
    if series is None:
        return None
    p = Period.parse(str(r["period"])).ordinal
    window = series.reindex([float(o) for o in range(p - SPARK_POINTS + 1, p + 1)])
    if window.notna().sum() < 2:
        return None
    return figure(performance.sparkline(window.to_numpy(), str(r["direction"])),
                  f"Last {SPARK_POINTS} periods of {r['name']}", "")
