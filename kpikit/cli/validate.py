"""``kpikit validate DIR``: every input error as FILE:LINE, then a summary of findings."""

from __future__ import annotations

import argparse
from typing import Any

from kpikit.cli import EXIT_OK, period_arg, print_input_errors
from kpikit.data.store import load_engagement
from kpikit.engine import all_findings
from kpikit.errors import EngagementError
from kpikit.periods import FORMS_TEXT


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "validate",
        help="check an engagement folder and summarise its findings",
        description="Read the engagement folder, print every input error as FILE:LINE: message "
        "(exit 1), or a summary of findings (exit 0; findings do not fail validation).",
    )
    p.add_argument("dir", metavar="DIR", help="the engagement folder")
    p.add_argument("--period", type=period_arg, help=f"review period ({FORMS_TEXT}); default current_period")
    p.add_argument("--findings", action="store_true", help="list every finding, not just the counts")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        eng = load_engagement(args.dir)
    except EngagementError as exc:
        return print_input_errors(args.dir, exc)
    print(f"{args.dir}: valid engagement for {eng.client}")
    counts = {name: len(df) for name, df in eng.tables.items() if eng.has(name)}
    print("  " + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items()))
    for step in eng.outstanding_steps():
        print(f"  outstanding: {step}")
    items = all_findings(eng, period=args.period)
    by_sev: dict[str, int] = {}
    for f in items:
        by_sev[f.severity] = by_sev.get(f.severity, 0) + 1
    counts_text = [f"{by_sev.get(s, 0)} {s}{'s' if by_sev.get(s, 0) != 1 and s != 'info' else ''}" for s in ("error", "warning", "info")]
    print("  findings: " + (", ".join(counts_text) if items else "none"))
    if args.findings:
        for f in items:
            print(f"  {f.severity:<7} {f.code:<24} {f.item_id:<20} {f.message}")
    return EXIT_OK
