"""all_findings: every concern module's findings in one stable list; the demo client's README list."""

from __future__ import annotations

import pytest
from enginebuild import build, obj
from support import DEMO

from kpikit.data.store import load_engagement
from kpikit.engine import all_findings, cascade, review, scoring, smart, stakeholders, targets
from kpikit.engine.findings import CODES, Finding, findings_frame, sort_findings

# The demo README lists these as "Deliberate imperfections (expected findings)".
EXPECTED = {
    ("OBJECTIVE_UNALIGNED", "OBJ-17"),
    ("OBJECTIVE_NO_KPI", "OBJ-20"),
    ("CASCADE_WRONG_UNIT", "OBJ-19"),
    ("UNIT_NO_OBJECTIVE", "ORG-FIN-SUPPLY"),
    ("KPI_TOO_MANY", "OBJ-04"),
    ("KPI_NOT_RECOMMENDED", "OBJ-04/M-AGENCY"),
    ("KPI_NO_DATA_SOURCE", "OBJ-16/M-HAND-HYG"),
    ("KPI_NO_ACCOUNTABLE", "OBJ-06"),
    ("KPI_NO_ACCOUNTABLE", "M-BCMA-UNITS"),
    ("KPI_STALE", "OBJ-01/M-HARM-PSI90"),
    ("KPI_OFF_TRACK", "OBJ-08/M-RN-VAC"),
    ("KPI_OFF_TRACK", "OBJ-05/M-PX-TOPBOX"),
    ("KPI_TARGET_UNREALISTIC", "OBJ-05/M-PX-TOPBOX"),
    ("METRIC_UNUSED", "M-CAUTI-SIR"),
    ("METRIC_UNUSED", "M-CARBON"),
    ("OBJECTIVE_NOT_SMART", "OBJ-10"),
    ("OBJECTIVE_NOT_SMART", "OBJ-13"),
    # one OBJECTIVE_NOT_SMART per failed criterion, also where a more specific code exists
    ("OBJECTIVE_NOT_SMART", "OBJ-05"),  # Achievable (KPI_TARGET_UNREALISTIC)
    ("OBJECTIVE_NOT_SMART", "OBJ-17"),  # Relevant (OBJECTIVE_UNALIGNED)
    ("OBJECTIVE_NOT_SMART", "OBJ-20"),  # Measurable (OBJECTIVE_NO_KPI)
}


@pytest.fixture(scope="module")
def demo_findings() -> list[Finding]:
    return all_findings(load_engagement(DEMO))


def _declared_not_measured() -> set[tuple[str, str]]:
    """The README's KPI_NOT_MEASURED row, from the files: selected KPIs whose metric names a
    data source in words but has no query."""
    import pandas as pd

    metrics = pd.read_csv(DEMO / "metrics.csv", dtype=str, keep_default_na=False).set_index("id")
    kpis = pd.read_csv(DEMO / "kpis.csv", dtype=str, keep_default_na=False)
    return {("KPI_NOT_MEASURED", f"{o}/{m}") for o, m in zip(kpis["objective_id"], kpis["metric_id"], strict=True)
            if metrics.loc[m, "data_source"].strip() and not metrics.loc[m, "query"].strip()}


def test_demo_client_gives_exactly_the_findings_its_readme_lists(demo_findings: list[Finding]) -> None:
    declared = _declared_not_measured()
    assert len(declared) == 26  # the README's count
    assert {(f.code, f.item_id) for f in demo_findings} == EXPECTED | declared


def test_every_finding_names_its_item_and_a_known_code(demo_findings: list[Finding]) -> None:
    for f in demo_findings:
        assert f.code in CODES
        assert f.message
        # the message names what it is about (a KPI finding names the objective or the metric)
        assert any(part in f.message for part in f.item_id.split("/")), f


def test_order_is_stable_severity_code_item(demo_findings: list[Finding]) -> None:
    assert demo_findings == all_findings(load_engagement(DEMO))
    assert demo_findings == sort_findings(list(reversed(demo_findings)))
    sev = [f.severity for f in demo_findings]
    assert sev == sorted(sev, key=["error", "warning", "info"].index)
    assert demo_findings[0].code == "OBJECTIVE_UNALIGNED"


def test_all_six_concern_modules_contribute() -> None:
    eng = load_engagement(DEMO)
    got = set(all_findings(eng))
    for module in (smart, scoring, cascade, stakeholders, targets, review):
        own = set(module.findings(eng, None))
        assert own, f"{module.__name__} has findings on the demo client"
        assert own <= got


def test_period_is_passed_on() -> None:
    eng = load_engagement(DEMO)
    # in 2026-Q1 the PSI-90 actual exists, so that KPI is not stale then
    stale = {f.item_id for f in all_findings(eng, "2026-Q1") if f.code == "KPI_STALE"}
    assert "OBJ-01/M-HARM-PSI90" not in stale
    assert "OBJ-01/M-HARM-PSI90" in {f.item_id for f in all_findings(eng) if f.code == "KPI_STALE"}


def test_findings_frame_of_the_demo(demo_findings: list[Finding]) -> None:
    df = findings_frame(demo_findings)
    assert list(df.columns) == ["code", "severity", "item_id", "message"]
    assert len(df) == len(demo_findings)


def test_a_title_with_line_breaks_gives_a_one_line_finding() -> None:
    eng = build(objectives=[obj("O1", title="Improve\r\nculture", pillar="P1")])
    msgs = [f.message for f in all_findings(eng) if f.item_id == "O1"]
    assert msgs
    assert all("\n" not in m and "\r" not in m for m in msgs)
    assert any("'Improve culture'" in m for m in msgs)
    assert Finding("METRIC_UNUSED", "M1", "a\n  b\tc").message == "a b c"
