"""The engine: pure rules over a loaded engagement, one concern per module, and every finding in one list.

Each concern module (``smart``, ``scoring``, ``cascade``, ``stakeholders``, ``targets``,
``review``) exposes ``findings(eng, period=None) -> list[Finding]``; :data:`CHECKS`
names them explicitly, in the order they run, and :func:`all_findings` gathers them in
the stable order of :func:`~kpikit.engine.findings.sort_findings`. A new check is a
``findings`` function added to :data:`CHECKS` (and its codes to
:data:`~kpikit.engine.findings.CODES`).
"""

from __future__ import annotations

from collections.abc import Callable

from kpikit.data.model import Engagement
from kpikit.engine import (
    actions,
    cascade,
    measured,
    restatements,
    review,
    scoring,
    smart,
    stakeholders,
    targets,
)
from kpikit.engine.findings import Finding, sort_findings

Check = Callable[[Engagement, str | None], list[Finding]]
"""A check: the findings of one concern for a review period (None: the engagement's own)."""

CHECKS: tuple[Check, ...] = (
    smart.findings,
    scoring.findings,
    cascade.findings,
    stakeholders.findings,
    targets.findings,
    review.findings,
    restatements.findings,
    measured.findings,
    actions.findings,
)
"""Every check behind ``findings.csv``, the report and ``kpikit validate``."""


def all_findings(eng: Engagement, period: str | None = None) -> list[Finding]:
    """Every finding of the engagement for review period ``period`` (default: ``eng.review_period()``), in stable order.

    Each check is pure, so the same engagement always gives the same list.

    >>> [f.code for f in all_findings(load_engagement("clients/demo-harbor"))][:1]   # doctest: +SKIP
    ['OBJECTIVE_UNALIGNED']
    """
    items: list[Finding] = []
    for check in CHECKS:
        items.extend(check(eng, period))
    return sort_findings(items)


__all__ = ["CHECKS", "Check", "all_findings"]
