"""Declared data sources: which metric is measured by which query, checked like every other input.

The contract (``docs/engagement-format.md``, "Data sources and ``kpikit refresh``") lets a
metric name a source (``metrics.csv`` ``source``) and a query (``query``: SQL, or a
``.sql`` file of the folder), or be covered by its source's bulk query. This module is the
declaration side, with no database or DuckDB import (validation stays fast):

- :func:`source_problems`: the cross-file rules as ``FILE:LINE`` problems (unknown source,
  missing query file, a query with no source to run on, a source name taken by another ID);
- :func:`plans`: what a refresh runs, per source (:class:`SourcePlan`);
- :func:`resolve_url`: ``${NAME}`` from the environment, and :func:`redact` to keep the
  values out of every message;
- the last refresh of each metric, recorded in ``.kpikit/refresh.json``
  (:func:`read_record`, :func:`write_record`), which the engine's findings and the report read.

>>> looks_like_file("queries/otp.sql"), looks_like_file("SELECT 1")
(True, False)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from kpikit.data import limits
from kpikit.data.config import SECRET_RE, EngagementConfig, Source, setting_line
from kpikit.data.csvio import atomic_write
from kpikit.data.paths import check_inside, read_inside
from kpikit.data.schema import CONFIG_FILE
from kpikit.errors import FolderFileError, Problem

METRICS_FILE = "metrics.csv"
RECORD_FILE = Path(".kpikit") / "refresh.json"
"""Where the last refresh of each metric is recorded (when, rows, latest period, outcome)."""
OK, FAILED, NOT_WRITTEN = "ok", "failed", "not written"
"""A metric's refresh outcome: its rows written (or unchanged), its query failed, or it ran but was not written."""
_DOLLAR = re.compile(r"\$[A-Za-z_]*\$")


def looks_like_file(query: str) -> bool:
    """Whether a ``query`` cell names a ``.sql`` file rather than holding SQL."""
    text = query.strip()
    return text.lower().endswith(".sql") and not any(c.isspace() for c in text)


@dataclass(frozen=True)
class MetricQuery:
    """One metric's own query: its SQL (read from its file when it names one) and where it was written."""

    metric_id: str
    sql: str
    where: str
    """``metrics.csv:LINE`` or ``queries/otp.sql``: how messages name the query."""


@dataclass
class SourcePlan:
    """What a refresh runs against one source: the bulk query (for ``bulk_metrics``) and per-metric queries."""

    name: str
    source: Source
    bulk_sql: str | None
    bulk_metrics: list[str] = field(default_factory=list)
    queries: list[MetricQuery] = field(default_factory=list)

    @property
    def metric_ids(self) -> list[str]:
        return [*self.bulk_metrics, *(q.metric_id for q in self.queries)]


def _cell(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def source_of(metric_source: str, query: str, config: EngagementConfig) -> str | None:
    """The source a metric's query runs on: its ``source`` cell, or the only declared source."""
    if metric_source:
        return metric_source
    if query and len(config.sources) == 1:
        return next(iter(config.sources))
    return None


def source_problems(
    tables: Mapping[str, pd.DataFrame], metric_lines: Sequence[int], config: EngagementConfig,
    config_text: str | None, folder: Path | None,
) -> list[Problem]:
    """Every problem with the metrics' ``source`` and ``query`` cells and the source names, at once."""
    out: list[Problem] = []
    metrics, lines = tables["metrics"], metric_lines
    names = sorted(config.sources)
    listed = ", ".join(names) if names else "none"
    taken = {p.id: f"a pillar in {CONFIG_FILE}" for p in config.pillars}
    for table in ("org_units", "objectives", "metrics", "stakeholders"):
        if table in tables and "id" in tables[table].columns:
            taken.update({str(v): f"a row of {table}.csv" for v in tables[table]["id"].dropna()})
    for name in names:
        if name in taken:
            out.append(Problem(CONFIG_FILE, setting_line(config_text, ("sources", name)),
                               f"source name '{name}' is already used by {taken[name]}; IDs must be unique across "
                               "the engagement"))
    if "source" not in metrics.columns or "query" not in metrics.columns:
        return out
    for i, (mid, src, query) in enumerate(zip(metrics["id"], metrics["source"], metrics["query"], strict=True)):
        line = lines[i] if i < len(lines) else None
        src_text, query_text = _cell(src), _cell(query)
        if src_text and src_text not in config.sources:
            out.append(Problem(METRICS_FILE, line, f"source '{src_text}' is not a source declared in {CONFIG_FILE} "
                               f"(sources: {listed})", "source", i))
            continue
        if query_text and not src_text and len(config.sources) != 1:
            why = ("no source is declared: add one under sources: in engagement.yaml" if not names else
                   f"{CONFIG_FILE} declares several ({listed}): name one in the source column")
            out.append(Problem(METRICS_FILE, line, f"query has no source to run on: {why}", "query", i))
        if query_text and looks_like_file(query_text) and folder is not None:
            try:
                check_inside(folder, query_text, limits.QUERY)
            except FolderFileError as exc:
                out.append(Problem(METRICS_FILE, line, f"query file {limits.quote(query_text)} {exc.reason}", "query", i))
        if src_text and not query_text and config.sources[src_text].query is None:
            out.append(Problem(METRICS_FILE, line, f"metric '{mid}' names source '{src_text}' but has no query, and "
                               f"'{src_text}' has no bulk query in {CONFIG_FILE}: give the metric a query", "query", i))
    return out


def metric_status(metrics: pd.DataFrame, config: EngagementConfig) -> pd.Series:
    """Each metric's measurability (by metric ID): ``measured`` (a query runs), ``declared`` (only
    ``data_source`` names one) or ``none``."""
    out: dict[str, str] = {}
    has_query = "query" in metrics.columns
    for _, row in metrics.iterrows():
        query = _cell(row.get("query")) if has_query else ""
        src = source_of(_cell(row.get("source")) if has_query else "", query, config)
        runs = bool(query and src) or bool(src and src in config.sources and config.sources[src].query)
        out[str(row["id"])] = "measured" if runs else "declared" if _cell(row.get("data_source")) else "none"
    return pd.Series(out, dtype="str")


def plans(
    metrics: pd.DataFrame, lines: Sequence[int], config: EngagementConfig, folder: Path,
    only: Sequence[str] | None = None,
) -> list[SourcePlan]:
    """What a refresh runs, per source in declaration order (query files read by the folder-file rule).

    Assumes :func:`source_problems` found nothing; ``only`` limits it to those metric IDs.
    """
    by_name = {name: SourcePlan(name, src, _bulk_sql(folder, src)) for name, src in config.sources.items()}
    wanted = set(only) if only else None
    for i, row in enumerate(metrics.itertuples(index=False)):
        mid = str(row.id)
        if wanted is not None and mid not in wanted:
            continue
        query = _cell(getattr(row, "query", None))
        src = source_of(_cell(getattr(row, "source", None)), query, config)
        if src is None or src not in by_name:
            continue
        plan = by_name[src]
        if query:
            where = query if looks_like_file(query) else f"{METRICS_FILE}:{lines[i] if i < len(lines) else '?'}"
            sql = read_inside(folder, query, limits.QUERY).decode("utf-8-sig") if looks_like_file(query) else query
            plan.queries.append(MetricQuery(mid, sql, where))
        elif plan.bulk_sql is not None:
            plan.bulk_metrics.append(mid)
    return [p for p in by_name.values() if p.metric_ids]


def _bulk_sql(folder: Path, src: Source) -> str | None:
    return read_inside(folder, src.query, limits.QUERY).decode("utf-8-sig") if src.query else None


# -- secrets ---------------------------------------------------------------------------------
def resolve_url(name: str, src: Source, env: Mapping[str, str], config_text: str | None) -> tuple[str, list[str], list[Problem]]:
    """The source's URL with every ``${NAME}`` replaced from ``env``; the values used; problems for unset names."""
    url = src.url or ""
    values: list[str] = []
    problems: list[Problem] = []
    for var in dict.fromkeys(SECRET_RE.findall(url)):
        value = env.get(var)
        if not value:
            problems.append(Problem(CONFIG_FILE, setting_line(config_text, ("sources", name, "url")),
                                    f"sources.{name}.url needs the environment variable {var}, which is not set: "
                                    f"set it (export {var}=...) before the refresh"))
        else:
            values.append(value)
    if problems:
        return "", [], problems
    return SECRET_RE.sub(lambda m: _url_quote(env[m.group(1)]), url), values, []


def _url_quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret value (and its URL-quoted form) replaced by ``***``: for every message."""
    for value in sorted(set(secrets), key=len, reverse=True):
        if value:
            text = text.replace(value, "***").replace(_url_quote(value), "***")
    return text


# -- the last refresh of each metric ------------------------------------------------------------
@dataclass(frozen=True)
class LastRefresh:
    """One metric's last refresh: when (UTC, ISO), the source, rows returned, latest period, outcome and why."""

    metric_id: str
    source: str
    when: str
    rows: int
    latest_period: str
    outcome: str
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome == FAILED


def read_record(folder: str | os.PathLike[str]) -> dict[str, LastRefresh]:
    """The last refresh of each metric, by metric ID; empty when the folder was never refreshed (or unreadable)."""
    path = Path(folder) / RECORD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {mid: LastRefresh(**entry) for mid, entry in data.get("metrics", {}).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def write_record(folder: Path, entries: Sequence[LastRefresh]) -> None:
    """Record ``entries`` over the previous record (metrics not refreshed this time keep theirs), atomically."""
    merged = read_record(folder)
    merged.update({e.metric_id: e for e in entries})
    data = {"metrics": {mid: asdict(merged[mid]) for mid in sorted(merged)}}
    atomic_write(folder / RECORD_FILE, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def one_statement(sql: str) -> str:
    """``sql`` without its final ``;``, or ValueError if it holds more than one statement.

    A query is one read: ``SELECT ...; DELETE ...`` or ``COMMIT; ...`` could step out of the
    read-only transaction, so a ``;`` outside quotes, identifiers and comments is refused.
    """
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"":
            j = text.find(c, i + 1)
            while j != -1 and j + 1 < n and text[j + 1] == c:  # a doubled quote inside
                j = text.find(c, j + 2)
            i = n if j == -1 else j + 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j == -1 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j == -1 else j + 2
        elif c == "$" and (m := _DOLLAR.match(text, i)):
            j = text.find(m.group(), m.end())
            i = n if j == -1 else j + len(m.group())
        elif c == ";":
            raise ValueError("holds more than one statement (a ';' before its end): a query is one SELECT")
        else:
            i += 1
    if not text:
        raise ValueError("is empty")
    return text


