"""Scoring grid editor (interactive version in progress; this returns the static summary)."""

from __future__ import annotations

import os
from typing import Any

from ..engagement import Engagement
from .base import as_engagement, static_summary


def scoring_grid(eng: Engagement | str | os.PathLike[str]) -> Any:
    """Scoring grid: a summary for now; the interactive editor replaces it."""
    e = as_engagement(eng)
    return static_summary("Scoring grid", [f"{len(e.metric_scores)} rows in metric_scores"])
