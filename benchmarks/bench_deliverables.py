"""Deliverables benchmark (issue 15): the board deck and the packs against the report they come from.

Times, in this process (no notebook run, which costs the same with or without them):
the report (every section rendered from one ReportContext, then WeasyPrint), the deck
(build_deck from the same kind of context) and every unit pack (subset, sections,
WeasyPrint), for the demo and for a generated client with 60 units and 1,000 KPIs
(tests/canaryclient.py). Run: ``.venv/bin/python benchmarks/bench_deliverables.py [--quick]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from canaryclient import write_client  # noqa: E402

from kpikit.charts import render  # noqa: E402
from kpikit.data.store import load_engagement  # noqa: E402
from kpikit.report import sections  # noqa: E402
from kpikit.report.build import html_to_pdf  # noqa: E402
from kpikit.report.context import ReportContext  # noqa: E402
from kpikit.report.deck import build_deck  # noqa: E402
from kpikit.report.packs import pack_html, unit_packs  # noqa: E402

SECTION_FNS = [sections.cover, sections.executive_summary, sections.strategy, sections.objective_cascade,
               sections.kpi_scorecard, sections.metric_selection, sections.targets_benchmarks,
               sections.stakeholder_map, sections.recommendations, sections.appendix_definitions,
               sections.appendix_findings, sections.appendix_method]


def report_seconds(folder: Path) -> float:
    t = time.perf_counter()
    ctx = ReportContext(load_engagement(folder))
    html = "<html><body>" + "".join(str(f(ctx)) for f in SECTION_FNS) + "</body></html>"
    html_to_pdf(html)
    return time.perf_counter() - t


def deck_seconds(folder: Path) -> tuple[float, int]:
    t = time.perf_counter()
    data = build_deck(ReportContext(load_engagement(folder)))
    return time.perf_counter() - t, len(data)


def packs_seconds(folder: Path, limit: int | None = None) -> tuple[float, int]:
    t = time.perf_counter()
    packs = unit_packs(load_engagement(folder))[:limit]
    for p in packs:
        html_to_pdf(pack_html(p, None))
    return time.perf_counter() - t, len(packs)


def main() -> None:
    quick = "--quick" in sys.argv
    render.setup(static=True)
    demo = ROOT / "clients" / "demo-harbor"
    with tempfile.TemporaryDirectory() as tmp:
        big = write_client(Path(tmp) / "big", n_units=60, kpis_per_unit=17, empty=())
        for name, folder, limit in (("demo", demo, None), ("60 units, 1,020 KPIs", big, 6 if quick else None)):
            r = report_seconds(folder)
            d, size = deck_seconds(folder)
            p, n = packs_seconds(folder, limit)
            print(f"{name}: report {r:.1f}s; deck {d:.1f}s ({size // 1024} KB); {n} unit packs {p:.1f}s "
                  f"({p / n:.2f}s a pack, {p / r:.2f}x the report)")


if __name__ == "__main__":
    main()
