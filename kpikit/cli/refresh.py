"""``kpikit refresh DIR``: pull measured metrics' actuals from their declared sources (contract: Data sources).

Exit status: 0 refreshed (or nothing changed); 1 input errors (nothing run: every
``FILE:LINE`` printed, an unset ``${NAME}`` among them); 4 a source or query failed:
every failure listed (source, metric, what the database said) and nothing written,
unless ``--keep-going``, which writes the metrics that succeeded and still exits 4.
Per-metric diffs on stdout; progress per source and metric on stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kpikit.cli import EXIT_OK, EXIT_SOURCE, print_input_errors
from kpikit.errors import EngagementError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "refresh",
        help="pull actuals from the client's declared data sources",
        description="Run every metric's query against its source (engagement.yaml sources:, metrics.csv "
        "source and query), check the rows, print per metric the actuals added, restated (old -> new) and "
        "removed, and write actuals.csv (and a changes.csv row per restated value) through the validated, "
        "backed-up save. Nothing is written if any query fails, unless --keep-going.",
    )
    p.add_argument("dir", metavar="DIR", help="the engagement folder")
    p.add_argument("--dry-run", action="store_true", help="run the queries and show the changes; write nothing")
    p.add_argument("--keep-going", action="store_true", help="write the metrics that succeeded even if others failed (exit 4)")
    p.add_argument("--metric", action="append", metavar="ID", dest="metrics", help="refresh only this metric (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return refresh_folder(args.dir, dry_run=args.dry_run, keep_going=args.keep_going, metrics=args.metrics,
                          quiet=args.quiet)


def refresh_folder(folder: str, *, dry_run: bool = False, keep_going: bool = False,
                   metrics: list[str] | None = None, quiet: bool = False, diff_to_stderr: bool = False,
                   prefix: str = "") -> int:
    """Refresh ``folder`` and report it as ``kpikit refresh`` does; the exit status (also for ``run --refresh``).

    ``diff_to_stderr``: the per-metric lines go to stderr (``kpikit run`` keeps stdout for the report paths).
    ``prefix`` starts every line (``run --all``: the client folder's name, so two clients' lines are told apart).
    """
    from kpikit.run.refresh import describe, refresh

    def say(line: str) -> None:
        if not quiet:
            print(f"{prefix}refresh: {line}", file=sys.stderr, flush=True)

    try:
        result = refresh(folder, dry_run=dry_run, keep_going=keep_going, metrics=metrics, progress=say)
    except EngagementError as exc:
        return print_input_errors(folder, exc, "nothing was run")
    stream = sys.stderr if diff_to_stderr else sys.stdout
    for o in result.outcomes:
        for line in describe(o):
            print(prefix + line, file=stream)
    n, bad = len(result.outcomes), len(result.failures)
    if not result.outcomes:
        print(f"{folder}: no metric has a query to run (metrics.csv source and query; engagement.yaml sources:)",
              file=sys.stderr)
    elif dry_run:
        print(f"{folder}: dry run, {n} metrics queried, {bad} failed; nothing was written", file=sys.stderr)
    elif bad and not keep_going:
        print(f"{folder}: {bad} of {n} metrics failed; nothing was written (--keep-going writes the others)",
              file=sys.stderr)
    else:
        wrote = ", ".join(result.written) if result.written else "nothing changed"
        print(f"{folder}: {n - bad} of {n} metrics refreshed in {result.seconds:.1f}s; {wrote}", file=sys.stderr)
    return EXIT_SOURCE if bad else EXIT_OK
