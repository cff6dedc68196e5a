"""SMART assessment: the title heuristic and each criterion's rule, with readable reasons."""

from __future__ import annotations

import pytest
from enginebuild import build, kpi, metric, obj
from support import DEMO

from kpikit.data.model import Engagement
from kpikit.engine import smart


@pytest.mark.parametrize(
    "title",
    [
        "Reduce emergency wait times to under 4 hours for 95% of patients by June 2027",
        "Cut registered nurse voluntary turnover to below 12% by December 2027",
        "Increase market share to 25% in the northern region",   # vague verb, but a measurable object
        "Improve hand hygiene compliance to 95% on every ward",
        "Halve the number of medication errors on surgical wards",  # quantity word
        "Open a second catheterisation lab at Lakeside hospital",   # concrete result, no number needed
        "Launch the Harbor Health patient app and reach 25,000 monthly active users by March 2027",
    ],
)
def test_specific_titles_pass(title: str) -> None:
    passed, reason = smart.assess_title(title)
    assert passed, reason


@pytest.mark.parametrize(
    ("title", "why"),
    [
        ("Improve culture", "too short"),
        ("Increase market share", "too short"),
        ("", "empty"),
        ("Improve culture by 2027", "starts with 'Improve'"),            # a date is not a measurable object
        ("Enhance the patient experience across our hospitals", "starts with 'Enhance'"),
        ("Optimise theatre scheduling in FY2027", "starts with 'Optimise'"),
        ("Make the operating theatres more efficient", "relies on 'more efficient'"),
        ("Become a world-class employer of nurses", "starts with 'Become'"),
        ("Deliver world-class care in the region", "relies on 'world-class'"),
        ("Reduce patient falls on medical wards", "starts with 'Reduce'"),   # a direction, no destination
        ("Cut agency spend across the trust", "starts with 'Cut'"),
    ],
)
def test_vague_titles_fail_with_a_reason(title: str, why: str) -> None:
    passed, reason = smart.assess_title(title)
    assert not passed
    assert why in reason


def test_title_reason_quotes_the_title_and_counts_words() -> None:
    assert smart.assess_title("  Improve   culture ") == (
        False,
        "'Improve culture' is too short to be specific: 2 words cannot say what changes, for whom and by how much.",
    )


def test_titles_in_any_script_count_their_words() -> None:
    # a non-English client's titles: words of Cyrillic, Greek, Arabic or accented Latin letters count
    passed, reason = smart.assess_title("Снизить время ожидания в приёмном отделении до 4 часов к 2027 году")
    assert passed, reason
    assert smart.assess_title("Μείωση του χρόνου αναμονής στις 4 ώρες")[0]
    assert "3 words" in smart.assess_title("مرحبا بالعالم عربي")[1]
    assert "2 words" in smart.assess_title("Réduire délais")[1]  # not "R" + "duire" + "d" + "lais"


def _crit(eng: Engagement, oid: str, criterion: str) -> tuple[bool, str]:
    df = smart.assess(eng)
    row = df[(df["objective_id"] == oid) & (df["criterion"] == criterion)].iloc[0]
    return bool(row["passed"]), str(row["reason"])


def test_assess_has_one_row_per_objective_and_criterion() -> None:
    eng = build(objectives=[obj("O1", pillar="P1"), obj("O2", parent="O1")])
    df = smart.assess(eng)
    assert list(df.columns) == ["objective_id", "criterion", "passed", "reason"]
    assert list(df["criterion"][:5]) == ["Specific", "Measurable", "Achievable", "Relevant", "Time-bound"]
    assert len(df) == 10
    assert df["passed"].dtype == bool
    assert smart.summary(eng).columns.tolist() == [*smart.CRITERIA, "smart"]


def test_measurable_needs_a_kpi_with_unit_and_data_source() -> None:
    objectives = [obj("O1", pillar="P1"), obj("O2", pillar="P1"), obj("O3", pillar="P1"), obj("O4", pillar="P1")]
    metrics = [metric("M-OK"), metric("M-NOUNIT", unit=""), metric("M-NOSRC", source=""), metric("M-NONE", unit="", source="")]
    eng = build(objectives=objectives, metrics=metrics,
                kpis=[kpi("O1", "M-NOUNIT"), kpi("O1", "M-OK"), kpi("O2", "M-NOUNIT"), kpi("O2", "M-NOSRC"),
                      kpi("O3", "M-NONE")])
    assert _crit(eng, "O1", "Measurable") == (True, "Measured by M-OK, with a unit and a data source.")
    passed, reason = _crit(eng, "O2", "Measurable")
    assert not passed
    assert "M-NOUNIT has no unit; M-NOSRC has no data source" in reason
    assert "M-NONE has no unit and no data source" in _crit(eng, "O3", "Measurable")[1]
    assert _crit(eng, "O4", "Measurable") == (False, "No KPI is selected for it, so progress cannot be measured.")
    not_yet = build(objectives=objectives, metrics=metrics)
    assert _crit(not_yet, "O1", "Measurable") == (False, "No KPIs have been selected yet (kpis.csv is not filled in).")


def test_achievable_uses_the_realism_check() -> None:
    eng = build(
        objectives=[obj("O1", pillar="P1"), obj("O2", pillar="P1"), obj("O3", pillar="P1")],
        metrics=[metric("M1"), metric("M2")],
        kpis=[
            # better than its benchmark: unrealistic whatever the history
            kpi("O1", "M1", target=99, period="2027-Q2", baseline=60, baseline_period="2024-Q4", benchmark=85),
            # no actuals, no benchmark: too little history to judge -> passes
            kpi("O2", "M2", target=70, period="2027-Q2", baseline=60, baseline_period="2024-Q4"),
        ],
    )
    passed, reason = _crit(eng, "O1", "Achievable")
    assert not passed
    assert reason.startswith("Its KPI target looks unrealistic.")
    assert "benchmark" in reason
    assert _crit(eng, "O2", "Achievable") == (True, "Not enough history to judge whether the targets are realistic.")
    assert _crit(eng, "O3", "Achievable")[0] is True  # no KPI: nothing unrealistic


def test_relevant_follows_the_parent_chain() -> None:
    eng = build(objectives=[
        obj("TOP", pillar="P2"), obj("MID", parent="TOP", unit="U-A"), obj("LOW", parent="MID", unit="U-A1"),
        obj("LOOSE"), obj("UNDER-LOOSE", parent="LOOSE"),
    ])
    assert _crit(eng, "TOP", "Relevant") == (True, "Serves pillar P2 'Timely access' directly.")
    assert _crit(eng, "LOW", "Relevant") == (True, "Serves pillar P2 'Timely access' through objective TOP.")
    passed, reason = _crit(eng, "LOOSE", "Relevant")
    assert not passed
    assert "no parent objective and no pillar" in reason
    passed, reason = _crit(eng, "UNDER-LOOSE", "Relevant")
    assert not passed
    assert "(from LOOSE) never reaches a strategic pillar" in reason


def test_time_bound_needs_a_due_date_and_targets_on_or_before_it() -> None:
    eng = build(
        objectives=[obj("O1", pillar="P1", due="2027-06-30"), obj("O2", pillar="P1", due="2027-06-30"),
                    obj("O3", pillar="P1", due=""), obj("O4", pillar="P1", due="2027-06-30")],
        metrics=[metric("MQ"), metric("MM", frequency="monthly"), metric("MA", frequency="annual")],
        kpis=[kpi("O1", "MQ", period="2027-Q2"), kpi("O1", "MM", period="2027-06"),   # end exactly on the due date
              kpi("O2", "MQ", period="2027-Q3"), kpi("O4", "MA", period="2027")],
    )
    assert _crit(eng, "O1", "Time-bound") == (True, "Due 2027-06-30, and every KPI target falls on or before it.")
    passed, reason = _crit(eng, "O2", "Time-bound")
    assert not passed
    assert reason == "KPI targets fall after the due date 2027-06-30: MQ targets 2027-Q3 (ends 2027-09-30)."
    assert _crit(eng, "O3", "Time-bound") == (False, "It has no due date.")
    assert "MA targets 2027 (ends 2027-12-31)" in _crit(eng, "O4", "Time-bound")[1]


def test_findings_one_per_failed_criterion() -> None:
    eng = build(
        objectives=[
            obj("GOOD", pillar="P1"),
            obj("VAGUE", title="Improve culture", parent="GOOD", due=""),
            obj("LOOSE"),                                  # no parent, no pillar
            obj("UNDER", parent="LOOSE"),
            obj("NOKPI", pillar="P1"),
        ],
        metrics=[metric("M1")],
        kpis=[kpi(o, "M1") for o in ("GOOD", "VAGUE", "LOOSE", "UNDER")],
    )
    found = {(f.code, f.item_id, f.message.split(".")[0]) for f in smart.findings(eng)}
    assert found == {
        ("OBJECTIVE_NOT_SMART", "VAGUE", "Objective VAGUE 'Improve culture' is not Specific"),
        ("OBJECTIVE_NOT_SMART", "VAGUE", "Objective VAGUE 'Improve culture' is not Time-bound"),
        ("OBJECTIVE_NOT_SMART", "UNDER", f"Objective UNDER '{obj('X')['title']}' is not Relevant"),
        ("OBJECTIVE_NOT_SMART", "LOOSE", f"Objective LOOSE '{obj('X')['title']}' is not Relevant"),
        ("OBJECTIVE_NOT_SMART", "NOKPI", f"Objective NOKPI '{obj('X')['title']}' is not Measurable"),
        ("OBJECTIVE_UNALIGNED", "LOOSE", f"Objective LOOSE '{obj('X')['title']}' has no parent objective and no pillar: it is not aligned to the strategy"),
    }
    # the contract: one OBJECTIVE_NOT_SMART per failed criterion, even beside OBJECTIVE_UNALIGNED
    by_item = [f for f in smart.findings(eng) if f.item_id == "VAGUE"]
    assert any("too short to be specific" in f.message for f in by_item)


def test_measurable_finding_when_kpis_lack_unit_or_source() -> None:
    eng = build(objectives=[obj("O1", pillar="P1")], metrics=[metric("M1", source="")], kpis=[kpi("O1", "M1")])
    (f,) = smart.findings(eng)
    assert f.code == "OBJECTIVE_NOT_SMART"
    assert f.message.endswith("is not Measurable. None of its KPIs can be measured yet: M1 has no data source.")


def test_demo_harbor_smart_findings() -> None:

    from kpikit.data.store import load_engagement

    eng = load_engagement(DEMO)
    found = {(f.code, f.item_id, f.message.split(".")[0].rsplit(" ", 1)[-1]) for f in smart.findings(eng)}
    assert found == {
        ("OBJECTIVE_UNALIGNED", "OBJ-17", "strategy"),
        ("OBJECTIVE_NOT_SMART", "OBJ-10", "Specific"),
        ("OBJECTIVE_NOT_SMART", "OBJ-10", "Time-bound"),
        ("OBJECTIVE_NOT_SMART", "OBJ-13", "Specific"),
        ("OBJECTIVE_NOT_SMART", "OBJ-13", "Time-bound"),
        ("OBJECTIVE_NOT_SMART", "OBJ-05", "Achievable"),   # also KPI_TARGET_UNREALISTIC
        ("OBJECTIVE_NOT_SMART", "OBJ-17", "Relevant"),     # also OBJECTIVE_UNALIGNED
        ("OBJECTIVE_NOT_SMART", "OBJ-20", "Measurable"),   # also OBJECTIVE_NO_KPI
    }
    # the SMART table itself shows the consequences reported by other codes
    summary = smart.summary(eng)
    assert not summary.at["OBJ-05", "Achievable"]   # KPI_TARGET_UNREALISTIC
    assert not summary.at["OBJ-20", "Measurable"]   # OBJECTIVE_NO_KPI
    assert not summary.at["OBJ-17", "Relevant"]     # OBJECTIVE_UNALIGNED
    assert int(summary["smart"].sum()) == 15
