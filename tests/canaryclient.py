"""A generated client whose every unit marks its own items with a canary string, for the pack tests.

Each unit ``Uxx`` owns objectives whose titles and descriptions carry ``CANARY_Uxx``, KPIs
on metrics named with it, and a lead stakeholder named with it who is Accountable for
the unit's objectives and metrics. A pack that shows anything of another unit shows that
unit's canary. (An underscore, not a hyphen: a line may break after a hyphen in a PDF.)
The same generator makes the 60-unit, 1,000-KPI benchmark client (``benchmarks/bench_deliverables.py``).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PILLARS = [("P1", "Growth"), ("P2", "Service"), ("P3", "People")]
PERIODS = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]


def canary(unit: str) -> str:
    return f"CANARY_{unit}"


def _write(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def tree(n_units: int, fanout: int = 3) -> dict[str, str | None]:
    """Units ``U00`` (the root) .. ``U{n-1}``, each under the unit ``(i - 1) // fanout``."""
    return {f"U{i:02d}": (None if i == 0 else f"U{(i - 1) // fanout:02d}") for i in range(n_units)}


def write_client(folder: Path, n_units: int = 8, kpis_per_unit: int = 1, empty: tuple[str, ...] = ("U07",),
                 seed: int = 5) -> Path:
    """Write the client into ``folder``; units in ``empty`` have no objectives (and no people)."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "engagement.yaml").write_text(
        "client: Canary Holdings\nmission: Serve every customer well.\npillars:\n"
        + "".join(f"  - id: {p}\n    name: {n}\n" for p, n in PILLARS)
        + "current_period: 2026-Q2\nreview_cadence: quarterly\n"
        "report:\n  title: Quarterly KPI Review\n  prepared_by: Example Advisory\n  confidentiality: Strictly confidential\n",
        encoding="utf-8")
    units = tree(n_units)
    _write(folder / "org_units.csv", ["id", "name", "parent_id", "lead"],
           [[u, f"Unit {u}", p or "", f"Lead {canary(u)}"] for u, p in units.items()])
    objectives, metrics, scores, kpis, people, raci, actuals = [], [], [], [], [], [], []
    first_obj: dict[str, str] = {}
    for i, (u, parent) in enumerate(units.items()):
        if u in empty:
            continue
        people.append([f"S-{u}", f"Lead {canary(u)}", "Head of unit", u, 3, 4, f"lead.{u.lower()}@example.com"])
        n_obj = max(1, kpis_per_unit // 4)
        for j in range(n_obj):
            oid = f"O-{u}-{j}"
            first_obj.setdefault(u, oid)
            up = first_obj.get(parent or "") if parent else None
            if parent and up is None:  # the parent unit has no objective: align to a pillar directly
                up = None
            objectives.append([oid, f"Raise {canary(u)} output {j} by 10% by December 2026", u, up or "",
                               "" if up else PILLARS[i % 3][0], f"Lead {canary(u)}", "2026-12-31",
                               f"Scope of {canary(u)} objective {j}"])
            raci.append([oid, f"S-{u}", "A"])
        for k in range(kpis_per_unit):
            mid = f"M-{u}-{k}"
            oid = f"O-{u}-{k % n_obj}"
            metrics.append([mid, f"Output {k} of {canary(u)}", f"Units produced by {canary(u)}", "count", "%",
                            "up", "quarterly", "ERP", f"Lead {canary(u)}", "lagging"])
            scores.append([oid, mid, 4, 4, 4, 4, 4])
            base = rnd.uniform(40, 60)
            kpis.append([oid, mid, round(base + 20, 1), "2026-Q4", round(base, 1), "2025-Q1", "", round(base + 15, 1),
                         "Peer median", 1])
            raci.append([mid, f"S-{u}", "A"])
            for n, per in enumerate(PERIODS):
                actuals.append([mid, per, round(base + n * rnd.uniform(0.5, 4), 2), ""])
    _write(folder / "objectives.csv", ["id", "title", "org_unit_id", "parent_id", "pillar_id", "owner", "due",
                                       "description"], objectives)
    _write(folder / "metrics.csv", ["id", "name", "definition", "formula", "unit", "direction", "frequency",
                                    "data_source", "owner", "type"], metrics)
    _write(folder / "metric_scores.csv", ["objective_id", "metric_id", "relevance", "measurability",
                                          "data_availability", "actionability", "cost_to_collect"], scores)
    _write(folder / "kpis.csv", ["objective_id", "metric_id", "target", "target_period", "baseline",
                                 "baseline_period", "stretch", "benchmark", "benchmark_source", "weight"], kpis)
    _write(folder / "stakeholders.csv", ["id", "name", "role", "org_unit_id", "influence", "support", "email"], people)
    _write(folder / "raci.csv", ["item_id", "stakeholder_id", "raci"], raci)
    _write(folder / "actuals.csv", ["metric_id", "period", "value", "note"], actuals)
    return folder
