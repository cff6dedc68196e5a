"""``kpikit compare OLD NEW [--csv F] [--html F]``: what changed between two reports, in words.

OLD and NEW are run folders, published reports (``DIR/published/2026-Q2`` or just ``2026-Q2``
next to an engagement folder) or an engagement folder as it is now. Exit status: 0 (also when
something changed: a difference is an answer, not a failure); 1 input errors in a folder; 2 a
side that is none of these.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kpikit.cli import EXIT_OK, period_arg, print_input_errors
from kpikit.errors import EngagementError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "compare",
        help="what changed between two runs or published reports",
        description="Compare OLD with NEW (run folders, published reports or periods, or an engagement folder as it "
        "is now) and print what changed: KPI statuses, restated actuals, moved targets and baselines, changed "
        "definitions, KPIs and objectives added, removed, reworded or moved, findings opened and resolved.",
    )
    p.add_argument("old", metavar="OLD", help="the earlier side")
    p.add_argument("new", metavar="NEW", help="the later side")
    p.add_argument("--engagement", metavar="DIR", help="the engagement folder that bare periods (2026-Q2) are published in")
    p.add_argument("--period", type=period_arg, help="review period for a side that is an engagement folder")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    p.add_argument("--html", metavar="FILE", help="also write the table as an HTML fragment")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kpikit.report.csvout import write_csv
    from kpikit.report.sections.since_published import changes_fragment
    from kpikit.run.compare import as_text, compare_sides, resolve_pair

    try:
        old, new = resolve_pair(args.old, args.new, engagement=args.engagement, period=args.period)
    except EngagementError as exc:
        return print_input_errors(args.engagement or f"{args.old} or {args.new}", exc, "nothing was compared")
    table = compare_sides(old, new)
    print(as_text(table, old, new))
    if args.csv:
        write_csv(Path(args.csv), table)
    if args.html:
        Path(args.html).write_text(str(changes_fragment(table, old.label, new.label)), encoding="utf-8")
    return EXIT_OK
