"""The sections of the client report, each an escaped HTML fragment.

The 07_report notebook calls one function per section, in the contract's order; each
returns a :class:`Fragment` that Jupyter displays as HTML and nbconvert copies into
``report.html``. Every section is rendered by Jinja2 with autoescape on, so any text
from the engagement files (titles, definitions, names) reaches the page as text, never
as markup. Charts come from :mod:`kpikit.charts` and are inlined as static SVG by
:func:`kpikit.charts.render.to_svg`, each with a text title and description.

No rule is computed here: numbers, statuses and findings come from the engine
(``smart``, ``scoring``, ``cascade``, ``targets``, ``stakeholders``, ``review``,
``findings``); this module only chooses words and layout.

>>> ctx = context(load_engagement("clients/demo-harbor"))      # doctest: +SKIP
>>> cover(ctx)                                                 # doctest: +SKIP
"""

from __future__ import annotations

import base64
import itertools
import math
import mimetypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from kpikit.charts import render
from kpikit.data.store import Engagement, load_engagement
from kpikit.engine.findings import Finding, sort_findings
from kpikit.kit.resources import templates_dir
from kpikit.periods import Period

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Executive summary"),
    ("strategy", "Mission, vision and pillars"),
    ("cascade", "Objective cascade"),
    ("scorecard", "KPI scorecard"),
    ("selection", "Metric selection"),
    ("targets", "Targets and benchmarks"),
    ("stakeholders", "Stakeholders"),
    ("recommendations", "Recommendations for the next review cycle"),
    ("appendix", "Appendix"),
)
"""The report's sections in the contract's order: (anchor key, heading)."""

STATUS: dict[str, dict[str, str]] = {
    "green": {"key": "green", "glyph": "●", "label": "On track", "word": "green",
              "meaning": "at or ahead of the expected value"},
    "amber": {"key": "amber", "glyph": "▲", "label": "At risk", "word": "amber",
              "meaning": "behind, within the tolerance"},
    "red": {"key": "red", "glyph": "■", "label": "Off track", "word": "red",
            "meaning": "behind by more than the tolerance"},
    "no-data": {"key": "no-data", "glyph": "○", "label": "No data", "word": "no data",
                "meaning": "no actual for the KPI's period"},
}
"""How each status reads: colour (CSS class), a shape and a word, so it survives greyscale print."""

SEVERITY_LABEL = {"error": "Error", "warning": "Warning", "info": "Note"}


# -- fragments and figures -----------------------------------------------------------

@dataclass(frozen=True)
class Fragment:
    """A piece of report HTML; displays itself in Jupyter (``_repr_html_``)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


@dataclass(frozen=True)
class Figure:
    """A chart as inline SVG with the text title and description a reader (or screen reader) needs."""

    id: str
    title: str
    description: str
    svg: Markup


_fig_ids = itertools.count(1)


def reset_kernel_state() -> None:
    """Restart figure numbering (called by the runner between notebooks, for reproducible output)."""
    global _fig_ids
    _fig_ids = itertools.count(1)


def figure(chart: Any, title: str, description: str) -> Figure:
    """Render an altair chart to a captioned inline SVG figure.

    The SVG root gets ``role="img"`` and an ``aria-label`` (the title) so assistive
    technology announces it; the caption carries the description as text.
    """
    svg = render.to_svg(chart)
    label = Markup.escape(title)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    return Figure(f"fig{next(_fig_ids)}", title, description, Markup(svg))


_env: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    """The Jinja2 environment of the sections: autoescape always on, undefined is an error."""
    global _env
    if _env is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir() / "report" / "sections")),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals.update(STATUS=STATUS, SEVERITY_LABEL=SEVERITY_LABEL)
        env.filters["num"] = num
        env.filters["text"] = text
        env.filters["pct"] = pct
        _env = env
    return _env


def _render(template: str, **values: Any) -> Fragment:
    return Fragment(environment().get_template(template).render(**values))


def _section(key: str, **values: Any) -> Fragment:
    """Render ``sections/<key>.html.j2`` with its anchor key, heading and kicker."""
    keys = [k for k, _ in SECTIONS]
    kicker = "Appendix" if key == "appendix" else f"Section {keys.index(key) + 1:02d}"
    return _render(f"{key}.html.j2", key=key, title=dict(SECTIONS)[key], kicker=kicker, **values)


# -- formatting helpers (words and numbers, no rules) ----------------------------------

def missing(value: object) -> bool:
    """NaN, None, pandas NA and the text 'nan' all mean "not given"."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip() in ("", "nan")


def text(value: object, default: str = "—") -> str:
    """A cell as display text, with a dash when it is missing."""
    return default if missing(value) else str(value)


def ident(value: object) -> str | None:
    """An ID cell as text, None when missing. Unlike :func:`missing`, the text 'nan' is an ID here:
    the contract allows it (a pillar or unit ``nan``, say), and ID columns hold real NaN when empty."""
    return value if isinstance(value, str) and value.strip() else None


def num(value: object, unit: object = None) -> str:
    """A number as a consultant reads it (delegates to :func:`kpikit.engine.targets.fmt`)."""
    from kpikit.engine.targets import fmt

    if missing(value):
        return "—"
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return fmt(f, None if missing(unit) else str(unit))


SHORT_UNIT = 8
"""Units up to this many characters are printed with each number; longer ones once, by the KPI's name."""


def short_unit(unit: object) -> bool:
    """Whether a unit is short enough to repeat after every number in a table."""
    return not missing(unit) and len(str(unit)) <= SHORT_UNIT


def tnum(value: object, unit: object = None) -> str:
    """A number for a table cell: with its unit when the unit is short, bare otherwise."""
    return num(value, unit if short_unit(unit) else None)


def pct(value: object, digits: int = 0) -> str:
    """A share 0..1 as a percentage: ``pct(0.953)`` -> ``'95%'``."""
    if missing(value):
        return "—"
    return f"{float(value) * 100:.{digits}f}%"  # type: ignore[arg-type]


# -- the data every section draws on, computed once -------------------------------------

class ReportContext:
    """One engagement and review period, with the engine's results computed once.

    Sections share it so that a report of a large client computes the scorecard and
    the findings once, not once per section.
    """

    def __init__(self, eng: Engagement, period: str | None = None) -> None:
        self.eng = eng
        self.period_override = period or None

    @cached_property
    def period(self) -> Period | None:
        return self.eng.review_period(self.period_override)

    @property
    def period_text(self) -> str:
        return str(self.period) if self.period is not None else "no review period yet"

    @cached_property
    def findings(self) -> list[Finding]:
        from kpikit.engine.findings import all_findings

        items: list[Finding] = all_findings(self.eng, period=self.period_override)
        return sort_findings(items)

    @cached_property
    def objective_titles(self) -> dict[str, str]:
        o = self.eng.objectives
        return {str(i): str(t) for i, t in zip(o["id"], o["title"], strict=True)}

    @cached_property
    def metric_names(self) -> dict[str, str]:
        m = self.eng.metrics
        return {str(i): text(n, str(i)) for i, n in zip(m["id"], m["name"], strict=True)}

    @cached_property
    def unit_names(self) -> dict[str, str]:
        u = self.eng.org_units
        return {str(i): str(n) for i, n in zip(u["id"], u["name"], strict=True)}

    @cached_property
    def stakeholder_names(self) -> dict[str, str]:
        s = self.eng.stakeholders
        return {str(i): str(n) for i, n in zip(s["id"], s["name"], strict=True)}

    @cached_property
    def selected(self) -> pd.DataFrame:
        """kpis.csv joined with metrics (engine helper), one row per selected KPI."""
        from kpikit.engine.targets import selected_kpis

        return selected_kpis(self.eng)


def context(eng: Engagement | str | Path, period: str | None = None) -> ReportContext:
    """The shared context of one report; accepts an Engagement or its folder."""
    if not isinstance(eng, Engagement):
        eng = load_engagement(eng)
    return ReportContext(eng, period)


# -- cover and contents -----------------------------------------------------------------

def logo_data_uri(eng: Engagement) -> str | None:
    """engagement.yaml ``report.logo`` as a data URI (inline, so the report fetches nothing).

    None when no logo is configured or the file is missing or not an image.
    """
    name = eng.config.report.logo
    if not name:
        return None
    path = (eng.path / name)
    mime = mimetypes.guess_type(path.name)[0]
    if not path.is_file() or mime not in {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"}:
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def cover(ctx: ReportContext) -> Fragment:
    """Cover page: client, title, review period, prepared by, confidentiality, logo."""
    rep = ctx.eng.config.report
    return _render(
        "cover.html.j2",
        client=ctx.eng.client,
        title=rep.title,
        period=ctx.period_text,
        prepared_by=rep.prepared_by,
        confidentiality=rep.confidentiality,
        mission=ctx.eng.config.mission,
        logo=logo_data_uri(ctx.eng),
    )


def contents(ctx: ReportContext) -> Fragment:
    """Table of contents; in the PDF each entry carries its page number."""
    return _render("contents.html.j2", sections=SECTIONS)


# -- mission, vision and pillars -----------------------------------------------------------

def strategy(ctx: ReportContext) -> Fragment:
    """Mission, vision and the pillars, with the top-level objectives serving each pillar."""
    from kpikit.engine import cascade

    eff = cascade.effective_pillars(ctx.eng)
    parents = cascade.objective_parents(ctx.eng)
    pillars = []
    for p in ctx.eng.config.pillars:
        objs = [o for o in eff.index if eff.at[o, "pillar_id"] == p.id]
        top = [o for o in objs if parents.get(o) is None]
        pillars.append({
            "id": p.id, "name": p.name, "description": p.description,
            "top": [(o, ctx.objective_titles[o]) for o in top],
            "n_objectives": len(objs),
        })
    unaligned = [(o, ctx.objective_titles[o]) for o in eff.index if ident(eff.at[o, "pillar_id"]) is None]
    return _section("strategy", mission=ctx.eng.config.mission, vision=ctx.eng.config.vision,
                   pillars=pillars, unaligned=unaligned)


SectionFn = Callable[[ReportContext], Fragment]


# -- shared engine results -------------------------------------------------------------

def _detail(ctx: ReportContext) -> pd.DataFrame:
    """review.scorecard_detail, cached on the context (the scorecard with trend and forecast)."""
    cached: pd.DataFrame | None = ctx.__dict__.get("_detail")
    if cached is None:
        from kpikit.engine import review

        cached = review.scorecard_detail(ctx.eng, ctx.period_override) if ctx.period is not None else _empty_detail(ctx)
        ctx.__dict__["_detail"] = cached
    return cached


def _empty_detail(ctx: ReportContext) -> pd.DataFrame:
    """Without a review period (no actuals, no current_period) every KPI is no-data."""
    from kpikit.engine import review

    kt = ctx.selected
    out = pd.DataFrame({"objective_id": kt["objective_id"], "metric_id": kt["metric_id"]})
    for col in ("period", "previous_period", "previous_status", "status_change", "trend"):
        out[col] = ""
    for col in ("actual", "expected", "gap", "attainment", "tolerance", "trend_slope", "forecast"):
        out[col] = math.nan
    out["status"] = "no-data"
    out["will_meet_target"] = False
    for col in ("name", "unit", "direction", "frequency", "target", "target_period", "baseline",
                "baseline_period", "stretch", "benchmark", "weight"):
        out[col] = kt[col].to_numpy()
    del review
    return out


def _scores(ctx: ReportContext) -> dict[str, float]:
    from kpikit.engine import review

    s = review.objective_scores(ctx.eng, ctx.period_override)
    return {str(o): float(v) for o, v in zip(s["objective_id"], s["score"], strict=True)}


def _kpi_label(ctx: ReportContext, objective_id: object, metric_id: object) -> str:
    return ctx.metric_names.get(str(metric_id), str(metric_id))


def _status_counts(detail: pd.DataFrame) -> dict[str, int]:
    counts = detail["status"].value_counts().to_dict() if len(detail) else {}
    return {s: int(counts.get(s, 0)) for s in STATUS}


def _arrow(trend: object) -> str:
    return {"improving": "↗ improving", "worsening": "↘ worsening", "flat": "→ flat"}.get(str(trend), "—")


# -- executive summary ----------------------------------------------------------------------

def executive_summary(ctx: ReportContext) -> Fragment:
    """Headline score, KPI status counts, top concerns and successes in plain words, outstanding steps."""
    from kpikit.engine import review

    detail = _detail(ctx)
    counts = _status_counts(detail)
    by_pillar = review.rollup(ctx.eng, "pillar", ctx.period_override) if ctx.period is not None else None
    overall = review.overall_score(by_pillar) if by_pillar is not None else math.nan
    concerns = _concerns(ctx, detail)
    successes = _successes(ctx, detail, by_pillar)
    n = len(detail)
    if n and ctx.period is not None:
        phrase = {"green": "on track", "amber": "at risk (behind, within tolerance)",
                  "red": "off track", "no-data": "without a figure"}
        parts = [f"{counts[s]} {phrase[s]}" for s in STATUS if counts[s]]
        headline = f"{n} KPI{'s' if n != 1 else ''} reviewed for {ctx.period_text}: " + _join(parts) + "."
    elif n:
        headline = f"{n} KPIs are selected, but no actuals have been recorded yet, so none can be reviewed."
    else:
        headline = "No KPIs have been selected yet, so there is no scorecard to review."
    tiles = [{"value": pct(overall) if not math.isnan(overall) else "—", "label": "Overall score", "cls": ""}]
    tiles += [{"value": str(counts[s]), "label": STATUS[s]["label"], "cls": f"status-{s}"} for s in STATUS]
    errors = sum(1 for f in ctx.findings if f.severity == "error")
    warnings = sum(1 for f in ctx.findings if f.severity == "warning")
    return _section("summary", headline=headline, tiles=tiles, concerns=concerns, successes=successes,
                    has_figures=ctx.period is not None and counts["no-data"] < n,
                    outstanding=ctx.eng.outstanding_steps(), n_objectives=len(ctx.eng.objectives),
                    n_kpis=n, errors=errors, warnings=warnings, period=ctx.period_text)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _concerns(ctx: ReportContext, detail: pd.DataFrame, limit: int = 6) -> list[str]:
    """The issues a board should hear first, most serious first, in plain sentences."""
    out: list[str] = []
    for r in detail[detail["status"] == "red"].to_dict("records"):
        out.append(f"{_kpi_label(ctx, r['objective_id'], r['metric_id'])} is off track: "
                   f"{num(r['actual'], r['unit'])} in {r['period']} against {num(r['expected'], r['unit'])} expected "
                   f"(objective {r['objective_id']}).")
    by_code: dict[str, list[Finding]] = {}
    for f in ctx.findings:
        by_code.setdefault(f.code, []).append(f)
    for f in by_code.get("OBJECTIVE_UNALIGNED", []):
        out.append(f"Objective “{ctx.objective_titles.get(f.item_id, f.item_id)}” serves no strategic pillar.")
    unrealistic = by_code.get("KPI_TARGET_UNREALISTIC", [])
    if unrealistic:
        from kpikit.engine import targets

        real = targets.realism(ctx.eng, ctx.period_override)
        left_of = {f"{o}/{m}": left for o, m, left in
                   zip(real["objective_id"], real["metric_id"], real["periods_left"], strict=True)}
    for f in unrealistic:
        mid = f.item_id.split("/")[-1]
        name = ctx.metric_names.get(mid, mid)
        left = left_of.get(f.item_id)
        if not missing(left) and float(left) <= 0:  # type: ignore[arg-type]  # its period is gone: not a matter of pace
            out.append(f"The target for {name} was due and has not been reached.")
        else:
            out.append(f"The target for {name} asks for faster progress than its history "
                       "or its benchmark supports.")
    stale = detail[detail["status"] == "no-data"]
    if ctx.period is not None and len(stale):
        names = [_kpi_label(ctx, o, m) for o, m in zip(stale["objective_id"], stale["metric_id"], strict=True)]
        out.append(f"{len(names)} KPI{' has' if len(names) == 1 else 's have'} no figure for this review: "
                   f"{_join(names[:4])}{' and others' if len(names) > 4 else ''}.")
    acc = by_code.get("KPI_NO_ACCOUNTABLE", [])
    if acc:
        out.append(f"{len(acc)} objective{'s' if len(acc) != 1 else ''} or KPI{'s' if len(acc) != 1 else ''} "
                   "lack exactly one accountable person.")
    # a KPI that had no figure at the last review has not worsened: if it is red now, it is named above
    worse = detail[detail["status_change"].isin(["worse", "new red"]) & (detail["previous_status"] != "no-data")]
    if len(worse):
        names = [_kpi_label(ctx, o, m) for o, m in zip(worse["objective_id"], worse["metric_id"], strict=True)]
        out.append(f"Status worsened since the last review for {_join(names[:4])}"
                   f"{' and others' if len(names) > 4 else ''}.")
    return out[:limit]


def _successes(ctx: ReportContext, detail: pd.DataFrame, by_pillar: pd.DataFrame | None, limit: int = 5) -> list[str]:
    """What is going well: pillars scoring best, KPIs ahead of plan and improving, recoveries."""
    out: list[str] = []
    if by_pillar is not None:
        best = by_pillar.dropna(subset=["score"]).sort_values("score", ascending=False, kind="stable")
        if len(best) and best.iloc[0]["green"] > 0:  # leading with nothing on track is not a success
            top = best.iloc[0]
            out.append(f"Pillar “{top['name']}” leads with a score of {pct(top['score'])}; "
                       f"{int(top['green'])} of its {int(top['n_kpis'])} KPI{'s' if int(top['n_kpis']) != 1 else ''} "
                       f"{'is' if int(top['green']) == 1 else 'are'} on track.")
    better = detail[detail["status_change"].isin(["better", "data arrived"]) & (detail["status"] == "green")]
    for r in better.to_dict("records")[:2]:
        label, figure_now = _kpi_label(ctx, r["objective_id"], r["metric_id"]), num(r["actual"], r["unit"])
        if r["status_change"] == "better":  # it was amber or red at the last review
            out.append(f"{label} is back on track ({figure_now} in {r['period']}).")
        else:  # it had no figure at the last review: "back" would claim it was off track
            out.append(f"{label} is on track ({figure_now} in {r['period']}); the last review "
                       f"({r['previous_period']}) had no figure for it.")
    good = detail[(detail["status"] == "green") & (detail["trend"] == "improving")].copy()
    good = good.sort_values("attainment", ascending=False, kind="stable")
    for r in good.to_dict("records"):
        if len(out) >= limit:
            break
        line = (f"{_kpi_label(ctx, r['objective_id'], r['metric_id'])} is ahead of plan and improving: "
                f"{num(r['actual'], r['unit'])} in {r['period']} against {num(r['expected'], r['unit'])} expected.")
        if line not in out:
            out.append(line)
    return out[:limit]


# -- charts (built by kpikit.charts, rendered here) ---------------------------------------

def _chart(builder: str, title: str, description: str, *args: Any, **kwargs: Any) -> Figure | None:
    """Build a chart with ``kpikit.charts.<module>.<fn>`` and render it as a captioned figure.

    ``builder`` is ``"alignment.cascade_tree"`` and the like. Returns None when the
    chart has nothing to draw (the builder returns None for an empty input).
    """
    import importlib

    module, fn = builder.rsplit(".", 1)
    chart = getattr(importlib.import_module(f"kpikit.charts.{module}"), fn)(*args, **kwargs)
    if chart is None:
        return None
    return figure(chart, title, description)


# -- objective cascade ------------------------------------------------------------------------

def objective_cascade(ctx: ReportContext) -> Fragment:
    """The objective tree over the org hierarchy (chart and table) and the alignment gaps."""
    from kpikit.engine import cascade

    eng = ctx.eng
    cov = cascade.coverage(eng)
    nodes = cascade.layout(eng)
    scores = _scores(ctx) if ctx.period is not None else {}
    obj = eng.objectives.set_index("id")
    rows = []
    for r in nodes.to_dict("records"):
        oid = str(r["objective_id"])
        rows.append({
            "id": oid, "title": r["title"], "depth": int(r["depth"]),
            "unit": ctx.unit_names.get(str(r["org_unit_id"]), str(r["org_unit_id"])),
            "pillar": ident(r["pillar_id"]) or "—", "owner": text(obj.at[oid, "owner"]), "due": text(obj.at[oid, "due"]),
            "score": pct(scores.get(oid)),
        })
    gaps: list[str] = []
    for f in ctx.findings:
        if f.code == "OBJECTIVE_UNALIGNED":
            gaps.append(f"Objective {f.item_id} “{ctx.objective_titles.get(f.item_id, f.item_id)}” has no parent "
                        "objective and no pillar: it is not aligned to the strategy.")
    for w in cascade.wrong_unit_links(eng).to_dict("records"):
        gaps.append(
            f"Objective {w['objective_id']} ({ctx.unit_names.get(str(w['org_unit_id']), w['org_unit_id'])}) supports "
            f"{w['parent_id']}, which belongs to {ctx.unit_names.get(str(w['parent_unit_id']), w['parent_unit_id'])}: "
            "a unit that is neither its own nor above it.")
    for u in cascade.units_without_objectives(eng):
        gaps.append(f"Org unit {ctx.unit_names.get(u, u)} ({u}) owns no objective.")
    for f in ctx.findings:
        if f.code == "OBJECTIVE_NO_KPI":
            gaps.append(f"Objective {f.item_id} “{ctx.objective_titles.get(f.item_id, f.item_id)}” has no KPI, "
                        "so its progress cannot be measured.")
    n_levels = int(nodes["depth"].max()) + 1 if len(nodes) else 0
    fig = _chart(
        "alignment.cascade_tree", "The objective cascade",
        f"{cov['objectives']} objectives in {n_levels} level{'s' if n_levels != 1 else ''}, read left to right from "
        f"the top-level objectives to the objectives that support them; colour shows the pillar served. "
        f"{cov['reach_pillar']} of {cov['objectives']} reach a pillar.",
        eng,
    ) if len(nodes) else None
    tiles = [
        {"value": str(cov["objectives"]), "label": "Objectives", "cls": ""},
        {"value": pct(cov["reach_pillar_share"]), "label": "Reach a pillar", "cls": ""},
        {"value": pct(cov["with_kpi_share"]), "label": "Have a KPI", "cls": ""},
        {"value": str(len(gaps)), "label": "Alignment gaps", "cls": "status-red" if gaps else "status-green"},
    ]
    return _section("cascade", tiles=tiles, fig=fig, rows=rows, gaps=gaps, has_period=ctx.period is not None)


SPARK_POINTS = 8
"""A sparkline shows the last this-many periods up to the KPI's review period."""


def _series_by_metric(ctx: ReportContext) -> dict[str, pd.Series]:
    """Each metric's actuals as a Series indexed by period ordinal (computed once per report)."""
    cached: dict[str, pd.Series] | None = ctx.__dict__.get("_series")
    if cached is None:
        from kpikit.engine.targets import actuals_frame

        acts = actuals_frame(ctx.eng)
        cached = {str(m): pd.Series(g["value"].to_numpy(), index=g["ord"].to_numpy())
                  for m, g in acts.groupby("metric_id", sort=False)} if len(acts) else {}
        ctx.__dict__["_series"] = cached
    return cached


def _sparkline(ctx: ReportContext, r: Mapping[Any, Any]) -> Figure | None:
    """The KPI's last :data:`SPARK_POINTS` periods up to its review period, as a small inline SVG.

    The KPI's period comes from the engine's scorecard; gaps stay gaps (NaN). None
    when fewer than two actuals fall in the window.
    """
    from kpikit.charts import performance

    if ctx.period is None or missing(r["period"]):
        return None
    series = _series_by_metric(ctx).get(str(r["metric_id"]))
    if series is None:
        return None
    p = Period.parse(str(r["period"])).ordinal
    window = series.reindex([float(o) for o in range(p - SPARK_POINTS + 1, p + 1)])
    if window.notna().sum() < 2:
        return None
    return figure(performance.sparkline(window.to_numpy(), str(r["direction"])),
                  f"Last {SPARK_POINTS} periods of {r['name']}", "")


# -- KPI scorecard -------------------------------------------------------------------------------

def kpi_scorecard(ctx: ReportContext) -> Fragment:
    """Status (colour, shape and word), actual, expected, target and a trend sparkline per KPI; roll-ups."""
    from kpikit.engine import review

    detail = _detail(ctx)
    groups = []
    for oid, g in detail.groupby("objective_id", sort=False):
        kpis = []
        for r in g.to_dict("records"):
            spark = _sparkline(ctx, r)
            kpis.append({
                "metric_id": r["metric_id"], "name": _kpi_label(ctx, oid, r["metric_id"]),
                "unit": "" if short_unit(r["unit"]) else text(r["unit"], ""),
                "period": text(r["period"]), "status": r["status"],
                "actual": tnum(r["actual"], r["unit"]), "expected": tnum(r["expected"], r["unit"]),
                "target": tnum(r["target"], r["unit"]), "target_period": text(r["target_period"]),
                "trend": _arrow(r["trend"]), "spark": spark.svg if spark else None,
                "change": text(r["status_change"], ""),
            })
        groups.append({"id": str(oid), "title": ctx.objective_titles.get(str(oid), str(oid)), "kpis": kpis})
    rollups = []
    if ctx.period is not None and len(detail):
        for by, label in (("pillar", "Pillar"), ("org_unit", "Org unit")):
            df = review.rollup(ctx.eng, by, ctx.period_override)  # type: ignore[arg-type]
            df = df[(df["n_objectives"] > 0) | (df["n_kpis"] > 0)]
            rollups.append({"label": label, "rows": [
                {"id": r["id"], "name": r["name"], "score": pct(r["score"]), "n_objectives": int(r["n_objectives"]),
                 "n_kpis": int(r["n_kpis"]), **{s.replace("-", "_"): int(r[s]) for s in STATUS}}
                for r in df.to_dict("records")]})
    changes = []
    if ctx.period is not None and len(detail):
        ch = review.changes_since_previous(ctx.eng, ctx.period_override)
        changes = [{"name": _kpi_label(ctx, r["objective_id"], r["metric_id"]), "objective_id": r["objective_id"],
                    "before": r["previous_status"], "now": r["status"], "change": r["change"],
                    "previous_period": r["previous_period"], "period": r["period"]}
                   for r in ch.to_dict("records")]
    return _section("scorecard", groups=groups, rollups=rollups, changes=changes,
                    has_kpis=len(detail) > 0, has_period=ctx.period is not None, period=ctx.period_text)


# -- metric selection ------------------------------------------------------------------------------

def _decision_for(ctx: ReportContext, objective_id: str, metric_id: str) -> str | None:
    """The latest decision-log rationale about this KPI (item ``OBJ/MET``, the metric, or the objective)."""
    ch = ctx.eng.changes
    if ch.empty:
        return None
    keys = [f"{objective_id}/{metric_id}", metric_id]
    hits = ch[ch["item_id"].isin(keys)]
    if hits.empty:
        return None
    r = hits.sort_values("date", kind="stable").iloc[-1]
    rationale = text(r["rationale"], "")
    who = text(r["decided_by"], "")
    return f"{text(r['date'], '')}: {rationale}" + (f" (decided by {who})" if who else "") if rationale else None


def metric_selection(ctx: ReportContext) -> Fragment:
    """The scoring heatmap and why each KPI was chosen, in the workshop's own numbers."""
    from kpikit.engine import scoring

    sc = ctx.eng.config.scoring
    criteria = [{"name": k.replace("_", " "), "weight": f"{v:g}"} for k, v in sc.criteria.items()]
    ranked = scoring.ranked(ctx.eng) if ctx.eng.has("metric_scores") else pd.DataFrame(columns=scoring.RANKED_COLUMNS)
    by_pair = {(str(r["objective_id"]), str(r["metric_id"])): r for r in ranked.to_dict("records")}
    n_cand = ranked.groupby("objective_id").size().to_dict() if len(ranked) else {}
    rows = []
    for r in ctx.selected.to_dict("records"):
        oid, mid = str(r["objective_id"]), str(r["metric_id"])
        s = by_pair.get((oid, mid))
        decision = _decision_for(ctx, oid, mid)
        if s is None:
            why = "Selected without a workshop score."
        elif s["recommended"]:
            why = (f"Recommended by the workshop: weighted score {s['weighted_score']:.2f}, ranked "
                   f"{int(s['rank'])} of {int(n_cand.get(oid, 0))} candidates (threshold {sc.select_threshold:g}).")
        else:
            why = (f"Selected although the scores did not recommend it: weighted score {s['weighted_score']:.2f}, "
                   f"ranked {int(s['rank'])} of {int(n_cand.get(oid, 0))} (threshold {sc.select_threshold:g}, "
                   f"at most {sc.max_kpis_per_objective} per objective).")
        rows.append({"objective_id": oid, "metric_id": mid, "name": ctx.metric_names.get(mid, mid),
                     "score": f"{s['weighted_score']:.2f}" if s is not None else "—",
                     "recommended": bool(s["recommended"]) if s is not None else None,
                     "why": why, "decision": decision})
    passed_over = [
        {"objective_id": r["objective_id"], "name": text(r["metric_name"], r["metric_id"]),
         "score": f"{r['weighted_score']:.2f}"}
        for r in ranked.to_dict("records") if r["recommended"] and not r["selected"]
    ]
    fig = None
    if len(ranked):
        n_obj = ranked["objective_id"].nunique()
        fig = _chart(
            "alignment.scoring_heatmap", "Workshop scores: objective × candidate metric",
            f"Weighted score of each of the {len(ranked)} pairings scored for {n_obj} objectives; darker is "
            f"better, pairings at or above the threshold of {sc.select_threshold:g} qualify as recommended.",
            ctx.eng,
        )
    return _section("selection", criteria=criteria, fig=fig, rows=rows, passed_over=passed_over,
                    has_scores=ctx.eng.has("metric_scores") and len(ranked) > 0,
                    threshold=f"{sc.select_threshold:g}", max_kpis=sc.max_kpis_per_objective,
                    scale=f"{sc.scale[0]:g} to {sc.scale[1]:g}")


# -- targets and benchmarks ----------------------------------------------------------------------------

MAX_KPI_CHARTS = 40
"""At most this many KPI history charts in the report; beyond it, the KPIs that most need
attention get one (red, unrealistic target, amber, no data, then the rest, in kpis.csv
order) and the text says where the others are. A 1,000-KPI client's board pack stays a
pack, not a 700-page print job; every KPI still has its row and its definition sheet."""

CHART_PRIORITY = {"red": 0, "amber": 2, "no-data": 3, "green": 4}


def targets_benchmarks(ctx: ReportContext) -> Fragment:
    """One chart per KPI (history, trajectory, target, stretch, benchmark, forecast) and the realism verdicts."""
    from kpikit.engine import targets

    detail = _detail(ctx)
    real = targets.realism(ctx.eng, ctx.period_override)
    meas = targets.measurability(ctx.eng)
    verdicts = {(str(r["objective_id"]), str(r["metric_id"])): r for r in real.to_dict("records")}
    sources = {(str(r["objective_id"]), str(r["metric_id"])): r for r in meas.to_dict("records")}
    bench_src = {(str(o), str(m)): b for o, m, b in zip(ctx.selected["objective_id"], ctx.selected["metric_id"],
                                                        ctx.selected["benchmark_source"], strict=True)}
    kpis: list[dict[str, Any]] = []
    for r in detail.to_dict("records"):
        oid, mid = str(r["objective_id"]), str(r["metric_id"])
        unit = r["unit"]
        v = verdicts.get((oid, mid), {})
        raw = v.get("realistic")
        realistic = None if raw is None or raw is pd.NA else bool(raw)
        src = sources.get((oid, mid), {})
        priority = 1 if realistic is False and r["status"] != "red" else CHART_PRIORITY.get(str(r["status"]), 4)
        kpis.append({"objective_id": oid, "metric_id": mid, "name": _kpi_label(ctx, oid, mid), "fig": None,
                     "row": r, "priority": priority,
                     "unit": "" if short_unit(unit) else text(unit, ""),
                     "realistic": realistic, "reason": text(v.get("reason"), ""),
                     "baseline": tnum(r["baseline"], unit), "baseline_period": text(r["baseline_period"], ""),
                     "target": tnum(r["target"], unit), "target_period": text(r["target_period"], ""),
                     "stretch": tnum(r["stretch"], unit), "benchmark": tnum(r["benchmark"], unit),
                     "benchmark_source": text(bench_src.get((oid, mid)), ""),
                     "data_source": text(src.get("data_source"), "none recorded"),
                     "n_actuals": int(src.get("n_actuals", 0))})
    charted: list[dict[str, Any]] = []
    if ctx.period is not None:
        chosen = sorted(range(len(kpis)), key=lambda i: (kpis[i]["priority"], i))[:MAX_KPI_CHARTS]
        for i in sorted(chosen):
            k = kpis[i]
            k["fig"] = _chart("performance.kpi_history", f"{k['name']} ({k['objective_id']})",
                              _history_description(k["row"]), ctx.eng, k["objective_id"], k["metric_id"],
                              ctx.period_override)
            charted.append(k)
    n_unreal = sum(1 for k in kpis if k["realistic"] is False)
    return _section("targets", kpis=kpis, charted=charted, n_unrealistic=n_unreal,
                    n_uncharted=len(kpis) - len(charted) if ctx.period is not None else 0,
                    max_charts=MAX_KPI_CHARTS, has_period=ctx.period is not None)


def _history_description(r: Mapping[Any, Any]) -> str:
    """The text twin of a KPI history chart: target, baseline, actual, stretch, benchmark, forecast."""
    unit = r["unit"]
    parts = [f"Target {num(r['target'], unit)} by {text(r['target_period'])}"]
    if not missing(r["baseline"]):
        parts.append(f"from a baseline of {num(r['baseline'], unit)} in {text(r['baseline_period'])}")
    desc = " ".join(parts) + "."
    if not missing(r["actual"]):
        desc += f" Actual {num(r['actual'], unit)} in {r['period']} against {num(r['expected'], unit)} expected."
    if not missing(r["stretch"]):
        desc += f" Stretch {num(r['stretch'], unit)}."
    if not missing(r["benchmark"]):
        desc += f" Benchmark {num(r['benchmark'], unit)}."
    if not missing(r["forecast"]):
        desc += (f" On the current trend it reaches {num(r['forecast'], unit)} by {text(r['target_period'])}"
                 f" and {'meets' if r['will_meet_target'] else 'misses'} the target.")
    return desc


# -- stakeholders ------------------------------------------------------------------------------------

RACI_GRID_MAX = 20
"""Up to this many people the RACI matrix is a grid (items x people); beyond, a list of names per letter."""


def stakeholder_map(ctx: ReportContext) -> Fragment:
    """RACI matrix, accountability gaps, overload and the influence/support map."""
    from kpikit.engine import stakeholders as st

    eng = ctx.eng
    has_people = eng.has("stakeholders") and not eng.stakeholders.empty
    matrix = st.raci_matrix(eng) if has_people else pd.DataFrame()
    people = [str(p) for p in eng.stakeholders["id"]] if has_people else []
    used = [p for p in people if len(matrix) and matrix[p].ne("").any()]
    names = ctx.stakeholder_names
    raci_rows = [{"item_id": r["item_id"], "kind": r["kind"], "name": r["name"],
                  "cells": [r[p] for p in used],
                  "by_letter": {x: [names.get(p, p) for p in used if x in str(r[p]).split("/")] for x in "ARCI"}}
                 for r in matrix.to_dict("records")] if len(matrix) else []
    acc = st.accountability(eng)
    gaps = [{"item_id": r["item_id"], "kind": r["kind"], "name": r["name"], "problem": r["problem"]}
            for r in acc.to_dict("records") if not r["ok"]]
    over = st.overloaded(eng).to_dict("records") if has_people else []
    quads = st.quadrants(eng) if has_people else pd.DataFrame()
    people_rows = [{"id": r["stakeholder_id"], "name": r["name"], "role": r["role"],
                    "influence": num(r["influence"]), "support": num(r["support"]),
                    "quadrant": r["quadrant"], "advice": r["advice"]} for r in quads.to_dict("records")]
    fig = None
    if has_people and quads[["influence", "support"]].notna().all(axis=1).any():
        counts = quads["quadrant"].value_counts().to_dict()
        fig = _chart(
            "alignment.influence_map", "Stakeholder influence and support",
            "Each person placed by influence (up) and support (right) on a 1 to 5 scale. "
            + "; ".join(f"{counts[q]} {q.lower()}" + (" (not on the map)" if q == "Not assessed" else "")
                        for q in st.ADVICE if q in counts) + ".",
            eng,
        )
    return _section("stakeholders", has_people=has_people, has_raci=eng.has("raci") and not eng.raci.empty,
                    used=used, names=ctx.stakeholder_names, grid=len(used) <= RACI_GRID_MAX, raci_rows=raci_rows, gaps=gaps, over=over,
                    people=people_rows, fig=fig, limit=st.OVERLOAD_LIMIT)


# -- recommendations ------------------------------------------------------------------------------

ACTIONS: dict[str, str] = {
    "OBJECTIVE_UNALIGNED": "Link each unaligned objective to a parent objective or a pillar, or retire it",
    "OBJECTIVE_NO_KPI": "Choose at least one KPI for every objective that has none",
    "OBJECTIVE_NOT_SMART": "Rewrite the objectives that are not SMART: owner, due date, a measurable result",
    "CASCADE_WRONG_UNIT": "Re-link objectives whose parent sits in an unrelated part of the organisation",
    "KPI_TOO_MANY": "Trim objectives carrying more KPIs than agreed to the strongest few",
    "KPI_NOT_RECOMMENDED": "Confirm or replace KPIs that the workshop scores did not recommend",
    "KPI_NO_DATA_SOURCE": "Name a system of record for every KPI without a data source",
    "KPI_NO_ACCOUNTABLE": "Give every objective and KPI exactly one accountable person",
    "KPI_TARGET_UNREALISTIC": "Re-base targets that the KPI's history and benchmark do not support",
    "UNIT_NO_OBJECTIVE": "Agree objectives for the org units that have none, or confirm they need none",
    "METRIC_UNUSED": "Prune candidate metrics that were neither scored nor selected",
}
"""Finding code -> the action that closes it, in the words of a recommendation."""

SUGGESTION_ACTIONS: dict[str, str] = {
    "review-target-or-initiative": "Review the target or the initiative behind KPIs that stay off track",
    "fix-data-feed": "Fix the data feeds of KPIs with no figure for this review",
    "raise-or-retire": "Raise or retire targets that are already met",
}
"""review.suggestions kinds -> recommendation heading (drop-metric is covered by METRIC_UNUSED)."""


MAX_CONCERNS = 12
"""A recommendation names at most this many items; the appendix has the full list."""


def recommendations(ctx: ReportContext) -> Fragment:
    """What to do before the next review, most pressing first, each with the items it concerns and why."""
    from kpikit.engine import review

    recs: list[dict[str, Any]] = []
    detail = _detail(ctx)
    reds = detail[detail["status"] == "red"]
    if len(reds):
        recs.append({"title": "Agree recovery actions for the KPIs that are off track",
                     "why": "They are behind by more than the agreed tolerance in this review.",
                     "concerns": [f"{_kpi_label(ctx, o, m)} ({o})" for o, m in
                               zip(reds["objective_id"], reds["metric_id"], strict=True)]})
    if ctx.period is not None:
        sug = review.suggestions(ctx.eng, ctx.period_override)
        for kind, title in SUGGESTION_ACTIONS.items():
            g = sug[sug["kind"] == kind]
            if len(g):
                recs.append({"title": title, "why": str(g["reason"].iloc[0]) if len(g) == 1 else
                             f"{len(g)} KPIs; for example: {g['reason'].iloc[0]}",
                             "concerns": [_item_label(ctx, str(i)) for i in g["item_id"]]})
    by_code: dict[str, list[Finding]] = {}
    for f in ctx.findings:
        by_code.setdefault(f.code, []).append(f)
    order = sorted(ACTIONS, key=lambda c: (["error", "warning", "info"].index(_severity(c)), list(ACTIONS).index(c)))
    for code in order:
        fs = by_code.get(code, [])
        if fs:
            recs.append({"title": ACTIONS[code], "why": fs[0].message if len(fs) == 1 else
                         f"{len(fs)} items; for example: {fs[0].message}",
                         "concerns": sorted({_item_label(ctx, f.item_id) for f in fs})})
    for step in ctx.eng.outstanding_steps():
        recs.append({"title": f"Complete the outstanding step: {step}", "why":
                     "Until it is done, the sections that depend on it cannot show results.", "concerns": []})
    for rec in recs:
        items = rec["concerns"]
        if len(items) > MAX_CONCERNS:
            rec["concerns"] = [*items[:MAX_CONCERNS], f"and {len(items) - MAX_CONCERNS} more (Appendix B lists every finding)"]
    return _section("recommendations", recs=recs, period=ctx.period_text)


def _severity(code: str) -> str:
    from kpikit.engine.findings import CODES

    return CODES[code]


def _item_label(ctx: ReportContext, item_id: str) -> str:
    """An item ID as readers know it: the objective's title, the metric's or KPI's name."""
    if "/" in item_id:
        oid, mid = item_id.split("/", 1)
        return f"{ctx.metric_names.get(mid, mid)} ({oid})"
    if item_id in ctx.objective_titles:
        return f"{item_id}: {ctx.objective_titles[item_id]}"
    if item_id in ctx.metric_names:
        return f"{ctx.metric_names[item_id]} ({item_id})"
    if item_id in ctx.unit_names:
        return f"{ctx.unit_names[item_id]} ({item_id})"
    return item_id


# -- appendix ------------------------------------------------------------------------------------------

def _thresholds(r: Mapping[Any, Any], amber_tolerance: float) -> str:
    """The green/amber/red boundaries of a KPI in its review period, from the engine's expected and tolerance."""
    unit = r["unit"]
    if missing(r["expected"]) or missing(r["tolerance"]):
        of = "the distance from baseline to target" if not missing(r["baseline"]) else "the target (|target|)"
        return (f"Green at or better than the expected value; amber when short by at most "
                f"{amber_tolerance:.0%} of {of}; red beyond.")
    from kpikit.engine.targets import fmt

    up = str(r["direction"]) != "down"
    exp, tol = float(r["expected"]), float(r["tolerance"])
    edge = exp - tol if up else exp + tol
    better, worse = ("at or above", "below") if up else ("at or below", "above")
    of = "|target − baseline|" if not missing(r["baseline"]) else "|target|"
    if tol == 0:  # target = baseline, a zero target or amber_tolerance 0: nothing lies between green and red
        return (f"In {r['period']}: green {better} {num(exp, unit)}; red {worse} it (no amber band: the "
                f"tolerance, {amber_tolerance:.0%} of {of}, is 0).")
    low, high = sorted((edge, exp))
    # the tolerance is a distance: for a % unit that is percentage points, not a percentage
    gap = fmt(tol, None if missing(unit) else str(unit), change=True)
    return (f"In {r['period']}: green {better} {num(exp, unit)}; amber between {num(low, unit)} and "
            f"{num(high, unit)}; red {worse} {num(edge, unit)} (tolerance {gap}, {amber_tolerance:.0%} of {of}).")


def appendix_definitions(ctx: ReportContext) -> Fragment:
    """Appendix A: one definition sheet per selected KPI."""
    from kpikit.engine import stakeholders as st

    detail = _detail(ctx)
    m = ctx.eng.metrics.set_index("id")
    acc = st.accountability(ctx.eng)
    accountable = {str(i): text(n, "") for i, n in zip(acc["item_id"], acc["accountable_names"], strict=True)}
    tol = ctx.eng.config.status.amber_tolerance
    sheets = []
    for r in detail.to_dict("records"):
        oid, mid = str(r["objective_id"]), str(r["metric_id"])
        met = m.loc[mid] if mid in m.index else None

        def field(col: str, met: Any = met) -> str:
            return text(met[col]) if met is not None else "—"

        unit = r["unit"]
        baseline = (f"{num(r['baseline'], unit)} ({text(r['baseline_period'])})" if not missing(r["baseline"])
                    else "none (a threshold KPI: the target applies in every period)")
        target = f"{num(r['target'], unit)} by {text(r['target_period'])}"
        if not missing(r["stretch"]):
            target += f"; stretch {num(r['stretch'], unit)}"
        sel = ctx.selected[(ctx.selected["objective_id"] == oid) & (ctx.selected["metric_id"] == mid)]
        bench = "—"
        if not missing(r["benchmark"]):
            src = text(sel["benchmark_source"].iloc[0], "") if len(sel) else ""
            bench = num(r["benchmark"], unit) + (f" ({src})" if src else "")
        direction = "Higher is better" if str(r["direction"]) != "down" else "Lower is better"
        owner = field("owner")
        acc_name = accountable.get(mid, "")
        sheets.append({
            "id": f"{oid}/{mid}", "name": _kpi_label(ctx, oid, mid),
            "objective": f"{oid}: {ctx.objective_titles.get(oid, oid)}",
            "fields": [
                ("Definition", field("definition")), ("Formula", field("formula")), ("Unit", field("unit")),
                ("Direction", direction), ("Frequency", field("frequency").capitalize()),
                ("Type", field("type").capitalize()), ("Data source", field("data_source")),
                ("Owner", owner + (f" (accountable: {acc_name})" if acc_name and acc_name != owner else "")),
                ("Baseline", baseline), ("Target", target), ("Benchmark", bench),
                ("Weight", f"{float(r['weight']):g}" if not missing(r["weight"]) else "1"),
                ("Thresholds", _thresholds(r, tol)),
            ],
        })
    return _section("appendix", sheets=sheets)


def appendix_findings(ctx: ReportContext) -> Fragment:
    """Appendix B: every finding, most severe first, with its code and the item it is about."""
    rows = [{"severity": f.severity, "code": f.code, "item": f.item_id, "message": f.message} for f in ctx.findings]
    counts = {s: sum(1 for f in ctx.findings if f.severity == s) for s in ("error", "warning", "info")}
    return _render("appendix_findings.html.j2", rows=rows, counts=counts)


def appendix_method(ctx: ReportContext) -> Fragment:
    """Appendix C: how every number in the report is made, in the engine's own words."""
    from kpikit.engine import review, scoring, smart, stakeholders, targets

    sc = ctx.eng.config.scoring
    weights = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in sc.criteria.items())
    notes = [
        ("Scoring and selection",
         f"Each pairing of an objective and a candidate metric is scored on each criterion on a scale of "
         f"{sc.scale[0]:g} to {sc.scale[1]:g} (higher is always better). The weighted score is the sum of weight "
         f"times score divided by the sum of the weights ({weights}), rounded to {scoring.PRECISION} decimals. An "
         f"objective's recommended KPIs are its pairings scoring at least {sc.select_threshold:g}, best first, at "
         f"most {sc.max_kpis_per_objective}, ties broken by metric ID."),
        ("SMART assessment", f"Objectives are checked against the criteria {', '.join(smart.CRITERIA)}: a title "
         "that says what changes and by how much (Specific), a KPI with a unit and a data source (Measurable), "
         "realistic KPI targets (Achievable), a pillar reached through the cascade (Relevant) and a due date no "
         "earlier than its KPI targets (Time-bound)."),
        ("Status, attainment, scores, trend and forecast", review.METHOD),
        ("Target realism", targets.METHOD),
        ("Overall score", review.OVERALL_METHOD.removeprefix("Overall score. ")),
        ("Stakeholders", f"Influence and support are rated 1 to 5; {stakeholders.HIGH:g} or more counts as high. "
         f"A person accountable for more than {stakeholders.OVERLOAD_LIMIT} items is flagged as overloaded."),
    ]
    return _render("appendix_method.html.j2", notes=notes)


def appendix_decisions(ctx: ReportContext) -> Fragment:
    """Appendix D: the decision log of the review-and-adapt cycle (changes.csv), oldest first."""
    ch = ctx.eng.changes.sort_values("date", kind="stable") if not ctx.eng.changes.empty else ctx.eng.changes
    rows = [{"date": text(r["date"]), "item": _item_label(ctx, item) if (item := ident(r["item_id"])) else "—",
             "change": text(r["change"]), "rationale": text(r["rationale"]), "decided_by": text(r["decided_by"])}
            for r in ch.to_dict("records")]
    return _render("appendix_decisions.html.j2", rows=rows, has_log=ctx.eng.has("changes"))
