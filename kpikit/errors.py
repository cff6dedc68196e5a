"""Every error a user can cause, in one place.

All kpikit errors derive from :class:`KpikitError`, so a CLI or notebook can catch
one type and show a clean message instead of a traceback. Errors that concern the
engagement's files carry structured :class:`Problem` records (file, line, message)
rather than pre-formatted text, so that the same problem can be shown as
``metrics.csv:7: ...`` for a CSV file or ``metrics!D7: ...`` for an Excel sheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One input error: where it is and what is wrong.

    ``line`` is the 1-based line in the file (header = line 1), or ``None`` when the
    problem concerns the whole file. ``column`` names the column (lower-case) when
    the problem is about one cell; it lets other front ends (Excel) point at a cell.
    ``row`` is the 0-based data-row index in the table, when known.
    """

    file: str
    line: int | None
    message: str
    column: str | None = field(default=None, compare=False)
    row: int | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class KpikitError(Exception):
    """Base of every kpikit error; ``str(err)`` is a message fit for a user."""


class EngagementError(KpikitError):
    """The engagement folder has input errors; ``problems`` lists every one of them.

    >>> err = EngagementError("clients/x", [Problem("metrics.csv", 7, "direction 'sideways' is not one of up, down")])
    >>> str(err).splitlines()[1]
    "metrics.csv:7: direction 'sideways' is not one of up, down"
    """

    def __init__(self, folder: str, problems: Iterable[Problem]) -> None:
        self.folder = folder
        self.problems: list[Problem] = sorted(set(problems), key=_problem_key)
        n = len(self.problems)
        head = f"{folder}: {n} input error{'s' if n != 1 else ''}"
        super().__init__("\n".join([head, *(str(p) for p in self.problems)]))

    def format(self) -> list[str]:
        """The problems as text lines (``FILE:LINE: message``)."""
        return [str(p) for p in self.problems]


def _problem_key(p: Problem) -> tuple[str, int, str]:
    return (p.file, p.line or 0, p.message)


class NotAnEngagementError(KpikitError):
    """The path is not an engagement folder (missing, not a folder, or empty)."""


class FolderNotEmptyError(KpikitError):
    """``kpikit new`` was pointed at a folder that already holds files."""


class WorkspaceError(KpikitError):
    """The kit's step notebooks cannot be found or read, so no working copies can be made (``kpikit lab``)."""


class StaleFileError(KpikitError):
    """A file changed on disk since it was loaded; saving would overwrite someone's edit."""

    def __init__(self, files: Sequence[str]) -> None:
        self.files = list(files)
        super().__init__(
            "changed on disk since it was loaded: " + ", ".join(self.files) + " (reload, then edit again)"
        )


class EditConflictError(StaleFileError):
    """Someone else changed the same rows as this edit since it was loaded: they cannot both be kept."""

    def __init__(self, rows: Sequence[str]) -> None:
        self.rows = list(rows)
        files = sorted({r.split(":", 1)[0] for r in self.rows})
        super().__init__(files)
        self.args = ("changed on disk by someone else, in the same rows as your edit: " + ", ".join(self.rows[:8])
                     + (f" and {len(self.rows) - 8} more" if len(self.rows) > 8 else "")
                     + " (reload to see theirs; your edits to other rows are kept)",)

    def __str__(self) -> str:
        return str(self.args[0])


class ExcelError(KpikitError):
    """An Excel workbook could not be read (not xlsx, corrupt, or password-protected)."""


class ImportWriteError(ExcelError):
    """An Excel import was valid but the folder refused the write (full disk, read-only): exit 5.

    The message says whether anything changed (a save writes all its files or none).
    """

    exit_code = 5


class UndoError(KpikitError):
    """An editor's Undo cannot run (nothing saved yet, or the backup it needs is gone)."""

    def __init__(self, folder: str, reason: str) -> None:
        self.folder = folder
        self.reason = reason
        super().__init__(f"{folder}: {reason}")


class WorkbookInputError(KpikitError):
    """An imported Excel workbook has input errors, each located as ``SHEET!CELL``.

    ``problems`` are the validation's own records (file, line = the sheet's row, column);
    ``lines`` are the same problems as ``SHEET!CELL: message``, every one, in order.
    """

    def __init__(self, workbook: str, lines: Sequence[str], problems: Sequence[Problem]) -> None:
        self.workbook = workbook
        self.lines = list(lines)
        self.problems = list(problems)
        n = len(self.lines)
        super().__init__("\n".join([f"{workbook}: {n} input error{'s' if n != 1 else ''}", *self.lines]))


class KernelStartError(KpikitError):
    """The Jupyter kernel for a run did not start (after retrying)."""

    def __init__(self, kernel_name: str, attempts: int, reason: str) -> None:
        self.kernel_name = kernel_name
        self.attempts = attempts
        self.reason = reason
        super().__init__(f"kernel '{kernel_name}' did not start ({attempts} attempts): {reason}")


class RunSetupError(KpikitError):
    """A run cannot start: bad option, no notebooks, or an output folder already in use."""

    exit_code = 2

    def __init__(self, what: str, path: str | None = None) -> None:
        self.what = what
        self.path = path
        super().__init__(f"{path}: {what}" if path else what)


class ReportError(KpikitError):
    """The client report could not be built: unknown format, unreadable notebook, or a local path in it."""

    def __init__(self, message: str, notebook: str | None = None) -> None:
        self.notebook = notebook
        self.reason = message
        super().__init__(f"{notebook}: {message}" if notebook else message)


class ChartTooLargeError(KpikitError):
    """A chart refused before drawing (too many marks, an axis order too long for Vega).

    :mod:`kpikit.charts.render` catches it and draws the chart's data as a table with
    this message as the note, so a user sees the reason, never the error.
    """


class CannotWriteError(KpikitError):
    """The file system refused a write (read-only, full, no permission, a file where a folder must be).

    Its own exit status (5, ``kpikit.cli.EXIT_CANNOT_WRITE``): nothing is wrong with the
    input, the place to write is; whatever was half made has been removed.
    """

    exit_code = 5

    def __init__(self, what: str, path: str | None = None) -> None:
        self.what = what
        self.path = path
        super().__init__(f"{path}: {what}" if path else what)


class FolderFileError(KpikitError):
    """A file named by (or read from) the engagement folder breaks the folder-file rule (``data/paths.py``).

    ``reason`` is the sentence after the file's name; ``missing`` tells a caller for which
    an absent file is allowed (the logo) from every other failure.
    """

    def __init__(self, name: str, reason: str, missing: bool = False) -> None:
        self.name = name
        self.reason = reason
        self.missing = missing
        super().__init__(f"{name}: {reason}")


class InterruptedSaveError(KpikitError):
    """A save that was interrupted (a journal left in ``.kpikit/``) can be neither finished nor undone.

    Exit status 1, as for input errors: the folder needs a person to look at it; the
    message names the files, the backup and what to do.
    """

    exit_code = 1

    def __init__(self, folder: str, reason: str) -> None:
        self.folder = folder
        self.reason = reason
        super().__init__(f"{folder}: {reason}")


class RefusedError(KpikitError):
    """A request refused to protect the user's data (replacing a workbook, importing another client's).

    Exit status 2 (a refused request, ``kpikit.cli.EXIT_USAGE``); the message says how to go ahead.
    """

    exit_code = 2


class SourceError(KpikitError):
    """A data source or one of its queries failed during ``kpikit refresh`` (exit status 4).

    ``source`` is the source's name, ``metric`` the metric whose query failed (None when the
    whole source failed: down, refused, a bad bulk query); ``reason`` what the database or
    DuckDB said, with every credential removed.
    """

    exit_code = 4

    def __init__(self, source: str, reason: str, metric: str | None = None) -> None:
        self.source = source
        self.metric = metric
        self.reason = reason
        where = f"{source}/{metric}" if metric else source
        super().__init__(f"{where}: {reason}")
