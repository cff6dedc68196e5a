"""The report's outline: its sections in the contract's order, each section's heading, and the contents page."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from kpikit.report.context import ReportContext
from kpikit.report.html import Fragment, render_template

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Executive summary"),
    ("since_published", "What changed since the last published report"),
    ("signals", "Signal or noise"),
    ("strategy", "Mission, vision and pillars"),
    ("cascade", "Objective cascade"),
    ("scorecard", "KPI scorecard"),
    ("selection", "Metric selection"),
    ("targets", "Targets and benchmarks"),
    ("stakeholders", "Stakeholders"),
    ("recommendations", "Recommendations for the next review cycle"),
    ("open_actions", "Open actions"),
    ("appendix", "Appendix"),
)
"""The report's sections in the contract's order: (anchor key, heading)."""


OPTIONAL: dict[str, str] = {"since_published": "Since the last report", "signals": "Signal or noise", "open_actions": "Follow-up"}
"""Sections shown only when they have something to say (key: their kicker); unnumbered."""


_PACK_SECTIONS: ContextVar[tuple[str, ...] | None] = ContextVar("kpikit_pack_sections", default=None)
"""The sections of the pack being rendered, in its order; None for the report."""


@contextlib.contextmanager
def in_pack(keys: Iterable[str]) -> Iterator[None]:
    """Render sections for a pack made of ``keys`` (in that order): numbered 01, 02 ... in the pack, and their
    references to the appendix pointing to the full report's, since a pack has none.

    >>> with in_pack(["summary", "stakeholders"]):
    ...     appendix("A")
    'Appendix A of the full report'
    """
    token = _PACK_SECTIONS.set(tuple(keys))
    try:
        yield
    finally:
        _PACK_SECTIONS.reset(token)


def appendix(part: str = "") -> str:
    """How a section names an appendix part (``appendix("A")``: "Appendix A"; ``appendix()``: "the appendix"),
    or the full report's when it is rendered for a pack (:func:`in_pack`)."""
    for_pack = _PACK_SECTIONS.get() is not None
    if not part:
        return "the full report's appendix" if for_pack else "the appendix"
    return f"Appendix {part} of the full report" if for_pack else f"Appendix {part}"


def section(key: str, **values: Any) -> Fragment:
    """Render ``sections/<key>.html.j2`` with its anchor key, heading and kicker (numbered in the pack's order
    inside :func:`in_pack`)."""
    pack = _PACK_SECTIONS.get()
    keys = list(pack) if pack is not None else [k for k, _ in SECTIONS if k not in OPTIONAL]
    # an optional section does not renumber the others
    kicker = ("Appendix" if key == "appendix" else OPTIONAL[key] if key in OPTIONAL and key not in keys
              else f"Section {keys.index(key) + 1:02d}")
    return render_template(f"{key}.html.j2", key=key, title=dict(SECTIONS)[key], kicker=kicker, appendix=appendix,
                           **values)


def contents(_ctx: ReportContext) -> Fragment:
    """Table of contents; in the PDF each entry carries its page number (the context, taken like every
    section's, is not needed)."""
    from kpikit.data.published import published_up_to
    from kpikit.engine.behaviour import has_limits

    eng = _ctx.eng
    published = published_up_to(eng.path, _ctx.period, eng.config.fiscal_year_start) is not None
    shown_optional = {"since_published": published, "signals": has_limits(eng, _ctx.period_override), "open_actions": eng.has("actions")}
    shown = [s for s in SECTIONS if shown_optional.get(s[0], True)]
    return render_template("contents.html.j2", sections=shown)
