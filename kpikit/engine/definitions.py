"""Metric definitions over time: which fields changed, and where a KPI's comparable history starts.

A leaf of the engine (it reads only the data layer), because the review's trend and forecast,
the process limits, the findings, ``kpikit compare`` and the KPI chart all need the same
answer and the review cannot import the comparison that itself reads the review's scorecard.

When a metric's formula, unit, direction, source or query (:data:`BREAKING_FIELDS`) changed
since the last published report up to the review period, the numbers before and after the
change measure different things: only the periods after that report are comparable
(:func:`definition_breaks`; ``KPI_DEFINITION_CHANGED`` says so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kpikit.data.model import Engagement
from kpikit.data.published import load_published, published_up_to
from kpikit.periods import FREQUENCIES, Period

DEFINITION_FIELDS = ("formula", "unit", "direction", "frequency", "data_source", "source", "query")
"""Metric fields whose change ``kpikit compare`` reports."""
BREAKING_FIELDS = ("formula", "unit", "direction", "source", "query")
"""Fields after whose change a KPI's earlier history is not comparable (``KPI_DEFINITION_CHANGED``)."""


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return " ".join(str(v).split())


def _metric_fields(eng: Engagement) -> dict[str, dict[str, str]]:
    m = eng.metrics
    cols = [c for c in DEFINITION_FIELDS if c in m.columns]
    texts = {c: [_text(v) for v in m[c].tolist()] for c in cols}  # by column: 1,500 metrics in milliseconds
    return {str(i): {c: texts[c][k] for c in cols} for k, i in enumerate(m["id"].tolist())}


def definition_changes(old: Engagement, new: Engagement, fields: Sequence[str] = DEFINITION_FIELDS) -> list[tuple[str, str, str, str]]:
    """``(metric_id, field, old, new)`` for every metric of both sides whose ``fields`` differ."""
    a, b = _metric_fields(old), _metric_fields(new)
    out = []
    for mid in sorted(set(a) & set(b)):
        for f in fields:
            if f in a[mid] or f in b[mid]:
                x, y = a[mid].get(f, ""), b[mid].get(f, "")
                if x != y:
                    out.append((mid, f, x, y))
    return out


@dataclass(frozen=True)
class DefinitionBreak:
    """Where a metric's comparable history starts after its definition changed."""

    publication: str
    """The published report since which the definition changed (its period)."""
    fields: tuple[str, ...]
    start: str = ""
    """The first period, in the metric's frequency, after the report: comparable from here on ("" if unknown)."""
    after: int | None = None
    """The ordinal (metric's frequency) of the report's last period: actuals at or before it are not comparable."""

    @property
    def label(self) -> str:
        """``formula, unit changed after the 2026-Q2 report``."""
        return f"{', '.join(f.replace('_', ' ') for f in self.fields)} changed after the {self.publication} report"


def definition_breaks(eng: Engagement, period: str | Period | None = None) -> dict[str, DefinitionBreak]:
    """Metric ID -> its :class:`DefinitionBreak`, for metrics whose :data:`BREAKING_FIELDS` changed since the
    last published report up to the review period (empty without one)."""
    fys = eng.config.fiscal_year_start
    review = period if isinstance(period, Period) else eng.review_period(period)
    pub = published_up_to(eng.path, review, fys)
    old = load_published(pub) if pub is not None else None
    if pub is None or old is None:
        return {}
    fields: dict[str, list[str]] = {}
    for mid, field, _was, _now in definition_changes(old, eng, BREAKING_FIELDS):
        fields.setdefault(mid, []).append(field)
    freqs = {str(m): f for m, f in zip(eng.metrics["id"], eng.metrics["frequency"], strict=True)}
    out = {}
    for mid, changed in fields.items():
        freq = freqs.get(mid)
        start, after = "", None
        if freq in FREQUENCIES:
            try:
                last = Period.parse(pub.period).in_frequency(freq, fys)
                start, after = str(Period(freq, last.ordinal + 1)), last.ordinal
            except ValueError:
                pass
        out[mid] = DefinitionBreak(pub.period, tuple(changed), start, after)
    return out


__all__ = ["BREAKING_FIELDS", "DEFINITION_FIELDS", "DefinitionBreak", "definition_breaks", "definition_changes"]
