"""``kpikit new DIR --client NAME``: a fresh engagement folder from ``templates/engagement``."""

from __future__ import annotations

import argparse
from typing import Any

from kpikit.cli import EXIT_OK
from kpikit.kit.scaffold import create_engagement


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "new",
        help="create an engagement folder ready to fill in",
        description="Create DIR with engagement.yaml, the required CSV files (headers and a commented "
        "example row) and a README explaining every file and column. Fails if DIR exists and is not empty.",
    )
    p.add_argument("dir", metavar="DIR", help="the folder to create")
    p.add_argument("--client", required=True, help="the client's display name")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    created = create_engagement(args.dir, args.client)
    print(f"created {args.dir} for {args.client}: {', '.join(sorted(p.name for p in created))}")
    print(f"next: fill in the files, then `kpikit validate {args.dir}`")
    return EXIT_OK
