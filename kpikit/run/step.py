"""The setup every step notebook runs after its parameters: one call instead of a block repeated seven times.

A step notebook (``notebooks/0N_*.ipynb``) runs under papermill (``kpikit run``), in
JupyterLab (``kpikit lab``) or by hand; each starts the same way: choose interactive or
static charts (:func:`kpikit.charts.render.setup`, the one chart switch), load the client
folder, and say which client and review period the outputs below are about.
"""

from __future__ import annotations

from kpikit.charts import render
from kpikit.data.model import Engagement
from kpikit.data.store import load_engagement


def open_step(client_dir: str, period: str | None, static_charts: bool, announce: bool = True) -> Engagement:
    """Set up a step notebook: the chart mode, the engagement, and (``announce``) a line naming client and period.

    The report notebook passes ``announce=False``: its outputs are the client's report,
    where a set-up line does not belong.
    """
    render.setup(static_charts)
    eng = load_engagement(client_dir)
    if announce:
        print(f"{eng.client}: review period {eng.review_period(period)}")
    return eng
