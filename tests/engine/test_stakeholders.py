"""Stakeholders: RACI matrix, exactly one Accountable, overload and influence quadrants."""

from __future__ import annotations

from enginebuild import build, kpi, metric, obj, person
from support import DEMO

from kpikit.data.model import Engagement
from kpikit.engine import stakeholders as sh

PEOPLE = [
    person("S1", "Ann Lee", 5, 5),
    person("S2", "Bo Chen", 4, 2),
    person("S3", "Cy Diaz", 2, 4),
    person("S4", "Di Eze", 3.4, 3.5),   # just below / exactly at the 3.5 line
    person("S5", "Ed Fox"),             # not rated
    person("S6", "Flo Gu", 1, 2),
]


def _eng(raci: list[tuple[str, str, str]] | None) -> Engagement:
    return build(
        objectives=[obj("O0", pillar="P1"), obj("O1", pillar="P1"), obj("O2", pillar="P1")],
        metrics=[metric("M1", "Wait time"), metric("M2"), metric("M-SPARE")],
        kpis=[kpi("O1", "M1"), kpi("O2", "M1"), kpi("O2", "M2")],
        stakeholders=PEOPLE,
        raci=None if raci is None else [{"item_id": i, "stakeholder_id": p, "raci": r} for i, p, r in raci],
    )


RACI = [
    # O0: nobody accountable; O1: exactly one; O2: two
    ("O0", "S1", "R"),
    ("O1", "S1", "A"), ("O1", "S1", "R"), ("O1", "S2", "C"),
    ("O2", "S1", "A"), ("O2", "S2", "A"), ("O2", "S3", "I"),
    ("M1", "S3", "A"),
    ("M2", "S3", "R"),
    ("M-SPARE", "S2", "A"),
]


def test_exactly_one_accountable_with_zero_one_and_two() -> None:
    acc = sh.accountability(_eng(RACI)).set_index("item_id")
    assert acc.index.tolist() == ["O0", "O1", "O2", "M1", "M2"]  # objectives, then selected KPI metrics
    assert acc["n_accountable"].to_dict() == {"O0": 0, "O1": 1, "O2": 2, "M1": 1, "M2": 0}
    assert acc["ok"].to_dict() == {"O0": False, "O1": True, "O2": False, "M1": True, "M2": False}
    assert acc.at["O2", "problem"] == "2 people are Accountable: Ann Lee, Bo Chen"
    assert acc.at["O0", "problem"] == "no one is Accountable"
    assert acc.at["M1", "used_by"] == "O1, O2"


def test_findings_say_who_and_what_to_do() -> None:
    found = {f.item_id: f.message for f in sh.findings(_eng(RACI))}
    assert set(found) == {"O0", "O2", "M2"}  # M-SPARE is not a selected KPI: not checked
    assert "2 people are Accountable: Ann Lee, Bo Chen" in found["O2"]
    assert "agree which one of them answers for it" in found["O2"]
    assert found["M2"].startswith("KPI metric Metric M2 (M2, measuring O2): no one is Accountable")
    assert all(f.code == "KPI_NO_ACCOUNTABLE" for f in sh.findings(_eng(RACI)))


def test_absent_raci_is_reported_as_not_assigned_yet() -> None:
    found = sh.findings(_eng(None))
    assert sorted(f.item_id for f in found) == ["M1", "M2", "O0", "O1", "O2"]
    assert all("RACI not assigned yet: no one is Accountable" in f.message for f in found)


def test_raci_matrix_cells() -> None:
    m = sh.raci_matrix(_eng(RACI)).set_index("item_id")
    assert list(m.columns) == ["kind", "name", "S1", "S2", "S3", "S4", "S5", "S6"]
    assert m.at["O1", "S1"] == "R/A"   # one person may be Responsible and Accountable
    assert m.at["O1", "S2"] == "C"
    assert m.at["O1", "S3"] == ""
    assert m.at["M-SPARE", "S2"] == "A"  # an item with a RACI but no KPI still shows
    assert m.at["M1", "name"] == "Wait time"


def test_overloaded_counts_accountable_items_above_the_limit() -> None:
    raci = [(f"O{i}", "S1", "A") for i in range(3)] + [("M1", "S1", "A"), ("M2", "S2", "A")]
    eng = _eng(raci)
    over = sh.overloaded(eng, limit=3)
    assert over["stakeholder_id"].tolist() == ["S1"]
    assert over.at[0, "accountable_for"] == 4
    assert over.at[0, "items"] == "M1, O0, O1, O2"
    assert sh.overloaded(eng, limit=4).empty
    assert sh.overloaded(eng).empty  # default limit 6


def test_quadrants_use_3_5_as_the_line() -> None:
    q = sh.quadrants(_eng(RACI)).set_index("stakeholder_id")["quadrant"].to_dict()
    assert q == {
        "S1": "Keep close / champion",
        "S2": "Manage closely",
        "S3": "Keep informed",
        "S4": "Keep informed",  # influence 3.4 is low, support 3.5 is high
        "S5": "Not assessed",
        "S6": "Monitor",
    }


def test_demo_harbor_accountability_findings() -> None:

    from kpikit.data.store import load_engagement

    eng = load_engagement(DEMO)
    found = {f.item_id: f.message for f in sh.findings(eng)}
    assert sorted(found) == ["M-BCMA-UNITS", "OBJ-06"]
    assert "2 people are Accountable: Dr. Rajiv Menon, Frank O'Connor" in found["OBJ-06"]
    assert "no one is Accountable" in found["M-BCMA-UNITS"]
