"""``kpikit portfolio ROOT``: the consultancy's one page over every client under ROOT.

Writes ``ROOT/portfolio.html`` and ``ROOT/portfolio.csv`` from the clients' latest runs
(:mod:`kpikit.run.portfolio`); runs nothing, changes no client file. Exit status: 0 written;
2 ROOT is not a folder or holds no engagement folder; 5 ROOT cannot be written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kpikit.cli import EXIT_OK
from kpikit.errors import CannotWriteError, RunSetupError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "portfolio",
        help="one page over every client's latest run (for the consultancy, never a client)",
        description="Write ROOT/portfolio.html and ROOT/portfolio.csv: one row per engagement folder under ROOT "
        "with its latest run, overall score, KPIs by status, stale data, broken sources, overdue actions, findings "
        "by severity, last publication and report link, most in need of attention first; and the anonymised "
        "benchmark library (metrics shared by at least 5 clients, no client named, no single value shown).",
    )
    p.add_argument("root", metavar="ROOT", help="the folder whose sub-folders are engagement folders")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kpikit.run.portfolio import client_folders, write_portfolio

    root = Path(args.root)
    if not root.is_dir():
        raise RunSetupError("no such folder", str(root))
    folders = client_folders(root)
    if not folders:
        raise RunSetupError("no engagement folders (a folder with engagement.yaml) directly under this folder", str(root))
    try:
        html, csv = write_portfolio(root, folders)
    except OSError as exc:
        raise CannotWriteError(f"cannot write the portfolio: {exc.strerror or exc}", str(root)) from exc
    print(html)
    print(csv)
    return EXIT_OK
