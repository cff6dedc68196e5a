"""What the workbook looks like: sheet names and which columns get which dropdown.

Shared by export and import so that both agree on the sheets. Column lists are never
written here: they come from :mod:`kpikit.data.schema` (and, for ``metric_scores``, from the
criteria in ``engagement.yaml``).
"""

from __future__ import annotations

from kpikit.data.config import EngagementConfig
from kpikit.data.schema import TABLES, TableSpec, spec_for_scores

INSTRUCTIONS_SHEET = "Instructions"
LISTS_SHEET = "lists"
"""The hidden sheet holding dropdown values, one named range per list."""
SERVICE_SHEETS = (INSTRUCTIONS_SHEET, LISTS_SHEET)
CLIENT_PROPERTY = "kpikit_client"
"""The workbook's custom document property naming the client it was exported for (checked on import)."""
TITLE_SUFFIX = ": engagement workbook"
"""The Instructions sheet's title is ``<client>: engagement workbook`` (the client, for a workbook without the property)."""

ID_LISTS: dict[str, str] = {
    "org_units": "org unit IDs",
    "objectives": "objective IDs",
    "metrics": "metric IDs",
    "stakeholders": "stakeholder IDs",
    "pillars": "pillar IDs (engagement.yaml)",
}
"""The ID lists offered as dropdowns: source table (or ``pillars``) -> what they are."""

_REF_BY_NAME = {
    "org_unit_id": ("org_units",),
    "objective_id": ("objectives",),
    "metric_id": ("metrics",),
    "stakeholder_id": ("stakeholders",),
    "pillar_id": ("pillars",),
}


def table_specs(config: EngagementConfig) -> dict[str, TableSpec]:
    """Every table's spec, ``metric_scores`` with this engagement's criteria columns."""
    out = {t.name: t for t in TABLES}
    out["metric_scores"] = spec_for_scores(list(config.scoring.criteria), config.scoring.scale)
    return out


def ref_sources(table: str, column: str) -> tuple[str, ...]:
    """The ID lists a reference column draws from (empty if it is no known reference).

    >>> ref_sources("objectives", "parent_id"), ref_sources("raci", "item_id")
    (('objectives',), ('objectives', 'metrics'))
    """
    if column == "parent_id":
        return (table,)
    if table == "raci" and column == "item_id":
        return ("objectives", "metrics")
    return _REF_BY_NAME.get(column, ())


def list_name(key: str) -> str:
    """The workbook-level defined name of a dropdown list (letters, digits, ``_`` only)."""
    return "list_" + "".join(ch if ch.isalnum() else "_" for ch in key)
