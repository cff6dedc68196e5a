"""The sections of the client report, one module per section template, each returning an escaped HTML fragment.

The 07_report notebook calls one function per section, in the contract's order
(:data:`SECTIONS`); each returns a :class:`~kpikit.report.html.Fragment` that Jupyter
displays as HTML and nbconvert copies into ``report.html``. The module of a section is
named for its template, ``templates/report/sections/<module>.html.j2``.

No rule is computed here: numbers, statuses and findings come from the engine
(``smart``, ``scoring``, ``cascade``, ``targets``, ``stakeholders``, ``review``,
``findings``); the sections only choose words and layout.

>>> ctx = context(load_engagement("clients/demo-harbor"))      # doctest: +SKIP
>>> cover(ctx)                                                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

from kpikit.report.context import ReportContext, context
from kpikit.report.html import Figure, Fragment, figure
from kpikit.report.sections.appendix import appendix_definitions
from kpikit.report.sections.appendix_decisions import appendix_decisions
from kpikit.report.sections.appendix_findings import appendix_findings
from kpikit.report.sections.appendix_method import appendix_method
from kpikit.report.sections.cascade import objective_cascade
from kpikit.report.sections.contents import SECTIONS, contents
from kpikit.report.sections.cover import cover
from kpikit.report.sections.open_actions import open_actions
from kpikit.report.sections.recommendations import recommendations
from kpikit.report.sections.scorecard import kpi_scorecard
from kpikit.report.sections.selection import metric_selection
from kpikit.report.sections.signals import signals
from kpikit.report.sections.since_published import since_published
from kpikit.report.sections.stakeholders import stakeholder_map
from kpikit.report.sections.strategy import strategy
from kpikit.report.sections.summary import executive_summary
from kpikit.report.sections.targets import targets_benchmarks
from kpikit.report.wording import STATUS

SectionFn = Callable[[ReportContext], Fragment]
"""What every section function is: the shared context in, an escaped fragment out."""

__all__ = [
    "SECTIONS",
    "STATUS",
    "Figure",
    "Fragment",
    "ReportContext",
    "SectionFn",
    "appendix_decisions",
    "appendix_definitions",
    "appendix_findings",
    "appendix_method",
    "contents",
    "context",
    "cover",
    "executive_summary",
    "figure",
    "kpi_scorecard",
    "metric_selection",
    "objective_cascade",
    "open_actions",
    "recommendations",
    "signals",
    "since_published",
    "stakeholder_map",
    "strategy",
    "targets_benchmarks",
]
