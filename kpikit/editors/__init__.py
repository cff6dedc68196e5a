"""Workshop editors: ipywidgets forms that edit the engagement and save it safely.

Each entry point takes an :class:`~kpikit.data.store.Engagement` (or its folder) and
returns a displayable widget in JupyterLab. Under unattended execution (papermill,
``kpikit run``: the runner sets ``KPIKIT_UNATTENDED=1``; a plain Python process
without a kernel counts too) it returns a static HTML summary instead and never
writes. Nothing is written until the consultant presses *Save*.

>>> from kpikit.editors import scoring_grid   # doctest: +SKIP
>>> scoring_grid(eng)                         # doctest: +SKIP
"""

from __future__ import annotations

from kpikit.editors.actions import actions_editor
from kpikit.editors.actuals import actuals_entry
from kpikit.editors.base import is_unattended
from kpikit.editors.cascade import cascade_linker
from kpikit.editors.objectives import objectives_editor
from kpikit.editors.raci import raci_grid
from kpikit.editors.scoring import scoring_grid
from kpikit.editors.targets import target_setter

__all__ = [
    "actions_editor",
    "actuals_entry",
    "cascade_linker",
    "is_unattended",
    "objectives_editor",
    "raci_grid",
    "scoring_grid",
    "target_setter",
]
