"""The objective cascade: objectives as a forest over the org tree, and its gaps.

An objective supports its ``parent_id`` objective and is owned by an org unit. The
cascade is sound when every objective reaches a strategic pillar (its own
``pillar_id`` or, failing that, the nearest one up its parent chain: a child inherits
its parent's pillar) and when every parent objective belongs to the same unit as its
child or to a unit *above* it: a division's objective can support the head office's,
but a head-office objective cannot "support" a team's.

Everything here is a pure function of a loaded :class:`~kpikit.data.store.Engagement`.
The editors use :func:`valid_parents` and :func:`valid_units` to offer only links that
keep the cascade sound; the report uses :func:`layout`, :func:`edges` and
:func:`coverage`.

>>> pillars = effective_pillars(eng)                 # doctest: +SKIP
>>> pillars.loc["OBJ-07", "pillar_id"], pillars.loc["OBJ-07", "via"]   # doctest: +SKIP
('P1', 'OBJ-01')
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypedDict

import pandas as pd

from kpikit.data.cells import optional_text, text_column
from kpikit.data.model import Engagement
from kpikit.engine.findings import Finding

NO_PILLAR = "No pillar"


# -- small lookups -------------------------------------------------------------------

def _by_id(table: pd.DataFrame, column: str) -> dict[str, str]:
    """ID -> the text of ``column`` in a table keyed by its ``id`` column (a required column)."""
    return {str(i): str(v) for i, v in zip(table["id"], table[column], strict=True)}


def _parents(table: pd.DataFrame) -> dict[str, str | None]:
    """ID -> parent ID of a tree stored as ``id``/``parent_id`` (None at the top)."""
    return {str(i): optional_text(p) for i, p in zip(table["id"], table["parent_id"], strict=True)}


def objective_parents(eng: Engagement) -> dict[str, str | None]:
    """objective ID -> parent objective ID (None at the top)."""
    return _parents(eng.objectives)


def objective_units(eng: Engagement) -> dict[str, str]:
    return _by_id(eng.objectives, "org_unit_id")


def objective_titles(eng: Engagement) -> dict[str, str]:
    return _by_id(eng.objectives, "title")


def unit_parents(eng: Engagement) -> dict[str, str | None]:
    return _parents(eng.org_units)


def unit_names(eng: Engagement) -> dict[str, str]:
    return _by_id(eng.org_units, "name")


def children_of(parents: dict[str, str | None]) -> dict[str | None, list[str]]:
    """parent -> sorted children (key None = the roots)."""
    out: dict[str | None, list[str]] = {}
    for child, parent in parents.items():
        out.setdefault(parent if parent in parents else None, []).append(child)
    for kids in out.values():
        kids.sort()
    return out


def unit_ancestors(eng: Engagement, unit_id: str) -> list[str]:
    """The unit itself and every unit above it, nearest first."""
    return _ancestors(unit_parents(eng), unit_id)


def _ancestors(parents: dict[str, str | None], unit_id: str) -> list[str]:
    out: list[str] = []
    node: str | None = unit_id
    while node is not None and node not in out:
        out.append(node)
        node = parents.get(node)
    return out


def _subtree(kids: dict[str | None, list[str]], root: str) -> set[str]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(kids.get(n, []))
    return seen


# -- pillars -------------------------------------------------------------------------

def effective_pillars(eng: Engagement) -> pd.DataFrame:
    """Per objective: the pillar it serves and where that comes from.

    Columns ``objective_id`` (index too), ``pillar_id`` (NaN if none is reached),
    ``pillar_name``, ``via`` (the objective whose ``pillar_id`` it is: itself when set
    directly, an ancestor when inherited) and ``depth`` (0 at the top).
    """
    parents = objective_parents(eng)
    own = {str(i): optional_text(p) for i, p in zip(eng.objectives["id"], eng.objectives["pillar_id"], strict=True)}
    names = {p.id: p.name for p in eng.config.pillars}
    rows = []
    for oid in parents:
        node: str | None = oid
        via: str | None = None
        depth = 0
        seen: set[str] = set()
        while node is not None and node not in seen:
            seen.add(node)
            if via is None and own.get(node):
                via = node
            nxt = parents.get(node)
            if nxt is not None:
                depth += 1
            node = nxt
        pillar = own[via] if via else None
        rows.append({
            "objective_id": oid,
            "pillar_id": pillar,
            "pillar_name": names.get(pillar) if pillar else None,
            "via": via,
            "depth": depth,
        })
    df = pd.DataFrame(rows, columns=["objective_id", "pillar_id", "pillar_name", "via", "depth"])
    df = df.astype({"objective_id": "str", "depth": "int64"})
    for col in ("pillar_id", "pillar_name", "via"):  # None stays missing on pandas 2 too
        df[col] = text_column(df[col])
    return df.set_index("objective_id", drop=False).rename_axis(None)


# -- ownership and coverage ----------------------------------------------------------

def ownership(eng: Engagement) -> pd.DataFrame:
    """Per org unit and per pillar: the objectives and selected KPIs it owns.

    A unit owns the objectives whose ``org_unit_id`` is the unit (not those of units
    below it); a pillar owns the objectives that reach it (directly or inherited).
    Columns: ``kind`` (``org_unit`` | ``pillar``), ``id``, ``name``, ``objectives``
    and ``kpis`` (counts), ``objective_ids`` and ``kpi_ids`` (comma-separated; a KPI is
    ``OBJECTIVE/METRIC``). Every unit and pillar has a row, owning nothing included.
    """
    units = objective_units(eng)
    eff = effective_pillars(eng)
    pillars = {str(o): p for o, p in zip(eff["objective_id"], eff["pillar_id"], strict=True)}
    kpis_of: dict[str, list[str]] = {}
    for o, m in zip(eng.kpis["objective_id"], eng.kpis["metric_id"], strict=True):
        kpis_of.setdefault(str(o), []).append(f"{o}/{m}")
    rows = []

    def row(kind: str, key: str, name: str, objs: list[str]) -> dict[str, object]:
        ks = [k for o in objs for k in sorted(kpis_of.get(o, []))]
        return {"kind": kind, "id": key, "name": name, "objectives": len(objs), "kpis": len(ks),
                "objective_ids": ", ".join(objs), "kpi_ids": ", ".join(ks)}

    for uid, name in unit_names(eng).items():
        rows.append(row("org_unit", uid, name, sorted(o for o, u in units.items() if u == uid)))
    for p in eng.config.pillars:
        rows.append(row("pillar", p.id, p.name, sorted(o for o, pid in pillars.items() if pid == p.id)))
    cols = ["kind", "id", "name", "objectives", "kpis", "objective_ids", "kpi_ids"]
    return pd.DataFrame(rows, columns=cols).astype({"objectives": "int64", "kpis": "int64"})


class Coverage(TypedDict):
    """How much of the cascade is aligned; shares are 0..1 (0 when there are no objectives)."""

    objectives: int
    reach_pillar: int
    with_kpi: int
    reach_pillar_share: float
    with_kpi_share: float


def coverage(eng: Engagement) -> Coverage:
    """Share of objectives that reach a pillar, and share with at least one selected KPI.

    >>> coverage(eng)["reach_pillar_share"]           # doctest: +SKIP
    0.95
    """
    n = len(eng.objectives)
    reach = int(effective_pillars(eng)["pillar_id"].notna().sum())
    with_kpi = int(eng.objectives["id"].isin(set(eng.kpis["objective_id"])).sum())
    return Coverage(
        objectives=n,
        reach_pillar=reach,
        with_kpi=with_kpi,
        reach_pillar_share=reach / n if n else 0.0,
        with_kpi_share=with_kpi / n if n else 0.0,
    )


# -- gaps ------------------------------------------------------------------------------

def wrong_unit_links(eng: Engagement) -> pd.DataFrame:
    """Objectives whose parent belongs to a unit that is not theirs or above theirs.

    Columns ``objective_id, org_unit_id, parent_id, parent_unit_id``.
    """
    units = objective_units(eng)
    tree = unit_parents(eng)
    rows = []
    for oid, parent in objective_parents(eng).items():
        if parent is None or parent not in units:
            continue
        mine, theirs = units[oid], units[parent]
        if theirs not in _ancestors(tree, mine):
            rows.append({"objective_id": oid, "org_unit_id": mine, "parent_id": parent, "parent_unit_id": theirs})
    return pd.DataFrame(rows, columns=["objective_id", "org_unit_id", "parent_id", "parent_unit_id"])


def units_without_objectives(eng: Engagement) -> list[str]:
    """Org units that own no objective, in file order."""
    owned = set(objective_units(eng).values())
    return [u for u in unit_names(eng) if u not in owned]


def findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """CASCADE_WRONG_UNIT and UNIT_NO_OBJECTIVE (``period`` is not used: structure only).

    OBJECTIVE_UNALIGNED is reported by :mod:`kpikit.engine.smart` (it is the SMART "Relevant"
    rule's hard failure), not here, so that each finding has one source.
    """
    del period
    names = unit_names(eng)
    titles = objective_titles(eng)
    out: list[Finding] = []
    for r in wrong_unit_links(eng).itertuples(index=False):
        out.append(Finding(
            "CASCADE_WRONG_UNIT", str(r.objective_id),
            f"Objective {r.objective_id} '{titles[str(r.objective_id)]}' belongs to "
            f"{names.get(str(r.org_unit_id), r.org_unit_id)} ({r.org_unit_id}), but the objective it supports, "
            f"{r.parent_id} '{titles.get(str(r.parent_id), '')}', belongs to "
            f"{names.get(str(r.parent_unit_id), r.parent_unit_id)} ({r.parent_unit_id}), which is not the same "
            f"unit or a unit above it. Move one of them, or link it to an objective of its own line.",
        ))
    for uid in units_without_objectives(eng):
        out.append(Finding(
            "UNIT_NO_OBJECTIVE", uid,
            f"Org unit {names[uid]} ({uid}) has no objective: either it needs one that supports "
            f"its parent unit's objectives, or it is deliberately out of scope.",
        ))
    return out


# -- editing helpers -------------------------------------------------------------------

def valid_parents(eng: Engagement, objective_id: str) -> list[str]:
    """Objectives this one may be linked under, sorted by ID.

    A candidate must not be the objective itself or one of its descendants (that
    would make a cycle) and must belong to this objective's unit or a unit above it.
    """
    parents = objective_parents(eng)
    units = objective_units(eng)
    if objective_id not in parents:
        raise KeyError(f"no objective '{objective_id}'")
    banned = _subtree(children_of(parents), objective_id)
    allowed_units = set(_ancestors(unit_parents(eng), units[objective_id]))
    return sorted(o for o in parents if o not in banned and units[o] in allowed_units)


def valid_units(eng: Engagement, objective_id: str) -> list[str]:
    """Org units this objective may move to without breaking a cascade link, sorted by ID.

    The new unit must be the parent objective's unit or below it, and every child
    objective's unit must be the new unit or below it.
    """
    parents = objective_parents(eng)
    units = objective_units(eng)
    if objective_id not in parents:
        raise KeyError(f"no objective '{objective_id}'")
    kids = children_of(parents).get(objective_id, [])
    parent = parents[objective_id]
    tree = unit_parents(eng)
    kid_lines = [set(_ancestors(tree, units[k])) for k in kids]
    out = []
    for uid in tree:
        if parent is not None and parent in units and units[parent] not in _ancestors(tree, uid):
            continue
        if any(uid not in line for line in kid_lines):
            continue
        out.append(uid)
    return sorted(out)


# -- layout ----------------------------------------------------------------------------

def _dfs(kids: dict[str | None, list[str]], root: str) -> Iterator[tuple[str, int]]:
    stack: list[tuple[str, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        stack.extend((k, depth + 1) for k in reversed(kids.get(node, [])))


def layout(eng: Engagement) -> pd.DataFrame:
    """Deterministic positions for drawing the objective forest as an indented tree.

    ``depth`` is the level (0 = top) and ``row`` the node's place in a depth-first walk
    (trees sorted by root ID, children by ID): every objective gets its own row, each
    parent sits directly above its subtree, and links run in the gutter to the left of
    the labels, so a 150-objective cascade is a tall, readable outline rather than an
    unreadably wide tree. ``x``/``y`` equal ``depth``/``row`` (for charting code).

    Columns: ``objective_id, title, org_unit_id, parent_id, pillar_id, pillar_name,
    depth, row, x, y``.

    >>> layout(eng)[["objective_id", "depth", "row"]].head(3)   # doctest: +SKIP
    """
    parents = objective_parents(eng)
    kids = children_of(parents)
    order: list[tuple[str, int]] = []
    for root in kids.get(None, []):
        order.extend(_dfs(kids, root))
    pillars = effective_pillars(eng)
    titles = objective_titles(eng)
    units = objective_units(eng)
    data = [{
        "objective_id": o,
        "title": titles[o],
        "org_unit_id": units[o],
        "parent_id": parents[o],
        "pillar_id": pillars.at[o, "pillar_id"],
        "pillar_name": pillars.at[o, "pillar_name"],
        "depth": d,
        "row": float(i),
        "x": float(d),
        "y": float(i),
    } for i, (o, d) in enumerate(order)]
    cols = ["objective_id", "title", "org_unit_id", "parent_id", "pillar_id", "pillar_name", "depth", "row", "x", "y"]
    df = pd.DataFrame(data, columns=cols)
    return df.astype({"depth": "int64", "row": "float64", "x": "float64", "y": "float64",
                      "objective_id": "str", "title": "str", "org_unit_id": "str", "parent_id": "str",
                      "pillar_id": "str", "pillar_name": "str"})


def edges(eng: Engagement, nodes: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per parent link with both ends' positions from :func:`layout`.

    Columns ``objective_id, parent_id, x, y, x2, y2`` (x/y = the child, x2/y2 = the parent).
    """
    nodes = layout(eng) if nodes is None else nodes
    pos = nodes.set_index("objective_id")[["x", "y"]]
    linked = nodes[nodes["parent_id"].notna() & nodes["parent_id"].isin(pos.index)]
    out = pd.DataFrame({
        "objective_id": linked["objective_id"].to_numpy(),
        "parent_id": linked["parent_id"].to_numpy(),
        "x": linked["x"].to_numpy(),
        "y": linked["y"].to_numpy(),
        "x2": pos.loc[linked["parent_id"], "x"].to_numpy(),
        "y2": pos.loc[linked["parent_id"], "y"].to_numpy(),
    })
    return out.astype({"x": "float64", "y": "float64", "x2": "float64", "y2": "float64"})


__all__ = [
    "NO_PILLAR",
    "Coverage",
    "children_of",
    "coverage",
    "edges",
    "effective_pillars",
    "findings",
    "layout",
    "objective_parents",
    "objective_titles",
    "objective_units",
    "ownership",
    "unit_ancestors",
    "unit_names",
    "unit_parents",
    "units_without_objectives",
    "valid_parents",
    "valid_units",
    "wrong_unit_links",
]
