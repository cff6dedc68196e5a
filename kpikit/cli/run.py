"""``kpikit run DIR`` and ``kpikit run --all ROOT``: execute the notebooks, write the deliverables.

Exit status (run-and-report.md): 0 done; 1 input errors (every ``FILE:LINE``
problem printed, nothing written); 2 a bad option or a refused output folder (not
empty, inside the engagement folder, or taken by another run: nothing written);
3 a notebook, the report or a write in the run folder (a full disk) failed: the run
folder keeps what was written and its manifest says where it failed; 4 with ``--refresh``,
a data source failed (nothing run, unless ``--keep-going``, which runs and still exits 4); 5 the run folder
cannot be created (a read-only engagement folder without ``--out``: nothing written);
130 Ctrl-C, 143 SIGTERM, 129 SIGHUP: ``manifest.json`` says ``interrupted``.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kpikit.cli import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SOURCE,
    EXIT_USAGE,
    SIGNAL_EXIT,
    print_input_errors,
)
from kpikit.errors import EngagementError
from kpikit.periods import FORMS_TEXT


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "run",
        help="run the notebooks for a client and write the report",
        description="Validate DIR, execute the notebooks on one kernel, and write findings.csv, "
        "scorecard.csv, objective_scores.csv, the executed notebooks, manifest.json and the report "
        "into DIR/runs/<UTC timestamp>/ (or --out). With --all ROOT, do that for every engagement "
        "folder directly under ROOT, in parallel worker processes.",
    )
    p.add_argument("dir", metavar="DIR", nargs="?", help="the engagement folder")
    p.add_argument("--all", metavar="ROOT", dest="all_root", help="run every engagement folder directly under ROOT")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="parallel clients with --all (default: CPU count, at most 4)")
    p.add_argument("--out", metavar="OUT", help="output folder (new or empty); with --all, OUT/<client folder name>")
    p.add_argument("--period", metavar="P", help=f"review period ({FORMS_TEXT}); default current_period")
    p.add_argument("--format", dest="formats", default="html,pdf,pptx", metavar="FMT",
                   help="report formats, any of html, pdf, pptx (the board deck), comma-separated (default: all three)")
    p.add_argument("--packs", metavar="WHO", default=None,
                   help="also write packs/units/<unit>.html|pdf (units), packs/owners/<person>.html|pdf (owners) and/or the review meeting pre-read packs/meeting.html|pdf (meeting): units,owners,meeting")
    p.add_argument("--notebooks", metavar="NBDIR", help="run these notebooks instead of the kit's own (name order)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--refresh", action="store_true",
                   help="first pull actuals from the declared data sources (kpikit refresh); a failure stops with exit 4")
    p.add_argument("--cluster", metavar="local:N",
                   help="with --all: run the clients on a new Dask LocalCluster of N worker processes (pip install 'kpikit[cluster]')")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="with --all: run the clients on a running Dask scheduler (client folders on a shared file system)")
    p.add_argument("--force", action="store_true",
                   help="run even a client whose inputs, notebooks, kit, period and options are unchanged since its last successful run")
    p.add_argument("--keep-going", action="store_true",
                   help="with --refresh: write the metrics that succeeded and run anyway (still exit 4)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from kpikit.run.slow_imports import skip_slow_optional_imports

    # This process is kpikit's own and is about to import nbformat, papermill and
    # nbconvert: skip jsonschema's 2 s IRI grammar (kpikit.run.slow_imports says why).
    skip_slow_optional_imports()
    if (args.dir is None) == (args.all_root is None):
        print("kpikit run: give either DIR or --all ROOT", file=sys.stderr)
        return EXIT_USAGE
    if (args.cluster or args.scheduler) and args.all_root is None:
        print("kpikit run: --cluster and --scheduler go with --all ROOT", file=sys.stderr)
        return EXIT_USAGE
    if args.cluster and args.scheduler:
        print("kpikit run: give either --cluster or --scheduler", file=sys.stderr)
        return EXIT_USAGE
    if args.workers is not None and args.workers < 1:
        print("kpikit run: --workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    from kpikit.run.runner import parse_formats

    formats = parse_formats(args.formats)
    if args.packs is not None and (args.cluster or args.scheduler):
        print("kpikit run: --packs goes with DIR or with --all on the local pool, not yet with --cluster or --scheduler",
              file=sys.stderr)
        return EXIT_USAGE
    if args.all_root is not None:
        return _run_all(args, formats, _refresh_all(args) if args.refresh else {})
    refreshed = _refresh_first(args)
    if refreshed not in (EXIT_OK, EXIT_SOURCE) or (refreshed == EXIT_SOURCE and not args.keep_going):
        return refreshed
    code = _run_one(args, formats)
    return EXIT_SOURCE if code == EXIT_OK and refreshed == EXIT_SOURCE else code


def _refresh_first(args: argparse.Namespace) -> int:
    """``--refresh`` with one DIR: refresh it before running; its status.

    A failing source stops the run with exit 4 (nothing run), unless ``--keep-going``: then the
    metrics that succeeded are written, the run goes ahead, and it exits 4.
    """
    if not args.refresh:
        return EXIT_OK
    from kpikit.cli.refresh import refresh_folder

    code = refresh_folder(args.dir, keep_going=args.keep_going, quiet=args.quiet, diff_to_stderr=True)
    if code not in (EXIT_OK, EXIT_SOURCE):
        print("kpikit run: the refresh found input errors; nothing was run", file=sys.stderr)
    elif code == EXIT_SOURCE and not args.keep_going:
        print("kpikit run: a data source failed (listed above); nothing was run "
              "(--keep-going writes the metrics that succeeded and runs)", file=sys.stderr)
    return code


def _refresh_all(args: argparse.Namespace) -> dict[str, int]:
    """``--all --refresh``: refresh every client first (lines prefixed with its folder's name); each one's status.

    As with one DIR, per client: a client whose refresh fails is not run (exit 4 in the summary,
    input errors exit 1) unless ``--keep-going``; the other clients run as usual.
    """
    from kpikit.cli.refresh import refresh_folder
    from kpikit.run.batch import find_engagements

    return {str(f): refresh_folder(str(f), keep_going=args.keep_going, quiet=args.quiet, diff_to_stderr=True,
                                   prefix=f"{f.name}: ")
            for f in find_engagements(Path(args.all_root))}


def _not_run(folder: str, code: int) -> Any:
    """The summary row of a client whose refresh stopped it (``--all --refresh``)."""
    from kpikit.data.store import load_engagement
    from kpikit.run.batch import ClientOutcome
    from kpikit.run.refresh import failure_summary

    try:
        client = load_engagement(folder).client
    except Exception:  # input errors: the folder's name, as the batch does
        client = Path(folder).name
    if code == EXIT_SOURCE:
        return ClientOutcome(folder, client, "refresh failed", 0.0,
                             error=f"not run, exit 4: a data source failed: {failure_summary(folder)}")
    return ClientOutcome(folder, client, "input errors", 0.0,
                         error=f"not run, exit {code}: the refresh found input errors (listed above)")


def _progress(quiet: bool, prefix: str = "") -> Any:
    if quiet:
        return None

    def say(line: str) -> None:
        print(f"{prefix}{line}", file=sys.stderr, flush=True)

    return say


def _run_one(args: argparse.Namespace, formats: frozenset[str]) -> int:
    from kpikit.run.incremental import prepare, record_success, unchanged_line
    from kpikit.run.runner import execute_plan

    try:
        plan, key, skip = prepare(args.dir, out=args.out, period=args.period, formats=formats,
                                  notebooks=args.notebooks, force=args.force, packs=args.packs)
    except EngagementError as exc:
        return print_input_errors(args.dir, exc, "nothing was run")
    say = _progress(args.quiet)
    if skip is not None:
        print(f"kpikit run: {plan.eng.client}: {unchanged_line(skip)}", file=sys.stderr)
        for p in skip.reports:
            print(p)
        print(skip.run_dir)
        return EXIT_OK
    if say:
        say(f"{plan.eng.client}: {len(plan.notebooks)} notebooks, period {plan.period or '(none)'}")
    try:
        with _signals_interrupt():
            result = execute_plan(plan, progress=say)
            record_success(result, key)
    except KeyboardInterrupt as exc:
        name = getattr(exc, "signal_name", "SIGINT")
        out_dir = getattr(exc, "out_dir", None)
        where = f"; partial outputs and manifest.json (interrupted) in {out_dir}" if out_dir else ""
        print(f"kpikit run: interrupted by {name}{where}", file=sys.stderr)
        return SIGNAL_EXIT.get(name, 130)
    if result.ok:
        if say:
            say(f"{plan.eng.client}: succeeded in {result.seconds:.1f}s")
        for p in result.reports:
            print(p)
        print(result.out_dir)
        return EXIT_OK
    assert result.failure is not None
    print(f"kpikit run: FAILED {result.failure.describe()}", file=sys.stderr)
    print(f"kpikit run: partial outputs and manifest.json in {result.out_dir}", file=sys.stderr)
    return EXIT_FAILED


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP stop the run the same way: the manifest says ``interrupted``.

    Ctrl-C raises :class:`~kpikit.run.runner.Interrupted` like any KeyboardInterrupt; so
    do a ``kill`` (SIGTERM) and a closed terminal (SIGHUP), which would otherwise end the
    process with the manifest stuck at ``running``. A second signal during the clean-up
    stops at once. Handlers can only be set in the main thread; elsewhere nothing changes.
    """
    from kpikit.run.runner import Interrupted

    def handler(signum: int, _frame: object) -> None:
        raise Interrupted(signal.Signals(signum).name)

    wanted = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]
    previous = {}
    with contextlib.suppress(ValueError):  # not the main thread
        for s in wanted:
            if s == signal.SIGINT and signal.getsignal(s) is signal.SIG_IGN:
                continue  # started in the background with Ctrl-C ignored: keep it so
            previous[s] = signal.signal(s, handler)
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def _run_all(args: argparse.Namespace, formats: frozenset[str], refreshed: dict[str, int]) -> int:
    """``--all``: every client (but those whose ``--refresh`` stopped them); the summary; 3 if any failed, else 4
    if a refresh failed, else 0."""
    from kpikit.run.batch import default_workers, find_engagements, run_all

    root = Path(args.all_root)
    stopped = {f: c for f, c in refreshed.items() if c != EXIT_OK and not (c == EXIT_SOURCE and args.keep_going)}
    folders = [f for f in find_engagements(root) if str(f) not in stopped]
    source_failed = EXIT_SOURCE in refreshed.values()
    if args.cluster or args.scheduler:
        from kpikit.run.cluster import parse_cluster, run_on_dask

        if args.cluster:
            parse_cluster(args.cluster)  # exit 2 before anything starts
        results = run_on_dask(
            folders, cluster=args.cluster, scheduler=args.scheduler,
            out=Path(args.out) if args.out else None, period=args.period, formats=sorted(formats),
            notebooks=str(Path(args.notebooks).resolve()) if args.notebooks else None,
            force=args.force, progress=_progress(args.quiet),
        )
        return _summary(results, stopped, source_failed)
    results = run_all(
        root,
        folders=folders,
        workers=args.workers or default_workers(),
        out=Path(args.out) if args.out else None,
        period=args.period,
        formats=formats,
        notebooks=args.notebooks,
        progress=_progress(args.quiet),
        force=args.force,
        packs=args.packs,
    )
    return _summary(results, stopped, source_failed)


def _summary(results: list[Any], stopped: dict[str, int], source_failed: bool) -> int:
    """Print the batch summary (the clients a refresh stopped in their place, folder order); the exit status."""
    from kpikit.run.batch import format_summary

    rows = sorted([*results, *(_not_run(f, c) for f, c in stopped.items())], key=lambda r: str(r.folder))
    print(format_summary(rows))
    if not rows or any(not r.ok and stopped.get(r.folder) != EXIT_SOURCE for r in rows):
        return EXIT_FAILED  # a run failed, or input errors (as in any batch)
    return EXIT_SOURCE if source_failed or stopped else EXIT_OK

