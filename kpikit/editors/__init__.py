"""Workshop editors: ipywidgets forms that edit the engagement and save it safely.

Each entry point takes an :class:`~kpikit.engagement.Engagement` (or its folder) and
returns a displayable widget in JupyterLab. Under unattended execution (papermill,
``kpikit run``: the runner sets ``KPIKIT_UNATTENDED=1``; a plain Python process
without a kernel counts too) it returns a static HTML summary instead and never
writes. Nothing is written until the consultant presses *Save*.

>>> from kpikit.editors import scoring_grid   # doctest: +SKIP
>>> scoring_grid(eng)                         # doctest: +SKIP
"""

from __future__ import annotations

from .actuals import actuals_entry
from .base import is_unattended
from .cascade import cascade_linker
from .objectives import objectives_editor
from .raci import raci_grid
from .scoring import scoring_grid
from .targets import target_setter

__all__ = [
    "actuals_entry",
    "cascade_linker",
    "is_unattended",
    "objectives_editor",
    "raci_grid",
    "scoring_grid",
    "target_setter",
]
