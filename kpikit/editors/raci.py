"""RACI grid editor (interactive version in progress; this returns the static summary)."""

from __future__ import annotations

import os
from typing import Any

from ..engagement import Engagement
from .base import as_engagement, static_summary


def raci_grid(eng: Engagement | str | os.PathLike[str]) -> Any:
    """RACI grid: a summary for now; the interactive editor replaces it."""
    e = as_engagement(eng)
    return static_summary("RACI grid", [f"{len(e.raci)} rows in raci"])
