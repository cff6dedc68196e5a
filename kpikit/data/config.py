"""``engagement.yaml``: the typed settings of one engagement.

pydantic declares the file's shape once (types, defaults, allowed values) and reports
every problem at once; this module turns pydantic's error locations back into YAML
line numbers so that a consultant reads ``engagement.yaml:12: ...`` instead of a
Python path.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kpikit.data import limits
from kpikit.data.paths import check_inside, read_inside, written_problem
from kpikit.data.schema import CONFIG_FILE
from kpikit.errors import FolderFileError, Problem
from kpikit.periods import NOT_A_PERIOD, PERIOD_RE, Frequency, foreign_digit_hint

DEFAULT_CRITERIA: dict[str, float] = {
    "relevance": 3,
    "measurability": 2,
    "data_availability": 2,
    "actionability": 2,
    "cost_to_collect": 1,
}
ID_PATTERN = r"[A-Za-z0-9._-]{1,64}"
SAME_CRITERION = "name the same criterion"
"""Words of the message for criteria names that differ only by case (``Relevance`` and ``relevance``)."""
DECK_TEMPLATE = limits.FileKind("the deck template", 64 * limits.MIB)
"""A consultancy's branded .pptx (report.deck_template): masters, layouts and a few images, a few MB."""
PATH_SETTINGS: dict[tuple[str, ...], limits.FileKind] = {("report", "logo"): limits.LOGO,
                                                         ("report", "deck_template"): DECK_TEMPLATE}
"""Settings that name a file of the engagement folder, and its kind: each obeys ``data/paths.RULE``."""
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_NOT_RESOLVED = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_INF_NAN = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_MERGE = "tag:yaml.org,2002:merge"
_TAG_WORDS = {
    "tag:yaml.org,2002:timestamp": "date (YYYY-MM-DD, a day in the calendar)", "tag:yaml.org,2002:int": "whole number",
    "tag:yaml.org,2002:float": "number", "tag:yaml.org,2002:binary": "base64 value", "tag:yaml.org,2002:bool": "yes/no value",
}


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
        written: dict[str, str] = {}
        for name, weight in v.items():
            key = str(name).strip().lower()
            shown = limits.quote(str(name))
            if not key or key in ("objective_id", "metric_id"):
                raise ValueError(f"{shown} cannot be a criterion name (objective_id and metric_id are taken)")
            if key in written:
                raise ValueError(f"{limits.quote(written[key])} and {shown} {SAME_CRITERION}: names are compared "
                                 "ignoring upper/lower case, so give each criterion once")
            if weight <= 0:
                raise ValueError(f"{shown} has weight {weight:g}; every weight must be > 0")
            out[key] = float(weight)
            written[key] = str(name)
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
    deck_template: str | None = None
    """A .pptx of the folder whose layouts and theme report.pptx uses (the kit's own when empty)."""


SECRET_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""``${NAME}`` in a source's ``url``: read from the environment at refresh time, never written anywhere."""
_URL_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?P<user>[^:@/]*):(?P<password>[^@/]*)@")
SOURCE_FILE_TYPES = (".csv", ".parquet", ".json", ".xlsx")


class Source(_Model):
    """One declared data source (contract: Data sources): a file read with DuckDB, or a database URL.

    The URL is kept as written (``${NAME}`` unresolved), so the settings can be shown, copied
    into a run's inputs or dumped without ever holding a credential.
    """

    path: str | None = None
    sheet: str | None = None
    url: str | None = None
    timeout: float = Field(default=60, gt=0)
    query: str | None = None

    @field_validator("url")
    @classmethod
    def _no_literal_password(cls, v: str | None) -> str | None:
        if v is None:
            return v
        m = _URL_PASSWORD.match(v)
        given = [m.group("password")] if m else []
        given += re.findall(r"[?&]password=([^&]*)", v, flags=re.IGNORECASE)
        if any(p and not SECRET_RE.fullmatch(p) for p in given):
            # the message never repeats the URL: it holds the password
            raise ValueError("has a password written in it: put the password in an environment variable and write "
                             "${NAME} in its place (postgresql+psycopg://user:${DB_PASSWORD}@host/db)")
        if "$" in SECRET_RE.sub("", v):
            raise ValueError("has a '$' that is not a ${NAME} variable (letters, digits and '_' between ${ and })")
        return v

    @field_validator("path")
    @classmethod
    def _file_type(cls, v: str | None) -> str | None:
        if v is not None and not v.lower().endswith(SOURCE_FILE_TYPES):
            raise ValueError(f"{limits.quote(v)} is not a .csv, .parquet, .json or .xlsx file")
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        if (self.path is None) == (self.url is None):
            raise ValueError("needs exactly one of path: (a file) or url: (a database)")
        if self.sheet is not None and not (self.path or "").lower().endswith(".xlsx"):
            raise ValueError("has sheet:, which only an .xlsx path takes")
        return self

    @property
    def kind(self) -> str:
        """``file`` or ``database``."""
        return "file" if self.path is not None else "database"


def setting_line(text: str | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of a setting in engagement.yaml text (or its nearest parent); None if unreadable."""
    if not text:
        return None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, _TooBig):
        return None
    return _line_of(node, loc)


_MONTH_HINT = "give the month fiscal years start in, 1 to 12 (7 = July)"


class EngagementConfig(_Model):
    """The contents of engagement.yaml."""

    client: str = Field(min_length=1)
    mission: str = Field(min_length=1)
    vision: str | None = None
    pillars: list[Pillar] = Field(min_length=1)
    current_period: str | None = None
    review_cadence: Frequency = "quarterly"
    fiscal_year_start: int = 1
    """The month (1-12) fiscal years start in; annual and quarterly periods are fiscal (contract: Fiscal years)."""
    scoring: Scoring = Field(default_factory=Scoring)
    status: StatusSettings = Field(default_factory=StatusSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    sources: dict[str, Source] = Field(default_factory=dict)
    """Declared data sources by name (contract: Data sources); they share the engagement's ID space."""

    @field_validator("sources")
    @classmethod
    def _source_names(cls, v: dict[str, Source]) -> dict[str, Source]:
        for name in v:
            if not re.fullmatch(ID_PATTERN, str(name)):
                raise ValueError(f"name {limits.quote(str(name))} is not a valid ID (1 to 64 letters, digits, '.', '_' or '-')")
        return v

    @field_validator("current_period")
    @classmethod
    def _period(cls, v: str | None) -> str | None:
        if v is not None and not PERIOD_RE.fullmatch(v):
            raise ValueError(f"{limits.quote(v)} {NOT_A_PERIOD}{foreign_digit_hint(v)}")
        return v

    @field_validator("pillars")
    @classmethod
    def _unique_pillars(cls, v: list[Pillar]) -> list[Pillar]:
        seen: set[str] = set()
        for p in v:
            if p.id in seen:
                raise ValueError(f"id {limits.quote(p.id)} is used by two pillars; IDs must be unique")
            seen.add(p.id)
        return v

    @field_validator("review_cadence", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("fiscal_year_start", mode="before")
    @classmethod
    def _month_number(cls, v: Any) -> Any:
        if isinstance(v, bool):  # YAML reads `yes`/`no` as booleans, which int() would take as 1 and 0
            raise ValueError(f"must be a month number, not {str(v).lower()}: {_MONTH_HINT}")
        text = v.strip() if isinstance(v, str) else ""
        if text and not (text.isascii() and text.lstrip("+-").isdigit()):  # July, 7.5, ７
            raise ValueError(f"{limits.quote(text)} is not a month number: {_MONTH_HINT}{foreign_digit_hint(text)}")
        return v

    @field_validator("fiscal_year_start")
    @classmethod
    def _month(cls, v: int) -> int:
        if not 1 <= v <= 12:
            raise ValueError(f"{v} is not a month: {_MONTH_HINT}")
        return v


def read_config_file(folder: Path) -> tuple[bytes | None, list[Problem]]:
    """engagement.yaml's bytes, read by the folder-file rule (``data/paths.py``); ``(None, [])`` when it is absent.

    A named pipe, a device, a link out of the folder or a file above ``limits.CONFIG`` is
    one problem (and is never read: a pipe would hang the reader).
    """
    try:
        return read_inside(folder, CONFIG_FILE, limits.CONFIG), []
    except FolderFileError as exc:
        return None, ([] if exc.missing else [Problem(CONFIG_FILE, None, exc.reason)])


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded, and keeping numbers and dates as written.

    Composition stops at ``limits.MAX_YAML_NODES`` values or ``MAX_YAML_DEPTH`` levels (so
    a file of a million keys or ten thousand ``[`` fails at once, not after a recursion
    error). Plain scalars that YAML 1.1 reads as numbers stay text (``.inf`` and ``.nan``
    excepted, so they are named as not finite): pydantic parses each setting by its declared
    type, so ``007`` stays ``'007'`` in an ID, ``1.10`` is not ``1.1``, ``1:30`` is not read
    as the base-60 number 90 and ``0x10`` is not 16. A date that is not in the calendar
    (``2026-02-30``) is a message instead of a crash.
    """

    yaml_implicit_resolvers = {  # noqa: RUF012 (PyYAML's own class-level table, replaced not mutated)
        first: [(tag, rx) for tag, rx in resolvers if tag not in _NOT_RESOLVED]
        + ([("tag:yaml.org,2002:float", _INF_NAN)] if first in ("-", "+", ".") else [])
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.composed = 0
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.composed += 1
        self.depth += 1
        try:
            if self.composed > limits.MAX_YAML_NODES:
                raise _TooBig(self.peek_event().start_mark.line + 1,  # type: ignore[no-untyped-call]
                              f"has more than {limits.MAX_YAML_NODES:,} values, the most it may have")
            if self.depth > limits.MAX_YAML_DEPTH:
                raise _TooBig(self.peek_event().start_mark.line + 1,  # type: ignore[no-untyped-call]
                              f"is nested more than {limits.MAX_YAML_DEPTH} levels deep, the most it may be")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception:  # any constructor failure is a message (e.g. !!timestamp 2026-02-30 or Acme, !!int of 5,000 digits)
            kind = _TAG_WORDS.get(str(node.tag), f"value of type {node.tag}")
            raise yaml.constructor.ConstructorError(
                None, None, f"{limits.quote(getattr(node, 'value', ''))} is not a valid {kind}", node.start_mark,
            ) from None


class _TooBig(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_config(
    text: str, file: str = CONFIG_FILE, folder: Path | None = None
) -> tuple[EngagementConfig | None, list[Problem]]:
    """Parse engagement.yaml text; return the config or every problem with its line.

    ``folder`` is the engagement folder: when given, settings that name a file
    (:data:`PATH_SETTINGS`) are checked against it with the folder-file rule.
    """
    hint = "check the indentation, and quote a value that contains ': ' or starts with [, {, *, & or #"
    if len(text) > limits.CONFIG.max_bytes:
        return None, [Problem(file, None, f"is {limits.size_text(len(text))}; it may be at most "
                                          f"{limits.size_text(limits.CONFIG.max_bytes)} (see docs/reliability.md)")]
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # its reader refuses control characters at once
        node = loader.get_single_node()
        problems = _node_problems(node, file)
        data = loader.construct_document(node) if node is not None else None
    except _TooBig as exc:
        return None, [Problem(file, exc.line, f"{exc.message} (see docs/reliability.md): is it really engagement.yaml?")]
    except yaml.reader.ReaderError as exc:  # a control character: PyYAML's text carries a newline and a position
        at = text[: exc.position].count("\n") + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "a byte that is not text"
        return None, [Problem(file, at, f"contains the control character {char}, which YAML does not allow: delete it")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = limits.shorten(str(getattr(exc, "problem", None) or exc), limits.MAX_MESSAGE_CHARS // 2)
        if isinstance(exc, yaml.constructor.ConstructorError):  # the syntax is fine; a tag or a value is not
            return None, [Problem(file, line, f"cannot be read: {what} (put a text value in quotes; remove a '!' tag)")]
        return None, [Problem(file, line, f"is not valid YAML: {what} ({hint})")]
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        kind = _kind(data)
        return None, [Problem(file, node.start_mark.line + 1 if node is not None else None,
                              f"must be a mapping of settings (client:, mission:, pillars: ...), but it is {kind}")]
    problems.extend(_path_problems(data, node, file, folder))
    config: EngagementConfig | None = None
    try:
        config = EngagementConfig.model_validate(data)
    except ValidationError as exc:
        clash_reported = any(SAME_CRITERION in p.message for p in problems)
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc[:2] == ("scoring", "scale"):
                loc = loc[:2]  # a short or long scale is one problem with the whole list
            problem = Problem(file, _line_of(node, loc), describe_error(err, loc))
            if clash_reported and SAME_CRITERION in problem.message:
                continue  # already named with both lines
            if problem not in problems:
                problems.append(problem)
    if problems:
        return None, sorted(problems, key=lambda p: p.line or 0)
    return config, []


def _node_problems(root: yaml.Node | None, file: str) -> list[Problem]:
    """What the YAML parser lets through: aliases that expand too far or refer to themselves, keys given twice,
    criteria names that differ only by case, and numbers too small to tell apart from 0."""
    problems: list[Problem] = []
    if root is None:
        return problems
    sizes: dict[int, tuple[int, int]] = {}
    on_path: set[int] = set()

    def size(n: yaml.Node, depth: int) -> tuple[int, int]:
        """Values in ``n`` and its height, every alias expanded (memoised: an alias bomb costs its node count)."""
        if id(n) in sizes:
            total, height = sizes[id(n)]
        elif id(n) in on_path:
            raise _TooBig(n.start_mark.line + 1, "has an alias (*name) that refers to itself, so it never ends")
        else:
            on_path.add(id(n))
            children = [c for kv in n.value for c in kv] if isinstance(n, yaml.MappingNode) else \
                list(n.value) if isinstance(n, yaml.SequenceNode) else []
            total, height = 1, 1
            for child in children:
                t, h = size(child, depth + 1)
                total, height = total + t, max(height, h + 1)
            on_path.discard(id(n))
            sizes[id(n)] = (total, height)
        if total > limits.MAX_YAML_NODES:
            raise _TooBig(n.start_mark.line + 1, f"expands (through aliases, *name) to more than "
                          f"{limits.MAX_YAML_NODES:,} values, the most it may have")
        if depth + height - 1 > limits.MAX_YAML_DEPTH:
            raise _TooBig(n.start_mark.line + 1, f"is nested (through aliases, *name) more than "
                          f"{limits.MAX_YAML_DEPTH} levels deep, the most it may be")
        return total, height

    size(root, 1)
    walked: set[int] = set()

    def walk(n: yaml.Node, path: tuple[Any, ...]) -> None:
        if id(n) in walked:
            return
        walked.add(id(n))
        if isinstance(n, yaml.MappingNode):
            first: dict[str, int] = {}
            folded: dict[str, tuple[str, int]] = {}
            for k, v in n.value:
                key = str(k.value) if isinstance(k, yaml.ScalarNode) else None
                if key is not None and k.tag != _MERGE:
                    line = k.start_mark.line + 1
                    where = _where((*path, key))
                    if key in first:
                        problems.append(Problem(file, line, f"{limits.shorten(where)} is given twice (lines {first[key]} "
                                                            f"and {line}); the kit will not guess which one you meant: "
                                                            "delete one"))
                    else:
                        first[key] = line
                    low = key.strip().lower()
                    if path == ("scoring", "criteria") and low in folded and folded[low][0] != key:
                        problems.append(Problem(
                            file, line, f"scoring.criteria {limits.quote(key)} and {limits.quote(folded[low][0])} "
                            f"(line {folded[low][1]}) {SAME_CRITERION}: names are compared ignoring upper/lower case, "
                            "so give each criterion once",
                        ))
                    folded.setdefault(low, (key, line))
                walk(v, (*path, key if key is not None else "?"))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))
        elif isinstance(n, yaml.ScalarNode) and path[:1] in (("scoring",), ("status",)):
            text = str(n.value).strip()
            if NUMBER_TEXT.fullmatch(text) and re.search("[1-9]", re.split("[eE]", text)[0]) and float(text) == 0:
                problems.append(Problem(file, n.start_mark.line + 1,
                                        f"{_where(path)} {limits.quote(text)} is too small to tell apart from 0: "
                                        "write 0 or a larger number"))

    walk(root, ())
    return problems


def _source_path_problems(data: dict[Any, Any], node: yaml.Node | None, file: str, folder: Path | None) -> list[Problem]:
    """Each source's ``path`` and bulk ``query`` file, checked with the folder-file rule (``data/paths.py``).

    A source file may also be absolute (an extract on a shared drive); it is checked when a
    refresh reads it, since the drive may not be mounted where the folder is validated.
    A bulk query file must be in the folder now.
    """
    out: list[Problem] = []
    sources = data.get("sources")
    if not isinstance(sources, dict):
        return out
    for name, src in sources.items():
        if not isinstance(src, dict):
            continue
        path, query = src.get("path"), src.get("query")
        if isinstance(path, str) and path.strip() and not Path(path.strip()).is_absolute():
            reason = written_problem(path.strip())
            if reason is not None:
                out.append(Problem(file, _line_of(node, ("sources", name, "path")),
                                   f"sources.{name}.path {limits.quote(path.strip())} {reason}"))
        if isinstance(query, str) and query.strip():
            reason = written_problem(query.strip())
            if reason is None and not query.strip().lower().endswith(".sql"):
                reason = "is not a .sql file: a source's query: names a file of the folder, like queries/bulk.sql"
            if reason is None and folder is not None:
                try:
                    check_inside(folder, query.strip(), limits.QUERY)
                except FolderFileError as exc:
                    reason = exc.reason
            if reason is not None:
                out.append(Problem(file, _line_of(node, ("sources", name, "query")),
                                   f"sources.{name}.query {limits.quote(query.strip())} {reason}"))
    return out


def _path_problems(data: dict[Any, Any], node: yaml.Node | None, file: str, folder: Path | None) -> list[Problem]:
    """Each setting that names a file, checked with the folder-file rule (``data/paths.py``)."""
    out: list[Problem] = _source_path_problems(data, node, file, folder)
    for loc, kind in PATH_SETTINGS.items():
        value: Any = data
        for part in loc:
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, str) or not value.strip():
            continue
        name = value.strip()
        where = f"{_where(loc)} {limits.quote(name)}"
        reason = written_problem(name)
        if reason is None and folder is not None:
            try:
                check_inside(folder, name, kind)
            except FolderFileError as exc:
                # a missing logo: the cover has none (the contract); a missing deck template is an error
                reason = None if exc.missing and loc == ("report", "logo") else exc.reason
        if reason is not None:
            out.append(Problem(file, _line_of(node, loc), f"{where} {reason}"))
    return out


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
        return _shown(value) if NUMBER_TEXT.fullmatch(value.strip()) else f"text {limits.quote(value)}"
    return limits.quote(value)


def _shown(value: Any) -> str:
    """A value in a message: numbers bare (``0``), text quoted (``'abc'``), anything cut short."""
    if isinstance(value, str) and NUMBER_TEXT.fullmatch(value.strip()):
        return limits.shorten(value.strip())
    return limits.quote(value)


def describe_error(err: Any, loc: tuple[Any, ...] | None = None) -> str:
    """One pydantic error as a sentence in the style of the CSV messages.

    >>> describe_error({"type": "literal_error", "loc": ("review_cadence",), "input": "weekly",
    ...                 "msg": "", "ctx": {"expected": "'monthly', 'quarterly' or 'annual'"}})
    "review_cadence 'weekly' is not one of monthly, quarterly, annual"
    """
    where = _where(tuple(err["loc"]) if loc is None else loc)
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if where == "scoring.scale":
        shown = f" [{', '.join(_shown(x) for x in value[:6])}{', ...' if len(value) > 6 else ''}]" \
            if isinstance(value, list | tuple) else ""
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
        return f"{where} {limits.quote(value)} is not a valid ID (1 to 64 letters, digits, '.', '_' or '-')"
    if kind == "string_too_short":
        return f"{where} is empty (required)"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"{where} needs at least {n} item{'s' if n != 1 else ''}"
    if kind == "literal_error":
        choices = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{where} {_shown(value)} is not one of {choices}"
    if kind in ("float_parsing", "float_type"):
        return f"{where} {_shown(value)} is not a number{_digits(value)}"
    if kind in ("int_parsing", "int_from_float", "int_type", "int_parsing_size"):
        return f"{where} {_shown(value)} is not a whole number{_digits(value)}"
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
    msg = limits.shorten(str(err["msg"]).replace("Input should be", "should be"), limits.MAX_MESSAGE_CHARS // 2)
    shown = f" (got {_shown(value)})" if isinstance(value, str | int | float) else ""
    return f"{where}: {msg}{shown}"


def _digits(value: Any) -> str:
    return foreign_digit_hint(value) if isinstance(value, str) else ""


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
