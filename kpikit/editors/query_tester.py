"""Test query: write a metric's query with the client's analyst in the workshop, and see what it returns.

Pick a metric (searchable), pick its source, edit the SQL, press *Test query*: the query runs
through :func:`kpikit.run.refresh.try_query`, so exactly as ``kpikit refresh`` would run it
(a file source in a confined DuckDB that sees only its file, a database in a read-only
transaction under the source's timeout), and nothing is written. The rows come back as a
table (at most :data:`~kpikit.run.refresh.TRY_ROWS`), followed by what a refresh would make
of them: the rule they break (two rows for a period, a value that is not a number), or the
actuals it would add, restate and remove. A failure is the database's or DuckDB's own
words, with no traceback and no credential. *Save* writes the metric's ``source`` and
``query`` into ``metrics.csv`` through the same validated save as every editor (a query kept
in a ``.sql`` file is edited in that file, never replaced by a copy).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import pandas as pd

from kpikit.data import limits
from kpikit.data.cells import cell_text
from kpikit.data.model import Engagement
from kpikit.data.paths import read_inside
from kpikit.data.sources import looks_like_file, source_of
from kpikit.editors.base import Change, EditorBox, editor_or_summary, id_options
from kpikit.editors.picker import SearchPicker
from kpikit.editors.tables import show_table
from kpikit.errors import FolderFileError
from kpikit.run.refresh import TRY_ROWS, QueryTry, try_query

OWN, FILE, BULK, NONE = "own", "file", "bulk", "none"
"""Where a metric's query is: SQL in metrics.csv, a .sql file, its source's bulk query, or nowhere yet."""


@dataclass(frozen=True)
class Loaded:
    """A metric's query as the folder has it: the source, the SQL, and where the SQL lives."""

    source: str
    sql: str
    kind: str
    where: str = ""


def loaded_query(eng: Engagement, metric_id: str) -> Loaded:
    """The source and SQL that ``kpikit refresh`` would run for ``metric_id`` (empty SQL when none yet)."""
    row = eng.metrics[eng.metrics["id"] == metric_id]
    own_source = cell_text(row["source"].iat[0]) if len(row) and "source" in row.columns else ""
    query = cell_text(row["query"].iat[0]) if len(row) and "query" in row.columns else ""
    src = source_of(own_source, query, eng.config) or own_source or (next(iter(eng.config.sources), ""))
    if query and looks_like_file(query):
        try:
            sql = read_inside(eng.path, query, limits.QUERY).decode("utf-8-sig")
        except FolderFileError as exc:
            sql = f"-- {query} {exc.reason}"
        return Loaded(src, sql, FILE, query)
    if query:
        return Loaded(src, query, OWN)
    decl = eng.config.sources.get(own_source) if own_source else None
    if decl is not None and decl.query:
        try:
            sql = read_inside(eng.path, decl.query, limits.QUERY).decode("utf-8-sig")
        except FolderFileError as exc:
            sql = f"-- {decl.query} {exc.reason}"
        return Loaded(own_source, sql, BULK, decl.query)
    return Loaded(src, "", NONE)


def result_html(t: QueryTry) -> str:
    """What a tried query returned, for a person: the failure, or the rows and what a refresh would do with them."""
    ran = f"on source {t.source}, read-only, in {t.seconds:.2f} s"
    if t.error is not None:
        return (f"<div class='kpikit-error kpikit-query-error' style='color:#a40000'><b>The query failed</b> "
                f"({html.escape(t.source)}): {html.escape(t.error)}</div>")
    assert t.frame is not None
    parts = []
    more = f" (more than {TRY_ROWS:,}: the first {TRY_ROWS:,} shown)" if t.more else ""
    parts.append(f"<div class='kpikit-query-ran'><small>{len(t.frame):,} row{'s' if len(t.frame) != 1 else ''}"
                 f"{more} {html.escape(ran)}; nothing was written.</small></div>")
    shown = t.frame if t.outcome is None else taken_rows(t)
    parts.append(show_table(shown, sort=False, max_rows=TRY_ROWS, empty="The query returned no rows.")._repr_html_())
    if t.problem is not None:
        parts.append(f"<div class='kpikit-warning kpikit-query-problem' style='color:#8a5a00'><b>kpikit refresh would "
                     f"refuse these rows:</b> {html.escape(t.problem)}</div>")
    elif t.outcome is not None:
        o = t.outcome
        span = f" ({o.rows[0][0]} to {o.rows[-1][0]})" if o.rows else ""
        did = (f"it would add {len(o.added)}, restate {len(o.restated)} and remove {len(o.removed)} actuals"
               if o.changed else "the actuals would stay as they are")
        parts.append(f"<div class='kpikit-info kpikit-query-verdict' style='color:#1a5e20'><b>kpikit refresh would take "
                     f"{len(o.rows)} period{'s' if len(o.rows) != 1 else ''}{html.escape(span)}:</b> "
                     f"{html.escape(did)}.</div>")
    return "".join(parts)


def taken_rows(t: QueryTry) -> pd.DataFrame:
    """The rows as a refresh would write them (the metric's period, value, note) beside actuals.csv now."""
    assert t.outcome is not None
    o = t.outcome
    old = {p: a for p, a, _b in o.restated}
    added = {p for p, _v in o.added}
    rows = [{"period": p, "value": v, "note": n or None,
             "in_actuals_csv_now": old.get(p, None if p in added else v),
             "change": "added" if p in added else "restated" if p in old else "same"}
            for p, v, n in o.rows]
    rows += [{"period": p, "value": None, "note": None, "in_actuals_csv_now": v, "change": "removed"} for p, v in o.removed]
    return pd.DataFrame(rows, columns=["period", "value", "note", "in_actuals_csv_now", "change"])


class QueryTester(EditorBox):
    """One metric's query: edit it, test it read-only, save it to metrics.csv."""

    heading = "Test a metric's query"

    def build(self) -> None:
        eng = self.eng
        self.edits: dict[str, tuple[str, str]] = {}
        """Unsaved (source, SQL) per metric ID, kept while the consultant looks at another metric."""
        self._loading = False
        self.picker = SearchPicker("Metric", id_options(zip(eng.metrics["id"], eng.metrics["name"], strict=True)),
                                   placeholder="type a metric ID or words")
        names = list(eng.config.sources)
        self.source = widgets.Dropdown(
            description="Source", options=[(f"{n} ({'file' if s.kind == 'file' else 'database'})", n)
                                           for n, s in eng.config.sources.items()] or [("no source declared", "")],
            disabled=not names, layout=widgets.Layout(width="50%"))
        self.sql = widgets.Textarea(
            placeholder="SELECT date_trunc('month', day) AS period, sum(amount) AS value FROM source GROUP BY 1",
            layout=widgets.Layout(width="95%", height="150px"))
        self.sql.add_class("kpikit-query-text")
        self.origin = widgets.HTML()
        self.test_button = widgets.Button(description="Test query", icon="play", button_style="info",
                                          tooltip="run this query read-only on the source, as kpikit refresh would; "
                                          "nothing is written")
        self.test_button.on_click(lambda _b: self.test())
        # a long result scrolls in its own box, so the Save bar stays in reach
        self.result = widgets.HTML(layout=widgets.Layout(max_height="480px", overflow="auto"))
        self.result.add_class("kpikit-query-result")
        self.picker.observe(lambda _c: self.load(), names="value")
        self.sql.observe(lambda _c: self.edited(), names="value")
        self.source.observe(lambda _c: self.edited(), names="value")
        if not names:
            self.origin.value = ("<small>No data source is declared: add one under <code>sources:</code> in "
                                 "engagement.yaml (a file or a database URL), then reload.</small>")
        self.body.children = [self.picker, self.source, self.origin, self.sql, self.test_button, self.result]
        self.load()

    @property
    def metric_id(self) -> str | None:
        return None if self.picker.value is None else str(self.picker.value)

    def load(self) -> None:
        mid = self.metric_id
        self._loading = True
        try:
            self.result.value = ""
            if mid is None:
                self.sql.value = ""
                return
            base = loaded_query(self.eng, mid)
            src, sql = self.edits.get(mid, (base.source, base.sql))
            if src in {v for _l, v in self.source.options}:
                self.source.value = src
            self.sql.value = sql
            self.origin.value = _origin(base, bool(self.eng.config.sources))
        finally:
            self._loading = False

    def edited(self) -> None:
        """The SQL or the source changed: remember it for this metric; a query kept in a file is not saved here."""
        mid = self.metric_id
        if self._loading or mid is None:
            return
        base = loaded_query(self.eng, mid)
        now = (str(self.source.value or ""), str(self.sql.value))
        if now == (base.source, base.sql):
            self.edits.pop(mid, None)
        else:
            self.edits[mid] = now
        if any(loaded_query(self.eng, m).kind != FILE for m in self.edits):
            self.mark_dirty()

    def test(self) -> QueryTry | None:
        """The Test query button: run the box's SQL read-only for the picked metric; show the rows or the error."""
        mid = self.metric_id
        if mid is None:
            return None
        src, sql = str(self.source.value or ""), str(self.sql.value)
        if not src:
            self.result.value = ("<div class='kpikit-error' style='color:#a40000'>No data source is declared: add one "
                                 "under sources: in engagement.yaml.</div>")
            return None
        base = loaded_query(self.eng, mid)
        bulk = base.kind == BULK and (src, sql) == (base.source, base.sql)
        self.test_button.disabled, self.test_button.description = True, "Running…"
        try:
            t = try_query(self.eng, mid, sql, src, bulk=bulk, env=os.environ)
        except Exception as exc:  # a bug must not show a traceback (or anything a driver might quote)
            t = QueryTry(mid, src, error=f"the query could not be run ({type(exc).__name__})")
        finally:
            self.test_button.disabled, self.test_button.description = False, "Test query"
        self.result.value = result_html(t)
        return t

    def apply(self, draft: Engagement) -> list[Change]:
        metrics = draft.tables["metrics"]
        changes = []
        for mid, (src, sql) in sorted(self.edits.items()):
            base = loaded_query(self.eng, mid)
            if base.kind == FILE:
                continue  # its SQL lives in its .sql file: edit that file
            text = sql.strip()
            rows = metrics.index[metrics["id"] == mid]
            if base.kind == BULK and text == base.sql.strip():
                continue  # still the bulk query: nothing of its own to save
            metrics.loc[rows, "query"] = text if text else None
            if text and src:
                metrics.loc[rows, "source"] = src
            elif not text and not (src in draft.config.sources and draft.config.sources[src].query):
                metrics.loc[rows, "source"] = None  # no query and no bulk query: the metric is no longer measured
            what = ("query removed" if not text else
                    f"query {'changed' if base.kind == OWN else 'written'} on source {src}: {' '.join(text.split())}")
            changes.append(Change(mid, limits.shorten(what, 300), key=f"query:{mid}"))
        return changes

    def place(self) -> object:
        return self.metric_id

    def restore(self, place: object) -> None:
        if place is not None and place in {v for _l, v in self.picker.options}:
            self.picker.value = place


def _origin(base: Loaded, any_source: bool) -> str:
    if not any_source:
        return ("<small>No data source is declared: add one under <code>sources:</code> in engagement.yaml, "
                "then reload.</small>")
    if base.kind == FILE:
        return (f"<small>The query is kept in <code>{html.escape(base.where)}</code>: Test query runs the text below "
                "as you edit it; to keep a change, edit that file (Save does not replace it).</small>")
    if base.kind == BULK:
        return (f"<small>Covered by the bulk query of source {html.escape(base.source)} "
                f"(<code>{html.escape(base.where)}</code>): Test query shows this metric's rows of it. Write a query of "
                "its own here and Save to give it one.</small>")
    if base.kind == OWN:
        return "<small>The query written in metrics.csv.</small>"
    return ("<small>No query yet: write one that returns <code>period</code> and <code>value</code> (and optionally "
            "<code>note</code>); a file source is the table <code>source</code>.</small>")


def query_tester(eng: Engagement | str | os.PathLike[str]) -> Any:
    """The Test query box in JupyterLab; a static summary (no query run) when unattended."""
    return editor_or_summary(eng, QueryTester, "Test query", _summary)


def _summary(eng: Engagement) -> list[str]:
    kinds = [loaded_query(eng, str(m)).kind for m in eng.metrics["id"]]
    n = sum(k != NONE for k in kinds)
    return [f"{n} of {len(kinds)} metrics have a query on a declared source "
            f"({len(eng.config.sources)} source{'s' if len(eng.config.sources) != 1 else ''} declared).",
            "Test query runs a metric's query read-only and shows its rows in JupyterLab."]
