"""The engagement folder's tables, declared once.

Each :class:`TableSpec` names a file of the contract (``docs/engagement-format.md``),
its columns, which columns must be present, which cells must be filled and what kind
of value each holds. The loader, the validator, the Excel round trip, the editors and
the ``kpikit new`` scaffold all read these declarations, so a new column is added here
and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kpikit.periods import FREQUENCIES

Kind = Literal["id", "ref", "text", "number", "period", "date", "enum"]


@dataclass(frozen=True)
class Column:
    """One column: its kind and constraints.

    ``required`` means the column must be in the header; ``nonempty`` that every row
    must fill it. ``choices`` (for ``enum``) are matched case-insensitively and stored
    in their canonical spelling. ``min``/``max`` bound numbers (``min_exclusive`` for
    strictly-greater rules such as ``weight > 0``); ``whole`` asks for a whole number
    (``measured_every``).
    """

    name: str
    kind: Kind = "text"
    required: bool = False
    nonempty: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    help: str = ""
    whole: bool = False


@dataclass(frozen=True)
class TableSpec:
    """One CSV file of the engagement folder."""

    name: str
    file: str
    required_file: bool
    columns: tuple[Column, ...]
    help: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


RACI_LETTERS = ("R", "A", "C", "I")
DIRECTIONS = ("up", "down")
METRIC_TYPES = ("leading", "lagging")

ORG_UNITS = TableSpec(
    "org_units",
    "org_units.csv",
    True,
    (
        Column("id", "id", True, True, help="unique ID of the unit"),
        Column("name", "text", True, True, help="display name"),
        Column("parent_id", "ref", help="the unit above; empty for the one root"),
        Column("lead", "text", help="who leads the unit"),
    ),
    "The organisation's hierarchy: exactly one root unit, every other unit under an existing one.",
)
OBJECTIVES = TableSpec(
    "objectives",
    "objectives.csv",
    True,
    (
        Column("id", "id", True, True, help="unique ID"),
        Column("title", "text", True, True, help="the objective, in one SMART sentence"),
        Column("org_unit_id", "ref", True, True, help="the unit that owns it"),
        Column("parent_id", "ref", help="the higher-level objective it supports; empty = top level"),
        Column("pillar_id", "ref", help="the strategic pillar (required at top level to count as aligned)"),
        Column("owner", "text", help="the person answerable for it"),
        Column("due", "date", help="due date, YYYY-MM-DD"),
        Column("description", "text", help="context and scope"),
    ),
    "Objectives at every level, each linked to the one it supports.",
)
METRICS = TableSpec(
    "metrics",
    "metrics.csv",
    True,
    (
        Column("id", "id", True, True, help="unique ID"),
        Column("name", "text", True, True, help="short name"),
        Column("definition", "text", help="what it measures, in plain words"),
        Column("formula", "text", help="how it is computed"),
        Column("unit", "text", help="unit of measure (%, days, EUR, ...)"),
        Column("direction", "enum", True, True, DIRECTIONS, help="up = higher is better, down = lower is better"),
        Column("frequency", "enum", True, True, FREQUENCIES, help="how often it is measured"),
        Column("data_source", "text", help="the system or report it comes from"),
        Column("owner", "text", help="who produces the number"),
        Column("type", "enum", choices=METRIC_TYPES, help="leading or lagging"),
        Column("measured_every", "number", min=1, whole=True,
               help="measured once every n periods of its frequency (a survey every two years: annual, 2); default 1"),
        Column("source", "ref", help="a data source declared under sources: in engagement.yaml (kpikit refresh)"),
        Column("query", "text", help="SQL returning period, value (and note), or a .sql file of the folder"),
    ),
    "Candidate metrics: the KPI library.",
)
# metric_scores' criterion columns depend on engagement.yaml; they are added at validation.
METRIC_SCORES = TableSpec(
    "metric_scores",
    "metric_scores.csv",
    False,
    (
        Column("objective_id", "ref", True, True, help="the objective"),
        Column("metric_id", "ref", True, True, help="the candidate metric"),
    ),
    "Workshop scores: one row per objective x candidate metric, one column per criterion.",
)
KPIS = TableSpec(
    "kpis",
    "kpis.csv",
    False,
    (
        Column("objective_id", "ref", True, True, help="the objective"),
        Column("metric_id", "ref", True, True, help="the selected metric"),
        Column("target", "number", True, True, help="the value to reach"),
        Column("target_period", "period", True, True, help="when, in the metric's frequency"),
        Column("baseline", "number", help="the starting value"),
        Column("baseline_period", "period", help="when the baseline was measured"),
        Column("stretch", "number", help="a stretch target"),
        Column("benchmark", "number", help="an external or peer reference value"),
        Column("benchmark_source", "text", help="where the benchmark comes from"),
        Column("weight", "number", min=0, min_exclusive=True, help="weight in the objective's score (> 0, default 1)"),
    ),
    "Selected KPIs with baselines, targets and benchmarks.",
)
MILESTONES = TableSpec(
    "milestones",
    "milestones.csv",
    False,
    (
        Column("objective_id", "ref", True, True, help="the objective of the KPI (a row of kpis.csv)"),
        Column("metric_id", "ref", True, True, help="the metric of the KPI"),
        Column("period", "period", True, True,
               help="in the metric's frequency, after the baseline period and before the target period"),
        Column("target", "number", True, True, help="the value the plan sets for that period"),
    ),
    "Interim targets of selected KPIs, by period (a plan with a target for each year); expected values follow them.",
)
STAKEHOLDERS = TableSpec(
    "stakeholders",
    "stakeholders.csv",
    False,
    (
        Column("id", "id", True, True, help="unique ID"),
        Column("name", "text", True, True, help="full name"),
        Column("role", "text", help="job title"),
        Column("org_unit_id", "ref", help="their unit"),
        Column("influence", "number", min=1, max=5, help="1 (low) to 5 (high)"),
        Column("support", "number", min=1, max=5, help="1 (opposed) to 5 (champion)"),
        Column("email", "text", help="contact"),
    ),
    "People, their influence on and support for the KPI programme.",
)
RACI = TableSpec(
    "raci",
    "raci.csv",
    False,
    (
        Column("item_id", "ref", True, True, help="an objective ID or a metric ID"),
        Column("stakeholder_id", "ref", True, True, help="the person"),
        Column("raci", "enum", True, True, RACI_LETTERS, help="R, A, C or I"),
    ),
    "Who is Responsible, Accountable, Consulted or Informed for each objective and KPI.",
)
ACTUALS = TableSpec(
    "actuals",
    "actuals.csv",
    False,
    (
        Column("metric_id", "ref", True, True, help="the metric"),
        Column("period", "period", True, True, help="in the metric's frequency"),
        Column("value", "number", True, True, help="the measured value"),
        Column("note", "text", help="a remark on the value"),
    ),
    "Measured values per metric and period.",
)
CHANGES = TableSpec(
    "changes",
    "changes.csv",
    False,
    (
        Column("date", "date", True, True, help="YYYY-MM-DD"),
        Column("item_id", "text", True, True, help="what changed (objective, metric or OBJECTIVE/METRIC)"),
        Column("change", "text", True, True, help="what was decided"),
        Column("rationale", "text", help="why"),
        Column("decided_by", "text", help="who decided"),
    ),
    "Decision log of the review-and-adapt cycle (append-only).",
)

ACTION_STATUSES = ("open", "done", "dropped")
ACTIONS = TableSpec(
    "actions",
    "actions.csv",
    False,
    (
        Column("id", "id", True, True, help="unique ID of the action"),
        Column("item_id", "text", True, True, help="an objective ID, a metric ID, or OBJECTIVE_ID/METRIC_ID for one KPI"),
        Column("action", "text", True, True, help="what will be done"),
        Column("owner", "ref", help="the stakeholder who does it"),
        Column("due", "date", help="YYYY-MM-DD: when it is due"),
        Column("status", "enum", True, True, ACTION_STATUSES, help="open, done or dropped"),
        Column("opened", "date", help="YYYY-MM-DD: when it was agreed"),
        Column("closed", "date", help="YYYY-MM-DD: when it was done or dropped (required then)"),
        Column("note", "text", help="progress, or why it was dropped"),
    ),
    "Follow-up actions agreed at reviews: what will be done about an objective or KPI, by whom, by when.",
)

TABLES: tuple[TableSpec, ...] = (
    ORG_UNITS,
    OBJECTIVES,
    METRICS,
    METRIC_SCORES,
    KPIS,
    MILESTONES,
    STAKEHOLDERS,
    RACI,
    ACTUALS,
    CHANGES,
    ACTIONS,
)
SPECS: dict[str, TableSpec] = {t.name: t for t in TABLES}
CONFIG_FILE = "engagement.yaml"


def spec_for_scores(criteria: list[str], scale: tuple[float, float]) -> TableSpec:
    """metric_scores' spec with one required number column per scoring criterion."""
    extra = tuple(
        Column(c, "number", True, True, min=scale[0], max=scale[1], help=f"score for {c}, {scale[0]:g} to {scale[1]:g}")
        for c in criteria
    )
    return TableSpec(METRIC_SCORES.name, METRIC_SCORES.file, False, METRIC_SCORES.columns + extra, METRIC_SCORES.help)
