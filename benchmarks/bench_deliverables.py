"""Deliverables benchmark (issue 15): the board deck and the packs against the report they come from.

Times, in this process (no notebook run, which costs the same with or without them), wall and
CPU seconds (CPU is the steadier figure on a shared machine):

- the report: every section of 07_report in its order, from one ReportContext, in the report's
  CSS, printed by WeasyPrint;
- the deck (``build_deck`` from its own context);
- every unit pack, every owner brief and the meeting pre-read, as a run writes them
  (``write_packs``: one context of the whole client, each KPI's chart drawn once, the CSS parsed once);
- with ``--before``, the unit packs the way they were first written (each pack its own context, its
  own charts and CSS: ``pack_html`` + ``html_to_pdf``), for the comparison.

With ``--runs N``, also the figure an analyst waits for: ``kpikit run`` with and without
``--packs units``, N rounds alternately, wall seconds and CPU seconds of the run and all its
processes (the kernel and, with packs, the printing processes of ``report/printing.Printer``).

The SVG cache is cleared before each step: in a run the report's charts are drawn in the kernel,
not in the process that writes the packs. Clients: the demo, and a generated one (tests/canaryclient.py)
with ``--units`` units (fan-out 3) and ``--kpis-per-unit`` KPIs each (default 60 and 17: 1,020 KPIs).

    .venv/bin/python benchmarks/bench_deliverables.py [--skip-demo] [--skip-large] [--before]
                                                      [--units 60] [--kpis-per-unit 17] [--runs 2]
"""

from __future__ import annotations

import argparse
import functools
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from canaryclient import write_client  # noqa: E402

from kpikit.charts import render  # noqa: E402
from kpikit.data.store import load_engagement  # noqa: E402
from kpikit.kit.resources import templates_dir  # noqa: E402
from kpikit.report import sections  # noqa: E402
from kpikit.report.build import html_to_pdf  # noqa: E402
from kpikit.report.context import ReportContext  # noqa: E402
from kpikit.report.deck import build_deck  # noqa: E402
from kpikit.report.packs import pack_html, unit_packs, write_packs  # noqa: E402
from kpikit.report.printing import Printer, default_workers, warm_up  # noqa: E402

SECTION_FNS = [sections.cover, sections.contents, sections.executive_summary, sections.since_published,
               sections.signals, sections.strategy, sections.objective_cascade, sections.kpi_scorecard,
               sections.metric_selection, sections.targets_benchmarks, sections.stakeholder_map,
               sections.recommendations, sections.open_actions, sections.appendix_definitions,
               sections.appendix_findings, sections.appendix_method, sections.appendix_decisions]
"""07_report's cells, in order."""


def timed(step: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall s, CPU s of this process, the step's result), with a cold SVG cache."""
    render._render_svg.cache_clear()
    w, c = time.perf_counter(), time.process_time()
    out = step()
    return time.perf_counter() - w, time.process_time() - c, out


def report(folder: Path) -> int:
    """The report as one page in the report's CSS; returns its PDF size."""
    ctx = ReportContext(load_engagement(folder))
    css = "".join((templates_dir() / "report" / n).read_text(encoding="utf-8") for n in ("report.css", "print.css"))
    html = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>report</title><style>{css}</style>'
            f'</head><body class="kpikit-report"><main>{"".join(str(f(ctx)) for f in SECTION_FNS)}</main></body></html>')
    return len(html_to_pdf(html))


def deck(folder: Path) -> int:
    return len(build_deck(ReportContext(load_engagement(folder))))


def packs(folder: Path, audience: str, out: Path) -> int:
    """Write one audience's packs as a run does; returns how many documents."""
    eng = load_engagement(folder)
    written = write_packs(eng, None, out / audience, {audience}, base=ReportContext(eng))
    return sum(1 for p in written if p.suffix == ".pdf")


def packs_pooled(folder: Path, out: Path) -> int:
    """The unit packs as a run with packs writes them: every PDF printed by a pool of printing processes."""
    eng = load_engagement(folder)
    with Printer(warm_up=warm_up) as printer:
        written = write_packs(eng, None, out / "pooled", {"units"}, base=ReportContext(eng), printer=printer)
    return sum(1 for p in written if p.suffix == ".pdf")


def timed_run(folder: Path, out: Path, packs: bool) -> tuple[float, float]:
    """(wall s, CPU s of the run and every process it waited for) of one ``kpikit run``."""
    kpikit = Path(sys.executable).parent / "kpikit"
    args = [str(kpikit), "run", str(folder), "--force", "--quiet", "--format", "html,pdf", "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w = time.perf_counter()
    subprocess.run([*args, *(["--packs", "units"] if packs else [])], check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - w
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_runs(name: str, folder: Path, rounds: int) -> None:
    """``kpikit run`` and ``kpikit run --packs units`` alternately; what the packs add, against the run alone."""
    plain: list[tuple[float, float]] = []
    packed: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            plain.append(timed_run(folder, Path(tmp) / f"plain{i}", False))
            packed.append(timed_run(folder, Path(tmp) / f"packs{i}", True))
    for (pw, pc), (kw, kc) in zip(plain, packed, strict=True):
        print(f"  {name}: run {pw:6.1f} s wall {pc:6.1f} s CPU; with --packs units {kw:6.1f} s wall {kc:6.1f} s CPU; "
              f"the packs add {(kw - pw) / pw:.2f}x the run's wall, {(kc - pc) / pc:.2f}x its CPU", flush=True)


def packs_before(folder: Path) -> int:
    """The unit packs as first written: each its own context, charts and stylesheet."""
    found = unit_packs(load_engagement(folder))
    for p in found:
        html_to_pdf(pack_html(p, None))
    return len(found)


def line(what: str, wall: float, cpu: float, extra: str = "") -> None:
    print(f"  {what:<34} {wall:7.1f} s wall {cpu:7.1f} s CPU  {extra}", flush=True)


def bench(name: str, folder: Path, before: bool) -> None:
    print(f"{name}:", flush=True)
    rw, rc, size = timed(lambda: report(folder))
    line("report (sections + PDF)", rw, rc, f"{size // 1024} KB")
    dw, dc, dsize = timed(lambda: deck(folder))
    line("deck", dw, dc, f"{dsize // 1024} KB; report + deck {rc + dc:.1f} s CPU ({(rc + dc) / rc:.2f}x)")
    with tempfile.TemporaryDirectory() as tmp:
        for audience in ("units", "owners", "meeting"):
            w, c, n = timed(functools.partial(packs, folder, audience, Path(tmp)))
            line(f"{audience}: {n} document{'s' if n != 1 else ''}", w, c,
                 f"{c / max(n, 1):.2f} s CPU each; {c / rc:.2f}x the report")
        w, c, n = timed(functools.partial(packs_pooled, folder, Path(tmp)))
        line(f"units, {default_workers()} printing processes: {n}", w, c, f"{w / rw:.2f}x the report's wall "
             "(CPU here: this process only)")
    if before:
        w, c, n = timed(lambda: packs_before(folder))
        line(f"units, as first written: {n}", w, c, f"{c / max(n, 1):.2f} s CPU each; {c / rc:.2f}x the report")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--before", action="store_true", help="also time the unit packs the way they were first written")
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--kpis-per-unit", type=int, default=17)
    ap.add_argument("--runs", type=int, default=0, metavar="N",
                    help="also time N rounds of kpikit run with and without --packs units")
    args = ap.parse_args()
    render.setup(static=True)
    if not args.skip_demo:
        bench("demo (29 KPIs, 15 units)", ROOT / "clients" / "demo-harbor", args.before)
        if args.runs:
            bench_runs("demo", ROOT / "clients" / "demo-harbor", args.runs)
    if not args.skip_large:
        with tempfile.TemporaryDirectory() as tmp:
            big = write_client(Path(tmp) / "big", n_units=args.units, kpis_per_unit=args.kpis_per_unit, empty=())
            n_kpis = len(load_engagement(big).kpis)
            bench(f"generated: {args.units} units, {n_kpis:,} KPIs", big, args.before)
            if args.runs:
                bench_runs(f"generated ({args.units} units, {n_kpis:,} KPIs)", big, args.runs)


if __name__ == "__main__":
    main()
