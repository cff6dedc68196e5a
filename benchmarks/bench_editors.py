"""Editor benchmark: what a consultant waits for in a workshop, on the demo and the benchmark client.

Drives the editor widgets in-process (as the tests do, ``KPIKIT_UNATTENDED=0``) on a
copy of each folder and times: opening each editor, a keystroke to the SMART verdict,
a slider move to the new score, a RACI page change, a RACI cell change to the gap
list, picking an objective by typing its ID, pastes, and Save (validate + write + refresh;
the scoring, actuals and RACI saves come after another editor's save, so they merge first).
The kernel-to-browser hop is not included (the browser test looks at that); these
are the Python costs, which were the slow part.

    .venv/bin/python benchmarks/bench_editors.py [--client DIR ...] [--markdown]

Without ``--client`` it runs the demo and a freshly generated benchmark client
(``bench_engine.generate``: 500 objectives, 1,500 metrics, 200 people).
Aim (2 cores): every interaction under 0.5 s, every save under 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ["KPIKIT_UNATTENDED"] = "0"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

INTERACTION_AIM, SAVE_AIM = 0.5, 1.5


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def measure(folder: Path) -> dict[str, float]:
    """Seconds per interaction on (a copy of) ``folder``."""
    from kpikit.data.store import load_engagement
    from kpikit.editors.actuals import ActualsEntry
    from kpikit.editors.cascade import CascadeLinker
    from kpikit.editors.objectives import ObjectivesEditor
    from kpikit.editors.raci import RaciGrid
    from kpikit.editors.scoring import ScoringGrid
    from kpikit.editors.targets import TargetSetter

    out: dict[str, float] = {}
    out["load the folder"], eng = timed(lambda: load_engagement(folder))

    out["objectives: open"], ed = timed(lambda: ObjectivesEditor(eng))
    last = str(eng.objectives["id"].iloc[-1])
    out["objectives: type an ID in the picker"], _ = timed(lambda: setattr(ed.picker, "search", last))
    out["objectives: keystroke to SMART verdict"], _ = timed(lambda: setattr(ed.title_box, "value", "Cut waiting times by 20% by 2027"))
    out["objectives: save"], ok = timed(ed.save)
    assert ok, ed.message.value

    out["scoring: open"], g = timed(lambda: ScoringGrid(eng))
    slider = next(iter(g.sliders.values()))
    out["scoring: slider to score"], _ = timed(lambda: setattr(slider, "value", slider.max if slider.value != slider.max else slider.min))
    out["scoring: save"], ok = timed(g.save)
    assert ok, g.message.value

    out["cascade: open"], c = timed(lambda: CascadeLinker(eng))
    out["cascade: gap page change"], _ = timed(lambda: c.set_gap_page(1))

    out["targets: open"], t = timed(lambda: TargetSetter(eng))
    box = t.boxes["target"]
    out["targets: edit to chart + verdict"], _ = timed(lambda: setattr(box, "value", str(float(box.value or 0) + 1)))

    out["actuals: open"], a = timed(lambda: ActualsEntry(eng))
    kpi = eng.kpis.iloc[-1]
    freq = str(eng.metrics.set_index("id").at[kpi["metric_id"], "frequency"])
    review = eng.review_period()
    a.metric_box.value = str(kpi["metric_id"])
    a.period_box.value = str(review.in_frequency(freq, eng.config.fiscal_year_start)) if review else str(kpi["target_period"])
    out["actuals: keystroke to live status"], _ = timed(lambda: setattr(a.value_box, "value", "42"))
    assert a.live.value, "no live status"
    a.value_box.value = ""
    rows = eng.actuals.head(20)
    block = "".join(f"{m}\t{p}\t{float(v) + 1:g}\n" for m, p, v in zip(rows["metric_id"], rows["period"], rows["value"], strict=True))
    out["actuals: paste 20 rows"], ok = timed(lambda: a.paste(block))
    assert ok, a.entry_message.value
    a.restate_box.value = "benchmark: corrected figures"  # asked for only if a period was published
    out["actuals: save the 20 pasted rows"], ok = timed(a.save)
    assert ok, a.message.value
    crit = list(eng.config.scoring.criteria)
    sc = eng.metric_scores.head(20)
    block = "".join("\t".join([str(o), str(m), *(f"{float(sc.iloc[i][c]):g}" for c in crit)]) + "\n"
                    for i, (o, m) in enumerate(zip(sc["objective_id"], sc["metric_id"], strict=True)))
    out["scoring: paste 20 rows"], ok = timed(lambda: ScoringGrid(eng).paste(block))
    assert ok
    kp = eng.kpis.head(20)
    block = "".join(f"{o}\t{m}\t{float(t) + 1:g}\t{tp}\n"
                    for o, m, t, tp in zip(kp["objective_id"], kp["metric_id"], kp["target"], kp["target_period"], strict=True))
    setter = TargetSetter(eng)
    out["targets: paste 20 rows"], ok = timed(lambda: setter.paste(block))
    assert ok, setter.paste_message.value

    out["raci: open"], r = timed(lambda: RaciGrid(eng))
    out["raci: page change"], _ = timed(lambda: r.set_page(1))
    out["raci: everyone, next people page"], _ = timed(lambda: (setattr(r.unit_box, "value", "*"), r.set_people_page(1)))
    cell = r.pool[0][0]
    out["raci: cell to gap list"], _ = timed(lambda: setattr(cell, "value", "C" if cell.value != "C" else "I"))
    out["raci: save"], ok = timed(r.save)
    assert ok, r.message.value
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--client", action="append", metavar="DIR", help="a client folder (copied first); repeatable")
    ap.add_argument("--markdown", action="store_true", help="print one markdown table")
    args = ap.parse_args(argv)
    import bench_engine

    with tempfile.TemporaryDirectory() as tmp:
        clients: list[tuple[str, Path]] = []
        for c in args.client or []:
            clients.append((Path(c).name, Path(c)))
        if not args.client:
            clients.append(("demo", HERE.parent / "clients" / "demo-harbor"))
            big = Path(tmp) / "bench-client"
            bench_engine.generate(big)
            clients.append(("benchmark (500 obj, 1,500 metrics, 200 people)", big))
        results: dict[str, dict[str, float]] = {}
        for name, src in clients:
            work = Path(tmp) / f"copy-{len(results)}"
            shutil.copytree(src, work, ignore=shutil.ignore_patterns(".kpikit"))
            results[name] = measure(work)
            print(f"{name}: done", file=sys.stderr, flush=True)
    steps = list(next(iter(results.values())))
    bad = []
    if args.markdown:
        print("| step | " + " | ".join(results) + " |")
        print("| --- |" + " ---: |" * len(results))
    for s in steps:
        aim = SAVE_AIM if "save" in s else (None if "open" in s or "load" in s else INTERACTION_AIM)
        vals = [results[n][s] for n in results]
        if aim is not None and max(vals) > aim:
            bad.append(s)
        if args.markdown:
            print(f"| {s} | " + " | ".join(f"{v:.2f} s" for v in vals) + " |")
        else:
            print(f"{s:<42}" + "".join(f"{v:9.3f} s" for v in vals))
    print(("OUTSIDE the aim: " + ", ".join(bad)) if bad else "within the aim (interactions < 0.5 s, saves < 1.5 s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
