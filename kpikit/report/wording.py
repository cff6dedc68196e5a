"""The report's fixed words: how a status and a severity read, and the action that closes a finding.

Tables only. :data:`ACTIONS` is keyed by finding code (:data:`kpikit.engine.findings.CODES`);
a new finding code that the recommendations should name gets its action here.
"""

from __future__ import annotations

STATUS: dict[str, dict[str, str]] = {
    "green": {"key": "green", "glyph": "●", "label": "On track", "word": "green",
              "meaning": "at or ahead of the expected value"},
    "amber": {"key": "amber", "glyph": "▲", "label": "At risk", "word": "amber",
              "meaning": "behind, within the tolerance"},
    "red": {"key": "red", "glyph": "■", "label": "Off track", "word": "red",
            "meaning": "behind by more than the tolerance"},
    "no-data": {"key": "no-data", "glyph": "○", "label": "No data", "word": "no data",
                "meaning": "no actual for the KPI's period"},
}
"""How each status reads: colour (CSS class), a shape and a word, so it survives greyscale print."""

NOT_MEASURED = {"key": "baseline", "glyph": "◌", "label": "Not yet measured", "word": "not yet measured against plan",
                "meaning": "only the baseline is recorded: nothing to compare with the plan yet"}
"""A KPI reviewed in its baseline period: the engine calls it green (actual = baseline = expected), the
report says what it is, never a success."""

VIEW_STATUS: dict[str, dict[str, str]] = {**STATUS, "baseline": NOT_MEASURED}
"""The statuses as the report shows them: the engine's four plus "not yet measured"."""

TREND_WORDS = {"improving": "↗ improving", "worsening": "↘ worsening", "flat": "→ flat",
               "mixed": "↕ mixed"}
"""Trend words with an arrow; ``mixed`` when the latest movement runs against the slope."""

MAX_NAMED = 3
"""A recommendation or a summary line names at most this many items, then counts the rest."""

SEVERITY_LABEL = {"error": "Error", "warning": "Warning", "info": "Note"}

ACTIONS: dict[str, str] = {
    "OBJECTIVE_UNALIGNED": "Link each unaligned objective to a parent objective or a pillar, or retire it",
    "OBJECTIVE_NO_KPI": "Choose at least one KPI for every objective that has none",
    "OBJECTIVE_NOT_SMART": "Rewrite the objectives that are not SMART: owner, due date, a measurable result",
    "CASCADE_WRONG_UNIT": "Re-link objectives whose parent sits in an unrelated part of the organisation",
    "KPI_TOO_MANY": "Trim objectives carrying more KPIs than agreed to the strongest few",
    "KPI_NOT_RECOMMENDED": "Confirm or replace KPIs that the workshop scores did not recommend",
    "KPI_NO_DATA_SOURCE": "Name a system of record for every KPI without a data source",
    "KPI_NO_ACCOUNTABLE": "Give every objective and KPI exactly one accountable person",
    "KPI_TARGET_UNREALISTIC": "Re-base targets that the KPI's history and benchmark do not support",
    "UNIT_NO_OBJECTIVE": "Agree objectives for the org units that have none, or confirm they need none",
    "METRIC_UNUSED": "Prune candidate metrics that were neither scored nor selected",
    "KPI_SOURCE_BROKEN": "Repair the data-source queries that failed at the last refresh (kpikit refresh lists why)",
    "KPI_NOT_MEASURED": "Write a query for KPIs whose data source is named but not connected, so their actuals are pulled",
    "KPI_OFF_TRACK_NO_ACTION": "Agree an action, an owner and a date for every red KPI that has none",
    "ACTION_OVERDUE": "Follow up the actions past their due date: report progress, close them or agree a new date",
    "ACTUAL_RESTATED": "Log why each number the board saw was restated (a changes.csv row per metric and period)",
    "KPI_DEFINITION_CHANGED": "Tell the board which KPIs changed definition: their history before the change is not comparable",
}
"""Finding code -> the action that closes it, in the words of a recommendation."""

SUGGESTION_ACTIONS: dict[str, str] = {
    "review-target-or-initiative": "Review the target or the initiative behind KPIs that stay off track",
    "fix-data-feed": "Fix the data feeds of KPIs with no figure for this review",
    "raise-or-retire": "Raise or retire targets that are already met",
}
"""review.suggestions kinds -> recommendation heading (drop-metric is covered by METRIC_UNUSED)."""
