"""The review meeting pre-read (``--packs meeting``): the agenda of what needs a decision, two or three pages.

A review meeting that walks through the whole scorecard reacts to every red, including
the ones that are ordinary variation, and forgets the actions it agreed last time. The
pre-read lists only what the meeting must decide, built from the report's own
:class:`~kpikit.report.context.ReportContext` (its scorecard rows and findings, no second
computation) and the process limits of :func:`kpikit.engine.behaviour.behaviour`:

- a **real signal** on a KPI that is off track or at risk, or one that moved beyond its
  limits in the wrong direction (a red within ordinary variation is named as "not for
  decision");
- a **red KPI without an action** (``KPI_OFF_TRACK_NO_ACTION``);
- an **overdue action** (``ACTION_OVERDUE``);
- a **restated figure** the board saw (``ACTUAL_RESTATED``);
- an **unrealistic target** (``KPI_TARGET_UNREALISTIC``).

Items about one KPI are merged (one chart, every question). At most :data:`MAX_ITEMS` are
detailed, each with the KPI's history chart (the report's own chart); the rest are counted
and named in one line, so the pre-read stays two or three pages for any client.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jinja2

from kpikit.charts import performance
from kpikit.engine.behaviour import behaviour, target_notes
from kpikit.engine.findings import Finding
from kpikit.kit.resources import templates_dir
from kpikit.report.context import ReportContext
from kpikit.report.formatting import missing
from kpikit.report.html import Figure, chart
from kpikit.text import fmt, join_words, natural_key

MAX_ITEMS = 6
"""Items detailed with a chart (those first in :data:`ORDER`); the rest are listed in one line. The
agenda is page 1; six items, three a page beside their charts, fill pages 2 and 3."""
ORDER = ("signal", "no-action", "overdue", "restated", "target")
"""Why an item is on the agenda, most pressing first."""
REASON = {"signal": "a real change", "no-action": "no action agreed", "overdue": "an action overdue",
          "restated": "a figure restated", "target": "a target out of reach"}
_BAD_SIGNAL = {"outside": "beyond the limits it has always varied within", "run": "on the same side of its usual "
               "level for 8 periods in a row", "near-limit": "close to a limit in 3 of the latest 4 periods"}
QUESTIONS = {
    "signal": "What changed in the work behind it, and what will we do about it?",
    "no-action": "What will be done, by whom and by when?",
    "overdue": "Is it done, does it need a new date, or should it be dropped?",
    "restated": "Do we accept the restated figure, and what reason do we record for the board?",
    "target": "Keep the target and change how the work is done, move the date, or reset the target?",
}


@dataclass
class Item:
    """One agenda item: a KPI (or an objective or action) and every reason it needs a decision."""

    key: str
    """``OBJECTIVE/METRIC`` for a KPI, else the item ID as the finding names it."""
    title: str
    reasons: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    kpi: tuple[str, str] | None = None
    fig: Figure | None = None

    def add(self, reason: str, fact: str, question: str | None = None) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)
        self.facts.append(fact)
        q = question or QUESTIONS[reason]
        if q not in self.questions:
            self.questions.append(q)

    @property
    def rank(self) -> tuple[int, tuple[Any, ...]]:
        return min(ORDER.index(r) for r in self.reasons), natural_key(self.key)

    @property
    def why(self) -> str:
        return join_words([REASON[r] for r in sorted(self.reasons, key=ORDER.index)])


@dataclass
class Agenda:
    """What the meeting must decide (``items``, most pressing first) and what it need not react to."""

    items: list[Item]
    noise: list[str]
    """Red KPIs within ordinary variation, by name: watched, not decided."""

    @property
    def detailed(self) -> list[Item]:
        return self.items[:MAX_ITEMS]

    @property
    def more(self) -> list[Item]:
        return self.items[MAX_ITEMS:]


def agenda(ctx: ReportContext) -> Agenda:
    """The agenda from the report's context: its scorecard rows, its findings and the KPIs' process limits."""
    rows = {(str(r["objective_id"]), str(r["metric_id"])): r for r in ctx.rows}
    by_metric: dict[str, tuple[str, str]] = {}
    for key in rows:
        by_metric.setdefault(key[1], key)
    items: dict[str, Item] = {}

    def kpi_item(key: tuple[str, str]) -> Item:
        k = "/".join(key)
        if k not in items:
            items[k] = Item(k, f"{ctx.kpi_label(key[1])} ({key[0]})", kpi=key)
        return items[k]

    def other_item(item_id: str) -> Item:
        if item_id not in items:
            items[item_id] = Item(item_id, ctx.item_label(item_id))
        return items[item_id]

    noise: dict[str, tuple[str, str]] = {}
    table = behaviour(ctx.eng, ctx.period_override) if ctx.period is not None else None
    for b in table.to_dict("records") if table is not None else []:
        key = (str(b["objective_id"]), str(b["metric_id"]))
        r = rows.get(key)
        sig = str(b["signal"])
        if r is None or not sig:
            continue
        view, unit = str(r["view"]), _unit(r)
        if sig == "none":
            if view == "red":
                noise["/".join(key)] = key
            continue
        wrong_way = not missing(r["actual"]) and _worse(float(r["actual"]), float(b["centre"]), str(r["direction"]))
        if view != "red" and not wrong_way:
            continue  # a real change for the better: good news (or the plan's pace), not a new problem
        status = {"red": "off track", "amber": "at risk"}.get(view, "still on track")
        moved = (f"the value is {_BAD_SIGNAL[sig]} ({fmt(float(b['lower_limit']), unit)} to "
                 f"{fmt(float(b['upper_limit']), unit)})")
        real = (f"and the change is real: {moved}" if wrong_way else
                f"and it is improving for real, but not at the plan's pace: {moved}")
        kpi_item(key).add("signal", (
            f"{status.capitalize()} in {r['period']} at {fmt(float(r['actual']), unit)} (the plan expects "
            f"{fmt(float(r['expected']), unit)}), {real}."),
            None if wrong_way else "Is the improvement enough to reach the target, or what more will we do?")
    for f in ctx.findings:
        _add_finding(ctx, f, rows, by_metric, kpi_item, other_item)
    notes = target_notes(ctx.eng, ctx.period_override) if ctx.period is not None else {}
    for k, it in items.items():
        if "target" in it.reasons and k in notes:
            it.facts.append(f"Its process limits say the same: {notes[k]}.")
    for k in noise:
        if k in items:  # a red without an action, but within ordinary variation: watching it is a decision too
            items[k].facts.append("Its red is within the variation it has always had: agreeing to watch it one more "
                                  "period is a valid answer.")
    ordered = sorted(items.values(), key=lambda i: i.rank)
    quiet = sorted({ctx.kpi_label(key[1]) for k, key in noise.items() if k not in items}, key=natural_key)
    return Agenda(ordered, quiet)


def _add_finding(ctx: ReportContext, f: Finding, rows: dict[tuple[str, str], dict[str, Any]],
                 by_metric: dict[str, tuple[str, str]], kpi_item: Callable[[tuple[str, str]], Item],
                 other_item: Callable[[str], Item]) -> None:
    """Put one finding on the agenda when its code is one a meeting decides."""
    item = str(f.item_id)
    key: tuple[str, str] | None = None
    if "/" in item and tuple(item.split("/", 1)) in rows:
        o, m = item.split("/", 1)
        key = (o, m)
    elif item in by_metric:
        key = by_metric[item]
    def target() -> Item:
        return kpi_item(key) if key is not None else other_item(item)

    if f.code == "KPI_OFF_TRACK_NO_ACTION":
        r = rows.get(key) if key else None
        when = f" in {r['period']}" if r is not None else ""
        target().add("no-action", f"Off track{when} and no open action in actions.csv is about it or its objective.")
    elif f.code == "ACTION_OVERDUE":
        target().add("overdue", f"{_first_upper(f.message.split(': report progress')[0])}.")
    elif f.code == "ACTUAL_RESTATED":
        was = f.message.split("; add a changes.csv row")[0]
        target().add("restated", f"The figure for {was}; changes.csv gives no reason.")
    elif f.code == "KPI_TARGET_UNREALISTIC":
        label = f"KPI {item} ({ctx.kpi_label(key[1])}): " if key else ""
        msg = f.message[len(label):] if label and f.message.startswith(label) else f.message
        target().add("target", f"{_first_upper(msg.rstrip('.'))}.")


def _first_upper(s: str) -> str:
    return s[:1].upper() + s[1:]


def _unit(r: dict[str, Any]) -> str | None:
    u = r.get("unit")
    return u if isinstance(u, str) and u else None


def _worse(value: float, centre: float, direction: str) -> bool:
    """Whether ``value`` lies on the bad side of the centre line for a KPI going ``direction``."""
    if math.isnan(centre):
        return False
    return value < centre if direction != "down" else value > centre


def with_charts(ctx: ReportContext, ag: Agenda) -> Agenda:
    """The detailed items with their KPI's history chart (the report's chart of that KPI)."""
    for it in ag.detailed:
        if it.kpi is not None and ctx.period is not None:
            o, m = it.kpi
            it.fig = chart(performance.kpi_history, it.title,
                           f"History of {ctx.kpi_label(m)}: actuals, the plan's line to target, and its process limits.",
                           ctx.eng, o, m, ctx.period_override)
    return ag


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "report")), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def meeting_page(ctx: ReportContext) -> tuple[str, str]:
    """The pre-read as (self-contained HTML, the same without its stylesheets for :func:`kpikit.report.packs.pack_pdf`)."""
    ag = with_charts(ctx, agenda(ctx))
    rep = ctx.eng.config.report
    values = {"client": ctx.eng.client, "period": ctx.period_text, "prepared_by": rep.prepared_by,
              "confidentiality": rep.confidentiality, "items": ag.detailed,
              "more": [f"{it.title} ({it.why})" for it in ag.more], "noise": ag.noise,
              "has_period": ctx.period is not None, "letter": rep.page_size == "Letter"}
    page = _environment().get_template("meeting.html.j2")
    return page.render(inline_css=True, **values), page.render(inline_css=False, **values)


def meeting_html(ctx: ReportContext) -> str:
    """The pre-read as one self-contained HTML page (the report's CSS, its own compact layout)."""
    return meeting_page(ctx)[0]


__all__ = ["MAX_ITEMS", "Agenda", "Item", "agenda", "meeting_html", "meeting_page", "with_charts"]
