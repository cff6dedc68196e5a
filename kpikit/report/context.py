"""The data every report section draws on: one engagement and review period, engine results computed once.

Sections share one :class:`ReportContext` so that a report of a large client computes
the scorecard and the findings once, not once per section. Every cache is a
:func:`functools.cached_property`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement
from kpikit.engine import all_findings, review
from kpikit.engine.findings import Finding, sort_findings
from kpikit.engine.frames import actuals_frame, selected_kpis
from kpikit.periods import Period
from kpikit.report.formatting import missing, text
from kpikit.text import natural_key

ATTENTION_ORDER = {"red": 0, "amber": 1, "no-data": 2, "baseline": 3, "green": 4}
"""Report status order, most urgent first (``baseline``: only the baseline is recorded)."""


class ReportContext:
    """One engagement and review period, with the engine's results computed once."""

    def __init__(self, eng: Engagement, period: str | None = None) -> None:
        self.eng = eng
        self.period_override = period or None

    @cached_property
    def period(self) -> Period | None:
        return self.eng.review_period(self.period_override)

    @property
    def period_text(self) -> str:
        return str(self.period) if self.period is not None else "no review period yet"

    @cached_property
    def findings(self) -> list[Finding]:
        items: list[Finding] = all_findings(self.eng, period=self.period_override)
        return sort_findings(items)

    @cached_property
    def objective_titles(self) -> dict[str, str]:
        o = self.eng.objectives
        return {str(i): str(t) for i, t in zip(o["id"], o["title"], strict=True)}

    @cached_property
    def metric_names(self) -> dict[str, str]:
        m = self.eng.metrics
        return {str(i): text(n, str(i)) for i, n in zip(m["id"], m["name"], strict=True)}

    @cached_property
    def unit_names(self) -> dict[str, str]:
        u = self.eng.org_units
        return {str(i): str(n) for i, n in zip(u["id"], u["name"], strict=True)}

    @cached_property
    def stakeholder_names(self) -> dict[str, str]:
        s = self.eng.stakeholders
        return {str(i): str(n) for i, n in zip(s["id"], s["name"], strict=True)}

    @cached_property
    def selected(self) -> pd.DataFrame:
        """kpis.csv joined with metrics (engine helper), one row per selected KPI."""
        return selected_kpis(self.eng)

    @cached_property
    def detail(self) -> pd.DataFrame:
        """review.scorecard_detail (the scorecard with trend and forecast); all no-data without a period."""
        if self.period is not None:
            return review.scorecard_detail(self.eng, self.period_override)
        return self._empty_detail()

    def _empty_detail(self) -> pd.DataFrame:
        """Without a review period (no actuals, no current_period) every KPI is no-data."""
        kt = self.selected
        out = pd.DataFrame({"objective_id": kt["objective_id"], "metric_id": kt["metric_id"]})
        for col in ("period", "previous_period", "previous_status", "status_change", "trend"):
            out[col] = ""
        for col in ("actual", "expected", "gap", "attainment", "tolerance", "trend_slope", "forecast"):
            out[col] = math.nan
        out["status"] = "no-data"
        out["will_meet_target"] = False
        for col in ("name", "unit", "direction", "frequency", "target", "target_period", "baseline",
                    "baseline_period", "stretch", "benchmark", "weight"):
            out[col] = kt[col].to_numpy()
        return out

    @cached_property
    def series_by_metric(self) -> dict[str, pd.Series]:
        """Each metric's actuals as a Series indexed by period ordinal."""
        acts = actuals_frame(self.eng)
        return {str(m): pd.Series(g["value"].to_numpy(), index=g["ord"].to_numpy())
                for m, g in acts.groupby("metric_id", sort=False)} if len(acts) else {}

    @cached_property
    def view_status(self) -> list[str]:
        """Each KPI's status as the report words it, in :attr:`detail` order.

        The engine's status, except that a KPI reviewed in or before its baseline period
        (its only figure is the baseline) is ``baseline``, "not yet measured against plan":
        the actual equals the expected value by construction, so "on track" would claim a
        success nobody has earned yet.
        """
        out = []
        for r in self.detail.to_dict("records"):
            status = str(r["status"])
            if status != "no-data" and not missing(r["baseline"]) and not missing(r["baseline_period"]) \
                    and not missing(r["period"]):
                try:
                    at_base = Period.parse(str(r["period"])).ordinal <= Period.parse(str(r["baseline_period"])).ordinal
                except ValueError:
                    at_base = False
                status = "baseline" if at_base else status
            out.append(status)
        return out

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """:attr:`detail` as records with ``view``, ``trend_word`` and ``note`` added (what every section shows)."""
        out = []
        for rec, view in zip(self.detail.to_dict("records"), self.view_status, strict=True):
            r: dict[str, Any] = {str(k): v for k, v in rec.items()}
            r.update(view=view, trend_word=self.trend_word(r), note=self.note(r["metric_id"], r["period"]))
            out.append(r)
        return out

    def attention_rows(self) -> list[dict[str, Any]]:
        """The KPIs a board must hear about (off track, at risk, no data, only a baseline), most urgent first."""
        rows = [r for r in self.rows if r["view"] != "green"]
        return sorted(rows, key=lambda r: (ATTENTION_ORDER[str(r["view"])], natural_key(r["objective_id"]),
                                           natural_key(r["metric_id"])))

    def trend_word(self, r: Mapping[str, Any]) -> str:
        """The engine's trend word, or ``mixed`` when the latest movement runs the other way
        (:func:`kpikit.engine.review.trend_word`, which the KPI charts use too)."""
        trend = str(r["trend"]) if not missing(r["trend"]) else ""
        if missing(r["period"]):
            return trend
        series = self.series_by_metric.get(str(r["metric_id"]))
        if series is None:
            return trend
        try:
            p = Period.parse(str(r["period"])).ordinal
        except ValueError:
            return trend
        return review.trend_word(trend, series[series.index <= p].tolist(), str(r["direction"]))

    @cached_property
    def notes(self) -> dict[tuple[str, str], str]:
        """actuals.csv ``note`` by (metric, period): the client's remark on a figure."""
        a = self.eng.actuals
        if a.empty or "note" not in a.columns:
            return {}
        return {(str(m), str(p)): str(n).strip() for m, p, n in zip(a["metric_id"], a["period"], a["note"], strict=True)
                if not missing(n) and str(n).strip()}

    def note(self, metric_id: object, period: object) -> str:
        """The note on a metric's actual in a period; empty when there is none."""
        return self.notes.get((str(metric_id), str(period)), "")

    def notes_of(self, metric_id: object) -> list[tuple[str, str]]:
        """Every (period, note) of a metric, oldest first."""
        mid = str(metric_id)
        found = [(p, n) for (m, p), n in self.notes.items() if m == mid]
        return sorted(found, key=lambda x: _ordinal(x[0]))

    @cached_property
    def expected_overall(self) -> float:
        """The overall score the plan expects by now: the engine's roll-up of its own expected values.

        Each KPI that has a figure in this review is given its expected value (the
        engine's trajectory, milestones included once the engine has them) as its actual,
        and the engagement is scored again by the same rule, so actual and expected
        headline scores are made the same way from the same KPIs. NaN without figures.
        """
        if self.period is None:
            return math.nan
        d = self.detail
        has = d["status"] != "no-data"
        if not has.any():
            return math.nan
        # one stand-in metric per KPI: two KPIs on one metric can expect different values
        ids = [f"{o}\u241f{m}" for o, m in zip(d["objective_id"], d["metric_id"], strict=True)]
        met = self.eng.metrics.set_index("id")
        metrics = met.loc[d["metric_id"].astype("str").tolist()].reset_index(drop=True)
        metrics.insert(0, "id", ids)
        kpis = self.eng.kpis.copy()
        kpis["metric_id"] = ids  # kpis.csv order is the detail's order
        actuals = pd.DataFrame({"metric_id": [i for i, h in zip(ids, has, strict=True) if h],
                                "period": d.loc[has, "period"].astype("str").to_numpy(),
                                "value": d.loc[has, "expected"].astype("float64").to_numpy(),
                                "note": ""})
        tables = {**self.eng.tables, "metrics": metrics, "kpis": kpis, "actuals": actuals}
        plan = dataclasses.replace(self.eng, tables=tables, store=None)
        return review.overall_score(review.rollup(plan, "pillar", str(self.period)))

    def kpi_label(self, metric_id: object) -> str:
        """A KPI as the report names it: its metric's name."""
        return self.metric_names.get(str(metric_id), str(metric_id))

    def item_label(self, item_id: str) -> str:
        """An item ID as readers know it: the objective's title, the metric's or KPI's name."""
        if "/" in item_id:
            oid, mid = item_id.split("/", 1)
            return f"{self.metric_names.get(mid, mid)} ({oid})"
        if item_id in self.objective_titles:
            return f"{item_id}: {self.objective_titles[item_id]}"
        if item_id in self.metric_names:
            return f"{self.metric_names[item_id]} ({item_id})"
        if item_id in self.unit_names:
            return f"{self.unit_names[item_id]} ({item_id})"
        return item_id


def _ordinal(period: str) -> int:
    try:
        return Period.parse(period).ordinal
    except ValueError:
        return 0


def context(eng: Engagement | str | Path, period: str | None = None) -> ReportContext:
    """The shared context of one report; accepts an Engagement or its folder."""
    if not isinstance(eng, Engagement):
        eng = load_engagement(eng)
    return ReportContext(eng, period)
