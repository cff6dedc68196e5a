"""Build small engagements in memory for the alignment-engine tests.

The engine's rules are easiest to check on engagements of a handful of rows whose
numbers can be worked out by hand. :func:`build` goes through the real validator
(:func:`kpikit.data.store.build_engagement`), so every fixture is a valid engagement
exactly as ``load_engagement`` would produce it, without touching the disk.

>>> eng = build(objectives=[obj("O1", "Reduce ED waits to 4 hours by 2027", pillar="P1")])
>>> list(eng.objectives["id"])
['O1']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from kpikit.data.config import DEFAULT_CRITERIA
from kpikit.data.csvio import RawTable
from kpikit.data.model import Engagement
from kpikit.data.schema import SPECS
from kpikit.data.store import build_engagement
from kpikit.data.validation import RawEngagement

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
    every: int | str | None = None,
) -> dict[str, str]:
    """One metrics.csv row (``every``: its ``measured_every``; None leaves the column out)."""
    row = {"id": mid, "name": name or f"Metric {mid}", "unit": unit, "direction": direction,
           "frequency": frequency, "data_source": source}
    if every is not None:
        row["measured_every"] = str(every)
    return row


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
    milestones: Sequence[Row] | None = None,
    settings: Mapping[str, Any] | None = None,
    criteria: Mapping[str, float] | None = None,
    threshold: float = 3.5,
    max_kpis: int = 3,
    folder: str = "memory",
) -> Engagement:
    """A validated engagement from row dicts; ``None`` = that optional file is absent.

    ``settings`` are extra (or replaced) engagement.yaml settings, e.g. ``{"fiscal_year_start": 7}``.
    """
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
        **(settings or {}),
    }
    tables = {
        "org_units": _table("org_units", units if units is not None else DEFAULT_UNITS),
        "objectives": _table("objectives", objectives),
        "metrics": _table("metrics", metrics),
    }
    optional = {"metric_scores": scores, "kpis": kpis, "stakeholders": stakeholders,
                "raci": raci, "actuals": actuals, "milestones": milestones}
    for name, rows in optional.items():
        if rows is not None:
            tables[name] = _table(name, rows)
    raw = RawEngagement(folder, yaml.safe_dump(config, sort_keys=False), tables)
    return build_engagement(raw)


def big(n_objectives: int = 120, n_metrics: int = 200, n_people: int = 40, title_prefix: str = "") -> Engagement:
    """A generated engagement of consultancy scale (deterministic): 3 cascade levels, 200 KPIs.

    Units: a root, 6 divisions, 3 teams each. Objectives: 8 top-level ones (one per
    pillar, two pillars), then children under them in divisions, grandchildren in teams.
    Every metric is scored for two objectives and selected for one, so there are
    ``n_metrics`` KPIs.
    """
    units: list[Row] = [{"id": "U", "name": "Group", "parent_id": ""}]
    for d in range(6):
        units.append({"id": f"U{d}", "name": f"Division {d}", "parent_id": "U"})
        for t in range(3):
            units.append({"id": f"U{d}-{t}", "name": f"Team {d}.{t}", "parent_id": f"U{d}"})
    pillars = [{"id": f"P{i}", "name": f"Pillar number {i}"} for i in range(1, 5)]
    objs: list[Row] = []
    tops = [f"G{i:02d}" for i in range(8)]
    for i, o in enumerate(tops):
        objs.append(obj(o, f"{title_prefix}Raise group result {i} to {50 + i}% by 2027", unit="U", pillar=f"P{i % 4 + 1}"))
    mids: list[str] = []
    k = 0
    while len(objs) < n_objectives // 3 + len(tops):
        parent = tops[k % len(tops)]
        d = k % 6
        o = f"D{k:03d}"
        objs.append(obj(o, f"{title_prefix}Cut division {d} cost line {k} by {k % 9 + 1}% by June 2027", unit=f"U{d}", parent=parent))
        mids.append(o)
        k += 1
    k = 0
    while len(objs) < n_objectives:
        parent = mids[k % len(mids)]
        d = int(next(u["org_unit_id"] for u in objs if u["id"] == parent)[1:])
        o = f"T{k:03d}"
        objs.append(obj(o, f"{title_prefix}Reach {80 + k % 20}% on-time delivery for team task {k} by 2027",
                        unit=f"U{d}-{k % 3}", parent=parent))
        k += 1
    metrics = [metric(f"M{i:03d}", f"Measure {i} of the programme") for i in range(n_metrics)]
    ids = [str(o["id"]) for o in objs]
    scores = []
    kpis = []
    for i in range(n_metrics):
        a, b = ids[i % len(ids)], ids[(i * 7 + 3) % len(ids)]
        scores.append(score(a, f"M{i:03d}", 1 + (i % 5), 1 + (i * 3 % 5), 1 + (i * 7 % 5), 1 + (i % 4), 2))
        if b != a:
            scores.append(score(b, f"M{i:03d}", 1 + (i * 2 % 5), 3, 4, 2, 5))
        kpis.append(kpi(a, f"M{i:03d}", target=50 + i % 40, period="2027-Q2"))
    people = [person(f"S{i:02d}", f"Person {i:02d} Surname", 1 + i % 5, 1 + (i * 3) % 5) for i in range(n_people)]
    raci = []
    for j, item in enumerate([*ids, *(f"M{i:03d}" for i in range(n_metrics))]):
        raci.append({"item_id": item, "stakeholder_id": f"S{j % n_people:02d}", "raci": "A"})
        raci.append({"item_id": item, "stakeholder_id": f"S{(j + 5) % n_people:02d}", "raci": "R"})
    return build(objectives=objs, metrics=metrics, units=units, pillars=pillars, scores=scores, kpis=kpis,
                 stakeholders=people, raci=raci, folder="big")
