"""Engine benchmark: a generated client of 1,500 metrics, 500 objectives and 100,000 actuals.

Builds the folder in a temporary directory (deterministic seed), then times what a
consultant's ``kpikit validate`` and the review notebook do: load (read + validate),
re-validate, all findings, scorecard, scorecard detail, objective scores and
roll-ups. Prints seconds per step and the peak resident memory of the process.

    .venv/bin/python benchmarks/bench_engine.py [--keep DIR]

Aim (2-core machine): under 5 s for load + validate + findings + review, under 1 GB.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

N_METRICS = 1500
N_OBJECTIVES = 500
N_ACTUALS = 100_000
N_UNITS = 60
N_PEOPLE = 200
SEED = 20261127

# metrics by frequency and how many periods of history each has: 1300*72 + 180*35 + 20*5 = 100,000
PLAN = [("monthly", 1300, 72), ("quarterly", 180, 35), ("annual", 20, 5)]


def _write(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _periods(freq: str, n: int, last: tuple[int, int]) -> list[str]:
    """``n`` consecutive periods of ``freq`` ending at (year, index) ``last`` (index 1-based)."""
    per_year = {"monthly": 12, "quarterly": 4, "annual": 1}[freq]
    end = last[0] * per_year + last[1] - 1
    out = []
    for o in range(end - n + 1, end + 1):
        y, i = divmod(o, per_year)
        out.append(f"{y}-{i + 1:02d}" if freq == "monthly" else f"{y}-Q{i + 1}" if freq == "quarterly" else f"{y}")
    return out


def generate(folder: Path, seed: int = SEED) -> dict[str, int]:
    """Write a valid engagement of the benchmark's size into ``folder``; return row counts."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pillars = [f"P{i}" for i in range(1, 6)]
    (folder / "engagement.yaml").write_text(
        "client: Benchmark Holdings\nmission: Measure what matters\n"
        "pillars:\n" + "".join(f"  - id: {p}\n    name: Pillar {p}\n" for p in pillars)
        + "current_period: 2026-Q2\nreview_cadence: quarterly\n",
        encoding="utf-8",
    )
    units = [("U000", "Head office", "")] + [
        (f"U{i:03d}", f"Unit {i}", f"U{rnd.randrange(0, i):03d}") for i in range(1, N_UNITS)
    ]
    _write(folder / "org_units.csv", ["id", "name", "parent_id", "lead"], [(*u, f"Lead {u[0]}") for u in units])

    objectives = []
    for i in range(N_OBJECTIVES):
        oid = f"O{i:04d}"
        top = i < 25
        parent = "" if top else f"O{rnd.randrange(0, i):04d}"
        objectives.append((oid, f"Raise outcome {i} by 10% by December 2027", units[rnd.randrange(N_UNITS)][0],
                           parent, rnd.choice(pillars) if top else "", f"Owner {i % 40}", "2027-12-31",
                           f"Objective number {i}"))
    _write(folder / "objectives.csv",
           ["id", "title", "org_unit_id", "parent_id", "pillar_id", "owner", "due", "description"], objectives)

    metrics: list[tuple[str, str, str, int]] = []   # id, direction, frequency, n periods
    k = 0
    for freq, count, n in PLAN:
        for _ in range(count):
            metrics.append((f"M{k:04d}", rnd.choice(["up", "down"]), freq, n))
            k += 1
    _write(folder / "metrics.csv",
           ["id", "name", "definition", "formula", "unit", "direction", "frequency", "data_source", "owner", "type"],
           [(m, f"Metric {m}", "", "", "%", d, f, "" if rnd.random() < 0.03 else "Warehouse", "", "lagging")
            for m, d, f, _ in metrics])

    last = {"monthly": (2026, 6), "quarterly": (2026, 2), "annual": (2025, 1)}
    actuals = []
    start: dict[str, float] = {}
    latest: dict[str, tuple[str, float]] = {}
    for mid, direction, freq, n in metrics:
        level = rnd.uniform(20, 80)
        drift = rnd.uniform(-0.3, 0.6) * (1 if direction == "up" else -1)
        periods = _periods(freq, n, last[freq])
        for j, p in enumerate(periods):
            v = round(level + drift * j + rnd.gauss(0, 1.0), 2)
            if j == 0:
                start[mid] = v
            actuals.append((mid, p, v, ""))
        latest[mid] = (periods[-1], actuals[-1][2])
    assert len(actuals) == N_ACTUALS, len(actuals)
    _write(folder / "actuals.csv", ["metric_id", "period", "value", "note"], actuals)

    # two KPIs per objective (1,000), on distinct metrics; 1,500 scored pairings
    kpis, scores = [], []
    for i, o in enumerate(objectives):
        for j in range(2):
            mid, direction, freq, n = metrics[(2 * i + j) % N_METRICS]
            sign = 1 if direction == "up" else -1
            base = start[mid]
            target = round(base + sign * rnd.uniform(2, 15), 2)
            tp = {"monthly": "2027-06", "quarterly": "2027-Q2", "annual": "2027"}[freq]
            bp = _periods(freq, n, last[freq])[0]
            kpis.append((o[0], mid, target, tp, base, bp, round(target + sign * 2, 2), round(target + sign, 2),
                         "Peer study", rnd.choice(["", "1", "2"])))
            scores.append((o[0], mid, *(rnd.randint(2, 5) for _ in range(5))))
    for i in range(2 * N_OBJECTIVES, N_METRICS):
        scores.append((objectives[i % N_OBJECTIVES][0], metrics[i][0], *(rnd.randint(1, 5) for _ in range(5))))
    _write(folder / "kpis.csv", ["objective_id", "metric_id", "target", "target_period", "baseline",
                                 "baseline_period", "stretch", "benchmark", "benchmark_source", "weight"], kpis)
    _write(folder / "metric_scores.csv", ["objective_id", "metric_id", "relevance", "measurability",
                                          "data_availability", "actionability", "cost_to_collect"], scores)
    people = [(f"S{i:03d}", f"Person {i}", "Manager", units[i % N_UNITS][0], rnd.randint(1, 5), rnd.randint(1, 5),
               f"p{i}@example.com") for i in range(N_PEOPLE)]
    _write(folder / "stakeholders.csv", ["id", "name", "role", "org_unit_id", "influence", "support", "email"], people)
    raci = [(o[0], people[i % N_PEOPLE][0], "A") for i, o in enumerate(objectives)]
    raci += [(m[0], people[(i * 7) % N_PEOPLE][0], "A") for i, m in enumerate(metrics[: 2 * N_OBJECTIVES])]
    raci += [(o[0], people[(i * 3 + 1) % N_PEOPLE][0], "R") for i, o in enumerate(objectives)]
    _write(folder / "raci.csv", ["item_id", "stakeholder_id", "raci"], raci)
    return {"metrics": len(metrics), "objectives": len(objectives), "actuals": len(actuals), "kpis": len(kpis),
            "metric_scores": len(scores), "raci": len(raci)}


AIM_STEPS = ("load (read + validate)", "all findings", "scorecard", "objective scores")
"""The steps the aim (< 5 s) is about: what ``kpikit validate`` plus the scorecard cost."""


def _timed(label: str, fn: Callable[[], Any], times: dict[str, float], cpu: dict[str, float]) -> Any:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    times[label] = time.perf_counter() - t0
    cpu[label] = time.process_time() - c0
    print(f"  {label:<28} {times[label]:7.3f} s wall {cpu[label]:7.3f} s CPU", flush=True)
    return out


def run(folder: Path) -> dict[str, float]:
    """Time the engine on ``folder``; return wall seconds per step, 'aim' and 'total'."""
    from kpikit.data.store import load_engagement
    from kpikit.engine import all_findings, review

    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    eng = _timed("load (read + validate)", lambda: load_engagement(folder), times, cpu)
    items = _timed("all findings", lambda: all_findings(eng), times, cpu)
    _timed("scorecard", lambda: review.scorecard(eng), times, cpu)
    _timed("objective scores", lambda: review.objective_scores(eng), times, cpu)
    aim, aim_cpu = sum(times[k] for k in AIM_STEPS), sum(cpu[k] for k in AIM_STEPS)
    print(f"  {'= load..objective scores':<28} {aim:7.3f} s wall {aim_cpu:7.3f} s CPU   ({len(items)} findings)")
    _timed("re-validate (as save does)", eng.validate, times, cpu)
    _timed("scorecard detail", lambda: review.scorecard_detail(eng), times, cpu)
    _timed("roll-up by pillar + unit", lambda: (review.rollup(eng, "pillar"), review.rollup(eng, "org_unit")),
           times, cpu)
    _timed("suggestions", lambda: review.suggestions(eng), times, cpu)
    total, total_cpu = sum(times.values()), sum(cpu.values())
    print(f"  {'= everything above':<28} {total:7.3f} s wall {total_cpu:7.3f} s CPU")
    times["aim"], times["total"] = aim, total
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it (default: a temp folder)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    import pandas  # noqa: F401  (import cost is not the engine's)

    import kpikit.engine.review  # noqa: F401
    print(f"imports: {time.perf_counter() - t0:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp) / "bench-client"
        t1 = time.perf_counter()
        counts = generate(folder)
        print(f"generated {counts} in {time.perf_counter() - t1:.2f} s")
        times = run(folder)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    ok = times["aim"] < 5 and peak_mb < 1024
    verdict = "within" if ok else "OUTSIDE"
    print(f"{verdict} the aim (load + validate + findings + scorecard + scores < 5 s, < 1 GB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
