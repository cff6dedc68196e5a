"""The demo client's data source (clients/demo-harbor/data/ed_attendances.csv): its committed actuals already equal
a refresh of the extract, so ``make demo`` (``kpikit run clients/demo-harbor --refresh``) changes no committed byte."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from support import DEMO, run_cli

from kpikit.data.sources import read_record
from kpikit.data.store import load_engagement
from kpikit.engine.measured import measurability_table


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def test_refreshing_the_demo_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo-harbor"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("runs", ".kpikit"))
    committed = _hashes(folder)
    assert run_cli(["refresh", "--dry-run", str(folder), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["ed/M-ED-4HR: unchanged (9 rows)", "ed/M-ED-D2P: unchanged (27 rows)"]
    assert "dry run, 2 metrics queried, 0 failed; nothing was written" in err
    assert _hashes(folder) == committed
    # the real refresh make demo runs: every committed file keeps its bytes; only the refresh record is added
    assert run_cli(["refresh", str(folder), "--quiet"]) == 0
    assert "nothing changed" in capsys.readouterr().err
    after = _hashes(folder)
    assert set(after) - set(committed) == {".kpikit/refresh.json"}
    assert {k: v for k, v in after.items() if k in committed} == committed
    rec = read_record(folder)
    assert {m: (r.rows, r.latest_period, r.outcome) for m, r in rec.items()} == {
        "M-ED-4HR": (9, "2026-Q3", "ok"), "M-ED-D2P": (27, "2026-09", "ok")}


def test_the_readme_names_the_measured_declared_and_unsourced_kpis() -> None:
    table = measurability_table(load_engagement(DEMO))
    status = dict(zip(table["metric_id"], table["status"], strict=True))
    assert sorted(m for m, s in status.items() if s == "measured") == ["M-ED-4HR", "M-ED-D2P"]
    assert [m for m, s in status.items() if s == "none"] == ["M-HAND-HYG"]
    assert sum(s == "declared" for s in status.values()) == 26
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "| measured | M-ED-4HR (quarterly), M-ED-D2P (monthly) |" in readme
    assert "| declared | the other 26 selected KPIs' metrics |" in readme
    assert "| no source | M-HAND-HYG |" in readme
