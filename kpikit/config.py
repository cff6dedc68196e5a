"""``engagement.yaml``: the typed settings of one engagement.

pydantic declares the file's shape once (types, defaults, allowed values) and reports
every problem at once; this module turns pydantic's error locations back into YAML
line numbers so that a consultant reads ``engagement.yaml:12: ...`` instead of a
Python path.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import Problem
from .periods import PERIOD_RE
from .schema import CONFIG_FILE

DEFAULT_CRITERIA: dict[str, float] = {
    "relevance": 3,
    "measurability": 2,
    "data_availability": 2,
    "actionability": 2,
    "cost_to_collect": 1,
}
ID_PATTERN = r"[A-Za-z0-9._-]{1,64}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, str_strip_whitespace=True)


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
                raise ValueError(f"'{name}' cannot be a criterion name")
            if weight <= 0:
                raise ValueError(f"weight of '{name}' must be > 0, got {weight:g}")
            out[key] = float(weight)
        return out

    @model_validator(mode="after")
    def _scale(self) -> Scoring:
        if self.scale[0] >= self.scale[1]:
            raise ValueError(f"scale {list(self.scale)} must be [low, high] with low < high")
        return self


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
    review_cadence: Literal["monthly", "quarterly", "annual"] = "quarterly"
    scoring: Scoring = Field(default_factory=Scoring)
    status: StatusSettings = Field(default_factory=StatusSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)

    @field_validator("current_period")
    @classmethod
    def _period(cls, v: str | None) -> str | None:
        if v is not None and not PERIOD_RE.match(v):
            raise ValueError(f"'{v}' is not a period (YYYY, YYYY-Qn or YYYY-MM)")
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
        return None, [Problem(file, line, f"not valid YAML: {problem}")]
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        return None, [Problem(file, 1 if data is not None else None,
                              f"must be a mapping of settings (client:, mission:, pillars: ...), but it is {kind}")]
    try:
        return EngagementConfig.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line_of(node, loc)
            where = ".".join(str(p) for p in loc) or "(top level)"
            msg = err["msg"]
            if err["type"] == "missing":
                msg = "is required but missing"
            elif msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            value = err.get("input")
            shown = f" (got {value!r})" if err["type"] != "missing" and isinstance(value, str | int | float) else ""
            problems.append(Problem(file, line, f"{where}: {msg}{shown}"))
        return None, problems


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
