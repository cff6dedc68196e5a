"""Process behaviour (signal or noise): XmR limits and the contract's signal rules, computed by hand.

Each series below has its limits worked out in the comments: centre = mean, mR = mean of the
absolute successive differences, limits = centre -/+ 2.66 mR.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import run_cli

from kpikit.engine.behaviour import behaviour, signal, xmr


def test_limits_by_hand() -> None:
    # 10 12 11 13 12 14 11 12: sum 95, centre 11.875; |diffs| 2 1 2 1 2 3 1 = 12 over 7
    lim = xmr([10, 12, 11, 13, 12, 14, 11, 12])
    assert lim.centre == pytest.approx(11.875)
    assert lim.mr == pytest.approx(12 / 7)
    assert lim.lower == pytest.approx(11.875 - 2.66 * 12 / 7)  # 7.315
    assert lim.upper == pytest.approx(11.875 + 2.66 * 12 / 7)  # 16.435
    history = [10, 12, 11, 13, 12, 14, 11, 12]
    assert signal([*history, 17], lim) == "outside"
    assert signal([*history, 7.0], lim) == "outside"
    assert signal([*history, lim.upper], lim) == "none"  # on the limit is not beyond it
    # 12: 12 and 12 above, 11 below: a run of 2; latest four 14 11 12 12: 14 is 2.125 from the centre, 2.31 from the limit
    assert signal([*history, 12], lim) == "none"


def test_zero_moving_range() -> None:
    lim = xmr([5.0] * 8)  # mR = 0: both limits on the centre
    assert (lim.centre, lim.mr, lim.lower, lim.upper) == (5.0, 0.0, 5.0, 5.0)
    assert signal([5.0] * 9, lim) == "none"  # equal to the centre: no run, not beyond, not nearer a limit
    assert signal([5.0] * 8 + [5.1], lim) == "outside"
    assert signal([5.0] * 8 + [4.9], lim) == "outside"


def test_run_skips_values_equal_to_the_centre() -> None:
    # -6 6 -6 6 -6 6 -6 6 | 2 1 2 2 2 2 2 3: sum 16 over 16, centre 1 exactly
    # |diffs|: 7 x 12 = 84, then 4 1 1 0 0 0 0 1 = 91 over 15; limits 1 -/+ 16.14
    history = [-6, 6, -6, 6, -6, 6, -6, 6, 2, 1, 2, 2, 2, 2, 2, 3]
    lim = xmr(history)
    assert lim.centre == pytest.approx(1.0)
    assert lim.mr == pytest.approx(91 / 15)
    # back from 2: 2 3 2 2 2 2 2 (7 above), the 1 on the centre skipped, 2, 6: 9 above in a row
    assert signal([*history, 2], lim) == "run"
    # below the centre: the run is 1 long
    assert signal([*history, 0], lim) == "none"
    # seven in a row is not a run: -6 6 ... -6 (9 values, sum -6) then six 2s: centre 6/15 = 0.4
    seven = [-6, 6, -6, 6, -6, 6, -6, 6, -6, 2, 2, 2, 2, 2, 2]
    assert xmr(seven).centre == pytest.approx(0.4)
    assert signal([*seven, 2], xmr(seven)) == "none"
    assert signal([*seven, 2, 2], xmr(seven)) == "run"


def test_near_limit() -> None:
    # 0 2 0 2 0 2 0 2 6 1 6: sum 21 over 11, centre 1.909; |diffs| 7 x 2 + 4 + 5 + 5 = 28 over 10, mR 2.8
    # limits 1.909 -/+ 7.448: -5.539 and 9.357; closer to the upper limit than to the centre: above 5.633
    history = [0, 2, 0, 2, 0, 2, 0, 2, 6, 1, 6]
    lim = xmr(history)
    assert lim.centre == pytest.approx(21 / 11)
    assert lim.upper == pytest.approx(21 / 11 + 2.66 * 2.8)
    assert signal([*history, 6], lim) == "near-limit"  # 6 1 6 6: three near the upper limit
    assert signal([*history, 2], lim) == "none"  # 6 1 6 2: two


def test_outside_comes_before_run() -> None:
    history = [-6, 6, -6, 6, -6, 6, -6, 6, 2, 1, 2, 2, 2, 2, 2, 3]
    assert signal([*history, 40], xmr(history)) == "outside"


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(finite, min_size=2, max_size=30), finite, st.floats(min_value=0.01, max_value=100))
def test_limit_properties(values: list[float], shift: float, scale: float) -> None:
    lim = xmr(values)
    assert lim.lower <= lim.centre <= lim.upper
    moved = xmr([v + shift for v in values])
    assert moved.centre == pytest.approx(lim.centre + shift, abs=1e-6)
    assert moved.lower == pytest.approx(lim.lower + shift, abs=1e-6)
    assert moved.upper == pytest.approx(lim.upper + shift, abs=1e-6)
    scaled = xmr([v * scale for v in values])
    assert scaled.lower == pytest.approx(lim.lower * scale, rel=1e-6, abs=1e-6)
    assert scaled.upper == pytest.approx(lim.upper * scale, rel=1e-6, abs=1e-6)


def _scorecard(run: Path) -> dict[str, dict[str, str]]:
    import csv

    with (run / "scorecard.csv").open(encoding="utf-8") as f:
        return {f"{r['objective_id']}/{r['metric_id']}": r for r in csv.DictReader(f)}


def test_scorecard_and_findings_through_the_cli(make_client: Callable[[str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client("harbor")
    path = client / "actuals.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # M-LOS has no 2026-Q3 value any more: limits, but no signal
    path.write_text("".join(line for line in lines if not line.startswith("M-LOS,2026-Q3,")), encoding="utf-8")
    assert run_cli(["run", str(client), "--format", "html", "--quiet"]) == 0
    (run,) = (client / "runs").iterdir()
    card = _scorecard(run)
    ed = card["OBJ-02/M-ED-4HR"]
    # 2024-Q3..2026-Q2: 77.7 78.5 80.0 81.7 83.5 84.9 87.2 89.1, sum 662.6, centre 82.825
    # |diffs| 0.8 1.5 1.7 1.8 1.4 2.3 1.9 = 11.4 over 7; limits 82.825 -/+ 4.332
    assert float(ed["centre"]) == pytest.approx(82.825)
    assert float(ed["lower_limit"]) == pytest.approx(82.825 - 2.66 * 11.4 / 7)
    assert float(ed["upper_limit"]) == pytest.approx(82.825 + 2.66 * 11.4 / 7)
    assert ed["signal"] == "outside"  # 89.6 is above 87.157
    los = card["OBJ-06/M-LOS"]
    assert los["signal"] == ""
    assert los["centre"] != ""
    engage = card["OBJ-10/M-ENGAGE"]  # three annual values: no limits
    assert (engage["centre"], engage["signal"]) == ("", "")
    # the 95% target is above the process's upper limit: the process must change (a note, not a finding per KPI)
    from kpikit.data.store import load_engagement
    from kpikit.engine.behaviour import target_notes

    notes = target_notes(load_engagement(client))
    assert "is above the upper natural process limit 87.16%" in notes["OBJ-02/M-ED-4HR"]
    assert notes["OBJ-02/M-ED-4HR"].startswith("the target 95%")
    assert "OBJ-10/M-ENGAGE" not in notes  # no limits
    report = (run / "report.html").read_text(encoding="utf-8")
    section = report[report.index('id="sec-signals"'):report.index('id="sec-strategy"')]
    assert "Targets beyond what the process produces" in section
    assert "ED 4-hour performance" in section


def test_behaviour_table_matches_the_scorecard_periods(make_client: Callable[[str], Path]) -> None:
    from kpikit.data.store import load_engagement
    from kpikit.engine.review import scorecard

    eng = load_engagement(make_client("harbor"))
    table = behaviour(eng, "2026-Q2")
    assert list(table["period"]) == list(scorecard(eng, "2026-Q2")["period"])
    ed = table[table["metric_id"] == "M-ED-4HR"].iloc[0]
    # before 2026-Q2 only 7 values (2024-Q3..2026-Q1): no limits
    assert math.isnan(ed["centre"])
    assert ed["signal"] == ""


@given(st.lists(st.integers(min_value=-1000, max_value=1000), min_size=9, max_size=30),
       st.integers(min_value=-1000, max_value=1000), st.integers(min_value=1, max_value=50))
def test_signal_does_not_depend_on_the_units(values: list[int], shift: int, scale: int) -> None:
    """A series in other units (shifted, or scaled by a positive factor) gives the same signal."""
    history, last = [float(v) for v in values[:-1]], float(values[-1])
    base = signal([*history, last], xmr(history))
    moved = [v + shift for v in history]
    assert signal([*moved, last + shift], xmr(moved)) == base
    scaled = [v * scale for v in history]
    assert signal([*scaled, last * scale], xmr(scaled)) == base


def test_targets_beyond_the_limits_are_a_sentence_not_a_wall() -> None:
    from kpikit.report.sections.signals import NAMED, beyond_words

    items = [(i % 2 == 0, f"KPI {i} (target {i}%, limits 1% to 2%)") for i in range(29)]
    words = beyond_words(items)
    assert words.startswith("29 KPI targets lie beyond")
    assert words.count("(target") == NAMED
    assert f"and {29 - NAMED} more." in words
    assert "KPI 1 (" in words  # those that need attention (not green) are named first
