"""Objectives editor (interactive version in progress; this returns the static summary)."""

from __future__ import annotations

import os
from typing import Any

from ..engagement import Engagement
from .base import as_engagement, static_summary


def objectives_editor(eng: Engagement | str | os.PathLike[str]) -> Any:
    """Objectives: a summary for now; the interactive editor replaces it."""
    e = as_engagement(eng)
    return static_summary("Objectives", [f"{len(e.objectives)} rows in objectives"])
