"""``kpikit excel export|import``: collect data from clients in an Excel workbook.

``export DIR OUT.xlsx`` writes the engagement's tables, an Instructions sheet and
dropdowns; ``import IN.xlsx DIR`` checks the filled-in workbook with the rules of
``kpikit validate`` and, only if everything is valid, updates DIR (with backups and a
decision-log row per changed target). ``--dry-run`` shows the changes, writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kpikit.cli import EXIT_INPUT, EXIT_OK, print_input_errors
from kpikit.data.schema import TABLES
from kpikit.data.store import load_engagement
from kpikit.errors import EngagementError, WorkbookInputError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "excel",
        help="export the engagement to an Excel workbook for clients, or import one back",
        description="Collect data from clients in Excel: export the tables to a workbook, then import "
        "the filled-in workbook, checked with exactly the rules of `kpikit validate`.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ex = actions.add_parser(
        "export",
        help="write the engagement to OUT.xlsx",
        description="Write one sheet per table (existing rows prefilled), an Instructions sheet and "
        "dropdowns for every closed set. The engagement must be valid.",
    )
    ex.add_argument("dir", metavar="DIR", help="the engagement folder")
    ex.add_argument("out", metavar="OUT.xlsx", help="the workbook to write (an existing one is kept: see --force)")
    ex.add_argument("--force", action="store_true",
                    help="replace OUT.xlsx if it exists (it may be the workbook the client filled in)")
    ex.add_argument("--sheets", nargs="+", metavar="TABLE", choices=[t.name for t in TABLES],
                    help="export only these tables (default: all); the others stay untouched on import")
    ex.set_defaults(handler=run_export)
    im = actions.add_parser(
        "import",
        help="check IN.xlsx and update DIR from it",
        description="Read the workbook's sheets, report every problem as SHEET!CELL: message (exit 1, "
        "nothing written), else write the tables that changed (backups in DIR/.kpikit/backups) and log "
        "changed targets and KPI selections in changes.csv. A table with no sheet is left as it is; "
        "unknown sheets are ignored.",
    )
    im.add_argument("workbook", metavar="IN.xlsx", help="the filled-in workbook")
    im.add_argument("dir", metavar="DIR", help="the engagement folder to update")
    im.add_argument("--dry-run", action="store_true", help="show what would change and write nothing")
    im.add_argument("--allow-other-client", action="store_true",
                    help="import a workbook that was exported for another client (refused otherwise, exit 2)")
    im.add_argument("--reason", metavar="TEXT",
                    help="why actuals of a published report change (required when the workbook restates one; "
                    "logged in changes.csv for each)")
    im.set_defaults(handler=run_import)


def run_export(args: argparse.Namespace) -> int:
    from kpikit.excel import export_workbook

    try:
        eng = load_engagement(args.dir)
    except EngagementError as exc:
        return print_input_errors(args.dir, exc, "fix them (see `kpikit validate`) before exporting")
    path = export_workbook(eng, args.out, args.sheets, force=args.force)
    names = args.sheets or [t.name for t in TABLES]
    print(f"wrote {path}: {len(names)} sheet{'s' if len(names) != 1 else ''} ({', '.join(names)}) and Instructions")
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    from kpikit.excel import import_workbook

    try:
        result = import_workbook(args.workbook, args.dir, dry_run=args.dry_run,
                                 allow_other_client=args.allow_other_client, reason=args.reason)
    except WorkbookInputError as exc:
        for line in exc.lines:
            print(line)
        n = len(exc.lines)
        print(f"{args.workbook}: {n} input error{'s' if n != 1 else ''}; nothing was written", file=sys.stderr)
        return EXIT_INPUT
    for line in result.summary():
        print(line)
    return EXIT_OK
