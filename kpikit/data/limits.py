"""The kit's resource limits for input: how big a file, a YAML document, a cell or a message may be.

One module, so that every reader applies the same bounds and the documentation
(``docs/reliability.md``, section "Inputs") lists them from one place. A limit turns a
hostile or careless input (a 300 MB logo, a YAML alias bomb, a cell of a gigabyte)
into one clear ``FILE:LINE`` message in bounded time and memory, instead of a hang,
a killed kernel or an error line of gigabytes. Each value is far above what a real
engagement needs (the demo's largest file is under 100 KB; a 100,000-row actuals file
is about 3 MB) and low enough that reading the worst allowed input stays cheap.

>>> shorten("x" * 500, 10)
'xxxxxxxxx…'
>>> quote("a" * 100)[:6], quote(["a"] * 1000)[:12]
("'aaaaa", "['a', 'a', '")
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from dataclasses import dataclass

from kpikit.errors import Problem
from kpikit.text import short

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class FileKind:
    """A kind of file the kit reads from the engagement folder, and the most bytes it reads of it."""

    what: str
    """How messages name it: ``'the logo'``, ``'a CSV file'``."""
    max_bytes: int


CONFIG = FileKind("engagement.yaml", 256 * KIB)
"""engagement.yaml: a real one is 1 to 5 KB; 256 KB leaves room for long texts and many pillars."""
CSV = FileKind("a CSV file", 32 * MIB)
"""One table: ten times a 100,000-row actuals file (about 3 MB); the largest allowed file validates in seconds."""
LOGO = FileKind("the logo", 2 * MIB)
"""The cover logo: embedded base64 in report.html and the PDF; a print-quality logo is well under 1 MB."""
QUERY = FileKind("a query file", 256 * KIB)
"""A ``.sql`` file of a data source (contract: Data sources): a long query is a few KB."""
SOURCE = FileKind("a data source file", 4 * 1024 * MIB)
"""A file source read by DuckDB (an extract): DuckDB streams it, so 4 GB costs time, not memory (benchmarks/)."""
SOURCE_ROWS = 1_000_000
"""Rows one query may return: a metric's history is tens of rows; a bulk query over 1,000 metrics, thousands."""

MAX_CSV_ROWS = 500_000
"""Data rows per CSV file: five times the 100,000 rows the kit is benchmarked on. 500,000 actuals validate
in about 5 s and 300 MB on the 2-core test machine; a file of short lines is small on disk but not in memory."""
MAX_CSV_COLUMNS = 200
"""Columns in a CSV header: a table has at most 15 of its own plus the scoring criteria."""
MAX_CELL_CHARS = 10_000
"""Characters in one CSV cell: a long definition is a few hundred; 10,000 is about four printed pages."""
MAX_YAML_NODES = 10_000
"""Values in engagement.yaml after expanding aliases (``*name``): a real file has about 100."""
MAX_YAML_DEPTH = 50
"""Nesting depth of engagement.yaml (lists in mappings in lists...): a real file has 4."""
MAX_QUOTED_CHARS = 80
"""Characters of a user's value quoted inside a message (the rest is cut with an ellipsis)."""
MAX_MESSAGE_CHARS = 400
"""Characters of one problem's message."""
MAX_PROBLEMS = 1_000
"""Problems listed in one error; the rest are counted in a final line."""

_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxlist, _repr.maxdict, _repr.maxtuple = 2, 6, 6, 6
_repr.maxstring = _repr.maxother = _repr.maxlong = MAX_QUOTED_CHARS


def shorten(text: str, n: int = MAX_QUOTED_CHARS) -> str:
    """``text`` cut to ``n`` characters with an ellipsis (``text.short``), for values quoted in messages."""
    return short(text, n)


def printable(text: str) -> str:
    r"""``text`` on one line with control characters escaped: a message stays one ``FILE:LINE`` line, and a
    terminal escape sequence in a cell is shown, not obeyed.

    >>> printable("a\nb\x1b[31m")
    'a\\nb\\x1b[31m'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def quote(value: object) -> str:
    """A user's value as a message shows it: ``'text'`` cut short, or a bounded repr of anything else.

    The repr never walks a whole structure (an alias bomb's nested lists), so quoting costs
    the same for a value of a byte or of a gigabyte.
    """
    if isinstance(value, str):
        return f"'{shorten(printable(value[: MAX_QUOTED_CHARS * 2]))}'"
    return shorten(printable(_repr.repr(value)))


def bound_message(message: str, n: int = MAX_MESSAGE_CHARS) -> str:
    """A message cut to ``n`` characters, keeping its start and its end (where the hint is)."""
    if len(message) <= n:
        return message
    tail = n // 4
    return message[: n - tail - 3].rstrip() + " … " + message[-tail:].lstrip()


def bound_problems(problems: Iterable[Problem], limit: int = MAX_PROBLEMS) -> list[Problem]:
    """Problems with bounded one-line messages, at most ``limit`` of them plus one line counting the rest.

    The kept problems are the first in file and line order, as a reader goes through them.
    """
    unique = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.message))
    out = [
        p if len(p.message) <= MAX_MESSAGE_CHARS and p.message.isprintable()
        else Problem(p.file, p.line, bound_message(printable(p.message)), p.column, p.row)
        for p in unique[:limit]
    ]
    if len(unique) > limit:
        rest = unique[limit:]
        files = sorted({p.file for p in rest})
        out.append(Problem(
            rest[0].file, rest[0].line,
            f"... and {len(rest)} more problems (in {', '.join(files[:5])}{', ...' if len(files) > 5 else ''}); "
            "fix these first",
        ))
    return out


def size_text(n: int) -> str:
    """A byte count as a person reads it: ``'2 MB'``, ``'300 KB'``, ``'12 bytes'``.

    >>> size_text(2 * MIB), size_text(300 * KIB), size_text(12), size_text(int(2.5 * MIB))
    ('2 MB', '300 KB', '12 bytes', '2.5 MB')
    """
    if n >= MIB:
        return f"{n / MIB:.1f}".removesuffix(".0") + " MB"
    if n >= KIB:
        return f"{n / KIB:.1f}".removesuffix(".0") + " KB"
    return f"{n} bytes"


# -- Excel workbooks (kpikit excel import) ---------------------------------------------------
XLSX = FileKind("a workbook", 64 * MIB)
"""The .xlsx file as stored (zip-compressed): a workbook of the largest allowed tables is well under 30 MB."""
MAX_XLSX_SHEET_BYTES = 128 * MIB
"""One sheet's XML, expanded: openpyxl streams it; 500,000 actuals rows are about 80 MB of XML."""
MAX_XLSX_PART_BYTES = 32 * MIB
"""Any other part, expanded (shared strings, styles, the workbook index): openpyxl reads these whole into memory."""
MAX_XLSX_EXPANDED_BYTES = 512 * MIB
"""All parts together, expanded: what checking the zip has to decompress."""
MAX_XLSX_PARTS = 10_000
"""Zip entries in one workbook: a real one has 20 to 40."""
MAX_XLSX_ROWS = MAX_CSV_ROWS + 1
"""Rows one sheet may hold in its XML (header included; empty rows Excel keeps for formatting count too)."""
