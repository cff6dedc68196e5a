"""``kpikit new DIR --client NAME``: a fresh engagement folder from ``templates/engagement``.

Exit status: 0 created; 1 DIR exists and is not empty (the contract's input error);
5 DIR cannot be made there: a dangling symbolic link, a path under a regular file, a
read-only or full disk, no permission. Then whatever this command had made is removed
again, and the message says what is in the way.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from kpikit.cli import EXIT_OK
from kpikit.errors import CannotWriteError
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


def in_the_way(dest: Path) -> str | None:
    """Why ``dest`` cannot become a folder, found before writing anything; None when nothing is in the way.

    A regular file at ``dest`` itself is left to the scaffold (exists and is not empty: exit 1).
    """
    if dest.is_symlink() and not dest.exists():
        return f"is a symbolic link to {os.readlink(dest)}, which does not exist; remove the link or choose another folder"
    for parent in dest.parents:
        if parent.is_symlink() and not parent.exists():
            return f"{parent} is a symbolic link to {os.readlink(parent)}, which does not exist"
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder; a folder cannot be made under it"
            return None
    return None


def first_missing(dest: Path) -> Path | None:
    """The outermost folder of ``dest``'s path that does not exist yet (what a failure must remove)."""
    missing = None
    for p in [dest, *dest.parents]:
        if p.exists() or p.is_symlink():
            break
        missing = p
    return missing


def run(args: argparse.Namespace) -> int:
    dest = Path(args.dir)
    blocked = in_the_way(dest)
    if blocked:
        raise CannotWriteError(blocked, args.dir)
    made_here = first_missing(dest)
    try:
        created = create_engagement(args.dir, args.client)
    except OSError as exc:
        _undo(dest, made_here)
        reason = exc.strerror or type(exc).__name__
        raise CannotWriteError(f"cannot create the engagement folder here: {reason}; nothing was left behind", args.dir) from exc
    print(f"created {args.dir} for {args.client}: {', '.join(sorted(p.name for p in created))}")
    print(f"next: fill in the files, then `kpikit validate {args.dir}`")
    return EXIT_OK


def _undo(dest: Path, made_here: Path | None) -> None:
    """Remove what a failed ``new`` made: the folders it created, or the files it put in an empty one."""
    if made_here is not None:
        shutil.rmtree(made_here, ignore_errors=True)
        return
    with contextlib.suppress(OSError):  # an empty folder that existed: empty it again
        for p in dest.iterdir():
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink()
