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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from kpikit.data.config import EngagementConfig, read_config_file
from kpikit.data.csvio import (
    RawTable,
    atomic_write,
    frame_cells,
    read_csv_file,
    sha256_bytes,
    sha256_file,
    to_csv_bytes,
)
from kpikit.data.model import Engagement, SaveResult
from kpikit.data.schema import CONFIG_FILE, SPECS, TABLES
from kpikit.data.validation import ROW_KEYS, RawEngagement, Validated, raw_from_frames, validate
from kpikit.errors import NotAnEngagementError, Problem, StaleFileError

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

    def copy(self) -> StoreRecord:
        """A deep copy: saving through it leaves this record as it is."""
        return StoreRecord(
            config_text=self.config_text,
            loaded={k: v.copy() for k, v in self.loaded.items()},
            source_lines={k: list(v) for k, v in self.source_lines.items()},
            fingerprints=dict(self.fingerprints),
            headers={k: list(v) for k, v in self.headers.items()},
            spellings=copy.deepcopy(self.spellings),
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

    def validate(self, eng: Engagement) -> Engagement:
        """Re-check ``eng``'s current tables; line numbers refer to the file as it would be written."""
        changed = set(self.changed_tables(eng))
        lines = {k: v for k, v in self.source_lines.items() if k not in changed}
        raw = raw_from_frames(eng.folder, self.config_text, eng.tables, self.headers, lines)
        raw.tables = {k: t for k, t in raw.tables.items() if k in eng.present or k in changed}
        return build_engagement(raw)

    def save(self, eng: Engagement, *, keep_backups: int = 20, check_stale: bool = True) -> SaveResult:
        """Validate, then atomically write every changed table of ``eng``, backing up what it replaces."""
        changed = self.changed_tables(eng)
        if not changed:
            return SaveResult([], None)
        checked = self.validate(eng)
        folder = eng.path
        if check_stale:
            stale = [
                SPECS[n].file for n in changed if sha256_file(folder / SPECS[n].file) != self.fingerprints.get(SPECS[n].file)
            ]
            if stale:
                raise StaleFileError(stale)
        backup = make_backup(folder, [SPECS[n].file for n in changed], keep=keep_backups)
        for name in changed:
            df = checked.tables[name]
            order, written = _file_columns(self.headers.get(name), df)
            data = to_csv_bytes(written, _respell(frame_cells(df[order]), order, name, self.spellings.get(name)))
            atomic_write(folder / SPECS[name].file, data)
            self.fingerprints[SPECS[name].file] = sha256_bytes(data)
            self.headers[name] = list(written)
            eng.tables[name] = df
            self.loaded[name] = df.copy()
            self.source_lines[name] = list(range(2, len(df) + 2))
        eng.present = eng.present | set(changed)
        return SaveResult([SPECS[n].file for n in changed], backup)

    def adopt_table(self, eng: Engagement, name: str, fresh: Engagement) -> None:
        """Take table ``name`` as ``fresh`` (a newer load of the same folder) has it, as the new baseline."""
        theirs = record_of(fresh)
        eng.tables[name] = fresh.tables[name].copy()
        self.loaded[name] = fresh.tables[name].copy()
        file = SPECS[name].file
        if file in theirs.fingerprints:
            self.fingerprints[file] = theirs.fingerprints[file]
        self.headers[name] = list(theirs.headers.get(name, []))
        self.source_lines[name] = list(theirs.source_lines.get(name, []))
        if name in theirs.spellings:
            self.spellings[name] = copy.deepcopy(theirs.spellings[name])
        if fresh.has(name):
            eng.present = eng.present | {name}


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
    return engagement_from(validate(raw))


def folder_with_changes(
    raw: RawEngagement, config: EngagementConfig, unchanged: dict[str, pd.DataFrame], changed: dict[str, pd.DataFrame]
) -> Engagement:
    """The folder ``raw`` was read from, with the ``changed`` tables replaced (a workbook import).

    The ``unchanged`` tables are the baseline, so a save writes exactly the ``changed``
    ones; hashes and headers are the folder's as read, so the stale check and the user's
    header spelling apply as for a loaded engagement.
    """
    record = StoreRecord(
        config_text=raw.config_text,
        loaded={k: v.copy() for k, v in unchanged.items()},
        fingerprints=dict(raw.fingerprints),
        headers={k: (t.header_as_written or t.header) for k, t in raw.tables.items()},
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
    if config_text is None and not tables and not problems:
        raise NotAnEngagementError(f"{folder}: not an engagement folder (no {CONFIG_FILE} and no CSV files of the contract)")
    return RawEngagement(str(folder), config_text, tables, problems, fingerprints)


def load_engagement(folder: str | os.PathLike[str]) -> Engagement:
    """Read and validate an engagement folder.

    Raises :class:`~kpikit.errors.EngagementError` with every input problem, or
    :class:`~kpikit.errors.NotAnEngagementError` when the path is no engagement.
    """
    return build_engagement(read_engagement(folder))
