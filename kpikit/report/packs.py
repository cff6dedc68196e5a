"""Packs per audience: one pack per org unit (``packs/units/<unit>.html|pdf``) and one brief per owner.

Each department head gets their own part of the strategy, not the whole client's
numbers. A pack is the report's own machinery (:class:`~kpikit.report.context.ReportContext`
and the section functions of :mod:`kpikit.report.sections`) run on a **subset** of the
engagement: :func:`unit_subset` and :func:`owner_subset` return a new, deep-copied
:class:`~kpikit.data.model.Engagement` restricted to the audience's items, so no other
unit's objective, KPI, figure or person can reach the page, and nothing is computed
beyond that subset. The subset's top objectives keep the pillar they serve (inherited
through objectives outside it), and the pack prints the chain of objectives above the
unit, up to its pillar, by title only ("How our work counts").

- a **unit pack**: the unit's objectives and those of the units below it, their KPIs with
  charts, their RACI assignments and people, their actions, and the chain above;
- an **owner brief**: the objectives and KPIs a stakeholder is Accountable for (raci.csv
  ``A``), their status and what is due; no other person is named.

>>> write_packs(eng, "2026-Q3", Path("out"), {"units"})       # doctest: +SKIP
[PosixPath('out/packs/units/ORG-HRH.html'), PosixPath('out/packs/units/ORG-HRH.pdf'), ...]
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from kpikit.data.cells import is_missing
from kpikit.data.csvio import atomic_write
from kpikit.data.model import Engagement
from kpikit.engine import cascade
from kpikit.kit.resources import templates_dir
from kpikit.report.context import ReportContext
from kpikit.report.printing import (
    CHART_IMAGE_CLASS,
    Printer,
    chart_image,
    chart_image_css,
    charts_as_images,
    pack_pdf,
)
from kpikit.report.sections import (
    executive_summary,
    kpi_scorecard,
    objective_cascade,
    recommendations,
    stakeholder_map,
)
from kpikit.report.sections.contents import in_pack

AUDIENCES = ("units", "owners", "meeting")
"""What ``--packs`` accepts: a pack per org unit, a brief per accountable stakeholder, the review meeting pre-read."""
PACKS_DIR = "packs"


@dataclass(frozen=True)
class Pack:
    """One audience's pack: who it is for, its file stem, the subset engagement and the chain above it."""

    kind: str
    """``unit`` or ``owner``."""
    audience_id: str
    audience: str
    """How the cover names the audience: ``Clinical Operations (ORG-CLIN)``."""
    eng: Engagement
    chain: list[dict[str, str]]
    empty: str
    """What the pack says instead of sections when the subset has no objectives ('' when it has some)."""


def _ids(values: Iterable[object]) -> list[str]:
    return [str(v) for v in values]


def _opt(v: object) -> str | None:
    return None if is_missing(v) or not str(v).strip() else str(v)


def unit_tree(eng: Engagement, unit_id: str) -> set[str]:
    """The unit and every unit below it."""
    kids = cascade.children_of(cascade.unit_parents(eng))
    out, todo = set(), [unit_id]
    while todo:
        u = todo.pop()
        if u not in out:
            out.add(u)
            todo += kids.get(u, [])
    return out


def restrict(eng: Engagement, objectives: set[str], units: set[str], people: set[str] | None,
             kpis: set[tuple[str, str]] | None = None, raci_people: set[str] | None = None) -> Engagement:
    """A deep copy of ``eng`` with only these objectives (their KPIs, metrics, actuals, RACI, actions) and units.

    ``kpis`` narrows the KPIs further (an owner's own); ``people`` the stakeholders (None:
    those of the kept units and those named in the kept RACI rows); ``raci_people`` the RACI
    rows to those people. An objective whose parent is not kept becomes a top objective
    that keeps the pillar it served; a unit whose parent is not kept becomes the root.
    """
    t = {k: v.copy(deep=True) for k, v in eng.tables.items()}
    pillar = cascade.effective_pillars(eng)["pillar_id"].to_dict()
    o = t["objectives"]
    o = o[o["id"].astype("str").isin(objectives)].reset_index(drop=True)
    top = ~o["parent_id"].astype("str").isin(objectives) | o["parent_id"].isna()
    o.loc[top, "pillar_id"] = [pillar.get(str(i)) for i in o.loc[top, "id"]]
    o.loc[top, "parent_id"] = None
    t["objectives"] = o
    u = t["org_units"]
    u = u[u["id"].astype("str").isin(units)].reset_index(drop=True)
    u.loc[~u["parent_id"].astype("str").isin(units) | u["parent_id"].isna(), "parent_id"] = None
    t["org_units"] = u
    k = t["kpis"]
    keep = k["objective_id"].astype("str").isin(objectives)
    if kpis is not None:
        keep &= pd.Series([(str(a), str(b)) in kpis for a, b in zip(k["objective_id"], k["metric_id"], strict=True)],
                          index=k.index)
    t["kpis"] = k[keep].reset_index(drop=True)
    metrics = set(_ids(t["kpis"]["metric_id"]))
    for name in ("metric_scores", "milestones"):
        if name in t:
            d = t[name]
            t[name] = d[d["objective_id"].astype("str").isin(objectives)].reset_index(drop=True)
    metrics |= set(_ids(t["metric_scores"]["metric_id"]))
    m = t["metrics"]
    t["metrics"] = m[m["id"].astype("str").isin(metrics)].reset_index(drop=True)
    a = t["actuals"]
    t["actuals"] = a[a["metric_id"].astype("str").isin(metrics)].reset_index(drop=True)
    items = objectives | metrics | {f"{x}/{y}" for x, y in zip(t["kpis"]["objective_id"], t["kpis"]["metric_id"], strict=True)}
    r = t["raci"]
    r = r[r["item_id"].astype("str").isin(items)]
    if raci_people is not None:
        r = r[r["stakeholder_id"].astype("str").isin(raci_people)]
    t["raci"] = r.reset_index(drop=True)
    s = t["stakeholders"]
    if people is None:
        people = set(_ids(t["raci"]["stakeholder_id"])) | set(_ids(s.loc[s["org_unit_id"].astype("str").isin(units), "id"]))
    s = s[s["id"].astype("str").isin(people)].reset_index(drop=True)
    s.loc[~s["org_unit_id"].astype("str").isin(units), "org_unit_id"] = None
    t["stakeholders"] = s
    if "actions" in t:
        act = t["actions"]
        act = act[act["item_id"].astype("str").isin(items)].reset_index(drop=True)
        act.loc[~act["owner"].astype("str").isin(people), "owner"] = None
        t["actions"] = act
    c = t["changes"]
    t["changes"] = c[c["item_id"].astype("str").isin(items)].reset_index(drop=True)
    return dataclasses.replace(eng, config=eng.config.model_copy(deep=True), tables=t, store=None)


def chain_above(eng: Engagement, objectives: set[str]) -> list[dict[str, str]]:
    """The objectives above the subset's top objectives, up to the pillar: ``objective, title, unit, pillar``.

    Only titles and owning units are shown: how the audience's work counts, not the other
    units' figures.
    """
    parents = cascade.objective_parents(eng)
    titles = cascade.objective_titles(eng)
    unit_of = cascade.objective_units(eng)
    units = cascade.unit_names(eng)
    pillars = cascade.effective_pillars(eng)["pillar_name"].to_dict()
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for oid in sorted(objectives):
        node = parents.get(oid)
        if oid in objectives and node in objectives:
            continue
        while node is not None and node not in seen and node not in objectives:
            seen.add(node)
            out.append({"objective": node, "title": titles.get(node, node), "unit": units.get(unit_of.get(node, ""), ""),
                        "pillar": str(pillars.get(node) or "no pillar"), "serves": oid})
            node = parents.get(node)
    return out


def unit_subset(eng: Engagement, unit_id: str) -> Engagement:
    """The engagement as the unit sees it: its own objectives and those below it (see :func:`restrict`)."""
    units = unit_tree(eng, unit_id)
    o = eng.objectives
    objectives = set(_ids(o.loc[o["org_unit_id"].astype("str").isin(units), "id"]))
    return restrict(eng, objectives, units, None)


def owner_items(eng: Engagement, person: str) -> tuple[set[str], set[tuple[str, str]]]:
    """The objectives and KPIs (objective, metric) a stakeholder is Accountable for in raci.csv."""
    r = eng.raci
    mine = set(_ids(r.loc[(r["stakeholder_id"].astype("str") == person) & (r["raci"] == "A"), "item_id"]))
    k = eng.kpis
    objectives = set(_ids(eng.objectives["id"])) & mine
    kpis = {(str(a), str(b)) for a, b in zip(k["objective_id"], k["metric_id"], strict=True)
            if str(a) in objectives or str(b) in mine or f"{a}/{b}" in mine}
    return objectives | {a for a, _ in kpis}, kpis


def owner_subset(eng: Engagement, person: str) -> Engagement:
    """The engagement as one accountable person sees it: only what they answer for, only them named."""
    objectives, kpis = owner_items(eng, person)
    o = eng.objectives
    units: set[str] = set()
    for u in _ids(o.loc[o["id"].astype("str").isin(objectives), "org_unit_id"]):
        units |= {u, *cascade.unit_ancestors(eng, u)}
    if not units:
        units = {str(u) for u, p in zip(eng.org_units["id"], eng.org_units["parent_id"], strict=True) if _opt(p) is None}
    return restrict(eng, objectives, units, {person}, kpis, {person})


def unit_packs(eng: Engagement) -> list[Pack]:
    """One pack per org unit, in org_units.csv order."""
    out = []
    for uid, name in zip(_ids(eng.org_units["id"]), _ids(eng.org_units["name"]), strict=True):
        sub = unit_subset(eng, uid)
        objs = set(_ids(sub.objectives["id"]))
        empty = "" if objs else (f"{name} has no objectives yet, in the unit or below it: agree the unit's objectives "
                                 "with the level above before its next review.")
        out.append(Pack("unit", uid, f"{name} ({uid})", sub, chain_above(eng, objs), empty))
    return out


def owner_packs(eng: Engagement) -> list[Pack]:
    """One brief per stakeholder who is Accountable for at least one item, in stakeholders.csv order."""
    accountable = set(_ids(eng.raci.loc[eng.raci["raci"] == "A", "stakeholder_id"]))
    out = []
    for sid, name in zip(_ids(eng.stakeholders["id"]), _ids(eng.stakeholders["name"]), strict=True):
        if sid not in accountable:
            continue
        sub = owner_subset(eng, sid)
        objs = set(_ids(sub.objectives["id"]))
        empty = "" if objs else f"{name} is Accountable for no objective or selected KPI."
        out.append(Pack("owner", sid, name, sub, chain_above(eng, objs), empty))
    return out


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "report")), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def pack_html(pack: Pack, period: str | None, base: ReportContext | None = None, inline_css: bool = True) -> str:
    """The pack as one self-contained HTML page: its cover, the chain above, and the report's sections on the subset.

    ``base`` (the whole client's context, for the same period) lends the subset its per-KPI
    results (:func:`subset_context`); ``inline_css=False`` leaves the stylesheets out, for
    :func:`pack_pdf`, which applies them parsed once per run.
    """
    ctx = subset_context(pack.eng, base) if base is not None else ReportContext(pack.eng, period)
    return render_pack(pack, ctx, pack_sections(pack, ctx), inline_css)


PACK_SECTIONS = (("summary", executive_summary), ("cascade", objective_cascade), ("scorecard", kpi_scorecard),
                 ("stakeholders", stakeholder_map), ("recommendations", recommendations))
"""The report's sections a pack holds, in its order: (the report's section key, its function)."""


def pack_sections(pack: Pack, ctx: ReportContext) -> list[str]:
    """The pack's sections rendered on its subset: numbered in the pack (Section 01 to 05, not the report's
    numbers), their appendix references pointing to the full report's appendix (:func:`in_pack`)."""
    if pack.empty:
        return []
    with in_pack(key for key, _ in PACK_SECTIONS):
        return [str(make(ctx)) for _, make in PACK_SECTIONS]


def render_pack(pack: Pack, ctx: ReportContext, sections: list[str], inline_css: bool = True) -> str:
    """The pack's page around already rendered ``sections`` (so its HTML and PDF share one computation)."""
    rep = pack.eng.config.report
    what = "Unit pack" if pack.kind == "unit" else "Owner brief"
    return _environment().get_template("pack.html.j2").render(
        client=pack.eng.client, title=f"{what}: {pack.audience}", what=what, audience=pack.audience,
        period=ctx.period_text, prepared_by=rep.prepared_by, confidentiality=rep.confidentiality,
        chain=pack.chain, empty=pack.empty, sections=[_markup(s) for s in sections],
        letter=rep.page_size == "Letter", inline_css=inline_css)


class PackContext(ReportContext):
    """A subset's context in a run of packs: ``shared_figures`` holds the per-KPI charts drawn so far in the run.

    A sub-unit's KPIs appear in the pack of every unit above it; the scorecard section
    (:func:`kpikit.report.sections.scorecard._sparkline`) draws each KPI's chart once and
    reuses it in every later pack (the same KPI, period and figures give the same chart).
    """

    def __init__(self, eng: Engagement, period: str | None, shared_figures: dict[tuple[str, ...], Any]) -> None:
        super().__init__(eng, period)
        self.shared_figures = shared_figures


def subset_context(sub: Engagement, base: ReportContext,
                   shared_figures: dict[tuple[str, ...], Any] | None = None) -> ReportContext:
    """A subset's :class:`ReportContext` that takes its KPIs' results from the whole client's ``base``.

    A KPI's status, trend, forecast and figures depend on its own row, metric, milestones
    and actuals only, so the subset's rows of ``base.detail`` are what the engine would
    compute for the subset, without computing them again per pack (and exactly the
    report's figures). Findings, roll-ups and charts are still the subset's own: they
    depend on which objectives and people are in it.
    """
    period = str(base.period) if base.period is not None else None  # the run's one review period
    ctx = ReportContext(sub, period) if shared_figures is None else PackContext(sub, period, shared_figures)
    keys = set(zip(_ids(sub.kpis["objective_id"]), _ids(sub.kpis["metric_id"]), strict=True))
    for name in ("detail", "selected"):
        full = getattr(base, name)
        mask = [(str(o), str(m)) in keys for o, m in zip(full["objective_id"], full["metric_id"], strict=True)]
        ctx.__dict__[name] = full[mask].reset_index(drop=True)  # functools.cached_property reads the instance dict
    metrics = set(_ids(sub.metrics["id"]))
    ctx.__dict__["series_by_metric"] = {m: s for m, s in base.series_by_metric.items() if m in metrics}
    return ctx


def _markup(html: str) -> Any:
    from markupsafe import Markup

    return Markup(html)  # the sections' own fragments, already escaped by their autoescaping templates


_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_stem(audience_id: str) -> str:
    """A pack's file name from its ID (IDs are ``[A-Za-z0-9._-]``; anything else becomes ``_``)."""
    return _SAFE.sub("_", audience_id)


def write_packs(eng: Engagement, period: str | None, out_dir: Path, audiences: Iterable[str],
                base: ReportContext | None = None, printer: Printer | None = None) -> list[Path]:
    """Write ``packs/units/<unit>.html|pdf``, ``packs/owners/<stakeholder>.html|pdf`` and/or
    ``packs/meeting.html|pdf`` (the review meeting pre-read, :mod:`kpikit.report.meeting`); return the files.

    Every pack draws on one :class:`ReportContext` of the whole client (``base``, or one made
    here): the meeting pre-read is computed from it, and each unit pack and owner brief takes
    its KPIs' figures from it (:func:`subset_context`). With a ``printer``
    (:class:`~kpikit.report.printing.Printer`), the PDFs are printed by it, in other
    processes, while the next packs are computed; they are written when it finishes.
    """
    from kpikit.report.build import check_no_local_paths

    written: list[Path] = []
    wanted = set(audiences)
    base = base if base is not None else ReportContext(eng, period)
    local = [str(eng.path.resolve()), str(Path(out_dir).resolve()), str(Path.home())]

    def write(folder: Path, stem: str, html: str, bare: str, what: str) -> None:
        check_no_local_paths(html, local)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / f"{stem}.html", html.encode("utf-8"))
        if printer is None:
            atomic_write(folder / f"{stem}.pdf", pack_pdf(bare))
        else:
            printer.print(folder / f"{stem}.pdf", pack_pdf, bare, what)
        written.extend([folder / f"{stem}.html", folder / f"{stem}.pdf"])

    shared: dict[tuple[str, ...], Any] = {}  # each KPI's chart, drawn once for every pack it appears in
    for kind, make in (("units", unit_packs), ("owners", owner_packs)):
        if kind not in wanted:
            continue
        for pack in make(eng):
            ctx = subset_context(pack.eng, base, shared)
            sections = pack_sections(pack, ctx)
            write(Path(out_dir) / PACKS_DIR / kind, file_stem(pack.audience_id), render_pack(pack, ctx, sections),
                  render_pack(pack, ctx, sections, inline_css=False),
                  f"the {'unit pack' if kind == 'units' else 'owner brief'} {pack.audience_id}")
    if "meeting" in wanted:
        from kpikit.report.meeting import meeting_page

        html, bare = meeting_page(base)
        write(Path(out_dir) / PACKS_DIR, "meeting", html, bare, "the meeting pre-read")
    return written


__all__ = ["AUDIENCES", "CHART_IMAGE_CLASS", "PACKS_DIR", "PACK_SECTIONS", "Pack", "PackContext", "chain_above", "chart_image",
           "chart_image_css", "charts_as_images", "owner_packs", "owner_subset", "pack_html", "pack_pdf", "pack_sections",
           "render_pack", "restrict", "subset_context", "unit_packs", "unit_subset", "write_packs"]
