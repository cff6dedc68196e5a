"""The cover page: client, title, review period, prepared by, confidentiality, logo."""

from __future__ import annotations

import base64
import mimetypes

from kpikit.data.limits import LOGO
from kpikit.data.model import Engagement
from kpikit.data.paths import read_inside
from kpikit.errors import FolderFileError
from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template


def logo_data_uri(eng: Engagement) -> str | None:
    """engagement.yaml ``report.logo`` as a data URI (inline, so the report fetches nothing).

    None when no logo is configured or the file is missing or not an image. The file is
    read by the folder-file rule (``kpikit.data.paths``), as validation checked it: a path
    out of the folder, a link out of it, a device or pipe, or a file above ``limits.LOGO``
    never reaches the report, even if it changed since the engagement was loaded.
    """
    name = eng.config.report.logo
    if not name:
        return None
    mime = mimetypes.guess_type(name)[0]
    if mime not in {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"}:
        return None
    try:
        data = read_inside(eng.path, name, LOGO)
    except FolderFileError:
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


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
