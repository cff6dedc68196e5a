"""``kpikit compare`` on two reports of the demo with planned edits: each change once, in words, with its rationale;
the next report opens with "What changed since the last published report"."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from support import run_cli

LOG = [
    "2099-01-10,M-ED-4HR,actual for 2026-Q2 corrected: 89.1 -> 88.4,late ED discharges re-coded after the audit,Frank O'Connor",
    "2099-01-11,OBJ-04/M-MARGIN,target lowered from 2.0% to 1.5%,Board moved the margin target after the payer settlement,Board of Directors",
    "2099-01-12,OBJ-06,parent changed from OBJ-02 to OBJ-01,length of stay is a safety lever first,Executive Leadership Team",
]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _run(client: Path, *extra: str) -> Path:
    before = set((client / "runs").iterdir()) if (client / "runs").is_dir() else set()
    assert run_cli(["run", str(client), "--format", "html", "--quiet", *extra]) == 0
    (new,) = set((client / "runs").iterdir()) - before
    return new


def _edit(client: Path) -> None:
    _replace(client / "actuals.csv", "M-ED-4HR,2026-Q2,89.1,", "M-ED-4HR,2026-Q2,88.4,")  # restated
    _replace(client / "kpis.csv", "OBJ-04,M-MARGIN,2.0,2027-Q2", "OBJ-04,M-MARGIN,1.5,2027-Q2")  # target moved
    _replace(client / "metrics.csv", "sum of inpatient days / inpatient discharges",
             "sum of inpatient days / inpatient discharges (observation stays included)")  # formula changed, not logged
    _replace(client / "metrics.csv", "over all ED attendances in the month,minutes,down",
             "over all ED attendances in the month,seconds,down")  # unit changed: its history is not comparable
    _replace(client / "objectives.csv", "ORG-CLIN,OBJ-02,", "ORG-CLIN,OBJ-01,")  # OBJ-06 re-parented
    with (client / "kpis.csv").open("a", encoding="utf-8") as f:  # a new KPI
        f.write("OBJ-02,M-ED-BOARD,4.0,2027-Q2,7.2,2024-Q4,3.5,4.0,peer median,1\n")
    with (client / "changes.csv").open("a", encoding="utf-8") as f:
        f.write("\n".join(LOG) + "\n")


def test_compare_published_with_the_folder_and_the_next_report(
    make_client: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client("harbor")
    first = _run(client, "--period", "2026-Q2")
    assert run_cli(["publish", str(first)]) == 0
    capsys.readouterr()
    # nothing changed yet
    assert run_cli(["compare", "2026-Q2", str(client), "--period", "2026-Q2"]) == 0
    assert "nothing changed" in capsys.readouterr().out

    _edit(client)
    out_csv, out_html = tmp_path / "changes.csv", tmp_path / "changes.html"
    assert run_cli(["compare", str(client / "published" / "2026-Q2"), str(client), "--period", "2026-Q2",
                    "--csv", str(out_csv), "--html", str(out_html)]) == 0
    text = capsys.readouterr().out
    with out_csv.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if not r["kind"].startswith("finding")]
    kinds = sorted((r["kind"], r["item_id"]) for r in rows)
    assert ("restated", "M-ED-4HR") in kinds
    assert ("target", "OBJ-04/M-MARGIN") in kinds
    assert ("definition", "M-LOS") in kinds
    assert ("definition", "M-ED-D2P") in kinds
    assert ("objective moved", "OBJ-06") in kinds
    assert ("kpi added", "OBJ-02/M-ED-BOARD") in kinds
    assert len(kinds) == len(set(kinds))  # each change once
    by = {(r["kind"], r["item_id"]): r for r in rows}
    assert by[("restated", "M-ED-4HR")]["change"] == "ED 4-hour performance (M-ED-4HR) 2026-Q2 restated from 89.1% to 88.4%"
    assert by[("restated", "M-ED-4HR")]["rationale"] == "late ED discharges re-coded after the audit"
    assert by[("target", "OBJ-04/M-MARGIN")]["change"] == \
        "target of Operating margin (M-MARGIN) for OBJ-04 moved from 2% by 2027-Q2 to 1.5% by 2027-Q2"
    assert by[("target", "OBJ-04/M-MARGIN")]["rationale"] == "Board moved the margin target after the payer settlement"
    assert by[("objective moved", "OBJ-06")]["change"] == "objective OBJ-06 moved in the cascade: parent OBJ-02 -> OBJ-01"
    assert by[("objective moved", "OBJ-06")]["rationale"] == "length of stay is a safety lever first"
    assert by[("definition", "M-LOS")]["rationale"] == ""  # nobody logged it
    # the only status change: the restated ED value has nothing to do with status here; the new KPI has none before
    assert "(why: Board moved the margin target after the payer settlement)" in text
    assert "From the 2026-Q2 report published on" in text
    # the definition change is a finding, and shows as opened
    assert "finding opened:" in text
    assert "KPI_DEFINITION_CHANGED on OBJ-06/M-LOS" in text
    html = out_html.read_text(encoding="utf-8")
    assert "<table" in html
    assert "Board moved the margin target after the payer settlement" in html

    # the next report (same period, after the edits) opens with what changed since the published one
    second = _run(client, "--period", "2026-Q2")
    report = (second / "report.html").read_text(encoding="utf-8")
    assert 'id="sec-since_published"' in report
    assert report.index('id="sec-summary"') < report.index('id="sec-since_published"') < report.index('id="sec-strategy"')
    section = report[report.index('id="sec-since_published"'):report.index('id="sec-strategy"')]
    assert "2026-Q2 restated from 89.1% to 88.4%" in section
    assert "late ED discharges re-coded after the audit" in section
    assert "not logged in changes.csv" in section  # the formula change

    # process limits use only the comparable part: M-ED-D2P (monthly, 23 values before 2026-06) had limits in the
    # published report; after its unit changed, none of its history before 2026-Q2 counts
    def limits(run: Path) -> str:
        with (run / "scorecard.csv").open(encoding="utf-8") as f:
            row = next(r for r in csv.DictReader(f) if r["metric_id"] == "M-ED-D2P")
        return row["centre"]

    assert limits(first) != ""
    assert limits(second) == ""
    assert "KPI_DEFINITION_CHANGED" in (second / "findings.csv").read_text(encoding="utf-8")

    # two run folders give the same changes (the findings aside)
    capsys.readouterr()
    assert run_cli(["compare", str(first), str(second), "--csv", str(out_csv)]) == 0
    with out_csv.open(encoding="utf-8") as f:
        again = sorted((r["kind"], r["item_id"]) for r in csv.DictReader(f) if not r["kind"].startswith("finding"))
    assert again == kinds


def test_compare_refuses_what_it_cannot_read(make_client: Callable[[str], Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client("harbor")
    assert run_cli(["compare", "2026-Q1", str(client)]) == 2
    assert "2026-Q1 is not published" in capsys.readouterr().err
    assert run_cli(["compare", str(tmp_path), str(client)]) == 2
    assert "not a run folder, a published report" in capsys.readouterr().err


def test_compare_two_published_periods(make_client: Callable[[str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client("harbor")
    assert run_cli(["publish", str(_run(client, "--period", "2026-Q1"))]) == 0
    _replace(client / "actuals.csv", "M-ED-4HR,2026-Q1,87.2,", "M-ED-4HR,2026-Q1,86.9,")
    assert run_cli(["publish", str(_run(client, "--period", "2026-Q2"))]) == 0
    capsys.readouterr()
    assert run_cli(["compare", "2026-Q1", "2026-Q2", "--engagement", str(client)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("From the 2026-Q1 report published on ")
    assert " to the 2026-Q2 report published on " in text.splitlines()[0]
    assert "ED 4-hour performance (M-ED-4HR) 2026-Q1 restated from 87.2% to 86.9%" in text
    # RN vacancy: 2026-Q1 amber, 2026-Q2 red (demo actuals)
    assert "RN vacancy rate (M-RN-VAC) went from amber in 2026-Q1 to red in 2026-Q2" in text
    # the 2026-Q2 report saw the unexplained restatement: a finding opened between the two
    assert "ACTUAL_RESTATED on M-ED-4HR" in text
