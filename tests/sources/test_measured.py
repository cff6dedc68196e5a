"""Measurability from data: findings, the measurability table, and ``kpikit run --refresh`` end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from sourcesupport import CANARY, Postgres, write_client
from support import run_cli

from kpikit.data.store import load_engagement
from kpikit.engine import all_findings
from kpikit.engine.measured import measurability_table


def _file_client(folder: Path) -> Path:
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "waits.csv").write_text("day,minutes\n2025-10-03,31\n2025-11-20,29\n2025-12-01,27\n")
    return write_client(folder, "  ops:\n    path: data/waits.csv\n", [
        'M1,Waiting time,down,quarterly,Ward system,ops,"SELECT date_trunc(\'quarter\', CAST(day AS DATE)) AS period, '
        'avg(minutes) AS value FROM source GROUP BY 1"',
        'M2,Broken feed,down,quarterly,,ops,"SELECT nothing FROM source"',
        "M3,Survey,up,annual,HR survey,,",
        "M4,Unsourced,up,annual,,,",
    ])


def test_findings_and_table_follow_the_last_refresh(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _file_client(tmp_path / "c")
    eng = load_engagement(folder)
    table = measurability_table(eng).set_index("metric_id")
    assert table["status"].to_dict() == {"M1": "measured", "M2": "measured", "M3": "declared", "M4": "none"}
    assert table.loc["M1", "refreshed"] == ""  # never refreshed yet
    codes = {(f.code, f.item_id) for f in all_findings(eng)}
    assert ("KPI_NOT_MEASURED", "O1/M3") in codes
    assert not any(c == "KPI_SOURCE_BROKEN" for c, _ in codes)
    assert run_cli(["refresh", str(folder), "--keep-going", "--quiet"]) == 4
    capsys.readouterr()
    eng = load_engagement(folder)
    table = measurability_table(eng).set_index("metric_id")
    assert table.loc["M1", "outcome"] == "ok"
    assert table.loc["M1", "rows"] == "1"
    assert table.loc["M1", "latest_period"] == "2025-Q4"
    broken = [f for f in all_findings(eng) if f.code == "KPI_SOURCE_BROKEN"]
    assert [f.item_id for f in broken] == ["O1/M2"]
    assert "nothing" in broken[0].message
    assert broken[0].severity == "error"


def test_run_refresh_stops_on_a_failing_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _file_client(tmp_path / "c")
    assert run_cli(["run", str(folder), "--refresh", "--quiet", "--format", "html"]) == 4
    err = capsys.readouterr().err
    assert "ops/M2: FAILED" in err
    assert "a data source failed (listed above); nothing was run" in err
    assert not (folder / "runs").exists()
    assert not (folder / "actuals.csv").exists()


def test_run_refresh_keeps_the_password_out_of_every_output(
    tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FIN_PW", CANARY)
    folder = write_client(tmp_path / "c", f"  finance:\n    url: {postgres.url}\n", [
        "M1,Waiting time,down,quarterly,Ward system,finance,"
        "\"SELECT date_trunc('quarter', ts) AS period, avg(wait_minutes) AS value FROM encounters GROUP BY 1\"",
        "M2,Broken,down,quarterly,,finance,SELECT current_setting('no.such.setting') AS period",
        "M3,Survey,up,annual,HR survey,,",
    ])
    out_dir = tmp_path / "out"
    code = run_cli(["run", str(folder), "--refresh", "--keep-going", "--format", "html", "--out", str(out_dir)])
    captured = capsys.readouterr()
    assert code == 4, captured.err  # the run succeeded, a source failed
    report = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "KPI_SOURCE_BROKEN" in (out_dir / "findings.csv").read_text()
    assert "Waiting time" in report
    assert CANARY not in captured.out + captured.err
    for root in (folder, out_dir):
        for p in root.rglob("*"):
            if p.is_file():
                assert CANARY.encode() not in p.read_bytes(), p
