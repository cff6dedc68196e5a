"""Reading and writing the engagement's CSV files, safely.

Reading keeps every record's physical start line (quoted fields may span lines), so
that validation can say ``FILE:LINE``. Writing is atomic: a temp file in the same
folder, flushed and fsynced, then renamed over the target, so a crash never leaves a
half-written file.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kpikit.data import limits
from kpikit.data.paths import read_inside
from kpikit.data.schema import TABLES
from kpikit.errors import FolderFileError, Problem

COMMENT_KINDS = frozenset({"id", "ref", "number", "period", "date", "enum"})
"""Kinds of column whose values can never start with ``#``: only a file whose first column is one of
these has comment rows (see :func:`comments_allowed`)."""


@dataclass
class RawTable:
    """A table as text: normalised header, rows of stripped cell strings, source lines.

    ``lines[i]`` is where row ``i`` starts in its file (header = 1). For an Excel
    sheet it is the sheet's row number. ``header_as_written`` keeps the original
    column names so that a rewritten file keeps them. ``skipped_ids`` are the IDs of
    rows that could not be read (too many fields): they are reported once, and rows
    elsewhere that refer to them are not reported again as unknown IDs.
    """

    file: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    header_as_written: list[str] = field(default_factory=list)
    skipped_ids: list[str] = field(default_factory=list)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str | None:
    try:
        return sha256_bytes(path.read_bytes())
    except FileNotFoundError:
        return None


def comments_allowed(file: str, first_column: str) -> bool:
    """Whether rows of ``file`` whose first cell starts with ``#`` are comments.

    Only when the file's first column holds values that can never start with ``#`` (an
    ID, a reference, a number, a period, a date or a choice): then such a row cannot be a
    valid data row, so skipping it loses nothing the kit could have read, and the
    scaffold's example rows (``# M-1,Customer retention,...``) stay comments. When the
    first column is text (a name, a note, an unknown column), every row is data: a note
    ``#1 confirmed by CFO`` placed first is kept.

    >>> comments_allowed("metrics.csv", "id"), comments_allowed("actuals.csv", "note")
    (True, False)
    """
    spec = next((t for t in TABLES if t.file == file), None)
    if spec is None or first_column not in spec.column_names:
        return False
    return spec.column(first_column).kind in COMMENT_KINDS


def parse_csv(data: bytes, file: str) -> tuple[RawTable | None, list[Problem]]:
    """Parse CSV bytes (UTF-8, optional BOM, any line ending, RFC 4180 quoting).

    Rows whose first cell starts with ``#`` are comments (the scaffold's examples) only
    when the first column cannot hold a ``#`` (:func:`comments_allowed`), so no data row
    is ever skipped; blank lines are skipped. Short rows are padded with empty cells. Header columns
    without a name are dropped when every cell under them is empty (spreadsheets
    export such stray columns); otherwise they are an error. A file whose quoting is
    broken gives one problem and no table: nothing after the break can be trusted.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(file, 1, "is UTF-16 text (Excel's 'Unicode Text'); save it as CSV UTF-8")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex()
        return None, [Problem(file, line, f"is not UTF-8 text (byte 0x{byte}); save it as CSV UTF-8")]
    if not text.strip():
        return None, [Problem(file, None, "is empty: it needs at least a header row")]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    header: list[str] | None = None
    written: list[str] = []
    rows: list[list[str]] = []
    lines: list[int] = []
    skipped_ids: list[str] = []
    id_at: int | None = None
    comments = False
    prev_end = 0
    while True:
        start = prev_end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            return None, [Problem(file, start, _csv_error(str(exc)))]
        prev_end = reader.line_num
        if not "".join(record).strip():  # blank line, or only separators
            continue
        if header is None:
            written = [c.strip().lstrip("\ufeff") for c in record]
            header = [c.lower() for c in written]
            seen: dict[str, int] = {}
            for i, name in enumerate(header):
                if name and name in seen:
                    problems.append(Problem(file, start, f"column '{name}' appears twice in the header"))
                seen.setdefault(name, i)
            if len(header) > limits.MAX_CSV_COLUMNS:
                return None, [Problem(
                    file, start, f"has {len(header):,} columns in its header, more than the {limits.MAX_CSV_COLUMNS} "
                    "a table may have (see docs/reliability.md): is this the right file?",
                )]
            id_at = seen.get("id")
            comments = comments_allowed(file, header[0])
            if len(header) == 1:
                sep = next((s for s in (";", "\t", "|") if s in header[0]), None)
                if sep is not None:
                    shown = "a tab" if sep == "\t" else f"'{sep}'"
                    return None, [Problem(
                        file, start, f"is separated by {shown}, not by commas: save it as 'CSV UTF-8 (comma delimited)'"
                    )]
            continue
        if comments and record[0].lstrip().startswith("#"):
            continue
        if len(rows) >= limits.MAX_CSV_ROWS:  # one problem and no table, as for a file that cannot be read
            return None, [*problems, Problem(
                file, start, f"has more than {limits.MAX_CSV_ROWS:,} data rows, the most one file may have "
                "(see docs/reliability.md): split the data or keep fewer periods",
            )]
        if len(record) > len(header):
            extra = record[len(header) :]
            if any(c.strip() for c in extra):
                problems.append(
                    Problem(
                        file,
                        start,
                        f"has {len(record)} fields but the header has {len(header)} columns "
                        "(put double quotes around a value that contains a comma)",
                    )
                )
                if id_at is not None and record[id_at].strip():
                    skipped_ids.append(record[id_at].strip())
                continue
            record = record[: len(header)]
        cells = [c.strip() for c in record]
        if max(map(len, cells), default=0) > limits.MAX_CELL_CHARS:
            _long_cells(cells, header, file, start, problems)
        if len(cells) < len(header):
            cells.extend([""] * (len(header) - len(cells)))
        rows.append(cells)
        lines.append(start)
    if header is None:
        return None, problems or [Problem(file, None, "is empty: it needs at least a header row")]
    unnamed = [i for i, name in enumerate(header) if not name]
    unnamed_used = False
    for i in unnamed:
        used = next((r for r, cells in enumerate(rows) if cells[i]), None)
        if used is not None:
            unnamed_used = True
            problems.append(Problem(
                file, 1, f"column {i + 1} of the header has no name, but line {lines[used]} has a value in it "
                f"('{rows[used][i]}'): name the column or delete it",
            ))
    if unnamed and not unnamed_used:
        keep = [i for i in range(len(header)) if i not in set(unnamed)]
        header, written = [header[i] for i in keep], [written[i] for i in keep]
        rows = [[cells[i] for i in keep] for cells in rows]
    return RawTable(file, header, rows, lines, written, skipped_ids), problems


def _long_cells(cells: list[str], header: list[str], file: str, line: int, problems: list[Problem]) -> None:
    """Report every cell of a row above ``limits.MAX_CELL_CHARS`` and cut it (so no message carries it whole)."""
    for j, c in enumerate(cells):
        if len(c) > limits.MAX_CELL_CHARS:
            name = header[j] or f"column {j + 1}"
            problems.append(Problem(
                file, line, f"{name}: the value is {len(c):,} characters long; a cell may have at most "
                f"{limits.MAX_CELL_CHARS:,} (it starts {limits.quote(c[:40])})", header[j] or None,
            ))
            cells[j] = limits.shorten(c)


def _csv_error(message: str) -> str:
    """Python's csv module's complaint, in words a spreadsheet user can act on."""
    if "unexpected end of data" in message:
        return "a quoted value that starts on this line is never closed (add the closing double quote)"
    if "expected after" in message:
        return ("a closing double quote must be followed by a comma or the end of the line "
                '(inside a quoted value, write a double quote as "")')
    if "field larger than field limit" in message:
        return (f"a value that starts on this line is longer than a cell may be ({limits.MAX_CELL_CHARS:,} characters): "
                "is a closing double quote missing?")
    if "NUL" in message:
        return "contains a NUL byte: is this a spreadsheet or other binary file saved as .csv?"
    return f"is not valid CSV: {limits.shorten(message)}"


def read_csv_file(path: Path) -> tuple[RawTable | None, bytes, list[Problem]]:
    """Read and parse one CSV file of an engagement folder; the bytes are returned for fingerprinting.

    The file obeys the folder-file rule (``data/paths.py``: inside the folder after following
    links, a regular file, at most ``limits.CSV`` bytes); a file that breaks it is one problem.
    """
    try:
        data = read_inside(path.parent, path.name, limits.CSV)
    except FolderFileError as exc:
        return None, b"", [Problem(path.name, None, exc.reason)]
    table, problems = parse_csv(data, path.name)
    return table, data, problems


def format_value(value: object) -> str:
    """A cell as the contract writes it: '' for missing, shortest exact form for numbers.

    >>> format_value(12.0), format_value(0.1), format_value(float("nan")), format_value("a")
    ('12', '0.1', '', 'a')
    """
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def to_csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """RFC 4180 CSV (quoting only where needed, ``\\n`` line ends) as UTF-8 bytes."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([v if type(v) is str else format_value(v) for v in row])
    return buf.getvalue().encode("utf-8")


def format_column(values: pd.Series) -> list[str]:
    """Every cell of a column as :func:`format_value` writes it, vectorised for numbers.

    >>> format_column(pd.Series([1.0, 0.25, float("nan")]))
    ['1', '0.25', '']
    """
    if values.dtype == np.float64:
        a = values.to_numpy()
        out = np.full(len(a), "", dtype=object)
        known = ~np.isnan(a)
        with np.errstate(invalid="ignore"):
            whole = known & (np.floor(a) == a) & (np.abs(a) < 1e15)
        out[whole] = a[whole].astype(np.int64).astype(str)
        rest = known & ~whole
        out[rest] = [repr(float(v)) for v in a[rest]]
        return [str(v) for v in out]
    return [v if type(v) is str else format_value(v) for v in values.tolist()]


def frame_cells(df: pd.DataFrame, strip: bool = False) -> list[list[str]]:
    """The table's rows as lists of cell text (the form CSV writing and re-validation need)."""
    columns = [format_column(df.iloc[:, i]) for i in range(df.shape[1])]
    if strip:
        columns = [[c.strip() for c in col] for col in columns]
    return [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in range(len(df))]


def frame_to_csv_bytes(df: pd.DataFrame, header: Sequence[str] | None = None) -> bytes:
    """A typed table back to CSV; ``header`` gives the names to write (default: columns)."""
    cols = list(df.columns)
    return to_csv_bytes(list(header) if header else cols, frame_cells(df))


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# -- writing a file back in its own style ----------------------------------------------------------
_FIELD = re.compile(r'("(?:[^"]|"")*"|[^,\r\n]*)(,|\r\n|\r|\n|\Z)')
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class RowSource:
    """Where an output row came from: the line its record starts on in the original file, and,
    per output column, whether the cell's value is unchanged (so its text is kept as written)."""

    line: int
    same: Sequence[bool]


@dataclass(frozen=True)
class _Record:
    start: int  # character offsets in the text, the line end included in [start, end)
    end: int
    line: int
    fields: list[str]  # raw field texts, quotes and spaces as written
    eol: str


def _unquote(raw: str) -> str:
    return raw[1:-1].replace('""', '"') if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"' else raw


_LINE = re.compile(r"[^\r\n]*(\r\n|\r|\n|\Z)")


def _records(text: str) -> list[_Record]:
    """Every record of CSV text (blank lines too), with its raw fields, line end and start line.

    A line without a double quote is one record split at its commas (the common case,
    fast); a record with quotes is read field by field, across the lines a quoted value spans.
    """
    out: list[_Record] = []
    pos, line, n = 0, 1, len(text)
    while pos < n:
        m = _LINE.match(text, pos)
        assert m is not None  # the pattern matches the empty string
        body = text[pos : m.start(1)]
        if '"' not in body:
            out.append(_Record(pos, m.end(), line, body.split(","), m.group(1)))
            pos, line = m.end(), line + 1
            continue
        fields: list[str] = []
        start = pos
        while True:
            f = _FIELD.match(text, pos)
            assert f is not None
            fields.append(f.group(1))
            pos = f.end()
            if f.group(2) != ",":
                break
            if pos >= n:  # a comma ends the text: one more, empty field
                fields.append("")
                break
        sep = f.group(2)
        out.append(_Record(start, pos, line, fields, sep if sep != "," else ""))
        line += len(_LINE_END.findall(text, start, pos))
    return out


def _blank(rec: _Record) -> bool:
    return not "".join(_unquote(f) for f in rec.fields).strip()


def _quoted_columns(records: Sequence[_Record], width: int) -> list[bool]:
    """Per column, whether the file mostly writes its values in double quotes (its quoting style)."""
    out = []
    for j in range(width):
        flags = [r.fields[j].startswith('"') for r in records if j < len(r.fields)]
        out.append(sum(flags) * 2 > len(flags) if flags else False)
    return out


def _field(text: str, quote: bool) -> str:
    if quote or any(ch in text for ch in ',"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def style_of(data: bytes) -> tuple[str, bool, bool]:
    """A file's line end, whether it starts with a BOM, and whether it ends with a line end.

    >>> style_of(b"a,b\\r\\n1,2"), style_of(b"\\xef\\xbb\\xbfa\\n")
    (('\\r\\n', False, False), ('\\n', True, True))
    """
    bom = data.startswith(b"\xef\xbb\xbf")
    m = re.search(rb"\r\n|\r|\n", data)
    eol = m.group().decode() if m else "\n"
    return eol, bom, data.endswith((b"\n", b"\r"))


def plain_lines(data: bytes) -> tuple[list[str], str, bool, bool] | None:
    """A plain CSV file's lines (line ``n`` is ``lines[n - 1]``), line end, BOM and final line end.

    Plain: no double quote (so every record is one line and splitting at the line ends in C
    is what :func:`parse_csv`'s reader does) and :func:`_lines_of`'s conditions. None otherwise.

    >>> plain_lines(b"a,b\\r\\n1,2\\r\\n")
    (['a,b', '1,2'], '\\r\\n', False, True)
    >>> plain_lines(b'a,b\\n"1",2\\n') is None
    True
    """
    return None if b'"' in data else _lines_of(data)


def _lines_of(data: bytes) -> tuple[list[str], str, bool, bool] | None:
    """A CSV file's lines, line end, BOM and final line end, when it is UTF-8 with no NUL and one kind of line end."""
    if b"\x00" in data:
        return None
    eol, bom, final_eol = style_of(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    rest = text.replace(eol, "")  # a lone CR or LF beside the file's line ends (CRLF with one LF CR) is a mix
    if "\r" in rest or "\n" in rest:
        return None
    pieces = text.split(eol)
    if final_eol:
        pieces.pop()
    return pieces, eol, bom, final_eol


def _header_at(pieces: Sequence[str]) -> int | None:
    """Index of a plain file's header line: its first line that is not blank (nor only commas)."""
    return next((i for i, t in enumerate(pieces) if t.replace(",", "").strip()), None)


@dataclass
class _Records:
    """A file's records: ``texts[i]`` starts on line ``starts[i]`` (``i + 1`` when ``starts`` is None: one
    record per line) and has ``fields[i]`` (split at its commas when ``fields`` is None: no quotes)."""

    texts: list[str]
    starts: list[int] | None = None
    fields: list[list[str]] | None = None

    def start(self, i: int) -> int:
        return self.starts[i] if self.starts is not None else i + 1

    def cells(self, i: int) -> list[str]:
        return self.fields[i] if self.fields is not None else self.texts[i].split(",")

    def header_at(self) -> int | None:
        """Index of the header record: the first that is not blank (nor only commas)."""
        if self.fields is None:
            return _header_at(self.texts)
        return next((i for i, f in enumerate(self.fields) if "".join(f).strip()), None)


def _records_of(data: bytes) -> _Records | None:
    """A CSV file's records, for a file :func:`_lines_of` can split; None when it cannot, or its quoting is broken.

    A plain file's records are its lines; a file with quotes is walked with the same reader
    :func:`parse_csv` uses, so a quoted field may span lines.
    """
    split = _lines_of(data)
    if split is None:
        return None
    pieces, eol = split[0], split[1]
    if b'"' not in data:
        return _Records(pieces)
    # one string per line, with its line end as parse_csv's reader sees it: line_num counts lines the same way, and
    # a quoted field that spans lines keeps its line break
    ends = [eol] * len(pieces)
    if not split[3] and ends:
        ends[-1] = ""
    reader = csv.reader((p + e for p, e in zip(pieces, ends, strict=True)), strict=True)
    texts: list[str] = []
    starts: list[int] = []
    fields: list[list[str]] = []
    prev = 0
    try:
        for record in reader:
            start, prev = prev + 1, reader.line_num
            texts.append(pieces[start - 1] if start == prev else eol.join(pieces[start - 1 : prev]))
            starts.append(start)
            fields.append(record)
    except csv.Error:
        return None
    return _Records(texts, starts, fields)


def reread_changed(
    old: bytes, new: bytes, old_lines: Sequence[int], file: str
) -> tuple[RawTable, np.ndarray, list[int]] | None:
    """A changed file read again at the cost of its changed records: what a merge after another editor's save needs.

    Row ``i`` of the old version starts on ``old_lines[i]``. Returns, for each data row of
    ``new`` in order, the old row whose record is the same text (or -1), the other rows parsed
    (a :class:`RawTable` with their lines in ``new``), and every row's line. Under the same
    header a record that is character for character an old row's record has that row's cells,
    which were checked, so only the others need parsing and checking: one changed actual of
    100,000 costs a split and a dictionary lookup per line, not a parse and a check of every
    cell. None when either version cannot be split (:func:`_records_of`), the header records
    differ or have an unnamed or repeated column, or the changed records have read problems:
    then :func:`parse_csv` reads the whole file and reports them.

    >>> part, match, lines = reread_changed(b"id,v\\nA,1\\nB,2\\n", b"id,v\\nB,2\\nC,3\\n", [2, 3], "metrics.csv")
    >>> match.tolist(), lines, part.rows, part.lines
    ([1, -1], [2, 3], [['C', '3']], [3])
    """
    was, now = _records_of(old), _records_of(new)
    if was is None or now is None:
        return None
    ha, hb = was.header_at(), now.header_at()
    if ha is None or hb is None or was.texts[ha] != now.texts[hb]:
        return None
    header = [c.strip().lstrip("\ufeff").lower() for c in now.cells(hb)]
    if not all(header) or len(set(header)) != len(header):
        return None
    where = {ln: i for i, ln in enumerate(was.starts)} if was.starts is not None else None
    known: dict[str, int] = {}
    for i, ln in enumerate(old_lines):
        at = where.get(ln, -1) if where is not None else ln - 1
        if at <= ha or at >= len(was.texts):  # not where a record of the old version starts
            return None
        known.setdefault(was.texts[at], i)
    comments = comments_allowed(file, header[0])
    match: list[int] = []
    lines: list[int] = []
    todo: list[str] = []
    todo_lines: list[int] = []
    texts = now.texts
    for i in range(hb + 1, len(texts)):
        same = known.get(texts[i])
        if same is not None:
            match.append(same)
            lines.append(now.start(i))
            continue
        fields = now.cells(i)
        if not "".join(fields).strip() or (comments and fields[0].lstrip().startswith("#")):
            continue  # a blank line or a comment, as parse_csv skips them
        match.append(-1)
        lines.append(now.start(i))
        todo.append(texts[i])
        todo_lines.append(now.start(i))
    if len(match) > limits.MAX_CSV_ROWS:
        return None
    part, problems = parse_csv(("\n".join([texts[hb], *todo]) + "\n").encode("utf-8"), file)
    if part is None or problems or len(part.rows) != len(todo):
        return None
    part.lines = todo_lines
    return part, np.asarray(match, dtype=np.int64), lines


def rewrite_in_place(
    original: bytes,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    old_lines: Sequence[int],
    changed: Mapping[int, Sequence[bool]],
) -> tuple[bytes, list[int]] | None:
    """What :func:`rewrite_csv` writes when the file's rows stay where they are, at the cost of the changed rows.

    ``rows[:len(old_lines)]`` are the file's rows in order (row ``i`` starts on ``old_lines[i]``),
    any others are new; ``changed`` maps a changed row to its per-column "unchanged" flags (rows
    not in it are byte for byte the file's). For a plain file (no double quote, one kind of line
    end, the same header) each record is one line, so the text splits at its line ends in C and
    only the changed and new rows are formatted: 100,000 actuals and one edit cost a split and a
    join, not a parse. None for any other file (then :func:`rewrite_csv` does it).

    >>> rewrite_in_place(b"a,b\\n1,2\\n3,4\\n", ["a", "b"], [["1", "2"], ["3", "5"], ["6", "7"]], [2, 3], {1: [True, False]})
    (b'a,b\\n1,2\\n3,5\\n6,7\\n', [2, 3, 4])
    """
    plain = plain_lines(original)
    if plain is None:
        return None
    pieces, eol, bom, final_eol = plain
    head_at = _header_at(pieces)
    if head_at is None or [f.strip().lstrip("\ufeff") for f in pieces[head_at].split(",")] != list(header):
        return None
    n = len(old_lines)
    if n > len(rows) or (n and (old_lines[0] <= head_at + 1 or old_lines[-1] > len(pieces))):
        return None
    if any(b <= a for a, b in itertools.pairwise(old_lines)):  # rows in file order, one line each
        return None
    for i, same in changed.items():
        at = old_lines[i] - 1
        fields = pieces[at].split(",")
        if len(fields) != len(header):
            return None
        cells = [fields[j] if same[j] else _field(str(v), False) for j, v in enumerate(rows[i])]
        pieces[at] = '""' if cells == [""] else ",".join(cells)
    lines = list(old_lines)
    for i in range(n, len(rows)):
        cells = [_field(str(v), False) for v in rows[i]]
        pieces.append('""' if cells == [""] else ",".join(cells))
        lines.append(len(pieces))
    out = eol.join(pieces) + (eol if final_eol else "")
    return (b"\xef\xbb\xbf" if bom else b"") + out.encode("utf-8"), lines


def rewrite_csv(
    original: bytes,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    sources: Sequence[RowSource | None],
    old_lines: Iterable[int],
) -> tuple[bytes, list[int]]:
    """``rows`` under ``header``, written in the style of the file ``original``; also each row's start line.

    A one-cell edit is a one-line diff: the file's line ends, BOM, final line end,
    quoting (per column, as the file mostly does it), comment and blank lines are kept; a
    row whose ``source`` says it is unchanged keeps its record's text byte for byte, and a
    changed row keeps the text of every cell that did not change. New rows (no source)
    go after the rows before them (at the end of the file when they are last). When
    the rows come in another order than the file's, they are written in the new order
    into the places the file's rows had.
    """
    eol, bom, final_eol = style_of(original)
    text = original.decode("utf-8-sig")
    records = _records(text)
    head_at = next((i for i, r in enumerate(records) if not _blank(r)), None)
    if head_at is None:
        return to_csv_bytes(header, rows), list(range(2, len(rows) + 2))
    head = records[head_at]
    names = [_unquote(f).strip().lstrip("\ufeff") for f in head.fields]
    where = {nm.lower(): j for j, nm in enumerate(names) if nm}
    pos = [where.get(h.strip().lower()) for h in header]
    header_same = names == list(header)
    by_line = {r.line: r for r in records}
    data_lines = set(old_lines)
    data = [r for r in records if r.line in data_lines]
    quoted = _quoted_columns(data[:2000] or [head], len(names))
    quote_of = [quoted[p] if p is not None else (quoted[0] if quoted else False) for p in pos]

    def row_text(i: int) -> str:
        src = sources[i]
        rec = by_line.get(src.line) if src is not None else None
        if rec is not None and src is not None and header_same and all(src.same) and len(src.same) == len(header):
            return text[rec.start : rec.end - len(rec.eol)]
        cells = []
        for j, value in enumerate(rows[i]):
            p = pos[j]
            if rec is not None and src is not None and p is not None and p < len(rec.fields) and src.same[j]:
                cells.append(rec.fields[p])
            else:
                cells.append(_field(value, quote_of[j] or (rec is not None and p is not None
                                                           and p < len(rec.fields) and rec.fields[p].startswith('"'))))
        if len(cells) == 1 and cells[0] == "":
            cells = ['""']
        return ",".join(cells)

    if header_same:
        head_text = text[head.start : head.end - len(head.eol)]
    else:
        head_text = ",".join(
            head.fields[p] if p is not None and p < len(head.fields) and _unquote(head.fields[p]).strip() == h
            else _field(h, quote_of[j]) for j, (h, p) in enumerate(zip(header, pos, strict=True))
        )
    order = [s.line for s in sources if s is not None]
    in_place = order == sorted(order) and len(set(order)) == len(order)
    at = {s.line: i for i, s in enumerate(sources) if s is not None}
    pieces: list[str] = []  # each piece a record's text without its line end
    kinds: list[int | None] = []  # the output row a piece holds (None: header, comment, blank)
    nxt = 0

    def emit_row(i: int) -> None:
        pieces.append(row_text(i))
        kinds.append(i)

    for idx, rec in enumerate(records):
        if idx == head_at:
            pieces.append(head_text)
            kinds.append(None)
            continue
        if rec.line not in data_lines or idx < head_at:
            pieces.append(text[rec.start : rec.end - len(rec.eol)])
            kinds.append(None)
            continue
        if in_place:
            src_i = at.get(rec.line)
            if src_i is None:
                continue  # the row was removed
            for i in range(nxt, src_i + 1):
                emit_row(i)
            nxt = src_i + 1
        elif nxt < len(rows):
            emit_row(nxt)
            nxt += 1
    for i in range(nxt, len(rows)):
        emit_row(i)
    out = eol.join(pieces) + (eol if final_eol else "")
    lines: list[int] = [0] * len(rows)
    line = 1
    for piece, kind in zip(pieces, kinds, strict=True):
        if kind is not None:
            lines[kind] = line
        line += len(_LINE_END.findall(piece)) + 1
    return (b"\xef\xbb\xbf" if bom else b"") + out.encode("utf-8"), lines

