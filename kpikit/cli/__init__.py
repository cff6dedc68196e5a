"""The ``kpikit`` command line: a thin layer over the Python API.

Each subcommand lives in its own module with two functions, ``register(subparsers)``
and ``run(args) -> int``; this module only wires them together and turns every
:class:`~kpikit.errors.KpikitError` into a clean message and an exit status, so no
traceback ever reaches a user. Everything printed goes through
:mod:`kpikit.cli.terminal`, which neutralises terminal control characters.

Exit status, for every command (docs/reliability.md lists them with their tests):
0 done; 1 input errors in the engagement's files; 2 a bad option or a refused request
(an output folder that is in use, not empty or inside the engagement folder); 3 a run
failed (notebook, report, or a write in the run folder: ``manifest.json`` says which);
4 a data source failed (refresh); 5 the file system refused a write (read-only, full,
no permission, a file where a folder must be) and nothing half-made was left;
130 interrupted by Ctrl-C (143 by SIGTERM, 129 by SIGHUP).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from kpikit.cli.terminal import guarded
from kpikit.errors import EngagementError, KpikitError

SUBCOMMANDS = ("new", "validate", "lab", "excel", "refresh", "run", "publish", "compare", "portfolio")
"""Modules of ``kpikit.cli`` that provide a subcommand, in ``--help`` order."""

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
EXIT_SOURCE, EXIT_CANNOT_WRITE = 4, 5
EXIT_INTERRUPTED = 130
SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}
"""128 + the signal's number, as shells report a process stopped by it."""


def period_arg(text: str) -> str:
    """``--period`` values, checked when the command line is read (exit 2 with usage, no traceback).

    Use as ``add_argument("--period", type=period_arg)``; the value stays the text the user typed.
    """
    from kpikit.periods import Period

    try:
        Period.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def print_input_errors(folder: str, exc: EngagementError, then: str = "") -> int:
    """Every input problem on stdout (``FILE:LINE: message``), a count on stderr; returns exit 1.

    One place for what validate, run, excel and lab say about a folder with input errors.
    """
    for problem in exc.problems:
        print(problem)
    n = len(exc.problems)
    print(f"{folder}: {n} input error{'s' if n != 1 else ''}{'; ' + then if then else ''}", file=sys.stderr)
    return EXIT_INPUT


def build_parser() -> argparse.ArgumentParser:
    from kpikit import __version__

    parser = argparse.ArgumentParser(
        prog="kpikit",
        description="The KPI-alignment kit: validate an engagement folder, run its notebooks, build the report.",
    )
    parser.add_argument("--version", action="version", version=f"kpikit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name.replace('-', '_')}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with guarded():
        return _main(argv)


def os_error_line(exc: OSError) -> str:
    """An OSError as one line for a user: ``/x/y: Read-only file system``."""
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except KpikitError as exc:
        print(f"kpikit: {exc}", file=sys.stderr)
        code = getattr(exc, "exit_code", EXIT_INPUT)
    except KeyboardInterrupt:
        print("kpikit: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`kpikit validate DIR --findings | head`): stop quietly, as Unix tools do;
        # stdout goes to devnull so the interpreter's final flush does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141  # 128 + SIGPIPE
    except OSError as exc:  # the last net: a file-system refusal is a message, never a traceback
        print(f"kpikit: the file system refused: {os_error_line(exc)}", file=sys.stderr)
        code = EXIT_CANNOT_WRITE
    return code


def entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
