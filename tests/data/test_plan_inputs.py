"""The plan model's inputs: ``fiscal_year_start``, ``measured_every`` and ``milestones.csv`` load, check and save.

The error messages themselves are specified in the broken corpus
(``tests/fixtures/broken/make_corpus.py``: fiscal_year_start_*, measured_every_not_whole,
milestone_rules); here: the values as the engine reads them, and saves through the store.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from support import FIXTURES

from kpikit.data.store import load_engagement
from kpikit.errors import EngagementError
from kpikit.periods import Period

KPIS = (
    "objective_id,metric_id,target,target_period,baseline,baseline_period\n"
    "O1,M1,1,2027-12,2.5,2026-01\n"
    "O3,M3,92,2030,80,2025\n"
)
MILESTONES = "objective_id,metric_id,period,target\nO3,M3,2026,88\nO3,M3,2027,89\nO1,M1,2026-12,1.8\n"


def plan_folder(tmp_path: Path, fiscal: str = "7") -> Path:
    folder = tmp_path / "plan"
    shutil.copytree(FIXTURES / "valid_minimal", folder)
    with (folder / "engagement.yaml").open("a", encoding="utf-8") as fh:
        fh.write(f"fiscal_year_start: {fiscal}\n")
    metrics = (folder / "metrics.csv").read_text(encoding="utf-8").splitlines()
    metrics = [metrics[0] + ",measured_every", metrics[1] + ",", metrics[2] + ",1", metrics[3] + ",2"]
    (folder / "metrics.csv").write_text("\n".join(metrics) + "\n", encoding="utf-8")
    (folder / "kpis.csv").write_text(KPIS, encoding="utf-8")
    (folder / "milestones.csv").write_text(MILESTONES, encoding="utf-8")
    return folder


def test_plan_settings_and_tables_load_as_the_engine_reads_them(tmp_path: Path) -> None:
    eng = load_engagement(plan_folder(tmp_path))

    assert eng.config.fiscal_year_start == 7
    every = eng.metrics.set_index("id")["measured_every"]
    assert math.isnan(every["M1"])  # empty cell: measured every period
    assert (every["M2"], every["M3"]) == (1.0, 2.0)
    assert eng.milestones[["objective_id", "metric_id", "period"]].to_numpy().tolist() == [
        ["O3", "M3", "2026"], ["O3", "M3", "2027"], ["O1", "M1", "2026-12"]]
    assert eng.milestones["target"].tolist() == [88.0, 89.0, 1.8]


def test_without_the_new_inputs_the_defaults_are_todays_behaviour() -> None:
    eng = load_engagement(FIXTURES / "valid_minimal")

    assert eng.config.fiscal_year_start == 1
    assert eng.milestones.empty
    assert not eng.has("milestones")
    assert "measured_every" in eng.metrics.columns
    assert eng.metrics["measured_every"].isna().all()
    assert not any("milestones" in step for step in eng.outstanding_steps())  # optional, not a step to do


def test_milestones_save_through_the_store_and_bad_edits_are_refused(tmp_path: Path) -> None:
    folder = plan_folder(tmp_path)
    eng = load_engagement(folder)
    eng.tables["milestones"] = pd.concat([eng.milestones, pd.DataFrame(
        {"objective_id": ["O3"], "metric_id": ["M3"], "period": ["2028"], "target": [90.0]})], ignore_index=True)

    assert eng.save().written == ["milestones.csv"]
    assert (folder / "milestones.csv").read_text(encoding="utf-8").splitlines()[-1] == "O3,M3,2028,90"
    assert load_engagement(folder).milestones["period"].tolist() == ["2026", "2027", "2026-12", "2028"]

    eng.tables["milestones"].loc[0, "period"] = "2031"  # after the target period 2030
    before = (folder / "milestones.csv").read_bytes()
    with pytest.raises(EngagementError) as exc:
        eng.save()
    assert "milestones.csv:2: period 2031 is not before the target_period 2030 of KPI O3/M3 (kpis.csv:3)" in str(exc.value)
    assert (folder / "milestones.csv").read_bytes() == before


def test_a_kpi_removed_from_kpis_csv_takes_its_milestones_rule_along(tmp_path: Path) -> None:
    eng = load_engagement(plan_folder(tmp_path))
    eng.tables["kpis"] = eng.kpis[eng.kpis["metric_id"] != "M3"].reset_index(drop=True)

    with pytest.raises(EngagementError) as exc:
        eng.validate()
    text = str(exc.value)
    assert "milestones.csv:2: KPI O3/M3 is not a row of kpis.csv" in text
    assert "milestones.csv:3: KPI O3/M3 is not a row of kpis.csv" in text


def test_the_review_period_by_default_is_the_actual_that_ends_last_in_fiscal_time(tmp_path: Path) -> None:
    folder = plan_folder(tmp_path)
    (folder / "actuals.csv").write_text("metric_id,period,value\nM3,2026,88\nM1,2026-03,2\n", encoding="utf-8")

    # fiscal 2026 ends in June 2026, after March; in calendar years it would end in December
    assert load_engagement(folder).review_period() == Period.parse("2026")
    text = (folder / "engagement.yaml").read_text(encoding="utf-8").replace("fiscal_year_start: 7", "fiscal_year_start: 4")
    (folder / "engagement.yaml").write_text(text, encoding="utf-8")
    assert load_engagement(folder).review_period() == Period.parse("2026")  # both end in March: the year wins a tie
    (folder / "actuals.csv").write_text("metric_id,period,value\nM3,2026,88\nM1,2026-04,2\n", encoding="utf-8")
    assert load_engagement(folder).review_period() == Period.parse("2026-04")
