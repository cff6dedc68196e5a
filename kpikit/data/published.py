"""``DIR/published/<period>/``: the reports a board saw, read back.

``kpikit publish`` (:mod:`kpikit.run.publish`) copies a successful run, with its
``inputs/`` (the exact files it read), into ``DIR/published/<period>/`` and writes
``published.json`` beside it. This module only reads that record: which periods are
published, when, and the engagement as it was then (loaded from the copy through the
same validator as every folder), so the engine can tell a restatement from the number
the board saw and ``kpikit compare`` can compare against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from kpikit.data.model import Engagement
from kpikit.errors import KpikitError
from kpikit.periods import Period

PUBLISHED_DIR = "published"
RECORD_FILE = "published.json"
INPUTS_DIR = "inputs"


@dataclass(frozen=True)
class Publication:
    """One published report: its period, the day it was published, and its folder."""

    period: str
    published_on: date
    folder: Path
    run: str = ""
    reason: str = ""

    @property
    def inputs(self) -> Path:
        return self.folder / INPUTS_DIR


def read_publication(folder: Path) -> Publication | None:
    """The record of one ``published/<period>/`` folder; None when it is not one (no or unreadable record)."""
    try:
        data = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        return Publication(
            period=str(data["period"]),
            published_on=date.fromisoformat(str(data["published"])[:10]),
            folder=folder,
            run=str(data.get("run", "")),
            reason=str(data.get("reason", "") or ""),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def publications(engagement: Path) -> list[Publication]:
    """Every published report of the engagement folder, oldest period first (empty when none)."""
    root = Path(engagement) / PUBLISHED_DIR
    if not root.is_dir():
        return []
    found = [p for p in (read_publication(d) for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith((".", "_"))) if p]
    return sorted(found, key=lambda p: _period_key(p.period))


def _period_key(text: str) -> tuple[int, str]:
    try:
        return (Period.parse(text).last_month(1), text)
    except ValueError:
        return (0, text)


def published_up_to(engagement: Path, period: Period | None, fiscal_year_start: int = 1) -> Publication | None:
    """The latest published report for a period that ends on or before the end of ``period`` (None without)."""
    pubs = publications(engagement) if period is not None else []
    if period is None or not pubs:
        return None
    try:
        end = period.ends_on(fiscal_year_start)
    except (ValueError, OverflowError):  # 9999-Q4 ends in the year 10000: every publication is before it
        return pubs[-1]
    found = []
    for pub in pubs:
        try:
            if Period.parse(pub.period).ends_on(fiscal_year_start) <= end:
                found.append(pub)
        except ValueError:
            continue
    return found[-1] if found else None


def findings_rows(run: Path) -> list[tuple[str, str, str]]:
    """``(code, item_id, message)`` of a run's or published report's ``findings.csv`` (empty when unreadable)."""
    from kpikit.data.csvio import read_csv_file

    try:
        table, _data, _problems = read_csv_file(Path(run) / "findings.csv")
    except OSError:
        return []
    if table is None:
        return []
    cols = [c.strip().lower() for c in table.header]
    out = []
    for row in table.rows:
        cells = dict(zip(cols, row, strict=False))
        out.append((cells.get("code", ""), cells.get("item_id", ""), cells.get("message", "")))
    return out


def load_published(pub: Publication) -> Engagement | None:
    """The engagement as it was published (its ``inputs/`` copy), or None when the copy no longer loads."""
    return _load(str(pub.inputs), _stamp(pub.inputs))


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    try:
        return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir()) if p.is_file())
    except OSError:
        return ()


@lru_cache(maxsize=16)
def _load(folder: str, _stamp: tuple[tuple[str, int, int], ...]) -> Engagement | None:
    from kpikit.data.store import load_engagement

    try:
        return load_engagement(folder)
    except KpikitError:
        return None


__all__ = [
    "PUBLISHED_DIR",
    "RECORD_FILE",
    "Publication",
    "findings_rows",
    "load_published",
    "publications",
    "published_up_to",
    "read_publication",
]
