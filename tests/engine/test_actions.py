"""actions.csv: validation as FILE:LINE, the overdue and no-action findings, and the report's open actions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import run_cli

ACTIONS = (
    "id,item_id,action,owner,due,status,opened,closed,note\n"
    "A1,OBJ-02/M-ED-4HR,Open the discharge lounge,S-02,2026-08-31,open,2026-07-15,,\n"
    "A2,OBJ-08,Weekly vacancy huddle,S-02,2026-12-31,open,2026-07-15,,\n"
    "A3,M-LOS,Criteria-led discharge pilot,S-02,2026-06-30,done,2026-04-01,2026-07-20,went live\n"
    "A4,M-LOS,Old pilot,,2025-06-30,dropped,2025-01-01,2025-05-01,\n"
)


def _validate(capsys: pytest.CaptureFixture[str], client: Path) -> tuple[int, str]:
    capsys.readouterr()
    code = run_cli(["validate", str(client), "--findings"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_bad_actions_are_every_problem_at_once(make_client: Callable[[str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client("harbor")
    (client / "actions.csv").write_text(
        "id,item_id,action,owner,due,status,opened,closed,note\n"
        "A1,OBJ-02/M-ED-4HR,Open the discharge lounge,NOPE,2026-08-31,open,2026-07-15,,\n"
        "A2,OBJ-99,Do a thing,,2026-08-31,done,2026-07-15,,\n"
        "A1,OBJ-02/M-LOS,Wrong pair,,31/08/2026,later,2026-07-15,,\n",
        encoding="utf-8",
    )
    code, text = _validate(capsys, client)
    assert code == 1
    lines = [line for line in text.splitlines() if line.startswith("actions.csv:")]
    assert "actions.csv:2: owner 'NOPE' is not a known stakeholder (see stakeholders.csv)" in lines
    assert any(line.startswith("actions.csv:3: item_id 'OBJ-99' is not a known objective") for line in lines)
    assert "actions.csv:3: the action is done: give the date it was closed (closed, YYYY-MM-DD)" in lines
    assert any(line.startswith("actions.csv:4: item_id 'OBJ-02/M-LOS'") for line in lines)  # not a selected KPI
    assert any(line.startswith("actions.csv:4: duplicate action A1") for line in lines)
    assert any(line.startswith("actions.csv:4: status 'later'") for line in lines)
    assert any(line.startswith("actions.csv:4: due") for line in lines)
    assert "Traceback" not in text


def test_overdue_and_red_without_action(make_client: Callable[[str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    client = make_client("harbor")
    code, text = _validate(capsys, client)
    assert code == 0
    assert "KPI_OFF_TRACK_NO_ACTION" not in text  # no actions.csv: the follow-up step has not started
    (client / "actions.csv").write_text(ACTIONS, encoding="utf-8")
    code, text = _validate(capsys, client)
    assert code == 0
    overdue = [line for line in text.splitlines() if "ACTION_OVERDUE" in line]
    # 2026-Q3 ends 2026-09-30: A1 (due 2026-08-31, open) is overdue; A2 is not due yet; A3 and A4 are closed
    assert len(overdue) == 1
    assert "A1 'Open the discharge lounge' (owner Dr. Rajiv Menon) was due 2026-08-31, before the end of 2026-Q3" in overdue[0]
    # the demo's reds in 2026-Q3: M-PX-TOPBOX (OBJ-05) and M-RN-VAC (OBJ-08); A2 is an open action on OBJ-08
    no_action = [line for line in text.splitlines() if "KPI_OFF_TRACK_NO_ACTION" in line]
    assert len(no_action) == 1
    assert "OBJ-05/M-PX-TOPBOX" in no_action[0]
    # the same folder reviewed at 2026-Q2 (ends 2026-06-30): nothing is overdue yet
    capsys.readouterr()
    assert run_cli(["validate", str(client), "--findings", "--period", "2026-Q2"]) == 0
    assert "ACTION_OVERDUE" not in capsys.readouterr().out


def test_actions_in_the_report_sections(make_client: Callable[[str], Path]) -> None:
    from kpikit.report.sections import contents, open_actions, signals
    from kpikit.report.sections import context as report_context

    client = make_client("harbor")
    assert str(open_actions(report_context(client))) == ""  # no actions.csv: no section
    (client / "actions.csv").write_text(ACTIONS.replace("Open the discharge lounge", "Open the <b>lounge</b>"), encoding="utf-8")
    ctx = report_context(client)
    html = str(open_actions(ctx))
    assert "1 overdue action, 1 open, 1 closed in the period" in html
    assert "Open the &lt;b&gt;lounge&lt;/b&gt;" in html  # escaped
    assert "Old pilot" not in html  # closed before the period
    assert "Patient &#39;would recommend&#39; top-box score (OBJ-05)" in html  # red with no action named
    assert 'href="#sec-open_actions"' in str(contents(ctx))
    sig = str(signals(ctx))
    # M-RN-VAC is red and inside its limits; M-PX-TOPBOX is red and beyond them
    assert "1 show a real change" not in sig
    assert "1 shows a real change and 1 is within the variation" in sig
