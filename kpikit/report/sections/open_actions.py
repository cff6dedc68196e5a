"""Section "Open actions": what was agreed at earlier reviews, by owner, and the red KPIs nobody acts on.

Shown when actions.csv exists (the follow-up step has started). Open and overdue actions and
those closed within the review period are listed, grouped by owner; actions closed before
the period are left out (they are in actions.csv). States come from
:func:`kpikit.engine.actions.action_table`; red KPIs without an action from the findings.
"""

from __future__ import annotations

from kpikit.engine.actions import action_table
from kpikit.report.context import ReportContext
from kpikit.report.formatting import text
from kpikit.report.html import Fragment
from kpikit.report.sections.contents import section
from kpikit.text import natural_key, plural

STATE_WORDS = {"overdue": "overdue", "open": "open", "closed": "closed this period"}


def open_actions(ctx: ReportContext) -> Fragment:
    """The section, or an empty fragment while actions.csv does not exist."""
    if not ctx.eng.has("actions"):
        return Fragment("")
    table = action_table(ctx.eng, ctx.period_override)
    shown = table[table["state"] != "earlier"] if len(table) else table
    names = ctx.stakeholder_names
    owners: dict[str, list[dict[str, str]]] = {}
    for r in shown.to_dict("records"):
        owner = text(r.get("owner"), "")
        who = names.get(owner, owner) if owner else "No owner named"
        owners.setdefault(who, []).append({
            "id": str(r["id"]), "action": text(r["action"]), "item": ctx.item_label(str(r["item_id"])),
            "due": text(r.get("due"), "—"), "state": str(r["state"]), "state_word": STATE_WORDS[str(r["state"])],
            "note": text(r.get("note"), ""),
        })
    counts = {s: int((shown["state"] == s).sum()) for s in STATE_WORDS} if len(shown) else dict.fromkeys(STATE_WORDS, 0)
    summary = ", ".join([plural(counts["overdue"], "overdue action"), f"{counts['open']} open",
                         f"{counts['closed']} closed in the period"])
    red = sorted({f.item_id for f in ctx.findings if f.code == "KPI_OFF_TRACK_NO_ACTION"}, key=natural_key)
    red_words = [f"{ctx.kpi_label(i.split('/')[-1])} ({i.split('/')[0]})" for i in red]
    groups = [{"name": k, "actions": v} for k, v in sorted(owners.items(), key=lambda kv: natural_key(kv[0]))]
    return section("open_actions", owners=groups, summary=summary, period=ctx.period_text, red_without=red_words)


__all__ = ["open_actions"]
