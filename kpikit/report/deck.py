"""The board deck: ``report.pptx``, an editable PowerPoint made from the report's own computed results.

Consultants present to boards with slides. The deck is built with python-pptx from the
same :class:`~kpikit.report.context.ReportContext` the report sections read (scorecard,
findings, the summary's and the recommendations' own sentences), so it never says
anything the report does not. It uses the layouts and theme of a template: the kit's
``templates/deck/default.pptx`` (python-pptx's default), or the consultancy's branded
file named by engagement.yaml ``report.deck_template`` (read by the folder-file rule,
:mod:`kpikit.data.paths`; the file itself is only read, never written). Slides the
template carries are dropped from the output; its masters, layouts and theme stay.

Slides, in this order (:data:`SLIDE_ORDER`): title; executive summary; status overview;
one per pillar; one per KPI that needs attention (at most :data:`MAX_KPI_SLIDES`, most
urgent first) with a **native chart** (actuals, trajectory, target, benchmark as series:
the consultant restyles them in PowerPoint); cascade and alignment gaps; stakeholders and
accountability gaps; recommendations and open actions; appendix tables of every KPI.
Every chart and table carries alt text; every user text is a plain text run (python-pptx
escapes it; nothing is a field or a formula); speaker notes carry the method notes.

>>> write_deck(context(eng), Path("out"))      # doctest: +SKIP
PosixPath('out/report.pptx')
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.presentation import Presentation as PresentationType
from pptx.slide import SlideLayout
from pptx.util import Emu, Pt

from kpikit.data.config import DECK_TEMPLATE
from kpikit.data.csvio import atomic_write
from kpikit.data.model import Engagement
from kpikit.data.paths import read_inside
from kpikit.engine import cascade, review, targets
from kpikit.errors import FolderFileError, ReportError
from kpikit.kit.resources import templates_dir
from kpikit.report.context import ReportContext
from kpikit.report.formatting import missing, num, pct, short_unit, tnum
from kpikit.report.sections.recommendations import recommendation_items
from kpikit.report.sections.summary import summary_words
from kpikit.report.wording import VIEW_STATUS

DECK_NAME = "report.pptx"
MAX_KPI_SLIDES = 20
"""A KPI slide each for at most this many KPIs needing attention; the appendix lists every KPI."""
APPENDIX_ROWS = 10
"""Rows per appendix table slide (a readable font on a 4:3 or 16:9 slide)."""
MAX_BULLETS = 8
"""Bullets per text slide; the rest are counted in a last bullet (the report lists them all)."""
SLIDE_ORDER = ("Title", "Executive summary", "Status overview", "Pillar", "KPI", "Cascade and alignment gaps",
               "Stakeholders and accountability gaps", "Recommendations and open actions", "Appendix")
"""The kinds of slide in deck order (a deck has one of each, one per pillar, one per KPI shown, appendix pages)."""
CASCADE_CODES = ("OBJECTIVE_UNALIGNED", "CASCADE_WRONG_UNIT", "UNIT_NO_OBJECTIVE", "OBJECTIVE_NO_KPI")
PEOPLE_CODES = ("KPI_NO_ACCOUNTABLE",)
SERIES = ("Actual", "Trajectory", "Target", "Benchmark")
"""The native chart's series names, in order (Benchmark only when the KPI has one)."""


def default_template() -> Path:
    """The kit's own deck template (python-pptx's default layouts and theme)."""
    return templates_dir() / "deck" / "default.pptx"


def template_bytes(eng: Engagement) -> tuple[bytes, str]:
    """The template's bytes and how messages name it: ``report.deck_template`` or the kit's own.

    The consultancy's file is read through :func:`kpikit.data.paths.read_inside` (inside the
    folder, a regular file, within :data:`~kpikit.data.config.DECK_TEMPLATE`'s limit).
    """
    name = eng.config.report.deck_template
    if not name:
        return default_template().read_bytes(), "the kit's deck template"
    try:
        return read_inside(eng.path, name, DECK_TEMPLATE), f"engagement.yaml report.deck_template '{name}'"
    except FolderFileError as exc:
        raise ReportError(f"engagement.yaml report.deck_template '{name}' {exc.reason}") from exc


def open_template(eng: Engagement) -> PresentationType:
    """The template as a presentation to add slides to; a file that is not a .pptx is a clear error."""
    data, what = template_bytes(eng)
    try:
        prs = Presentation(io.BytesIO(data))
    except Exception as exc:  # python-pptx raises zipfile, KeyError and lxml errors for a bad file
        raise ReportError(f"{what} is not a PowerPoint .pptx file python-pptx can open ({type(exc).__name__})") from exc
    _drop_slides(prs)
    _layouts(prs, what)  # a template without a usable layout fails here, before a run
    return prs


def check_template(eng: Engagement) -> None:
    """Raise :class:`ReportError` now if the deck could not be built (the runner calls it before writing)."""
    open_template(eng)


def _drop_slides(prs: PresentationType) -> None:
    """Remove the template's own slides (examples); masters, layouts and theme stay."""
    ids = prs.slides._sldIdLst
    for sld in list(ids):
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)


@dataclass(frozen=True)
class Layouts:
    """The template's layouts the deck uses, chosen by their placeholders (any names, any order)."""

    title: SlideLayout
    content: SlideLayout
    title_only: SlideLayout


_TITLES = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE}
_BODIES = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT}


def _kinds(layout: SlideLayout) -> list[Any]:
    return [ph.placeholder_format.type for ph in _placeholders(layout)]


def _placeholders(owner: Any) -> list[Any]:
    """A layout's or slide's placeholders (python-pptx's own typing of them trips mypy)."""
    return list(owner.placeholders)


def _layouts(prs: PresentationType, what: str) -> Layouts:
    layouts = list(prs.slide_layouts)
    titled = [lay for lay in layouts if set(_kinds(lay)) & _TITLES]
    if not titled:
        raise ReportError(f"{what} has no slide layout with a title placeholder; add one (Title Only, for example)")
    title = next((lay for lay in titled if PP_PLACEHOLDER.CENTER_TITLE in _kinds(lay)), titled[0])
    content = next((lay for lay in titled if PP_PLACEHOLDER.TITLE in _kinds(lay) and set(_kinds(lay)) & _BODIES), titled[0])
    only = next((lay for lay in titled if not set(_kinds(lay)) & (_BODIES | {PP_PLACEHOLDER.SUBTITLE})), content)
    return Layouts(title, content, only)


class _Deck:
    """One presentation being filled: slide helpers that keep text plain and put alt text on every figure."""

    def __init__(self, prs: PresentationType) -> None:
        self.prs = prs
        self.layouts = _layouts(prs, "the deck template")
        w, h = int(prs.slide_width or 9144000), int(prs.slide_height or 6858000)
        body = next((ph for ph in _placeholders(self.layouts.content)
                     if ph.placeholder_format.type in _BODIES), None)
        if body is not None and body.width and body.height:
            self.area = (int(body.left or 0), int(body.top or 0), int(body.width), int(body.height))
        else:
            self.area = (w // 20, h // 5, w * 9 // 10, h * 7 // 10)

    def slide(self, layout: SlideLayout, title: str, notes: str) -> Any:
        s: Any = self.prs.slides.add_slide(layout)
        if s.shapes.title is not None:
            s.shapes.title.text_frame.text = title
        s.notes_slide.notes_text_frame.text = notes
        return s

    def bullets(self, title: str, lines: Sequence[str], notes: str, empty: str) -> Any:
        s = self.slide(self.layouts.content, title, notes)
        body = next((ph for ph in _placeholders(s) if ph.placeholder_format.type in _BODIES), None)
        shown = list(lines[:MAX_BULLETS])
        if len(lines) > MAX_BULLETS:
            shown.append(f"and {len(lines) - MAX_BULLETS} more (the report lists them all)")
        shown = shown or [empty]
        size = Pt(18 if len(shown) <= 4 else 14 if len(shown) <= 6 else 12)
        if body is None:
            left, top, width, height = self.area
            body = s.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height))
        tf = body.text_frame
        tf.word_wrap = True
        for i, line in enumerate(shown):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            run = p.add_run()
            run.text = line
            run.font.size = size
        return s

    def table(self, title: str, header: Sequence[str], rows: Sequence[Sequence[str]], notes: str,
              alt: str, widths: Sequence[float] | None = None) -> Any:
        s = self.slide(self.layouts.title_only, title, notes)
        left, top, width, height = self.area
        n = len(rows) + 1
        frame = s.shapes.add_table(n, len(header), Emu(left), Emu(top), Emu(width), Emu(min(height, 370000 * n)))
        set_alt_text(frame, alt)
        tbl = frame.table
        if widths:
            total = sum(widths)
            for j, wgt in enumerate(widths):
                tbl.columns[j].width = Emu(int(width * wgt / total))
        for j, head in enumerate(header):
            _cell(tbl.cell(0, j), head, 12, bold=True)
        for i, row in enumerate(rows, 1):
            for j, value in enumerate(row):
                _cell(tbl.cell(i, j), value, 10)
        return s


def _cell(cell: Any, value: str, size: int, bold: bool = False) -> None:
    tf = cell.text_frame
    tf.word_wrap = True
    run = tf.paragraphs[0].add_run()
    run.text = value
    run.font.size = Pt(size)
    run.font.bold = bold


def set_alt_text(shape: Any, text: str) -> None:
    """The shape's alternative text (``descr`` of its non-visual properties), as PowerPoint's Alt Text pane sets it."""
    cnv = shape._element.xpath("./*[1]/p:cNvPr")[0]
    cnv.set("descr", text)


def alt_text(shape: Any) -> str:
    """A shape's alternative text ('' when it has none)."""
    found = shape._element.xpath("./*[1]/p:cNvPr")
    return str(found[0].get("descr", "")) if found else ""


def _f(value: object) -> float | None:
    """A number for a chart point; None (a gap) where there is none."""
    if missing(value):
        return None
    x = float(value)  # type: ignore[arg-type]
    return None if math.isnan(x) else x


def kpi_series(row: dict[str, Any], traj: Any) -> tuple[list[str], dict[str, list[float | None]]]:
    """A KPI chart's categories (periods) and its series (:data:`SERIES`) from the engine's trajectory.

    Actual and Trajectory are the trajectory's ``actual`` and ``expected`` per period (the
    values the scorecard reports for the review period); Target and Benchmark are flat lines
    at the kpis.csv values. Benchmark is left out when the KPI has none.
    """
    cats = [str(p) for p in traj["period"]]
    series: dict[str, list[float | None]] = {
        "Actual": [_f(v) for v in traj["actual"]],
        "Trajectory": [_f(v) for v in traj["expected"]],
        "Target": [_f(row["target"])] * len(cats),
    }
    if _f(row["benchmark"]) is not None:
        series["Benchmark"] = [_f(row["benchmark"])] * len(cats)
    return cats, series


def build_deck(ctx: ReportContext, prs: PresentationType | None = None) -> bytes:
    """The deck as .pptx bytes (see the module docstring for its slides)."""
    eng = ctx.eng
    deck = _Deck(prs if prs is not None else open_template(eng))
    words = summary_words(ctx)
    rep = eng.config.report
    _title_slide(deck, ctx)
    deck.bullets("Executive summary", [x for x in (words["headline"], words["score_line"]) if x]
                 + [f"Concern: {c}" for c in words["concerns"]] + [f"Going well: {s}" for s in words["successes"]],
                 review.METHOD, "Nothing to report yet.")
    _status_slide(deck, ctx)
    _pillar_slides(deck, ctx)
    _kpi_slides(deck, ctx)
    _findings_slide(deck, ctx, "Cascade and alignment gaps", CASCADE_CODES, _cascade_lines(ctx),
                    "Alignment. An objective serves a pillar through its own pillar_id or its parent chain; "
                    "each unit should own objectives; every objective should have a selected KPI.")
    _findings_slide(deck, ctx, "Stakeholders and accountability gaps", PEOPLE_CODES, _people_lines(ctx),
                    "Accountability. Each objective and each selected KPI needs exactly one Accountable (A) "
                    "person in raci.csv; more than 6 items on one person is an overload.")
    _recommendations_slide(deck, ctx)
    _appendix(deck, ctx)
    deck.prs.core_properties.title = f"{eng.client}: {rep.title}"
    deck.prs.core_properties.subject = ctx.period_text
    buf = io.BytesIO()
    deck.prs.save(buf)
    return buf.getvalue()


def write_deck(ctx: ReportContext, out_dir: Path) -> Path:
    """Write ``report.pptx`` into ``out_dir`` atomically; return its path."""
    target = Path(out_dir) / DECK_NAME
    atomic_write(target, build_deck(ctx))
    return target


def _title_slide(deck: _Deck, ctx: ReportContext) -> None:
    rep = ctx.eng.config.report
    s = deck.slide(deck.layouts.title, f"{ctx.eng.client}: {rep.title}",
                   "Title slide. The figures in this deck are those of the written report for the same run.")
    lines = [f"Review period: {ctx.period_text}"]
    if rep.prepared_by:
        lines.append(f"Prepared by {rep.prepared_by}")
    if rep.confidentiality:
        lines.append(rep.confidentiality)
    sub = next((ph for ph in _placeholders(s) if ph.placeholder_format.type in (_BODIES | {PP_PLACEHOLDER.SUBTITLE})), None)
    if sub is None:
        left, top, width, height = deck.area
        sub = s.shapes.add_textbox(Emu(left), Emu(top + height // 2), Emu(width), Emu(height // 2))
    tf = sub.text_frame
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.add_run().text = line


def _status_slide(deck: _Deck, ctx: ReportContext) -> None:
    counts = {s: sum(1 for v in ctx.view_status if v == s) for s in VIEW_STATUS}
    rows = [[VIEW_STATUS[s]["label"], str(counts[s])] for s in VIEW_STATUS if counts[s] or s != "baseline"]
    alt = "KPIs by status: " + "; ".join(f"{label} {n}" for label, n in rows) + f" ({ctx.period_text})."
    deck.table("Status overview", ["Status", "KPIs"], rows, review.METHOD, alt, widths=[3, 1])


def _pillar_slides(deck: _Deck, ctx: ReportContext) -> None:
    eng = ctx.eng
    by = review.rollup(eng, "pillar", ctx.period_override) if ctx.period is not None else None
    score = {str(i): s for i, s in zip(by["id"], by["score"], strict=True)} if by is not None else {}
    pillar_of = review.group_of(eng, "pillar")
    for p in eng.config.pillars:
        objs = [o for o, pid in pillar_of.items() if str(pid) == p.id]
        rows = [r for r in ctx.rows if str(pillar_of.get(r["objective_id"], "")) == p.id]
        counts = {s: sum(1 for r in rows if r["view"] == s) for s in VIEW_STATUS}
        lines = [p.description] if p.description else []
        sc = score.get(p.id)
        lines.append(f"Score: {pct(sc)} of the way from baseline to target." if sc is not None and not missing(sc)
                     else "Score: no KPI figures yet.")
        lines.append(f"{len(objs)} objective{'s' if len(objs) != 1 else ''}, {len(rows)} KPI{'s' if len(rows) != 1 else ''}: "
                     + (", ".join(f"{counts[s]} {VIEW_STATUS[s]['label'].lower()}" for s in VIEW_STATUS if counts[s]) or "none selected"))
        worst = sorted((r for r in rows if r["view"] in ("red", "amber")), key=lambda r: r["view"] != "red")[:3]
        lines += [f"{VIEW_STATUS[str(r['view'])]['label']}: {ctx.kpi_label(r['metric_id'])} "
                  f"{num(r['actual'], r['unit'])} against {num(r['expected'], r['unit'])} expected" for r in worst]
        deck.bullets(f"Pillar: {p.name}", lines, "Pillar score. " + review.METHOD.split("Trend:")[0], "")


def _kpi_slides(deck: _Deck, ctx: ReportContext) -> None:
    rows = ctx.attention_rows()
    if not rows:
        return
    trajs = review.trajectories(ctx.eng, ctx.period_override) if ctx.period is not None else {}
    for r in rows[:MAX_KPI_SLIDES]:
        _kpi_slide(deck, ctx, r, trajs.get((str(r["objective_id"]), str(r["metric_id"]))))


def _kpi_slide(deck: _Deck, ctx: ReportContext, r: dict[str, Any], traj: Any) -> None:
    label = ctx.kpi_label(r["metric_id"])
    status = VIEW_STATUS[str(r["view"])]["label"]
    s = deck.slide(deck.layouts.title_only, f"{label}: {status.lower()}", targets.METHOD + " " + review.METHOD)
    left, top, width, height = deck.area
    chart_h = height * 3 // 4
    unit = r["unit"]
    what = (f"{num(r['actual'], unit)} in {r['period']} against {num(r['expected'], unit)} expected; "
            f"target {num(r['target'], unit)} by {r['target_period']}" if not missing(r["period"]) and r["period"]
            else f"no figure for {ctx.period_text}; target {num(r['target'], unit)} by {r['target_period']}")
    if traj is not None and len(traj):
        cats, series = kpi_series(r, traj)
        data: Any = CategoryChartData()  # type: ignore[no-untyped-call]
        data.categories = cats
        for name, values in series.items():
            data.add_series(name, values)
        frame: Any = s.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, Emu(left), Emu(top), Emu(width), Emu(chart_h), data)
        chart = frame.chart
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.has_title = False  # the slide's title names the KPI; the unit goes on the value axis
        if not missing(unit) and unit:
            chart.value_axis.has_title = True
            chart.value_axis.axis_title.text_frame.text = str(unit)
        set_alt_text(frame, f"Line chart of {label} by period, {cats[0]} to {cats[-1]}: actuals, the trajectory "
                            f"to target, the target{' and the benchmark' if 'Benchmark' in series else ''}. "
                            f"{status}: {what}.")
    box = s.shapes.add_textbox(Emu(left), Emu(top + chart_h), Emu(width), Emu(height - chart_h))
    tf = box.text_frame
    tf.word_wrap = True
    lines = [f"{status}: {what}.",
             f"Objective {r['objective_id']}: {ctx.objective_titles.get(str(r['objective_id']), '')}"]
    if r["trend_word"]:
        lines.append(f"Trend: {r['trend_word']}.")
    if r["note"]:
        lines.append(f"Note on the figure: {r['note']}")
    for i, line in enumerate(lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        run = p.add_run()
        run.text = line
        run.font.size = Pt(12)


def _cascade_lines(ctx: ReportContext) -> list[str]:
    cov = cascade.coverage(ctx.eng)
    return [f"{cov['reach_pillar']} of {cov['objectives']} objectives reach a pillar ({pct(cov['reach_pillar_share'])}); "
            f"{cov['with_kpi']} have a selected KPI ({pct(cov['with_kpi_share'])})."]


def _people_lines(ctx: ReportContext) -> list[str]:
    from kpikit.engine import stakeholders

    over = stakeholders.overloaded(ctx.eng)
    lines = [f"{len(ctx.eng.stakeholders)} stakeholders; {len(ctx.eng.raci)} RACI assignments."]
    if len(over):
        names = [ctx.stakeholder_names.get(str(i), str(i)) for i in over.iloc[:, 0]]
        lines.append(f"Carrying more than {stakeholders.OVERLOAD_LIMIT} items: {', '.join(names)}.")
    return lines


def _findings_slide(deck: _Deck, ctx: ReportContext, title: str, codes: Sequence[str], head: list[str],
                    notes: str) -> None:
    found = [f.message for f in ctx.findings if f.code in codes]
    deck.bullets(title, head + found, notes, "No gaps found.")


def _recommendations_slide(deck: _Deck, ctx: ReportContext) -> None:
    lines = [str(rec["title"]) + (f": {rec['why']}" if rec["why"] else "") for rec in recommendation_items(ctx)]
    acts = ctx.eng.tables.get("actions")
    names = ctx.stakeholder_names
    overdue = {f.message.split(" ", 2)[1] for f in ctx.findings if f.code == "ACTION_OVERDUE"}
    for a in acts[acts["status"] == "open"].to_dict("records") if acts is not None and len(acts) else []:
        owner = names.get(str(a.get("owner")), "") if not missing(a.get("owner")) else ""
        due = f"due {str(a['due'])[:10]}" if not missing(a.get("due")) else ""
        who = ", ".join(x for x in (owner, due) if x)
        lines.append(f"Open action{' (overdue)' if str(a['id']) in overdue else ''}: {a['action']}"
                     + (f" ({who})" if who else ""))
    deck.bullets("Recommendations and open actions", lines,
                 "Recommendations come from the findings and the review's suggestions, most pressing first; "
                 "open actions from actions.csv.", "No recommendations.")


def _appendix(deck: _Deck, ctx: ReportContext) -> None:
    rows = [[str(r["objective_id"]), ctx.kpi_label(r["metric_id"]) + ("" if short_unit(r["unit"]) or missing(r["unit"])
             else f" ({r['unit']})"), tnum(r["actual"], r["unit"]), tnum(r["expected"], r["unit"]),
             tnum(r["target"], r["unit"]), VIEW_STATUS[str(r["view"])]["label"]] for r in ctx.rows]
    header = ["Objective", "KPI", "Actual", "Expected", "Target", "Status"]
    pages = max(1, math.ceil(len(rows) / APPENDIX_ROWS))
    for i in range(pages):
        chunk = rows[i * APPENDIX_ROWS:(i + 1) * APPENDIX_ROWS] or [["—", "No KPIs selected", "", "", "", ""]]
        title = "Appendix: every KPI" + (f" ({i + 1} of {pages})" if pages > 1 else "")
        deck.table(title, header, chunk, review.METHOD,
                   f"Table of {len(chunk)} KPIs with actual, expected, target and status for {ctx.period_text}.",
                   widths=[1.2, 3.6, 1.1, 1.1, 1.1, 1.3])


__all__ = ["DECK_NAME", "MAX_KPI_SLIDES", "SERIES", "SLIDE_ORDER", "alt_text", "build_deck", "check_template",
           "kpi_series", "open_template", "set_alt_text", "write_deck"]
