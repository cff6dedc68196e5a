"""Appendix B: every finding, most severe first, with its code and the item it is about."""

from __future__ import annotations

from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template


def appendix_findings(ctx: ReportContext) -> Fragment:
    """Appendix B: every finding, most severe first, with its code and the item it is about."""
    rows = [{"severity": f.severity, "code": f.code, "item": f.item_id, "message": f.message} for f in ctx.findings]
    counts = {s: sum(1 for f in ctx.findings if f.severity == s) for s in ("error", "warning", "info")}
    return render_template("appendix_findings.html.j2", rows=rows, counts=counts)
