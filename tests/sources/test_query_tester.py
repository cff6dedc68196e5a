"""The workshop's Test query box (kpikit/editors/query_tester.py), driven in-process against DuckDB file sources
and the real PostgreSQL server: rows shown, writes and escapes refused, the password never shown, Save through the store."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest
from sourcesupport import CANARY, Postgres, write_client

from kpikit.data.sources import metric_status, read_record
from kpikit.data.store import load_engagement
from kpikit.editors.query_tester import QueryTester, query_tester

MONTHLY = ("SELECT date_trunc('month', CAST(day AS DATE)) AS period, sum(amount) AS value "
           "FROM source GROUP BY 1 ORDER BY 1")


def _text(w: Any) -> str:
    """Every string a widget tree shows (HTML, labels, box values), joined: what the consultant can see."""
    out = []
    for name in ("value", "description", "placeholder", "tooltip"):
        v = getattr(w, name, None)
        if isinstance(v, str):
            out.append(v)
    if isinstance(w, widgets.Dropdown):
        out += [str(label) for label, _v in w.options]
    for child in getattr(w, "children", ()):
        out.append(_text(child))
    return "\n".join(out)


def _plain(html_text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html_text).replace("&#x27;", "'").replace("&quot;", '"').split())


def _file_client(folder: Path) -> Path:
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "events.csv").write_text(
        "day,amount\n2025-01-15,10\n2025-02-10,12\n2025-02-20,3\n2025-04-02,7.5\n")
    (folder / "secret.csv").write_text("password\nhunter2\n")
    return write_client(folder, "  ops:\n    path: data/events.csv\n", [
        f'M1,Spend,down,monthly,Ledger,ops,"{MONTHLY}"',
        "M2,Spend typed in,down,monthly,Ledger,,",
    ], actuals="M1,2025-01,10,\nM1,2025-02,14,typed\nM1,2024-12,9,\n")


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def test_good_file_query_shows_its_rows_and_what_a_refresh_would_do(tmp_path: Path) -> None:
    folder = _file_client(tmp_path / "c")
    before = _hashes(folder)
    ed = QueryTester(load_engagement(folder))
    ed.picker.search = "M1"
    assert ed.sql.value == MONTHLY
    assert ed.source.value == "ops"
    t = ed.test()
    assert t is not None
    assert t.error is None
    assert t.problem is None
    shown = _plain(ed.result.value)
    assert "3 rows on source ops, read-only" in shown
    assert "nothing was written" in shown
    # the rows as refresh would take them, beside actuals.csv now
    assert "2025-02 15 14 restated" in shown
    assert "2025-04 7.5 — added" in shown
    assert "2024-12 — 9 removed" in shown  # no note in any row: no note column
    assert "kpikit refresh would take 3 periods (2025-01 to 2025-04): it would add 1, restate 1 and remove 1" in shown
    assert _hashes(folder) == before  # nothing written, not even the refresh record
    assert read_record(folder) == {}


@pytest.mark.parametrize(("sql", "said"), [
    ("DELETE FROM source", "Can only delete from base table"),
    ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"),
    ("SELECT * FROM read_csv('{folder}/secret.csv')", "file system operations are disabled"),
    ("SELECT * FROM read_csv('http://example.invalid/x.csv')", "disabled"),
    ("SET enable_external_access = true", "lock"),
    ("SELECT 1 AS period, 2 AS value; COPY (SELECT 1) TO '{folder}/out.csv'", "more than one statement"),
    ("SELECT nothing FROM source", 'Referenced column "nothing" not found'),
])
def test_writing_or_escaping_file_queries_are_refused_with_a_message(tmp_path: Path, sql: str, said: str) -> None:
    folder = _file_client(tmp_path / "c")
    before = _hashes(folder)
    ed = QueryTester(load_engagement(folder))
    ed.sql.value = sql.format(folder=folder)
    t = ed.test()
    assert t is not None
    assert t.frame is None
    shown = _plain(ed.result.value)
    assert shown.startswith("The query failed (ops):")
    assert said in shown
    assert "Traceback" not in shown
    assert "hunter2" not in _text(ed)
    assert _hashes(folder) == before
    assert not (folder / "out.csv").exists()


def test_rows_a_refresh_would_refuse_are_shown_with_the_rule(tmp_path: Path) -> None:
    folder = _file_client(tmp_path / "c")
    ed = QueryTester(load_engagement(folder))
    ed.sql.value = "SELECT CAST(day AS DATE) AS period, amount AS value FROM source"  # two rows in 2025-02
    ed.test()
    shown = _plain(ed.result.value)
    assert "4 rows on source ops" in shown
    assert "kpikit refresh would refuse these rows: returned two rows for period 2025-02" in shown
    ed.sql.value = "SELECT range AS period, 1 AS value FROM range(5000)"
    t = ed.test()
    assert t is not None
    assert t.more
    assert len(t.frame) == 200 if t.frame is not None else False
    assert "(more than 200: the first 200 shown)" in _plain(ed.result.value)
    assert "returned more than 200 rows" in _plain(ed.result.value)


def test_save_writes_the_query_to_metrics_csv_and_the_metric_becomes_measured(tmp_path: Path) -> None:
    folder = _file_client(tmp_path / "c")
    ed = QueryTester(load_engagement(folder))
    ed.picker.search = "M2"
    assert ed.sql.value == ""
    assert "No query yet" in ed.origin.value
    ed.sql.value = "SELECT date_trunc('quarter', CAST(day AS DATE)) AS period, sum(amount) AS value FROM source GROUP BY 1"
    ed.test()
    assert "kpikit refresh would take 2 periods" in _plain(ed.result.value)
    ed.picker.search = "M1"  # looking at another metric keeps the edit
    ed.picker.search = "M2"
    assert ed.sql.value.startswith("SELECT date_trunc('quarter'")
    ed.rationale.value = "written with the finance analyst"
    assert ed.save(), ed.message.value
    eng = load_engagement(folder)
    m2 = eng.metrics.set_index("id").loc["M2"]
    assert m2["source"] == "ops"
    assert str(m2["query"]).startswith("SELECT date_trunc('quarter'")
    assert metric_status(eng.metrics, eng.config)["M2"] == "measured"
    assert eng.changes["item_id"].tolist() == ["M2"]
    assert "query written on source ops" in eng.changes["change"].iat[0]
    assert eng.changes["rationale"].iat[0] == "written with the finance analyst"
    assert ed.picker.value == "M2"  # the consultant stays on the metric


def test_a_query_kept_in_a_sql_file_is_tested_but_never_replaced(tmp_path: Path) -> None:
    folder = _file_client(tmp_path / "c")
    (folder / "queries").mkdir()
    (folder / "queries" / "m2.sql").write_text(MONTHLY + "\n")
    text = (folder / "metrics.csv").read_text().replace("M2,Spend typed in,down,monthly,Ledger,,",
                                                        "M2,Spend typed in,down,monthly,Ledger,ops,queries/m2.sql")
    (folder / "metrics.csv").write_text(text)
    before = _hashes(folder)
    ed = QueryTester(load_engagement(folder))
    ed.picker.search = "M2"
    assert ed.sql.value.strip() == MONTHLY
    assert "queries/m2.sql" in ed.origin.value
    ed.sql.value = "SELECT 1 AS period, 2 AS value"
    ed.test()
    assert "kpikit refresh would refuse these rows: row 1: period '1' is neither a period" in _plain(ed.result.value)
    ed.save()
    assert _hashes(folder) == before


def test_unattended_it_is_a_summary_and_runs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIKIT_UNATTENDED", "1")
    folder = _file_client(tmp_path / "c")
    out = query_tester(load_engagement(folder))
    assert "1 of 2 metrics have a query on a declared source" in out.data
    assert read_record(folder) == {}


# -- PostgreSQL ----------------------------------------------------------------------------------
def _pg_client(tmp_path: Path, pg: Postgres) -> Path:
    folder = tmp_path / "c"
    (folder / "queries").mkdir(parents=True)
    (folder / "queries" / "bulk.sql").write_text("SELECT metric_id, day AS period, value, note FROM kpi_values\n")
    return write_client(folder, f"  finance:\n    url: {pg.url}\n    timeout: 1\n    query: queries/bulk.sql\n", [
        "M1,Waiting time,down,quarterly,Epic,finance,"
        "\"SELECT date_trunc('quarter', ts) AS period, round(avg(wait_minutes), 2) AS value FROM encounters GROUP BY 1\"",
        "M2,On-time delivery,up,quarterly,ERP,finance,",
    ])


def test_postgres_good_query_bulk_rows_writes_refused_and_the_password_never_shown(
    tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIN_PW", CANARY)
    folder = _pg_client(tmp_path, postgres)
    before = _hashes(folder)
    rows_before = postgres.psql("SELECT count(*) FROM kpi_values").strip()
    ed = QueryTester(load_engagement(folder))
    seen = [_text(ed)]
    ed.picker.search = "M1"
    t = ed.test()
    assert t is not None
    assert t.error is None, t.error
    quarters = postgres.psql("SELECT count(DISTINCT date_trunc('quarter', ts)) FROM encounters").strip()
    assert f"kpikit refresh would take {quarters} periods" in _plain(ed.result.value)
    seen.append(_text(ed))
    ed.picker.search = "M2"  # covered by the bulk query: only its own rows
    assert "bulk query of source finance" in ed.origin.value
    ed.test()
    shown = _plain(ed.result.value)
    assert "2 rows on source finance" in shown
    assert "new courier" in shown
    assert "not a metric of the client" not in shown
    seen.append(_text(ed))
    for sql, said in [
        ("DELETE FROM kpi_values", "read-only transaction"),
        ("UPDATE kpi_values SET value = 0", "read-only transaction"),
        ("CREATE TABLE leak (x text)", "read-only transaction"),
        ("SELECT pg_sleep(3) AS period, 1 AS value", "statement timeout (the source's timeout is 1 s)"),
        ("SELECT current_setting('no.such') AS period", "no.such"),
    ]:
        ed.sql.value = sql
        ed.test()
        shown = _plain(ed.result.value)
        assert shown.startswith("The query failed (finance):"), shown
        assert said in shown
        seen.append(_text(ed))
    ed.sql.value = "SELECT generate_series(1, 5000) AS period, 1 AS value"
    ed.test()
    assert "returned more than 200 rows" in _plain(ed.result.value)
    postgres.stop()  # a connection error is the likeliest place for a URL to be quoted
    try:
        ed.test()
        seen.append(_text(ed))
    finally:
        postgres.start()
    assert "The query failed (finance): cannot connect" in _plain(ed.result.value)
    monkeypatch.delenv("FIN_PW")
    ed.test()
    assert "needs the environment variable FIN_PW, which is not set" in _plain(ed.result.value)
    seen.append(_text(ed))
    assert postgres.psql("SELECT count(*) FROM kpi_values").strip() == rows_before
    assert postgres.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'leak'").strip() == "0"
    assert all(CANARY not in s for s in seen)
    assert _hashes(folder) == before
