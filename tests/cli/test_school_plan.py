"""A real plan's shape, end to end through ``kpikit validate`` and the engine (issue 11, "Done when").

``tests/fixtures/school_plan``: school years from July, yearly targets as milestones, objectives due
2030-06-30 and a biennial survey; its 2026 actuals are the plan's own 2026 targets.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from support import FIXTURES

from kpikit.cli import main
from kpikit.data.store import load_engagement
from kpikit.engine import review

PLAN = FIXTURES / "school_plan"


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    dest = tmp_path / "plan"
    shutil.copytree(PLAN, dest)
    return dest


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_the_plans_own_numbers_are_green_and_its_due_dates_time_bound(plan: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = digest(plan)

    assert main(["validate", str(plan), "--findings"]) == 0

    out = capsys.readouterr().out
    assert "4 kpis, 14 milestones, 8 actuals" in out
    assert "OBJECTIVE_NOT_SMART" not in out  # no "not time-bound" for objectives due 2030-06-30
    assert "KPI_OFF_TRACK" not in out
    assert "KPI_STALE" not in out
    assert digest(plan) == before  # validation never modifies inputs
    eng = load_engagement(plan)
    sc = review.scorecard(eng)
    assert sc["status"].tolist() == ["green"] * 4
    assert sc["gap"].tolist() == [0.0] * 4
    # the next school year: the survey (every two years) still counts its 2026 result, the others wait for data
    later = review.scorecard(eng, "2027-06")
    assert dict(zip(later["metric_id"], later["period"], strict=True)) == {
        "GRAD": "2027", "READ3": "2027", "ABS": "2027", "SAFE": "2026"}
    stale = [f.item_id for f in review.findings(eng, "2027-06") if f.code == "KPI_STALE"]
    assert stale == ["G1/GRAD", "G2/READ3", "G3/ABS"]


def test_read_as_calendar_years_the_same_plan_draws_the_false_warnings(plan: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = plan / "engagement.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("fiscal_year_start: 7\n", ""), encoding="utf-8")

    assert main(["validate", str(plan), "--findings"]) == 0

    out = capsys.readouterr().out
    late = [line for line in out.splitlines() if "OBJECTIVE_NOT_SMART" in line and "after the due date" in line]
    assert len(late) == 4  # what the issue saw: 2030 read as ending on 2030-12-31
    assert all("(ends 2030-12-31)" in line for line in late)
