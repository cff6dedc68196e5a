"""The run folder: where it may be, who owns it, and what it may say about this machine.

Four promises (docs/reliability.md, "Runs, outputs and signals") live here:

* **Never among the client's files.** ``--out`` inside the engagement folder is refused
  before anything is written (:func:`check_out_location`); only ``DIR/runs/`` is the kit's.
* **One run per folder.** A run owns its folder by creating ``manifest.json`` with
  ``O_EXCL`` (:func:`claim`): of two runs given the same ``--out`` one wins, the other is
  refused and writes nothing, so a report never sits beside another run's manifest.
* **A full disk still gets a manifest.** :func:`reserve_space` writes a hidden ballast
  file when the run starts; a manifest write that finds the disk full deletes it and
  tries again (:func:`write_with_reserve`), so the last word is ``failed`` with the reason.
* **No machine in the outputs.** Paths are recorded relative to the run folder
  (:func:`relative_to_run`), and absolute paths of this machine that a notebook printed
  (the run folder, the engagement folder, the home folder) are rewritten in the executed
  notebooks and failure messages (:class:`PathScrubber`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from kpikit.data.csvio import atomic_write
from kpikit.errors import CannotWriteError, RunSetupError
from kpikit.run.manifest import MANIFEST_FILE

RESERVE_FILE = ".kpikit-reserve"
RESERVE_BYTES = 64 * 1024
"""Ballast kept free for the last manifest writes (a seven-notebook manifest is about 3 KB)."""
STAGING_NAMES = (".report-staging",)
"""Hidden folders a run may leave while working; :func:`sweep` removes them at the end."""

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def os_reason(exc: OSError, scrub: Callable[[str], str] | None = None) -> str:
    """``No space left on device (notebooks/02.ipynb)``: an OSError as one line for a user."""
    reason = exc.strerror or type(exc).__name__
    name = exc.filename
    if name is None:
        return reason
    shown = str(name)
    if scrub is not None:
        shown = scrub(shown)
    return f"{reason} ({shown})"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_out_location(out: Path, engagement: Path, runs_dir: str) -> None:
    """Refuse an ``--out`` inside the engagement folder (other than under ``DIR/runs/``).

    Both paths are resolved (symlinks followed), so a link into the folder is caught too.
    A folder there would become part of the client's files: ``kpikit validate`` and the
    Excel export would meet it, and a name such as ``kpis.csv`` would break the engagement.
    """
    out_r, eng_r = out.resolve(), engagement.resolve()
    if _inside(out_r, eng_r / runs_dir) and out_r != eng_r / runs_dir:
        return
    if _inside(out_r, eng_r):
        raise RunSetupError(
            f"is inside the engagement folder {eng_r.name}; a run never writes among the client's files. "
            f"Choose a folder outside it, or leave out --out (the run then goes to {runs_dir}/<timestamp>/)",
            str(out),
        )
    if _inside(eng_r, out_r):
        raise RunSetupError("contains the engagement folder; choose a folder outside it", str(out))


def claim(out: Path, *, created: bool) -> None:
    """Own ``out`` for this run: create ``manifest.json`` exclusively, then check nothing else is there.

    ``created`` says this run made the folder (then a refusal removes it again). Raises
    :class:`RunSetupError` (exit 2) when another run got there first, and
    :class:`CannotWriteError` (exit 5) when the folder cannot be written at all.
    """
    path = out / MANIFEST_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise RunSetupError(
            "another run already uses this output folder (its manifest.json exists); choose another --out",
            str(out),
        ) from None
    except OSError as exc:
        _drop_folder(out, created)
        raise CannotWriteError(f"cannot write the run folder: {exc.strerror or exc}", str(out)) from exc
    os.close(fd)
    others = sorted(p.name for p in out.iterdir() if p.name != MANIFEST_FILE)
    if others:
        path.unlink()
        raise RunSetupError(
            f"the output folder is no longer empty ({', '.join(others[:3])}); a run never writes beside other files",
            str(out),
        )


def make_folder(out: Path) -> bool:
    """Create ``out`` (and its parents) if needed; True when this call created it."""
    try:
        out.mkdir(parents=True)
        return True
    except FileExistsError:
        if not out.is_dir():
            raise CannotWriteError("exists and is not a folder", str(out)) from None
        return False
    except OSError as exc:
        raise CannotWriteError(f"cannot create the run folder: {exc.strerror or exc}", str(out)) from exc


def _drop_folder(out: Path, created: bool) -> None:
    if created:
        with contextlib.suppress(OSError):
            shutil.rmtree(out)


def abandon(out: Path, created: bool) -> None:
    """Undo :func:`claim` when the run cannot even write its first manifest (a full or read-only disk)."""
    with contextlib.suppress(OSError):
        (out / RESERVE_FILE).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        (out / MANIFEST_FILE).unlink(missing_ok=True)
    _drop_folder(out, created)


def reserve_space(out: Path) -> None:
    """Write the ballast file (:data:`RESERVE_BYTES`); raises OSError when even that does not fit."""
    with open(out / RESERVE_FILE, "wb") as fh:
        fh.write(b"\0" * RESERVE_BYTES)
        fh.flush()
        os.fsync(fh.fileno())


def release_space(out: Path) -> bool:
    """Delete the ballast file; True if there was one."""
    try:
        (out / RESERVE_FILE).unlink()
        return True
    except FileNotFoundError:
        return False


def write_with_reserve(write: Callable[[], object], out: Path) -> None:
    """Call ``write``; when the disk is full, free the ballast and the staging, and try once more."""
    try:
        write()
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        freed = release_space(out)
        sweep(out)
        if not freed:
            raise
        write()


def sweep(out: Path) -> None:
    """Remove what a run leaves only while working: the report staging, half-written notebooks."""
    for name in STAGING_NAMES:
        shutil.rmtree(out / name, ignore_errors=True)
    nbs = out / "notebooks"
    if nbs.is_dir():
        for p in nbs.glob(".*"):
            with contextlib.suppress(OSError):
                p.unlink()


def relative_to_run(path: Path, out: Path) -> str:
    """``path`` as the run folder's notebooks reach it (they run with the run folder as working folder).

    >>> relative_to_run(Path("/c/acme"), Path("/c/acme/runs/20261203T120000Z"))
    '../..'
    """
    return Path(os.path.relpath(path, out)).as_posix()


def engagement_label(engagement: Path, out: Path) -> str:
    """What the manifest says about the engagement folder: its path from the run folder when
    the run is inside it (``../..``), else only the folder's name (nothing about this machine)."""
    eng_r, out_r = engagement.resolve(), out.resolve()
    if _inside(out_r, eng_r):
        return relative_to_run(eng_r, out_r)
    return eng_r.name


class PathScrubber:
    """Rewrite this machine's absolute paths as relative ones in text a run writes.

    The run folder becomes ``.``, the engagement folder its path from the run folder
    (``../..``) or ``<engagement>``, the home folder ``~``: a traceback in an executed
    notebook stays readable, and names neither the user nor the machine.
    """

    def __init__(self, out: Path, engagement: Path) -> None:
        out_r, eng_r = out.resolve(), engagement.resolve()
        eng_text = relative_to_run(eng_r, out_r) if _inside(out_r, eng_r) else "<engagement>"
        pairs = {str(out_r): ".", str(out): ".", str(eng_r): eng_text, str(engagement.absolute()): eng_text}
        home = Path.home()
        pairs.setdefault(str(home), "~")
        with contextlib.suppress(OSError):
            pairs.setdefault(str(home.resolve()), "~")
        # longest first, so /home/ann/clients/acme is not half-rewritten as ~/clients/acme
        self.pairs = sorted(((k, v) for k, v in pairs.items() if len(k) > 1), key=lambda kv: len(kv[0]), reverse=True)

    def __call__(self, text: str) -> str:
        for old, new in self.pairs:
            if old in text:
                # a whole path only: /root is the home folder, /rootfs is not
                text = re.sub(re.escape(old) + r"(/|(?![\w.-]))", _Join(new), text)
        return text

    def file(self, path: Path) -> None:
        """Rewrite one written file in place (atomically) when it holds one of the paths."""
        try:
            data = path.read_bytes()
        except OSError:
            return
        if not any(old.encode() in data for old, _ in self.pairs):
            return
        text = data.decode("utf-8", "surrogateescape")
        atomic_write(path, self(text).encode("utf-8", "surrogateescape"))


class _Join:
    """The replacement for one path: ``new``, or ``new/`` when the match went on into the folder."""

    def __init__(self, new: str) -> None:
        self.new = new

    def __call__(self, match: re.Match[str]) -> str:
        if not match.group(1):
            return self.new
        return "" if self.new == "." else self.new + "/"
