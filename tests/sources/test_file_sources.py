"""File sources through DuckDB (CSV, Parquet, JSON, XLSX) and the confinement of their connection."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import openpyxl
import pytest
from sourcesupport import write_client
from support import run_cli

from kpikit.data.config import Source
from kpikit.data.filesource import FileSource
from kpikit.data.store import load_engagement

EVENTS = [("2025-01-15", 10.0), ("2025-02-10", 12.0), ("2025-04-02", 7.5), ("2025-08-30", 9.0)]
QUERY = "SELECT date_trunc('month', CAST(day AS DATE)) AS period, sum(amount) AS value FROM source GROUP BY 1 ORDER BY 1"


def _write(kind: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        path.write_text("day,amount\n" + "".join(f"{d},{a}\n" for d, a in EVENTS))
    elif kind == "json":
        path.write_text(json.dumps([{"day": d, "amount": a} for d, a in EVENTS]))
    elif kind == "parquet":
        con = duckdb.connect()
        con.execute("CREATE TABLE t (day VARCHAR, amount DOUBLE)")
        con.executemany("INSERT INTO t VALUES (?, ?)", EVENTS)
        con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
        con.close()
    else:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Other"
        ws2 = wb.create_sheet("Events")
        ws2.append(["day", "amount"])
        for d, a in EVENTS:
            ws2.append([d, a])
        wb.save(path)


@pytest.mark.parametrize("kind", ["csv", "parquet", "json", "xlsx"])
def test_each_file_kind_feeds_monthly_actuals(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "c"
    _write(kind, folder / "data" / f"events.{kind}")
    sheet = "    sheet: Events\n" if kind == "xlsx" else ""
    write_client(folder, f"  ops:\n    path: data/events.{kind}\n{sheet}",
                 [f'M1,Spend,down,monthly,Ledger,ops,"{QUERY}"', "M2,Spend by quarter,down,quarterly,,ops,queries/q.sql"])
    (folder / "queries").mkdir()
    (folder / "queries" / "q.sql").write_text("SELECT day AS period, amount AS value, 'from ' || day AS note FROM source "
                                              "WHERE day < '2025-02-01'\n")
    assert run_cli(["refresh", str(folder), "--quiet"]) == 0, capsys.readouterr()
    got = {(r.metric_id, r.period): (r.value, r.note) for r in load_engagement(folder).actuals.itertuples()}
    assert {k: v[0] for k, v in got.items() if k[0] == "M1"} == {
        ("M1", "2025-01"): 10.0, ("M1", "2025-02"): 12.0, ("M1", "2025-04"): 7.5, ("M1", "2025-08"): 9.0}
    assert got[("M2", "2025-Q1")] == (10.0, "from 2025-01-15")


def _open(tmp_path: Path) -> FileSource:
    _write("csv", tmp_path / "data" / "events.csv")
    (tmp_path / "secret.csv").write_text("password\nhunter2\n")
    return FileSource(tmp_path, "ops", Source(path="data/events.csv"))


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv('{folder}/secret.csv')",
    "SELECT * FROM read_csv('http://example.invalid/x.csv')",
    "SELECT * FROM read_parquet('s3://bucket/x.parquet')",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "INSTALL httpfs",
    "ATTACH '{folder}/other.duckdb' AS o",
    "COPY (SELECT 1) TO '{folder}/out.csv'",
])
def test_a_file_query_sees_only_its_declared_file(tmp_path: Path, sql: str) -> None:
    src = _open(tmp_path)
    try:
        with pytest.raises(ValueError, match=r"(?i)permission|disabled|lock|cannot|not allowed|configuration"):
            src.query(sql.format(folder=tmp_path))
        assert src.query("SELECT count(*) AS n FROM source")["n"].tolist() == [4]  # still confined, still working
    finally:
        src.close()
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "other.duckdb").exists()


def test_file_source_errors_are_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "c"
    write_client(folder, "  ops:\n    path: data/missing.parquet\n", ['M1,Spend,down,monthly,,ops,"SELECT 1"'])
    assert run_cli(["refresh", str(folder), "--quiet"]) == 4
    out = capsys.readouterr().out
    assert "ops/M1: FAILED path 'data/missing.parquet' is not in the engagement folder" in out
    (folder / "data").mkdir()
    (folder / "data" / "missing.parquet").write_text("not parquet at all")
    assert run_cli(["refresh", str(folder), "--quiet"]) == 4
    assert "missing.parquet cannot be read" in capsys.readouterr().out
    (folder / "engagement.yaml").write_text((folder / "engagement.yaml").read_text().replace("data/missing.parquet",
                                                                                              "../outside.csv"))
    assert run_cli(["validate", str(folder)]) == 1
    assert "sources.ops.path '../outside.csv' goes up out of the engagement folder" in capsys.readouterr().out
