"""``engagement.yaml``: the typed settings of one engagement.

pydantic declares the file's shape once (types, defaults, allowed values) and reports
every problem at once; this module turns pydantic's error locations back into YAML
line numbers so that a consultant reads ``engagement.yaml:12: ...`` instead of a
Python path.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kpikit.data.schema import CONFIG_FILE
from kpikit.errors import Problem
from kpikit.periods import NOT_A_PERIOD, PERIOD_RE, Frequency

DEFAULT_CRITERIA: dict[str, float] = {
    "relevance": 3,
    "measurability": 2,
    "data_availability": 2,
    "actionability": 2,
    "cost_to_collect": 1,
}
ID_PATTERN = r"[A-Za-z0-9._-]{1,64}"


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="allow", coerce_numbers_to_str=True, str_strip_whitespace=True, allow_inf_nan=False
    )


class Pillar(_Model):
    """A strategic pillar (theme) that top-level objectives align to."""

    id: str = Field(pattern=f"^{ID_PATTERN}$")
    name: str = Field(min_length=1)
    description: str | None = None


class Scoring(_Model):
    """How candidate metrics are scored in the workshop (see the contract)."""

    scale: tuple[float, float] = (1.0, 5.0)
    criteria: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_CRITERIA), min_length=1)
    select_threshold: float = 3.5
    max_kpis_per_objective: int = Field(default=3, ge=1)

    @field_validator("criteria")
    @classmethod
    def _criteria(cls, v: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, weight in v.items():
            key = str(name).strip().lower()
            if not key or key in ("objective_id", "metric_id"):
                raise ValueError(f"'{name}' cannot be a criterion name (objective_id and metric_id are taken)")
            if weight <= 0:
                raise ValueError(f"'{name}' has weight {weight:g}; every weight must be > 0")
            out[key] = float(weight)
        return out

    @field_validator("scale")
    @classmethod
    def _scale(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[0] >= v[1]:
            raise ValueError("must be [low, high] with low < high")
        return v


class StatusSettings(_Model):
    amber_tolerance: float = Field(default=0.10, ge=0)


class ReportSettings(_Model):
    title: str = "KPI Alignment Report"
    prepared_by: str | None = None
    logo: str | None = None
    confidentiality: str | None = "Confidential"
    page_size: Literal["A4", "Letter"] = "A4"


class EngagementConfig(_Model):
    """The contents of engagement.yaml."""

    client: str = Field(min_length=1)
    mission: str = Field(min_length=1)
    vision: str | None = None
    pillars: list[Pillar] = Field(min_length=1)
    current_period: str | None = None
    review_cadence: Frequency = "quarterly"
    scoring: Scoring = Field(default_factory=Scoring)
    status: StatusSettings = Field(default_factory=StatusSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)

    @field_validator("current_period")
    @classmethod
    def _period(cls, v: str | None) -> str | None:
        if v is not None and not PERIOD_RE.match(v):
            raise ValueError(f"'{v}' {NOT_A_PERIOD}")
        return v

    @field_validator("pillars")
    @classmethod
    def _unique_pillars(cls, v: list[Pillar]) -> list[Pillar]:
        seen: set[str] = set()
        for p in v:
            if p.id in seen:
                raise ValueError(f"id '{p.id}' is used by two pillars; IDs must be unique")
            seen.add(p.id)
        return v

    @field_validator("review_cadence", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v


def parse_config(text: str, file: str = CONFIG_FILE) -> tuple[EngagementConfig | None, list[Problem]]:
    """Parse engagement.yaml text; return the config or every problem with its line."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        hint = "check the indentation, and quote a value that contains ': ' or starts with [, {, *, & or #"
        return None, [Problem(file, line, f"is not valid YAML: {problem} ({hint})")]
    if not isinstance(data, dict):
        kind = _kind(data)
        return None, [Problem(file, node.start_mark.line + 1 if node is not None else None,
                              f"must be a mapping of settings (client:, mission:, pillars: ...), but it is {kind}")]
    try:
        return EngagementConfig.model_validate(data), []
    except ValidationError as exc:
        problems: list[Problem] = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc[:2] == ("scoring", "scale"):
                loc = loc[:2]  # a short or long scale is one problem with the whole list
            problem = Problem(file, _line_of(node, loc), describe_error(err, loc))
            if problem not in problems:
                problems.append(problem)
        return None, sorted(problems, key=lambda p: p.line or 0)


def _where(loc: tuple[Any, ...]) -> str:
    """A setting's path as a user writes it: ``scoring.criteria.relevance``, ``pillars[1].id``.

    List positions are counted from 1, as a person counts the ``- `` items.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _kind(value: Any) -> str:
    if isinstance(value, bool):  # YAML reads yes/no/on/off/true/false unquoted as booleans
        return f"the yes/no value {str(value).lower()} (put the text in quotes)"
    if isinstance(value, date):  # and 2026-01-31 unquoted as a date
        return f"the date {value.isoformat()} (put the text in quotes)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "empty"
    if isinstance(value, str):
        return f"text '{value}'"
    return f"{value!r}"


def _shown(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)


def describe_error(err: Any, loc: tuple[Any, ...] | None = None) -> str:
    """One pydantic error as a sentence in the style of the CSV messages.

    >>> describe_error({"type": "literal_error", "loc": ("review_cadence",), "input": "weekly",
    ...                 "msg": "", "ctx": {"expected": "'monthly', 'quarterly' or 'annual'"}})
    "review_cadence 'weekly' is not one of monthly, quarterly, annual"
    """
    where = _where(tuple(err["loc"]) if loc is None else loc)
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if where == "scoring.scale":
        shown = f" {value!r}" if isinstance(value, list | tuple) else ""
        return f"scoring.scale{shown} must be two numbers [low, high] with low < high, like [1, 5]"
    if kind == "missing":
        return f"{where} is required but missing"
    if value is None and (kind.endswith("_type") or kind == "literal_error"):  # `review_cadence:` left blank
        return f"{where} is empty"
    if kind == "invalid_key":
        return f"setting name {_shown(value)} must be text"
    if kind == "finite_number":
        return f"{where} {_shown(value)} is not a finite number"
    if kind == "string_pattern_mismatch":
        return f"{where} '{value}' is not a valid ID (1 to 64 letters, digits, '.', '_' or '-')"
    if kind == "string_too_short":
        return f"{where} is empty (required)"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"{where} needs at least {n} item{'s' if n != 1 else ''}"
    if kind == "literal_error":
        choices = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{where} {_shown(value)} is not one of {choices}"
    if kind in ("float_parsing", "float_type"):
        return f"{where} {_shown(value)} is not a number"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{where} {_shown(value)} is not a whole number"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        rel = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = ctx.get({"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}[kind])
        bound_text = f"{bound:g}" if isinstance(bound, int | float) else str(bound)
        return f"{where} {_shown(value)} must be {rel} {bound_text}"
    if kind == "string_type":
        return f"{where} must be text, not {_kind(value)}"
    if kind == "list_type":
        return f"{where} must be a list (lines starting with '- '), not {_kind(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where} must be a mapping (indented 'key: value' lines), not {_kind(value)}"
    if kind == "value_error":
        return f"{where} {str(err['msg']).removeprefix('Value error, ')}"
    msg = str(err["msg"]).replace("Input should be", "should be")
    shown = f" (got {_shown(value)})" if isinstance(value, str | int | float) else ""
    return f"{where}: {msg}{shown}"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at a pydantic location (or its nearest parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line
