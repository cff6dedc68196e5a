"""Shared mechanics of every editor: unattended detection, the static summary.

(Save/undo/backup/changes-log mechanics land here next.)
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from ..engagement import Engagement, load_engagement

UNATTENDED_ENV = "KPIKIT_UNATTENDED"


def is_unattended() -> bool:
    """True under papermill/``kpikit run`` (env ``KPIKIT_UNATTENDED=1``) or outside a kernel.

    Widgets need a live frontend; without one an editor shows a static summary.
    """
    if os.environ.get(UNATTENDED_ENV, "").strip().lower() in ("1", "true", "yes"):
        return True
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return True
    shell = get_ipython()
    return shell is None or getattr(shell, "kernel", None) is None


def as_engagement(eng: Engagement | str | os.PathLike[str]) -> Engagement:
    """Accept an Engagement or a folder path (notebooks pass either)."""
    return eng if isinstance(eng, Engagement) else load_engagement(Path(eng))


def static_summary(title: str, lines: list[str]) -> Any:
    """An HTML block (escaped) saying what the editor would show; for unattended runs."""
    from IPython.display import HTML

    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return HTML(  # type: ignore[no-untyped-call]
        f"<div class='kpikit-editor-summary'><strong>{html.escape(title)}</strong>"
        f"<ul>{items}</ul><em>Editing happens in JupyterLab (kpikit lab DIR).</em></div>"
    )
