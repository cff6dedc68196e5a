"""The actuals editor shows, while typing, the status the review would give the typed value."""

from __future__ import annotations

import math

import pytest
from support import DEMO

from kpikit.data.store import load_engagement
from kpikit.editors.actuals import ActualsEntry
from kpikit.engine import review


@pytest.fixture(autouse=True)
def _interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIKIT_UNATTENDED", "0")


def _type(editor: ActualsEntry, metric: str, period: str, value: str) -> None:
    editor.metric_box.value = metric
    editor.period_box.value = period
    editor.value_box.value = value


def test_typing_each_saved_actual_gives_the_scorecards_status() -> None:
    """Every KPI of the demo with an actual in its period: retyping that value shows the engine's status."""
    eng = load_engagement(DEMO)
    detail = review.scorecard_detail(eng, None)
    saved = {(m, p): v for m, p, v in zip(eng.actuals["metric_id"], eng.actuals["period"], eng.actuals["value"], strict=True)}
    editor = ActualsEntry(eng)
    checked = 0
    for r in detail.itertuples():
        if math.isnan(r.actual) or saved.get((r.metric_id, r.period)) != r.actual or r.period == r.baseline_period:
            continue
        _type(editor, r.metric_id, r.period, f"{r.actual:.15g}")
        verdict = {o: key for o, key, _words in editor.live_status()}
        assert verdict[r.objective_id] == r.status, (r.objective_id, r.metric_id, r.period)
        checked += 1
    assert checked >= 20
    assert {"green", "amber", "red"} <= set(detail["status"])


def test_the_status_moves_with_the_value_and_says_what_it_is_compared_with() -> None:
    eng = load_engagement(DEMO)
    r = review.scorecard_detail(eng, None).query("metric_id == 'M-ED-4HR'").iloc[0]
    editor = ActualsEntry(eng)
    _type(editor, "M-ED-4HR", r["period"], "99")
    assert "On track" in editor.live.value
    assert "ahead" in editor.live.value
    editor.value_box.value = "10"
    assert "Off track" in editor.live.value
    assert "behind" in editor.live.value
    assert r["objective_id"] in editor.live.value
    assert "expected 90.05%" in editor.live.value
    editor.value_box.value = "ten"  # not a number yet: no verdict, the Add button says why
    assert editor.live.value == ""
    editor.value_box.value = "99"
    editor.period_box.value = "2026-07"  # a month for a quarterly metric: no verdict
    assert editor.live.value == ""


def test_baseline_period_reads_not_yet_measured_and_a_non_kpi_metric_has_no_status() -> None:
    eng = load_engagement(DEMO)
    kpi = eng.kpis.dropna(subset=["baseline_period"]).iloc[0]
    editor = ActualsEntry(eng)
    _type(editor, str(kpi["metric_id"]), str(kpi["baseline_period"]), "1")
    assert "Not yet measured" in editor.live.value
    spare = sorted(set(eng.metrics["id"]) - set(eng.kpis["metric_id"]))
    if spare:
        freq = eng.metrics.set_index("id").at[spare[0], "frequency"]
        period = {"annual": "2026", "quarterly": "2026-Q1", "monthly": "2026-01"}[freq]
        _type(editor, spare[0], period, "1")
        assert "not a selected KPI" in editor.live.value
    before = eng.actuals.copy()
    assert load_engagement(DEMO).actuals.equals(before)  # typing writes nothing
