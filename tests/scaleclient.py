"""A generated client the size of a real public plan: 70 objectives, 30 KPIs (issue 11).

Shaped on the state education agency's six-year plan that the report failed on: four
pillars, three cascade levels, most objectives without a KPI of their own, annual KPIs
with a baseline in 2024 and a target for 2030, long objective titles, IDs that sort
wrongly as text (``M1, M10, M2``), one candidate metric per objective (a mostly empty
scoring grid), stakeholders bunched on a few ratings, notes on actuals, a KPI whose
only actual is its baseline and a series that went 65.4 -> 72.1 -> 67. Deterministic.

>>> write_client(Path("/tmp/plan"))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

N_OBJECTIVES = 70
N_KPIS = 30
PILLARS = [("P1", "Every student reads by grade three"), ("P2", "Graduates ready for college and career"),
           ("P3", "Great teachers and leaders"), ("P4", "Efficient and transparent operations")]
VERBS = ["Increase", "Raise", "Reduce", "Improve", "Expand", "Cut"]
WHAT = ["the share of third graders reading at grade level", "four-year graduation rates in rural districts",
        "chronic absenteeism among students with disabilities", "teacher retention in high-need schools",
        "participation in dual-credit and industry certification programmes",
        "the time districts wait for state grant reimbursements", "completion of the statewide literacy screener",
        "access to certified school counsellors in secondary schools"]
FLAT_NOTE = "Testing window moved to spring; results not comparable with the autumn series"
DIP_METRIC = "M7"
"""Its series goes 65.4 -> 72.1 -> 67: up overall, down last."""
BASELINE_ONLY_METRIC = "M12"
"""A KPI added this year: baseline 2026, and its only actual is that baseline."""
NO_DATA_METRIC = "M20"
"""No actual at all."""


def _write(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_client(folder: Path, seed: int = 11) -> Path:
    """Write the engagement into ``folder`` (created) and return it."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "engagement.yaml").write_text(
        "client: State Department of Education\n"
        "mission: Every student leaves school ready for what comes next.\n"
        "vision: The state where every child reads, graduates and thrives.\n"
        "pillars:\n" + "".join(f"  - id: {p}\n    name: {n}\n" for p, n in PILLARS)
        + "current_period: '2026'\nreview_cadence: annual\n"
        "report:\n  title: Strategic Plan 2025-2030 Progress Report\n  prepared_by: Example Advisory\n"
        "  confidentiality: Internal\n",
        encoding="utf-8",
    )
    units = [("U1", "Office of the Commissioner", "")]
    units += [(f"U{i}", f"Division {i - 1}", "U1") for i in range(2, 7)]
    units += [(f"U{i}", f"Bureau {i - 6}", f"U{2 + (i - 7) % 5}") for i in range(7, 17)]
    _write(folder / "org_units.csv", ["id", "name", "parent_id", "lead"], [(*u, f"Lead {u[0]}") for u in units])

    objectives: list[tuple[str, ...]] = []
    levels: dict[str, int] = {}
    for i in range(1, N_OBJECTIVES + 1):
        oid = f"O{i}"
        if i <= 8:
            parent, unit, pillar, level = "", "U1", PILLARS[(i - 1) % 4][0], 0
        elif i <= 30:
            parent, unit, pillar, level = f"O{1 + (i - 9) % 8}", f"U{2 + i % 5}", "", 1
        else:  # a bureau under the parent's division (two links to an unrelated bureau, as real plans have)
            p = 9 + (i - 31) % 22
            bureau = 7 + (p % 5) + 5 * (i % 2) if i not in (40, 55) else 7 + (p % 5 + 2) % 5
            parent, unit, pillar, level = f"O{p}", f"U{bureau}", "", 2
        levels[oid] = level
        title = (f"{VERBS[i % len(VERBS)]} {WHAT[i % len(WHAT)]} by {5 + i % 11} percentage points "
                 f"statewide by June 2030 (objective {i})")
        if i == 70:
            pillar, parent = "", ""  # unaligned: no parent, no pillar
        objectives.append((oid, title, unit, parent, pillar, f"Owner {i % 12}", "2030-06-30", ""))
    _write(folder / "objectives.csv",
           ["id", "title", "org_unit_id", "parent_id", "pillar_id", "owner", "due", "description"], objectives)

    # KPIs on 30 objectives spread over the levels (O1..O70 in steps), one metric each
    kpi_objs = [*[f"O{i}" for i in range(1, N_OBJECTIVES + 1, 2)][:N_KPIS - 1], "O2"]
    metrics, kpis, actuals, scores = [], [], [], []
    for k, oid in enumerate(kpi_objs, start=1):
        mid = f"M{k}"
        direction = "down" if k % 5 == 0 else "up"
        sign = 1 if direction == "up" else -1
        base = round(rnd.uniform(40, 80), 1)
        target = round(base + sign * rnd.uniform(6, 18), 1)
        metrics.append((mid, f"Indicator {k}: {WHAT[k % len(WHAT)]}", "", "", "%", direction, "annual",
                        "" if k == 25 else "State longitudinal data system", f"Owner {k % 12}", "lagging"))
        kpis.append((oid, mid, target, "2030", base, "2024", "", round(target + sign * 2, 1) if k % 3 == 0 else "",
                     "National peer states" if k % 3 == 0 else "", ""))
        if mid == NO_DATA_METRIC:
            continue
        if mid == BASELINE_ONLY_METRIC:
            kpis[-1] = (oid, mid, target, "2030", base, "2026", "", "", "", "")
            actuals.append((mid, "2026", base, "First year of the new screener"))
            continue
        if mid == DIP_METRIC:
            series = [65.4, 72.1, 67.0]
            kpis[-1] = (oid, mid, 80, "2030", 65.4, "2024", "", "", "", "")
        else:
            drift = sign * rnd.uniform(-1.5, 3.5)
            series = [base, round(base + drift + rnd.gauss(0, 0.8), 1), round(base + 2 * drift + rnd.gauss(0, 0.8), 1)]
        for y, v in zip(("2024", "2025", "2026"), series, strict=True):
            note = FLAT_NOTE if (k == 3 and y == "2026") else ""
            actuals.append((mid, y, v, note))
    kpi_pairs = {(k[0], k[1]) for k in kpis}
    for i, o in enumerate(objectives):  # one candidate per objective: its KPI's metric, or another
        oid = o[0]
        mid = next((m for (ko, m) in kpi_pairs if ko == oid), f"M{1 + i % N_KPIS}")
        scores.append((oid, mid, *(rnd.randint(3 if (oid, mid) in kpi_pairs else 1, 5) for _ in range(5))))
    _write(folder / "metrics.csv",
           ["id", "name", "definition", "formula", "unit", "direction", "frequency", "data_source", "owner", "type"],
           metrics)
    _write(folder / "kpis.csv", ["objective_id", "metric_id", "target", "target_period", "baseline",
                                 "baseline_period", "stretch", "benchmark", "benchmark_source", "weight"], kpis)
    _write(folder / "actuals.csv", ["metric_id", "period", "value", "note"], actuals)
    _write(folder / "metric_scores.csv", ["objective_id", "metric_id", "relevance", "measurability",
                                          "data_availability", "actionability", "cost_to_collect"],
           sorted(set(scores)))
    people = [(f"S{i}", f"Stakeholder Number {i}", "Deputy commissioner" if i < 5 else "Director", units[i % 16][0],
               [5, 5, 4, 4, 2][i % 5], [5, 4, 4, 2, 1][i % 5], "") for i in range(1, 25)]
    _write(folder / "stakeholders.csv", ["id", "name", "role", "org_unit_id", "influence", "support", "email"], people)
    raci = [(o[0], f"S{1 + i % 24}", "A") for i, o in enumerate(objectives) if i % 9 != 4]
    raci += [(m[0], f"S{1 + (i * 5) % 24}", "A") for i, m in enumerate(metrics)]
    raci += [(o[0], f"S{1 + (i * 7 + 3) % 24}", "R") for i, o in enumerate(objectives)]
    _write(folder / "raci.csv", ["item_id", "stakeholder_id", "raci"], sorted(set(raci)))
    return folder
