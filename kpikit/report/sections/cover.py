"""The cover page: client, title, review period, prepared by, confidentiality, logo."""

from __future__ import annotations

import base64
import mimetypes

from kpikit.data.model import Engagement
from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template


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
    return render_template(
        "cover.html.j2",
        client=ctx.eng.client,
        title=rep.title,
        period=ctx.period_text,
        prepared_by=rep.prepared_by,
        confidentiality=rep.confidentiality,
        mission=ctx.eng.config.mission,
        logo=logo_data_uri(ctx.eng),
    )
