"""Appendix B: the findings grouped by code and counted, most severe first, with compact details.

A client of 70 objectives raises a few hundred findings, most of them the same few codes;
one row each filled 23 pages. Grouped, each code is a heading with its count and the
action that closes it, then one short line per item (its ID and what is wrong), set in
columns. Every finding is still there, and ``findings.csv`` in the run folder has them all.
"""

from __future__ import annotations

from typing import Any

from kpikit.engine.findings import CODES
from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template
from kpikit.report.wording import ACTIONS
from kpikit.text import natural_key

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def appendix_findings(ctx: ReportContext) -> Fragment:
    """Appendix B: every finding, grouped by code (most severe first), counted, one compact line per item."""
    groups: dict[str, list[Any]] = {}
    for f in ctx.findings:
        groups.setdefault(f.code, []).append(f)
    codes = sorted(groups, key=lambda c: (SEVERITY_ORDER.get(CODES.get(c, "info"), 3), list(CODES).index(c)
                                          if c in CODES else len(CODES), c))
    out = []
    for code in codes:
        fs = sorted(groups[code], key=lambda f: natural_key(f.item_id))
        out.append({"code": code, "severity": fs[0].severity, "count": len(fs), "action": ACTIONS.get(code, ""),
                    "lines": [{"id": f.item_id, "message": _compact(f.message, f.item_id, ctx.objective_titles.get(f.item_id))}
                              for f in fs]})
    counts = {s: sum(1 for f in ctx.findings if f.severity == s) for s in ("error", "warning", "info")}
    return render_template("appendix_findings.html.j2", groups=out, counts=counts)


def _compact(message: str, item_id: str, title: str | None = None) -> str:
    """The finding's message without a leading mention of its own item (the line starts with the ID already).

    >>> _compact("Objective O1 'Grow sales' has no KPI yet.", "O1", "Grow sales")
    'Has no KPI yet.'
    """
    named = [f"Objective {item_id} '{title}' "] if title is not None else []
    for lead in (*named, f"Objective {item_id} ", f"KPI {item_id} ", f"Metric {item_id} ", f"{item_id} ", f"{item_id}: "):
        if message.startswith(lead):
            rest = message[len(lead):]
            return rest[:1].upper() + rest[1:] if rest else message
    return message
