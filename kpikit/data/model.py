"""The engagement the engine reads: settings and one typed table per file, nothing about files.

:class:`Engagement` holds the settings (``config``) and one pandas DataFrame per table,
with the contract's column names and declared dtypes (text as pandas' ``str``, numbers as
``float64``, missing = NaN; see :mod:`kpikit.data.cells`). Where the tables came from
(the files' lines, hashes, headers and number spellings) is the store's business: an
engagement loaded from a folder carries its :class:`StoreLink`, through which
:meth:`Engagement.save` writes it back (see :mod:`kpikit.data.store`).

>>> eng = load_engagement("clients/demo-harbor")          # doctest: +SKIP
>>> eng.metrics[["id", "direction"]].head(2)               # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from kpikit.data.config import EngagementConfig
from kpikit.periods import Period

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


class StoreLink(Protocol):
    """What an engagement needs from the store it was loaded from, to be checked and saved.

    The store (:class:`kpikit.data.store.StoreRecord`) implements it; the model names only
    this protocol, so it never depends on how files are read or written.
    """

    @property
    def fingerprints(self) -> dict[str, str]: ...

    def copy(self) -> StoreLink: ...

    def changed_tables(self, eng: Engagement) -> list[str]: ...

    def validate(self, eng: Engagement) -> Engagement: ...

    def save(self, eng: Engagement, *, keep_backups: int, check_stale: bool) -> SaveResult: ...

    def adopt_table(self, eng: Engagement, name: str, fresh: Engagement) -> None: ...


class NotStoredError(RuntimeError):
    """An engagement built in memory, with no store behind it, was asked to be checked or saved."""


@dataclass
class Engagement:
    """One engagement, validated. Tables are DataFrames keyed by table name."""

    folder: str
    config: EngagementConfig
    tables: dict[str, pd.DataFrame]
    present: frozenset[str]
    """The tables whose file exists (the step has been started)."""
    store: StoreLink | None = field(default=None, repr=False)
    """Where the tables came from, to save them back; None for an engagement built in memory."""

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
    def milestones(self) -> pd.DataFrame:
        """Interim targets (``objective_id, metric_id, period, target``); empty when milestones.csv is absent."""
        return self.tables["milestones"]

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

        The latest actual across frequencies is the one that ends last under the
        engagement's fiscal year (the coarser one on a tie: 2026-Q3 rather than 2026-09).
        """
        text = override or self.config.current_period
        if text:
            return Period.parse(text)
        if self.actuals.empty:
            return None
        periods = {Period.parse(p) for p in self.actuals["period"].dropna().unique()}
        order = {"annual": 2, "quarterly": 1, "monthly": 0}
        start = self.config.fiscal_year_start
        return max(periods, key=lambda p: (p.last_month(start), order[p.freq]))

    def copy(self) -> Engagement:
        """A deep copy (tables, settings and store record) that can be edited and saved independently."""
        return Engagement(
            folder=self.folder,
            config=self.config.model_copy(deep=True),
            tables={k: v.copy() for k, v in self.tables.items()},
            present=self.present,
            store=self.store.copy() if self.store is not None else None,
        )

    # -- through the store ------------------------------------------------------------
    @property
    def fingerprints(self) -> dict[str, str]:
        """SHA-256 of each file as loaded or last saved (the run manifest's inputs); empty in memory."""
        return self.store.fingerprints if self.store is not None else {}

    def changed_tables(self) -> list[str]:
        """Tables that differ from what was loaded (or last saved)."""
        return self._store().changed_tables(self)

    def validate(self) -> Engagement:
        """Re-check the current (possibly edited) tables with the rules of ``kpikit validate``.

        Raises :class:`~kpikit.errors.EngagementError` listing every problem; line
        numbers refer to the file as it would be written.
        """
        return self._store().validate(self)

    def save(self, *, keep_backups: int = 20, check_stale: bool = True) -> SaveResult:
        """Validate, then atomically write every changed table, backing up what it replaces.

        Refuses (:class:`~kpikit.errors.StaleFileError`) when a file it would write
        changed on disk since it was loaded. Nothing is written if anything is wrong.
        """
        return self._store().save(self, keep_backups=keep_backups, check_stale=check_stale)

    def adopt_table(self, name: str, fresh: Engagement) -> None:
        """Take table ``name`` as ``fresh`` (a newer load of the same folder) has it.

        The table becomes the new baseline for change detection and the stale check:
        used when another writer appended to an append-only file (``changes.csv``) and
        its rows should be kept rather than the save refused.
        """
        self._store().adopt_table(self, name, fresh)

    def _store(self) -> StoreLink:
        if self.store is None:
            raise NotStoredError(f"{self.folder}: this engagement was built in memory; load it from its folder to check or save it")
        return self.store
