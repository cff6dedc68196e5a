"""``kpikit run --all ROOT --refresh``: every client is refreshed first; one whose refresh fails is not run (exit 4),
the others run and are reported fine; ``--keep-going`` runs it too. Two small clients with file sources, one real pool."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sourcesupport import write_client
from support import run_cli

from kpikit.data.sources import read_record
from kpikit.data.store import load_engagement

QUARTERLY = ("\"SELECT date_trunc('quarter', CAST(day AS DATE)) AS period, avg(minutes) AS value "
             "FROM source GROUP BY 1\"")


def _client(folder: Path, name: str, broken: bool) -> Path:
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "waits.csv").write_text("day,minutes\n2025-10-03,31\n2025-11-20,29\n2025-12-01,27\n")
    rows = [f"M1,Waiting time,down,quarterly,Ward system,ops,{QUARTERLY}"]
    if broken:
        rows.append('M2,Broken feed,down,quarterly,,ops,"SELECT nothing AS period, 1 AS value FROM source"')
    write_client(folder, "  ops:\n    path: data/waits.csv\n", rows)
    cfg = folder / "engagement.yaml"
    cfg.write_text(cfg.read_text().replace("client: Source Test Ltd", f"client: {name}"))
    return folder


def _summary(out: str) -> dict[str, list[str]]:
    """The summary table's rows by client: outcome and the report or error column."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r"(Alpha Clinic|Beta Clinic)\s+(\S+(?: \S+)?)\s+\d+\.\d\s+(.*)", line)
        if m:
            rows[m.group(1)] = [m.group(2), m.group(3)]
    return rows


def test_a_failing_refresh_stops_only_its_client(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "clients"
    alpha = _client(root / "alpha", "Alpha Clinic", broken=False)
    beta = _client(root / "beta", "Beta Clinic", broken=True)
    code = run_cli(["run", "--all", str(root), "--refresh", "--format", "html", "--workers", "1"])
    out, err = capsys.readouterr()
    assert code == 4, out + err
    rows = _summary(out)
    assert rows["Alpha Clinic"][0] == "succeeded"
    assert rows["Alpha Clinic"][1].endswith("report.html")
    assert rows["Beta Clinic"][0] == "refresh failed"
    assert rows["Beta Clinic"][1].startswith("not run, exit 4: a data source failed: ops/M2: query (metrics.csv:3): "
                                             "Binder Error: Referenced column \"nothing\" not found")
    assert "1 of 2 clients succeeded; 1 not run: a data source failed (exit 4)" in out
    # each client's refresh lines say whose they are
    assert "beta: ops/M2: FAILED query (metrics.csv:3)" in err
    assert "alpha: ops/M1: 1 added, 0 restated, 0 removed" in err
    assert load_engagement(alpha).actuals["value"].tolist() == [29.0]
    assert not (beta / "actuals.csv").exists()  # all or nothing: M1 of beta was not written either
    assert not (beta / "runs").exists()
    assert len(list((alpha / "runs").iterdir())) == 1

    # --keep-going: beta's good metric is written and beta runs; alpha is unchanged and not run again; still exit 4
    code = run_cli(["run", "--all", str(root), "--refresh", "--keep-going", "--format", "html", "--workers", "1"])
    out, err = capsys.readouterr()
    assert code == 4, out + err
    rows = _summary(out)
    assert rows["Alpha Clinic"][0] == "unchanged"
    assert rows["Beta Clinic"][0] == "succeeded"
    assert "2 of 2 clients succeeded (1 unchanged, not run again)" in out
    assert load_engagement(beta).actuals["metric_id"].tolist() == ["M1"]
    assert read_record(beta)["M2"].outcome == "failed"
    report = next((beta / "runs").glob("*/report.html")).read_text(encoding="utf-8")
    assert "KPI_SOURCE_BROKEN" in next((beta / "runs").glob("*/findings.csv")).read_text(encoding="utf-8")
    assert "Broken feed" in report
