"""The objective cascade: inherited pillars, wrong-unit links, valid edits, layout."""

from __future__ import annotations

import pytest
from enginebuild import build, kpi, metric, obj
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import DEMO

from kpikit.data.model import Engagement
from kpikit.engine import cascade

# Org tree used throughout (enginebuild.DEFAULT_UNITS):
#   U-ROOT -> U-A -> U-A1
#          -> U-B


def _tree() -> Engagement:
    """O1 (root, P1) -> O2 (U-A) -> O3 (U-A1); O1 -> O4 (U-B, own pillar P2); O5 alone (U-B, no pillar)."""
    return build(
        objectives=[
            obj("O1", unit="U-ROOT", pillar="P1"),
            obj("O2", unit="U-A", parent="O1"),
            obj("O3", unit="U-A1", parent="O2"),
            obj("O4", unit="U-B", parent="O1", pillar="P2"),
            obj("O5", unit="U-B"),
        ],
        metrics=[metric("M1")],
        kpis=[kpi("O2", "M1"), kpi("O3", "M1")],
    )


def test_child_inherits_the_nearest_pillar_up_its_chain() -> None:
    eff = cascade.effective_pillars(_tree())
    assert eff.at["O3", "pillar_id"] == "P1"
    assert eff.at["O3", "via"] == "O1"
    assert eff.at["O3", "pillar_name"] == "Safe care"
    assert eff.at["O3", "depth"] == 2
    assert eff.at["O4", "pillar_id"] == "P2"  # its own pillar wins over the parent's
    assert eff.at["O4", "via"] == "O4"
    assert eff["pillar_id"].isna().tolist() == [False, False, False, False, True]


def test_coverage_counts_objectives_reaching_a_pillar_and_with_a_kpi() -> None:
    cov = cascade.coverage(_tree())
    assert cov["objectives"] == 5
    assert cov["reach_pillar"] == 4
    assert cov["reach_pillar_share"] == pytest.approx(0.8)
    assert cov["with_kpi"] == 2
    assert cov["with_kpi_share"] == pytest.approx(0.4)


def test_ownership_per_unit_and_pillar() -> None:
    own = cascade.ownership(_tree()).set_index(["kind", "id"])
    assert own.at[("org_unit", "U-B"), "objective_ids"] == "O4, O5"
    assert own.at[("org_unit", "U-A1"), "kpi_ids"] == "O3/M1"
    assert own.at[("pillar", "P1"), "objectives"] == 3  # O1, O2, O3 (O4 has its own P2)
    assert own.at[("pillar", "P1"), "kpis"] == 2
    assert own.at[("pillar", "P2"), "objective_ids"] == "O4"


@pytest.mark.parametrize(
    ("child_unit", "parent_unit", "wrong"),
    [
        ("U-A", "U-A", False),      # same unit
        ("U-A1", "U-ROOT", False),  # parent two levels above
        ("U-A1", "U-A", False),     # parent directly above
        ("U-B", "U-A", True),       # sibling unit
        ("U-A", "U-A1", True),      # parent below the child
        ("U-B", "U-A1", True),      # cousin
    ],
)
def test_wrong_unit_rule(child_unit: str, parent_unit: str, wrong: bool) -> None:
    eng = build(objectives=[obj("OP", unit=parent_unit, pillar="P1"), obj("OC", unit=child_unit, parent="OP")])
    found = [f for f in cascade.findings(eng) if f.code == "CASCADE_WRONG_UNIT"]
    assert [f.item_id for f in found] == (["OC"] if wrong else [])


def test_wrong_unit_message_names_both_units_in_words() -> None:
    eng = build(objectives=[obj("OP", unit="U-A", pillar="P1"), obj("OC", unit="U-B", parent="OP")])
    (f,) = [f for f in cascade.findings(eng) if f.code == "CASCADE_WRONG_UNIT"]
    assert "Division B (U-B)" in f.message
    assert "Division A (U-A)" in f.message
    assert "not the same unit or a unit above it" in f.message


def test_units_without_objectives() -> None:
    found = sorted(f.item_id for f in cascade.findings(_tree()) if f.code == "UNIT_NO_OBJECTIVE")
    assert found == []
    eng = build(objectives=[obj("O1", unit="U-A", pillar="P1")])
    found = sorted(f.item_id for f in cascade.findings(eng) if f.code == "UNIT_NO_OBJECTIVE")
    assert found == ["U-A1", "U-B", "U-ROOT"]
    (msg,) = [f.message for f in cascade.findings(eng) if f.item_id == "U-B"]
    assert msg.startswith("Org unit Division B (U-B) has no objective")


def test_valid_parents_exclude_descendants_and_lower_units() -> None:
    eng = _tree()
    # O2 (U-A): O1 (root) fine; O3 is its child (cycle); O4/O5 are in U-B (not above U-A)
    assert cascade.valid_parents(eng, "O2") == ["O1"]
    # O3 (U-A1): anything in U-A1, U-A, U-ROOT that is not O3 itself
    assert cascade.valid_parents(eng, "O3") == ["O1", "O2"]
    # O1 (root unit): nothing else is in the root unit, and all of O2..O4 are below it anyway
    assert cascade.valid_parents(eng, "O1") == []
    # O4 (U-B): O1 (root) and O5 (same unit)
    assert cascade.valid_parents(eng, "O4") == ["O1", "O5"]
    with pytest.raises(KeyError):
        cascade.valid_parents(eng, "NOPE")


def test_valid_parents_never_offer_a_cycle_deep_down() -> None:
    eng = build(objectives=[obj("A", pillar="P1"), obj("B", parent="A"), obj("C", parent="B"), obj("D", parent="C")])
    assert cascade.valid_parents(eng, "A") == []
    assert cascade.valid_parents(eng, "B") == ["A"]
    assert cascade.valid_parents(eng, "D") == ["A", "B", "C"]


def test_valid_units_keep_parent_and_children_links_sound() -> None:
    eng = _tree()
    # O2: parent O1 is in U-ROOT (anything is fine), child O3 is in U-A1 -> O2 must be U-A1 or above it
    assert cascade.valid_units(eng, "O2") == ["U-A", "U-A1", "U-ROOT"]
    # O3: parent O2 in U-A -> U-A or below; no children
    assert cascade.valid_units(eng, "O3") == ["U-A", "U-A1"]
    # O5: no links: any unit
    assert cascade.valid_units(eng, "O5") == ["U-A", "U-A1", "U-B", "U-ROOT"]


def test_layout_is_layered_and_deterministic() -> None:
    eng = _tree()
    nodes = cascade.layout(eng).set_index("objective_id")
    # depth-first by ID: O1, O2, O3, O4, then the separate tree O5; one row each
    assert nodes.index.tolist() == ["O1", "O2", "O3", "O4", "O5"]
    assert nodes["row"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert nodes["depth"].to_dict() == {"O1": 0, "O2": 1, "O3": 2, "O4": 1, "O5": 0}
    assert (nodes["x"] == nodes["depth"]).all()
    assert (nodes["y"] == nodes["row"]).all()
    assert nodes.at["O3", "pillar_name"] == "Safe care"
    assert cascade.layout(eng).equals(cascade.layout(eng))
    e = cascade.edges(eng).set_index("objective_id")
    assert sorted(e.index) == ["O2", "O3", "O4"]
    assert (e.at["O3", "x"], e.at["O3", "y"], e.at["O3", "x2"], e.at["O3", "y2"]) == (2.0, 2.0, 1.0, 1.0)


def test_layout_of_a_big_cascade_keeps_subtrees_together() -> None:
    objectives = [obj(f"T{i:02d}", pillar="P1") for i in range(10)]
    objectives += [obj(f"T{i:02d}-{j:02d}", parent=f"T{i:02d}", unit="U-A") for i in range(10) for j in range(12)]
    nodes = cascade.layout(build(objectives=objectives))
    assert len(nodes) == 130
    assert nodes["row"].is_unique
    # every child sits below its parent and above the next top-level objective
    pos = dict(zip(nodes["objective_id"], nodes["row"], strict=True))
    for i in range(9):
        kids = [pos[f"T{i:02d}-{j:02d}"] for j in range(12)]
        assert pos[f"T{i:02d}"] < min(kids)
        assert max(kids) < pos[f"T{i + 1:02d}"]


def test_demo_harbor_cascade_findings() -> None:

    from kpikit.data.store import load_engagement

    eng = load_engagement(DEMO)
    found = sorted((f.code, f.item_id) for f in cascade.findings(eng))
    assert found == [("CASCADE_WRONG_UNIT", "OBJ-19"), ("UNIT_NO_OBJECTIVE", "ORG-FIN-SUPPLY")]
    assert cascade.effective_pillars(eng).at["OBJ-20", "pillar_id"] == "P1"  # OBJ-20 -> OBJ-11 -> OBJ-01
    cov = cascade.coverage(eng)
    assert (cov["objectives"], cov["reach_pillar"], cov["with_kpi"]) == (20, 19, 19)
    assert "OBJ-08" not in cascade.valid_parents(eng, "OBJ-19")


UNITS = ["U-ROOT", "U-A", "U-A1", "U-B"]


@st.composite
def forests(draw: st.DrawFn) -> list[dict[str, str]]:
    """Random objective forests over the default org tree (parents always earlier: no cycles)."""
    n = draw(st.integers(2, 9))
    rows = []
    for i in range(n):
        parent = draw(st.one_of(st.just(""), st.sampled_from([f"O{j}" for j in range(i)]))) if i else ""
        rows.append(obj(f"O{i}", unit=draw(st.sampled_from(UNITS)), parent=parent, pillar="" if parent else "P1"))
    order = draw(st.permutations(rows))
    return list(order)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=forests(), pick=st.integers(0, 8))
def test_every_valid_parent_keeps_the_cascade_sound(rows: list[dict[str, str]], pick: int) -> None:
    eng = build(objectives=rows)
    target = sorted(r["id"] for r in rows)[pick % len(rows)]
    for parent in cascade.valid_parents(eng, target):
        relinked = [dict(r, parent_id=parent) if r["id"] == target else r for r in rows]
        after = build(objectives=relinked)  # raises EngagementError on a cycle
        wrong = set(cascade.wrong_unit_links(after)["objective_id"])
        assert target not in wrong
    for unit in cascade.valid_units(eng, target):
        moved = [dict(r, org_unit_id=unit) if r["id"] == target else r for r in rows]
        before = set(cascade.wrong_unit_links(eng)["objective_id"]) - {target}
        wrong = set(cascade.wrong_unit_links(build(objectives=moved))["objective_id"])
        # moving it never creates a wrong link for itself or its children
        assert wrong <= before
