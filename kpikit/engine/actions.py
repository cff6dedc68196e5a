"""Actions: the follow-ups agreed at reviews, and what the review period says about them.

``actions.csv`` (engagement-format.md, "actions.csv") records what will be done about an
objective or a KPI, by whom and by when. A review that agrees nothing about a red KPI has
not done its job, and an action past its date without news is a promise forgotten:

- ``ACTION_OVERDUE``: an open action whose ``due`` date is before the end of the review period;
- ``KPI_OFF_TRACK_NO_ACTION``: a KPI red in the review period with no open action on it (its
  ``OBJECTIVE_ID/METRIC_ID``, its metric) or on its objective.

:func:`action_table` gives the report's list: each action with its state in the review
period (``overdue``, ``open``, ``closed`` in the period, or ``earlier`` for one closed before).
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from kpikit.data.model import Engagement
from kpikit.engine.findings import Finding

ACTION_COLUMNS = ["id", "item_id", "action", "owner", "due", "status", "opened", "closed", "note", "state"]
STATES = ("overdue", "open", "closed", "earlier")


def actions(eng: Engagement) -> pd.DataFrame:
    """actions.csv as loaded (empty, with its columns, when the file is absent)."""
    return eng.tables.get("actions", pd.DataFrame(columns=ACTION_COLUMNS[:-1]))


def _date(v: object) -> date | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def _bounds(eng: Engagement, period: str | None) -> tuple[date, date] | None:
    r = eng.review_period(period)
    if r is None:
        return None
    start = eng.config.fiscal_year_start
    try:
        return r.starts_on(start), r.ends_on(start)
    except (ValueError, OverflowError):  # a period at the end of the calendar (9999-Q4 ends in the year 10000)
        return r.starts_on(start), date.max


def action_table(eng: Engagement, period: str | None = None) -> pd.DataFrame:
    """Every action with its ``state`` in the review period (:data:`STATES`), overdue first, then by due date."""
    a = actions(eng)
    if a.empty:
        return pd.DataFrame(columns=ACTION_COLUMNS)
    bounds = _bounds(eng, period)
    states = []
    for due, status, closed in zip(a["due"], a["status"], a["closed"], strict=True):
        d, c = _date(due), _date(closed)
        if status == "open":
            states.append("overdue" if bounds and d is not None and d < bounds[1] else "open")
        elif bounds is None or (c is not None and c >= bounds[0]):
            states.append("closed")
        else:
            states.append("earlier")
    out = a.copy()
    out["state"] = states
    order = {s: i for i, s in enumerate(STATES)}
    key = [(order[s], str(_date(d) or "9999"), str(i)) for s, d, i in zip(out["state"], out["due"], out["id"], strict=True)]
    out = out.iloc[sorted(range(len(out)), key=lambda i: key[i])].reset_index(drop=True)
    return out[[c for c in ACTION_COLUMNS if c in out.columns]]


def open_on(eng: Engagement) -> set[str]:
    """The items (as written in ``item_id``) that have at least one open action."""
    a = actions(eng)
    if a.empty:
        return set()
    return {str(i) for i, s in zip(a["item_id"], a["status"], strict=True) if s == "open"}


def findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """``ACTION_OVERDUE`` and ``KPI_OFF_TRACK_NO_ACTION`` for the review period."""
    from kpikit.engine.review import scorecard

    out: list[Finding] = []
    bounds = _bounds(eng, period)
    if bounds is None:
        return out
    review = eng.review_period(period)
    names = {str(i): str(n) for i, n in zip(eng.tables["stakeholders"]["id"], eng.tables["stakeholders"]["name"], strict=True)}
    table = action_table(eng, period)
    for r in table[table["state"] == "overdue"].to_dict("records") if len(table) else []:
        owner = r.get("owner")
        who = f" (owner {names.get(str(owner), str(owner))})" if isinstance(owner, str) and owner else ""
        out.append(Finding(
            "ACTION_OVERDUE", str(r["item_id"]),
            f"action {r['id']} '{r['action']}'{who} was due {_date(r['due'])}, before the end of {review}: "
            "report progress, close it, or agree a new date",
        ))
    if not eng.has("actions"):
        return out  # the step has not been started: no follow-up to miss yet
    card = scorecard(eng, period)
    covered = open_on(eng)
    for o, m, status, per in zip(card["objective_id"], card["metric_id"], card["status"], card["period"], strict=True):
        if status != "red":
            continue
        if {f"{o}/{m}", str(m), str(o)} & covered:
            continue
        out.append(Finding(
            "KPI_OFF_TRACK_NO_ACTION", f"{o}/{m}",
            f"{m} is red in {per} and no open action in actions.csv is about it or objective {o}: "
            "agree what will be done, by whom, by when",
        ))
    return out


__all__ = ["ACTION_COLUMNS", "STATES", "action_table", "actions", "findings", "open_on"]
