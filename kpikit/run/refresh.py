"""``kpikit refresh``: pull each measured metric's actuals from its source, check them, write them through the store.

Per the contract ("Data sources and ``kpikit refresh``"): every query of every source runs
(a source's bulk query once for all its metrics without a query of their own); every row
is checked (columns, numbers, one row per period, the metric's frequency); the rows a query
returns become that metric's actuals (added, restated, removed), every other metric's
actuals are untouched. The write is one :meth:`~kpikit.data.model.Engagement.save` of
``actuals.csv`` and ``changes.csv`` (validated, stale check, backup, journaled), with one
decision-log row per restated value. Any failure: nothing is written, unless
``keep_going``, which writes the metrics that succeeded. Either way the outcome of each
metric is recorded in ``.kpikit/refresh.json`` (not on a dry run).

Values are rounded to 12 significant digits, so that float noise of an average
(``0.30000000000000004``) neither restates an actual nor changes a byte on re-running.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kpikit.data import limits, sources
from kpikit.data.config import EngagementConfig
from kpikit.data.model import Engagement
from kpikit.data.sources import FAILED, NOT_WRITTEN, OK, LastRefresh, SourcePlan
from kpikit.data.store import append_log, keep_row_order, load_engagement, log_row, record_of
from kpikit.errors import EngagementError, Problem, SourceError
from kpikit.periods import PERIOD_RE, PERIODS_PER_YEAR, Frequency, Period, fiscal_offset

if TYPE_CHECKING:
    from kpikit.data.database import DatabaseSource
    from kpikit.data.filesource import FileSource

Progress = Callable[[str], None]
DECIDED_BY = "kpikit refresh"


@dataclass
class MetricOutcome:
    """One metric's refresh: its new rows, or why it failed, and the diff against the file."""

    metric_id: str
    source: str
    rows: list[tuple[str, float, str | None]] = field(default_factory=list)
    """(period, value, note or None when the query has no note column), in period order."""
    error: str | None = None
    added: list[tuple[str, float]] = field(default_factory=list)
    restated: list[tuple[str, float, float]] = field(default_factory=list)
    removed: list[tuple[str, float]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.restated or self.removed)


@dataclass
class RefreshResult:
    """What a refresh did: each metric's outcome, the files written, and the failures (source, metric, why)."""

    outcomes: list[MetricOutcome]
    written: list[str]
    dry_run: bool
    seconds: float

    @property
    def failures(self) -> list[MetricOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def ok(self) -> bool:
        return not self.failures


def _round(v: float) -> float:
    return float(f"{v:.12g}")


def period_containing(d: date, freq: Frequency, fiscal_year_start: int) -> Period:
    """The period of ``freq`` that contains day ``d`` under the engagement's fiscal year.

    >>> str(period_containing(date(2026, 8, 15), "quarterly", 7)), str(period_containing(date(2026, 8, 15), "annual", 7))
    ('2027-Q1', '2027')
    """
    month = d.year * 12 + d.month - 1
    if freq == "monthly":
        return Period("monthly", month)
    per = 12 // PERIODS_PER_YEAR[freq]
    return Period(freq, (month + fiscal_offset(fiscal_year_start)) // per)


def _period_of(value: object, freq: Frequency, fys: int) -> str:
    """A returned ``period`` cell as contract text in ``freq``; ValueError with the reason."""
    if isinstance(value, datetime | pd.Timestamp):
        return str(period_containing(value.date(), freq, fys))
    if isinstance(value, date):
        return str(period_containing(value, freq, fys))
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"period {limits.quote(value)} is neither a period (2026-Q3) nor a date")
    text = value.strip()
    if PERIOD_RE.fullmatch(text):
        p = Period.parse(text)
        if p.freq != freq:
            raise ValueError(f"period '{text}' is {p.freq}, but the metric is {freq}")
        return str(p)
    try:
        return str(period_containing(date.fromisoformat(text[:10]), freq, fys))
    except ValueError:
        raise ValueError(f"period {limits.quote(text)} is neither a period (2026-Q3) nor a date") from None


def _number(value: object) -> float:
    if isinstance(value, bool) or value is None:
        raise ValueError
    if isinstance(value, int | float) or (hasattr(value, "__float__") and not isinstance(value, str)):
        out = float(value)
    else:
        raise ValueError
    if not math.isfinite(out):
        raise ValueError
    return _round(out)


def check_rows(frame: pd.DataFrame, freq: Frequency, fys: int) -> list[tuple[str, float, str | None]]:
    """A metric's returned rows as (period, value, note), checked; ValueError naming the first offending row."""
    cols = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in ("period", "value") if c not in cols]
    if missing:
        raise ValueError(f"returned no column {' or '.join(missing)} (it returned: "
                         f"{limits.shorten(', '.join(map(str, frame.columns)) or 'no columns', 120)}); "
                         "a query returns period, value and optionally note")
    has_note = "note" in cols
    out: dict[str, tuple[str, float, str | None]] = {}
    for n, row in enumerate(frame.itertuples(index=False), start=1):
        rec = dict(zip(frame.columns, row, strict=True))
        raw_p, raw_v = rec[cols["period"]], rec[cols["value"]]
        if raw_v is None or (isinstance(raw_v, float) and math.isnan(raw_v)):
            continue  # no value for that period: as an empty cell, no actual
        try:
            period = _period_of(raw_p, freq, fys)
        except ValueError as exc:
            raise ValueError(f"row {n}: {exc}") from None
        try:
            value = _number(raw_v)
        except ValueError:
            raise ValueError(f"row {n} (period {period}): value {limits.quote(raw_v)} is not a number") from None
        if period in out:
            raise ValueError(f"returned two rows for period {period} (row {n} and an earlier one): one row per period; "
                             "aggregate in the query")
        note_v = rec[cols["note"]] if has_note else None
        note = None if not has_note else ("" if note_v is None else " ".join(str(note_v).split()))
        out[period] = (period, value, note)
    return [out[p] for p in sorted(out, key=Period.parse)]


def open_source(eng: Engagement, name: str, env: Mapping[str, str]) -> FileSource | DatabaseSource:
    """The declared source ``name`` opened the one way every query runs: a file in a confined DuckDB,
    a database in a read-only transaction under the source's timeout. :class:`SourceError` if it cannot be.
    """
    from kpikit.data.database import DatabaseSource
    from kpikit.data.filesource import FileSource

    src = eng.config.sources[name]
    if src.kind == "file":
        return FileSource(eng.path, name, src)
    url, secrets, problems = sources.resolve_url(name, src, env, record_of(eng).config_text)
    if problems:
        raise SourceError(name, problems[0].message)
    return DatabaseSource(name, url, src.timeout, secrets)


def _run_source(
    plan: SourcePlan, eng: Engagement, env: Mapping[str, str], say: Progress,
) -> list[MetricOutcome]:
    """Every query of one source; a source that cannot be opened fails all its metrics."""
    cfg = eng.config
    freq = dict(zip(eng.metrics["id"], eng.metrics["frequency"], strict=True))
    outcomes = {m: MetricOutcome(m, plan.name) for m in plan.metric_ids}
    started = time.perf_counter()
    try:
        conn = open_source(eng, plan.name, env)
    except SourceError as exc:
        for o in outcomes.values():
            o.error = exc.reason
        say(f"{plan.name}: FAILED {exc.reason}")
        return list(outcomes.values())
    try:
        if plan.bulk_sql is not None and plan.bulk_metrics:
            say(f"{plan.name}: bulk query for {len(plan.bulk_metrics)} metrics")
            try:
                frame = conn.query(sources.one_statement(plan.bulk_sql))
                _split_bulk(frame, plan, outcomes, freq, cfg)
            except ValueError as exc:
                for m in plan.bulk_metrics:
                    outcomes[m].error = f"bulk query {plan.source.query}: {exc}"
        for q in plan.queries:
            t0 = time.perf_counter()
            o = outcomes[q.metric_id]
            try:
                o.rows = check_rows(conn.query(sources.one_statement(q.sql)), freq[q.metric_id],
                                    cfg.fiscal_year_start)
            except ValueError as exc:
                o.error = f"query ({q.where}) {exc}" if str(exc).startswith(("holds", "is empty")) else \
                    f"query ({q.where}): {exc}"
            say(f"{plan.name}/{q.metric_id}: " + (f"FAILED {o.error}" if o.error else
                f"{len(o.rows)} rows in {time.perf_counter() - t0:.2f}s"))
    finally:
        conn.close()
    say(f"{plan.name}: {len(outcomes)} metrics in {time.perf_counter() - started:.1f}s")
    return list(outcomes.values())


def _split_bulk(
    frame: pd.DataFrame, plan: SourcePlan, outcomes: dict[str, MetricOutcome], freq: Mapping[str, Frequency],
    cfg: EngagementConfig,
) -> None:
    cols = {str(c).strip().lower(): c for c in frame.columns}
    if "metric_id" not in cols:
        raise ValueError("returned no column metric_id; a bulk query returns metric_id, period, value "
                         "(and optionally note)")
    ids = frame[cols["metric_id"]].map(lambda v: str(v).strip() if v is not None else "")
    groups = {k: g.drop(columns=[cols["metric_id"]]) for k, g in frame.groupby(ids, sort=False)}
    empty = frame.iloc[0:0].drop(columns=[cols["metric_id"]])
    for m in plan.bulk_metrics:
        try:
            outcomes[m].rows = check_rows(groups.get(m, empty), freq[m], cfg.fiscal_year_start)
        except ValueError as exc:
            outcomes[m].error = f"bulk query {plan.source.query}, metric {m}: {exc}"


def _diff(o: MetricOutcome, old: pd.DataFrame) -> None:
    before = dict(zip(old["period"], old["value"], strict=True))
    now = {p: v for p, v, _ in o.rows}
    o.added = [(p, v) for p, v in now.items() if p not in before]
    o.restated = [(p, float(before[p]), v) for p, v in now.items() if p in before and float(before[p]) != v]
    o.removed = [(p, float(v)) for p, v in before.items() if p not in now]


def _new_actuals(eng: Engagement, done: Sequence[MetricOutcome]) -> pd.DataFrame:
    """actuals with each refreshed metric's rows replaced by its query's rows (notes kept when the query has none)."""
    old = eng.actuals
    ids = {o.metric_id for o in done}
    notes = {(m, p): n for m, p, n in zip(old["metric_id"], old["period"], old["note"], strict=True)}
    keep = old[~old["metric_id"].isin(list(ids))]
    rows = [
        {"metric_id": o.metric_id, "period": p, "value": v,
         "note": (n if n else float("nan")) if n is not None else notes.get((o.metric_id, p), float("nan"))}
        for o in done for p, v, n in o.rows
    ]
    extra = pd.DataFrame(rows, columns=list(old.columns)) if rows else old.iloc[0:0]
    for c in old.columns:
        if c not in ("metric_id", "period", "value", "note"):
            extra[c] = float("nan")
    extra = extra.astype(old.dtypes.to_dict())
    new = pd.concat([keep, extra], ignore_index=True) if len(keep) else extra.reset_index(drop=True)
    return keep_row_order("actuals", new, old)


def _log_rows(done: Sequence[MetricOutcome], today: date) -> list[dict[str, str]]:
    return [
        log_row(o.metric_id, f"actual {p} restated {_fmt(a)} -> {_fmt(b)} from source {o.source}",
                "the source's figure changed (kpikit refresh)", DECIDED_BY, today)
        for o in done for p, a, b in o.restated
    ]


def _fmt(v: float) -> str:
    return f"{v:.12g}"


def refresh(
    folder: str | os.PathLike[str], *, dry_run: bool = False, keep_going: bool = False,
    metrics: Sequence[str] | None = None, env: Mapping[str, str] | None = None,
    progress: Progress | None = None, today: date | None = None,
) -> RefreshResult:
    """Refresh a folder's measured metrics (see the module docstring).

    Raises :class:`~kpikit.errors.EngagementError` for input errors (nothing run), including
    an unset ``${NAME}`` and an unknown ``metrics`` ID.
    """
    say = progress or (lambda _line: None)
    started = time.perf_counter()
    env = os.environ if env is None else env
    eng = load_engagement(folder)
    rec = record_of(eng)
    problems: list[Problem] = []
    unknown = [m for m in metrics or [] if m not in set(eng.metrics["id"])]
    if unknown:
        problems.append(Problem("metrics.csv", None, f"--metric {', '.join(unknown)}: no such metric"))
    todo = sources.plans(eng.metrics, rec.source_lines.get("metrics", []), eng.config, eng.path, metrics)
    for plan in todo:
        if plan.source.kind == "database":
            problems.extend(sources.resolve_url(plan.name, plan.source, env, rec.config_text)[2])
    if problems:
        raise EngagementError(str(folder), problems)
    outcomes: list[MetricOutcome] = []
    for plan in todo:
        outcomes.extend(_run_source(plan, eng, env, say))
    for o in outcomes:
        if o.ok:
            _diff(o, eng.actuals[eng.actuals["metric_id"] == o.metric_id])
    failed = [o for o in outcomes if not o.ok]
    written: list[str] = []
    done = [o for o in outcomes if o.ok]
    if not dry_run and (keep_going or not failed):
        changed = [o for o in done if o.changed]
        if changed:
            eng.tables["actuals"] = _new_actuals(eng, changed)
            log = _log_rows(changed, today or date.today())
            if log:
                eng.tables["changes"] = append_log(eng.changes, log)
        if eng.changed_tables():  # a note-only difference is a change too
            written = eng.save().written
    if not dry_run:
        when = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        written_ok = keep_going or not failed
        sources.write_record(eng.path, [
            LastRefresh(o.metric_id, o.source, when, len(o.rows), o.rows[-1][0] if o.rows else "",
                        (OK if written_ok else NOT_WRITTEN) if o.ok else FAILED,
                        o.error or ("" if written_ok else "not written: another metric's query failed (--keep-going "
                                    "writes the metrics that succeeded)"))
            for o in outcomes
        ])
    return RefreshResult(outcomes, written, dry_run, time.perf_counter() - started)


def describe(o: MetricOutcome) -> list[str]:
    """One metric's result as lines for a person: rows added, restated (old -> new) and removed, or the failure."""
    head = f"{o.source}/{o.metric_id}"
    if not o.ok:
        return [f"{head}: FAILED {o.error}"]
    if not o.changed:
        return [f"{head}: unchanged ({len(o.rows)} rows)"]
    lines = [f"{head}: {len(o.added)} added, {len(o.restated)} restated, {len(o.removed)} removed"]
    lines += [f"  + {p}: {_fmt(v)}" for p, v in o.added]
    lines += [f"  ~ {p}: {_fmt(a)} -> {_fmt(b)}" for p, a, b in o.restated]
    lines += [f"  - {p}: {_fmt(v)}" for p, v in o.removed]
    return lines


def result_path(folder: str | os.PathLike[str]) -> Path:
    """Where the last refresh is recorded."""
    return Path(folder) / sources.RECORD_FILE


# -- one query tried in the workshop (the editors' Test query) ---------------------------------
TRY_ROWS = 200
"""Rows a tried query shows: a metric's history is tens of rows; more means it does not aggregate by period."""


@dataclass
class QueryTry:
    """One metric's query run as refresh runs it, nothing written: what came back and what refresh would make of it."""

    metric_id: str
    source: str
    frame: pd.DataFrame | None = None
    """The rows as the source returned them (at most :data:`TRY_ROWS`); None when the query failed."""
    more: bool = False
    """The query returned more than :data:`TRY_ROWS` rows."""
    error: str | None = None
    """The source or the query failed (what the database or DuckDB said, no credential)."""
    problem: str | None = None
    """The rows came back but a refresh would refuse them (the rule they break)."""
    outcome: MetricOutcome | None = None
    """The rows as a refresh would take them, with the diff against actuals.csv."""
    seconds: float = 0.0


def try_query(
    eng: Engagement, metric_id: str, sql: str, source: str, *, bulk: bool = False,
    env: Mapping[str, str] | None = None, limit: int = TRY_ROWS,
) -> QueryTry:
    """Run ``sql`` for ``metric_id`` on ``source`` read-only and confined, exactly as :func:`refresh` runs it.

    ``bulk``: ``sql`` is the source's bulk query (``metric_id, period, value``): only this
    metric's rows are shown and checked. Nothing is written, not even the refresh record.
    """
    env = os.environ if env is None else env
    out = QueryTry(metric_id, source)
    started = time.perf_counter()
    try:
        if source not in eng.config.sources:
            raise SourceError(source, f"is not a source declared in engagement.yaml "
                              f"(sources: {', '.join(eng.config.sources) or 'none'})")
        statement = sources.one_statement(sql)
        conn = open_source(eng, source, env)
    except SourceError as exc:
        out.error = exc.reason if exc.source == source else str(exc)
        return out
    except ValueError as exc:
        out.error = f"the query {exc}"
        return out
    try:
        frame = conn.query(statement, preview=None if bulk else limit)
    except ValueError as exc:
        out.error = str(exc)
        return out
    finally:
        conn.close()
        out.seconds = time.perf_counter() - started
    if bulk:
        cols = {str(c).strip().lower(): c for c in frame.columns}
        if "metric_id" not in cols:
            out.frame = frame.head(limit)
            out.more = len(frame) > limit
            out.problem = "returned no column metric_id; a bulk query returns metric_id, period, value (and optionally note)"
            return out
        ids = frame[cols["metric_id"]].map(lambda v: str(v).strip() if v is not None else "")
        frame = frame[ids == metric_id].drop(columns=[cols["metric_id"]]).reset_index(drop=True)
    out.more = len(frame) > limit
    out.frame = frame.head(limit)
    if out.more:
        out.problem = (f"returned more than {limit:,} rows: a metric's query returns one row per period "
                       "(aggregate by period in the query)")
        return out
    freq = dict(zip(eng.metrics["id"], eng.metrics["frequency"], strict=True))
    if metric_id not in freq:
        out.problem = f"{metric_id} is not a metric of metrics.csv"
        return out
    o = MetricOutcome(metric_id, source)
    try:
        o.rows = check_rows(frame, freq[metric_id], eng.config.fiscal_year_start)
    except ValueError as exc:
        out.problem = str(exc)
        return out
    _diff(o, eng.actuals[eng.actuals["metric_id"] == metric_id])
    out.outcome = o
    return out


def failure_summary(folder: str | os.PathLike[str]) -> str:
    """The last refresh's failures in one line (``source/metric: why``, the first one and how many more), for summaries."""
    failed = [r for r in sources.read_record(folder).values() if r.failed]
    if not failed:
        return "the refresh failed"
    first = failed[0]
    more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
    return f"{first.source}/{first.metric_id}: {limits.shorten(first.message, 200)}{more}"
