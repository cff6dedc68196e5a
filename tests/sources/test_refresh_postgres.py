"""``kpikit refresh`` against a real PostgreSQL server (tests/sources/conftest.py): queries, diffs, safety."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sourcesupport import CANARY, Postgres, write_client
from support import run_cli

from kpikit.data.sources import read_record
from kpikit.data.store import load_engagement

WAIT_SQL = ("SELECT date_trunc('quarter', ts) AS period, round(avg(wait_minutes), 2) AS value "
            "FROM encounters WHERE ward = 'A' GROUP BY 1 ORDER BY 1")


def _client(tmp_path: Path, pg: Postgres, actuals: str | None = None, extra: list[str] | None = None) -> Path:
    bulk = tmp_path / "c" / "queries"
    bulk.mkdir(parents=True)
    (bulk / "bulk.sql").write_text("SELECT metric_id, day AS period, value, note FROM kpi_values\n")
    (bulk / "wait.sql").write_text(WAIT_SQL + ";\n")
    sources = f"  finance:\n    url: {pg.url}\n    timeout: 5\n    query: queries/bulk.sql\n"
    rows = [
        "M1,Waiting time ward A,down,quarterly,Epic,finance,queries/wait.sql",
        "M2,On-time delivery,up,quarterly,ERP,finance,",
        "M3,Audits,up,annual,,finance,",
        "M4,Staff survey,up,annual,HR survey,,",
        *(extra or []),
    ]
    return write_client(tmp_path / "c", sources, rows, actuals)


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.csv")}


def test_refresh_writes_each_metrics_rows_and_logs_restatements(
    tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FIN_PW", CANARY)
    folder = _client(tmp_path, postgres, actuals=(
        "M2,2025-Q1,90,typed in by hand\n"   # restated to 91.5, the note kept (the bulk query's note is empty)
        "M2,2024-Q4,88,\n"                   # no longer returned: removed
        "M4,2025,70,survey\n"                # no query: untouched
    ))
    assert run_cli(["refresh", str(folder)]) == 0
    out = capsys.readouterr()
    assert "finance/M2: 1 added, 1 restated, 1 removed" in out.out
    assert "~ 2025-Q1: 90 -> 91.5" in out.out
    eng = load_engagement(folder)
    got = {(r.metric_id, r.period): (r.value, r.note) for r in eng.actuals.itertuples()}
    expected_wait = postgres.psql(
        "SELECT to_char(date_trunc('quarter', ts), 'YYYY-\"Q\"Q'), round(avg(wait_minutes), 2) FROM encounters "
        "WHERE ward = 'A' GROUP BY 1 ORDER BY 1").split()
    for line in expected_wait:
        period, value = line.split("|")
        assert got[("M1", period)][0] == pytest.approx(float(value))
    assert got[("M2", "2025-Q1")][0] == 91.5
    assert got[("M2", "2025-Q2")] == (92.25, "new courier")
    assert ("M2", "2024-Q4") not in got
    assert got[("M3", "2025")][0] == 12
    assert got[("M4", "2025")] == (70, "survey")
    assert not any(m == "M9" for m, _ in got)
    log = eng.changes
    assert len(log) == 1
    assert log["item_id"].iat[0] == "M2"
    assert "2025-Q1 restated 90 -> 91.5" in log["change"].iat[0]
    rec = read_record(folder)
    assert rec["M1"].outcome == "ok"
    assert rec["M1"].latest_period == str(expected_wait[-1].split("|")[0])
    assert rec["M3"].rows == 1
    assert "M4" not in rec
    # a second refresh with nothing changed at the source changes no byte of the tables
    before = _hashes(folder)
    assert run_cli(["refresh", str(folder)]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert _hashes(folder) == before


def test_dry_run_shows_the_diff_and_writes_nothing(
    tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FIN_PW", CANARY)
    folder = _client(tmp_path, postgres, actuals="M2,2025-Q1,90,\n")
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert run_cli(["refresh", str(folder), "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "~ 2025-Q1: 90 -> 91.5" in out.out
    assert "nothing was written" in out.err
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(("query", "said"), [
    ("DELETE FROM kpi_values", "read-only transaction"),
    ("UPDATE kpi_values SET value = 0", "read-only transaction"),
    ("CREATE TABLE stolen AS SELECT 1 AS x", "read-only transaction"),
    ("SELECT 1 AS period, 2 AS value; DELETE FROM kpi_values", "more than one statement"),
    ("SELECT pg_sleep(10) AS period, 1 AS value", "statement timeout"),
    ("SELEKT 1", "syntax error"),
    ("SELECT '2025-Q1' AS period, 'lots' AS value", "'lots' is not a number"),
    ("SELECT day AS period, value FROM kpi_values WHERE metric_id IN ('M3', 'M9')", "two rows for period"),
    ("SELECT '2025-03' AS period, 1 AS value", "is monthly, but the metric is quarterly"),
    ("SELECT day AS when, value FROM kpi_values", "returned no column period"),
])
def test_a_failing_query_is_reported_and_nothing_is_written(
    tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    query: str, said: str,
) -> None:
    monkeypatch.setenv("FIN_PW", CANARY)
    folder = _client(tmp_path, postgres, actuals="M2,2025-Q1,90,\n",
                     extra=[f'M5,Broken,up,quarterly,,finance,"{query}"'])
    before = _hashes(folder)
    rows_before = postgres.psql("SELECT count(*) FROM kpi_values")
    assert run_cli(["refresh", str(folder), "--quiet"]) == 4
    out = capsys.readouterr()
    line = next(x for x in out.out.splitlines() if x.startswith("finance/M5"))
    assert "FAILED" in line
    assert said in line
    assert "metrics.csv:6" in line
    assert "nothing was written" in out.err
    assert _hashes(folder) == before
    assert postgres.psql("SELECT count(*) FROM kpi_values") == rows_before
    assert "stolen" not in postgres.psql("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'")
    rec = read_record(folder)
    assert rec["M5"].outcome == "failed"
    assert rec["M2"].outcome == "not written"


def test_keep_going_writes_exactly_the_metrics_that_succeeded(
    tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIN_PW", CANARY)
    folder = _client(tmp_path, postgres, actuals="M5,2025-Q1,7,\n",
                     extra=['M5,Broken,up,quarterly,,finance,"SELECT 1/0 AS period, 1 AS value"'])
    assert run_cli(["refresh", str(folder), "--keep-going", "--quiet"]) == 4
    eng = load_engagement(folder)
    assert set(eng.actuals["metric_id"]) == {"M1", "M2", "M3", "M5"}
    assert eng.actuals[eng.actuals["metric_id"] == "M5"]["value"].tolist() == [7]  # the failed one kept its rows
    assert read_record(folder)["M5"].outcome == "failed"
    assert read_record(folder)["M1"].outcome == "ok"


def test_unset_variable_and_server_down(
    tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    folder = _client(tmp_path, postgres)
    monkeypatch.delenv("FIN_PW", raising=False)
    assert run_cli(["refresh", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "engagement.yaml:9: sources.finance.url needs the environment variable FIN_PW, which is not set" in out
    monkeypatch.setenv("FIN_PW", CANARY)
    postgres.stop()
    try:
        assert run_cli(["refresh", str(folder), "--quiet"]) == 4
        out = capsys.readouterr().out
        assert "finance/M1: FAILED cannot connect:" in out
        assert CANARY not in out
    finally:
        postgres.start()
    assert not (folder / "actuals.csv").exists()


def test_the_password_never_leaves_the_process(
    tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FIN_PW", CANARY)
    folder = _client(tmp_path, postgres, extra=['M5,Broken,up,quarterly,,finance,"SELECT current_setting(\'x\')"'])
    run_cli(["refresh", str(folder), "--keep-going"])
    out = capsys.readouterr()
    postgres.stop()  # the connection error is the likeliest place for a URL to be quoted
    try:
        run_cli(["refresh", str(folder)])
    finally:
        postgres.start()
    out2 = capsys.readouterr()
    assert CANARY not in out.out + out.err + out2.out + out2.err
    for p in folder.rglob("*"):
        if p.is_file():
            assert CANARY.encode() not in p.read_bytes(), p


def test_literal_password_is_an_input_error(tmp_path: Path, postgres: Postgres, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _client(tmp_path, postgres)
    cfg = folder / "engagement.yaml"
    cfg.write_text(cfg.read_text().replace("${FIN_PW}", CANARY))
    assert run_cli(["validate", str(folder)]) == 1
    out = capsys.readouterr()
    assert "engagement.yaml:9: sources.finance.url has a password written in it" in out.out
    assert CANARY not in out.out + out.err


def test_metric_rules_are_input_errors(tmp_path: Path, postgres: Postgres, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _client(tmp_path, postgres, extra=[
        "M5,A,up,quarterly,,nowhere,SELECT 1",
        "M6,B,up,quarterly,,finance,queries/missing.sql",
    ])
    cfg = folder / "engagement.yaml"
    cfg.write_text(cfg.read_text() + "  ops:\n    path: data/x.csv\n")
    (folder / "metrics.csv").write_text((folder / "metrics.csv").read_text() + "M7,C,up,quarterly,,,SELECT 1\n")
    assert run_cli(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "metrics.csv:6: source 'nowhere' is not a source declared in engagement.yaml (sources: finance, ops)" in out
    assert "metrics.csv:7: query file 'queries/missing.sql' is not in the engagement folder" in out
    assert "metrics.csv:8: query has no source to run on: engagement.yaml declares several (finance, ops)" in out
