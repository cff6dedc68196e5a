"""The engagement: one client's folder of files, loaded into typed tables.

:func:`load_engagement` reads and validates a folder; :class:`Engagement` holds the
settings (``config``) and one pandas DataFrame per table, with the contract's column
names and declared dtypes (text as ``str``, numbers as ``float64``, missing = NaN).
:meth:`Engagement.save` writes changed tables back: validated first with exactly the
rules of ``kpikit validate``, refused if a file changed on disk since it was loaded,
backed up, and written atomically. Tables nobody touched keep their bytes.

>>> eng = load_engagement("clients/demo-harbor")          # doctest: +SKIP
>>> eng.metrics[["id", "direction"]].head(2)               # doctest: +SKIP
"""

from __future__ import annotations

import copy
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from kpikit.data.config import EngagementConfig
from kpikit.data.csvio import (
    RawTable,
    atomic_write,
    frame_cells,
    read_csv_file,
    sha256_bytes,
    sha256_file,
    to_csv_bytes,
)
from kpikit.data.schema import CONFIG_FILE, SPECS, TABLES
from kpikit.data.validation import ROW_KEYS, RawEngagement, build_engagement, raw_from_frames
from kpikit.errors import NotAnEngagementError, Problem, StaleFileError
from kpikit.periods import Period

BACKUP_DIR = Path(".kpikit") / "backups"
STEPS: dict[str, str] = {
    "org_units": "Organisation structure (org_units.csv)",
    "objectives": "Objectives (objectives.csv)",
    "metrics": "Candidate metrics (metrics.csv)",
    "metric_scores": "Metric scoring workshop (metric_scores.csv)",
    "kpis": "KPI selection, targets and benchmarks (kpis.csv)",
    "stakeholders": "Stakeholder map (stakeholders.csv)",
    "raci": "RACI assignments (raci.csv)",
    "actuals": "Actuals collection (actuals.csv)",
    "changes": "Decision log (changes.csv)",
}
"""The alignment steps in process order, by the file that records each. A required file
that holds only its header (as ``kpikit new`` writes it) is an outstanding step too."""


@dataclass
class SaveResult:
    """What :meth:`Engagement.save` did: files written and where the old ones went."""

    written: list[str]
    backup: Path | None


@dataclass
class Engagement:
    """One engagement, validated. Tables are DataFrames keyed by table name."""

    folder: str
    config: EngagementConfig
    tables: dict[str, pd.DataFrame]
    present: frozenset[str]
    source_lines: dict[str, list[int]] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)
    config_text: str | None = None
    spellings: dict[str, dict[str, dict[tuple[str, ...], str]]] = field(default_factory=dict)
    """Per table and number column, how the file spelled numbers (``0.60``), kept on save."""
    _loaded: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._loaded = {k: v.copy() for k, v in self.tables.items()}

    # -- tables, by name ------------------------------------------------------------
    @property
    def org_units(self) -> pd.DataFrame:
        return self.tables["org_units"]

    @property
    def objectives(self) -> pd.DataFrame:
        return self.tables["objectives"]

    @property
    def metrics(self) -> pd.DataFrame:
        return self.tables["metrics"]

    @property
    def metric_scores(self) -> pd.DataFrame:
        return self.tables["metric_scores"]

    @property
    def kpis(self) -> pd.DataFrame:
        return self.tables["kpis"]

    @property
    def stakeholders(self) -> pd.DataFrame:
        return self.tables["stakeholders"]

    @property
    def raci(self) -> pd.DataFrame:
        return self.tables["raci"]

    @property
    def actuals(self) -> pd.DataFrame:
        return self.tables["actuals"]

    @property
    def changes(self) -> pd.DataFrame:
        return self.tables["changes"]

    @property
    def path(self) -> Path:
        return Path(self.folder)

    @property
    def client(self) -> str:
        return self.config.client

    def has(self, table: str) -> bool:
        """Whether the table's file exists (the step has been started)."""
        return table in self.present

    def outstanding_steps(self) -> list[str]:
        """The alignment steps whose file is absent or still empty, in process order."""
        return [step for name, step in STEPS.items() if not self.has(name) or self.tables[name].empty]

    def review_period(self, override: str | None = None) -> Period | None:
        """The review period: ``override``, else ``current_period``, else the latest actual.

        The latest actual across frequencies is the one that ends last (the coarser
        one on a tie: 2026-Q3 rather than 2026-09).
        """
        text = override or self.config.current_period
        if text:
            return Period.parse(text)
        if self.actuals.empty:
            return None
        periods = {Period.parse(p) for p in self.actuals["period"].dropna().unique()}
        order = {"annual": 2, "quarterly": 1, "monthly": 0}
        return max(periods, key=lambda p: (p.end_month, order[p.freq]))

    def copy(self) -> Engagement:
        """A deep copy (tables and settings) that can be edited and saved independently."""
        dup = copy.copy(self)
        dup.tables = {k: v.copy() for k, v in self.tables.items()}
        dup.config = self.config.model_copy(deep=True)
        dup._loaded = {k: v.copy() for k, v in self._loaded.items()}
        dup.fingerprints = dict(self.fingerprints)
        # save() replaces entries of these in place: a shared dict would move the original's map too
        dup.source_lines = {k: list(v) for k, v in self.source_lines.items()}
        dup.headers = {k: list(v) for k, v in self.headers.items()}
        dup.spellings = copy.deepcopy(self.spellings)
        return dup

    def adopt_table(self, name: str, fresh: Engagement) -> None:
        """Take table ``name`` as ``fresh`` (a newer load of the same folder) has it.

        The table becomes the new baseline for change detection and the stale check:
        used when another writer appended to an append-only file (``changes.csv``) and
        its rows should be kept rather than the save refused.
        """
        self.tables[name] = fresh.tables[name].copy()
        self._loaded[name] = fresh.tables[name].copy()
        file = SPECS[name].file
        if file in fresh.fingerprints:
            self.fingerprints[file] = fresh.fingerprints[file]
        self.headers[name] = list(fresh.headers.get(name, []))
        self.source_lines[name] = list(fresh.source_lines.get(name, []))
        if name in fresh.spellings:
            self.spellings[name] = fresh.spellings[name]
        if fresh.has(name):
            self.present = self.present | {name}

    # -- saving ---------------------------------------------------------------------
    def changed_tables(self) -> list[str]:
        """Tables that differ from what was loaded (or last saved)."""
        out = []
        for spec in TABLES:
            now, then = self.tables.get(spec.name), self._loaded.get(spec.name)
            if now is None:
                continue
            if then is None or not _same(now, then):
                out.append(spec.name)
        return out

    def validate(self) -> Engagement:
        """Re-check the current (possibly edited) tables with the rules of ``kpikit validate``.

        Raises :class:`~kpikit.errors.EngagementError` listing every problem; line
        numbers refer to the file as it would be written.
        """
        changed = set(self.changed_tables())
        lines = {k: v for k, v in self.source_lines.items() if k not in changed}
        raw = raw_from_frames(self.folder, self.config_text, self.tables, self.headers, lines)
        raw.tables = {k: t for k, t in raw.tables.items() if k in self.present or k in changed}
        return build_engagement(raw)

    def save(self, *, keep_backups: int = 20, check_stale: bool = True) -> SaveResult:
        """Validate, then atomically write every changed table, backing up what it replaces.

        Refuses (:class:`~kpikit.errors.StaleFileError`) when a file it would write
        changed on disk since it was loaded. Nothing is written if anything is wrong.
        """
        changed = self.changed_tables()
        if not changed:
            return SaveResult([], None)
        checked = self.validate()
        folder = self.path
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
            self.tables[name] = df
            self._loaded[name] = df.copy()
            self.source_lines[name] = list(range(2, len(df) + 2))
        self.present = self.present | set(changed)
        return SaveResult([SPECS[n].file for n in changed], backup)


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


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
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
    cfg = path / CONFIG_FILE
    if cfg.exists():
        data = cfg.read_bytes()
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
