"""A save re-checks only what changed (validation.revalidate), with the verdict of checking everything.

Each edit below is applied to the demo and to a generated 70-objective client; the
incremental check and the whole check must agree: the same problems (file, line,
message, column, row) or the same typed tables, lines and headers. The edits include
ones that break a reference held by another, unchanged file (a deleted objective that
raci.csv and kpis.csv still name), so the cross-table rules are proven to run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scaleclient import write_client
from support import DEMO, assert_same_engagement, assert_same_verdict, copy_client, verdict

from kpikit.data.model import Engagement
from kpikit.data.schema import SPECS
from kpikit.data.store import load_engagement, record_of, refresh_engagement
from kpikit.data.validation import revalidate
from kpikit.errors import EngagementError

Edit = Callable[[Engagement], None]


def _set(table: str, row: int, column: str, value: object) -> Edit:
    def edit(eng: Engagement) -> None:
        df = eng.tables[table]
        if df[column].dtype == np.float64 and isinstance(value, str):
            df[column] = df[column].astype(object)
        df.loc[df.index[row], column] = value
    return edit


def _drop_objective_in_use(eng: Engagement) -> None:
    """Delete the objective of the first KPI: kpis.csv, metric_scores.csv and raci.csv still name it."""
    used = str(eng.kpis["objective_id"].iloc[0])
    ob = eng.tables["objectives"]
    eng.tables["objectives"] = ob[ob["id"] != used].reset_index(drop=True)


def _drop_metric_in_use(eng: Engagement) -> None:
    used = str(eng.actuals["metric_id"].iloc[0])
    m = eng.tables["metrics"]
    eng.tables["metrics"] = m[m["id"] != used].reset_index(drop=True)


def _rename_person(eng: Engagement) -> None:
    eng.tables["stakeholders"].loc[0, "id"] = "SOMEONE-NEW"


def _duplicate_actual(eng: Engagement) -> None:
    a = eng.tables["actuals"]
    eng.tables["actuals"] = pd.concat([a, a.iloc[[3]]], ignore_index=True)


def _sort_actuals_and_edit(eng: Engagement) -> None:
    a = eng.tables["actuals"].sort_values(["period", "metric_id"]).reset_index(drop=True)
    a.loc[7, "value"] = 123456.0
    eng.tables["actuals"] = a


def _insert_actual_row_in_middle(eng: Engagement) -> None:
    a = eng.tables["actuals"]
    row = a.iloc[[0]].copy()
    row["period"] = "1999-Q9"  # not a period
    eng.tables["actuals"] = pd.concat([a.iloc[:5], row, a.iloc[5:]], ignore_index=True)


def _objective_cycle(eng: Engagement) -> None:
    ob = eng.tables["objectives"]
    child = ob[ob["parent_id"].notna()].index[0]
    parent = ob.index[ob["id"] == ob.at[child, "parent_id"]][0]
    ob.loc[parent, "parent_id"] = ob.at[child, "id"]


def _id_clash(eng: Engagement) -> None:
    eng.tables["objectives"].loc[0, "id"] = str(eng.metrics["id"].iloc[0])


def _unknown_raci_person(eng: Engagement) -> None:
    eng.tables["raci"].loc[0, "stakeholder_id"] = "NOBODY"


def _new_action_unknown_owner(eng: Engagement) -> None:
    a = eng.tables["actions"]
    new = dict.fromkeys(a.columns, np.nan)
    new.update({"id": "ACT-NEW", "item_id": str(eng.objectives["id"].iloc[0]), "owner": "NOBODY", "status": "done",
                "action": "Call the board"})
    eng.tables["actions"] = pd.concat([a, pd.DataFrame([new], columns=a.columns).astype(a.dtypes.to_dict())], ignore_index=True)


def _two_tables(eng: Engagement) -> None:
    _set("objectives", 1, "title", "Raise the share of on-time discharges to 40% by 2027")(eng)
    _set("metric_scores", 2, "relevance", 9)(eng)


def _log_appended(eng: Engagement) -> None:
    c = eng.tables["changes"]
    row = pd.DataFrame([{"date": "2026-12-03", "item_id": str(eng.objectives["id"].iloc[0]), "change": "title",
                         "rationale": "board", "decided_by": "CEO"}]).reindex(columns=c.columns)
    eng.tables["changes"] = pd.concat([c, row.astype(c.dtypes.to_dict())], ignore_index=True)


EDITS: dict[str, Edit] = {
    "a title": _set("objectives", 2, "title", "Cut waiting times by 20% by 2027"),
    "a score out of range": _set("metric_scores", 0, "relevance", 7.5),
    "a score that is text": _set("metric_scores", 1, "relevance", "high"),
    "a target": _set("kpis", 0, "target", 42.0),
    "a target period of the wrong form": _set("kpis", 0, "target_period", "2027-13"),
    "an empty objective ID": _set("objectives", 0, "id", ""),
    "an unknown org unit": _set("objectives", 0, "org_unit_id", "NOWHERE"),
    "an unknown pillar": _set("objectives", 0, "pillar_id", "P-NONE"),
    "an objective in use deleted": _drop_objective_in_use,
    "a metric in use deleted": _drop_metric_in_use,
    "a person in use renamed": _rename_person,
    "a duplicate actual": _duplicate_actual,
    "actuals sorted, one changed": _sort_actuals_and_edit,
    "a bad actual in the middle": _insert_actual_row_in_middle,
    "an actual that is text": _set("actuals", 4, "value", "n/a"),
    "an actual of another frequency": _set("actuals", 0, "period", "2025-07"),
    "an objective cycle": _objective_cycle,
    "an ID used twice across files": _id_clash,
    "an unknown RACI person": _unknown_raci_person,
    "a new action with an unknown owner": _new_action_unknown_owner,
    "two tables": _two_tables,
    "the decision log appended": _log_appended,
}


@pytest.fixture(scope="module", params=["demo", "plan-sized"])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engagement:
    root = tmp_path_factory.mktemp(request.param)
    folder = copy_client(DEMO, root) if request.param == "demo" else write_client(root / "plan")
    return load_engagement(folder)




@pytest.mark.parametrize("edit", list(EDITS))
def test_incremental_check_gives_the_verdict_of_the_whole_check(client: Engagement, edit: str) -> None:
    draft = client.copy()
    EDITS[edit](draft)
    record = record_of(draft)
    changed = record.changed_tables(draft)
    assert changed, "the edit changed nothing"
    # the incremental path is the one taken (not a fallback to the whole check)
    edited = {k: draft.tables[k] for k in changed}
    assert verdict(lambda: revalidate(record.baseline(draft), draft.present | frozenset(changed), edited=edited)
                    or pytest.fail("revalidate fell back"))[0] in ("ok", "refused")
    fast = verdict(lambda: record.validate(draft))
    full = verdict(lambda: record.validate(draft, full=True))
    assert fast[0] == full[0]
    if full[0] == "refused":
        assert fast[1] == full[1]
        assert fast[1], "refused without a problem"
    else:
        assert isinstance(fast[1], Engagement)
        assert isinstance(full[1], Engagement)
        assert_same_engagement(fast[1], full[1])


def test_the_breaking_edits_are_refused_and_name_the_unchanged_file(client: Engagement) -> None:
    """Deleting an objective that other files name is reported in those files, not only in objectives.csv."""
    draft = client.copy()
    _drop_objective_in_use(draft)
    with pytest.raises(EngagementError) as exc:
        draft.validate()
    files = {p.file for p in exc.value.problems}
    assert {"kpis.csv", "raci.csv"} <= files or {"kpis.csv", "metric_scores.csv"} <= files


@pytest.mark.parametrize("edit", ["a title", "a target", "actuals sorted, one changed", "two tables",
                                  "an objective in use deleted", "an actual that is text"])
def test_a_reread_of_changed_files_is_a_whole_load(client: Engagement, tmp_path: Path, edit: str) -> None:
    """refresh_engagement (a save after someone else's, Reload) gives what load_engagement gives, or its error."""
    folder = copy_client(client.path, tmp_path, "copy")
    mine = load_engagement(folder)
    theirs = load_engagement(folder)
    EDITS[edit](theirs)
    record = record_of(theirs)
    for name in record.changed_tables(theirs):  # written as another editor's save would, even when invalid
        theirs.tables[name].to_csv(folder / SPECS[name].file, index=False)
    fresh = verdict(lambda: refresh_engagement(mine))
    whole = verdict(lambda: load_engagement(folder))
    assert_same_verdict(fresh, whole, "fingerprints", "spellings")
