"""Section "What changed since the last published report": the board's last report against this one.

Shown only when the engagement has a published report for a period up to the review period
(``DIR/published/<period>/``); the rows are :func:`kpikit.engine.compare.compare` between the
published copy of the inputs and the engagement now, the same table ``kpikit compare`` prints.
Findings opened and resolved are counted here, not listed (the appendix lists findings).
"""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from kpikit.data.published import Publication, findings_rows, load_published, published_up_to
from kpikit.engine.compare import compare, counts
from kpikit.engine.findings import CODES, Finding
from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template
from kpikit.report.sections.contents import section

FINDING_KINDS = ("finding opened", "finding resolved")


def changes_fragment(table: pd.DataFrame, old_label: str, new_label: str) -> Fragment:
    """The change table as an escaped HTML fragment (``kpikit compare --html`` and this section)."""
    rows = [{k: str(v) for k, v in r.items()} for r in table.to_dict("records")]
    summary = ", ".join(f"{n} {kind}" for kind, n in counts(table).items())
    return render_template("since_published_table.html.j2", rows=rows, summary=summary,
                           old_label=old_label, new_label=new_label)


def last_publication(ctx: ReportContext) -> Publication | None:
    """The latest published report for a period that ends on or before the review period."""
    return published_up_to(ctx.eng.path, ctx.period, ctx.eng.config.fiscal_year_start)


def _published_findings(pub: Publication) -> list[Finding]:
    return [Finding(c, i, m) for c, i, m in findings_rows(pub.folder) if c in CODES]


def since_published(ctx: ReportContext) -> Fragment:
    """The section, or an empty fragment when nothing has been published yet."""
    pub = last_publication(ctx)
    old = load_published(pub) if pub is not None else None
    if pub is None or old is None:
        return Fragment("")
    table = compare(old, pub.period, ctx.eng, str(ctx.period), old_findings=_published_findings(pub),
                    new_findings=ctx.findings)
    body_rows = table[~table["kind"].isin(FINDING_KINDS)].reset_index(drop=True)
    more = len(table) - len(body_rows)
    body = changes_fragment(body_rows, f"the {pub.period} report published on {pub.published_on.isoformat()}",
                            f"this report ({ctx.period_text})")
    return section("since_published", body=Markup(body.html), more=more)


__all__ = ["changes_fragment", "last_publication", "since_published"]
