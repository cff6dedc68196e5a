"""Findings: what a check reports that is not an input error, and the stable order they are shown in.

A leaf of the engine (it imports no other engine module), so that every concern
module can import :class:`Finding` while :func:`kpikit.engine.all_findings` gathers
their ``findings(eng, period=None) -> list[Finding]`` in one stable order (severity,
code, item): what ``findings.csv``, the report and ``kpikit validate`` show.

>>> sort_findings([Finding("METRIC_UNUSED", "M2", "b"), Finding("OBJECTIVE_UNALIGNED", "O1", "a")])[0].code
'OBJECTIVE_UNALIGNED'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}

CODES: dict[str, Severity] = {
    "OBJECTIVE_UNALIGNED": "error",
    "OBJECTIVE_NO_KPI": "warning",
    "OBJECTIVE_NOT_SMART": "warning",
    "CASCADE_WRONG_UNIT": "warning",
    "UNIT_NO_OBJECTIVE": "info",
    "KPI_TOO_MANY": "warning",
    "KPI_NOT_RECOMMENDED": "info",
    "KPI_NO_DATA_SOURCE": "warning",
    "KPI_NO_ACCOUNTABLE": "warning",
    "KPI_STALE": "warning",
    "KPI_TARGET_UNREALISTIC": "warning",
    "KPI_OFF_TRACK": "warning",
    "METRIC_UNUSED": "info",
    "KPI_SOURCE_BROKEN": "error",
    "KPI_NOT_MEASURED": "info",
    "KPI_OFF_TRACK_NO_ACTION": "warning",
    "ACTION_OVERDUE": "warning",
    "ACTUAL_RESTATED": "warning",
    "KPI_DEFINITION_CHANGED": "info",
}
"""The contract's finding codes and their severities (engagement-format.md)."""

FINDING_COLUMNS = ["code", "severity", "item_id", "message"]


@dataclass(frozen=True)
class Finding:
    """One finding: a code of the contract, the item it is about and why, in plain words."""

    code: str
    item_id: str
    message: str

    def __post_init__(self) -> None:
        # a title typed with line breaks (Alt+Enter in Excel) would split the finding over lines in
        # ``kpikit validate`` and findings.csv: a finding is one line of plain words
        object.__setattr__(self, "message", " ".join(self.message.split()))

    @property
    def severity(self) -> Severity:
        return CODES[self.code]

    def as_row(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "item_id": self.item_id, "message": self.message}


def sort_findings(items: list[Finding]) -> list[Finding]:
    """Stable order: severity, then code, then item ID, then message."""
    return sorted(set(items), key=lambda f: (SEVERITY_ORDER[f.severity], f.code, f.item_id, f.message))


def findings_frame(items: list[Finding]) -> pd.DataFrame:
    """Findings as the table written to ``findings.csv``."""
    rows = [f.as_row() for f in sort_findings(items)]
    return pd.DataFrame(rows, columns=FINDING_COLUMNS).astype("str") if rows else pd.DataFrame(
        {c: pd.Series([], dtype="str") for c in FINDING_COLUMNS}
    )


__all__ = ["CODES", "FINDING_COLUMNS", "SEVERITY_ORDER", "Finding", "Severity", "findings_frame", "sort_findings"]
