"""How charts are rendered: the ONE switch between interactive and static output.

A consultant in JupyterLab wants interactive Vega charts; an unattended run (papermill)
and the client report need static SVG, because the default renderer fetches vega from a
CDN and shows nothing offline or in a PDF. Every notebook calls :func:`setup` first
and nothing else decides. The report calls :func:`to_svg` directly.

>>> setup(static=True)
'svg'
"""

from __future__ import annotations

import itertools
import os
import re
from typing import Any

STATIC_ENV = "KPIKIT_STATIC_CHARTS"
"""Set to ``1`` (the runner does) to force static SVG charts in every notebook."""

_counter = itertools.count(1)
_ID_RE = re.compile(r'\bid="([^"]+)"')


def reset_kernel_state() -> None:
    """Restart the SVG ID numbering (the runner calls this between notebooks: same input, same bytes)."""
    global _counter
    _counter = itertools.count(1)


def is_static(static: bool | None = None) -> bool:
    """Whether charts should be static: the explicit flag, else ``$KPIKIT_STATIC_CHARTS``."""
    if static is not None:
        return static
    return os.environ.get(STATIC_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def setup(static: bool | None = None) -> str:
    """Choose the altair renderer for this kernel and return its name.

    ``static=True`` (papermill runs: the runner injects ``static_charts=True``) renders
    inline SVG through vl-convert, which works offline, in exported HTML and in print.
    Otherwise charts are interactive (tooltips, zoom) through altair's ``html`` renderer
    with the Vega JavaScript inlined: the default renderer fetches Vega from a CDN (blank
    on a consultant's offline laptop) and JupyterLab 4 renders Vega-Lite only up to v5
    natively, while altair 6 emits v6. The price is about 0.9 MB per interactive chart
    in the saved notebook; the notebooks show only a few charts each.
    """
    import altair as alt

    alt.data_transformers.disable_max_rows()
    if is_static(static):
        alt.renderers.enable("svg")
        return "svg"
    alt.renderers.enable("html", template="inline")
    return "html-inline"


def to_svg(chart: Any) -> str:
    """Render an altair chart (or a Vega-Lite dict) to standalone SVG markup.

    The spec is not re-validated against the Vega-Lite schema (the chart builders are
    tested; validation costs about 0.1 s a chart). Element IDs (clip paths, gradients)
    are made unique per call, because vl-convert
    numbers them from 1 every time and several charts inlined in one HTML page would
    otherwise clip each other.
    """
    import vl_convert as vlc

    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    svg: str = vlc.vegalite_to_svg(spec)
    return _unique_ids(svg, f"k{next(_counter)}-")


def _unique_ids(svg: str, prefix: str) -> str:
    ids = set(_ID_RE.findall(svg))
    if not ids:
        return svg
    for old in sorted(ids, key=len, reverse=True):
        new = prefix + old
        svg = svg.replace(f'id="{old}"', f'id="{new}"')
        svg = svg.replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    return svg


__all__ = ["STATIC_ENV", "is_static", "reset_kernel_state", "setup", "to_svg"]
