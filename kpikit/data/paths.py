"""The one rule for every file the kit reads from an engagement folder.

A report is emailed to a client, so it may only ever contain the engagement's own files.
Every path the kit reads from the folder (``engagement.yaml``, the CSV tables, the logo
named by ``report.logo``, and any later source or query file) passes :func:`read_inside`,
which enforces :data:`RULE`:

1. written relative to the engagement folder with ``/`` between folders: not absolute
   (``/etc/x``, ``C:\\x``, ``~/x``), no ``..`` part, no backslash, no NUL;
2. inside the folder after following symbolic links (a link to another file of the
   folder is fine; a link out of it is refused);
3. a regular file: not a folder, device (``/dev/zero``), named pipe or socket. The file
   is opened without blocking, so a named pipe is refused at once instead of hanging;
4. no larger than its kind's limit (``kpikit.data.limits``), checked before reading and
   again while reading (a file that grows is cut off, never read to the end).

A violation raises :class:`~kpikit.errors.FolderFileError`; the config loader turns it
into ``engagement.yaml:LINE`` for a setting, the store into ``FILE`` for a table.

>>> written_problem("brand/logo.png") is None, written_problem("../x.png")
(True, "goes up out of the engagement folder with '..': name a file inside the folder, like brand/logo.png")
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from kpikit.data.limits import FileKind, size_text
from kpikit.errors import FolderFileError

RULE = (
    "a file inside the engagement folder, written relative to it (brand/logo.png), that stays inside it after "
    "following symbolic links, and is a regular file (not a folder, device, pipe or socket) within its size limit"
)
EXAMPLE = "name a file inside the folder, like brand/logo.png"
_DRIVE = re.compile(r"^[A-Za-z]:")
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens at once instead of waiting for a writer
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_NOFOLLOW", 0)  # the path is already resolved: a link swapped in since is refused
    | getattr(os, "O_BINARY", 0)
)


def written_problem(name: str) -> str | None:
    """What is wrong with a path as written (before looking at the disk), or None if it may be used."""
    if not name.strip():
        return "is empty: " + EXAMPLE
    if "\x00" in name:
        return "contains a NUL character: " + EXAMPLE
    if name.startswith(("/", "\\", "~")) or _DRIVE.match(name):
        return "is an absolute path: write it relative to the engagement folder, like brand/logo.png"
    if "\\" in name:
        return "contains '\\': separate folders with '/', like brand/logo.png"
    if ".." in name.split("/"):
        return "goes up out of the engagement folder with '..': " + EXAMPLE
    return None


def locate(folder: Path, name: str) -> Path:
    """The real path of ``name`` in ``folder``, symbolic links followed; raise if it breaks rule 1 or 2."""
    problem = written_problem(name)
    if problem is not None:
        raise FolderFileError(name, problem)
    target = Path(folder) / name
    if not os.path.lexists(target):
        raise FolderFileError(name, "is not in the engagement folder", missing=True)
    try:
        root = Path(folder).resolve(strict=True)
        real = target.resolve(strict=True)
    except FileNotFoundError:
        raise FolderFileError(name, "is a symbolic link to a file that does not exist") from None
    except (OSError, RuntimeError):  # a link loop
        raise FolderFileError(name, "cannot be followed (a loop of symbolic links?)") from None
    if not real.is_relative_to(root):
        raise FolderFileError(
            name, "leads out of the engagement folder (a symbolic link): a report may only contain the "
            "engagement's own files, so copy the file into the folder",
        )
    return real


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _open_checked(folder: Path, name: str, kind: FileKind) -> tuple[int, int]:
    """An open descriptor of the file and its size, after every rule but reading."""
    real = locate(folder, name)
    try:
        mode = os.stat(real).st_mode
    except OSError as exc:
        raise FolderFileError(name, f"cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):  # decided before opening: opening a device or a pipe can block or have effects
        raise FolderFileError(name, f"is {_kind_of(mode)}, not a regular file")
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except PermissionError:
        raise FolderFileError(name, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise FolderFileError(name, f"cannot be opened ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped since the stat above
            raise FolderFileError(name, f"is {_kind_of(st.st_mode)}, not a regular file")
        if st.st_size > kind.max_bytes:
            raise FolderFileError(name, _too_big(st.st_size, kind))
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _too_big(size: int, kind: FileKind) -> str:
    return f"is {size_text(size)}; {kind.what} may be at most {size_text(kind.max_bytes)} (see docs/reliability.md)"


def check_inside(folder: Path, name: str, kind: FileKind) -> None:
    """Raise :class:`FolderFileError` unless ``name`` may be read from ``folder`` (nothing is read)."""
    fd, _ = _open_checked(folder, name, kind)
    os.close(fd)


def read_inside(folder: Path, name: str, kind: FileKind) -> bytes:
    """The bytes of ``name`` in ``folder`` if it obeys :data:`RULE`; raise :class:`FolderFileError` if not."""
    fd, _ = _open_checked(folder, name, kind)
    try:
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 * 1024 * 1024, kind.max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > kind.max_bytes:
                raise FolderFileError(name, _too_big(total, kind) + ", and it grew while being read")
    except OSError as exc:
        raise FolderFileError(name, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    return b"".join(chunks)
