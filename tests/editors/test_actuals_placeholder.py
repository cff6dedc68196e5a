"""The actuals form shows how a period of the chosen metric is written (kpikit.periods.FORMS)."""

from __future__ import annotations

from pathlib import Path

from kpikit.data.store import load_engagement
from kpikit.editors.actuals import ActualsEntry


def test_the_period_box_shows_the_chosen_metrics_form(client: Path) -> None:
    ed = ActualsEntry(load_engagement(client))
    shown = {}
    for metric in ("M-ED4", "M-FALLS", "M-SURVEY"):  # quarterly, monthly, annual in the fixture
        ed.metric_box.value = metric
        shown[metric] = ed.period_box.placeholder
    assert shown == {"M-ED4": "YYYY-Qn", "M-FALLS": "YYYY-MM", "M-SURVEY": "YYYY"}
