"""The data every report section draws on: one engagement and review period, engine results computed once.

Sections share one :class:`ReportContext` so that a report of a large client computes
the scorecard and the findings once, not once per section. Every cache is a
:func:`functools.cached_property`.
"""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path

import pandas as pd

from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement
from kpikit.engine import all_findings, review
from kpikit.engine.findings import Finding, sort_findings
from kpikit.engine.frames import actuals_frame, selected_kpis
from kpikit.periods import Period
from kpikit.report.formatting import text


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


def context(eng: Engagement | str | Path, period: str | None = None) -> ReportContext:
    """The shared context of one report; accepts an Engagement or its folder."""
    if not isinstance(eng, Engagement):
        eng = load_engagement(eng)
    return ReportContext(eng, period)
