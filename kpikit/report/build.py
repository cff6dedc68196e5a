"""The client deliverable: ``report.html`` and ``report.pdf`` from the executed report notebook.

The 07_report notebook displays one section per cell (:mod:`kpikit.report.sections`).
:func:`build_report` exports its outputs with the ``templates/report`` nbconvert
template (no code, no prompts, no external URL: the lab template's require.js, MathJax,
mermaid and widget scripts are removed, the CSS is inline) and prints the same HTML to a
tagged PDF (PDF/UA-1) with WeasyPrint, whose CSS paged media give the cover, the
contents with page numbers and the running header.

>>> build_report(Path("out/notebooks/07_report.ipynb"), Path("out"), eng, {"html", "pdf"})  # doctest: +SKIP
[PosixPath('out/report.html'), PosixPath('out/report.pdf')]
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpikit.data.csvio import atomic_write
from kpikit.data.model import Engagement
from kpikit.errors import ReportError
from kpikit.kit.resources import templates_dir
from kpikit.report.printing import Printer, html_to_pdf

if TYPE_CHECKING:
    from kpikit.report.context import ReportContext

FORMATS = frozenset({"html", "pdf", "pptx"})
"""The report formats a run can deliver (``kpikit run --format``): the report and the board deck
(``report.pptx``, :mod:`kpikit.report.deck`); all three by default (docs/decisions.md)."""
TEMPLATE = "report"
REMOVE_TAGS = frozenset({"guide", "remove-cell", "parameters", "injected-parameters"})
"""Cells with these tags never reach the client (consultant guidance, parameters)."""


def export_html(executed: Path, eng: Engagement) -> str:
    """The executed report notebook as one self-contained HTML page (outputs only)."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    try:
        nb = nbformat.read(str(executed), as_version=4)  # type: ignore[no-untyped-call]
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read the executed report notebook ({exc})", executed.name) from exc
    rep = eng.config.report
    nb.metadata["title"] = f"{eng.client}: {rep.title}"
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        template_name=TEMPLATE,
        extra_template_basedirs=[str(templates_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    exporter.language_code = "en"
    remover = TagRemovePreprocessor(remove_cell_tags=set(REMOVE_TAGS))  # type: ignore[no-untyped-call]
    exporter.register_preprocessor(remover, enabled=True)  # type: ignore[no-untyped-call]
    resources: dict[str, Any] = {"kpikit": {"page_size": rep.page_size}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return str(body)


def check_no_local_paths(html: str, paths: list[str]) -> None:
    """Refuse to deliver a report that names a folder of this machine (a leak, and useless to the client)."""
    for p in paths:
        if p and len(p) > 1 and p in html:
            raise ReportError("the report would contain a local folder path; a section printed one")


def build_report(executed_report_notebook: Path, out_dir: Path, eng: Engagement, formats: set[str],
                 period: str | None = None, printer: Printer | None = None,
                 context: ReportContext | None = None) -> list[Path]:
    """Write ``report.html``, ``report.pdf`` and/or ``report.pptx`` into ``out_dir``; return the files written.

    ``formats`` is a subset of :data:`FORMATS`. HTML and PDF come from the same HTML, so
    the PDF is the HTML paginated; the deck from the report's context for ``period``
    (the run's review period). Files are written atomically. With a ``printer``
    (:class:`~kpikit.report.printing.Printer`), the PDF is printed by it and written when
    it finishes (a run with packs prints the report while it computes the packs). The deck
    reads ``context`` when given (the run's one :class:`ReportContext`, which the packs read too).
    """
    unknown = set(formats) - FORMATS
    if unknown:
        raise ReportError(f"unknown report format(s) {', '.join(sorted(unknown))}; use html, pdf and/or pptx")
    executed = Path(executed_report_notebook)
    out = Path(out_dir)
    written: list[Path] = []
    if formats & {"html", "pdf"}:
        written += _write_html_pdf(executed, out, eng, formats, printer)
    if "pptx" in formats:
        from kpikit.report.context import ReportContext
        from kpikit.report.deck import write_deck

        written.append(write_deck(context if context is not None else ReportContext(eng, period), out))
    return written


def _write_html_pdf(executed: Path, out: Path, eng: Engagement, formats: set[str],
                    printer: Printer | None) -> list[Path]:
    html = export_html(executed, eng)
    check_no_local_paths(html, _local_paths(eng, executed, out))
    written: list[Path] = []
    if "html" in formats:
        target = out / "report.html"
        atomic_write(target, html.encode("utf-8"))
        written.append(target)
    if "pdf" in formats:
        target = out / "report.pdf"
        if printer is None:
            atomic_write(target, html_to_pdf(html))
        else:
            printer.print(target, html_to_pdf, html, "the report")
        written.append(target)
    return written


def _local_paths(eng: Engagement, executed: Path, out: Path) -> list[str]:
    paths = {str(eng.path.resolve()), str(executed.resolve().parent), str(out.resolve()), str(Path.home())}
    return sorted((p for p in paths if re.search(r"[/\\].+[/\\]", p)), key=len, reverse=True)


__all__ = [
    "FORMATS",
    "REMOVE_TAGS",
    "ReportError",
    "build_report",
    "check_no_local_paths",
    "export_html",
    "html_to_pdf",
]
