"""Saves of several files that happen all together or not at all, through a journal.

A save that changes several files (an Excel import, an editor's table and
``changes.csv``, an undo) must never leave some files new and others old: the folder
would still validate and say something nobody decided. :func:`commit` writes every new
file next to its target first (``.kpis.csv.<token>.kpikit-staged``, flushed and fsynced),
then the journal ``.kpikit/save-journal.json`` naming the staged files and their
SHA-256 (written atomically: this is the moment the save happens), then renames the staged
files over their targets, then removes the journal. :func:`recover`, called by every
read of the folder, finds a journal that was left behind and finishes that save (every
staged file is there with its hash), or else undoes it from the backup; a staged file
without a journal is a save that never reached its journal, and is removed. Either way
the user is told in one line, and the folder is entirely the old or entirely the new.
A lock (``flock`` on the folder, released by the kernel when a process dies) keeps a
load from judging a save that is still running in another process.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kpikit.data.csvio import atomic_write, sha256_bytes, sha256_file
from kpikit.data.schema import CONFIG_FILE, TABLES
from kpikit.errors import CannotWriteError, InterruptedSaveError

JOURNAL = Path(".kpikit") / "save-journal.json"
STAGED_SUFFIX = ".kpikit-staged"
_STAGED = re.compile(r"\.[A-Za-z0-9_.-]+\.[0-9a-f]{16}" + re.escape(STAGED_SUFFIX))
_FILES = frozenset({CONFIG_FILE, *(t.file for t in TABLES)})
_MAX_JOURNAL_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """One file of a save: its name, the staged file holding its new bytes, old and new SHA-256.

    ``new`` is None for a file the save deletes (an undo of a save that created it);
    ``old`` is None for a file the save creates.
    """

    file: str
    staged: str | None
    old: str | None
    new: str | None


def fsync_dir(path: Path) -> None:
    """Make a folder's renames and removals durable (a rename is not on disk until its folder is)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def save_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's save lock (one save or recovery at a time, across processes).

    The lock is ``flock`` on the folder itself: no lock file is left behind, and the
    kernel releases it when the process holding it dies (a killed save never blocks the next).
    """
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def commit(folder: Path, files: dict[str, bytes | None], backup: Path | None) -> None:
    """Write ``files`` (name -> new bytes, None to delete) into ``folder`` all together or not at all.

    The caller holds :func:`save_lock`. An OSError (disk full, read-only) before the
    journal is written leaves the folder as it was; after it, the next load finishes the save.
    """
    entries: list[Entry] = []
    try:
        for name, data in files.items():
            old = sha256_file(folder / name)
            if data is None:
                entries.append(Entry(name, None, old, None))
                continue
            staged = f".{name}.{secrets.token_hex(8)}{STAGED_SUFFIX}"
            _write_durably(folder / staged, data, folder / name)
            entries.append(Entry(name, staged, old, sha256_bytes(data)))
        fsync_dir(folder)
        record = {
            "kpikit_save_journal": 1,
            "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "backup": backup.relative_to(folder).as_posix() if backup is not None else None,
            "files": [e.__dict__ for e in entries],
        }
        atomic_write(folder / JOURNAL, json.dumps(record, indent=1).encode("utf-8"))
        fsync_dir((folder / JOURNAL).parent)
    except BaseException:
        for e in entries:
            if e.staged is not None:
                with contextlib.suppress(OSError):
                    os.unlink(folder / e.staged)
        raise
    _apply(folder, entries)


def _write_durably(path: Path, data: bytes, like: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    if like.exists():
        with contextlib.suppress(OSError):
            os.chmod(path, like.stat().st_mode & 0o777)


def _apply(folder: Path, entries: list[Entry]) -> None:
    """Roll the journal's save forward (idempotent: safe to repeat after a crash), then drop the journal."""
    for e in entries:
        target = folder / e.file
        if e.new is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
        elif e.staged is not None and os.path.lexists(folder / e.staged):
            os.replace(folder / e.staged, target)
    fsync_dir(folder)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / JOURNAL)
    fsync_dir((folder / JOURNAL).parent)


def target_of(path: str | os.PathLike[str]) -> str:
    """The file a staged file stands for (``.kpis.csv.<token>.kpikit-staged`` -> ``kpis.csv``), else its name.

    >>> target_of("/c/.kpis.csv.0123456789abcdef.kpikit-staged"), target_of("/c/kpis.csv")
    ('kpis.csv', 'kpis.csv')
    """
    name = Path(path).name
    if _STAGED.fullmatch(name):
        return name[1:].rsplit(".", 2)[0]
    return name


def _strays(folder: Path) -> list[str]:
    try:
        return sorted(n for n in os.listdir(folder) if n.endswith(STAGED_SUFFIX) and _STAGED.fullmatch(n))
    except OSError:
        return []


def pending(folder: Path) -> bool:
    """Whether a save was interrupted in ``folder`` (a journal or a staged file is left)."""
    return os.path.lexists(folder / JOURNAL) or bool(_strays(folder))


def recover(folder: str | os.PathLike[str]) -> str | None:
    """Finish or undo a save that was interrupted in ``folder``; one line saying what was done, or None.

    Raises :class:`~kpikit.errors.InterruptedSaveError` when neither is possible (a file
    changed by hand since, a backup gone), and :class:`~kpikit.errors.CannotWriteError`
    when the folder cannot be written (a read-only copy of a folder with a pending save).
    """
    path = Path(folder)
    if not pending(path):
        return None
    try:
        with save_lock(path):
            return _recover(path)
    except OSError as exc:
        raise CannotWriteError(
            f"a save was interrupted here and cannot be finished: {exc.strerror or exc}; "
            "make the folder writable and open it again", str(folder),
        ) from exc


def _recover(folder: Path) -> str | None:
    jpath = folder / JOURNAL
    if not os.path.lexists(jpath):
        strays = _strays(folder)
        for n in strays:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(folder / n)
        fsync_dir(folder)
        if not strays:
            return None
        return ("a save was interrupted before it changed any file; it was dropped and the files are "
                "as they were before it (make that edit again)")
    started, backup, entries = _read_journal(folder, jpath)
    names = ", ".join(e.file for e in entries)
    when = f" (started {started.replace('T', ' ').replace('Z', ' UTC')})" if started else ""
    if all(_done_or_ready(folder, e) for e in entries):
        _apply(folder, entries)
        return f"finished a save that was interrupted{when}: {names} now hold what was saved"
    blocked = [e.file for e in entries if not _undoable(folder, e, backup)]
    if blocked:
        where = f"; the files before the save are in {backup.relative_to(folder)}" if backup is not None else ""
        raise InterruptedSaveError(
            str(folder), f"a save that was interrupted{when} can be neither finished nor undone: "
            f"{', '.join(blocked)} changed since, or its backup is gone{where}. Check {names}, "
            f"then delete {JOURNAL.as_posix()}",
        )
    for e in entries:
        target = folder / e.file
        now = sha256_file(target)
        if now == e.old:
            pass
        elif e.old is None:
            target.unlink()
        else:
            assert backup is not None
            atomic_write(target, (backup / e.file).read_bytes())
        if e.staged is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(folder / e.staged)
    fsync_dir(folder)
    jpath.unlink()
    fsync_dir(jpath.parent)
    return (f"undid a save that was interrupted{when} (its new files were not complete): "
            f"{names} are as they were before it")


def _done_or_ready(folder: Path, e: Entry) -> bool:
    if e.new is None:
        return True
    if sha256_file(folder / e.file) == e.new:
        return True
    return e.staged is not None and sha256_file(folder / e.staged) == e.new


def _undoable(folder: Path, e: Entry, backup: Path | None) -> bool:
    now = sha256_file(folder / e.file)
    if now == e.old:
        return True
    if now != e.new and e.new is not None:
        return False  # neither the old nor the new file: changed by hand since
    if e.old is None:
        return True
    return backup is not None and sha256_file(backup / e.file) == e.old


def _read_journal(folder: Path, jpath: Path) -> tuple[str, Path | None, list[Entry]]:
    """The journal's start time, backup folder and entries; a file kpikit did not write is refused."""
    bad = InterruptedSaveError(
        str(folder), f"{JOURNAL.as_posix()} is not a save journal kpikit can read; check the files "
        "against the latest backup in .kpikit/backups, then delete it",
    )
    try:
        if jpath.is_symlink() or not jpath.is_file() or jpath.stat().st_size > _MAX_JOURNAL_BYTES:
            raise bad
        record = json.loads(jpath.read_bytes().decode("utf-8"))
        entries = [Entry(str(f["file"]), f["staged"], f["old"], f["new"]) for f in record["files"]]
        backup_text = record.get("backup")
        started = str(record.get("started") or "")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise bad from exc
    for e in entries:
        if e.file not in _FILES or (e.staged is not None and not _STAGED.fullmatch(str(e.staged))):
            raise bad
    backup: Path | None = None
    if backup_text is not None:
        rel = Path(str(backup_text))
        if rel.is_absolute() or ".." in rel.parts or rel.parts[:2] != (".kpikit", "backups"):
            raise bad
        backup = folder / rel
    return started, backup, entries
