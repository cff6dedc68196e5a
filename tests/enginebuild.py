"""Build small engagements in memory for the alignment-engine tests.

The engine's rules are easiest to check on engagements of a handful of rows whose
numbers can be worked out by hand. :func:`build` goes through the real validator
(:func:`kpikit.validation.build_engagement`), so every fixture is a valid engagement
exactly as ``load_engagement`` would produce it, without touching the disk.

>>> eng = build(objectives=[obj("O1", "Reduce ED waits to 4 hours by 2027", pillar="P1")])
>>> list(eng.objectives["id"])
['O1']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from kpikit.config import DEFAULT_CRITERIA
from kpikit.csvio import RawTable
from kpikit.engagement import Engagement
from kpikit.schema import SPECS
from kpikit.validation import RawEngagement, build_engagement

Row = Mapping[str, Any]

DEFAULT_UNITS: list[Row] = [
    {"id": "U-ROOT", "name": "Head office", "parent_id": ""},
    {"id": "U-A", "name": "Division A", "parent_id": "U-ROOT"},
    {"id": "U-A1", "name": "Team A1", "parent_id": "U-A"},
    {"id": "U-B", "name": "Division B", "parent_id": "U-ROOT"},
]
DEFAULT_PILLARS: list[dict[str, str]] = [
    {"id": "P1", "name": "Safe care"},
    {"id": "P2", "name": "Timely access"},
]


def obj(
    oid: str,
    title: str = "Reduce emergency wait times to under 4 hours for 95% of patients by June 2027",
    unit: str = "U-ROOT",
    parent: str = "",
    pillar: str = "",
    due: str = "2027-12-31",
    owner: str = "Ann Lee",
) -> dict[str, str]:
    """One objectives.csv row (a SMART-looking default title)."""
    return {"id": oid, "title": title, "org_unit_id": unit, "parent_id": parent,
            "pillar_id": pillar, "owner": owner, "due": due, "description": ""}


def metric(
    mid: str,
    name: str | None = None,
    unit: str = "%",
    source: str = "EHR",
    direction: str = "up",
    frequency: str = "quarterly",
) -> dict[str, str]:
    """One metrics.csv row."""
    return {"id": mid, "name": name or f"Metric {mid}", "unit": unit, "direction": direction,
            "frequency": frequency, "data_source": source}


def score(oid: str, mid: str, *values: float, criteria: Sequence[str] | None = None) -> dict[str, Any]:
    """One metric_scores.csv row; ``values`` in the order of ``criteria`` (default ones)."""
    names = list(criteria or DEFAULT_CRITERIA)
    if len(values) == 1:
        values = tuple(values) * len(names)
    assert len(values) == len(names), "one value per criterion (or one for all)"
    return {"objective_id": oid, "metric_id": mid, **dict(zip(names, values, strict=True))}


def kpi(oid: str, mid: str, target: float = 90, period: str = "2027-Q2", **extra: Any) -> dict[str, Any]:
    """One kpis.csv row."""
    return {"objective_id": oid, "metric_id": mid, "target": target, "target_period": period, **extra}


def person(pid: str, name: str, influence: float | str = "", support: float | str = "", unit: str = "") -> dict[str, Any]:
    """One stakeholders.csv row."""
    return {"id": pid, "name": name, "influence": influence, "support": support, "org_unit_id": unit}


def _table(name: str, rows: Sequence[Row]) -> RawTable:
    header: list[str] = list(SPECS[name].required_columns)
    for r in rows:
        for k in r:
            if k not in header:
                header.append(k)
    body = [["" if r.get(h) is None else _text(r.get(h, "")) for h in header] for r in rows]
    return RawTable(SPECS[name].file, header, body, list(range(2, len(body) + 2)), list(header))


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def build(
    *,
    objectives: Sequence[Row],
    metrics: Sequence[Row] = (),
    units: Sequence[Row] | None = None,
    pillars: Sequence[Mapping[str, str]] | None = None,
    scores: Sequence[Row] | None = None,
    kpis: Sequence[Row] | None = None,
    stakeholders: Sequence[Row] | None = None,
    raci: Sequence[Row] | None = None,
    actuals: Sequence[Row] | None = None,
    criteria: Mapping[str, float] | None = None,
    threshold: float = 3.5,
    max_kpis: int = 3,
    folder: str = "memory",
) -> Engagement:
    """A validated engagement from row dicts; ``None`` = that optional file is absent."""
    config: dict[str, Any] = {
        "client": "Test Client",
        "mission": "Test mission",
        "pillars": list(pillars if pillars is not None else DEFAULT_PILLARS),
        "current_period": "2026-Q2",
        "scoring": {
            "criteria": dict(criteria or DEFAULT_CRITERIA),
            "select_threshold": threshold,
            "max_kpis_per_objective": max_kpis,
        },
    }
    tables = {
        "org_units": _table("org_units", units if units is not None else DEFAULT_UNITS),
        "objectives": _table("objectives", objectives),
        "metrics": _table("metrics", metrics),
    }
    optional = {"metric_scores": scores, "kpis": kpis, "stakeholders": stakeholders,
                "raci": raci, "actuals": actuals}
    for name, rows in optional.items():
        if rows is not None:
            tables[name] = _table(name, rows)
    raw = RawEngagement(folder, yaml.safe_dump(config, sort_keys=False), tables)
    return build_engagement(raw)
