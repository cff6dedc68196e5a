"""Target setter editor (interactive version in progress; this returns the static summary)."""

from __future__ import annotations

import os
from typing import Any

from ..engagement import Engagement
from .base import as_engagement, static_summary


def target_setter(eng: Engagement | str | os.PathLike[str]) -> Any:
    """Target setter: a summary for now; the interactive editor replaces it."""
    e = as_engagement(eng)
    return static_summary("Target setter", [f"{len(e.kpis)} rows in kpis"])
