"""Stakeholders: who answers for what (RACI), accountability gaps, influence and support.

The contract's rule: every objective and every selected KPI's metric has exactly one
``A`` (Accountable) in ``raci.csv``. No one accountable means no one answers when it
goes off track; two means each can assume the other will.

Choices, documented here because a client will ask:

* **Absent raci.csv** still yields ``KPI_NO_ACCOUNTABLE`` for every objective and
  selected metric, with the message "RACI not assigned yet": accountability is part
  of the KPI contract, not an optional extra, and the report should say so plainly.
* **Overload** (:func:`overloaded`): a person Accountable for more than
  :data:`OVERLOAD_LIMIT` items (default 6) is flagged; in a quarterly review each
  accountable person speaks to each of their items, and beyond about six that
  becomes a recital rather than a review.
* **Quadrants** (:func:`quadrants`): influence and support are 1 to 5; ``>=``
  :data:`HIGH` (3.5) counts as high. A person without both numbers is "Not assessed".

>>> QUADRANTS["high", "low"]
'Manage closely'
"""

from __future__ import annotations

import pandas as pd

from kpikit.data.model import Engagement
from kpikit.data.schema import RACI_LETTERS
from kpikit.engine.findings import Finding

OVERLOAD_LIMIT = 6
"""Default: more Accountable items than this for one person is an overload."""
HIGH = 3.5
"""Influence or support at or above this (on 1-5) counts as high."""

QUADRANTS: dict[tuple[str, str], str] = {
    ("high", "high"): "Keep close / champion",
    ("high", "low"): "Manage closely",
    ("low", "high"): "Keep informed",
    ("low", "low"): "Monitor",
}
"""(influence level, support level) -> quadrant name."""

ADVICE: dict[str, str] = {
    "Keep close / champion": "Involve in decisions and ask to champion the KPIs in their area.",
    "Manage closely": "Meet one to one early; address their concerns before the targets are fixed.",
    "Keep informed": "Share progress regularly; they can carry the message to their teams.",
    "Monitor": "Keep in the regular updates; watch for changes in influence or stance.",
    "Not assessed": "Rate influence and support (1 to 5) in stakeholders.csv.",
}


def people_names(eng: Engagement) -> dict[str, str]:
    """stakeholder ID -> name, in stakeholders.csv order."""
    s = eng.stakeholders
    return {str(i): str(n) for i, n in zip(s["id"], s["name"], strict=True)}


def items(eng: Engagement) -> pd.DataFrame:
    """The items that need exactly one Accountable: every objective, then every selected KPI metric.

    Columns ``item_id, kind`` (``objective`` | ``metric``), ``name``, ``used_by`` (for a
    metric, the objectives whose KPI it is, comma-separated; empty for an objective).
    """
    rows = [{"item_id": str(o), "kind": "objective", "name": str(t), "used_by": ""}
            for o, t in zip(eng.objectives["id"], eng.objectives["title"], strict=True)]
    names = dict(zip(eng.metrics["id"], eng.metrics["name"], strict=True))
    used: dict[str, list[str]] = {}
    for o, m in zip(eng.kpis["objective_id"], eng.kpis["metric_id"], strict=True):
        used.setdefault(str(m), []).append(str(o))
    for m, objs in used.items():
        rows.append({"item_id": m, "kind": "metric", "name": str(names.get(m, m)), "used_by": ", ".join(sorted(objs))})
    return pd.DataFrame(rows, columns=["item_id", "kind", "name", "used_by"])


def raci_matrix(eng: Engagement) -> pd.DataFrame:
    """Items x people: each cell the person's letters for the item (``R``, ``A``, ``R/A``) or ``""``.

    Rows: the :func:`items` (objectives, then selected metrics), then any other item
    named in raci.csv (a metric with a RACI but no KPI). Columns: ``item_id, kind,
    name`` and one column per stakeholder ID, in stakeholders.csv order.
    """
    base = items(eng)
    raci = eng.raci
    known = set(base["item_id"])
    extra_ids = [i for i in dict.fromkeys(raci["item_id"].astype("str")) if i not in known]
    if extra_ids:
        names = dict(zip(eng.metrics["id"], eng.metrics["name"], strict=True))
        titles = dict(zip(eng.objectives["id"], eng.objectives["title"], strict=True))
        more = pd.DataFrame([{"item_id": i, "kind": "objective" if i in titles else "metric",
                              "name": str(titles.get(i, names.get(i, i))), "used_by": ""} for i in extra_ids])
        base = pd.concat([base, more], ignore_index=True)
    people = [str(p) for p in eng.stakeholders["id"]]
    letters: dict[tuple[str, str], set[str]] = {}
    for i, p, r in zip(raci["item_id"], raci["stakeholder_id"], raci["raci"], strict=True):
        letters.setdefault((str(i), str(p)), set()).add(str(r))
    head = base[["item_id", "kind", "name"]].reset_index(drop=True)
    item_ids = [str(i) for i in head["item_id"]]
    cells = {p: ["" for _ in item_ids] for p in people}
    row_of = {i: n for n, i in enumerate(item_ids)}
    for (i, p), got in letters.items():
        if p in cells and i in row_of:
            cells[p][row_of[i]] = "/".join(x for x in RACI_LETTERS if x in got)
    grid = pd.DataFrame(cells, index=head.index, columns=people, dtype="str")
    return pd.concat([head, grid], axis=1)


def accountability(eng: Engagement) -> pd.DataFrame:
    """Per item of :func:`items`: who is Accountable and whether that is exactly one person.

    Columns ``item_id, kind, name, used_by, accountable`` (stakeholder IDs, comma-separated),
    ``accountable_names``, ``n_accountable``, ``ok`` (exactly one), ``problem`` (plain words; empty if ok).
    """
    base = items(eng)
    names = people_names(eng)
    a = eng.raci[eng.raci["raci"] == "A"]
    who: dict[str, list[str]] = {}
    for i, p in zip(a["item_id"], a["stakeholder_id"], strict=True):
        lst = who.setdefault(str(i), [])
        if str(p) not in lst:
            lst.append(str(p))
    rows = []
    for r in base.itertuples(index=False):
        ids = who.get(str(r.item_id), [])
        labels = [names.get(p, p) for p in ids]
        if not eng.has("raci"):
            problem = "RACI not assigned yet: no one is Accountable"
        elif not ids:
            problem = "no one is Accountable"
        elif len(ids) > 1:
            problem = f"{len(ids)} people are Accountable: {', '.join(labels)}"
        else:
            problem = ""
        rows.append({"item_id": r.item_id, "kind": r.kind, "name": r.name, "used_by": r.used_by,
                     "accountable": ", ".join(ids),
                     "accountable_names": ", ".join(labels), "n_accountable": len(ids), "ok": len(ids) == 1,
                     "problem": problem})
    cols = ["item_id", "kind", "name", "used_by", "accountable", "accountable_names", "n_accountable", "ok", "problem"]
    return pd.DataFrame(rows, columns=cols).astype({"n_accountable": "int64", "ok": "bool"})


def overloaded(eng: Engagement, limit: int = OVERLOAD_LIMIT) -> pd.DataFrame:
    """People Accountable for more than ``limit`` items (any item in raci.csv), most loaded first.

    Columns ``stakeholder_id, name, accountable_for`` (count), ``items`` (comma-separated).
    """
    a = eng.raci[eng.raci["raci"] == "A"].drop_duplicates(["item_id", "stakeholder_id"])
    names = people_names(eng)
    rows = []
    for p, g in a.groupby("stakeholder_id", sort=True):
        n = len(g)
        if n > limit:
            rows.append({"stakeholder_id": str(p), "name": names.get(str(p), str(p)), "accountable_for": n,
                         "items": ", ".join(sorted(g["item_id"].astype("str")))})
    df = pd.DataFrame(rows, columns=["stakeholder_id", "name", "accountable_for", "items"])
    df = df.astype({"accountable_for": "int64"})
    return df.sort_values(["accountable_for", "stakeholder_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def _level(v: object) -> str | None:
    if v is None or pd.isna(v):  # type: ignore[call-overload]
        return None
    return "high" if float(v) >= HIGH else "low"  # type: ignore[arg-type]


def quadrants(eng: Engagement) -> pd.DataFrame:
    """Each stakeholder's influence/support quadrant and what to do about it.

    Columns ``stakeholder_id, name, role, influence, support, quadrant, advice``.
    Quadrants: high influence and high support "Keep close / champion"; high
    influence, low support "Manage closely"; low influence, high support "Keep
    informed"; low and low "Monitor"; missing numbers "Not assessed". High = >= 3.5.
    """
    s = eng.stakeholders
    rows = []
    for r in s.itertuples(index=False):
        inf, sup = _level(r.influence), _level(r.support)
        q = QUADRANTS[inf, sup] if inf and sup else "Not assessed"
        rows.append({"stakeholder_id": str(r.id), "name": str(r.name),
                     "role": r.role if isinstance(r.role, str) else "",
                     "influence": r.influence, "support": r.support, "quadrant": q, "advice": ADVICE[q]})
    cols = ["stakeholder_id", "name", "role", "influence", "support", "quadrant", "advice"]
    return pd.DataFrame(rows, columns=cols).astype({"influence": "float64", "support": "float64"})


def findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """KPI_NO_ACCOUNTABLE for each objective and selected KPI metric without exactly one A."""
    del period
    out: list[Finding] = []
    for r in accountability(eng).itertuples(index=False):
        if r.ok:
            continue
        if r.kind == "objective":
            what = f"Objective {r.item_id} '{r.name}'"
        else:
            what = f"KPI metric {r.name} ({r.item_id}, measuring {r.used_by})"
        fix = ("assign exactly one Accountable person in raci.csv" if r.n_accountable == 0
               else "agree which one of them answers for it and make the others R or C")
        out.append(Finding("KPI_NO_ACCOUNTABLE", str(r.item_id), f"{what}: {r.problem}; {fix}."))
    return out


__all__ = [
    "ADVICE",
    "HIGH",
    "OVERLOAD_LIMIT",
    "QUADRANTS",
    "accountability",
    "findings",
    "items",
    "overloaded",
    "people_names",
    "quadrants",
    "raci_matrix",
]
