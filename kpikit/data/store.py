"""The store: reading an engagement folder, and writing its tables back safely.

:func:`load_engagement` reads and validates a folder and builds the
:class:`~kpikit.data.model.Engagement` the engine reads. What the store needs to write
the tables back faithfully (each row's source line, the files' hashes, their headers as
written, how they spelled numbers, the tables as loaded) is a :class:`StoreRecord` the
engagement carries. :meth:`StoreRecord.save` (reached as ``eng.save()``) writes changed
tables: validated first with exactly the rules of ``kpikit validate``, refused if a file
changed on disk since it was loaded, backed up, and written atomically. Tables nobody
touched keep their bytes.

>>> eng = load_engagement("clients/demo-harbor")          # doctest: +SKIP
>>> eng.kpis.loc[0, "target"] = 90                       # doctest: +SKIP
>>> eng.save().written                                     # doctest: +SKIP
['kpis.csv']
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import overload

import numpy as np
import pandas as pd

from kpikit.data import journal, limits
from kpikit.data.config import EngagementConfig, read_config_file
from kpikit.data.csvio import (
    COMMENT_KINDS,
    RawTable,
    RowSource,
    frame_cells,
    parse_csv,
    read_csv_file,
    reread_changed,
    rewrite_csv,
    rewrite_in_place,
    sha256_bytes,
    to_csv_bytes,
)
from kpikit.data.model import Engagement, SaveResult
from kpikit.data.paths import read_inside
from kpikit.data.rowdiff import cells_equal
from kpikit.data.schema import CONFIG_FILE, SPECS, TABLES
from kpikit.data.validation import (
    ROW_KEYS,
    RawEngagement,
    Validated,
    raw_from_frames,
    revalidate,
    validate,
)
from kpikit.errors import (
    EngagementError,
    FolderFileError,
    NotAnEngagementError,
    Problem,
    StaleFileError,
)

BACKUP_DIR = Path(".kpikit") / "backups"
LOG_COLUMNS = ("date", "item_id", "change", "rationale", "decided_by")
"""The decision log's columns (``changes.csv``), in file order."""


@dataclass
class StoreRecord:
    """Where an engagement's tables came from on disk: what a faithful save needs.

    ``loaded`` is the baseline for change detection (the tables as loaded or last saved);
    ``source_lines`` map each row to its line in the file (for ``FILE:LINE`` problems);
    ``fingerprints`` are the files' SHA-256 (the stale check); ``headers`` the header
    names as written, and ``spellings`` how the files spelled numbers (``0.60``), both
    kept on save. Every field is the record's own: :meth:`copy` is deep, since
    :meth:`save` replaces entries in place.
    """

    config_text: str | None
    loaded: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    source_lines: dict[str, list[int]] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)
    spellings: dict[str, dict[str, dict[tuple[str, ...], str]]] = field(default_factory=dict)
    """Per table and number column, how the file spelled numbers (``0.60``), kept on save."""
    texts: dict[str, bytes] = field(default_factory=dict, repr=False)
    """Each table's file as loaded or last saved (file name -> bytes; its SHA-256 is in ``fingerprints``),
    so that a re-read after another editor's save parses only the lines that changed."""

    def copy(self) -> StoreRecord:
        """A deep copy: saving through it leaves this record as it is."""
        return StoreRecord(
            config_text=self.config_text,
            loaded={k: v.copy() for k, v in self.loaded.items()},
            source_lines={k: list(v) for k, v in self.source_lines.items()},
            fingerprints=dict(self.fingerprints),
            headers={k: list(v) for k, v in self.headers.items()},
            spellings=copy.deepcopy(self.spellings),
            texts=dict(self.texts),
        )

    def changed_tables(self, eng: Engagement) -> list[str]:
        """Tables of ``eng`` that differ from what was loaded (or last saved)."""
        out = []
        for spec in TABLES:
            now, then = eng.tables.get(spec.name), self.loaded.get(spec.name)
            if now is None:
                continue
            if then is None or not frames_equal(now, then):
                out.append(spec.name)
        return out

    def validate(self, eng: Engagement, *, full: bool = False) -> Engagement:
        """Re-check ``eng``'s current tables; line numbers refer to the file as it would be written.

        Only what changed since the tables were loaded (or last saved) is checked again
        (:func:`~kpikit.data.validation.revalidate`: the changed rows' cells and the
        cross-table rules that read a changed table), which gives the verdict of checking
        everything (``full=True``, what ``kpikit validate`` does) in a fraction of the time.
        """
        changed = set(self.changed_tables(eng))
        if not full:
            edited = {k: eng.tables[k] for k in changed}
            checked = revalidate(self.baseline(eng), eng.present | frozenset(changed), edited=edited, fingerprints={})
            if checked is not None:
                return engagement_from(checked)
        lines = {k: v for k, v in self.source_lines.items() if k not in changed}
        raw = raw_from_frames(eng.folder, self.config_text, eng.tables, self.headers, lines)
        raw.tables = {k: t for k, t in raw.tables.items() if k in eng.present or k in changed}
        return build_engagement(raw)

    def baseline(self, eng: Engagement) -> Validated:
        """The tables as loaded (or last saved) with what the store knows of their files: what a re-check starts from."""
        return Validated(
            folder=eng.folder, config=eng.config, tables=self.loaded, present=eng.present,
            source_lines=self.source_lines, fingerprints=self.fingerprints, headers=self.headers,
            config_text=self.config_text, spellings=self.spellings,
        )

    def save(self, eng: Engagement, *, keep_backups: int = 20, check_stale: bool = True) -> SaveResult:
        """Validate, then write every changed table of ``eng`` all together, backing up what it replaces.

        The files keep their own style (:func:`~kpikit.data.csvio.rewrite_csv`: line ends,
        quoting, comments, unchanged rows byte for byte); the write goes through the
        journal (:mod:`kpikit.data.journal`), so a crash leaves every file old or every file new.
        """
        changed = self.changed_tables(eng)
        if not changed:
            return SaveResult([], None)
        checked = self.validate(eng)
        folder = eng.path
        announce(folder, journal.recover(folder))
        with journal.save_lock(folder):
            on_disk = {n: _read_or_none(folder / SPECS[n].file) for n in changed}
            if check_stale:
                stale = [SPECS[n].file for n in changed if _hash(on_disk[n]) != self.fingerprints.get(SPECS[n].file)]
                if stale:
                    raise StaleFileError(stale)
            backup = make_backup(folder, [SPECS[n].file for n in changed], keep=keep_backups)
            out: dict[str, bytes] = {}
            done: dict[str, tuple[pd.DataFrame, list[str], list[int]]] = {}
            for name in changed:
                df = checked.tables[name].reset_index(drop=True)
                data, written, lines = self._table_bytes(name, df, on_disk[name])
                out[SPECS[name].file] = data
                done[name] = (df, written, lines)
            journal.commit(folder, dict(out), backup)
        for name, (df, written, lines) in done.items():
            self.fingerprints[SPECS[name].file] = sha256_bytes(out[SPECS[name].file])
            self.texts[SPECS[name].file] = out[SPECS[name].file]
            self.headers[name] = list(written)
            eng.tables[name] = df
            self.loaded[name] = df.copy()
            self.source_lines[name] = lines
        eng.present = eng.present | set(changed)
        return SaveResult([SPECS[n].file for n in changed], backup)

    def _table_bytes(self, name: str, df: pd.DataFrame, original: bytes | None) -> tuple[bytes, list[str], list[int]]:
        """A table's new file: in the style of the file it replaces (the file as loaded), or canonical when new."""
        order, written = _file_columns(self.headers.get(name), df)
        then, lines = self.loaded.get(name), self.source_lines.get(name)
        if original is None or then is None or lines is None or len(lines) != len(then):
            cells = _respell([list(r) for r in frame_cells(df[order])], order, name, self.spellings.get(name))
            guard_comment_rows(SPECS[name].file, order, cells)
            return to_csv_bytes(written, cells), written, list(range(2, len(cells) + 2))
        same = in_place(name, df[order], then)
        if same is not None:  # rows edited where they are, new ones after: format only the rows that changed
            n = len(then)
            edited = np.flatnonzero(~same.all(axis=1)).tolist() if n else []
            todo = edited + list(range(n, len(df)))
            rows = _Rows(self, name, df[order], order, dict(zip(todo, self._cells(name, df[order].iloc[todo], order),
                                                                  strict=True)))
            quick = rewrite_in_place(original, written, rows, lines, {i: same[i].tolist() for i in edited})
            if quick is not None:  # a plain file: split, replace the changed lines, join
                return quick[0], written, quick[1]
            sources: list[RowSource | None] = [RowSource(lines[i], same[i].tolist()) for i in range(n)]
            data, new_lines = rewrite_csv(original, written, rows, sources + [None] * (len(df) - n), lines)
            return data, written, new_lines
        canonical = frame_cells(df[order])
        cells = _respell([list(r) for r in canonical], order, name, self.spellings.get(name))
        guard_comment_rows(SPECS[name].file, order, cells)
        sources = row_sources(name, canonical, order, then, lines)
        data, new_lines = rewrite_csv(original, written, cells, sources, lines)
        return data, written, new_lines

    def _cells(self, name: str, df: pd.DataFrame, order: list[str]) -> list[list[str]]:
        """Rows of a table as they will be written: canonical text, the file's number spellings, no comment row."""
        cells = _respell([list(r) for r in frame_cells(df)], order, name, self.spellings.get(name))
        guard_comment_rows(SPECS[name].file, order, cells)
        return cells

    def adopt_table(self, eng: Engagement, name: str, fresh: Engagement) -> None:
        """Take table ``name`` as ``fresh`` (a newer load of the same folder) has it, as the new baseline."""
        theirs = record_of(fresh)
        eng.tables[name] = fresh.tables[name].copy()
        self.loaded[name] = fresh.tables[name].copy()
        file = SPECS[name].file
        if file in theirs.fingerprints:
            self.fingerprints[file] = theirs.fingerprints[file]
        if file in theirs.texts:
            self.texts[file] = theirs.texts[file]
        else:
            self.texts.pop(file, None)
        self.headers[name] = list(theirs.headers.get(name, []))
        self.source_lines[name] = list(theirs.source_lines.get(name, []))
        if name in theirs.spellings:
            self.spellings[name] = copy.deepcopy(theirs.spellings[name])
        if fresh.has(name):
            eng.present = eng.present | {name}


class _Rows(Sequence[list[str]]):
    """A table's rows as written, formatted when asked: a rewrite reads only the rows that changed."""

    def __init__(self, record: StoreRecord, name: str, df: pd.DataFrame, order: list[str], known: dict[int, list[str]]) -> None:
        self.record, self.name, self.df, self.order, self.known = record, name, df, order, known

    def __len__(self) -> int:
        return len(self.df)

    @overload
    def __getitem__(self, i: int) -> list[str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...

    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i not in self.known:
            self.known[i] = self.record._cells(self.name, self.df.iloc[[i]], self.order)[0]
        return self.known[i]


def in_place(name: str, new: pd.DataFrame, old: pd.DataFrame) -> np.ndarray | None:
    """Per row of ``old`` and column of ``new``, whether the cell is unchanged, when ``new`` is ``old`` edited
    in place: its first rows are ``old``'s rows in order (by the table's key, :data:`MATCH_KEYS`, or whole rows)
    and any others are added after, with keys of their own. None otherwise (rows moved, removed or keys repeat).

    Then the row matching of :func:`row_sources` and :func:`keep_row_order` is the identity, found
    column by column instead of row by row (100,000 actuals in a blink).
    """
    n = len(old)
    if len(new) < n:
        return None
    cols = [str(c) for c in new.columns]
    head = new.iloc[:n]
    then = old.reindex(columns=cols)
    same = np.column_stack([cells_equal(head[c], then[c]) for c in cols]) if cols else np.ones((n, 0), dtype=bool)
    key = MATCH_KEYS.get(name)
    if key and all(k in cols for k in key):
        if not same[:, [cols.index(k) for k in key]].all() or new.duplicated(list(key)).any():
            return None
    elif not same.all():
        return None
    return same


def record_of(eng: Engagement) -> StoreRecord:
    """The store record of an engagement loaded by this store (TypeError for one built otherwise)."""
    if not isinstance(eng.store, StoreRecord):
        raise TypeError(f"{eng.folder}: this engagement has no store record")
    return eng.store


def engagement_from(checked: Validated) -> Engagement:
    """The model of a validated engagement, carrying its store record."""
    record = StoreRecord(
        config_text=checked.config_text,
        loaded={k: v.copy() for k, v in checked.tables.items()},
        source_lines=checked.source_lines,
        fingerprints=checked.fingerprints,
        headers=checked.headers,
        spellings=checked.spellings,
    )
    return Engagement(checked.folder, checked.config, checked.tables, checked.present, record)


def build_engagement(raw: RawEngagement) -> Engagement:
    """Check raw tables (files, a workbook, an edit) and build the engagement; raise with every problem."""
    eng = engagement_from(validate(raw))
    record_of(eng).texts = dict(raw.texts)
    return eng


def folder_with_changes(
    raw: RawEngagement,
    config: EngagementConfig,
    unchanged: dict[str, pd.DataFrame],
    changed: dict[str, pd.DataFrame],
    before: Engagement | None = None,
) -> Engagement:
    """The folder ``raw`` was read from, with the ``changed`` tables replaced (a workbook import).

    The ``unchanged`` tables are the baseline, so a save writes exactly the ``changed``
    ones; hashes and headers are the folder's as read, so the stale check and the user's
    header spelling apply as for a loaded engagement. ``before`` (the folder as loaded,
    when it is valid) gives each changed table's rows as they are in the file, so the
    save keeps the file's style and unchanged rows byte for byte.
    """
    old = record_of(before) if before is not None else None
    loaded = {k: v.copy() for k, v in unchanged.items()}
    if before is not None:
        loaded.update({k: before.tables[k].copy() for k in changed if k in before.tables})
    record = StoreRecord(
        config_text=raw.config_text,
        loaded=loaded,
        source_lines=dict(old.source_lines) if old is not None else {},
        fingerprints=dict(raw.fingerprints),
        headers={k: (t.header_as_written or t.header) for k, t in raw.tables.items()},
        spellings=copy.deepcopy(old.spellings) if old is not None else {},
    )
    return Engagement(raw.folder, config, {**unchanged, **changed}, frozenset(raw.tables), record)


def append_log(log: pd.DataFrame, rows: list[dict[str, str]]) -> pd.DataFrame:
    """The decision log (``changes.csv``) with ``rows`` appended (same columns and dtypes).

    A row's missing or blank cells are left empty; columns the rows do not name (a
    column the user added to the file) are empty in the new rows.
    """
    if not rows:
        return log
    extra = pd.DataFrame([{c: _log_cell(r.get(c)) for c in log.columns} for r in rows], columns=log.columns)
    extra = extra.astype(log.dtypes.to_dict())
    return pd.concat([log, extra], ignore_index=True) if len(log) else extra.reset_index(drop=True)


def _log_cell(value: str | None) -> str | float:
    return value.strip() if value is not None and value.strip() else float("nan")


def log_row(item_id: str, change: str, rationale: str = "", decided_by: str = "", on: date | None = None) -> dict[str, str]:
    """One decision-log row, dated ``on`` (default today)."""
    return {"date": (on or date.today()).isoformat(), "item_id": item_id, "change": change,
            "rationale": rationale, "decided_by": decided_by}


def _respell(
    cells: list[list[str]], columns: list[str], table: str, spellings: dict[str, dict[tuple[str, ...], str]] | None
) -> list[list[str]]:
    """Put back the file's own spelling of numbers (``0.60``) in cells whose value did not change."""
    key = ROW_KEYS.get(table)
    if not spellings or not key or any(k not in columns for k in key):
        return cells
    kpos = [columns.index(k) for k in key]
    targets = [(columns.index(c), m) for c, m in spellings.items() if c in columns]
    for row in cells:
        k = tuple(row[i] for i in kpos)
        for j, m in targets:
            written = m.get((*k, row[j]))
            if written is not None:
                row[j] = written
    return cells


def _file_columns(as_written: list[str] | None, df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The columns to write, in the file's own order and spelling: (frame columns, header names).

    A rewritten file keeps the user's column order and header spelling (``ID``, `` Name``);
    columns the file did not have are added only if they now hold a value, so an edit
    does not grow the file by empty optional columns. A new file gets every column.
    """
    cols = [str(c) for c in df.columns]
    order: list[str] = []
    names: list[str] = []
    for h in as_written or []:
        key = h.strip().lower()
        if key in cols and key not in order:
            order.append(key)
            names.append(h)
    for c in cols:
        if c not in order and (not as_written or df[c].notna().any()):
            order.append(c)
            names.append(c)
    return order, names


def frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two tables hold the same columns and cells in the same order (the index aside).

    The one comparison that decides a table changed: the store's save, the Excel import
    and the editors' stale-log check all ask it.

    >>> frames_equal(pd.DataFrame({"a": [1.0]}, index=[5]), pd.DataFrame({"a": [1.0]}))
    True
    >>> frames_equal(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"b": [1.0]}))
    False
    """
    if list(a.columns) != list(b.columns) or a.shape != b.shape:
        return False
    return bool(a.reset_index(drop=True).equals(b.reset_index(drop=True)))


def make_backup(folder: Path, files: list[str], keep: int = 20) -> Path | None:
    """Copy the files about to be replaced to ``.kpikit/backups/<UTC stamp>/``; prune old sets."""
    existing = [f for f in files if (folder / f).exists()]
    if not existing:
        return None
    root = folder / BACKUP_DIR
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    dest = root / stamp
    dest.mkdir(parents=True, exist_ok=False)
    for f in existing:
        shutil.copy2(folder / f, dest / f)
    sets = sorted(p for p in root.iterdir() if p.is_dir())
    for old in sets[: max(0, len(sets) - keep)]:
        shutil.rmtree(old, ignore_errors=True)
    return dest


def list_backups(folder: str | os.PathLike[str]) -> list[Path]:
    """Backup sets of a folder, oldest first."""
    root = Path(folder) / BACKUP_DIR
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []


def read_engagement(folder: str | os.PathLike[str]) -> RawEngagement:
    """Read every file of the folder as raw text, collecting read problems."""
    path = Path(folder)
    if not path.exists():
        raise NotAnEngagementError(f"{folder}: no such folder")
    if not path.is_dir():
        raise NotAnEngagementError(f"{folder}: not a folder")
    announce(path, journal.recover(path))  # every read finishes (or undoes) a save that was interrupted
    problems: list[Problem] = []
    fingerprints: dict[str, str] = {}
    config_text: str | None = None
    data, cfg_problems = read_config_file(path)  # the folder-file rule: no pipe, device or link out
    problems.extend(cfg_problems)
    if data is not None:
        fingerprints[CONFIG_FILE] = sha256_bytes(data)
        try:
            config_text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            byte = data[exc.start : exc.start + 1].hex()
            problems.append(Problem(CONFIG_FILE, line, f"is not UTF-8 text (byte 0x{byte}); save it as UTF-8"))
    tables: dict[str, RawTable] = {}
    texts: dict[str, bytes] = {}
    by_lower = {f.name.lower(): f.name for f in path.iterdir()}
    for spec in TABLES:
        p = path / spec.file
        if not p.exists():
            other = by_lower.get(spec.file.lower())
            if other is not None:  # e.g. Metrics.csv: found on Windows and macOS, not on Linux or in git
                problems.append(Problem(spec.file, None, f"is missing, but there is '{other}': rename it to {spec.file}"))
            continue
        if not p.is_file():
            problems.append(Problem(spec.file, None, "is not a file"))
            continue
        table, data, read_problems = read_csv_file(p)
        fingerprints[spec.file] = sha256_bytes(data)
        problems.extend(read_problems)
        if table is not None:
            tables[spec.name] = table
            texts[spec.file] = data
    if config_text is None and not tables and not problems:
        raise NotAnEngagementError(f"{folder}: not an engagement folder (no {CONFIG_FILE} and no CSV files of the contract)")
    return RawEngagement(str(folder), config_text, tables, problems, fingerprints, texts)


def refresh_engagement(eng: Engagement) -> Engagement:
    """The folder of ``eng`` as it is on disk now, reading again only the files that changed since ``eng``
    loaded (or saved) them: a file whose SHA-256 is the one recorded is taken as ``eng``'s record has it.

    The same engagement (and the same errors) as :func:`load_engagement`, at the cost of the
    changed files: what a save after another editor's save, and Reload, need. A file that appeared
    is read like a changed one. Falls back to a whole load when the settings changed, a file went,
    or a changed file has read problems.
    """
    record = record_of(eng)
    path = eng.path
    announce(path, journal.recover(path))
    config, problems = read_config_file(path)  # the folder-file rule, as a whole load applies it
    if config is None or problems or sha256_bytes(config) != record.fingerprints.get(CONFIG_FILE):
        return load_engagement(path)
    fingerprints = {CONFIG_FILE: record.fingerprints[CONFIG_FILE]}
    read: dict[str, RawTable] = {}
    reread: dict[str, tuple[RawTable, np.ndarray, list[int]]] = {}
    texts: dict[str, bytes] = {}
    present = set(eng.present)
    for spec in TABLES:
        there = (path / spec.file).exists()
        if not there:
            if spec.name in eng.present:  # a file went: every rule that read it runs again, in a whole load
                return load_engagement(path)
            continue
        # a file that appeared (changes.csv after another editor's first save) is read like a changed one
        present.add(spec.name)
        try:
            data = read_inside(path, spec.file, limits.CSV)
        except FolderFileError:
            return load_engagement(path)
        digest = sha256_bytes(data)
        fingerprints[spec.file] = digest
        texts[spec.file] = data
        if digest == record.fingerprints.get(spec.file) and spec.name in record.loaded and spec.name in eng.present:
            continue
        old = record.texts.get(spec.file)
        then, old_lines = record.loaded.get(spec.name), record.source_lines.get(spec.name)
        if (old is not None and then is not None and old_lines is not None and len(old_lines) == len(then)
                and spec.name in eng.present and sha256_bytes(old) == record.fingerprints.get(spec.file)):
            delta = reread_changed(old, data, old_lines, spec.file)  # only the changed lines parsed and checked
            if delta is not None:
                reread[spec.name] = delta
                continue
        table, problems = parse_csv(data, spec.file)
        if table is None or problems:
            return load_engagement(path)
        read[spec.name] = table
    checked = revalidate(record.baseline(eng), frozenset(present), read=read, fingerprints=fingerprints,
                         as_frames=False, reread=reread)
    if checked is None:
        return load_engagement(path)
    fresh = engagement_from(checked)
    record_of(fresh).texts = texts
    return fresh


def load_engagement(folder: str | os.PathLike[str]) -> Engagement:
    """Read and validate an engagement folder.

    Raises :class:`~kpikit.errors.EngagementError` with every input problem, or
    :class:`~kpikit.errors.NotAnEngagementError` when the path is no engagement.
    """
    return build_engagement(read_engagement(folder))


MATCH_KEYS: dict[str, tuple[str, ...]] = {
    "org_units": ("id",),
    "objectives": ("id",),
    "metrics": ("id",),
    "stakeholders": ("id",),
    "metric_scores": ("objective_id", "metric_id"),
    "kpis": ("objective_id", "metric_id"),
    "milestones": ("objective_id", "metric_id", "period"),
    "raci": ("item_id", "stakeholder_id"),
    "actuals": ("metric_id", "period"),
    "actions": ("id",),
}
"""What identifies a row of each table when a save matches its rows to the file's (``changes``: whole rows)."""


def write_files(folder: Path, files: dict[str, bytes | None], backup: Path | None) -> None:
    """Write (or, for None, delete) several files of the folder all together or not at all (an undo)."""
    announce(folder, journal.recover(folder))
    with journal.save_lock(folder):
        journal.commit(folder, files, backup)


def announce(folder: Path, line: str | None) -> None:
    """Tell the user, in one line on stderr, what a recovery did to the folder."""
    if line:
        print(f"kpikit: {folder}: {line}", file=sys.stderr)


def _hash(data: bytes | None) -> str | None:
    return sha256_bytes(data) if data is not None else None


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _match(name: str, columns: list[str], new: list[list[str]], old: list[list[str]]) -> list[int | None]:
    """For each new row, the loaded row it is (by the table's key, else an identical row), or None."""
    key = MATCH_KEYS.get(name)
    if key and all(k in columns for k in key):
        pos = [columns.index(k) for k in key]
        old_keys = [tuple(r[i] for i in pos) for r in old]
        new_keys = [tuple(r[i] for i in pos) for r in new]
        if len(set(old_keys)) == len(old_keys) and len(set(new_keys)) == len(new_keys):
            where = {k: j for j, k in enumerate(old_keys)}
            return [where.get(k) for k in new_keys]
    free: dict[tuple[str, ...], list[int]] = {}
    for j, r in enumerate(old):
        free.setdefault(tuple(r), []).append(j)
    out: list[int | None] = []
    for r in new:
        left = free.get(tuple(r))
        out.append(left.pop(0) if left else None)
    return out


def row_sources(
    name: str, new_cells: list[list[str]], columns: list[str], loaded: pd.DataFrame, lines: list[int]
) -> list[RowSource | None]:
    """Where each row of a table about to be written came from in its file, and which cells changed."""
    old = loaded.reindex(columns=columns)
    old_cells = frame_cells(old)
    return [
        None if j is None else RowSource(lines[j], [a == b for a, b in zip(new_cells[i], old_cells[j], strict=True)])
        for i, j in enumerate(_match(name, columns, new_cells, old_cells))
    ]


def keep_row_order(name: str, new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """``new`` with the rows that ``old`` has in ``old``'s order, each added row after the row before it.

    Editors and the Excel import rebuild whole tables (the RACI grid, a sorted sheet);
    this keeps an edited row where it was in the file, so the save is a one-line diff.
    """
    if new.empty or old.empty or in_place(name, new, old) is not None:
        return new
    columns = [str(c) for c in new.columns]
    matches = _match(name, columns, frame_cells(new), frame_cells(old.reindex(columns=columns)))
    if all(m is None for m in matches):
        return new
    rank: list[float] = []
    last = -1.0
    for i, m in enumerate(matches):
        last = float(m) if m is not None else last + 1e-6 * (i + 1) / (len(matches) + 1)
        rank.append(last)
    order = sorted(range(len(new)), key=lambda i: (rank[i], i))
    return new.iloc[order].reset_index(drop=True)


def guard_comment_rows(file: str, columns: list[str], cells: list[list[str]]) -> None:
    """Refuse to write a row the reader would skip as a comment (a first cell starting with ``#``).

    Validation already refuses ``#`` in the columns that allow comment rows; this is the
    writer's own check, so no save can ever lose a row to the comment rule.
    """
    if not columns or not cells:
        return
    spec = SPECS.get(next((t.name for t in TABLES if t.file == file), ""))
    if spec is None or columns[0] not in spec.column_names or spec.column(columns[0]).kind not in COMMENT_KINDS:
        return
    bad = [i for i, row in enumerate(cells) if row and row[0].lstrip().startswith("#")]
    if bad:
        raise EngagementError(file, [
            Problem(file, None, f"row {i + 1} would start with '#' under {columns[0]} and be read as a comment; "
                    "nothing was written", columns[0], i) for i in bad
        ])
