"""The target setter edits a KPI's milestones (interim targets), saved and checked like every other edit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpikit.data.store import load_engagement
from kpikit.editors.targets import TargetSetter
from kpikit.engine import review

# editors_small: KPI O-01/M-ED4 is quarterly, baseline 80 in 2024-Q4, target 95 in 2027-Q2


def test_milestones_typed_in_the_form_are_saved_logged_and_shown_again(client: Path) -> None:
    ed = TargetSetter(load_engagement(client))
    assert ed.milestones_box.value == ""
    ed.milestones_box.value = "2025-Q4: 88\n\n2026-Q4 92\n"
    assert ed.field_errors.value == ""
    ed.rationale.value = "the plan's yearly targets"

    assert ed.save() is True

    assert (client / "milestones.csv").read_text(encoding="utf-8") == (
        "objective_id,metric_id,period,target\nO-01,M-ED4,2025-Q4,88\nO-01,M-ED4,2026-Q4,92\n")
    log = pd.read_csv(client / "changes.csv").iloc[-1]
    assert (log["item_id"], log["change"]) == ("O-01/M-ED4", "milestone 2025-Q4 set to 88; milestone 2026-Q4 set to 92")
    eng = load_engagement(client)
    assert TargetSetter(eng).milestones_box.value == "2025-Q4: 88\n2026-Q4: 92"
    # the saved plan is what the review follows: expected 88 in 2025-Q4
    assert review.trajectory(eng, "O-01", "M-ED4").set_index("period").at["2025-Q4", "expected"] == 88


def test_a_milestone_outside_the_kpis_span_is_refused_with_its_line(client: Path) -> None:
    ed = TargetSetter(load_engagement(client))
    ed.milestones_box.value = "2025-Q4: 88\n2027-Q3: 96"

    assert ed.save() is False

    assert ("milestones.csv:3: period 2027-Q3 is not before the target_period 2027-Q2 of KPI O-01/M-ED4 (kpis.csv:2)"
            in ed.message.value)
    assert not (client / "milestones.csv").exists()


def test_lines_that_cannot_be_read_are_shown_and_block_the_save(client: Path) -> None:
    before = (client / "kpis.csv").read_bytes()
    ed = TargetSetter(load_engagement(client))
    ed.milestones_box.value = "2025-Q4: 88%\n2026-Q5: 90\n2025-Q4: 89\nnonsense"

    shown = ed.field_errors.value
    assert "line 1: target &#x27;88%&#x27; is not a number" in shown
    assert "line 2: &#x27;2026-Q5&#x27; is not a period" in shown
    assert "line 4: write the period and its target, like 2026-Q4: 85" in shown
    assert ed.save() is False
    assert not (client / "milestones.csv").exists()
    assert (client / "kpis.csv").read_bytes() == before
    ed.milestones_box.value = "2025-Q4: 88\n2025-Q4: 89"
    assert "line 2: 2025-Q4 is given twice" in ed.field_errors.value
