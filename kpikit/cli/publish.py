"""``kpikit publish RUN_DIR [--replace --reason TEXT]``: the run becomes the official report of its period.

Exit status: 0 published; 1 input errors (only with ``--replace``, whose reason is saved to
``changes.csv`` through the validated store); 2 refused (not a successful run, already
published, ``--replace`` without ``--reason``), with a sentence saying what to do.
"""

from __future__ import annotations

import argparse
from typing import Any

from kpikit.cli import EXIT_OK, print_input_errors
from kpikit.errors import EngagementError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "publish",
        help="make a successful run the official report of its period",
        description="Copy RUN_DIR (its report, tables, notebooks, manifest and inputs/) to DIR/published/<period>/, "
        "the record of what the board saw; nothing changes it afterwards. Publishing a period again needs "
        "--replace and --reason (logged in changes.csv).",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by kpikit run")
    p.add_argument("--replace", action="store_true", help="publish this run although the period is published already")
    p.add_argument("--reason", metavar="TEXT", help="why the published report is replaced (required with --replace)")
    p.add_argument("--decided-by", metavar="WHO", default="", help="who decided the replacement (for changes.csv)")
    p.add_argument("--engagement", metavar="DIR", help="the engagement folder, for a run written elsewhere with --out")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kpikit.run.publish import publish

    try:
        result = publish(args.run_dir, engagement=args.engagement, replace=args.replace, reason=args.reason,
                         decided_by=args.decided_by)
    except EngagementError as exc:
        return print_input_errors(args.engagement or args.run_dir, exc, "nothing was published")
    what = "replaced and published" if result.replaced else "published"
    print(f"{result.period}: {what} in {result.folder}")
    if result.replaced:
        print(f"  the earlier copy is kept in {result.replaced}")
    return EXIT_OK
